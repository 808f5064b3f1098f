"""Adversarial inputs for the callback verifier, beyond the field-report cases.

Each test feeds one family of edge cases to the real `CallbackVerifier`, signed and
encrypted by the simulated platform with the fixed test keys. A bug found here is first
pinned by a test marked `xfail(strict=True)`, whose reason gives the input, what happens
and what should happen. The bugs found so far are fixed, and their tests now pass.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, request

from wxpay_lesson import (
    CallbackError,
    CallbackVerifier,
    DecryptionError,
    InvalidSignatureError,
    KeyConfigError,
    KeyRegistry,
    MalformedHeaderError,
    MalformedNotificationError,
    SignatureProbeError,
    SimulatedPlatform,
    TimestampOutOfWindowError,
    UnknownSerialError,
    UnsupportedAlgorithmError,
    build_message,
    encrypt_resource,
    reply,
    sign_message,
)
from wxpay_lesson.merchant.server import BackgroundServer
from wxpay_lesson.simulator import compact_json

from .conftest import NOW

Signed = tuple[dict[str, str], bytes]

RESOURCE_NONCE = "Ab3dEf6hIj9k"
HEADER_NONCE = "n" * 32
PUBLIC_KEY_ID = "PUB_KEY_ID_0000000000000000000000000000000001"
BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def sign_body(platform: SimulatedPlatform, body: bytes) -> Signed:
    """Sign any body with the current platform certificate at the fixed time."""
    return platform.sign(body, timestamp=NOW, nonce=HEADER_NONCE), body


def encrypted_resource(platform: SimulatedPlatform, plaintext: bytes, *, associated_data: str = "transaction",
                       nonce: str = RESOURCE_NONCE, original_type: str = "transaction") -> dict[str, Any]:
    """Encrypt a plaintext under the test APIv3 key into a `resource` object."""
    return {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": encrypt_resource(platform.api_v3_key, nonce, associated_data, plaintext),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def envelope_body(resource: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS") -> bytes:
    """Return a compact notification body around `resource`."""
    return compact_json({
        "id": "EV-ADV-0001",
        "create_time": "2024-01-01T10:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": resource,
    })


def signed_plaintext(platform: SimulatedPlatform, plaintext: bytes, event_type: str = "TRANSACTION.SUCCESS") -> Signed:
    """Encrypt and sign a notification whose resource decrypts to `plaintext`."""
    original_type = event_type.split(".", 1)[0].lower()
    resource = encrypted_resource(platform, plaintext, associated_data=original_type, original_type=original_type)
    return sign_body(platform, envelope_body(resource, event_type))


def exception_chain(error: BaseException) -> list[BaseException]:
    """Return an exception and every exception reachable through __cause__ and __context__."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def all_subclasses(cls: type) -> list[type]:
    found = []
    for subclass in cls.__subclasses__():
        found.append(subclass)
        found.extend(all_subclasses(subclass))
    return found


# ---------------------------------------------------------------- headers


def test_bytes_header_values_are_decoded(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    as_bytes = {name: value.encode("ascii") for name, value in headers.items()}
    assert verifier.verify(as_bytes, body).id == "EV-TEST-0001"


def test_non_ascii_bytes_header_value_is_malformed(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "Wechatpay-Nonce": "随机串".encode("utf-8")}, body)
    assert caught.value.header == "Wechatpay-Nonce"


def test_duplicate_names_differing_in_case_agree(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    serial = headers["Wechatpay-Serial"]
    doubled = {**headers, "wechatpay-serial": serial, "WECHATPAY-SERIAL": serial.encode("ascii")}
    assert verifier.verify(doubled, body).id == "EV-TEST-0001"


def test_serial_values_differing_in_case_conflict(verifier: CallbackVerifier, signed: Signed) -> None:
    # Hex serials compare as numbers, but two different header strings are still two
    # different headers, so the verifier does not pick one.
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "wechatpay-serial": headers["Wechatpay-Serial"].lower()}, body)
    assert caught.value.header == "Wechatpay-Serial"


def test_django_meta_key_conflicting_with_http_name(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "HTTP_WECHATPAY_NONCE": "x" * 32}, body)
    assert caught.value.header == "Wechatpay-Nonce"


