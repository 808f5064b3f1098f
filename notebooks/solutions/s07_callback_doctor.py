"""Solutions to the *On your own* exercises of notebook 07, the callback doctor.

tests/test_doctor_exercises.py proves that each function passes its check.
"""

from __future__ import annotations

BOM = b"\xef\xbb\xbf"


def strip_added_bytes(body: bytes) -> bytes:
    """Remove a UTF-8 byte order mark at the start and CR or LF characters at the end."""
    if body.startswith(BOM):
        body = body[len(BOM):]
    return body.rstrip(b"\r\n")


def repair_charset(body: bytes) -> bytes:
    """Return UTF-8 bytes unchanged, and turn GBK bytes back into UTF-8."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gbk").encode("utf-8")
    return body


def serial_from_decimal(text: str) -> str:
    """Turn a certificate serial written in decimal into upper-case hex."""
    return format(int(text), "X")
