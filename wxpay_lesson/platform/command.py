"""`python -m wxpay_lesson platform`: run the simulated WeChat Pay service in the foreground."""

from __future__ import annotations

import argparse
import logging
import sys

from ..cli import add_listen_arguments, serve_until_interrupted
from ..i18n import command_message
from .server import PlatformServer


def positive_float(text: str) -> float:
    """Parse a positive number for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `platform` subcommand."""
    parser = subparsers.add_parser(
        "platform", help="run the simulated WeChat Pay service on 127.0.0.1 / 在 127.0.0.1 上运行模拟微信支付服务",
        description="Run the simulated WeChat Pay service: prepay, signed order query, demo payments and "
                    "callback delivery with WeChat Pay's retry schedule.",
    )
    add_listen_arguments(parser, default_port=8001)
    parser.add_argument("--time-scale", type=positive_float, default=1.0,
                        help="multiplies every retry interval; 0.001 turns the 24 h schedule into 87 s (default 1)")
    parser.add_argument("--reply-deadline", type=positive_float, default=None,
                        help="seconds a merchant has to reply (default 5 x time scale, at least 0.5)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the platform server and serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        server = PlatformServer(time_scale=args.time_scale, reply_deadline=args.reply_deadline,
                                host=args.host, port=args.port)
        server.start()
    except (OSError, ValueError) as exc:
        service = command_message("service_platform", args.lang)
        print(command_message("cannot_start", args.lang, service=service, host=args.host, port=args.port, error=exc),
              file=sys.stderr)
        return 1
    print(command_message("platform_listening", args.lang, url=server.url, time_scale=f"{args.time_scale:g}",
                          deadline=f"{server.service.delivery.reply_deadline:g}"), flush=True)
    return serve_until_interrupted(server)
