"""A simulated WeChat Pay platform that signs and encrypts exactly as the real one does.

`SimulatedPlatform` builds callbacks byte for byte the way WeChat Pay does. The
resource is AES-256-GCM encrypted under the merchant's APIv3 key, with associated_data
equal to original_type. The envelope is compact UTF-8 JSON. The signature is
SHA256withRSA over `timestamp\\nnonce\\nbody\\n` of the exact bytes returned. With the
timestamp and both nonces given, the output is deterministic.

Its keys are the fixed TEST-ONLY keys in data/test-keys/ unless others are given.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
import string
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from .aead import ALGORITHM, encrypt_resource
from .keys import certificate_serial, normalize_serial
from .signature import PROBE_PREFIX, SIGNATURE_TYPE, build_message, sign_message
from .testkeys import TestKeys, load_test_keys

CHINA_STANDARD_TIME = datetime.timezone(datetime.timedelta(hours=8))
_NONCE_ALPHABET = string.ascii_letters + string.digits

TRADE_STATE_DESCRIPTIONS = {
    "SUCCESS": "支付成功",
    "NOTPAY": "订单未支付",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
}

SUMMARIES = {
    "TRANSACTION.SUCCESS": "支付成功",
    "REFUND.SUCCESS": "退款成功",
    "REFUND.ABNORMAL": "退款异常",
    "REFUND.CLOSED": "退款关闭",
}


def random_nonce(length: int) -> str:
    """Return a random string of ASCII letters and digits, like WeChat Pay's nonces."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def rfc3339(unix_seconds: float) -> str:
    """Format Unix seconds as WeChat Pay does: RFC 3339 in China Standard Time."""
    moment = datetime.datetime.fromtimestamp(int(unix_seconds), tz=CHINA_STANDARD_TIME)
    return moment.isoformat()


def compact_json(value: Any) -> bytes:
    """Serialise like WeChat Pay: compact separators, UTF-8 text rather than \\u escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Event families whose original_type is not simply the lower-cased prefix.
# NOTE: `mch_payment` for transfer batches is what a real notification in an SDK issue
# showed, not a documented rule.
ORIGINAL_TYPES = {"SECURITY_ECHO": "security", "MCHTRANSFER": "mch_payment"}


def original_type_for(event_type: str) -> str:
    """Return the resource's original_type for an event type (TRANSACTION.* → transaction)."""
    family = event_type.split(".", 1)[0]
    return ORIGINAL_TYPES.get(family, family.lower())


