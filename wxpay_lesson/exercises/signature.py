"""Checks for the exercises of notebooks 00, 01 and 02: trust, anatomy and signatures.

Each `check_*` function calls the learner's function on hidden cases built with the
simulated platform and its fixed TEST-ONLY keys, and returns a `CheckReport` that names
the cases that pass and, for each failure, what was expected. Every case uses a fixed
timestamp and fixed nonces, so a report reads the same on every run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from ..aead import encrypt_resource
from ..errors import (
    CallbackError,
    DecryptionError,
    InvalidSignatureError,
    MissingHeaderError,
    UnknownSerialError,
)
from ..signature import build_message, sign_message
from ..simulator import SimulatedPlatform, compact_json
from ._checking import CheckReport

# 2024-01-01T10:00:00+08:00, the fixed "now" of every case.
FIXED_NOW = 1704074400
_HEADER_NONCE = "kQ3vT8wZ1yB6nM4pR7sD2fG5hJ9cX0aE"
_RESOURCE_NONCE = "u5Wq8Rt2Yp4L"

PARTIES = frozenset({"merchant", "wechatpay", "client"})

# Who may hold each secret. The client (app, mini program or web page) runs on the
# user's device, so it holds none of them.
SECRET_HOLDERS: dict[str, frozenset[str]] = {
    "apiv3_key": frozenset({"merchant", "wechatpay"}),
    "apiv2_key": frozenset({"merchant", "wechatpay"}),
    "merchant_api_private_key": frozenset({"merchant"}),
    "platform_private_key": frozenset({"wechatpay"}),
    "wechatpay_public_key_private_key": frozenset({"wechatpay"}),
}

# (message source, whether the sender proved who it is) → may the order state change?
# Only a verified callback or a verified order-query reply comes from WeChat Pay.
ORDER_CHANGE_CASES: tuple[tuple[str, bool, bool], ...] = (
    ("callback", True, True),
    ("callback", False, False),
    ("order_query", True, True),
    ("order_query", False, False),
    ("client", True, False),
    ("client", False, False),
    ("return_url", True, False),
    ("return_url", False, False),
)

SIGNATURE_HEADER_FIELDS = ("timestamp", "nonce", "serial", "signature")


def _platform() -> SimulatedPlatform:
    return SimulatedPlatform(clock=lambda: FIXED_NOW)


@lru_cache(maxsize=1)
def _genuine() -> tuple[dict[str, str], bytes]:
    platform = _platform()
    resource = platform.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
    return platform.notify(resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE,
                           notification_id="EV-CHECK-0001")


def _describe_difference(expected: bytes, actual: bytes) -> str:
    """Name the likeliest cause of a wrong signed message, without printing the body."""
    if actual.count(b"\r\n") > expected.count(b"\r\n"):
        return "the message contains CRLF; every line must end with LF (\\n) only"
    if actual == expected[:-1]:
        return "the final LF is missing; the body line ends with \\n too"
    if actual.rstrip(b"\n") == expected.rstrip(b"\n"):
        return "the number of LF characters at the end is wrong; the body must be kept exactly as received"
    if len(actual) != len(expected):
        return f"expected {len(expected)} bytes, got {len(actual)}"
    first = next(i for i, (a, b) in enumerate(zip(expected, actual)) if a != b)
    return f"the bytes differ from offset {first} on"


def outcome(action: Callable[[], Any]) -> str:
    """Run `action` and return `OK`, or the class name and code of the `CallbackError` it raised.

    The notebooks use it to show many verification attempts in one cell. Other
    exceptions propagate, because they are bugs rather than rejections.
    """
    try:
        action()
    except CallbackError as exc:
        return f"{type(exc).__name__} ({exc.code})"
    return "OK"


# ---------------------------------------------------------------- notebook 00


def check_key_holders(fn: Callable[[str], Any]) -> CheckReport:
    """Check `fn(secret_name) -> set of parties` that may hold each secret.

    Parties are `merchant`, `wechatpay` and `client`.
    """
    report = CheckReport("key holders")
    for secret, expected in SECRET_HOLDERS.items():

        def case(secret: str = secret, expected: frozenset[str] = expected) -> tuple[bool, str]:
            answer = fn(secret)
            if not isinstance(answer, (set, frozenset)):
                return False, f"return a set of parties, like {{'merchant'}}; got {type(answer).__name__}"
            unknown = set(answer) - PARTIES
            if unknown:
                return False, f"unknown parties {sorted(unknown)}; use merchant, wechatpay or client"
            if "client" in answer:
                return False, "the client runs on the user's device, where anyone can read it: it holds no secret"
            if set(answer) != expected:
                return False, f"expected {sorted(expected)}, got {sorted(answer)}"
            return True, ""

        report.run_case(secret, case)
    return report


def check_may_change_order(fn: Callable[[str, bool], Any]) -> CheckReport:
    """Check `fn(source, verified) -> bool`: may this message change the order state?"""
    report = CheckReport("may change order")
    for source, verified, expected in ORDER_CHANGE_CASES:

        def case(source: str = source, verified: bool = verified, expected: bool = expected) -> tuple[bool, str]:
            answer = fn(source, verified)
            if not isinstance(answer, bool):
                return False, f"return True or False; got {type(answer).__name__}"
            if answer == expected:
                return True, ""
            if expected:
                return False, f"a verified {source} message comes from WeChat Pay: it may change the order"
            if source in ("client", "return_url"):
                return False, (f"a {source} message comes from the user's device; even from a logged-in user "
                               "it proves nothing about the payment")
            return False, f"an unverified {source} message may come from anyone"

        label = f"{source}, verified={verified}"
        report.run_case(label, case)
    return report


# ---------------------------------------------------------------- notebook 01


def _header_cases() -> list[tuple[str, dict[str, str]]]:
    headers, _ = _genuine()
    wanted = {name: value for name, value in headers.items() if name.lower().startswith("wechatpay-")}
    return [
        ("canonical names", dict(headers)),
        ("lower-case names (FastAPI, Go)", {name.lower(): value for name, value in wanted.items()}),
        ("upper-case names", {name.upper(): value for name, value in wanted.items()}),
        ("Django request.META names",
         {"HTTP_" + name.upper().replace("-", "_"): value for name, value in wanted.items()}),
    ]


def check_signature_headers(fn: Callable[[Mapping[str, str]], Any]) -> CheckReport:
    """Check `fn(headers) -> dict` with keys timestamp, nonce, serial and signature.

    Header names are case-insensitive, and Django's `HTTP_WECHATPAY_*` names count too.
    A missing or empty header must raise `MissingHeaderError`.
    """
    report = CheckReport("signature headers")
    genuine_headers, _ = _genuine()
    expected = {
        "timestamp": genuine_headers["Wechatpay-Timestamp"],
        "nonce": genuine_headers["Wechatpay-Nonce"],
        "serial": genuine_headers["Wechatpay-Serial"],
        "signature": genuine_headers["Wechatpay-Signature"],
    }
    for label, headers in _header_cases():

        def found(headers: dict[str, str] = headers) -> tuple[bool, str]:
            answer = fn(dict(headers))
            if not isinstance(answer, Mapping):
                return False, f"return a dict; got {type(answer).__name__}"
            missing = [key for key in SIGNATURE_HEADER_FIELDS if key not in answer]
            if missing:
                return False, f"the dict lacks the keys {missing}"
            wrong = [key for key in SIGNATURE_HEADER_FIELDS if answer[key] != expected[key]]
            if wrong:
                return False, f"wrong values for {wrong}; copy each header value exactly, as text"
            return True, ""

        report.run_case(label, found)

    for removed in ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature"):
        without = {name: value for name, value in genuine_headers.items() if name != removed}
        empty = dict(genuine_headers, **{removed: ""})
        for label, headers in ((f"{removed} missing", without), (f"{removed} empty", empty)):

            def rejected(headers: dict[str, str] = headers) -> tuple[bool, str]:
                try:
                    answer = fn(dict(headers))
                except MissingHeaderError:
                    return True, ""
                return False, f"returned {type(answer).__name__} instead of raising MissingHeaderError"

            report.run_case(label, rejected)
    return report


def _sealed_body(platform: SimulatedPlatform, plaintext: bytes, associated_data: str | None,
                 original_type: str, event_type: str) -> bytes:
    resource: dict[str, Any] = {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": encrypt_resource(platform.api_v3_key, _RESOURCE_NONCE, associated_data or "", plaintext),
        "nonce": _RESOURCE_NONCE,
    }
    if associated_data is not None:
        resource["associated_data"] = associated_data
    envelope = {
        "id": "EV-CHECK-0002",
        "create_time": "2024-01-01T10:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": resource,
    }
    return compact_json(envelope)


def check_decrypt_notification(fn: Callable[[str, bytes], Any]) -> CheckReport:
    """Check `fn(api_v3_key, body) -> dict`: the decrypted resource of a verified body.

    A wrong key or a changed ciphertext must raise `DecryptionError`.
    """
    report = CheckReport("decrypt notification")
    platform = _platform()
    transaction = platform.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
    refund = platform.refund("ORDER-20240101-0001", "REFUND-20240101-0001", 9900, 3300)
    _, transaction_body = _genuine()
    _, refund_body = platform.notify(refund, event_type="REFUND.SUCCESS", timestamp=FIXED_NOW,
                                     nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE)
    no_associated_data = _sealed_body(platform, compact_json(transaction), None, "transaction", "TRANSACTION.SUCCESS")

    for label, body, expected in (
        ("TRANSACTION.SUCCESS", transaction_body, transaction),
        ("REFUND.SUCCESS (associated_data refund)", refund_body, refund),
        ("associated_data absent (decrypt with empty associated data)", no_associated_data, transaction),
    ):

        def decrypted(body: bytes = body, expected: dict[str, Any] = expected) -> tuple[bool, str]:
            answer = fn(platform.api_v3_key, body)
            if isinstance(answer, (bytes, str)):
                return False, "return the decrypted JSON parsed into a dict, not bytes or text"
            if answer != expected:
                return False, "the decrypted dict differs from the resource that was encrypted"
            return True, ""

        report.run_case(label, decrypted)

    tampered = json.loads(transaction_body)
    sealed = tampered["resource"]["ciphertext"]
    tampered["resource"]["ciphertext"] = ("A" if sealed[0] != "A" else "B") + sealed[1:]
    changed_ad = json.loads(transaction_body)
    changed_ad["resource"]["associated_data"] = "refund"
    for label, key, body in (
        ("wrong APIv3 key", "fedcba9876543210fedcba9876543210", transaction_body),
        ("APIv2 key used as the APIv3 key", platform.keys.api_v2_key, transaction_body),
        ("ciphertext changed", platform.api_v3_key, compact_json(tampered)),
        ("associated_data changed", platform.api_v3_key, compact_json(changed_ad)),
    ):

        def rejected(key: str = key, body: bytes = body) -> tuple[bool, str]:
            try:
                fn(key, body)
            except DecryptionError:
                return True, ""
            return False, "returned a result; an authentication failure must raise DecryptionError"

        report.run_case(label, rejected)
    return report


# ---------------------------------------------------------------- notebook 02


def check_build_message(fn: Callable[[str, str, bytes], Any]) -> CheckReport:
    """Check `fn(timestamp, nonce, body) -> bytes` against the signed-message rule."""
    report = CheckReport("build message")
    _, genuine_body = _genuine()
    cases = (
        ("a notification body", "1704074400", _HEADER_NONCE, genuine_body),
        ("a body with Chinese text", "1704074400", "n0nce", '{"summary":"支付成功"}'.encode("utf-8")),
        ("a body that ends with a newline", "1704074401", "n0nce", b'{"a":1}\n'),
        ("a body with CRLF inside", "1704074402", "n0nce", b'{"a":\r\n1}'),
        ("an empty body (a 204 reply)", "1704074403", "n0nce", b""),
    )
    for label, timestamp, nonce, body in cases:

        def built(timestamp: str = timestamp, nonce: str = nonce, body: bytes = body) -> tuple[bool, str]:
            answer = fn(timestamp, nonce, body)
            if isinstance(answer, str):
                return False, "returned str; return bytes, because the signature covers bytes"
            if not isinstance(answer, bytes):
                return False, f"return bytes; got {type(answer).__name__}"
            expected = build_message(timestamp, nonce, body)
            if answer == expected:
                return True, ""
            return False, _describe_difference(expected, answer)

        report.run_case(label, built)
    return report


def _verification_cases() -> list[tuple[str, dict[str, str], bytes, type[CallbackError] | None]]:
    platform = _platform()
    headers, body = _genuine()
    resource = platform.transaction("ORDER-20240101-0002", 100, transaction_id="4200000000000000000000000002")
    public_key_headers, public_key_body = platform.notify(
        resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE,
        key_id=platform.public_key_id)
    probe_headers, probe_body = platform.notify(resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE,
                                                resource_nonce=_RESOURCE_NONCE, probe=True)
    rotated_headers, rotated_body = platform.notify(
        resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE,
        key_id=platform.next_certificate_serial)

    index = body.index(b"2024")
    one_byte_changed = body[:index] + b"2025" + body[index + 4:]
    forged = dict(headers)
    forged["Wechatpay-Signature"] = sign_message(
        platform.keys.attacker.private_key,
        build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body))
    new_timestamp = dict(headers, **{"Wechatpay-Timestamp": str(FIXED_NOW + 60)})
    return [
        ("genuine, platform certificate", headers, body, None),
        ("genuine, WeChat Pay public key (PUB_KEY_ID_)", public_key_headers, public_key_body, None),
        ("one byte of the body changed", headers, one_byte_changed, InvalidSignatureError),
        ("Wechatpay-Timestamp changed", new_timestamp, body, InvalidSignatureError),
        ("signed by an attacker's key", forged, body, InvalidSignatureError),
        ("WECHATPAY/SIGNTEST/ probe", probe_headers, probe_body, InvalidSignatureError),
        ("serial of a certificate not loaded", rotated_headers, rotated_body, UnknownSerialError),
    ]


def check_verify_callback(fn: Callable[[Mapping[str, str], bytes, Mapping[str, Any]], Any]) -> CheckReport:
    """Check `fn(headers, body, public_keys)`, which returns on success and raises on failure.

    `public_keys` maps Wechatpay-Serial values to RSA public keys. An unknown serial must
    raise `UnknownSerialError`. A signature that does not match must raise
    `InvalidSignatureError`, and its subclass `SignatureProbeError` counts as one.
    """
    report = CheckReport("verify callback")
    platform = _platform()
    public_keys = {
        platform.certificate_serial: platform.keys.platform.public_key,
        platform.public_key_id: platform.keys.wechatpay_public_key.public_key,
    }
    for label, headers, body, expected_error in _verification_cases():

        def verified(headers: dict[str, str] = headers, body: bytes = body,
                     expected_error: type[CallbackError] | None = expected_error) -> tuple[bool, str]:
            try:
                fn(dict(headers), body, dict(public_keys))
            except CallbackError as exc:
                if expected_error is None:
                    return False, f"a genuine callback raised {type(exc).__name__}; choose the key by Wechatpay-Serial"
                if isinstance(exc, expected_error):
                    return True, ""
                return False, f"raised {type(exc).__name__}; expected {expected_error.__name__}"
            if expected_error is not None:
                return False, f"accepted it; expected {expected_error.__name__}"
            return True, ""

        report.run_case(label, verified)
    return report


# (Wechatpay-Timestamp header, seconds from FIXED_NOW to the header, expected freshness)
_WINDOW_CASES: tuple[tuple[str, str, bool], ...] = (
    ("same second", str(FIXED_NOW), True),
    ("299 s in the past", str(FIXED_NOW - 299), True),
    ("299 s in the future", str(FIXED_NOW + 299), True),
    ("300 s in the past", str(FIXED_NOW - 300), False),
    ("300 s in the future", str(FIXED_NOW + 300), False),
    ("1 hour in the past (a replay)", str(FIXED_NOW - 3600), False),
    ("1 day in the future", str(FIXED_NOW + 86400), False),
    ("not Unix seconds: 2024-01-01T10:00:00+08:00", "2024-01-01T10:00:00+08:00", False),
    ("empty", "", False),
)


def check_timestamp_window(fn: Callable[[str, float], Any]) -> CheckReport:
    """Check `fn(timestamp, now) -> bool`: is the header within 300 s of `now`, either way?

    A value that is not decimal Unix seconds must return False.
    """
    report = CheckReport("timestamp window")
    for label, timestamp, expected in _WINDOW_CASES:

        def judged(timestamp: str = timestamp, expected: bool = expected) -> tuple[bool, str]:
            answer = fn(timestamp, float(FIXED_NOW))
            if not isinstance(answer, bool):
                return False, f"return True or False; got {type(answer).__name__}"
            if answer == expected:
                return True, ""
            if expected:
                return False, "this timestamp is within the window; accept it"
            return False, "reject it: a distance of 300 s or more, in the past or the future, is outside the window"

        report.run_case(label, judged)
    return report


__all__ = [
    "check_build_message",
    "check_decrypt_notification",
    "check_key_holders",
    "check_may_change_order",
    "check_signature_headers",
    "check_timestamp_window",
    "check_verify_callback",
    "outcome",
]
