"""Command line: `python -m wxpay_lesson COMMAND ...`.

Each command lives in its own module, which provides `register(subparsers)`; the
module adds its parser and sets `func(args) -> int` as the handler.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__

# Modules that register one subcommand each.
COMMAND_MODULES: tuple[str, ...] = (
    "wxpay_lesson.cli_doctor",
    "wxpay_lesson.cli_attack",
    "wxpay_lesson.merchant.command",
    "wxpay_lesson.platform.command",
)


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
