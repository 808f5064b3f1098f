"""Read a captured callback request: a raw HTTP request or a JSON record.

Two formats are accepted:

- a raw HTTP/1.x request: request line, header lines, an empty line, then the body
  bytes exactly as received. Lines may end in CRLF or LF. When Content-Length is
  present, a longer body is cut to that length, because editors and log tools often
  add a final newline to a saved file. A shorter body is kept and noted.
- JSON `{"headers": {...}, "body": "..."}`, where `body` is text (its UTF-8 bytes
  are the body) or `body_base64` contains the exact bytes in standard base64. `headers`
  is an object or a list of `[name, value]` pairs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_REQUEST_LINE = re.compile(rb"[A-Z]+ \S+ HTTP/1\.[01]")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class CaptureFormatError(ValueError):
    """A capture file is neither a raw HTTP request nor a valid JSON capture record."""


class HeaderList:
    """Request headers in their received order, duplicates kept.

    `items()` yields every (name, value) pair, so the verifier's header check rejects a
    header sent twice with different values.
    """

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def items(self) -> Iterator[tuple[str, str]]:
        """Yield (name, value) pairs in received order."""
        return iter(self._pairs)

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of a header, comparing names without regard to case."""
        lowered = name.lower()
        for key, value in self._pairs:
            if key.lower() == lowered:
                return value
        return default

    def __len__(self) -> int:
        return len(self._pairs)

    def __repr__(self) -> str:
        return f"HeaderList({[name for name, _ in self._pairs]!r})"


@dataclass(frozen=True)
class Capture:
    """A captured callback: its headers and the raw body bytes.

    `format` is `http` or `json`. `notes` lists what the file reader found or changed,
    such as bytes after Content-Length that were dropped or a body shorter than it.
    """

    headers: HeaderList
    body: bytes
    format: str
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Capture(format={self.format!r}, headers={self.headers!r}, body_bytes={len(self.body)})"


def parse_capture(data: bytes) -> Capture:
    """Parse a capture from the bytes of a capture file, detecting its format.

    Raises:
        CaptureFormatError: the data is neither format; the message names the problem.
    """
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return parse_json_capture(stripped)
    if _REQUEST_LINE.match(stripped):
        return parse_http_capture(stripped)
    raise CaptureFormatError(
        "the capture is neither a raw HTTP request (starting with a request line such as "
        "'POST /notify HTTP/1.1') nor a JSON object with 'headers' and 'body'"
    )


def load_capture(path: str | Path) -> Capture:
    """Read and parse a capture file.

    Raises:
        FileNotFoundError: the file does not exist.
        CaptureFormatError: the file is neither format.
    """
    return parse_capture(Path(path).read_bytes())


def parse_http_capture(data: bytes) -> Capture:
    """Parse a raw HTTP/1.x request into headers and body bytes.

    Raises:
        CaptureFormatError: no empty line ends the headers, a header line has no colon,
            Content-Length is not a number, or the body is chunked.
    """
    head, separator, body = _split_head(data)
    if not separator:
        raise CaptureFormatError(
            "the HTTP capture has no empty line after the headers; the body starts after one empty line"
        )
    lines = head.split(b"\n")
    pairs: list[tuple[str, str]] = []
    for number, raw_line in enumerate(lines[1:], start=2):
        line = raw_line.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):
            raise CaptureFormatError(f"line {number}: folded header lines are not supported; join them into one line")
        name, colon, value = line.partition(b":")
        text_name = name.decode("latin-1")
        if not colon or not _HEADER_NAME.fullmatch(text_name):
            raise CaptureFormatError(f"line {number}: expected 'Name: value', got a line without a valid header name")
        pairs.append((text_name, value.strip(b" \t").decode("latin-1")))
    headers = HeaderList(pairs)

    notes: list[str] = []
    if (headers.get("Transfer-Encoding") or "").lower() not in ("", "identity"):
        raise CaptureFormatError(
            "the HTTP capture uses Transfer-Encoding; save the decoded body with a Content-Length header instead"
        )
    length_text = headers.get("Content-Length")
    if length_text is not None:
        if not length_text.isdigit():
            raise CaptureFormatError(f"Content-Length must be a number of bytes; got {length_text[:20]!r}")
        length = int(length_text)
        if len(body) < length:
            # Kept as it is: a body consumed or cut before it was logged is what the
            # doctor should diagnose, not a reason to reject the capture.
            notes.append(
                f"the body has {len(body)} bytes but Content-Length is {length}: it was consumed "
                "or truncated before it was captured"
            )
        elif len(body) > length:
            notes.append(f"{len(body) - length} bytes after Content-Length ({length}) were ignored")
            body = body[:length]
    return Capture(headers=headers, body=body, format="http", notes=tuple(notes))


def _split_head(data: bytes) -> tuple[bytes, bytes, bytes]:
    # The first empty line ends the headers, whether lines end in CRLF or LF.
    match = re.search(rb"\r?\n\r?\n", data)
    if match is None:
        return data, b"", b""
    return data[:match.start()], match.group(), data[match.end():]


def parse_json_capture(data: bytes) -> Capture:
    """Parse a JSON capture record `{"headers": ..., "body" or "body_base64": ...}`.

    Raises:
        CaptureFormatError: the JSON is invalid or a field is missing or of the wrong type.
    """
    try:
        record = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CaptureFormatError("the JSON capture is not valid UTF-8; put the body in body_base64") from None
    except json.JSONDecodeError as exc:
        raise CaptureFormatError(f"the JSON capture is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(record, dict):
        raise CaptureFormatError("the JSON capture must be an object with 'headers' and 'body'")

    headers = HeaderList(_json_headers(record.get("headers")))
    if "body" in record and "body_base64" in record:
        raise CaptureFormatError("the JSON capture has both 'body' and 'body_base64'; keep one")
    if "body_base64" in record:
        encoded = record["body_base64"]
        if not isinstance(encoded, str):
            raise CaptureFormatError("'body_base64' must be a string of standard base64")
        try:
            body = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise CaptureFormatError("'body_base64' is not valid standard base64") from None
    elif "body" in record:
        if not isinstance(record["body"], str):
            raise CaptureFormatError(
                "'body' must be the body as a string, not parsed JSON; use 'body_base64' for exact bytes"
            )
        body = record["body"].encode("utf-8")
    else:
        raise CaptureFormatError("the JSON capture has no 'body' or 'body_base64' field")
    return Capture(headers=headers, body=body, format="json")


def _json_headers(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list) and all(isinstance(item, list) and len(item) == 2 for item in value):
        items = [(item[0], item[1]) for item in value]
    elif value is None:
        raise CaptureFormatError("the JSON capture has no 'headers' field")
    else:
        raise CaptureFormatError("'headers' must be an object or a list of [name, value] pairs")
    for name, header_value in items:
        if not isinstance(name, str) or not isinstance(header_value, str):
            raise CaptureFormatError("every header name and value in 'headers' must be a string")
    return items


def format_http_capture(headers: Any, body: bytes, *, path: str = "/notify",
                        content_length: int | None = None) -> bytes:
    """Write a raw HTTP/1.1 request capture.

    Content-Length is the body's length unless `content_length` gives the length the
    client sent, for a body that was consumed before it was logged.
    """
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in headers.items():
        if name.lower() in ("host", "content-length"):
            continue
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def format_json_capture(headers: Any, body: bytes) -> bytes:
    """Write a JSON capture record; the body goes in `body` when it is UTF-8, else in `body_base64`."""
    record: dict[str, Any] = {"headers": dict(headers.items())}
    try:
        record["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        record["body_base64"] = base64.b64encode(body).decode("ascii")
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
