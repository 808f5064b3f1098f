"""The causes behind failed steps, each checked against the capture where the data allows.

A cause is `verified` when a repair of the capture makes the failing check pass, and
`observed` when the capture shows it directly. Signs without such proof make it `likely`.
"""

from __future__ import annotations

from itertools import combinations

from cryptography.hazmat.primitives.asymmetric import rsa

from ..aead import API_V3_KEY_BYTES, decrypt_resource
from ..errors import (
    ApiV3KeyError,
    CallbackError,
    DecryptionError,
    KeyConfigError,
    MissingHeaderError,
    TimestampOutOfWindowError,
    UnknownSerialError,
)
from ..keys import KeyMaterial, is_public_key_id, load_public_key, normalize_serial
from ..notification import HEADER_NONCE, HEADER_TIMESTAMP, REQUIRED_HEADERS, parse_headers
from ..signature import build_message
from ..simulator import original_type_for
from . import repairs
from .model import FAILED, LIKELY, OBSERVED, PASSED, STEP_NAMES, VERIFIED, Cause
from .steps import DiagnosisRun, signature_verifies

# A timestamp older than this is taken for a replayed capture rather than a wrong clock.
# NOTE: a judgement, not a protocol fact: NTP-less servers drift by seconds to minutes,
# while a capture re-sent from a log is usually hours or days old.
OLD_CAPTURE_SECONDS = 3600

# associated_data values tried when the resource does not decrypt. WeChat Pay sets it
# to original_type in every notification observed; it may also be empty.
KNOWN_ASSOCIATED_DATA = ("transaction", "refund", "certificate", "")


def explain_failures(run: DiagnosisRun, caller_message: bytes | None) -> None:
    """Add to `run.causes` what explains each failed step, or CAPTURE_VERIFIES when none failed."""
    if run.rejected_keys:
        for _, _, error in run.rejected_keys:
            run.add("KEY_CONFIG_INVALID", "serial", OBSERVED, evidence="ERROR_MESSAGE", message=error.args[0])
    if run.failed("headers"):
        _explain_headers(run)
    if run.failed("signature_type"):
        run.add("SIGNATURE_TYPE_UNSUPPORTED", "signature_type", OBSERVED)
    if run.failed("timestamp"):
        _explain_timestamp(run)
    if run.failed("serial"):
        _explain_serial(run)
    if run.parsed is not None and run.parsed.is_probe:
        run.add("SIGNATURE_PROBE", "signature", OBSERVED, evidence="PREFIX")
    elif run.failed("signature"):
        _explain_signature(run)
    if run.failed("envelope") and run.body.strip(repairs.BOM + b" \t\r\n"):
        run.add("ENVELOPE_MALFORMED", "envelope", OBSERVED, evidence="ERROR_MESSAGE",
                message=run.steps["envelope"].message)
    if run.failed("algorithm"):
        run.add("ALGORITHM_UNSUPPORTED", "algorithm", OBSERVED)
    if run.failed("decryption"):
        _explain_decryption(run)
    if run.failed("plaintext"):
        run.add("PLAINTEXT_MALFORMED", "plaintext", OBSERVED, evidence="ERROR_MESSAGE",
                message=run.steps["plaintext"].message)
    if not any(step.status == FAILED for step in run.steps.values()):
        _explain_success(run, caller_message)


def rank_causes(causes: list[Cause], failed_step: str | None) -> tuple[Cause, ...]:
    """Order causes: those of the failed step first, then by step, then by evidence.

    `failed_step` is the first failed step, or None when the capture verifies. Within a
    step, verified causes come before observed ones and observed before likely ones.
    """
    order = {name: index for index, name in enumerate(STEP_NAMES)}
    strength = {VERIFIED: 0, OBSERVED: 1, LIKELY: 2}
    first = failed_step if failed_step is not None else "none"

    def key(item: tuple[int, Cause]) -> tuple[int, int, int, int, int]:
        index, cause = item
        # KEY_CONFIG_INVALID explains nothing by itself, so it ranks after the serial
        # causes that do.
        demoted = 1 if cause.code == "KEY_CONFIG_INVALID" else 0
        return (0 if cause.step == first else 1, order.get(cause.step, len(STEP_NAMES)), demoted,
                strength[cause.evidence_level], index)

    ranked: list[Cause] = []
    for _, cause in sorted(enumerate(causes), key=key):
        # A cause found at two steps (an edited associated_data breaks both the
        # signature and decryption) is listed once, where it ranks highest.
        identity = (cause.code, cause.subcause, cause.params.get("message"))
        if all(identity != (seen.code, seen.subcause, seen.params.get("message")) for seen in ranked):
            ranked.append(cause)
    return tuple(ranked)


