"""Solutions to the *On your own* exercises of notebook 02, verifying the signature.

tests/test_exercises_signature.py proves that each function passes its check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wxpay_lesson import UnknownSerialError, verify_signature

MAX_CLOCK_SKEW = 300
UNIX_SECONDS = re.compile(r"[0-9]{1,11}")


def build_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """Build `timestamp\\nnonce\\nbody\\n` from the header values and the raw body bytes."""
    return timestamp.encode("ascii") + b"\n" + nonce.encode("ascii") + b"\n" + body + b"\n"


def verify_callback(headers: Mapping[str, str], body: bytes, public_keys: Mapping[str, Any]) -> None:
    """Verify a callback's signature with the key its Wechatpay-Serial names."""
    serial = headers["Wechatpay-Serial"]
    public_key = public_keys.get(serial)
    if public_key is None:
        raise UnknownSerialError(serial, list(public_keys), f"Wechatpay-Serial {serial} matches no loaded key")
    message = build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body)
    verify_signature(public_key, message, headers["Wechatpay-Signature"])


def is_fresh(timestamp: str, now: float) -> bool:
    """Return whether a Wechatpay-Timestamp value is less than 300 s from `now`, either way."""
    if not UNIX_SECONDS.fullmatch(timestamp):
        return False
    return abs(now - int(timestamp)) < MAX_CLOCK_SKEW
