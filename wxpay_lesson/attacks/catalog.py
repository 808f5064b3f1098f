"""The attack catalogue: each forged or replayed request an instructor can launch.

Each `Attack` records what the attacker has, how the request is built, which defence
stops it, the verdict expected with every defence on, and the single defence switches
whose removal lets it change an order. tests/test_attacks_matrix.py checks every one of
these claims against a real merchant server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

from ..merchant.app import CATALOGUE
from ..merchant.demo_checks import HEADER_SENDER_CERTIFICATE
from ..signature import PROBE_PREFIX, build_message
from .session import (
    ATTACKER_APPID,
    ATTACKER_MCHID,
    GUESSED_API_V3_KEY,
    AttackSession,
    OrderState,
    edit_envelope,
    forge_envelope,
    payment_plaintext,
    signed_headers,
)

# An hour: far outside the 5-minute window, well inside WeChat Pay's 24-hour retries.
STALE_SECONDS = 3600
DUPLICATE_STORM_SIZE = 8
UNKNOWN_SERIAL_BURST_SIZE = 4
# Four times the merchant's 64 KiB cap on /notify bodies.
OVERSIZED_BODY_BYTES = 256 * 1024
# The victim's order in the forgeries: the most expensive catalogue item.
VICTIM_ITEM = "membership"


class Capability(str, Enum):
    """An attacker's capability. The values are the English labels."""

    NOTHING = "nothing"
    CAPTURED_NOTIFICATION = "a captured genuine notification"
    OWN_KEY = "their own RSA key and certificate"
    LEAKED_API_V3_KEY = "a leaked APIv3 key"
    OWN_MERCHANT_ACCOUNT = "their own merchant account"
    CLIENT_CONTROL = "control of the client"


CAPABILITY_LABELS_ZH: dict[Capability, str] = {
    Capability.NOTHING: "什么都没有",
    Capability.CAPTURED_NOTIFICATION: "截获的一条真实通知",
    Capability.OWN_KEY: "自己的 RSA 密钥和证书",
    Capability.LEAKED_API_V3_KEY: "泄露的 APIv3 密钥",
    Capability.OWN_MERCHANT_ACCOUNT: "自己的商户号",
    Capability.CLIENT_CONTROL: "对客户端的控制",
}


class Verdict(str, Enum):
    """The result of an attack, judged from the replies and the watched orders.

    REJECTED: every attack request got a 4xx or 5xx and no order changed.
    HARMLESS: the merchant replied 2xx to at least one request, but no order changed.
    SUCCEEDED: a watched order changed (status, amount, side effects or refunds), or
        the attack left another effect, such as an order priced by the client.
    """

    REJECTED = "rejected"
    HARMLESS = "harmless"
    SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class Attack:
    """One catalogue entry.

    Attributes:
        name: the stable name used by `launch` and the CLI.
        title: a short English title.
        title_zh: the same title in Simplified Chinese.
        has: what the attacker has.
        construction: how the request is built.
        stopped_by: which defence stops it, in words.
        expected: the verdict with every defence on.
        expected_code: the merchant's rejection code with every defence on, or None
            when the attack is not rejected.
        succeeds_without: the `Defences` switches that, each switched off alone, let the
            attack succeed.
        run: sends the setup traffic and the attack through an `AttackSession`.
    """

    name: str
    title: str
    title_zh: str
    has: tuple[Capability, ...]
    construction: str
    stopped_by: str
    expected: Verdict
    expected_code: str | None
    succeeds_without: tuple[str, ...]
    run: Callable[[AttackSession], None]

    def capability_text(self, lang: str = "en") -> str:
        """Return what the attacker has, joined with "and" (or 和)."""
        if lang == "zh-CN":
            return "和".join(CAPABILITY_LABELS_ZH[item] for item in self.has)
        return " and ".join(item.value for item in self.has)

    def title_in(self, lang: str = "en") -> str:
        """Return the title in `en` or `zh-CN`."""
        return self.title_zh if lang == "zh-CN" else self.title


# ---------------------------------------------------------------- attack builders


def _victim(session: AttackSession) -> OrderState:
    order = session.checkout(VICTIM_ITEM)
    session.watch(order.out_trade_no)
    return order


