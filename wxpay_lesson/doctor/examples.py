"""Example captures for notebook 07 and the doctor's command-line tests.

Each capture starts as a genuine notification from `SimulatedPlatform` with a fixed
time, nonces and id, and is then broken the way integrators' servers break real ones.
`scripts/make_captures.py` writes them to data/captures/; the output is the same on
every run because RSA PKCS#1 v1.5 signatures and AES-GCM with a fixed nonce are
deterministic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..simulator import SimulatedPlatform
from .capture import format_http_capture, format_json_capture

# 2024-01-01T10:00:00+08:00, the fixed time of every lesson.
CAPTURE_TIME = 1704074400


@dataclass(frozen=True)
class ExampleCapture:
    """One example capture file: its name, its bytes, and the cause the doctor should find."""

    filename: str
    data: bytes
    expected_cause: str
    expected_step: str | None


def _platform() -> SimulatedPlatform:
    return SimulatedPlatform(clock=lambda: CAPTURE_TIME)


def genuine_notification(number: int, *, key_id: str | None = None) -> tuple[dict[str, str], bytes]:
    """Return the genuine notification behind example capture `number`: (headers, body).

    This is what the server received before the fault changed it, so a fixed handler
    verifies it.
    """
    return _notification(_platform(), number, key_id=key_id)


def _notification(platform: SimulatedPlatform, number: int, *,
                  key_id: str | None = None) -> tuple[dict[str, str], bytes]:
    resource = platform.transaction(f"LESSON-07-{number:04d}", 12800,
                                    transaction_id=f"42000000002024010100000{number:05d}")
    return platform.notify(resource, timestamp=CAPTURE_TIME, nonce=f"{number:02d}n7Qk2Lp9Xw4Rt6Yb8Zc1Vd3Fg5Hj0",
                           resource_nonce=f"Rn{number:02d}cK7mP2qW", notification_id=f"EV-LESSON-07-{number:04d}",
                           key_id=key_id)


def example_captures() -> list[ExampleCapture]:
    """Build every example capture, in the order of their file names."""
    platform = _platform()
    captures = []

    headers, body = _notification(platform, 1)
    # A handler that verifies json.dumps(json.loads(body)): spaces after separators and
    # \uXXXX escapes in place of the UTF-8 summary.
    reserialized = json.dumps(json.loads(body)).encode("utf-8")
    captures.append(ExampleCapture("01-reserialized.json", format_json_capture(headers, reserialized),
                                   "BODY_RESERIALIZED", "signature"))

    headers, body = _notification(platform, 2)
    # Middleware read the one-shot body stream before the verifier, which gets no bytes.
    # The logged headers still carry the Content-Length the platform sent.
    captures.append(ExampleCapture("02-consumed-body.http",
                                   format_http_capture(headers, b"", content_length=len(body)),
                                   "BODY_EMPTY", "signature"))

    headers, body = _notification(platform, 3)
    # The body was decoded as UTF-8 and written out again in GBK, as a server does
    # when its default charset is GBK. GBK bytes are not UTF-8, so the JSON record
    # stores them in body_base64.
    regbk = body.decode("utf-8").encode("gbk")
    captures.append(ExampleCapture("03-gbk-body.json", format_json_capture(headers, regbk),
                                   "BODY_CHARSET_CHANGED", "signature"))

    headers, body = _notification(platform, 4, key_id=platform.public_key_id)
    # Signed with the WeChat Pay public key; the merchant loaded only the platform certificate.
    captures.append(ExampleCapture("04-public-key-mode.http", format_http_capture(headers, body),
                                   "SERIAL_UNKNOWN", "serial"))

    headers, body = _notification(platform, 5)
    # A genuine capture: with the APIv2 key in place of the APIv3 key it fails to decrypt.
    captures.append(ExampleCapture("05-genuine.http", format_http_capture(headers, body),
                                   "CAPTURE_VERIFIES", None))

    headers, body = _notification(platform, 6)
    # The file was saved with a final newline that the server really received, as a
    # proxy that appends one does.
    captures.append(ExampleCapture("06-trailing-newline.http", format_http_capture(headers, body + b"\n"),
                                   "BODY_EXTRA_BYTES", "signature"))
    return captures
