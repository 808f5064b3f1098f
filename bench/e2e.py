#!/usr/bin/env python3
"""Measure verified callbacks per second through the merchant's /notify over real HTTP.

Usage: python bench/e2e.py [--callbacks N] [--clients C] [--rounds R]

One run measures two servers on 127.0.0.1, both on werkzeug's threaded WSGI server:

- baseline: a bare Flask endpoint that reads the body and replies 204;
- merchant: `MerchantServer` on a SQLite file, where each callback is verified (RSA),
  decrypted (AES-GCM), checked against its order and applied in one transaction.

Every callback is for a different order, so each one is applied, not deduplicated.
The notifications are signed before timing starts; only the HTTP round trips count.
The two servers take turns for R rounds, each round on fresh orders. The result is the
median merchant rate as a fraction of the median baseline rate, so the cost of the HTTP
stack on the machine cancels out.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform as host_platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask import Flask, Response, request

from wxpay_lesson import SimulatedPlatform
from wxpay_lesson.merchant import BackgroundServer, MerchantServer, post_notification


def bare_app() -> Flask:
    """Return a Flask app whose /notify reads the body and does nothing else."""
    app = Flask("bench-baseline")

    @app.post("/notify")
    def notify() -> Response:
        request.get_data()
        return Response(status=204)

    return app


def measure(notify_url: str, notifications: list[tuple[dict[str, str], bytes]], clients: int) -> float:
    """Post every notification from `clients` threads and return callbacks per second."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(lambda item: post_notification(notify_url, *item), notifications))
    elapsed = time.perf_counter() - started
    failures = [status for status in statuses if status not in (200, 204)]
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(statuses)} callbacks failed, first status {failures[0]}")
    return len(notifications) / elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=400, help="callbacks per server per round (default 400)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server; the median counts (default 3)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    signer = SimulatedPlatform()
    baseline_rates: list[float] = []
    merchant_rates: list[float] = []
    with tempfile.TemporaryDirectory(prefix="wxpay-lesson-bench-") as folder:
        merchant = MerchantServer(Path(folder) / "merchant.sqlite3")
        with BackgroundServer(bare_app(), name="baseline") as baseline, merchant:
            for round_number in range(args.rounds):
                numbers = [f"BENCH-{round_number}-{index:06d}" for index in range(args.callbacks)]
                notifications = [signer.notify(signer.transaction(number, 1800)) for number in numbers]
                for number in numbers:
                    merchant.store.create_order(number, "Coffee", 1800)
                # One request to the baseline first, so that its first connection is not timed.
                post_notification(baseline.url + "/notify", *notifications[0])
                baseline_rates.append(measure(baseline.url + "/notify", notifications, args.clients))
                merchant_rates.append(measure(merchant.notify_url, notifications, args.clients))
        paid = sum(order.status == "SUCCESS" and order.side_effects == 1 for order in merchant.store.orders())

    expected = args.callbacks * args.rounds
    if paid != expected:
        print(f"error: {paid} of {expected} orders were paid exactly once", file=sys.stderr)
        return 1
    baseline_rate = statistics.median(baseline_rates)
    merchant_rate = statistics.median(merchant_rates)
    print(f"machine: {host_platform.machine()}, {os.cpu_count()} CPUs, Python {host_platform.python_version()}")
    print(f"callbacks: {args.callbacks} per server per round, {args.rounds} rounds, {args.clients} client threads")
    print(f"baseline (bare Flask endpoint): {baseline_rate:.0f} callbacks/s (median)")
    print(f"merchant (verify, decrypt, check, apply): {merchant_rate:.0f} callbacks/s (median)")
    print(f"ratio merchant/baseline: {merchant_rate / baseline_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
