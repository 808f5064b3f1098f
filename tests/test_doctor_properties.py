"""Properties of the doctor on arbitrary damage: it never crashes and agrees with the verifier."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxpay_lesson import CallbackError, CallbackVerifier, SimulatedPlatform
from wxpay_lesson.doctor import STEP_NAMES, diagnose

from .conftest import NOW

PLATFORM = SimulatedPlatform(clock=lambda: NOW)
RESOURCE = PLATFORM.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
HEADERS, BODY = PLATFORM.notify(RESOURCE, timestamp=NOW, nonce="f" * 32, resource_nonce="Ab3dEf6hIj9k",
                                notification_id="EV-TEST-0001")
VERIFIER = CallbackVerifier(PLATFORM.api_v3_key, PLATFORM.public_keys, clock=lambda: NOW)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def verifier_code(headers: dict[str, Any], body: bytes) -> str | None:
    try:
        VERIFIER.verify(headers, body)
    except CallbackError as exc:
        return exc.code
    return None


def doctor_code(headers: dict[str, Any], body: bytes) -> str | None:
    diagnosis = diagnose(headers, body, public_keys=PLATFORM.public_keys, api_v3_key=PLATFORM.api_v3_key,
                         clock=lambda: NOW)
    assert [step.name for step in diagnosis.steps] == list(STEP_NAMES)
    assert diagnosis.causes, "every diagnosis names at least one cause"
    if diagnosis.failed_step is None:
        return None
    return diagnosis.step(diagnosis.failed_step).code


@SETTINGS
@given(position=st.integers(min_value=0, max_value=len(BODY) - 1), value=st.integers(min_value=0, max_value=255))
def test_changed_body_byte_agrees(position: int, value: int) -> None:
    body = bytearray(BODY)
    body[position] = value
    assert doctor_code(HEADERS, bytes(body)) == verifier_code(HEADERS, bytes(body))


@SETTINGS
@given(body=st.binary(max_size=300))
def test_arbitrary_body_agrees(body: bytes) -> None:
    assert doctor_code(HEADERS, body) == verifier_code(HEADERS, body)


@SETTINGS
@given(name=st.sampled_from(["Wechatpay-Serial", "Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce",
                             "Wechatpay-Signature-Type"]),
       value=st.text(max_size=60))
def test_arbitrary_header_agrees(name: str, value: str) -> None:
    headers = {**HEADERS, name: value}
    assert doctor_code(headers, BODY) == verifier_code(headers, BODY)


@SETTINGS
@given(cut=st.integers(min_value=0, max_value=len(BODY)))
def test_truncated_body_agrees(cut: int) -> None:
    assert doctor_code(HEADERS, BODY[:cut]) == verifier_code(HEADERS, BODY[:cut])