def _explain_headers(run: DiagnosisRun) -> None:
    error = run.errors.get("headers")
    swap = _find_header_swap(run)
    if swap is not None:
        run.add("HEADERS_SWAPPED", "headers", VERIFIED, evidence="HEADER_PAIR_VERIFIES",
                first=swap[0], second=swap[1])
    header = getattr(error, "header", "")
    if isinstance(error, MissingHeaderError):
        run.add("HEADER_MISSING", "headers", OBSERVED, evidence="ERROR_MESSAGE", message=error.message)
    else:
        level = OBSERVED if swap is None else LIKELY
        run.add("HEADER_MALFORMED", "headers", level, evidence="HEADER_NAMED", header=header)


def _find_header_swap(run: DiagnosisRun) -> tuple[str, str] | None:
    """Return the pair of required headers whose values, swapped back, make the capture verify."""
    if run.collected is None:
        return None
    values = {name: run.collected.get(name.lower()) for name in REQUIRED_HEADERS}
    if any(value is None for value in values.values()):
        return None
    for first, second in combinations(REQUIRED_HEADERS, 2):
        swapped = dict(values)
        swapped[first], swapped[second] = values[second], values[first]
        try:
            parsed = parse_headers(swapped)
        except CallbackError:
            continue
        key = run.registry.get(parsed.serial)
        if key is None or parsed.is_probe:
            continue
        if signature_verifies(key.public_key, parsed.timestamp, parsed.nonce, parsed.signature, run.body):
            return first, second
    return None


def _explain_timestamp(run: DiagnosisRun) -> None:
    error = run.errors["timestamp"]
    assert isinstance(error, TimestampOutOfWindowError)
    skew = error.skew_seconds
    subcause = "OLD_CAPTURE" if skew >= OLD_CAPTURE_SECONDS else "CLOCK_SKEW"
    run.add("TIMESTAMP_OUT_OF_WINDOW", "timestamp", OBSERVED, subcause=subcause, evidence="SKEW",
            seconds=f"{abs(skew):.0f}", direction="in the past" if skew > 0 else "in the future",
            limit=f"{run.max_clock_skew:g}")


