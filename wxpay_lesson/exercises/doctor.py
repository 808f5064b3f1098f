"""Checks for the exercises of notebook 07, the callback doctor.

Every hidden case starts from a genuine notification of the simulated platform with a
fixed time and nonces, so a report reads the same on every run. A repaired body passes
only when `CallbackVerifier` accepts it. Failure details name the case, never a key,
a body or a plaintext.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import CallbackError
from ..notification import CallbackVerifier
from ..simulator import SimulatedPlatform
from ..testkeys import load_test_keys
from ._checking import CheckReport

# 2024-01-01T10:00:00+08:00, the fixed time of every lesson.
FIXED_TIME = 1704074400
BOM = b"\xef\xbb\xbf"


def _notification(number: int) -> tuple[SimulatedPlatform, dict[str, str], bytes]:
    platform = SimulatedPlatform(clock=lambda: FIXED_TIME)
    resource = platform.transaction(f"LESSON-07-EX-{number}", 6600, attach="教材")
    headers, body = platform.notify(resource, timestamp=FIXED_TIME, nonce=f"ex{number}Lq8Wd3Nc6Tb1Yr4Km7Pz2Vg5Jh9",
                                    resource_nonce=f"Ex{number}Tq5Lw8Nc7", notification_id=f"EV-LESSON-07-EX-{number}")
    return platform, headers, body


def _verifies(platform: SimulatedPlatform, headers: dict[str, str], body: bytes) -> tuple[bool, str]:
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: FIXED_TIME)
    try:
        verifier.verify(headers, body)
    except CallbackError as exc:
        return False, f"the repaired body still fails verification ({exc.code})"
    return True, ""


def _repairs(repair: Callable[[bytes], bytes], number: int,
             damage: Callable[[bytes], bytes]) -> Callable[[], tuple[bool, str]]:
    # The case is built before the learner's function runs, so that an error in the
    # kit is never reported as the learner's.
    platform, headers, body = _notification(number)
    damaged = damage(body)

    def action() -> tuple[bool, str]:
        repaired = repair(damaged)
        if not isinstance(repaired, bytes):
            return False, f"returned {type(repaired).__name__}; expected bytes"
        return _verifies(platform, headers, repaired)
    return action


def check_strip_added_bytes(strip_added_bytes: Callable[[bytes], bytes]) -> CheckReport:
    """Check `strip_added_bytes(body) -> bytes`.

    The function removes a UTF-8 byte order mark at the start and CR or LF characters
    at the end, which a proxy or a log tool added, and changes nothing else.
    """
    report = CheckReport("strip_added_bytes")
    report.run_case("a UTF-8 BOM at the start", _repairs(strip_added_bytes, 1, lambda body: BOM + body))
    report.run_case("a trailing LF", _repairs(strip_added_bytes, 2, lambda body: body + b"\n"))
    report.run_case("a trailing CRLF", _repairs(strip_added_bytes, 3, lambda body: body + b"\r\n"))
    report.run_case("a BOM and a trailing LF", _repairs(strip_added_bytes, 4, lambda body: BOM + body + b"\n"))
    report.run_case("an untouched body stays the same", _repairs(strip_added_bytes, 5, lambda body: body))
    return report


def check_repair_charset(repair_charset: Callable[[bytes], bytes]) -> CheckReport:
    """Check `repair_charset(body) -> bytes`.

    The function returns UTF-8 bytes unchanged, and turns a body that was re-encoded in
    GBK back into the UTF-8 bytes WeChat Pay sent.
    """
    report = CheckReport("repair_charset")
    report.run_case("a body re-encoded in GBK",
                    _repairs(repair_charset, 6, lambda body: body.decode("utf-8").encode("gbk")))
    report.run_case("a UTF-8 body stays the same", _repairs(repair_charset, 7, lambda body: body))
    return report


def check_serial_from_decimal(serial_from_decimal: Callable[[str], str]) -> CheckReport:
    """Check `serial_from_decimal(text) -> str`.

    The function turns a certificate serial written in decimal, as Java's
    `BigInteger.toString()` prints it, into the upper-case hex that WeChat Pay sends
    in Wechatpay-Serial.
    """
    report = CheckReport("serial_from_decimal")
    keys = load_test_keys()
    cases = [
        ("the platform certificate", keys.platform.certificate),
        ("the rotated platform certificate", keys.platform_next.certificate),
    ]
    for name, certificate in cases:
        assert certificate is not None

        def action(certificate=certificate) -> tuple[bool, str]:
            expected = format(certificate.serial_number, "X")
            result = serial_from_decimal(str(certificate.serial_number))
            if result != expected:
                return False, f"returned {result!r}; expected {expected!r}"
            return True, ""
        report.run_case(name, action)

    def small() -> tuple[bool, str]:
        result = serial_from_decimal("3054")
        return (result == "BEE", f"returned {result!r}; expected 'BEE'")
    report.run_case("a short serial, 3054 in decimal", small)
    return report
