"""`python -m wxpay_lesson merchant`: run the merchant backend in the foreground.

Every defence is on unless switched off with an `--insecure-*` flag, and the command
refuses to start with any defence off unless `--demo-insecure` is also given.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..cli import add_listen_arguments, serve_until_interrupted
from ..i18n import command_message
from .defences import Defences
from .server import MerchantServer

logger = logging.getLogger(__name__)

# Flag name -> (Defences field, value that switches the defence off, help text).
INSECURE_FLAGS: dict[str, tuple[str, bool, str]] = {
    "--insecure-no-signature": ("signature", False, "skip the RSA signature check (decryption still runs)"),
    "--insecure-no-timestamp-window": ("timestamp_window", False, "accept any Wechatpay-Timestamp, so replays work"),
    "--insecure-trust-sender-certificate": (
        "serial_allow_list", False, "verify an unknown serial with the Wechatpay-Certificate header the request carries"),
    "--insecure-accept-probes": ("probe_handling", False, "let a WECHATPAY/SIGNTEST/ signature pass without an RSA check"),
    "--insecure-no-business-checks": ("business_checks", False, "skip comparing amount, mchid, appid with the order"),
    "--insecure-no-exactly-once": ("exactly_once", False, "apply every delivery, so duplicates repeat the side effect"),
    "--insecure-trust-client-report": ("trust_client_report", True, "let the client's \"I paid\" mark the order paid"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `merchant` subcommand."""
    parser = subparsers.add_parser(
        "merchant", help="run the merchant backend (orders, /notify) on 127.0.0.1 / 在 127.0.0.1 上运行商户后端",
        description="Run the merchant reference backend: checkout, order lookup, client reports and the "
                    "notify_url, on a SQLite database.",
    )
    add_listen_arguments(parser, default_port=8000)
    parser.add_argument("--db", default="work/merchant.sqlite3", help="SQLite database file (default work/merchant.sqlite3)")
    parser.add_argument("--platform-url", default=None,
                        help="base URL of the simulated WeChat Pay service, e.g. http://127.0.0.1:8001")
    group = parser.add_argument_group("insecure demo switches (classroom attack demos only)")
    group.add_argument("--demo-insecure", action="store_true",
                       help="required together with any --insecure-* flag: confirms a deliberately vulnerable server")
    for flag, (_, _, help_text) in INSECURE_FLAGS.items():
        group.add_argument(flag, action="store_true", help=help_text)
    parser.set_defaults(func=run)


def defences_from_args(args: argparse.Namespace) -> Defences:
    """Return the Defences that the --insecure-* flags select."""
    changes = {}
    for flag, (field_name, insecure_value, _) in INSECURE_FLAGS.items():
        if getattr(args, flag.lstrip("-").replace("-", "_")):
            changes[field_name] = insecure_value
    return Defences(**changes)


def run(args: argparse.Namespace) -> int:
    """Start the merchant server and serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    defences = defences_from_args(args)
    if not defences.all_on and not args.demo_insecure:
        print(command_message("insecure_without_flag", args.lang, switches=", ".join(defences.insecure_switches())),
              file=sys.stderr)
        return 2
    try:
        server = MerchantServer(args.db, args.platform_url, defences=defences, host=args.host, port=args.port)
        server.start()
    except (OSError, ValueError) as exc:
        service = command_message("service_merchant", args.lang)
        print(command_message("cannot_start", args.lang, service=service, host=args.host, port=args.port, error=exc),
              file=sys.stderr)
        return 1
    print(command_message("merchant_listening", args.lang, url=server.url, notify_url=server.notify_url,
                          database=args.db), flush=True)
    return serve_until_interrupted(server)