def _explain_serial(run: DiagnosisRun) -> None:
    assert run.parsed is not None
    serial = run.parsed.serial
    error = run.errors["serial"]
    assert isinstance(error, UnknownSerialError)
    found = False

    # A key registered under the decimal form of the serial, accepted or rejected.
    for loaded, material in _all_entries(run):
        if loaded.isdigit() and not is_public_key_id(serial) and format(int(loaded), "X") == normalize_serial(serial):
            verified = _material_verifies(run, material)
            run.add("SERIAL_UNKNOWN", "serial", VERIFIED if verified else OBSERVED, subcause="DECIMAL_SERIAL",
                    evidence="SERIAL_IS_DECIMAL", loaded=loaded, serial=serial)
            found = True

    # A loaded key, under another serial, that verifies the signature.
    for loaded in run.registry.serials():
        entry = run.registry.get(loaded)
        if entry is not None and not run.parsed.is_probe and signature_verifies(
                entry.public_key, run.parsed.timestamp, run.parsed.nonce, run.parsed.signature, run.body):
            run.add("SERIAL_KEY_MISMATCH", "serial", VERIFIED, evidence="OTHER_KEY_VERIFIES",
                    other=loaded, serial=serial)
            found = True

    kinds = {run.registry.get(loaded).kind for loaded in run.registry.serials()}  # type: ignore[union-attr]
    names = [{"certificate": "platform certificates", "public_key": "WeChat Pay public keys"}[kind]
             for kind in sorted(kinds)] or ["no keys"]
    if is_public_key_id(serial) and "public_key" not in kinds:
        run.add("SERIAL_UNKNOWN", "serial", OBSERVED, subcause="PUBLIC_KEY_MODE", evidence="KEY_LOADED_AS",
                kinds=names, serial=serial)
        found = True
    if not is_public_key_id(serial) and "certificate" not in kinds and "public_key" in kinds:
        run.add("SERIAL_UNKNOWN", "serial", OBSERVED, subcause="CERTIFICATE_MODE", evidence="KEY_LOADED_AS",
                kinds=names, serial=serial)
        found = True

    for loaded in run.registry.serials():
        entry = run.registry.get(loaded)
        if entry is not None and entry.certificate is not None and _is_merchant_key(run, entry.public_key):
            run.add("SERIAL_UNKNOWN", "serial", OBSERVED, subcause="MERCHANT_CERTIFICATE",
                    evidence="MERCHANT_CERTIFICATE_LOADED", loaded=loaded)
            found = True

    if not found:
        run.add("SERIAL_UNKNOWN", "serial", OBSERVED, subcause="NOT_LOADED", evidence="KEY_LOADED_AS",
                kinds=names, serial=serial)


def _all_entries(run: DiagnosisRun) -> list[tuple[str, KeyMaterial]]:
    entries: list[tuple[str, KeyMaterial]] = [(serial, material) for serial, material, _ in run.rejected_keys]
    for loaded in run.registry.serials():
        entry = run.registry.get(loaded)
        if entry is not None:
            entries.append((loaded, entry.certificate or entry.public_key))
    return entries


def _material_verifies(run: DiagnosisRun, material: KeyMaterial) -> bool:
    assert run.parsed is not None
    try:
        public_key, _ = load_public_key(material)
    except KeyConfigError:
        return False
    return not run.parsed.is_probe and signature_verifies(
        public_key, run.parsed.timestamp, run.parsed.nonce, run.parsed.signature, run.body)


def _is_merchant_key(run: DiagnosisRun, public_key: rsa.RSAPublicKey) -> bool:
    return any(public_key.public_numbers() == known.public_numbers() for known in run.merchant_keys)