def test_non_string_header_names_are_ignored(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    extra: dict[Any, Any] = {5: "five", None: "none", ("Wechatpay-Serial",): "ABCDEF"}
    assert verifier.verify({**headers, **extra}, body).id == "EV-TEST-0001"


def test_bytes_header_names_are_read(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    raw_asgi = {name.lower().encode("ascii"): value.encode("ascii") for name, value in headers.items()}
    assert verifier.verify(raw_asgi, body).id == "EV-TEST-0001"


@pytest.mark.parametrize("name,value", [
    ("Wechatpay-Nonce", "a" * 1_000_000),
    ("Wechatpay-Timestamp", "9" * 1_000_000),
    ("Wechatpay-Serial", "A" * 1_000_000),
    ("Wechatpay-Serial", "PUB_KEY_ID_" + "1" * 1_000_000),
])
def test_huge_header_value_is_malformed(verifier: CallbackVerifier, signed: Signed, name: str, value: str) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, name: value}, body)
    assert caught.value.header == name
    assert len(str(caught.value)) < 300


def test_huge_signature_is_invalid(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    with pytest.raises(InvalidSignatureError, match="256 bytes"):
        verifier.verify({**headers, "Wechatpay-Signature": "A" * 1_000_000}, body)


@pytest.mark.parametrize("headers", [None, [("Wechatpay-Serial", "ABCDEF")], "Wechatpay-Serial: ABCDEF"])
def test_headers_that_are_not_a_mapping(verifier: CallbackVerifier, signed: Signed, headers: Any) -> None:
    with pytest.raises(TypeError, match="mapping"):
        verifier.verify(headers, signed[1])


@pytest.mark.parametrize("control", ["\n", "\r", "\x1b[2K"])
def test_rejection_log_escapes_serial(verifier: CallbackVerifier, signed: Signed, caplog: pytest.LogCaptureFixture,
                                      control: str) -> None:
    headers, body = signed
    forged = f"ABCDEF{control}callback verified: id=EV-FORGED"
    with caplog.at_level(logging.INFO, logger="wxpay_lesson.notification"):
        with pytest.raises(MalformedHeaderError):
            verifier.verify({**headers, "Wechatpay-Serial": forged}, body)
    messages = [record.getMessage() for record in caplog.records]
    assert messages
    for message in messages:
        assert control not in message


# ---------------------------------------------------------------- timestamp


@pytest.mark.parametrize("offset,accepted", [
    (299.999, True),
    (-299.999, True),
    (300.0, False),
    (-300.0, False),
    (300.001, False),
])
def test_float_clock_at_window_edge(platform: SimulatedPlatform, signed: Signed, offset: float, accepted: bool) -> None:
    headers, body = signed
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW + offset)
    if accepted:
        assert verifier.verify(headers, body).id == "EV-TEST-0001"
        return
    with pytest.raises(TimestampOutOfWindowError) as caught:
        verifier.verify(headers, body)
    assert caught.value.skew_seconds == pytest.approx(offset)


def test_far_future_timestamp_is_out_of_window(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    with pytest.raises(TimestampOutOfWindowError, match="in the future"):
        verifier.verify({**headers, "Wechatpay-Timestamp": "99999999999"}, body)


def test_twelve_digit_timestamp_is_malformed(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "Wechatpay-Timestamp": "0" + "1" * 11}, body)
    assert caught.value.header == "Wechatpay-Timestamp"


def test_leading_zero_timestamp_is_signed_as_received(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                                      signed: Signed) -> None:
    # The message uses the header text, so "01704074400" verifies only if it was signed as such.
    headers, body = signed
    padded = "0" + str(NOW)
    private_key = platform.keys.platform.private_key
    resigned = {**headers, "Wechatpay-Timestamp": padded,
                "Wechatpay-Signature": sign_message(private_key, build_message(padded, headers["Wechatpay-Nonce"], body))}
    assert verifier.verify(resigned, body).id == "EV-TEST-0001"
    with pytest.raises(InvalidSignatureError):
        verifier.verify({**headers, "Wechatpay-Timestamp": padded}, body)


# ---------------------------------------------------------------- serial


@pytest.mark.parametrize("serial", [
    "0x3A1B5C7D9E2F40618293A4B5C6D7E8F901234567",
    " 3A1B5C7D9E2F40618293A4B5C6D7E8F901234567",
    "3A1B5C7D9E2F40618293A4B5C6D7E8F901234567\t",
    "pub_key_id_0112300001092024010100000000000001",
    "PUB_KEY_ID_0112300001092024010100000000000001 ",
    "PUB_KEY_ID_-1",
    "3A1B5C7D-9E2F",
])
def test_serial_variants_are_malformed(verifier: CallbackVerifier, signed: Signed, serial: str) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "Wechatpay-Serial": serial}, body)
    assert caught.value.header == "Wechatpay-Serial"


def test_decimal_serial_is_unknown(verifier: CallbackVerifier, signed: Signed) -> None:
    # A decimal serial is made of hex digits too, so it is read as another hex number.
    headers, body = signed
    decimal = str(int(headers["Wechatpay-Serial"], 16))
    with pytest.raises(UnknownSerialError) as caught:
        verifier.verify({**headers, "Wechatpay-Serial": decimal}, body)
    assert caught.value.serial == decimal


