"""The callback doctor on captures broken the way integrators' servers break them.

Every capture starts as a genuine notification of the simulated platform. It is then
re-serialised, re-encoded, emptied or padded, sent with a serial the merchant has not
loaded, replayed or probed, decrypted with the wrong key, or given swapped headers.
Each case checks the failing step and the top cause, and that the doctor agrees with
`CallbackVerifier.verify` about the outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from wxpay_lesson import (
    ApiV3KeyError,
    CallbackError,
    CallbackVerifier,
    KeyConfigError,
    KeyRegistry,
    SimulatedPlatform,
    load_test_keys,
)
from wxpay_lesson.doctor import CAUSE_CODES, STEP_NAMES, Diagnosis, compare_messages, diagnose
from wxpay_lesson.doctor.texts import CAUSES, SUBCAUSES
from wxpay_lesson.signature import build_message

from .conftest import NOW

BOM = b"\xef\xbb\xbf"
OTHER_32_BYTE_KEY = "Zq8vN3kP5tY1wR7xB2mD4fH6jL9sC0aE"


@dataclass
class Case:
    """A broken capture and the keys and clock the doctor runs with."""

    headers: dict[str, str]
    body: bytes
    public_keys: dict[str, Any]
    api_v3_key: str | bytes | None
    now: float = NOW
    caller_message: bytes | None = None


def genuine(platform: SimulatedPlatform, *, key_id: str | None = None, nonce: str = "f" * 32,
            probe: bool = False) -> tuple[dict[str, str], bytes]:
    resource = platform.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
    return platform.notify(resource, timestamp=NOW, nonce=nonce, resource_nonce="Ab3dEf6hIj9k",
                           notification_id="EV-TEST-0001", key_id=key_id, probe=probe)


def resign(platform: SimulatedPlatform, headers: dict[str, str], body: bytes) -> dict[str, str]:
    fresh = platform.sign(body, timestamp=int(headers["Wechatpay-Timestamp"]), nonce=headers["Wechatpay-Nonce"],
                          key_id=headers["Wechatpay-Serial"])
    return {**headers, **fresh}


def case(platform: SimulatedPlatform, *, body: Callable[[bytes], bytes] = lambda raw: raw,
         **options: Any) -> Case:
    headers, raw = genuine(platform)
    options.setdefault("api_v3_key", platform.api_v3_key)
    return Case(headers, body(raw), platform.public_keys, **options)


def compact(value: Any, **options: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), **options).encode("utf-8")


def camel_case(raw: bytes) -> bytes:
    text = raw.decode("utf-8")
    for snake, camel in (("create_time", "createTime"), ("resource_type", "resourceType"),
                         ("event_type", "eventType"), ("original_type", "originalType"),
                         ("associated_data", "associatedData")):
        text = text.replace(f'"{snake}"', f'"{camel}"')
    return text.encode("utf-8")


def without_summary(raw: bytes) -> bytes:
    return compact({key: value for key, value in json.loads(raw).items() if key != "summary"})


# ---------------------------------------------------------------- the broken captures


def build_reserialized_spaces(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: json.dumps(json.loads(raw)).encode())


def build_reserialized_pretty(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: json.dumps(json.loads(raw), indent=2, ensure_ascii=False).encode())


def build_reserialized_escapes(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: json.dumps(json.loads(raw), separators=(",", ":")).encode())


def build_reserialized_sorted(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: compact(json.loads(raw), sort_keys=True))


def build_reserialized_missing_summary(platform: SimulatedPlatform) -> Case:
    return case(platform, body=without_summary)


def build_reserialized_camel_case(platform: SimulatedPlatform) -> Case:
    return case(platform, body=camel_case)


def build_charset_latin1(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: raw.decode("latin-1").encode("utf-8"))


def build_charset_gbk(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: raw.decode("utf-8").encode("gbk"))


def build_body_empty(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: b"")


def build_extra_bom(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: BOM + raw)


def build_extra_newline(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: raw + b"\n")


def build_extra_crlf(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: raw + b"\r\n")


def build_serial_public_key_mode(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform, key_id=platform.public_key_id)
    certificate_only = {platform.certificate_serial: platform.certificate(platform.certificate_serial)}
    return Case(headers, body, certificate_only, platform.api_v3_key)


def build_serial_certificate_mode(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    public_key_only = {platform.public_key_id: platform.keys.wechatpay_public_key.public_key}
    return Case(headers, body, public_key_only, platform.api_v3_key)


def build_serial_merchant_certificate(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    merchant = load_test_keys().merchant_api
    return Case(headers, body, {merchant.serial: merchant.certificate}, platform.api_v3_key)


def build_serial_decimal(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    certificate = platform.certificate(platform.certificate_serial)
    return Case(headers, body, {str(certificate.serial_number): certificate}, platform.api_v3_key)


def build_serial_decimal_bare_key(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    certificate = platform.certificate(platform.certificate_serial)
    return Case(headers, body, {str(certificate.serial_number): certificate.public_key()}, platform.api_v3_key)


def build_serial_keys_swapped(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform, key_id=platform.public_key_id)
    keys = {platform.public_key_id: platform.keys.platform.public_key,
            "ABCDEF01": platform.keys.wechatpay_public_key.public_key}
    return Case(headers, body, keys, platform.api_v3_key)


def build_serial_rotated(platform: SimulatedPlatform) -> Case:
    platform.rotate()
    headers, body = genuine(platform)
    return Case(headers, body, platform.public_keys, platform.api_v3_key)


def build_timestamp_skew_past(platform: SimulatedPlatform) -> Case:
    return case(platform, now=NOW + 400)


def build_timestamp_skew_future(platform: SimulatedPlatform) -> Case:
    return case(platform, now=NOW - 301)


def build_timestamp_replayed(platform: SimulatedPlatform) -> Case:
    return case(platform, now=NOW + 3 * 86400)


def build_probe(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform, probe=True)
    return Case(headers, body, platform.public_keys, platform.api_v3_key)


def build_key_length_short(platform: SimulatedPlatform) -> Case:
    return case(platform, api_v3_key="0123456789abcdef0123456789abcde")


def build_key_length_newline(platform: SimulatedPlatform) -> Case:
    return case(platform, api_v3_key=str(platform.api_v3_key) + "\n")


def build_key_apiv2(platform: SimulatedPlatform) -> Case:
    return case(platform, api_v3_key=load_test_keys().api_v2_key)


def build_key_other(platform: SimulatedPlatform) -> Case:
    return case(platform, api_v3_key=OTHER_32_BYTE_KEY)


def build_associated_data_edited(platform: SimulatedPlatform) -> Case:
    return case(platform, body=lambda raw: raw.replace(b'"associated_data":"transaction"',
                                                       b'"associated_data":"refund"'))


def build_associated_data_resigned(platform: SimulatedPlatform) -> Case:
    headers, raw = genuine(platform)
    body = raw.replace(b'"associated_data":"transaction"', b'"associated_data":""')
    return Case(resign(platform, headers, body), body, platform.public_keys, platform.api_v3_key)


def build_headers_swapped(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    swapped = {**headers, "Wechatpay-Timestamp": headers["Wechatpay-Nonce"],
               "Wechatpay-Nonce": headers["Wechatpay-Timestamp"]}
    return Case(swapped, body, platform.public_keys, platform.api_v3_key)


def build_headers_swapped_numeric_nonce(platform: SimulatedPlatform) -> Case:
    # A nonce of digits passes as a timestamp, so the swap shows only at the signature.
    headers, body = genuine(platform, nonce=str(NOW + 100))
    swapped = {**headers, "Wechatpay-Timestamp": headers["Wechatpay-Nonce"],
               "Wechatpay-Nonce": headers["Wechatpay-Timestamp"]}
    return Case(swapped, body, platform.public_keys, platform.api_v3_key)


def build_header_missing(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    del headers["Wechatpay-Nonce"]
    return Case(headers, body, platform.public_keys, platform.api_v3_key)


def build_signature_type(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    return Case({**headers, "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}, body, platform.public_keys,
                platform.api_v3_key)


def build_algorithm(platform: SimulatedPlatform) -> Case:
    headers, raw = genuine(platform)
    body = raw.replace(b'"algorithm":"AEAD_AES_256_GCM"', b'"algorithm":"AEAD_SM4_GCM"')
    return Case(resign(platform, headers, body), body, platform.public_keys, platform.api_v3_key)


def build_ciphertext_truncated(platform: SimulatedPlatform) -> Case:
    headers, raw = genuine(platform)
    envelope = json.loads(raw)
    envelope["resource"]["ciphertext"] = envelope["resource"]["ciphertext"][:16]
    body = compact(envelope)
    return Case(resign(platform, headers, body), body, platform.public_keys, platform.api_v3_key)


def build_forged(platform: SimulatedPlatform) -> Case:
    headers, raw = genuine(platform)
    body = raw.replace(b"EV-TEST-0001", b"EV-TEST-0002")
    return Case(headers, body, platform.public_keys, platform.api_v3_key)


def build_merchant_key_under_platform_serial(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    merchant_key = load_test_keys().merchant_api.public_key
    return Case(headers, body, {platform.certificate_serial: merchant_key}, platform.api_v3_key)


def build_verifies(platform: SimulatedPlatform) -> Case:
    return case(platform)


def build_verifies_without_key(platform: SimulatedPlatform) -> Case:
    return case(platform, api_v3_key=None)


def build_caller_crlf(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    message = f"{headers['Wechatpay-Timestamp']}\r\n{headers['Wechatpay-Nonce']}\r\n".encode() + body + b"\r\n"
    return Case(headers, body, platform.public_keys, platform.api_v3_key, caller_message=message)


def build_caller_no_final_newline(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    message = build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body)[:-1]
    return Case(headers, body, platform.public_keys, platform.api_v3_key, caller_message=message)


def build_caller_server_clock(platform: SimulatedPlatform) -> Case:
    headers, body = genuine(platform)
    message = build_message(str(NOW + 1), headers["Wechatpay-Nonce"], body)
    return Case(headers, body, platform.public_keys, platform.api_v3_key, caller_message=message)


# id: (builder, failing step, top cause, top sub-cause)
CASES: dict[str, tuple[Callable[[SimulatedPlatform], Case], str | None, str, str | None]] = {
    "reserialized_spaces": (build_reserialized_spaces, "signature", "BODY_RESERIALIZED", None),
    "reserialized_pretty": (build_reserialized_pretty, "signature", "BODY_RESERIALIZED", None),
    "reserialized_escapes": (build_reserialized_escapes, "signature", "BODY_RESERIALIZED", None),
    "reserialized_sorted": (build_reserialized_sorted, "signature", "BODY_RESERIALIZED", None),
    "reserialized_missing_summary": (build_reserialized_missing_summary, "signature", "BODY_RESERIALIZED", None),
    "reserialized_camel_case": (build_reserialized_camel_case, "signature", "BODY_RESERIALIZED", None),
    "charset_latin1": (build_charset_latin1, "signature", "BODY_CHARSET_CHANGED", None),
    "charset_gbk": (build_charset_gbk, "signature", "BODY_CHARSET_CHANGED", None),
    "body_empty": (build_body_empty, "signature", "BODY_EMPTY", None),
    "extra_bom": (build_extra_bom, "signature", "BODY_EXTRA_BYTES", None),
    "extra_newline": (build_extra_newline, "signature", "BODY_EXTRA_BYTES", None),
    "extra_crlf": (build_extra_crlf, "signature", "BODY_EXTRA_BYTES", None),
    "serial_public_key_mode": (build_serial_public_key_mode, "serial", "SERIAL_UNKNOWN", "PUBLIC_KEY_MODE"),
    "serial_certificate_mode": (build_serial_certificate_mode, "serial", "SERIAL_UNKNOWN", "CERTIFICATE_MODE"),
    "serial_merchant_certificate": (build_serial_merchant_certificate, "serial", "SERIAL_UNKNOWN",
                                    "MERCHANT_CERTIFICATE"),
    "serial_decimal": (build_serial_decimal, "serial", "SERIAL_UNKNOWN", "DECIMAL_SERIAL"),
    "serial_decimal_bare_key": (build_serial_decimal_bare_key, "serial", "SERIAL_UNKNOWN", "DECIMAL_SERIAL"),
    "serial_rotated": (build_serial_rotated, "serial", "SERIAL_UNKNOWN", "NOT_LOADED"),
    "serial_keys_swapped": (build_serial_keys_swapped, "signature", "SERIAL_KEY_MISMATCH", None),
    "timestamp_skew_past": (build_timestamp_skew_past, "timestamp", "TIMESTAMP_OUT_OF_WINDOW", "CLOCK_SKEW"),
    "timestamp_skew_future": (build_timestamp_skew_future, "timestamp", "TIMESTAMP_OUT_OF_WINDOW", "CLOCK_SKEW"),
    "timestamp_replayed": (build_timestamp_replayed, "timestamp", "TIMESTAMP_OUT_OF_WINDOW", "OLD_CAPTURE"),
    "probe": (build_probe, "signature", "SIGNATURE_PROBE", None),
    "key_length_short": (build_key_length_short, "decryption", "APIV3_KEY_LENGTH", None),
    "key_length_newline": (build_key_length_newline, "decryption", "APIV3_KEY_LENGTH", "KEY_WHITESPACE"),
    "key_apiv2": (build_key_apiv2, "decryption", "APIV3_KEY_WRONG", "LOOKS_LIKE_APIV2_KEY"),
    "key_other": (build_key_other, "decryption", "APIV3_KEY_WRONG", None),
    "associated_data_edited": (build_associated_data_edited, "signature", "ASSOCIATED_DATA_CHANGED", None),
    "associated_data_resigned": (build_associated_data_resigned, "decryption", "ASSOCIATED_DATA_CHANGED", None),
    "headers_swapped": (build_headers_swapped, "headers", "HEADERS_SWAPPED", None),
    "headers_swapped_numeric_nonce": (build_headers_swapped_numeric_nonce, "signature", "HEADERS_SWAPPED", None),
    "header_missing": (build_header_missing, "headers", "HEADER_MISSING", None),
    "signature_type": (build_signature_type, "signature_type", "SIGNATURE_TYPE_UNSUPPORTED", None),
    "algorithm": (build_algorithm, "algorithm", "ALGORITHM_UNSUPPORTED", None),
    "ciphertext_truncated": (build_ciphertext_truncated, "decryption", "CIPHERTEXT_DAMAGED", None),
    "forged": (build_forged, "signature", "SIGNATURE_MISMATCH", None),
    "merchant_key_under_platform_serial": (build_merchant_key_under_platform_serial, "signature",
                                           "SIGNATURE_MISMATCH", "MERCHANT_KEY"),
    "verifies": (build_verifies, None, "CAPTURE_VERIFIES", None),
    "verifies_without_key": (build_verifies_without_key, None, "CAPTURE_VERIFIES", None),
    "caller_crlf": (build_caller_crlf, None, "CAPTURE_VERIFIES", None),
    "caller_no_final_newline": (build_caller_no_final_newline, None, "CAPTURE_VERIFIES", None),
    "caller_server_clock": (build_caller_server_clock, None, "CAPTURE_VERIFIES", None),
}


def run_doctor(built: Case) -> Diagnosis:
    return diagnose(built.headers, built.body, public_keys=built.public_keys, api_v3_key=built.api_v3_key,
                    clock=lambda: built.now, caller_message=built.caller_message)


def verifier_outcome(built: Case) -> str | None:
    """Return the error code `CallbackVerifier` gives for the capture, or None when it verifies."""
    usable = {}
    for serial, material in built.public_keys.items():
        try:
            KeyRegistry({serial: material})
        except KeyConfigError:
            continue
        usable[serial] = material
    if not usable:
        # With no usable key the verifier cannot even be built; any serial is unknown.
        return "UNKNOWN_SERIAL"
    try:
        verifier = CallbackVerifier(built.api_v3_key, usable, clock=lambda: built.now)
    except ApiV3KeyError as exc:
        return exc.code
    try:
        verifier.verify(built.headers, built.body)
    except CallbackError as exc:
        return exc.code
    return None


@pytest.mark.parametrize("name", list(CASES))
def test_doctor_failing_step(platform: SimulatedPlatform, name: str) -> None:
    builder, step, _, _ = CASES[name]
    diagnosis = run_doctor(builder(platform))
    assert diagnosis.failed_step == step
    assert diagnosis.ok is (step is None)


@pytest.mark.parametrize("name", list(CASES))
def test_doctor_top_cause(platform: SimulatedPlatform, name: str) -> None:
    builder, _, code, subcause = CASES[name]
    diagnosis = run_doctor(builder(platform))
    top = diagnosis.top_cause
    assert top is not None
    assert top.code == code, diagnosis.render("en")
    assert top.subcause == subcause, diagnosis.render("en")


@pytest.mark.parametrize("name", list(CASES))
def test_doctor_agrees_with_verifier(platform: SimulatedPlatform, name: str) -> None:
    builder, _, _, _ = CASES[name]
    built = builder(platform)
    if built.api_v3_key is None:
        built.api_v3_key = platform.api_v3_key
    diagnosis = run_doctor(built)
    expected_code = verifier_outcome(built)
    if expected_code is None:
        assert diagnosis.ok
    else:
        assert diagnosis.failed_step is not None
        assert diagnosis.step(diagnosis.failed_step).code == expected_code


def test_doctor_covers_every_issue_cause_code() -> None:
    required = {"BODY_RESERIALIZED", "BODY_CHARSET_CHANGED", "BODY_EMPTY", "BODY_EXTRA_BYTES", "SERIAL_UNKNOWN",
                "TIMESTAMP_OUT_OF_WINDOW", "SIGNATURE_PROBE", "APIV3_KEY_LENGTH", "APIV3_KEY_WRONG",
                "ASSOCIATED_DATA_CHANGED", "HEADERS_SWAPPED", "CAPTURE_VERIFIES"}
    assert required <= set(CAUSE_CODES)
    tested = {code for _, _, code, _ in CASES.values()}
    assert required <= tested


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_cause_and_subcause_has_both_languages(lang: str) -> None:
    for table in (CAUSES, SUBCAUSES):
        for code, texts in table.items():
            assert texts[lang].strip(), f"{code} has no {lang} text"
    for code, texts in CAUSES.items():
        assert texts["en"] != texts["zh-CN"], code


def test_every_step_is_reported(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_reserialized_spaces(platform))
    assert [step.name for step in diagnosis.steps] == list(STEP_NAMES)
    assert {step.status for step in diagnosis.steps} <= {"passed", "failed", "skipped"}


def test_body_steps_run_after_signature_failure(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_reserialized_spaces(platform))
    assert diagnosis.step("envelope").status == "passed"
    assert diagnosis.step("decryption").status == "passed"
    assert diagnosis.step("plaintext").status == "passed"


def test_signature_still_checked_when_timestamp_stale(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_timestamp_replayed(platform))
    assert diagnosis.step("signature").status == "passed"
    assert diagnosis.skew_seconds == 3 * 86400


def test_timestamp_skew_sign(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_timestamp_skew_future(platform))
    assert diagnosis.skew_seconds == -301
    assert "301 s ahead of" in diagnosis.top_cause.explanation("en")  # type: ignore[union-attr]


def test_headers_failure_skips_header_steps(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_header_missing(platform))
    assert diagnosis.step("timestamp").status == "skipped"
    assert diagnosis.step("signature").status == "skipped"
    assert diagnosis.step("envelope").status == "passed"


def test_missing_api_v3_key_skips_decryption(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_verifies_without_key(platform))
    assert diagnosis.step("decryption").status == "skipped"
    assert diagnosis.step("decryption").code == "NO_API_V3_KEY"
    assert diagnosis.ok
    assert not diagnosis.complete


def test_reserialized_repair_is_verified(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_reserialized_sorted(platform))
    top = diagnosis.top_cause
    assert top is not None
    assert top.evidence_level == "verified"
    assert "put the keys in WeChat Pay's order" in top.explanation("en")


def test_missing_summary_is_restored(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_reserialized_missing_summary(platform))
    assert "restore the missing summary" in diagnosis.top_cause.explanation("en")  # type: ignore[union-attr]


def test_unrepairable_reserialization_is_likely(platform: SimulatedPlatform) -> None:
    # Pretty-printed and with a field WeChat Pay never sends: no repair can verify it.
    def change(raw: bytes) -> bytes:
        envelope = json.loads(raw)
        envelope["received_at"] = "later"
        return json.dumps(envelope, indent=2).encode()
    diagnosis = run_doctor(case(platform, body=change))
    reserialized = [cause for cause in diagnosis.causes if cause.code == "BODY_RESERIALIZED"]
    assert len(reserialized) == 1
    assert reserialized[0].evidence_level == "likely"
    assert "spaces or newlines between JSON tokens" in reserialized[0].explanation("en")


def test_headers_swap_names_the_pair(platform: SimulatedPlatform) -> None:
    explanation = run_doctor(build_headers_swapped(platform)).top_cause.explanation("en")  # type: ignore[union-attr]
    assert "Wechatpay-Timestamp and Wechatpay-Nonce" in explanation


def test_associated_data_names_original(platform: SimulatedPlatform) -> None:
    top = run_doctor(build_associated_data_edited(platform)).top_cause
    assert top is not None
    assert top.evidence_level == "verified"
    assert "'transaction'" in top.explanation("en")
    assert "'refund'" in top.explanation("en")


def test_serial_decimal_reports_rejected_key(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_serial_decimal(platform))
    assert "KEY_CONFIG_INVALID" in diagnosis.cause_codes
    assert diagnosis.top_cause.evidence_level == "verified"  # type: ignore[union-attr]


@pytest.mark.parametrize("name, code", [
    ("verifies", "CAPTURE_VERIFIES"),
    ("reserialized_spaces", "BODY_RESERIALIZED"),
    ("key_apiv2", "APIV3_KEY_WRONG"),
])
def test_rejected_key_entry_ranks_last(platform: SimulatedPlatform, name: str, code: str) -> None:
    # An unusable extra entry is reported, but it does not explain a later failure.
    built = CASES[name][0](platform)
    certificate = platform.certificate(platform.certificate_serial)
    built.public_keys = {**built.public_keys, str(certificate.serial_number): certificate}
    diagnosis = run_doctor(built)
    assert diagnosis.cause_codes[0] == code
    assert diagnosis.cause_codes[-1] == "KEY_CONFIG_INVALID"


def test_merchant_certificates_argument(platform: SimulatedPlatform) -> None:
    # A merchant certificate the doctor does not know is recognised once it is passed in.
    other = load_test_keys().attacker
    headers, body = genuine(platform)
    keys = {other.serial: other.certificate}
    plain = diagnose(headers, body, public_keys=keys, clock=lambda: NOW)
    assert plain.top_cause.subcause == "NOT_LOADED"  # type: ignore[union-attr]
    with_merchant = diagnose(headers, body, public_keys=keys, clock=lambda: NOW, merchant_certificates=[other.certificate])
    assert with_merchant.top_cause.subcause == "MERCHANT_CERTIFICATE"  # type: ignore[union-attr]


@pytest.mark.parametrize("name, subcause", [
    ("caller_crlf", "MESSAGE_CRLF"),
    ("caller_no_final_newline", "MESSAGE_NO_FINAL_NEWLINE"),
    ("caller_server_clock", "MESSAGE_TIMESTAMP_DIFFERS"),
])
def test_caller_message_fault(platform: SimulatedPlatform, name: str, subcause: str) -> None:
    diagnosis = run_doctor(CASES[name][0](platform))
    assert diagnosis.cause_codes == ["CAPTURE_VERIFIES", "CALLER_MESSAGE_WRONG"]
    assert diagnosis.causes[1].subcause == subcause


def test_compare_messages_variants() -> None:
    timestamp, nonce, body = "1704074400", "n" * 32, b'{"id":"x"}'
    expected = build_message(timestamp, nonce, body)
    assert compare_messages(expected, expected, timestamp, nonce, body) == "MESSAGE_MATCHES"
    reordered = nonce.encode() + b"\n" + timestamp.encode() + b"\n" + body + b"\n"
    assert compare_messages(expected, reordered, timestamp, nonce, body) == "MESSAGE_FIELD_ORDER"
    twice = build_message(timestamp, nonce, body + body)
    assert compare_messages(expected, twice, timestamp, nonce, body) == "MESSAGE_BODY_TWICE"
    other_nonce = build_message(timestamp, "Ab3dEf6hIj9k", body)
    assert compare_messages(expected, other_nonce, timestamp, nonce, body) == "MESSAGE_NONCE_DIFFERS"
    other_body = build_message(timestamp, nonce, b'{"id": "x"}')
    assert compare_messages(expected, other_body, timestamp, nonce, body) == "MESSAGE_BODY_DIFFERS"


def test_doctor_rejects_text_body(platform: SimulatedPlatform) -> None:
    headers, body = genuine(platform)
    with pytest.raises(TypeError, match="raw request body bytes"):
        diagnose(headers, body.decode("utf-8"), public_keys=platform.public_keys)  # type: ignore[arg-type]


# ---------------------------------------------------------------- no secret in any output


def plaintext_strings(value: Any) -> list[str]:
    """Return the string leaves of a decrypted resource long enough to identify it."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in plaintext_strings(item)]
    if isinstance(value, str) and len(value) >= 8:
        return [value]
    return []


