"""The whole payment loop across processes: duplicate storms and a merchant crash.

Merchants run as real `python -m wxpay_lesson merchant` processes on 127.0.0.1 over
one shared SQLite file; duplicates come from several poster processes at once.
"""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from wxpay_lesson.merchant import OrderStore
from wxpay_lesson.platform import PlatformServer

from .test_merchant_http import call

REPOSITORY = Path(__file__).resolve().parent.parent
POSTER_PROCESSES = 5
DELIVERIES = 50


class MerchantProcess:
    """A merchant started with the command line, in its own process."""

    def __init__(self, db_path: Path, platform_url: str | None = None, port: int = 0) -> None:
        command = [sys.executable, "-m", "wxpay_lesson", "merchant", "--port", str(port), "--db", str(db_path)]
        if platform_url is not None:
            command += ["--platform-url", platform_url]
        self.process = subprocess.Popen(command, cwd=REPOSITORY, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if "listening on " not in line:
            self.process.kill()
            raise RuntimeError(f"merchant did not start: {line!r}")
        self.url = line.split("listening on ", 1)[1].split()[0]
        self.port = int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        """Kill the process at once, as a crash does: no cleanup, no graceful shutdown."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def post_deliveries(urls: list[str], headers: dict[str, str], body: bytes, count: int, barrier) -> list[int]:
    """Post one notification `count` times, alternating between merchants, after all posters are ready."""
    barrier.wait(timeout=30)
    statuses = []
    for index in range(count):
        request = urllib.request.Request(urls[index % len(urls)] + "/notify", data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    return statuses


def test_duplicate_storm_from_processes_applies_once(tmp_path):
    db_path = tmp_path / "merchant.sqlite3"
    with PlatformServer(time_scale=1e-4) as platform:
        merchants = [MerchantProcess(db_path, platform.url) for _ in range(2)]
        try:
            status, order = call("POST", merchants[0].url + "/orders", {"item": "membership"})
            assert status == 201
            number = order["out_trade_no"]
            platform.pay(number, deliver=False)
            headers, body = platform.service.signed_notification(number)

            context = multiprocessing.get_context("spawn")
            per_process = [DELIVERIES // POSTER_PROCESSES] * POSTER_PROCESSES
            urls = [merchant.url for merchant in merchants]
            with context.Manager() as manager, context.Pool(POSTER_PROCESSES) as pool:
                barrier = manager.Barrier(POSTER_PROCESSES)
                results = pool.starmap(post_deliveries, [(urls, headers, body, n, barrier) for n in per_process])
        finally:
            for merchant in merchants:
                merchant.stop()

    statuses = Counter(status for result in results for status in result)
    store = OrderStore(db_path)
    outcomes = Counter(row["outcome"] for row in store.processed(number))
    assert sum(statuses.values()) == DELIVERIES
    assert set(statuses) == {204}
    assert store.get_order(number).status == "SUCCESS"
    assert store.get_order(number).side_effects == 1
    assert outcomes == {"APPLIED": 1, "DUPLICATE": DELIVERIES - 1}


def test_merchant_crash_loses_nothing_and_applies_once(tmp_path):
    db_path = tmp_path / "merchant.sqlite3"
    orders = 12
    # At scale 0.005 the retries come 0.075, 0.15, 0.3, 1.2 and 4.2 s after the first
    # attempt, so some of them fall after the restart.
    with PlatformServer(time_scale=0.005) as platform:
        merchant = MerchantProcess(db_path, platform.url)
        port = merchant.port
        numbers = []
        for _ in range(orders):
            status, order = call("POST", merchant.url + "/orders", {"item": "coffee"})
            assert status == 201
            numbers.append(order["out_trade_no"])

        # Half the payments are in flight when the merchant dies. The other half are
        # paid while it is down, so their first attempts are certain to fail.
        jobs = [platform.pay(number) for number in numbers[: orders // 2]]
        merchant.kill()
        jobs += [platform.pay(number) for number in numbers[orders // 2:]]
        time.sleep(0.2)
        restarted = MerchantProcess(db_path, platform.url, port=port)
        try:
            finished = [job.wait(30) for job in jobs]
        finally:
            restarted.stop()

    store = OrderStore(db_path)
    assert all(finished)
    assert {job.state for job in jobs} == {"RECEIVED"}
    assert any(attempt.outcome == "CONNECTION_FAILED" for attempt in platform.attempts())
    for number in numbers:
        order = store.get_order(number)
        assert order.status == "SUCCESS", number
        assert order.side_effects == 1, number
        assert Counter(row["outcome"] for row in store.processed(number))["APPLIED"] == 1, number