def test_leading_zero_serial_selects_same_key(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    padded = "0" * 24 + headers["Wechatpay-Serial"]
    assert verifier.verify({**headers, "Wechatpay-Serial": padded}, body).serial == padded


# ---------------------------------------------------------------- signature


def _change_signature(signature: str, kind: str) -> str:
    if kind == "url_safe":
        return signature.replace("+", "-").replace("/", "_")
    if kind == "no_padding":
        return signature.rstrip("=")
    if kind == "trailing_space":
        return signature + " "
    if kind == "line_break":
        return signature[:64] + "\n" + signature[64:]
    if kind == "mime_wrapped":
        return "\r\n".join(signature[i:i + 76] for i in range(0, len(signature), 76))
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["url_safe", "no_padding", "trailing_space", "line_break", "mime_wrapped"])
def test_signature_not_standard_base64_is_malformed(verifier: CallbackVerifier, signed: Signed, kind: str) -> None:
    headers, body = signed
    changed = _change_signature(headers["Wechatpay-Signature"], kind)
    assert changed != headers["Wechatpay-Signature"]
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "Wechatpay-Signature": changed}, body)
    assert caught.value.header == "Wechatpay-Signature"
    assert reply(caught.value)[0] == 400


@pytest.mark.parametrize("length", [1, 255, 257, 512])
def test_signature_of_wrong_length_is_invalid(verifier: CallbackVerifier, signed: Signed, length: int) -> None:
    headers, body = signed
    wrong = base64.b64encode(b"\x01" * length).decode("ascii")
    with pytest.raises(InvalidSignatureError, match=f"signature is {length} bytes"):
        verifier.verify({**headers, "Wechatpay-Signature": wrong}, body)


@pytest.mark.parametrize("tail_kind", ["valid_signature", "empty", "non_ascii", "not_base64"])
def test_probe_prefix_rejects_whatever_follows(verifier: CallbackVerifier, signed: Signed, tail_kind: str) -> None:
    # Stripping the prefix and verifying the rest would turn a probe into a 2xx: the
    # mistake that probes exist to catch. A valid signature after the prefix must not help.
    headers, body = signed
    tails = {"valid_signature": headers["Wechatpay-Signature"], "empty": "", "non_ascii": "签名探测", "not_base64": "!!"}
    probe = "WECHATPAY/SIGNTEST/" + tails[tail_kind]
    with pytest.raises(SignatureProbeError) as caught:
        verifier.verify({**headers, "Wechatpay-Signature": probe}, body)
    status, _, reply_body = reply(caught.value)
    assert status == 401
    assert json.loads(reply_body)["code"] == "FAIL"