def _leaked_key_forgery(session: AttackSession, order: OrderState, **changes: object) -> bytes:
    plaintext = payment_plaintext(session, order, **changes)
    return forge_envelope(plaintext, api_v3_key=session.keys.api_v3_key, timestamp=session.now)


def client_report_i_paid(session: AttackSession) -> None:
    victim = _victim(session)
    claim = {"status": "SUCCESS", "trade_state": "SUCCESS"}
    session.send_request("POST", f"/orders/{victim.out_trade_no}/client-report", claim)


def client_sets_price(session: AttackSession) -> None:
    payload = {"item": VICTIM_ITEM, "amount": {"total": 1, "currency": "CNY"}, "price": 1, "total_fee": 1}
    reply = session.send_request("POST", "/orders", payload)
    data = reply.json()
    if reply.status == 201 and isinstance(data, dict):
        session.watch(str(data["out_trade_no"]))
        charged = int(data["amount"]["total"])
        if charged != CATALOGUE[VICTIM_ITEM].amount_total:
            session.record_effect(f"the order was created at {charged} fen, the price the client sent")


def unsigned_notification(session: AttackSession) -> None:
    order = _victim(session)
    session.send({}, payment_plaintext(session, order))


def missing_signature_header(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    headers = signed_headers(body, signer=None, serial=session.platform.certificate_serial, timestamp=session.now)
    del headers["Wechatpay-Signature"]
    session.send(headers, body)


def empty_signature_header(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    headers = signed_headers(body, signer=None, serial=session.platform.certificate_serial,
                             timestamp=session.now, signature="")
    session.send(headers, body)


def attacker_key_real_serial(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    headers = signed_headers(body, signer=session.keys.attacker.private_key,
                             serial=session.platform.certificate_serial, timestamp=session.now)
    session.send(headers, body)


def attacker_key_public_key_id(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    headers = signed_headers(body, signer=session.keys.attacker.private_key,
                             serial=session.platform.public_key_id, timestamp=session.now)
    session.send(headers, body)


def attacker_certificate_own_serial(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    attacker = session.keys.attacker
    assert attacker.serial is not None and attacker.certificate_pem is not None
    headers = signed_headers(body, signer=attacker.private_key, serial=attacker.serial, timestamp=session.now)
    headers[HEADER_SENDER_CERTIFICATE] = base64.b64encode(attacker.certificate_pem.encode("ascii")).decode("ascii")
    session.send(headers, body)


def unknown_serial_burst(session: AttackSession) -> None:
    order = _victim(session)
    for _ in range(UNKNOWN_SERIAL_BURST_SIZE):
        body = forge_envelope(payment_plaintext(session, order), api_v3_key=GUESSED_API_V3_KEY, timestamp=session.now)
        serial = secrets.token_hex(20).upper()
        session.send(signed_headers(body, signer=session.keys.attacker.private_key, serial=serial,
                                    timestamp=session.now), body)


def leaked_key_bad_signature(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    session.send(signed_headers(body, signer=None, serial=session.platform.certificate_serial,
                                timestamp=session.now), body)


def guessed_api_v3_key(session: AttackSession) -> None:
    order = _victim(session)
    body = forge_envelope(payment_plaintext(session, order), api_v3_key=GUESSED_API_V3_KEY, timestamp=session.now)
    session.send(signed_headers(body, signer=None, serial=session.platform.certificate_serial,
                                timestamp=session.now), body)


def signature_type_downgrade(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    headers = signed_headers(body, signer=None, serial=session.platform.certificate_serial, timestamp=session.now)
    message = build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body)
    digest = hmac.new(session.keys.api_v3_key.encode("utf-8"), message, hashlib.sha256).digest()
    headers["Wechatpay-Signature"] = base64.b64encode(digest).decode("ascii")
    headers["Wechatpay-Signature-Type"] = "HMAC-SHA256"
    session.send(headers, body)


def signature_probe(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    probe = PROBE_PREFIX + base64.b64encode(secrets.token_bytes(258)).decode("ascii")
    session.send(signed_headers(body, signer=None, serial=session.platform.certificate_serial,
                                timestamp=session.now, signature=probe), body)


def stale_replay(session: AttackSession) -> None:
    order = session.checkout("coffee")
    notification_id = f"EV-LAB-{order.out_trade_no}"
    # The platform's first attempt, an hour ago, never reached the merchant; the attacker
    # copied it on the way. The retry that did arrive carries a fresh timestamp.
    first_headers, first_body = session.genuine_payment(order, timestamp=session.now - STALE_SECONDS,
                                                        notification_id=notification_id)
    retry_headers, retry_body = session.genuine_payment(order, notification_id=notification_id)
    session.deliver(retry_headers, retry_body)
    session.watch(order.out_trade_no)
    session.send(first_headers, first_body)


def replay_in_window(session: AttackSession) -> None:
    order, headers, body = session.paid_order()
    session.watch(order.out_trade_no)
    session.send(headers, body)


def duplicate_storm(session: AttackSession) -> None:
    order, headers, body = session.paid_order()
    session.watch(order.out_trade_no)
    session.begin_attack()
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda _: session.client.notify(headers, body), range(DUPLICATE_STORM_SIZE)))
    for reply in replies:
        session.keep(reply)


def replay_order_a_against_b(session: AttackSession) -> None:
    order_a, headers, body = session.paid_order()
    _victim(session)
    session.watch(order_a.out_trade_no)
    # Without the keys the attacker cannot re-target the notification: out_trade_no sits
    # inside the encrypted resource and the body is signed. So it is sent unchanged.
    session.send(headers, body)


def other_merchant_account(session: AttackSession) -> None:
    order = _victim(session)
    headers, body = session.genuine_payment(order, mchid=ATTACKER_MCHID, appid=ATTACKER_APPID)
    session.send(headers, body)


def other_merchant_one_fen(session: AttackSession) -> None:
    order = _victim(session)
    headers, body = session.genuine_payment(order, mchid=ATTACKER_MCHID, appid=ATTACKER_APPID, amount_total=1)
    session.send(headers, body)


def oversized_body(session: AttackSession) -> None:
    victim = _victim(session)
    body = _leaked_key_forgery(session, victim)
    padded = body[:-1] + b',"padding":"' + b"A" * OVERSIZED_BODY_BYTES + b'"}'
    session.send(signed_headers(padded, signer=None, serial=session.platform.certificate_serial,
                                timestamp=session.now), padded)


def malformed_json(session: AttackSession) -> None:
    _victim(session)
    body = b'{"id":"EV-LAB-MALFORMED","event_type":"TRANSACTION.SUCCESS","resource":{"ciphertext":'
    session.send(signed_headers(body, signer=None, serial=session.platform.certificate_serial,
                                timestamp=session.now), body)


def reserialized_body(session: AttackSession) -> None:
    order, headers, body = session.paid_order()
    session.watch(order.out_trade_no)
    session.send(headers, json.dumps(json.loads(body)).encode("utf-8"))


def empty_body(session: AttackSession) -> None:
    order, headers, _ = session.paid_order()
    session.watch(order.out_trade_no)
    session.send(headers, b"")


def charset_mangled_body(session: AttackSession) -> None:
    order, headers, body = session.paid_order()
    session.watch(order.out_trade_no)
    session.send(headers, body.decode("latin-1").encode("utf-8"))


def tampered_ciphertext(session: AttackSession) -> None:
    order, headers, body = session.paid_order()
    session.watch(order.out_trade_no)

    def flip_last_tag_byte(envelope: dict) -> None:
        raw = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
        raw[-1] ^= 0x01
        envelope["resource"]["ciphertext"] = base64.b64encode(bytes(raw)).decode("ascii")

    session.send(headers, edit_envelope(body, flip_last_tag_byte))


def algorithm_swap(session: AttackSession) -> None:
    order, headers, body = session.paid_order()
    session.watch(order.out_trade_no)

    def swap(envelope: dict) -> None:
        envelope["resource"]["algorithm"] = "AEAD_SM4_GCM"

    session.send(headers, edit_envelope(body, swap))


# ---------------------------------------------------------------- the catalogue

_SIGNATURE = "the RSA signature check: only WeChat Pay's private key signs a valid notification"
_REPLAY_OWN = "the attacker's own coffee order, already paid by the genuine notification"

ATTACKS: tuple[Attack, ...] = (
    Attack(
        "client-report-i-paid", "Client reports \"I paid\"", "客户端声称“我已支付”",
        (Capability.CLIENT_CONTROL,),
        "POST /orders/<out_trade_no>/client-report with {\"status\": \"SUCCESS\"} for an unpaid order",
        "never trusting the client: the claim only triggers an order query, and only a verified reply counts",
        Verdict.HARMLESS, None, ("trust_client_report",), client_report_i_paid,
    ),
    Attack(
        "client-sets-price", "Client sets a 1-fen price at checkout", "客户端下单时把价格改成 1 分",
        (Capability.CLIENT_CONTROL,),
        "POST /orders for the membership with amount.total = 1 (and price, total_fee = 1) in the request, "
        "hoping for a 1-fen prepay order that the attacker would then pay",
        "server-side pricing: the merchant takes the price from its own catalogue and ignores the client's",
        Verdict.HARMLESS, None, (), client_sets_price,
    ),
    Attack(
        "unsigned-notification", "Unsigned notification", "不带签名的通知",
        (Capability.NOTHING,),
        "POST /notify with a plaintext transaction for the victim's order and no Wechatpay-* headers",
        "the header check: all four Wechatpay-* headers are required",
        Verdict.REJECTED, "MISSING_HEADER", (), unsigned_notification,
    ),
    Attack(
        "missing-signature-header", "Forgery without the Wechatpay-Signature header", "缺少 Wechatpay-Signature 头的伪造通知",
        (Capability.LEAKED_API_V3_KEY,),
        "a payment for the victim's order, encrypted with the leaked APIv3 key, sent without Wechatpay-Signature",
        "the header check: a missing header fails closed instead of skipping verification",
        Verdict.REJECTED, "MISSING_HEADER", (), missing_signature_header,
    ),
    Attack(
        "empty-signature-header", "Forgery with an empty Wechatpay-Signature", "Wechatpay-Signature 为空的伪造通知",
        (Capability.LEAKED_API_V3_KEY,),
        "the same forgery with Wechatpay-Signature present but empty",
        "the header check: an empty header counts as missing",
        Verdict.REJECTED, "MISSING_HEADER", (), empty_signature_header,
    ),
    Attack(
        "attacker-key-real-serial", "Signed with the attacker's key under the real serial",
        "用攻击者私钥签名，冒用真实证书序列号",
        (Capability.OWN_KEY, Capability.LEAKED_API_V3_KEY),
        "a payment for the victim's order, encrypted with the leaked APIv3 key and signed with the attacker's "
        "private key, with Wechatpay-Serial set to the platform certificate's serial",
        _SIGNATURE,
        Verdict.REJECTED, "INVALID_SIGNATURE", ("signature",), attacker_key_real_serial,
    ),
    Attack(
        "attacker-key-public-key-id", "Signed with the attacker's key under the real PUB_KEY_ID",
        "用攻击者私钥签名，冒用真实的微信支付公钥 ID",
        (Capability.OWN_KEY, Capability.LEAKED_API_V3_KEY),
        "the same forgery with Wechatpay-Serial set to the WeChat Pay public key's PUB_KEY_ID_ id",
        _SIGNATURE,
        Verdict.REJECTED, "INVALID_SIGNATURE", ("signature",), attacker_key_public_key_id,
    ),
    Attack(
        "attacker-certificate-own-serial", "The attacker's self-signed certificate with its own serial",
        "攻击者自签名证书及其自己的序列号",
        (Capability.OWN_KEY, Capability.LEAKED_API_V3_KEY),
        "the same forgery signed with the attacker's key, Wechatpay-Serial set to the attacker's certificate "
        f"serial, and the certificate itself in a {HEADER_SENDER_CERTIFICATE} header",
        "the serial allow-list: only keys the merchant loaded from WeChat Pay verify, never a key the request brings",
        Verdict.REJECTED, "UNKNOWN_SERIAL", ("signature", "serial_allow_list"), attacker_certificate_own_serial,
    ),
    Attack(
        "unknown-serial-burst", "Burst of unknown serials", "大量未知序列号",
        (Capability.OWN_KEY,),
        f"{UNKNOWN_SERIAL_BURST_SIZE} notifications, each with a random unknown Wechatpay-Serial, "
        "signed with the attacker's key and encrypted under a guessed APIv3 key",
        "the serial allow-list, and the APIv3 key the attacker does not have",
        Verdict.REJECTED, "UNKNOWN_SERIAL", (), unknown_serial_burst,
    ),
    Attack(
        "leaked-key-bad-signature", "Forgery with a leaked APIv3 key", "利用泄露的 APIv3 密钥伪造",
        (Capability.LEAKED_API_V3_KEY,),
        "a payment for the victim's order, encrypted with the leaked APIv3 key, with random bytes as the signature",
        _SIGNATURE + "; the APIv3 key is a shared secret that leaks, so encryption alone proves nothing",
        Verdict.REJECTED, "INVALID_SIGNATURE", ("signature",), leaked_key_bad_signature,
    ),
    Attack(
        "guessed-api-v3-key", "Forgery encrypted under a guessed APIv3 key", "用猜测的 APIv3 密钥加密的伪造通知",
        (Capability.NOTHING,),
        "a payment for the victim's order encrypted under a guessed 32-byte key, with random bytes as the signature",
        _SIGNATURE + "; without it, AES-GCM authentication still fails",
        Verdict.REJECTED, "INVALID_SIGNATURE", (), guessed_api_v3_key,
    ),
    Attack(
        "signature-type-downgrade", "Signature-type downgrade to HMAC", "签名类型降级为 HMAC",
        (Capability.LEAKED_API_V3_KEY,),
        "Wechatpay-Signature-Type: HMAC-SHA256 with an HMAC of the signed message keyed by the leaked APIv3 key",
        "the signature-type check: only WECHATPAY2-SHA256-RSA2048 is accepted",
        Verdict.REJECTED, "UNSUPPORTED_SIGNATURE_TYPE", (), signature_type_downgrade,
    ),
    Attack(
        "signature-probe", "Forgery disguised as a signature probe", "伪装成签名探测流量的伪造通知",
        (Capability.LEAKED_API_V3_KEY,),
        "a payment for the victim's order, encrypted with the leaked APIv3 key, whose Wechatpay-Signature starts "
        "with WECHATPAY/SIGNTEST/, as WeChat Pay's probe traffic does",
        "probe handling: a probe gets the ordinary failure reply, never a pass as test traffic",
        Verdict.REJECTED, "SIGNATURE_PROBE", ("probe_handling",), signature_probe,
    ),
    Attack(
        "stale-replay", "Replay after the time window", "超出时间窗口后重放",
        (Capability.CAPTURED_NOTIFICATION,),
        "the platform's first delivery attempt of a genuine notification for " + _REPLAY_OWN
        + ", copied an hour ago and sent again now",
        "the timestamp window (5 minutes), then exactly-once processing",
        Verdict.REJECTED, "TIMESTAMP_OUT_OF_WINDOW", (), stale_replay,
    ),
    Attack(
        "replay-in-window", "Replay inside the time window", "在时间窗口内重放",
        (Capability.CAPTURED_NOTIFICATION,),
        "the genuine notification for " + _REPLAY_OWN + ", sent again at once",
        "exactly-once processing: the duplicate is acknowledged with 204 and changes nothing",
        Verdict.HARMLESS, None, ("exactly_once",), replay_in_window,
    ),
    Attack(
        "duplicate-storm", "Duplicate storm", "重复通知风暴",
        (Capability.CAPTURED_NOTIFICATION,),
        f"{DUPLICATE_STORM_SIZE} concurrent copies of the genuine notification for " + _REPLAY_OWN,
        "exactly-once processing under SQLite's write lock and a conditional UPDATE",
        Verdict.HARMLESS, None, ("exactly_once",), duplicate_storm,
    ),
    Attack(
        "replay-order-a-against-b", "Notification for order A replayed against order B", "把订单 A 的通知重放到订单 B",
        (Capability.CAPTURED_NOTIFICATION,),
        "the genuine notification for the attacker's paid order A, sent while order B waits unpaid; "
        "out_trade_no is inside the encrypted, signed resource, so it still names A",
        "the signature and AES-GCM bind the notification to order A; exactly-once makes the replay on A harmless",
        Verdict.HARMLESS, None, ("exactly_once",), replay_order_a_against_b,
    ),
    Attack(
        "other-merchant-account", "Genuine notification for another merchant's mchid and appid",
        "另一个商户号和 appid 的真实通知",
        (Capability.OWN_MERCHANT_ACCOUNT,),
        "a genuine, platform-signed payment made on the attacker's own merchant account (mchid "
        f"{ATTACKER_MCHID}) with the victim's out_trade_no and full price",
        "the business checks: mchid and appid must be ours",
        Verdict.REJECTED, "BUSINESS_MISMATCH", ("business_checks",), other_merchant_account,
    ),
    Attack(
        "other-merchant-one-fen", "Another merchant's 1-fen payment for our order", "另一个商户号为本店订单支付 1 分",
        (Capability.OWN_MERCHANT_ACCOUNT,),
        "the same genuine payment on the attacker's own merchant account, for 1 fen",
        "the business checks: mchid, appid and amount.total must match our order",
        Verdict.REJECTED, "BUSINESS_MISMATCH", ("business_checks",), other_merchant_one_fen,
    ),
    Attack(
        "oversized-body", "Oversized body", "超大报文",
        (Capability.NOTHING,),
        f"a forgery padded to about {OVERSIZED_BODY_BYTES // 1024} KiB",
        "the 64 KiB body cap, enforced while reading the request",
        Verdict.REJECTED, "BODY_TOO_LARGE", (), oversized_body,
    ),
    Attack(
        "malformed-json", "Malformed JSON", "格式错误的 JSON",
        (Capability.NOTHING,),
        "a truncated JSON body with a random signature under the real serial",
        _SIGNATURE + "; nothing is parsed before it verifies",
        Verdict.REJECTED, "INVALID_SIGNATURE", (), malformed_json,
    ),
    Attack(
        "reserialized-body", "Re-serialised captured body", "重新序列化的截获报文",
        (Capability.CAPTURED_NOTIFICATION,),
        "the captured body parsed and dumped again with json.dumps (spaces, \\u escapes), headers unchanged",
        _SIGNATURE + " over the raw bytes",
        Verdict.REJECTED, "INVALID_SIGNATURE", (), reserialized_body,
    ),
    Attack(
        "empty-body", "Captured headers with an empty body", "截获的签名头配空报文",
        (Capability.CAPTURED_NOTIFICATION,),
        "the captured Wechatpay-* headers with an empty body",
        _SIGNATURE + " over the raw bytes",
        Verdict.REJECTED, "INVALID_SIGNATURE", (), empty_body,
    ),
    Attack(
        "charset-mangled-body", "Charset-mangled body", "字符集被篡改的报文",
        (Capability.CAPTURED_NOTIFICATION,),
        "the captured body decoded as Latin-1 and encoded as UTF-8, which changes every Chinese character",
        _SIGNATURE + " over the raw bytes",
        Verdict.REJECTED, "INVALID_SIGNATURE", (), charset_mangled_body,
    ),
    Attack(
        "tampered-ciphertext", "Tampered ciphertext", "篡改密文",
        (Capability.CAPTURED_NOTIFICATION,),
        "the captured body with the last byte of the AES-GCM tag flipped",
        _SIGNATURE + "; AES-GCM authentication would also fail",
        Verdict.REJECTED, "INVALID_SIGNATURE", (), tampered_ciphertext,
    ),
    Attack(
        "algorithm-swap", "Swapped resource.algorithm", "替换 resource.algorithm",
        (Capability.CAPTURED_NOTIFICATION,),
        "the captured body with resource.algorithm changed to AEAD_SM4_GCM",
        _SIGNATURE + "; the algorithm check would also reject it",
        Verdict.REJECTED, "INVALID_SIGNATURE", (), algorithm_swap,
    ),
)

_BY_NAME = {attack.name: attack for attack in ATTACKS}


def catalog() -> list[Attack]:
    """Return every attack, in catalogue order."""
    return list(ATTACKS)


def get_attack(name: str) -> Attack:
    """Return the attack with this name.

    Raises:
        KeyError: no attack has this name; the message lists the names.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no attack named {name!r}; run `python -m wxpay_lesson attack --list` "
                       f"for the {len(ATTACKS)} names") from None


__all__ = ["ATTACKS", "Attack", "Capability", "Verdict", "catalog", "get_attack"]
