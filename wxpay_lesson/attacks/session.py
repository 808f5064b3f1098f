"""One attack run against a merchant server: its setup traffic, its requests and what changed.

An `AttackSession` plays two parties. As the simulated WeChat Pay platform it sends the
genuine traffic that an attack needs first (paying the attacker's own cheap order, for
instance), signed with the platform's TEST keys exactly as the platform would. As the
attacker it sends the attack requests, built only from what the attacker has: the
platform's private key is never used for a forgery.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..aead import encrypt_resource
from ..signature import SIGNATURE_TYPE, build_message, sign_message
from ..simulator import SimulatedPlatform, compact_json, original_type_for, random_nonce, rfc3339
from ..testkeys import TestKeys, load_test_keys
from .target import Reply, TargetClient

# Another merchant's account, owned by the attacker.
ATTACKER_MCHID = "1900000002"
ATTACKER_APPID = "wx0000000000000002"
# A 32-byte APIv3 key that is not the merchant's: what an attacker without the key guesses.
GUESSED_API_V3_KEY = "fedcba9876543210fedcba9876543210"


class AttackSetupError(RuntimeError):
    """The merchant server did not accept the genuine setup traffic that an attack needs.

    The target is probably not this kit's merchant server, or it was started with keys
    other than the fixed TEST keys.
    """


@dataclass(frozen=True)
class OrderState:
    """The watched fields of one order: enough to see any forged payment or side effect."""

    out_trade_no: str
    status: str
    amount_total: int
    side_effects: int
    refunded_total: int

    @classmethod
    def from_json(cls, order: Mapping[str, Any]) -> OrderState:
        """Build the state from the merchant's `GET /orders/<out_trade_no>` JSON."""
        return cls(
            out_trade_no=str(order["out_trade_no"]),
            status=str(order["status"]),
            amount_total=int(order["amount"]["total"]),
            side_effects=int(order.get("side_effects", 0)),
            refunded_total=int(order.get("refund", {}).get("refunded_total", 0)),
        )

    def changes(self, other: OrderState | None) -> bool:
        """Return whether `other` differs in status, amount, side effects or refunds."""
        if other is None:
            return True
        return (self.status, self.amount_total, self.side_effects, self.refunded_total) != (
            other.status, other.amount_total, other.side_effects, other.refunded_total)

    def describe(self) -> str:
        """Return e.g. `NOTPAY, 29900 fen, 0 side effects`."""
        text = f"{self.status}, {self.amount_total} fen, {self.side_effects} side effects"
        if self.refunded_total:
            text += f", {self.refunded_total} fen refunded"
        return text


