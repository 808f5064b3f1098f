"""Property tests: any change to a signed part is rejected; any input raises only typed errors."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxpay_lesson import CallbackError, CallbackVerifier, SimulatedPlatform

from .conftest import NOW

PLATFORM = SimulatedPlatform(clock=lambda: NOW)
VERIFIER = CallbackVerifier(PLATFORM.api_v3_key, PLATFORM.public_keys, clock=lambda: NOW)
HEADERS, BODY = PLATFORM.notify(PLATFORM.transaction("ORDER-PROP-1", 9900), timestamp=NOW, nonce="p" * 32,
                                resource_nonce="Ab3dEf6hIj9k", notification_id="EV-PROP-1")
# The serial is not signed, but it selects the key, so changing it must fail too.
SIGNED_HEADERS = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial")

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_valid_notification_verifies() -> None:
    assert VERIFIER.verify(HEADERS, BODY).id == "EV-PROP-1"


@PROPERTY_SETTINGS
@given(position=st.integers(min_value=0, max_value=len(BODY) - 1), flip=st.integers(min_value=1, max_value=255))
def test_any_body_byte_change_is_rejected(position: int, flip: int) -> None:
    changed = bytearray(BODY)
    changed[position] ^= flip
    try:
        VERIFIER.verify(HEADERS, bytes(changed))
    except CallbackError:
        return
    raise AssertionError(f"a body changed at byte {position} was accepted")


@PROPERTY_SETTINGS
@given(extra=st.binary(min_size=1, max_size=8), at_end=st.booleans())
def test_any_added_bytes_are_rejected(extra: bytes, at_end: bool) -> None:
    changed = BODY + extra if at_end else extra + BODY
    try:
        VERIFIER.verify(HEADERS, changed)
    except CallbackError:
        return
    raise AssertionError("a body with added bytes was accepted")


@PROPERTY_SETTINGS
@given(name=st.sampled_from(SIGNED_HEADERS), data=st.data())
def test_any_signed_header_change_is_rejected(name: str, data: st.DataObject) -> None:
    original = HEADERS[name]
    position = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
    # Hex serials compare as numbers, so a change of case names the same key.
    replacement = data.draw(st.characters(min_codepoint=0x21, max_codepoint=0x7E)
                            .filter(lambda c: c.upper() != original[position].upper()))
    changed = original[:position] + replacement + original[position + 1:]
    try:
        VERIFIER.verify({**HEADERS, name: changed}, BODY)
    except CallbackError:
        return
    raise AssertionError(f"{name} changed to {changed!r} was accepted")


header_values = st.one_of(st.text(max_size=400), st.binary(max_size=64), st.integers(), st.none())
header_names = st.one_of(
    st.sampled_from([*SIGNED_HEADERS, "Wechatpay-Signature-Type", "wechatpay-serial", "HTTP_WECHATPAY_NONCE"]),
    st.text(max_size=30),
)


@PROPERTY_SETTINGS
@given(headers=st.dictionaries(header_names, header_values, max_size=8), body=st.binary(max_size=300))
def test_arbitrary_input_raises_only_callback_errors(headers: dict[str, Any], body: bytes) -> None:
    try:
        VERIFIER.verify(headers, body)
    except CallbackError:
        return
    raise AssertionError("arbitrary input was accepted")


@PROPERTY_SETTINGS
@given(overrides=st.dictionaries(st.sampled_from([*SIGNED_HEADERS, "Wechatpay-Signature-Type"]),
                                 st.text(max_size=120), max_size=3),
       body=st.one_of(st.just(BODY), st.binary(max_size=300)))
def test_mutated_real_headers_raise_only_callback_errors(overrides: dict[str, str], body: bytes) -> None:
    headers = {**HEADERS, **overrides}
    try:
        VERIFIER.verify(headers, body)
    except CallbackError:
        return
    assert overrides == {} or all(HEADERS.get(k) == v for k, v in overrides.items())
    assert body == BODY


@PROPERTY_SETTINGS
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                          lambda children: st.lists(children, max_size=4)
                          | st.dictionaries(st.text(max_size=10), children, max_size=4), max_leaves=20))
def test_signed_arbitrary_json_raises_only_callback_errors(value: Any) -> None:
    # Signed by the real platform key, so only the envelope and resource checks stand between it and success.
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    headers = PLATFORM.sign(body, timestamp=NOW, nonce="q" * 32)
    try:
        VERIFIER.verify(headers, body)
    except CallbackError:
        return
    raise AssertionError("arbitrary signed JSON was accepted")


@PROPERTY_SETTINGS
@given(body=st.one_of(st.text(max_size=50), st.integers(), st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
                      st.lists(st.integers(), max_size=3), st.none()))
def test_non_bytes_body_raises_type_error(body: Any) -> None:
    try:
        VERIFIER.verify(HEADERS, body)
    except TypeError as exc:
        assert "raw request body bytes" in str(exc)
        return
    raise AssertionError("a body that is not bytes was accepted")
