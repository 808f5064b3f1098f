"""The `doctor` command: diagnose a captured callback that fails verification.

    python -m wxpay_lesson doctor CAPTURE [--public-key SERIAL=PEMFILE ...]
        [--api-v3-key-file FILE] [--now UNIX_SECONDS] [--json] [--lang en|zh-CN]
        [--message-file FILE] [--merchant-certificate PEMFILE] [--show-plaintext]

Exit status: 0 when the capture verifies, 1 when it does not, 2 when the command line
or an input file is invalid. The APIv3 key is never printed, and the decrypted resource
only with --show-plaintext.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from .doctor import CaptureFormatError, diagnose, load_capture
from .errors import KeyConfigError
from .i18n import normalize_language
from .keys import load_public_key


class _InputError(Exception):
    """An argument or input file the doctor cannot use; the message names it and the fix."""


def register(subparsers: Any) -> None:
    """Add the `doctor` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="explain why a captured callback fails verification / 诊断回调验签失败的原因",
        description=(
            "Run every verification step on a captured WeChat Pay callback and explain which "
            "step fails and why. CAPTURE is a raw HTTP request (request line, headers, empty "
            "line, body) or JSON {\"headers\": {...}, \"body\": \"...\"} with body_base64 "
            "accepted in place of body. Exit status: 0 verifies, 1 does not, 2 invalid input."
        ),
    )
    parser.add_argument("capture", metavar="CAPTURE", help="path of the capture file")

    # The merchant's key material.
    parser.add_argument(
        "--public-key", action="append", default=[], metavar="SERIAL=PEMFILE",
        help="a platform certificate or WeChat Pay public key (PEM file) under its Wechatpay-Serial "
             "value: hex certificate serial or PUB_KEY_ID_... id. Repeat for several keys",
    )
    parser.add_argument(
        "--api-v3-key-file", metavar="FILE",
        help="file that contains the APIv3 key; one final line ending is removed, as editors add it. "
             "Without it, decryption is skipped",
    )
    parser.add_argument(
        "--merchant-certificate", action="append", default=[], metavar="PEMFILE",
        help="the merchant's own API certificate, to recognise it when it was loaded as a platform key",
    )

    # What the caller's own code did, and the verifying clock.
    parser.add_argument(
        "--message-file", metavar="FILE",
        help="the exact bytes your own code passed to the RSA verify as the signed message; when the capture "
             "verifies, the doctor compares them with the message WeChat Pay signed",
    )
    parser.add_argument("--now", type=float, metavar="UNIX_SECONDS",
                        help="the current time in Unix seconds for the timestamp check (default: the system clock)")
    parser.add_argument("--max-clock-skew", type=float, default=300, metavar="SECONDS",
                        help="the timestamp window in seconds, past or future (default: 300)")

    # Output.
    parser.add_argument("--json", action="store_true",
                        help="print JSON: ok, failed_step, causes (code, explanation) and steps")
    parser.add_argument("--lang", metavar="en|zh-CN",
                        help="language of explanations (default: from WXPAY_LESSON_LANG or LANG); codes stay English")
    parser.add_argument("--show-plaintext", action="store_true",
                        help="also print the decrypted resource; it contains payer and order data")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Diagnose the capture and print the result; return the exit status."""
    try:
        lang = normalize_language(args.lang)
        capture = _read_capture(args.capture)
        public_keys = _read_public_keys(args.public_key)
        api_v3_key = _read_api_v3_key(args.api_v3_key_file)
        merchant_certificates = [_read_pem(path, "--merchant-certificate") for path in args.merchant_certificate]
        caller_message = _read_file(args.message_file, "--message-file") if args.message_file else None
        if not math.isfinite(args.max_clock_skew) or args.max_clock_skew <= 0:
            raise _InputError(f"--max-clock-skew must be a positive number of seconds; got {args.max_clock_skew:g}")
        if args.now is not None and not math.isfinite(args.now):
            raise _InputError(f"--now must be Unix seconds; got {args.now:g}")
    except (_InputError, ValueError) as exc:
        print(f"doctor: {exc}", file=sys.stderr)
        return 2

    now = args.now
    clock = (lambda: now) if now is not None else time.time
    diagnosis = diagnose(capture.headers, capture.body, public_keys=public_keys, api_v3_key=api_v3_key,
                         clock=clock, max_clock_skew=args.max_clock_skew,
                         merchant_certificates=merchant_certificates, caller_message=caller_message)
    for note in capture.notes:
        print(f"doctor: {note}", file=sys.stderr)
    if args.json:
        print(diagnosis.to_json(lang, show_plaintext=args.show_plaintext))
    else:
        print(diagnosis.render(lang, show_plaintext=args.show_plaintext))
    return 0 if diagnosis.ok else 1


def _read_capture(path: str) -> Any:
    try:
        return load_capture(path)
    except FileNotFoundError:
        raise _InputError(f"capture file not found: {path}") from None
    except CaptureFormatError as exc:
        raise _InputError(f"{path}: {exc}") from None


def _read_public_keys(entries: list[str]) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for entry in entries:
        serial, equals, path = entry.partition("=")
        if not equals or not serial or not path:
            raise _InputError(
                f"--public-key expects SERIAL=PEMFILE, for example "
                f"3A1B5C7D9E2F40618293A4B5C6D7E8F901234567=platform_certificate.pem; got {entry!r}"
            )
        keys[serial] = _read_pem(path, f"--public-key {serial}")
    return keys


def _read_pem(path: str, option: str) -> bytes:
    pem = _read_file(path, option)
    try:
        load_public_key(pem, label=f"{option} ({path})")
    except KeyConfigError as exc:
        raise _InputError(str(exc)) from None
    return pem


def _read_file(path: str, option: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _InputError(f"{option}: cannot read {path}: {exc.strerror}") from None


def _read_api_v3_key(path: str | None) -> bytes | None:
    if path is None:
        return None
    key = _read_file(path, "--api-v3-key-file")
    for ending in (b"\r\n", b"\n"):
        if key.endswith(ending):
            return key[: -len(ending)]
    return key
