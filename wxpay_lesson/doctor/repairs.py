"""Candidate repairs of a body that fails verification, and the signs that point to each fault.

Each function returns (repair names, repaired body) pairs. The doctor checks every
candidate against the signature; a candidate that verifies proves how the body was
changed. The repair names are English keys of `texts.REPAIRS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import product
from typing import Any

from ..simulator import SUMMARIES

BOM = b"\xef\xbb\xbf"

# The order in which WeChat Pay writes the envelope's and the resource's keys.
ENVELOPE_ORDER = ("id", "create_time", "resource_type", "event_type", "summary", "resource")
RESOURCE_ORDER = ("original_type", "algorithm", "ciphertext", "associated_data", "nonce")

# camelCase names that Java and JavaScript object mappers produce for WeChat Pay's keys.
SNAKE_CASE_KEYS = {
    "createTime": "create_time",
    "resourceType": "resource_type",
    "eventType": "event_type",
    "originalType": "original_type",
    "associatedData": "associated_data",
}

Candidate = tuple[list[str], bytes]


def extra_byte_repairs(body: bytes) -> list[Candidate]:
    """Return the body without a leading BOM, a trailing newline, or surrounding whitespace."""
    candidates: list[Candidate] = []
    if body.startswith(BOM):
        candidates.append((["remove the UTF-8 byte order mark"], body[len(BOM):]))
    without_bom = body[len(BOM):] if body.startswith(BOM) else body
    names = ["remove the UTF-8 byte order mark"] if body.startswith(BOM) else []
    if without_bom.rstrip(b"\r\n") != without_bom:
        candidates.append((names + ["remove the trailing newline"], without_bom.rstrip(b"\r\n")))
    if without_bom.strip() != without_bom.rstrip(b"\r\n"):
        candidates.append((names + ["remove the surrounding whitespace"], without_bom.strip()))
    return candidates


def extra_byte_signs(body: bytes) -> list[str]:
    """Return the signs of added bytes: a BOM at the start or whitespace after the JSON."""
    signs = []
    if body.startswith(BOM):
        signs.append("a UTF-8 byte order mark at the start")
    if body.strip() and body != body.rstrip():
        signs.append("whitespace after the JSON")
    return signs


def charset_repairs(body: bytes) -> list[Candidate]:
    """Return the body with common wrong charset conversions undone.

    A body that was decoded as Latin-1 (or Windows-1252) and encoded as UTF-8 is undone
    by decoding UTF-8 and encoding Latin-1. A body re-encoded to GBK or GB18030 is
    undone by decoding that charset and encoding UTF-8.
    """
    candidates: list[Candidate] = []
    conversions = [
        ("undo a Latin-1 decoding", "utf-8", "latin-1"),
        ("undo a Windows-1252 decoding", "utf-8", "cp1252"),
        ("undo a GBK re-encoding", "gbk", "utf-8"),
        ("undo a GB18030 re-encoding", "gb18030", "utf-8"),
    ]
    for name, decode_as, encode_as in conversions:
        try:
            repaired = body.decode(decode_as).encode(encode_as)
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
        if repaired != body and all(repaired != seen for _, seen in candidates):
            candidates.append(([name], repaired))
    return candidates


def charset_signs(body: bytes) -> list[str]:
    """Return the signs of a charset change: invalid UTF-8, U+FFFD, or Latin-1 mojibake."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ["bytes that are not valid UTF-8"]
    signs = []
    if "\ufffd" in text:
        signs.append("U+FFFD replacement characters")
    # UTF-8 lead bytes of CJK text (0xE4-0xE9) read as Latin-1 give these letters,
    # followed by a C1 control or a Latin-1 symbol from the continuation byte.
    if re.search("[\u00e4-\u00e9][\u0080-\u00bf]", text):
        signs.append("mojibake typical of UTF-8 read as Latin-1")
    return signs


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def reserialization_repairs(body: bytes) -> list[Candidate]:
    """Return compact UTF-8 re-serialisations of the parsed body, as WeChat Pay writes JSON.

    The candidates combine three optional fixes: keys put back in WeChat Pay's order,
    camelCase key names turned back into snake_case, and a missing `summary` restored
    from the event type.
    """
    parsed = _load_json(body.lstrip(BOM))
    if not isinstance(parsed, dict):
        return []
    candidates: list[Candidate] = []
    for reorder, rename, restore in product((False, True), repeat=3):
        value: dict[str, Any] = parsed
        names = ["serialise compactly as UTF-8"]
        if rename:
            renamed = _rename_keys(value)
            if renamed == value:
                continue
            value, names = renamed, names + ["restore snake_case key names"]
        if restore:
            restored = _restore_summary(value)
            if restored is None:
                continue
            value, names = restored, names + ["restore the missing summary"]
        if reorder:
            ordered = _wechat_order(value)
            if list(_walk_keys(ordered)) == list(_walk_keys(value)):
                continue
            value, names = ordered, names + ["put the keys in WeChat Pay's order"]
        repaired = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if repaired != body and all(repaired != seen for _, seen in candidates):
            candidates.append((names, repaired))
    return candidates