class AttackSession:
    """Setup traffic, attack requests and watched orders of one attack run.

    Args:
        client: the HTTP client for the target merchant server.
        now: the Unix time that the target's verifier believes it is; genuine
            notifications carry it as Wechatpay-Timestamp.
        keys: the fixed TEST keys; the merchant must use the same ones.
        on_attack_start: called once, just before the first attack request, so that a
            log capture can drop the setup traffic's lines.
    """

    def __init__(self, client: TargetClient, now: int, keys: TestKeys | None = None,
                 on_attack_start: Callable[[], object] | None = None) -> None:
        self.client = client
        self._on_attack_start = on_attack_start
        self._attack_started = False
        self.now = now
        self.keys = keys if keys is not None else load_test_keys()
        self.platform = SimulatedPlatform(self.keys, clock=lambda: now)
        self.replies: list[Reply] = []
        self.before: dict[str, OrderState | None] = {}
        self.effects: list[str] = []

    # ------------------------------------------------------------ the merchant's own API

    def checkout(self, item: str, **extra: Any) -> OrderState:
        """Create an order as a normal client does, and return it.

        Raises:
            AttackSetupError: the merchant did not create the order.
        """
        reply = self.client.post_json("/orders", {"item": item, **extra})
        data = reply.json()
        if reply.status != 201 or not isinstance(data, dict):
            raise AttackSetupError(f"POST /orders for {item!r} returned {reply.status}; expected 201 with the order")
        return OrderState.from_json(data)

    def order(self, out_trade_no: str) -> OrderState | None:
        """Read one order over HTTP; None when the merchant has no such order."""
        reply = self.client.request("GET", f"/orders/{out_trade_no}")
        data = reply.json()
        if reply.status == 404:
            return None
        if reply.status != 200 or not isinstance(data, dict):
            raise AttackSetupError(f"GET /orders/{out_trade_no} returned {reply.status}; expected 200")
        return OrderState.from_json(data)

    def watch(self, out_trade_no: str) -> None:
        """Record an order's state before the attack, to compare with its state after."""
        self.before[out_trade_no] = self.order(out_trade_no)

    def after(self) -> dict[str, OrderState | None]:
        """Read every watched order again."""
        return {number: self.order(number) for number in self.before}

    def record_effect(self, description: str) -> None:
        """Record an effect of the attack that no order state shows (a price the client chose)."""
        self.effects.append(description)

    # ------------------------------------------------------------ genuine platform traffic

    def genuine_payment(self, order: OrderState, *, timestamp: int | None = None, notification_id: str | None = None,
                        **transaction: Any) -> tuple[dict[str, str], bytes]:
        """Return a TRANSACTION.SUCCESS notification that the platform really signs and encrypts.

        `transaction` overrides fields of the transaction resource (mchid, appid, amount).
        """
        amount = transaction.pop("amount_total", order.amount_total)
        resource = self.platform.transaction(order.out_trade_no, amount, **transaction)
        return self.platform.notify(resource, timestamp=self.now if timestamp is None else timestamp,
                                    notification_id=notification_id)

    def deliver(self, headers: Mapping[str, str], body: bytes) -> Reply:
        """Deliver a genuine notification as the platform does, before the attack.

        Raises:
            AttackSetupError: the merchant did not reply 200 or 204.
        """
        reply = self.client.notify(headers, body)
        if reply.status not in (200, 204):
            raise AttackSetupError(
                f"the merchant rejected a genuine notification with {reply.status}; start it with the fixed "
                "TEST keys and pass launch() the time its verifier uses (now=...)"
            )
        return reply

    def paid_order(self, item: str = "coffee") -> tuple[OrderState, dict[str, str], bytes]:
        """Create the attacker's own order, pay it genuinely and return the captured notification.

        The returned state is the order as created, before the payment; `watch` reads it again.
        """
        order = self.checkout(item)
        headers, body = self.genuine_payment(order)
        self.deliver(headers, body)
        return order, headers, body

    # ------------------------------------------------------------ attack requests

    def begin_attack(self) -> None:
        """Mark the end of the setup traffic; `send`, `send_request` and `keep` call it."""
        if not self._attack_started:
            self._attack_started = True
            if self._on_attack_start is not None:
                self._on_attack_start()

    def send(self, headers: Mapping[str, str], body: bytes) -> Reply:
        """Send one attack request to /notify and keep its reply."""
        self.begin_attack()
        reply = self.client.notify(headers, body)
        self.replies.append(reply)
        return reply

    def send_request(self, method: str, path: str, payload: Any) -> Reply:
        """Send one attack request to another endpoint of the merchant and keep its reply."""
        self.begin_attack()
        reply = self.client.post_json(path, payload) if method == "POST" else self.client.request(method, path)
        self.replies.append(reply)
        return reply

    def keep(self, reply: Reply) -> None:
        """Keep the reply of a request sent some other way (concurrently, say)."""
        self.begin_attack()
        self.replies.append(reply)


# ---------------------------------------------------------------- forging what the attacker can


def forge_envelope(plaintext: bytes, *, api_v3_key: str | bytes, event_type: str = "TRANSACTION.SUCCESS",
                   timestamp: int, notification_id: str | None = None) -> bytes:
    """Build a notification body the way the platform lays it out, encrypted under `api_v3_key`."""
    original_type = original_type_for(event_type)
    nonce = random_nonce(12)
    envelope = {
        "id": notification_id or f"FORGED-{secrets.token_hex(8)}",
        "create_time": rfc3339(timestamp),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": encrypt_resource(api_v3_key, nonce, original_type, plaintext),
            "associated_data": original_type,
            "nonce": nonce,
        },
    }
    return compact_json(envelope)


def signed_headers(body: bytes, *, signer: rsa.RSAPrivateKey | None, serial: str, timestamp: int,
                   signature: str | None = None) -> dict[str, str]:
    """Return Wechatpay-* headers for `body` signed with the attacker's `signer`.

    With `signer` None the signature is `signature`, or 256 random bytes in base64: a
    signature the attacker cannot make valid.
    """
    nonce = random_nonce(32)
    if signer is not None:
        value = sign_message(signer, build_message(str(timestamp), nonce, body))
    elif signature is not None:
        value = signature
    else:
        value = base64.b64encode(secrets.token_bytes(256)).decode("ascii")
    return {
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": value,
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
    }


def payment_plaintext(session: AttackSession, order: OrderState, **changes: Any) -> bytes:
    """Return the plaintext of a payment that the attacker wants the merchant to believe."""
    amount = changes.pop("amount_total", order.amount_total)
    return compact_json(session.platform.transaction(order.out_trade_no, amount, **changes))


def edit_envelope(body: bytes, edit: Any) -> bytes:
    """Parse a captured body, apply `edit(envelope)` and serialise it compactly again."""
    envelope = json.loads(body)
    edit(envelope)
    return compact_json(envelope)


__all__ = [
    "ATTACKER_APPID",
    "ATTACKER_MCHID",
    "AttackSession",
    "AttackSetupError",
    "GUESSED_API_V3_KEY",
    "OrderState",
    "edit_envelope",
    "forge_envelope",
    "payment_plaintext",
    "signed_headers",
]