def outputs(diagnosis: Diagnosis) -> dict[str, str]:
    return {
        "repr": repr(diagnosis),
        "str": str(diagnosis),
        "text en": diagnosis.render("en"),
        "text zh-CN": diagnosis.render("zh-CN"),
        "json en": diagnosis.to_json("en"),
        "json zh-CN": diagnosis.to_json("zh-CN"),
    }


@pytest.mark.parametrize("name", list(CASES))
def test_no_secret_in_output(platform: SimulatedPlatform, name: str) -> None:
    built = CASES[name][0](platform)
    diagnosis = run_doctor(built)
    resource = platform.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
    # The public-key id embeds the mchid, so values that the headers or the loaded
    # serials carry anyway are not secrets.
    header_text = " ".join([*built.headers.values(), *built.public_keys])
    secrets = [text for text in plaintext_strings(resource) if text not in header_text]
    assert secrets
    keys = [str(platform.api_v3_key)]
    if isinstance(built.api_v3_key, str) and len(built.api_v3_key.strip()) >= 8:
        keys.append(built.api_v3_key.strip())
    envelope_ciphertext = json.loads(genuine(platform)[1])["resource"]["ciphertext"]
    for label, text in outputs(diagnosis).items():
        for key in keys:
            assert key not in text, f"APIv3 key in {label}"
        for secret in secrets:
            assert secret not in text, f"plaintext value in {label}"
        if built.body.strip():
            assert built.body.decode("utf-8", "replace") not in text, f"body in {label}"
        assert envelope_ciphertext[:24] not in text, f"ciphertext in {label}"


def test_plaintext_shown_only_on_request(platform: SimulatedPlatform) -> None:
    diagnosis = run_doctor(build_verifies(platform))
    assert diagnosis.plaintext is not None
    assert "ORDER-20240101-0001" not in diagnosis.render("en")
    assert "ORDER-20240101-0001" in diagnosis.render("en", show_plaintext=True)
    assert "ORDER-20240101-0001" in diagnosis.to_json("en", show_plaintext=True)
