"""Run every verification step of a captured callback on its own, then check why it fails.

The steps are the verifier's own public functions and methods (`parse_headers`,
`CallbackVerifier.check_signature_type`, `check_timestamp`, `key_for`,
`check_envelope`, `check_algorithm`, `decrypt_resource`, `parse_json_object`,
`build_notification`, `build_message`, `verify_signature`), so the doctor and
`CallbackVerifier.verify` cannot disagree about a step. Unlike `verify`, the doctor
does not stop at the first failure: the body steps run even when the signature fails.
It decrypts an unverified resource only to explain a failure, and it returns the
plaintext only inside the `Diagnosis`, where nothing prints it unless asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ..aead import API_V3_KEY_BYTES, key_bytes
from ..errors import ApiV3KeyError, KeyConfigError
from ..keys import KeyMaterial, KeyRegistry, load_public_key
from ..notification import DEFAULT_MAX_CLOCK_SKEW, CallbackVerifier
from ..testkeys import load_test_keys
from .causes import explain_failures, rank_causes
from .model import FAILED, STEP_NAMES, Diagnosis
from .steps import DiagnosisRun, run_steps

# The verifier needs a 32-byte APIv3 key to be built. The steps before decryption never
# read it, so the doctor uses this one when the caller's key is missing or unusable.
_PLACEHOLDER_KEY = bytes(API_V3_KEY_BYTES)


def diagnose(
    headers: Mapping[str, Any],
    body: bytes,
    *,
    public_keys: Mapping[str, KeyMaterial],
    api_v3_key: str | bytes | None = None,
    clock: Callable[[], float] = time.time,
    max_clock_skew: float = DEFAULT_MAX_CLOCK_SKEW,
    merchant_certificates: list[KeyMaterial] | None = None,
    caller_message: bytes | None = None,
) -> Diagnosis:
    """Run every verification step on a captured callback and explain what fails.

    Args:
        headers: the request headers as received, any mapping (or an object with
            `items()` yielding pairs, so that duplicates are kept).
        body: the raw request body bytes as received.
        public_keys: Wechatpay-Serial value to certificate or public key, as for
            `CallbackVerifier`. Unusable entries are reported, not raised.
        api_v3_key: the merchant's APIv3 key; without it decryption is skipped. A key
            of the wrong length is reported as a cause, not raised.
        clock: the current Unix time in seconds; pass the capture's time for an old one.
        max_clock_skew: the timestamp window in seconds, as for `CallbackVerifier`.
        merchant_certificates: the merchant's own API certificates, to recognise one
            loaded by mistake. The kit's test merchant certificate is always recognised.
        caller_message: the signed message the caller's own code built, to compare
            with the one WeChat Pay signed when the capture verifies.

    Returns:
        A `Diagnosis`: each step passed, failed or skipped, and the causes ranked,
        those the data proves first.

    Raises:
        TypeError: `body` is not bytes, or `public_keys` is not a mapping.
        KeyConfigError: an entry of `merchant_certificates` is not a certificate or
            public key.
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"body must be the raw request body bytes; got {type(body).__name__}. Pass the bytes "
            "the server received, not parsed JSON or decoded text"
        )
    run = _prepare(headers, bytes(body), public_keys, api_v3_key, clock, max_clock_skew, merchant_certificates)
    run_steps(run)
    explain_failures(run, caller_message)
    steps = tuple(run.steps[name] for name in STEP_NAMES)
    failed_step = next((step.name for step in steps if step.status == FAILED), None)
    return Diagnosis(steps=steps, causes=rank_causes(run.causes, failed_step), skew_seconds=run.skew_seconds,
                     plaintext=run.plaintext)


def _prepare(
    headers: Mapping[str, Any],
    body: bytes,
    public_keys: Mapping[str, KeyMaterial],
    api_v3_key: str | bytes | None,
    clock: Callable[[], float],
    max_clock_skew: float,
    merchant_certificates: list[KeyMaterial] | None,
) -> DiagnosisRun:
    if not isinstance(public_keys, Mapping):
        raise TypeError(f"public_keys must be a mapping of Wechatpay-Serial to key; got {type(public_keys).__name__}")
    accepted: dict[str, KeyMaterial] = {}
    rejected: list[tuple[str, KeyMaterial, KeyConfigError]] = []
    for serial, material in public_keys.items():
        try:
            KeyRegistry({serial: material})
        except KeyConfigError as exc:
            rejected.append((str(serial), material, exc))
        else:
            accepted[serial] = material

    key: bytes | None = None
    key_error: ApiV3KeyError | None = None
    raw_key = api_v3_key.encode("utf-8") if isinstance(api_v3_key, str) else api_v3_key
    if api_v3_key is not None:
        try:
            key = key_bytes(api_v3_key)
        except ApiV3KeyError as exc:
            key_error = exc

    # One reading of the clock, so that every step sees the same time.
    now = clock()
    # CallbackVerifier rejects an empty key set, which can never verify anything. The
    # doctor still runs its steps then, and a refresh that finds no key makes every
    # serial unknown.
    verifier = CallbackVerifier(key if key is not None else _PLACEHOLDER_KEY, accepted,
                                max_clock_skew=max_clock_skew, clock=lambda: now,
                                refresh_keys=None if accepted else dict)
    merchant_keys = [load_test_keys().merchant_api.public_key]
    for material in merchant_certificates or []:
        merchant_keys.append(load_public_key(material, label="merchant_certificates")[0])
    return DiagnosisRun(
        headers=headers, body=body, verifier=verifier, registry=KeyRegistry(accepted), api_v3_key=key,
        key_error=key_error, raw_key=bytes(raw_key) if isinstance(raw_key, (bytes, bytearray)) else None,
        rejected_keys=rejected, merchant_keys=merchant_keys, max_clock_skew=max_clock_skew,
    )