def _explain_signature(run: DiagnosisRun) -> None:
    assert run.parsed is not None and run.key is not None
    parsed, public_key = run.parsed, run.key.public_key
    tried = 0

    def verifies(body: bytes, timestamp: str = parsed.timestamp, nonce: str = parsed.nonce) -> bool:
        nonlocal tried
        tried += 1
        return signature_verifies(public_key, timestamp, nonce, parsed.signature, body)

    content = run.body.strip(repairs.BOM + b" \t\r\n")
    if not content:
        run.add("BODY_EMPTY", "signature", OBSERVED, evidence="BODY_LENGTH_ZERO", length=0)
        return

    families = [
        ("BODY_EXTRA_BYTES", repairs.extra_byte_repairs, repairs.extra_byte_signs),
        ("BODY_CHARSET_CHANGED", repairs.charset_repairs, repairs.charset_signs),
        ("BODY_RESERIALIZED", repairs.reserialization_repairs, repairs.reserialization_signs),
    ]
    found = False
    for code, make_repairs, find_signs in families:
        signs = find_signs(run.body)
        # The families go from the smallest change to the largest. Once one verifies,
        # a larger one that also verifies (a compact re-dump drops a trailing
        # newline too) proves nothing more.
        for names, repaired in ([] if found else make_repairs(run.body)):
            if verifies(repaired):
                if signs:
                    run.add(code, "signature", VERIFIED, evidence="REPAIR_VERIFIES_WITH_SIGNS", repair=names,
                            signs=signs)
                else:
                    run.add(code, "signature", VERIFIED, evidence="REPAIR_VERIFIES", repair=names)
                found = True
                break
        else:
            if signs:
                run.add(code, "signature", LIKELY, evidence="BODY_SIGNS", signs=signs)

    # Wechatpay-Timestamp and Wechatpay-Nonce swapped in the message: both are visible
    # ASCII, so a nonce of digits passes the header format check.
    if verifies(run.body, timestamp=parsed.nonce, nonce=parsed.timestamp):
        run.add("HEADERS_SWAPPED", "signature", VERIFIED, evidence="HEADER_PAIR_VERIFIES",
                first=HEADER_TIMESTAMP, second=HEADER_NONCE)
        found = True

    original_aad = _original_associated_data(run)
    if original_aad is not None:
        found_aad = run.resource.get("associated_data") or "" if run.resource else ""
        restored = repairs.replace_associated_data(run.body, found_aad, original_aad)
        if restored is not None and verifies(restored):
            run.add("ASSOCIATED_DATA_CHANGED", "signature", VERIFIED, evidence="AAD_DECRYPTS_AND_VERIFIES",
                    original=original_aad, found=found_aad)
            found = True
        else:
            run.add("ASSOCIATED_DATA_CHANGED", "signature", LIKELY, evidence="AAD_DECRYPTS",
                    original=original_aad, found=found_aad)

    for loaded in run.registry.serials():
        entry = run.registry.get(loaded)
        if entry is None or normalize_serial(loaded) == normalize_serial(parsed.serial):
            continue
        if signature_verifies(entry.public_key, parsed.timestamp, parsed.nonce, parsed.signature, run.body):
            run.add("SERIAL_KEY_MISMATCH", "signature", VERIFIED, evidence="OTHER_KEY_VERIFIES",
                    other=loaded, serial=parsed.serial)
            found = True

    if not found:
        subcause = "MERCHANT_KEY" if _is_merchant_key(run, public_key) else None
        level = OBSERVED if subcause else LIKELY
        run.add("SIGNATURE_MISMATCH", "signature", level, subcause=subcause, evidence="NOTHING_REPAIRS", count=tried)


def _original_associated_data(run: DiagnosisRun) -> str | None:
    """Return the associated_data value that decrypts the resource when the one sent does not."""
    if run.resource is None or run.api_v3_key is None:
        return None
    sent = run.resource.get("associated_data") or ""
    try:
        decrypt_resource(run.api_v3_key, run.resource["nonce"], sent, run.resource["ciphertext"])
    except DecryptionError:
        pass
    else:
        return None
    candidates = [run.resource.get("original_type") or ""]
    if run.envelope is not None:
        candidates.append(original_type_for(str(run.envelope.get("event_type", ""))))
    candidates += list(KNOWN_ASSOCIATED_DATA)
    for candidate in dict.fromkeys(candidates):
        if candidate == sent:
            continue
        try:
            decrypt_resource(run.api_v3_key, run.resource["nonce"], candidate, run.resource["ciphertext"])
        except DecryptionError:
            continue
        return candidate
    return None


def _explain_decryption(run: DiagnosisRun) -> None:
    if run.key_error is not None:
        _explain_key_length(run)
        return
    error = run.errors.get("decryption")
    if not isinstance(error, DecryptionError) or error.reason != "authentication_failed":
        run.add("CIPHERTEXT_DAMAGED", "decryption", OBSERVED, evidence="ERROR_MESSAGE",
                message=run.steps["decryption"].message)
        return
    original_aad = _original_associated_data(run)
    assert run.resource is not None and run.api_v3_key is not None
    if original_aad is not None:
        run.add("ASSOCIATED_DATA_CHANGED", "decryption", VERIFIED, evidence="AAD_DECRYPTS",
                original=original_aad, found=run.resource.get("associated_data") or "")
        return
    signature_verified = run.steps["signature"].status == PASSED
    subcause = "LOOKS_LIKE_APIV2_KEY" if _looks_like_apiv2_key(run.api_v3_key) else None
    run.add("APIV3_KEY_WRONG", "decryption", OBSERVED if signature_verified else LIKELY, subcause=subcause,
            evidence="DECRYPTION_FAILS", signed="when the signature verified" if signature_verified else "")