class SimulatedPlatform:
    """The WeChat Pay side of a callback: keys, signing, encryption.

    Args:
        keys: the test keys; by default the fixed ones in data/test-keys/.
        api_v3_key: the merchant's APIv3 key; by default the fixed test key.
        clock: Unix seconds, used when no timestamp is given.

    Attributes:
        certificate_serial: serial of the platform certificate in use.
        next_certificate_serial: serial of the rotated certificate (see `rotate`).
        public_key_id: the `PUB_KEY_ID_` id of the WeChat Pay public key.
    """

    def __init__(
        self,
        keys: TestKeys | None = None,
        *,
        api_v3_key: str | bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys if keys is not None else load_test_keys()
        self.api_v3_key: str | bytes = api_v3_key if api_v3_key is not None else self.keys.api_v3_key
        self.clock = clock
        self.mchid = self.keys.mchid
        self.appid = self.keys.appid
        platform_certificate = self._certificate(self.keys.platform.certificate)
        next_certificate = self._certificate(self.keys.platform_next.certificate)
        self.certificate_serial = certificate_serial(platform_certificate)
        self.next_certificate_serial = certificate_serial(next_certificate)
        self.public_key_id = self.keys.wechatpay_public_key_id
        self._signers: dict[str, rsa.RSAPrivateKey] = {
            self.certificate_serial: self.keys.platform.private_key,
            self.next_certificate_serial: self.keys.platform_next.private_key,
            self.public_key_id: self.keys.wechatpay_public_key.private_key,
        }
        self._certificates = {self.certificate_serial: platform_certificate, self.next_certificate_serial: next_certificate}
        self.default_key_id = self.certificate_serial

    @staticmethod
    def _certificate(certificate: x509.Certificate | None) -> x509.Certificate:
        if certificate is None:
            raise ValueError("the platform test key has no certificate; regenerate data/test-keys/")
        return certificate

    # ------------------------------------------------------------ what the merchant loads

    @property
    def public_keys(self) -> dict[str, Any]:
        """Keys for `CallbackVerifier`: the platform certificate and the WeChat Pay public key.

        Both kinds at once, as during WeChat Pay's migration to public-key mode. The
        rotated certificate is not included; get it from `certificates_response()`
        or `certificate(serial)`.
        """
        return {
            self.certificate_serial: self._certificates[self.certificate_serial],
            self.public_key_id: self.keys.wechatpay_public_key.public_key,
        }

    def certificate(self, serial: str) -> x509.Certificate:
        """Return a platform certificate by serial (the current or the rotated one)."""
        return self._certificates[normalize_serial(serial)]

    def rotate(self) -> None:
        """Switch signing to the next platform certificate, as a rotation does."""
        self.default_key_id = self.next_certificate_serial

    # ------------------------------------------------------------ signing

    def sign(self, body: bytes, *, timestamp: int | None = None, nonce: str | None = None,
             key_id: str | None = None) -> dict[str, str]:
        """Return the Wechatpay-* headers that sign `body`, for a callback or an API reply.

        Args:
            key_id: certificate serial or `PUB_KEY_ID_` id to sign with; default the
                current platform certificate.
        """
        signer_id = key_id if key_id is not None else self.default_key_id
        signer = self._signers.get(signer_id if signer_id.startswith("PUB_KEY_ID_") else normalize_serial(signer_id))
        if signer is None:
            raise KeyError(f"the simulated platform has no key {signer_id!r}; known: {sorted(self._signers)}")
        sent = int(self.clock()) if timestamp is None else int(timestamp)
        nonce_value = random_nonce(32) if nonce is None else nonce
        signature = sign_message(signer, build_message(str(sent), nonce_value, body))
        return {
            "Wechatpay-Serial": signer_id,
            "Wechatpay-Signature": signature,
            "Wechatpay-Timestamp": str(sent),
            "Wechatpay-Nonce": nonce_value,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
            "Content-Type": "application/json",
        }

    def encrypt(self, plaintext: bytes, *, associated_data: str, nonce: str | None = None) -> dict[str, str]:
        """Encrypt a plaintext into a `resource` object (without original_type)."""
        resource_nonce = random_nonce(12) if nonce is None else nonce
        return {
            "algorithm": ALGORITHM,
            "ciphertext": encrypt_resource(self.api_v3_key, resource_nonce, associated_data, plaintext),
            "associated_data": associated_data,
            "nonce": resource_nonce,
        }

    # ------------------------------------------------------------ notifications

    def notify(
        self,
        resource: Mapping[str, Any],
        *,
        event_type: str = "TRANSACTION.SUCCESS",
        timestamp: int | None = None,
        nonce: str | None = None,
        resource_nonce: str | None = None,
        key_id: str | None = None,
        notification_id: str | None = None,
        summary: str | None = None,
        probe: bool = False,
    ) -> tuple[dict[str, str], bytes]:
        """Build a signed, encrypted notification: (headers, body).

        Args:
            resource: the object to encrypt (a transaction or refund as a dict).
            event_type: `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, ...
            timestamp: Wechatpay-Timestamp; default `clock()`.
            nonce: Wechatpay-Nonce (32 characters); default random.
            resource_nonce: resource.nonce (12 characters); default random.
            key_id: certificate serial or public-key id to sign with.
            notification_id: the envelope `id`; default derived from the other inputs.
                NOTE: WeChat Pay does not document whether a retry keeps the `id`;
                pass the same value to model a retry that does.
            probe: send WeChat Pay's signature probe: a WECHATPAY/SIGNTEST/ signature.
        """
        sent = int(self.clock()) if timestamp is None else int(timestamp)
        header_nonce = random_nonce(32) if nonce is None else nonce
        sealed_nonce = random_nonce(12) if resource_nonce is None else resource_nonce
        # NOTE: associated_data equal to original_type is what real and official test
        # notifications show, not a documented rule; verifiers must use the field as sent.
        original_type = original_type_for(event_type)
        plaintext = compact_json(dict(resource))

        envelope_id = notification_id
        if envelope_id is None:
            seed = f"{sent}/{header_nonce}/{sealed_nonce}/".encode() + hashlib.sha256(plaintext).digest()
            envelope_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed.hex()))
        encrypted = self.encrypt(plaintext, associated_data=original_type, nonce=sealed_nonce)
        envelope = {
            "id": envelope_id,
            "create_time": rfc3339(sent),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary if summary is not None else SUMMARIES.get(event_type, event_type),
            "resource": {"original_type": original_type, **encrypted},
        }
        body = compact_json(envelope)
        headers = self.sign(body, timestamp=sent, nonce=header_nonce, key_id=key_id)
        if probe:
            digest = hashlib.sha256(b"probe/" + body).digest() * 8
            headers["Wechatpay-Signature"] = PROBE_PREFIX + base64.b64encode(digest[:250]).decode("ascii")
        return headers, body

    def transaction(
        self,
        out_trade_no: str,
        amount_total: int,
        *,
        trade_state: str = "SUCCESS",
        transaction_id: str | None = None,
        success_time: str | None = None,
        openid: str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        attach: str = "",
        currency: str = "CNY",
        mchid: str | None = None,
        appid: str | None = None,
        trade_type: str = "JSAPI",
    ) -> dict[str, Any]:
        """Build a `transaction` resource as WeChat Pay sends it, amounts in fen.

        An unpaid (NOTPAY) or CLOSED transaction, as an order query returns it, has no
        transaction_id, payer, bank_type, trade_type or success_time unless given.
        """
        paid = trade_state not in ("NOTPAY", "CLOSED")
        if transaction_id is None and paid:
            transaction_id = "4200" + str(int(hashlib.sha256(out_trade_no.encode()).hexdigest(), 16))[:24]
        resource: dict[str, Any] = {
            "mchid": mchid if mchid is not None else self.mchid,
            "appid": appid if appid is not None else self.appid,
            "out_trade_no": out_trade_no,
        }
        if transaction_id is not None:
            resource["transaction_id"] = transaction_id
        if paid:
            resource["trade_type"] = trade_type
        resource["trade_state"] = trade_state
        resource["trade_state_desc"] = TRADE_STATE_DESCRIPTIONS.get(trade_state, trade_state)
        if paid:
            resource["bank_type"] = "OTHERS"
        resource["attach"] = attach
        if paid or success_time is not None:
            resource["success_time"] = success_time if success_time is not None else rfc3339(self.clock())
        if paid:
            resource["payer"] = {"openid": openid}
            resource["amount"] = {"total": amount_total, "payer_total": amount_total, "currency": currency,
                                  "payer_currency": currency}
        else:
            resource["amount"] = {"total": amount_total, "currency": currency}
        return resource

    def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        amount_total: int,
        amount_refund: int,
        *,
        refund_status: str = "SUCCESS",
        transaction_id: str | None = None,
        refund_id: str | None = None,
        success_time: str | None = None,
    ) -> dict[str, Any]:
        """Build a `refund` resource as WeChat Pay sends it, amounts in fen."""
        resource: dict[str, Any] = {
            "mchid": self.mchid,
            "out_trade_no": out_trade_no,
            "transaction_id": transaction_id or "4200" + str(int(hashlib.sha256(out_trade_no.encode()).hexdigest(), 16))[:24],
            "out_refund_no": out_refund_no,
            "refund_id": refund_id or "5030" + str(int(hashlib.sha256(out_refund_no.encode()).hexdigest(), 16))[:25],
            "refund_status": refund_status,
            "user_received_account": "支付用户零钱",
            "amount": {"total": amount_total, "refund": amount_refund, "payer_total": amount_total,
                       "payer_refund": amount_refund},
        }
        if refund_status == "SUCCESS":
            resource["success_time"] = success_time if success_time is not None else rfc3339(self.clock())
        return resource

    # ------------------------------------------------------------ certificate download

    def certificates_response(self, *, timestamp: int | None = None, nonces: tuple[str, str] | None = None) -> bytes:
        """Return a /v3/certificates response body listing both platform certificates.

        Each `encrypt_certificate` is AES-256-GCM under the APIv3 key with
        associated_data `certificate`, as WeChat Pay sends it. `nonces` fixes the two
        12-character encryption nonces for deterministic output.
        """
        chosen = nonces if nonces is not None else (random_nonce(12), random_nonce(12))
        entries = []
        for serial, nonce in zip((self.certificate_serial, self.next_certificate_serial), chosen):
            certificate = self._certificates[serial]
            pem = certificate.public_bytes(Encoding.PEM).decode("ascii")
            entries.append({
                "serial_no": serial,
                "effective_time": rfc3339(certificate.not_valid_before_utc.timestamp()),
                "expire_time": rfc3339(certificate.not_valid_after_utc.timestamp()),
                "encrypt_certificate": self.encrypt(pem.encode("ascii"), associated_data="certificate", nonce=nonce),
            })
        return compact_json({"data": entries})

