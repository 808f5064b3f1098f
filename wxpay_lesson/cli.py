"""Command line: `python -m wxpay_lesson COMMAND ...`.

Each command lives in its own module, which provides `register(subparsers)`; the
module adds its parser and sets `func(args) -> int` as the handler.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import threading
from collections.abc import Sequence
from typing import Protocol

from . import __version__

# Modules that register one subcommand each.
COMMAND_MODULES: tuple[str, ...] = (
    "wxpay_lesson.cli_doctor",
    "wxpay_lesson.cli_attack",
    "wxpay_lesson.merchant.command",
    "wxpay_lesson.platform.command",
)


class StoppableServer(Protocol):
    """A server that already runs in a background thread and can be stopped."""

    def stop(self) -> None: ...


def add_listen_arguments(parser: argparse.ArgumentParser, *, default_port: int) -> None:
    """Add --port, --host and --lang, which every server command takes."""
    from .i18n import LANGUAGES

    parser.add_argument("--port", type=int, default=default_port,
                        help=f"TCP port to listen on; 0 lets the OS choose (default {default_port})")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of the messages: en or zh-CN (default from WXPAY_LESSON_LANG or LANG)")


def serve_until_interrupted(server: StoppableServer) -> int:
    """Block until Ctrl-C, then stop the server; return exit status 0."""
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m wxpay_lesson",
        description="WeChat Pay callback teaching kit / 微信支付回调教学套件",
    )
    parser.add_argument("--version", action="version", version=f"wxpay-lesson {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args))