def _looks_like_apiv2_key(key: bytes) -> bool:
    return len(key) == 32 and all(character in b"0123456789abcdef" for character in key)


def _explain_key_length(run: DiagnosisRun) -> None:
    error = run.key_error
    assert error is not None
    length = _key_length(error)
    subcause = None
    if run.resource is not None:
        stripped = _stripped_key(run)
        if stripped is not None:
            try:
                decrypt_resource(stripped, run.resource["nonce"], run.resource.get("associated_data") or "",
                                 run.resource["ciphertext"])
            except DecryptionError:
                pass
            else:
                subcause = "KEY_WHITESPACE"
    run.add("APIV3_KEY_LENGTH", "decryption", VERIFIED if subcause else OBSERVED, subcause=subcause,
            evidence="KEY_LENGTH", length=length)


def _key_length(error: ApiV3KeyError) -> str:
    # key_bytes() states the length found as "...; got N." without the key itself.
    text = str(error)
    marker = "got "
    if marker in text:
        return text.split(marker, 1)[1].split(".", 1)[0]
    return "?"


def _stripped_key(run: DiagnosisRun) -> bytes | None:
    original = run.raw_key
    if original is None:
        return None
    stripped = original.strip()
    return stripped if len(stripped) == API_V3_KEY_BYTES and stripped != original else None


def _explain_success(run: DiagnosisRun, caller_message: bytes | None) -> None:
    run.add("CAPTURE_VERIFIES", "none", OBSERVED)
    if caller_message is None or run.parsed is None:
        return
    expected = build_message(run.parsed.timestamp, run.parsed.nonce, run.body)
    subcause = compare_messages(expected, bytes(caller_message), run.parsed.timestamp, run.parsed.nonce, run.body)
    # Observed, not verified: a byte comparison, ranked after CAPTURE_VERIFIES.
    run.add("CALLER_MESSAGE_WRONG" if subcause != "MESSAGE_MATCHES" else "CAPTURE_VERIFIES", "none",
            OBSERVED, subcause=subcause)


def compare_messages(expected: bytes, given: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    """Return the sub-cause code that names how `given` differs from the signed message.

    The codes are `MESSAGE_MATCHES`, `MESSAGE_CRLF`, `MESSAGE_NO_FINAL_NEWLINE`,
    `MESSAGE_FIELD_ORDER`, `MESSAGE_BODY_TWICE`, `MESSAGE_TIMESTAMP_DIFFERS`,
    `MESSAGE_NONCE_DIFFERS` and `MESSAGE_BODY_DIFFERS`.
    """
    if given == expected:
        return "MESSAGE_MATCHES"
    if given.replace(b"\r\n", b"\n") == expected:
        return "MESSAGE_CRLF"
    if given + b"\n" == expected or given.replace(b"\r\n", b"\n") + b"\n" == expected:
        return "MESSAGE_NO_FINAL_NEWLINE"
    stamp, once = timestamp.encode("ascii"), nonce.encode("ascii")
    for first, second, third in ((once, stamp, body), (stamp, body, once), (body, stamp, once),
                                 (once, body, stamp), (body, once, stamp)):
        if given == first + b"\n" + second + b"\n" + third + b"\n":
            return "MESSAGE_FIELD_ORDER"
    if given == stamp + b"\n" + once + b"\n" + body + body + b"\n":
        return "MESSAGE_BODY_TWICE"
    head = stamp + b"\n" + once + b"\n"
    if given.endswith(b"\n" + once + b"\n" + body + b"\n") and not given.startswith(head):
        return "MESSAGE_TIMESTAMP_DIFFERS"
    if given.startswith(stamp + b"\n") and given.endswith(b"\n" + body + b"\n") and not given.startswith(head):
        return "MESSAGE_NONCE_DIFFERS"
    return "MESSAGE_BODY_DIFFERS"
