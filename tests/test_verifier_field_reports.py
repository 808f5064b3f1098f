"""Each verifier fault kind that real integrators hit, pinned with its minimal input.

The ids (B01...) are those of the kit's field-report catalogue; each test fixes the whole
kind of mistake, not one string.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from wxpay_lesson import (
    ApiV3KeyError,
    CallbackVerifier,
    DecryptionError,
    InvalidSignatureError,
    KeyConfigError,
    MalformedHeaderError,
    MalformedNotificationError,
    MissingHeaderError,
    SignatureProbeError,
    SimulatedPlatform,
    TimestampOutOfWindowError,
    UnknownSerialError,
    UnsupportedAlgorithmError,
    build_message,
    load_test_keys,
    reply,
)
from wxpay_lesson.simulator import compact_json

from .conftest import NOW

Signed = tuple[dict[str, str], bytes]


def resign(platform: SimulatedPlatform, headers: dict[str, str], body: bytes) -> dict[str, str]:
    """Sign a modified body with the platform key, keeping the other headers."""
    fresh = platform.sign(body, timestamp=int(headers["Wechatpay-Timestamp"]), nonce=headers["Wechatpay-Nonce"],
                          key_id=headers["Wechatpay-Serial"])
    return {**headers, **fresh}


# ---------------------------------------------------------------- B01 re-serialised body


@pytest.mark.parametrize("reserialise", [
    pytest.param(lambda raw: json.dumps(json.loads(raw)).encode(), id="spaces_and_escapes"),
    pytest.param(lambda raw: json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False).encode(), id="sorted"),
    pytest.param(lambda raw: json.dumps({k: v for k, v in json.loads(raw).items() if k != "summary"},
                                        separators=(",", ":"), ensure_ascii=False).encode(), id="dropped_field"),
    pytest.param(lambda raw: json.dumps(json.loads(raw), indent=2, ensure_ascii=False).encode(), id="pretty"),
])
def test_reserialized_body_is_rejected(verifier: CallbackVerifier, signed: Signed, reserialise: Any) -> None:
    headers, body = signed
    changed = reserialise(body)
    assert changed != body
    with pytest.raises(InvalidSignatureError):
        verifier.verify(headers, changed)


@pytest.mark.parametrize("body_kind", [dict, str, bytes.decode])
def test_parsed_or_decoded_body_raises_type_error(verifier: CallbackVerifier, signed: Signed, body_kind: Any) -> None:
    headers, body = signed
    given = json.loads(body) if body_kind is dict else body.decode("utf-8")
    with pytest.raises(TypeError, match="raw request body bytes"):
        verifier.verify(headers, given)  # type: ignore[arg-type]


def test_compact_redump_can_round_trip_by_luck(verifier: CallbackVerifier, signed: Signed) -> None:
    # A compact, order-preserving re-dump equals the raw bytes for this body, so a
    # round-trip test passes and proves nothing about the real traffic.
    headers, body = signed
    redumped = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    assert redumped == body
    assert verifier.verify(headers, redumped).id == "EV-TEST-0001"


@pytest.mark.parametrize("raw_variant", [
    pytest.param(lambda raw: raw.replace(b'","', b'", "', 1), id="space_after_comma"),
    pytest.param(lambda raw: raw.replace("支".encode(), b"\\u652f"), id="unicode_escape"),
    pytest.param(lambda raw: raw + b"\n", id="trailing_newline"),
])
def test_raw_bodies_that_a_redump_would_change(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                               signed: Signed, raw_variant: Any) -> None:
    # WeChat Pay signed exactly these bytes; only the untouched bytes verify.
    headers, body = signed
    raw = raw_variant(body)
    assert json.loads(raw) == json.loads(body)
    raw_headers = resign(platform, headers, raw)
    assert verifier.verify(raw_headers, raw).id == "EV-TEST-0001"
    redumped = json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode()
    with pytest.raises(InvalidSignatureError):
        verifier.verify(raw_headers, redumped)


# ---------------------------------------------------------------- B02 empty or consumed body


def test_empty_or_consumed_body_fails_closed(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, _ = signed
    with pytest.raises(InvalidSignatureError, match="body is empty") as caught:
        verifier.verify(headers, b"")
    assert reply(caught.value)[0] == 401


# ---------------------------------------------------------------- B03 charset


@pytest.mark.parametrize("mangle", [
    pytest.param(lambda raw: raw.decode("latin-1").encode("utf-8"), id="latin1_then_utf8"),
    pytest.param(lambda raw: raw.decode("utf-8").encode("gbk"), id="gbk"),
    pytest.param(lambda raw: raw.decode("utf-8").encode("utf-16"), id="utf16"),
])
def test_charset_mangled_body_is_rejected(verifier: CallbackVerifier, signed: Signed, mangle: Any) -> None:
    headers, body = signed
    with pytest.raises(InvalidSignatureError):
        verifier.verify(headers, mangle(body))


def test_signed_message_is_built_from_original_bytes() -> None:
    raw = '{"summary":"支付成功"}'.encode("utf-8")
    assert build_message("1704074400", "abc", raw) == b"1704074400\nabc\n" + raw + b"\n"


# ---------------------------------------------------------------- B04 message layout


def test_message_builder_uses_lf_and_three_lines() -> None:
    message = build_message("1704074400", "n0nce", b"{}")
    assert message == b"1704074400\nn0nce\n{}\n"
    assert message.count(b"\n") == 3
    assert b"\r" not in message


@pytest.mark.parametrize("wrong_builder", [
    pytest.param(lambda ts, nonce, body: f"{ts}\r\n{nonce}\r\n".encode() + body + b"\r\n", id="crlf"),
    pytest.param(lambda ts, nonce, body: f"{ts}\n{nonce}\n".encode() + body, id="no_final_lf"),
    pytest.param(lambda ts, nonce, body: f"{ts}\n{nonce}\n".encode() + body + body + b"\n", id="body_twice"),
    pytest.param(lambda ts, nonce, body: f"{nonce}\n{ts}\n".encode() + body + b"\n", id="swapped_fields"),
])
def test_wrong_message_layouts_fail(platform: SimulatedPlatform, signed: Signed, wrong_builder: Any) -> None:
    from wxpay_lesson import verify_signature

    headers, body = signed
    key = platform.public_keys[headers["Wechatpay-Serial"]].public_key()
    message = wrong_builder(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body)
    with pytest.raises(InvalidSignatureError):
        verify_signature(key, message, headers["Wechatpay-Signature"])
    verify_signature(key, build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body),
                     headers["Wechatpay-Signature"])


# ---------------------------------------------------------------- B06 timestamp


@pytest.mark.parametrize("offset", [300, 301, 3600, -300, -301, -3600])
def test_timestamp_outside_window_is_rejected(platform: SimulatedPlatform, signed: Signed, offset: int) -> None:
    headers, body = signed
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW + offset)
    with pytest.raises(TimestampOutOfWindowError) as caught:
        verifier.verify(headers, body)
    assert caught.value.skew_seconds == offset
    assert caught.value.http_status == 401


@pytest.mark.parametrize("offset", [0, 1, 299, -1, -299])
def test_timestamp_inside_window_is_accepted(platform: SimulatedPlatform, signed: Signed, offset: int) -> None:
    headers, body = signed
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW + offset)
    assert verifier.verify(headers, body).id == "EV-TEST-0001"


def test_message_uses_header_timestamp_not_server_clock(platform: SimulatedPlatform, signed: Signed) -> None:
    # The verifier's clock is one second later than the header: the message still
    # verifies, because it is built from the header value.
    headers, body = signed
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW + 1)
    assert verifier.verify(headers, body).id == "EV-TEST-0001"
    # The mistake: building the message from our own clock.
    from wxpay_lesson import verify_signature

    key = platform.public_keys[headers["Wechatpay-Serial"]].public_key()
    with pytest.raises(InvalidSignatureError):
        verify_signature(key, build_message(str(NOW + 1), headers["Wechatpay-Nonce"], body),
                         headers["Wechatpay-Signature"])


def test_changed_timestamp_breaks_signature(verifier: CallbackVerifier, signed: Signed) -> None:
    # Moving a stale capture's timestamp into the window does not help an attacker,
    # because the timestamp is part of the signed message.
    headers, body = signed
    with pytest.raises(InvalidSignatureError):
        verifier.verify({**headers, "Wechatpay-Timestamp": str(NOW + 5)}, body)


@pytest.mark.parametrize("value", ["2024-01-01T10:00:00+08:00", "1704074400.0", "-1704074400", " 1704074400",
                                   "0x65927fa0", "１７０４０７４４００"])
def test_malformed_timestamp_is_rejected(verifier: CallbackVerifier, signed: Signed, value: str) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, "Wechatpay-Timestamp": value}, body)
    assert caught.value.header == "Wechatpay-Timestamp"


# ---------------------------------------------------------------- B07 serial lookup


def test_serial_lookup_ignores_case_and_leading_zeros(platform: SimulatedPlatform, signed: Signed) -> None:
    headers, body = signed
    serial = headers["Wechatpay-Serial"]
    keys = {serial.lower(): platform.public_keys[serial]}
    verifier = CallbackVerifier(platform.api_v3_key, keys, clock=lambda: NOW)
    assert verifier.verify(headers, body).serial == serial
    assert verifier.verify({**headers, "Wechatpay-Serial": "00" + serial}, body).id == "EV-TEST-0001"


def test_unknown_serial_is_not_a_bad_signature(platform: SimulatedPlatform, signed: Signed) -> None:
    headers, body = signed
    merchant = load_test_keys().merchant_api
    verifier = CallbackVerifier(platform.api_v3_key, {merchant.serial: merchant.certificate}, clock=lambda: NOW)
    with pytest.raises(UnknownSerialError) as caught:
        verifier.verify(headers, body)
    assert not isinstance(caught.value, InvalidSignatureError)
    assert caught.value.known_serials == (merchant.serial,)
    assert merchant.serial in str(caught.value)
    assert "merchant's own API certificate" in str(caught.value)
    assert reply(caught.value)[0] == 401


def test_serial_stored_in_decimal_is_rejected_at_load(platform: SimulatedPlatform) -> None:
    certificate = platform.certificate(platform.certificate_serial)
    with pytest.raises(KeyConfigError, match="decimal"):
        CallbackVerifier(platform.api_v3_key, {str(certificate.serial_number): certificate})


def test_certificate_under_another_serial_is_rejected_at_load(platform: SimulatedPlatform) -> None:
    certificate = platform.certificate(platform.certificate_serial)
    with pytest.raises(KeyConfigError, match=platform.certificate_serial):
        CallbackVerifier(platform.api_v3_key, {platform.next_certificate_serial: certificate})


@pytest.mark.parametrize("material", ["not a pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 42])
def test_unusable_key_material_is_rejected_at_load(platform: SimulatedPlatform, material: Any) -> None:
    with pytest.raises(KeyConfigError):
        CallbackVerifier(platform.api_v3_key, {platform.certificate_serial: material})


# ---------------------------------------------------------------- B08 rotation


def test_unknown_serial_triggers_single_refresh_and_keeps_old(platform: SimulatedPlatform) -> None:
    old = platform.certificate_serial
    new = platform.next_certificate_serial
    calls: list[int] = []

    def refresh() -> dict[str, Any]:
        calls.append(1)
        return {new: platform.certificate(new)}

    verifier = CallbackVerifier(platform.api_v3_key, {old: platform.certificate(old)}, clock=lambda: NOW,
                                refresh_keys=refresh)
    resource = platform.transaction("ORDER-ROT-1", 100)
    headers, body = platform.notify(resource, timestamp=NOW, key_id=new)
    assert verifier.verify(headers, body).serial == new
    assert len(calls) == 1

    old_headers, old_body = platform.notify(resource, timestamp=NOW, key_id=old)
    assert verifier.verify(old_headers, old_body).serial == old
    assert verifier.verify(headers, body).serial == new
    assert len(calls) == 1


def test_refresh_without_new_serial_still_rejects(platform: SimulatedPlatform) -> None:
    old = platform.certificate_serial
    verifier = CallbackVerifier(platform.api_v3_key, {old: platform.certificate(old)}, clock=lambda: NOW,
                                refresh_keys=lambda: {old: platform.certificate(old)})
    headers, body = platform.notify(platform.transaction("ORDER-ROT-2", 100), timestamp=NOW,
                                    key_id=platform.next_certificate_serial)
    with pytest.raises(UnknownSerialError):
        verifier.verify(headers, body)


def test_refresh_is_rate_limited_under_a_burst(platform: SimulatedPlatform, signed: Signed) -> None:
    headers, body = signed
    now = [float(NOW)]
    calls: list[int] = []

    def refresh() -> dict[str, Any]:
        calls.append(1)
        return {}

    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: now[0],
                                refresh_keys=refresh, min_refresh_interval=60)
    for index in range(50):
        forged = {**headers, "Wechatpay-Serial": format(0xABC000 + index, "X")}
        with pytest.raises(UnknownSerialError):
            verifier.verify(forged, body)
    assert len(calls) == 1
    now[0] += 60
    with pytest.raises(UnknownSerialError):
        verifier.verify({**headers, "Wechatpay-Serial": "ABCDEF"}, body)
    assert len(calls) == 2


# ---------------------------------------------------------------- B09 public-key mode


def test_public_key_id_and_cert_serial_coexist(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    resource = platform.transaction("ORDER-PK-1", 100)
    by_certificate = platform.notify(resource, timestamp=NOW, key_id=platform.certificate_serial)
    by_public_key = platform.notify(resource, timestamp=NOW, key_id=platform.public_key_id)
    for headers, body in (by_certificate, by_public_key, by_certificate):
        assert verifier.verify(headers, body).serial == headers["Wechatpay-Serial"]


def test_unknown_public_key_id_hint(platform: SimulatedPlatform) -> None:
    verifier = CallbackVerifier(platform.api_v3_key,
                                {platform.certificate_serial: platform.certificate(platform.certificate_serial)},
                                clock=lambda: NOW)
    headers, body = platform.notify(platform.transaction("ORDER-PK-2", 100), timestamp=NOW, key_id=platform.public_key_id)
    with pytest.raises(UnknownSerialError, match="public-key mode"):
        verifier.verify(headers, body)


def test_public_key_id_is_matched_exactly(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    headers, body = platform.notify(platform.transaction("ORDER-PK-3", 100), timestamp=NOW, key_id=platform.public_key_id)
    serial = headers["Wechatpay-Serial"]
    with pytest.raises(UnknownSerialError):
        verifier.verify({**headers, "Wechatpay-Serial": serial[:-1] + "9"}, body)
    with pytest.raises(UnknownSerialError):
        verifier.verify({**headers, "Wechatpay-Serial": "PUB_KEY_ID_0" + serial[len("PUB_KEY_ID_"):]}, body)
    # Public-key ids are not hex numbers, so case is not folded: a lower-case id is malformed.
    with pytest.raises(MalformedHeaderError):
        verifier.verify({**headers, "Wechatpay-Serial": serial.lower()}, body)


def test_public_key_id_cannot_map_to_a_certificate(platform: SimulatedPlatform) -> None:
    with pytest.raises(KeyConfigError, match="public-key id"):
        CallbackVerifier(platform.api_v3_key, {platform.public_key_id: platform.certificate(platform.certificate_serial)})


# ---------------------------------------------------------------- B10 probe


def test_signtest_probe_is_rejected_not_crashing(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    headers, body = platform.notify(platform.transaction("ORDER-PROBE", 100), timestamp=NOW, probe=True)
    with caplog.at_level(logging.INFO, logger="wxpay_lesson.notification"):
        with pytest.raises(SignatureProbeError) as caught:
            verifier.verify(headers, body)
    status, _, reply_body = reply(caught.value)
    assert status == 401
    assert json.loads(reply_body)["code"] == "FAIL"
    probe_logs = [r for r in caplog.records if "probe" in r.getMessage()]
    assert probe_logs and all(r.levelno == logging.INFO for r in probe_logs)


def test_probe_with_unknown_serial_reports_the_serial_first(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    headers, body = platform.notify(platform.transaction("ORDER-PROBE", 100), timestamp=NOW, probe=True)
    with pytest.raises(UnknownSerialError):
        verifier.verify({**headers, "Wechatpay-Serial": "ABCDEF"}, body)


# ---------------------------------------------------------------- B11 APIv3 key


@pytest.mark.parametrize("key", ["0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
                                 "0123456789abcdef0123456789abcdef\n", "", b"\x00" * 16])
def test_api_v3_key_length_is_checked_at_construction(platform: SimulatedPlatform, key: str | bytes) -> None:
    raw = key.encode() if isinstance(key, str) else key
    with pytest.raises(ApiV3KeyError, match=f"got {len(raw)}") as caught:
        CallbackVerifier(key, platform.public_keys)
    assert isinstance(caught.value, ValueError)
    if isinstance(key, str) and key:
        assert key.strip() not in str(caught.value)


@pytest.mark.parametrize("key", [None, 12345, ["a" * 32]])
def test_api_v3_key_type_is_checked(platform: SimulatedPlatform, key: Any) -> None:
    with pytest.raises(ApiV3KeyError):
        CallbackVerifier(key, platform.public_keys)


def test_wrong_32_byte_key_is_a_decryption_error(platform: SimulatedPlatform, signed: Signed) -> None:
    headers, body = signed
    for wrong in ("fedcba9876543210fedcba9876543210", load_test_keys().api_v2_key):
        verifier = CallbackVerifier(wrong, platform.public_keys, clock=lambda: NOW)
        with pytest.raises(DecryptionError) as caught:
            verifier.verify(headers, body)
        assert caught.value.reason == "authentication_failed"
        assert "wrong" in str(caught.value)
        assert "associated_data" in str(caught.value)
        assert caught.value.http_status == 500
        assert wrong not in str(caught.value)


# ---------------------------------------------------------------- B12 GCM tampering


def _tamper_resource(platform: SimulatedPlatform, headers: dict[str, str], body: bytes, change: Any) -> Signed:
    envelope = json.loads(body)
    change(envelope["resource"])
    new_body = compact_json(envelope)
    return resign(platform, headers, new_body), new_body


def _flip_last_byte(resource: dict[str, str]) -> None:
    import base64

    raw = bytearray(base64.b64decode(resource["ciphertext"]))
    raw[-1] ^= 1
    resource["ciphertext"] = base64.b64encode(bytes(raw)).decode()


def _flip_first_byte(resource: dict[str, str]) -> None:
    import base64

    raw = bytearray(base64.b64decode(resource["ciphertext"]))
    raw[0] ^= 1
    resource["ciphertext"] = base64.b64encode(bytes(raw)).decode()


def _truncate(length: int) -> Any:
    def change(resource: dict[str, str]) -> None:
        import base64

        raw = base64.b64decode(resource["ciphertext"])
        resource["ciphertext"] = base64.b64encode(raw[:length]).decode()
    return change


@pytest.mark.parametrize("change,reason", [
    pytest.param(_flip_last_byte, "authentication_failed", id="tag_bit"),
    pytest.param(_flip_first_byte, "authentication_failed", id="ciphertext_bit"),
    pytest.param(lambda r: r.update(associated_data="refund"), "authentication_failed", id="associated_data"),
    pytest.param(lambda r: r.update(associated_data=""), "authentication_failed", id="associated_data_empty"),
    pytest.param(lambda r: r.update(nonce="Ab3dEf6hIj9X"), "authentication_failed", id="nonce"),
    pytest.param(_truncate(-1), "authentication_failed", id="truncated_by_one"),
    pytest.param(_truncate(15), "ciphertext_too_short", id="shorter_than_tag"),
])
def test_gcm_tampering_never_yields_plaintext(platform: SimulatedPlatform, verifier: CallbackVerifier, signed: Signed,
                                              change: Any, reason: str) -> None:
    headers, body = _tamper_resource(platform, *signed, change)
    with pytest.raises(DecryptionError) as caught:
        verifier.verify(headers, body)
    assert caught.value.reason == reason
    assert "ORDER-20240101-0001" not in str(caught.value)


@pytest.mark.parametrize("change,field", [
    pytest.param(lambda r: r.update(nonce="Ab3dEf6hIj9kAb3d"), "body.resource.nonce", id="nonce_16_chars"),
    pytest.param(lambda r: r.update(ciphertext="not base64!"), "body.resource.ciphertext", id="ciphertext_not_base64"),
])
def test_resource_format_errors_are_malformed(platform: SimulatedPlatform, verifier: CallbackVerifier, signed: Signed,
                                              change: Any, field: str) -> None:
    headers, body = _tamper_resource(platform, *signed, change)
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(headers, body)
    assert caught.value.field == field


# ---------------------------------------------------------------- B14 algorithm dispatch


@pytest.mark.parametrize("algorithm", ["AEAD_SM4_GCM", "AES_256_CBC", "aead_aes_256_gcm", ""])
def test_decrypt_dispatches_on_resource_algorithm(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                                  signed: Signed, algorithm: str) -> None:
    headers, body = _tamper_resource(platform, *signed, lambda r: r.update(algorithm=algorithm))
    with pytest.raises(UnsupportedAlgorithmError) as caught:
        verifier.verify(headers, body)
    assert caught.value.http_status == 500


def test_missing_algorithm_is_malformed(platform: SimulatedPlatform, verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = _tamper_resource(platform, *signed, lambda r: r.pop("algorithm"))
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(headers, body)
    assert caught.value.field == "body.resource.algorithm"


# ---------------------------------------------------------------- B17 headers


@pytest.mark.parametrize("name", ["Wechatpay-Serial", "Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce"])
def test_missing_header_fails_closed(verifier: CallbackVerifier, signed: Signed, name: str) -> None:
    headers, body = signed
    without = {k: v for k, v in headers.items() if k != name}
    with pytest.raises(MissingHeaderError) as caught:
        verifier.verify(without, body)
    assert caught.value.header == name
    assert reply(caught.value)[0] == 401
    with pytest.raises(MissingHeaderError):
        verifier.verify({**headers, name: ""}, body)


def test_header_lookup_is_case_insensitive(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    lowered = {k.lower(): v for k, v in headers.items()}
    upper = {k.upper(): v for k, v in headers.items()}
    assert verifier.verify(lowered, body).id == "EV-TEST-0001"
    assert verifier.verify(upper, body).id == "EV-TEST-0001"


def test_django_meta_headers_work(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    meta["CONTENT_LENGTH"] = str(len(body))
    assert verifier.verify(meta, body).id == "EV-TEST-0001"


def test_conflicting_duplicate_headers_are_rejected(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    doubled = {**headers, "wechatpay-serial": "ABCDEF"}
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify(doubled, body)
    assert caught.value.header == "Wechatpay-Serial"


@pytest.mark.parametrize("name,value", [
    ("Wechatpay-Nonce", "has space"),
    ("Wechatpay-Nonce", "line\nbreak"),
    ("Wechatpay-Serial", "XYZ"),
    ("Wechatpay-Serial", "PUB_KEY_ID_"),
    ("Wechatpay-Signature", "not base64!"),
    ("Wechatpay-Signature", "abc"),
])
def test_malformed_header_names_the_header(verifier: CallbackVerifier, signed: Signed, name: str, value: str) -> None:
    headers, body = signed
    with pytest.raises(MalformedHeaderError) as caught:
        verifier.verify({**headers, name: value}, body)
    assert caught.value.header == name


@pytest.mark.parametrize("value", ["WECHATPAY2-SM2-WITH-SM3", "WECHATPAY-BRAND-SHA256-RSA2048", "", "wechatpay2-sha256-rsa2048"])
def test_signature_type_allow_list(verifier: CallbackVerifier, signed: Signed, value: str) -> None:
    from wxpay_lesson import UnsupportedSignatureTypeError

    headers, body = signed
    with pytest.raises(UnsupportedSignatureTypeError):
        verifier.verify({**headers, "Wechatpay-Signature-Type": value}, body)


def test_absent_signature_type_defaults_to_rsa(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    without = {k: v for k, v in headers.items() if k != "Wechatpay-Signature-Type"}
    assert verifier.verify(without, body).id == "EV-TEST-0001"


# ---------------------------------------------------------------- check order


def test_checks_run_in_protocol_order(platform: SimulatedPlatform, signed: Signed) -> None:
    # A request wrong in every way reports the earliest failing step.
    headers, body = signed
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW + 10_000)
    broken = {**headers, "Wechatpay-Signature-Type": "OTHER", "Wechatpay-Serial": "ABCDEF"}
    from wxpay_lesson import UnsupportedSignatureTypeError

    with pytest.raises(UnsupportedSignatureTypeError):
        verifier.verify(broken, b"not json")
    with pytest.raises(TimestampOutOfWindowError):
        verifier.verify({**broken, "Wechatpay-Signature-Type": headers["Wechatpay-Signature-Type"]}, b"not json")


def test_envelope_is_parsed_only_after_signature(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, _ = signed
    with pytest.raises(InvalidSignatureError):
        verifier.verify(headers, b"not json at all")


@pytest.mark.parametrize("change,field", [
    pytest.param(lambda e: e.pop("id"), "body.id", id="no_id"),
    pytest.param(lambda e: e.update(resource_type="plain"), "body.resource_type", id="resource_type"),
    pytest.param(lambda e: e.update(resource="x"), "body.resource", id="resource_not_object"),
    pytest.param(lambda e: e["resource"].pop("ciphertext"), "body.resource.ciphertext", id="no_ciphertext"),
    pytest.param(lambda e: e.update(event_type=7), "body.event_type", id="event_type_number"),
])
def test_signed_but_malformed_envelope(platform: SimulatedPlatform, verifier: CallbackVerifier, signed: Signed,
                                       change: Any, field: str) -> None:
    headers, body = signed
    envelope = json.loads(body)
    change(envelope)
    new_body = compact_json(envelope)
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(resign(platform, headers, new_body), new_body)
    assert caught.value.field == field
    assert caught.value.http_status == 400


@pytest.mark.parametrize("raw", [b'{"id":"a","id":"b"}', b"[1,2]", b"\xff\xfe", b'{"x":NaN}'])
def test_signed_non_json_or_ambiguous_body(platform: SimulatedPlatform, verifier: CallbackVerifier, signed: Signed,
                                           raw: bytes) -> None:
    headers, _ = signed
    with pytest.raises(MalformedNotificationError):
        verifier.verify(resign(platform, headers, raw), raw)


def test_plaintext_that_is_not_json_is_malformed(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    encrypted = platform.encrypt(b"not json", associated_data="transaction", nonce="Ab3dEf6hIj9k")
    envelope = {"id": "EV-X", "create_time": "2024-01-01T10:00:00+08:00", "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
                "resource": {"original_type": "transaction", **encrypted}}
    body = compact_json(envelope)
    headers = platform.sign(body, timestamp=NOW, nonce="n" * 32)
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(headers, body)
    assert caught.value.field == "resource plaintext"


@pytest.mark.parametrize("change,field", [
    pytest.param(lambda t: t["amount"].update(total="9900"), "resource.amount.total", id="amount_string"),
    pytest.param(lambda t: t["amount"].update(total=99.0), "resource.amount.total", id="amount_float"),
    pytest.param(lambda t: t["amount"].update(total=True), "resource.amount.total", id="amount_bool"),
    pytest.param(lambda t: t.pop("out_trade_no"), "resource.out_trade_no", id="no_out_trade_no"),
])
def test_transaction_view_checks_types(platform: SimulatedPlatform, verifier: CallbackVerifier,
                                       change: Any, field: str) -> None:
    resource = platform.transaction("ORDER-T", 9900)
    change(resource)
    headers, body = platform.notify(resource, timestamp=NOW)
    with pytest.raises(MalformedNotificationError) as caught:
        verifier.verify(headers, body)
    assert caught.value.field == field


def test_refund_notification_has_refund_view(platform: SimulatedPlatform, verifier: CallbackVerifier) -> None:
    resource = platform.refund("ORDER-R", "REFUND-R", 9900, 100)
    headers, body = platform.notify(resource, event_type="REFUND.SUCCESS", timestamp=NOW)
    notification = verifier.verify(headers, body)
    assert notification.transaction is None
    assert notification.refund is not None
    assert notification.refund.amount_refund == 100
    assert notification.refund.refund_status == "SUCCESS"
    assert notification.original_type == "refund"


def test_transaction_view_fields(verifier: CallbackVerifier, signed: Signed) -> None:
    headers, body = signed
    notification = verifier.verify(headers, body)
    transaction = notification.transaction
    assert transaction is not None
    assert transaction.amount_total == 9900
    assert transaction.out_trade_no == "ORDER-20240101-0001"
    assert transaction.transaction_id == "4200000000000000000000000001"
    assert transaction.trade_state == "SUCCESS"
    assert transaction.payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert notification.summary == "支付成功"
    assert notification.create_time == "2024-01-01T10:00:00+08:00"


# ---------------------------------------------------------------- replies and secrets


def test_reply_success_is_204_empty() -> None:
    assert reply() == (204, {}, b"")


def test_reply_for_unexpected_exception_is_500() -> None:
    status, headers, body = reply(RuntimeError("database is down"))
    assert status == 500
    assert b"database" not in body
    assert json.loads(body) == {"code": "FAIL", "message": "internal error"}


def test_no_secret_in_errors_or_logs(platform: SimulatedPlatform, signed: Signed, caplog: pytest.LogCaptureFixture) -> None:
    headers, body = signed
    key = str(platform.api_v3_key)
    failures = []
    with caplog.at_level(logging.DEBUG):
        for verifier_key in (key, "fedcba9876543210fedcba9876543210"):
            verifier = CallbackVerifier(verifier_key, platform.public_keys, clock=lambda: NOW)
            for attempt_body in (body, body + b" ", b""):
                try:
                    verifier.verify(headers, attempt_body)
                except Exception as exc:  # every rejection is collected and inspected below
                    failures.append(exc)
            notification = verifier.verify(headers, body) if verifier_key == key else None
            if notification is not None:
                assert "ORDER-20240101-0001" not in repr(notification)
    assert failures
    texts = [str(exc) for exc in failures] + [repr(vars(exc)) for exc in failures] + [caplog.text]
    for text in texts:
        assert key not in text
        assert "fedcba9876543210fedcba9876543210" not in text
        assert "ORDER-20240101-0001" not in text
        assert body.decode()[:60] not in text