def reserialization_signs(body: bytes) -> list[str]:
    """Return the signs of a re-serialised body that the JSON itself shows."""
    parsed = _load_json(body.lstrip(BOM))
    if not isinstance(parsed, dict):
        return []
    signs = []
    compact = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    escaped = re.search(rb"\\u[0-9a-fA-F]{4}", body) is not None
    if _without_escapes(body.strip()) != _without_escapes(compact) and _has_token_whitespace(body.strip()):
        signs.append("spaces or newlines between JSON tokens")
    if escaped:
        signs.append("\\uXXXX escapes where WeChat Pay sends UTF-8 text")
    renamed = _rename_keys(parsed)
    if list(_walk_keys(_wechat_order(renamed))) != list(_walk_keys(renamed)):
        signs.append("keys in an order unlike WeChat Pay's")
    if "summary" not in parsed and "event_type" in parsed:
        signs.append("a missing summary field")
    if renamed != parsed:
        signs.append("camelCase key names")
    return signs


def _without_escapes(data: bytes) -> bytes:
    return re.sub(rb"\\u[0-9a-fA-F]{4}", b"?", data)


def _has_token_whitespace(data: bytes) -> bool:
    # Whitespace right after a structural character, outside strings. Envelope strings
    # never contain `": ` or `, "`, so a search of the bytes is enough here.
    return re.search(rb'[{\[,:][ \t\r\n]|[ \t\r\n][}\]]', data) is not None


def _walk_keys(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + key
            yield from _walk_keys(item, prefix + key + ".")


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    known = [key for key in order if key in mapping]
    others = [key for key in mapping if key not in order]
    return {key: mapping[key] for key in known + others}


def _wechat_order(envelope: dict[str, Any]) -> dict[str, Any]:
    ordered = _ordered(envelope, ENVELOPE_ORDER)
    if isinstance(ordered.get("resource"), dict):
        ordered["resource"] = _ordered(ordered["resource"], RESOURCE_ORDER)
    return ordered


def _rename_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {SNAKE_CASE_KEYS.get(key, key): _rename_keys(item) for key, item in value.items()}
    return value


def _restore_summary(envelope: dict[str, Any]) -> dict[str, Any] | None:
    # NOTE: only the summaries of the event types in simulator.SUMMARIES are known. For
    # other event types a dropped summary cannot be restored, so it is only reported.
    if "summary" in envelope or envelope.get("event_type") not in SUMMARIES:
        return None
    restored: dict[str, Any] = {}
    for key, item in envelope.items():
        restored[key] = item
        if key == "event_type":
            restored["summary"] = SUMMARIES[envelope["event_type"]]
    return restored


def replace_associated_data(body: bytes, found: str, original: str) -> bytes | None:
    """Return the body with `"associated_data":"found"` written back as `original`, or None."""
    old = b'"associated_data":' + json.dumps(found, ensure_ascii=False).encode("utf-8")
    new = b'"associated_data":' + json.dumps(original, ensure_ascii=False).encode("utf-8")
    if body.count(old) != 1:
        return None
    return body.replace(old, new)