def test_lower_case_probe_prefix_is_not_a_probe(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    # Every character of the lower-case prefix is in the base64 alphabet, so this is a
    # well-formed 256-byte signature that does not match.
    lowered = "wechatpay/signtest/" + headers["Wechatpay-Signature"][len("wechatpay/signtest/"):]
    with pytest.raises(InvalidSignatureError) as caught:
        verifier.verify({**headers, "Wechatpay-Signature": lowered}, body)
    assert not isinstance(caught.value, SignatureProbeError)


def test_non_canonical_base64_signature_is_rejected(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    signature = headers["Wechatpay-Signature"]
    assert signature.endswith("==")
    last = BASE64_ALPHABET.index(signature[-3])
    assert last & 0b1111 == 0
    changed = signature[:-3] + BASE64_ALPHABET[last | 0b0001] + "=="
    assert base64.b64decode(changed) == base64.b64decode(signature)
    with pytest.raises((MalformedHeaderError, InvalidSignatureError)):
        verifier.verify({**headers, "Wechatpay-Signature": changed}, body)


def test_1024_bit_key_is_rejected_at_construction(platform: SimulatedPlatform) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    with pytest.raises(KeyConfigError, match="1024 bits"):
        CallbackVerifier(platform.api_v3_key, {PUBLIC_KEY_ID: weak})


def test_4096_bit_key_verifies_its_own_signature(platform: SimulatedPlatform, signed: Signed) -> None:
    # NOTE: the scheme is named RSA2048, but the verifier accepts any RSA key of 2048 bits
    # or more. Only the signature length must match the configured key.
    headers, body = signed
    strong = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    verifier = CallbackVerifier(platform.api_v3_key, {PUBLIC_KEY_ID: strong.public_key()}, clock=lambda: NOW)
    signature = sign_message(strong, build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body))
    by_strong_key = {**headers, "Wechatpay-Serial": PUBLIC_KEY_ID, "Wechatpay-Signature": signature}
    assert verifier.verify(by_strong_key, body).id == "EV-TEST-0001"
    with pytest.raises(InvalidSignatureError, match="512 bytes"):
        verifier.verify({**headers, "Wechatpay-Serial": PUBLIC_KEY_ID}, body)


# ---------------------------------------------------------------- body


def test_signed_body_with_bom_is_malformed(platform: SimulatedPlatform, verifier: CallbackVerifier, signed: Signed) -> None:
    _, body = signed
    with pytest.raises(MalformedNotificationError, match="BOM") as caught:
        verifier.verify(*sign_body(platform, b"\xef\xbb\xbf" + body))
    assert caught.value.field == "body"


def test_signed_trailing_whitespace_verifies(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                             signed: Signed) -> None:
    _, body = signed
    assert verifier.verify(*sign_body(platform, body + b" \r\n\t")).id == "EV-TEST-0001"


@pytest.mark.parametrize("raw", [
    pytest.param(b"[" * 200_000 + b"]" * 200_000, id="nested_arrays"),
    pytest.param(b'{"a":' * 200_000 + b"1" + b"}" * 200_000, id="nested_objects"),
    pytest.param(b'{"x":-Infinity}', id="minus_infinity"),
    pytest.param(b'{"x":' + b"9" * 5000 + b"}", id="integer_of_5000_digits"),
    pytest.param(b'{"id":"EV","id":"EV"}', id="duplicate_equal_keys"),
    pytest.param(b"", id="empty"),
    pytest.param(b"null", id="null"),
])
def test_signed_hostile_body_is_malformed(platform: SimulatedPlatform, verifier: CallbackVerifier, raw: bytes) -> None:
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(*sign_body(platform, raw))
    assert caught.value.field == "body"
    assert caught.value.http_status == 400


# ---------------------------------------------------------------- resource


@pytest.mark.parametrize("variant", ["missing", "empty", "null"])
def test_empty_associated_data_forms_decrypt(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                             variant: str) -> None:
    plaintext = compact_json(platform.transaction("ORDER-AAD", 100))
    resource = encrypted_resource(platform, plaintext, associated_data="")
    if variant == "missing":
        del resource["associated_data"]
    elif variant == "null":
        resource["associated_data"] = None
    notification = verifier.verify(*sign_body(platform, envelope_body(resource)))
    assert notification.transaction is not None
    assert notification.transaction.out_trade_no == "ORDER-AAD"


def test_dropped_associated_data_fails_authentication(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    plaintext = compact_json(platform.transaction("ORDER-AAD", 100))
    resource = encrypted_resource(platform, plaintext)
    del resource["associated_data"]
    with pytest.raises(DecryptionError) as caught:
        verifier.verify(*sign_body(platform, envelope_body(resource)))
    assert caught.value.reason == "authentication_failed"


def _sealed_bytes(resource: dict[str, Any], length: int) -> None:
    sealed = base64.b64decode(resource["ciphertext"])
    resource["ciphertext"] = base64.b64encode(sealed[:length]).decode("ascii")


@pytest.mark.parametrize("change,error,detail", [
    pytest.param(lambda r: r.update(nonce="Ab3dEf6hIj9"), MalformedNotificationError, "body.resource.nonce",
                 id="nonce_11"),
    pytest.param(lambda r: r.update(nonce="随机串随机串随机串随机串"), MalformedNotificationError, "body.resource.nonce",
                 id="nonce_12_chars_36_bytes"),
    pytest.param(lambda r: r.update(nonce=12), MalformedNotificationError, "body.resource.nonce", id="nonce_number"),
    pytest.param(lambda r: r.update(ciphertext=""), DecryptionError, "ciphertext_too_short", id="ciphertext_empty"),
    pytest.param(lambda r: _sealed_bytes(r, 16), DecryptionError, "authentication_failed", id="ciphertext_only_tag"),
    pytest.param(lambda r: r.update(ciphertext=r["ciphertext"][:40] + "\n" + r["ciphertext"][40:]),
                 MalformedNotificationError, "body.resource.ciphertext", id="ciphertext_line_break"),
    pytest.param(lambda r: r.update(ciphertext=r["ciphertext"].replace("+", "-").replace("/", "_") + "-_"),
                 MalformedNotificationError, "body.resource.ciphertext", id="ciphertext_url_safe"),
    pytest.param(lambda r: r.update(ciphertext="密文"), MalformedNotificationError, "body.resource.ciphertext",
                 id="ciphertext_non_ascii"),
    pytest.param(lambda r: r.update(algorithm=None), MalformedNotificationError, "body.resource.algorithm",
                 id="algorithm_null"),
    pytest.param(lambda r: r.update(associated_data=7), MalformedNotificationError, "body.resource.associated_data",
                 id="associated_data_number"),
])
def test_resource_edge_cases(platform: SimulatedPlatform, verifier: CallbackVerifier, change: Callable[[dict], Any],
                             error: type[CallbackError], detail: str) -> None:
    resource = encrypted_resource(platform, compact_json(platform.transaction("ORDER-RES", 100)))
    change(resource)
    with pytest.raises(error) as caught:
        verifier.verify(*sign_body(platform, envelope_body(resource)))
    assert detail in (getattr(caught.value, "field", None), getattr(caught.value, "reason", None))


@pytest.mark.parametrize("algorithm", ["Aead_Aes_256_Gcm", "AEAD_AES_256_GCM ", "AEAD_AES_128_GCM"])
def test_algorithm_is_compared_exactly(platform: SimulatedPlatform, verifier: CallbackVerifier, algorithm: str) -> None:
    resource = encrypted_resource(platform, compact_json(platform.transaction("ORDER-ALG", 100)))
    resource["algorithm"] = algorithm
    with pytest.raises(UnsupportedAlgorithmError) as caught:
        verifier.verify(*sign_body(platform, envelope_body(resource)))
    assert caught.value.http_status == 500


# ---------------------------------------------------------------- plaintext


@pytest.mark.parametrize("plaintext", [
    pytest.param(b"[1,2]", id="array"),
    pytest.param(b'"paid"', id="string"),
    pytest.param(b"", id="empty"),
    pytest.param(b'{"amount":{"total":1},"amount":{"total":9900}}', id="duplicate_keys"),
    pytest.param(b'{"amount":{"total":NaN}}', id="nan"),
    pytest.param(b'\xef\xbb\xbf{"out_trade_no":"X"}', id="bom"),
    pytest.param(b'{"out_trade_no":"\xff"}', id="not_utf8"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deep_nesting"),
])
def test_hostile_plaintext_is_malformed(platform: SimulatedPlatform, verifier: CallbackVerifier, plaintext: bytes) -> None:
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(*signed_plaintext(platform, plaintext))
    assert caught.value.field == "resource plaintext"
    assert caught.value.http_status == 400


@pytest.mark.parametrize("change,field", [
    pytest.param(lambda t: t.pop("mchid"), "resource.mchid", id="no_mchid"),
    pytest.param(lambda t: t.pop("trade_state"), "resource.trade_state", id="no_trade_state"),
    pytest.param(lambda t: t.update(trade_state=None), "resource.trade_state", id="trade_state_null"),
    pytest.param(lambda t: t.update(amount=[9900]), "resource.amount", id="amount_array"),
    pytest.param(lambda t: t.update(amount=None), "resource.amount", id="amount_null"),
    pytest.param(lambda t: t["amount"].update(total=99.5), "resource.amount.total", id="total_fraction"),
    pytest.param(lambda t: t["amount"].update(payer_total="9900"), "resource.amount.payer_total", id="payer_total_string"),
    pytest.param(lambda t: t["amount"].update(payer_total=False), "resource.amount.payer_total", id="payer_total_bool"),
    pytest.param(lambda t: t["amount"].update(currency=156), "resource.amount.currency", id="currency_number"),
    pytest.param(lambda t: t.update(transaction_id=4200000000), "resource.transaction_id", id="transaction_id_number"),
    pytest.param(lambda t: t["payer"].update(openid=["o"]), "resource.payer.openid", id="openid_array"),
])
def test_transaction_view_rejects_wrong_fields(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                               change: Callable[[dict], Any], field: str) -> None:
    transaction = platform.transaction("ORDER-TX", 9900)
    change(transaction)
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(*signed_plaintext(platform, compact_json(transaction)))
    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize("payer", ["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", ["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"]])
def test_transaction_payer_wrong_type_rejected(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                                     payer: Any) -> None:
    transaction = platform.transaction("ORDER-PAYER", 9900)
    transaction["payer"] = payer
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(*signed_plaintext(platform, compact_json(transaction)))
    assert caught.value.field.startswith("resource.payer")


def test_transaction_view_with_only_required_fields(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    minimal = {"out_trade_no": "ORDER-MIN", "trade_state": "SUCCESS", "mchid": "1230000109", "amount": {"total": 1}}
    transaction = verifier.verify(*signed_plaintext(platform, compact_json(minimal))).transaction
    assert transaction is not None
    assert transaction.amount_total == 1
    assert transaction.transaction_id is None
    assert transaction.payer_openid is None
    assert transaction.currency is None


@pytest.mark.parametrize("change,field", [
    pytest.param(lambda r: r.pop("out_refund_no"), "resource.out_refund_no", id="no_out_refund_no"),
    pytest.param(lambda r: r.update(status=r.pop("refund_status")), "resource.refund_status",
                 id="query_name_status"),
    pytest.param(lambda r: r["amount"].update(refund="100"), "resource.amount.refund", id="refund_string"),
    pytest.param(lambda r: r["amount"].update(refund=1.0), "resource.amount.refund", id="refund_float"),
    pytest.param(lambda r: r["amount"].update(refund=True), "resource.amount.refund", id="refund_bool"),
    pytest.param(lambda r: r["amount"].pop("total"), "resource.amount.total", id="no_total"),
])
def test_refund_view_rejects_wrong_fields(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                          change: Callable[[dict], Any], field: str) -> None:
    refund = platform.refund("ORDER-RF", "REFUND-RF", 9900, 100)
    change(refund)
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(*signed_plaintext(platform, compact_json(refund), "REFUND.SUCCESS"))
    assert caught.value.field == field


def test_view_chosen_by_event_type(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    # A refund plaintext under a TRANSACTION event has no trade_state, so no view is guessed.
    refund = platform.refund("ORDER-MIX", "REFUND-MIX", 9900, 100)
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(*signed_plaintext(platform, compact_json(refund), "TRANSACTION.SUCCESS"))
    assert caught.value.field == "resource.trade_state"


def test_other_event_types_have_no_typed_view(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    echo = compact_json({"echo_message": "hello", "encrypt_echo_message": "aGVsbG8="})
    notification = verifier.verify(*signed_plaintext(platform, echo, "SECURITY_ECHO.SUCCESS"))
    assert notification.transaction is None
    assert notification.refund is None
    assert notification.resource["echo_message"] == "hello"


# ---------------------------------------------------------------- secrets


def test_malformed_header_message_escapes_value(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "Wechatpay-Serial": "AB\nCD"}, body)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("plaintext", [
    pytest.param(b'{"out_trade_no":"SECRET-ORDER-0001",', id="json_error"),
    pytest.param(b'{"out_trade_no":"SECRET-ORDER-0001\xff"}', id="utf8_error"),
])
def test_error_chain_carries_no_plaintext(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                          plaintext: bytes) -> None:
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(*signed_plaintext(platform, plaintext))
    for error in exception_chain(caught.value):
        texts = [str(error), repr(error)] + [repr(value) for value in vars(error).values()]
        texts += [repr(getattr(error, name, None)) for name in ("doc", "object", "args")]
        for text in texts:
            assert "SECRET-ORDER-0001" not in text


def test_decryption_error_chain_is_clean(platform: SimulatedPlatform, signed: Signed) -> None:
    headers, body = signed
    verifier = CallbackVerifier("fedcba9876543210fedcba9876543210", platform.public_keys, clock=lambda: NOW)
    with pytest.raises(DecryptionError) as caught:
        verifier.verify(headers, body)
    for error in exception_chain(caught.value):
        assert "fedcba9876543210fedcba9876543210" not in repr(vars(error))
        assert str(platform.api_v3_key) not in repr(vars(error))
        assert body.decode("utf-8")[:40] not in repr(vars(error))


def test_verifier_repr_hides_api_v3_key(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    assert str(platform.api_v3_key) not in repr(verifier)
    assert str(platform.api_v3_key) not in str(verifier)


# ---------------------------------------------------------------- reply


@pytest.mark.parametrize("error_class", all_subclasses(CallbackError) + [CallbackError],
                         ids=lambda cls: cls.__name__)
def test_reply_never_2xx_for_any_callback_error(error_class: type[CallbackError]) -> None:
    error = error_class.__new__(error_class)
    status, headers, body = reply(error)
    assert 400 <= status <= 599
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"code": "FAIL", "message": error_class.reply_message}


@pytest.mark.parametrize("error", [ValueError("x"), KeyboardInterrupt(), KeyConfigError("x"), TypeError("x")],
                         ids=lambda error: type(error).__name__)
def test_reply_for_other_exceptions_is_500(error: BaseException) -> None:
    status, _, body = reply(error)
    assert status == 500
    assert json.loads(body)["code"] == "FAIL"


def test_reply_for_falsy_exception_is_still_failure() -> None:
    class FalsyError(Exception):
        def __bool__(self) -> bool:
            return False

    assert reply(FalsyError())[0] == 500


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize("value", ["300", 0, -1, math.nan, True, None])
def test_bad_max_clock_skew_is_rejected(platform: SimulatedPlatform, value: Any) -> None:
    with pytest.raises(ValueError, match="max_clock_skew"):
        CallbackVerifier(platform.api_v3_key, platform.public_keys, max_clock_skew=value)


@pytest.mark.parametrize("key", ["é" * 16, "0123456789abcdef0123456789abcdef".encode("utf-16-le")])
def test_api_v3_key_bytes_not_characters(platform: SimulatedPlatform, key: str | bytes) -> None:
    # 16 characters of two UTF-8 bytes are 32 bytes; 32 UTF-16 characters are 64 bytes.
    if isinstance(key, bytes):
        with pytest.raises(ValueError, match="got 64"):
            CallbackVerifier(key, platform.public_keys)
        return
    # WeChat Pay's APIv3 key is 32 ASCII characters, so a non-ASCII key is a configuration mistake.
    with pytest.raises(ValueError, match="ASCII"):
        CallbackVerifier(key, platform.public_keys)


def _config_case(reason: str, **overrides: Any) -> Any:
    # The reason documents the mistake that each configuration would cause.
    return pytest.param(overrides, id="-".join(f"{name}={value!r}" for name, value in overrides.items()))


@pytest.mark.parametrize("overrides", [
    _config_case("max_clock_skew=inf passes the 'positive number' check and turns the timestamp "
                 "window off, so a notification captured years ago verifies; WeChat Pay asks for at "
                 "most 5 minutes, so the value must be finite", max_clock_skew=math.inf),
    _config_case("public_keys=None is taken as no keys, so every callback fails later with "
                 "UnknownSerialError; None should be rejected at construction", public_keys=None),
    _config_case("public_keys={} without refresh_keys can never verify a callback, and is accepted",
                 public_keys={}),
    _config_case("clock=None is accepted and fails on the first callback with an untyped TypeError",
                 clock=None),
    _config_case("a clock that is not callable is accepted and fails on the first callback", clock=1704074400),
    _config_case("refresh_keys that is not callable is accepted and fails with an untyped TypeError "
                 "on the first unknown serial", refresh_keys={"ABCDEF": "pem"}),
    _config_case("min_refresh_interval='60' (text) is accepted and raises an untyped TypeError on the "
                 "second unknown serial", min_refresh_interval="60"),
    _config_case("a negative min_refresh_interval is accepted and turns the download-storm limit off",
                 min_refresh_interval=-1),
    _config_case("min_refresh_interval=nan is accepted, and after one refresh no refresh ever runs "
                 "again, so a rotated certificate is never loaded", min_refresh_interval=math.nan),
])
def test_bad_configuration_rejected_at_construction(platform: SimulatedPlatform, overrides: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"api_v3_key": platform.api_v3_key, "public_keys": platform.public_keys}
    arguments.update(overrides)
    field_name = next(iter(overrides))
    with pytest.raises((ValueError, TypeError)) as caught:
        CallbackVerifier(**arguments)
    assert field_name in str(caught.value)


# ---------------------------------------------------------------- key refresh


def _rotated_notification(platform: SimulatedPlatform) -> Signed:
    return platform.notify(platform.transaction("ORDER-ROT", 100), timestamp=NOW,
                           key_id=platform.next_certificate_serial)


@pytest.mark.parametrize("failure", ["network", "not_a_mapping"])
def test_failed_key_refresh_is_a_callback_error(platform: SimulatedPlatform, failure: str) -> None:
    def refresh() -> Any:
        if failure == "network":
            raise OSError("connection refused")
        return None

    old = platform.certificate_serial
    verifier = CallbackVerifier(platform.api_v3_key, {old: platform.certificate(old)}, clock=lambda: NOW,
                                refresh_keys=refresh)
    with pytest.raises(CallbackError) as caught:
        verifier.verify(*_rotated_notification(platform))
    assert reply(caught.value)[0] >= 400


def test_invalid_refresh_result_adds_no_key(platform: SimulatedPlatform) -> None:
    old, new = platform.certificate_serial, platform.next_certificate_serial
    registry = KeyRegistry({old: platform.certificate(old)})
    with pytest.raises(KeyConfigError):
        registry.update({new: platform.certificate(new), "ABCDEF": "not a pem"})
    assert registry.serials() == [old]


def test_no_refresh_for_stale_or_malformed(platform: SimulatedPlatform) -> None:
    calls: list[int] = []

    def refresh() -> dict[str, Any]:
        calls.append(1)
        return {}

    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW + 3600,
                                refresh_keys=refresh)
    headers, body = _rotated_notification(platform)
    with pytest.raises(TimestampOutOfWindowError):
        verifier.verify(headers, body)
    with pytest.raises(MalformedHeaderError):
        verifier.verify({**headers, "Wechatpay-Serial": "not hex"}, body)
    assert calls == []


# ---------------------------------------------------------------- simulated platform


def test_simulated_probe_has_real_probe_shape(platform: SimulatedPlatform) -> None:
    # A real probe posted in a wechatpay-java issue is the prefix and 336 characters, 355
    # in all, and its tail decodes to 250 bytes, not the 256 of an RSA-2048 signature.
    headers, _ = platform.notify(platform.transaction("ORDER-PROBE", 100), timestamp=NOW, probe=True)
    signature = headers["Wechatpay-Signature"]
    assert signature.startswith("WECHATPAY/SIGNTEST/")
    assert len(signature) == 355
    assert len(base64.b64decode(signature[len("WECHATPAY/SIGNTEST/"):])) == 250


def test_simulated_envelope_field_order(platform: SimulatedPlatform, signed: Signed) -> None:
    # The field order of the example notification in wechatpay-go's tests, which signs these bytes.
    _, body = signed
    envelope = json.loads(body)
    assert list(envelope) == ["id", "create_time", "resource_type", "event_type", "summary", "resource"]
    assert list(envelope["resource"]) == ["original_type", "algorithm", "ciphertext", "associated_data", "nonce"]


def test_simulated_echo_original_type(platform: SimulatedPlatform) -> None:
    echo = {"echo_message": "hello", "encrypt_echo_message": "aGVsbG8="}
    _, body = platform.notify(echo, event_type="SECURITY_ECHO.SUCCESS", timestamp=NOW)
    assert json.loads(body)["resource"]["original_type"] == "security"


# ---------------------------------------------------------------- over real HTTP


def verifier_app(verifier: CallbackVerifier) -> Flask:
    """Build a Flask app whose POST /notify verifies the callback and sends `reply()`."""
    app = Flask("adversarial_notify")

    @app.post("/notify")
    def notify() -> Response:
        try:
            verifier.verify(request.headers, request.get_data())
        except Exception as exc:  # every failure, typed or not, becomes the reply under test
            status, headers, body = reply(exc)
        else:
            status, headers, body = reply()
        return Response(body, status=status, headers=headers)

    return app


@pytest.fixture
def notify_port(verifier: CallbackVerifier) -> Iterator[int]:
    with BackgroundServer(verifier_app(verifier), name="adversarial-notify") as server:
        assert server.port is not None
        yield server.port


def post_raw(port: int, header_lines: bytes, body: bytes) -> tuple[int, bytes]:
    """Send a POST /notify with header lines exactly as given and return (status, body)."""
    request_bytes = (b"POST /notify HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     + b"Content-Length: %d\r\n" % len(body) + header_lines + b"\r\n" + body)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request_bytes)
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    head, _, response_body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), response_body


def header_lines(headers: dict[str, str]) -> bytes:
    return b"".join(f"{name}: {value}\r\n".encode("utf-8") for name, value in headers.items())


def test_http_genuine_callback_gets_204(notify_port: int, signed: Signed) -> None:
    headers, body = signed
    assert post_raw(notify_port, header_lines(headers), body) == (204, b"")


@pytest.mark.parametrize("case", ["probe", "duplicate_signature", "folded_serial", "serial_with_tab"])
def test_http_hostile_headers_never_get_2xx(platform: SimulatedPlatform, notify_port: int, signed: Signed,
                                            case: str) -> None:
    headers, body = signed
    lines = header_lines(headers)
    if case == "probe":
        probe_headers, body = platform.notify(platform.transaction("ORDER-PROBE", 100), timestamp=NOW, probe=True)
        lines = header_lines(probe_headers)
    elif case == "duplicate_signature":
        lines += b"wechatpay-signature: " + base64.b64encode(b"\x00" * 256) + b"\r\n"
    elif case == "folded_serial":
        # obs-fold: a continuation line that starts with a tab belongs to the serial.
        lines = lines.replace(b"Wechatpay-Serial: ", b"Wechatpay-Serial: ABCDEF\r\n\t", 1)
    else:
        lines = lines.replace(b"Wechatpay-Serial: ", b"Wechatpay-Serial: ABC\tDEF", 1)
    status, reply_body = post_raw(notify_port, lines, body)
    assert 400 <= status <= 599
    assert json.loads(reply_body)["code"] == "FAIL"


def test_http_escape_sequence_stays_out_of_log(notify_port: int, signed: Signed,
                                               caplog: pytest.LogCaptureFixture) -> None:
    headers, body = signed
    forged = {**headers, "Wechatpay-Serial": "ABCDEF\x1b[2Kcallback verified: id=EV-FORGED"}
    with caplog.at_level(logging.INFO, logger="wxpay_lesson.notification"):
        status, _ = post_raw(notify_port, header_lines(forged), body)
    assert status == 400
    rejections = [record.getMessage() for record in caplog.records if "rejected" in record.getMessage()]
    assert rejections
    for message in rejections:
        assert "\x1b" not in message
