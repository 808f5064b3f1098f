"""The nine verification steps of the doctor, each run on its own.

Each step calls the verifier's own public function or method for that step and records
passed, failed or skipped in a `DiagnosisRun`. A step is skipped only when it needs a
result that an earlier failed step did not produce, such as the key found by serial.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import (
    ApiV3KeyError,
    CallbackError,
    InvalidSignatureError,
    KeyConfigError,
    MalformedHeaderError,
    SignatureProbeError,
)
from ..keys import KeyMaterial, KeyRegistry
from ..notification import CallbackHeaders, CallbackVerifier, collect_headers, parse_headers, parse_json_object
from ..signature import build_message, decode_signature, verify_signature
from .model import FAILED, PASSED, SKIPPED, Cause, StepResult


@dataclass
class DiagnosisRun:
    """The state shared by the steps of one diagnosis."""

    headers: Mapping[str, Any]
    body: bytes
    verifier: CallbackVerifier
    registry: KeyRegistry
    api_v3_key: bytes | None
    key_error: ApiV3KeyError | None
    raw_key: bytes | None
    rejected_keys: list[tuple[str, KeyMaterial, KeyConfigError]]
    merchant_keys: list[rsa.RSAPublicKey]
    max_clock_skew: float
    steps: dict[str, StepResult] = field(default_factory=dict)
    causes: list[Cause] = field(default_factory=list)
    collected: dict[str, str] | None = None
    parsed: CallbackHeaders | None = None
    key: Any = None
    envelope: dict[str, Any] | None = None
    resource: dict[str, Any] | None = None
    plaintext: bytes | None = None
    skew_seconds: float | None = None
    errors: dict[str, CallbackError] = field(default_factory=dict)

    def record(self, name: str, status: str, *, error: CallbackError | ApiV3KeyError | None = None,
               code: str | None = None, message: str = "", **params: Any) -> None:
        if error is not None:
            code = error.code
            message = getattr(error, "message", str(error))
            if isinstance(error, CallbackError):
                self.errors[name] = error
        self.steps[name] = StepResult(name, status, code, message, params)

    def skip(self, name: str, needs: str) -> None:
        self.record(name, SKIPPED, code="NEEDS_STEP", message=f"skipped: needs the {needs} step to pass first",
                    step=needs)

    def failed(self, name: str) -> bool:
        return self.steps[name].status == FAILED

    def add(self, code: str, step: str, level: str, *, subcause: str | None = None,
            evidence: str | None = None, **params: Any) -> None:
        self.causes.append(Cause(code, step, level, subcause, evidence, params))



def run_steps(run: DiagnosisRun) -> None:
    """Run the nine steps in the order `CallbackVerifier.verify` runs them."""
    _check_headers(run)
    _check_signature_type(run)
    _check_timestamp(run)
    _check_serial(run)
    _check_signature(run)
    _check_envelope(run)
    _check_algorithm(run)
    _check_decryption(run)
    _check_plaintext(run)


def _check_headers(run: DiagnosisRun) -> None:
    try:
        run.collected = collect_headers(run.headers)
    except MalformedHeaderError:
        run.collected = None
    try:
        run.parsed = parse_headers(run.headers)
    except CallbackError as exc:
        run.record("headers", FAILED, error=exc)
    else:
        run.record("headers", PASSED)


def _check_signature_type(run: DiagnosisRun) -> None:
    if run.parsed is not None:
        signature_type = run.parsed.signature_type
    elif run.collected is not None:
        signature_type = run.collected.get("wechatpay-signature-type")
    else:
        run.skip("signature_type", "headers")
        return
    try:
        run.verifier.check_signature_type(signature_type)
    except CallbackError as exc:
        run.record("signature_type", FAILED, error=exc)
    else:
        run.record("signature_type", PASSED)


def _check_timestamp(run: DiagnosisRun) -> None:
    if run.parsed is None:
        run.skip("timestamp", "headers")
        return
    run.skew_seconds = run.verifier.clock() - int(run.parsed.timestamp)
    try:
        run.verifier.check_timestamp(run.parsed.timestamp)
    except CallbackError as exc:
        run.record("timestamp", FAILED, error=exc)
    else:
        seconds = abs(run.skew_seconds)
        direction = "in the past" if run.skew_seconds >= 0 else "in the future"
        run.record("timestamp", PASSED, code="WITHIN_WINDOW",
                   message=f"{seconds:.0f} s {direction}, within {run.max_clock_skew:g} s",
                   seconds=f"{seconds:.0f}", direction=direction, limit=f"{run.max_clock_skew:g}")


def _check_serial(run: DiagnosisRun) -> None:
    if run.parsed is None:
        run.skip("serial", "headers")
        return
    try:
        run.key = run.verifier.key_for(run.parsed.serial)
    except CallbackError as exc:
        run.record("serial", FAILED, error=exc)
    else:
        run.record("serial", PASSED)


def _check_signature(run: DiagnosisRun) -> None:
    if run.parsed is None:
        run.skip("signature", "headers")
        return
    if run.key is None:
        run.skip("signature", "serial")
        return
    if run.parsed.is_probe:
        run.record("signature", FAILED, error=SignatureProbeError(
            "Wechatpay-Signature starts with WECHATPAY/SIGNTEST/: this is WeChat Pay's signature probe"))
        return
    if signature_verifies(run.key.public_key, run.parsed.timestamp, run.parsed.nonce, run.parsed.signature,
                           run.body, record_in=run):
        run.record("signature", PASSED)


def signature_verifies(public_key: rsa.RSAPublicKey, timestamp: str, nonce: str, signature: str, body: bytes,
                        *, record_in: DiagnosisRun | None = None) -> bool:
    """Return whether the signature verifies; a failure is recorded in `record_in` when given."""
    try:
        verify_signature(public_key, build_message(timestamp, nonce, body), decode_signature(signature))
    except InvalidSignatureError as exc:
        if record_in is not None:
            record_in.record("signature", FAILED, error=exc)
        return False
    return True


def _check_envelope(run: DiagnosisRun) -> None:
    try:
        envelope = parse_json_object(run.body, "body")
        run.resource = run.verifier.check_envelope(envelope)
    except CallbackError as exc:
        run.record("envelope", FAILED, error=exc)
    else:
        run.envelope = envelope
        run.record("envelope", PASSED)


def _check_algorithm(run: DiagnosisRun) -> None:
    if run.resource is None:
        run.skip("algorithm", "envelope")
        return
    try:
        run.verifier.check_algorithm(run.resource["algorithm"])
    except CallbackError as exc:
        run.record("algorithm", FAILED, error=exc)
    else:
        run.record("algorithm", PASSED)


def _check_decryption(run: DiagnosisRun) -> None:
    if run.resource is None or run.failed("algorithm"):
        run.skip("decryption", "envelope" if run.resource is None else "algorithm")
        return
    if run.key_error is not None:
        run.record("decryption", FAILED, error=run.key_error)
        return
    if run.api_v3_key is None:
        run.record("decryption", SKIPPED, code="NO_API_V3_KEY", message="skipped: no APIv3 key was given")
        return
    try:
        run.plaintext = run.verifier.decrypt_resource(run.resource)
    except CallbackError as exc:
        run.record("decryption", FAILED, error=exc)
    else:
        run.record("decryption", PASSED)


def _check_plaintext(run: DiagnosisRun) -> None:
    if run.plaintext is None or run.envelope is None or run.resource is None:
        status = run.steps["decryption"]
        if status.status == SKIPPED and status.code == "NO_API_V3_KEY":
            run.record("plaintext", SKIPPED, code="NO_API_V3_KEY", message=status.message)
        else:
            run.skip("plaintext", "decryption")
        return
    serial = run.parsed.serial if run.parsed is not None else ""
    try:
        decrypted = parse_json_object(run.plaintext, "resource plaintext")
        run.verifier.build_notification(run.envelope, run.resource, decrypted, serial)
    except CallbackError as exc:
        run.record("plaintext", FAILED, error=exc)
    else:
        run.record("plaintext", PASSED)


