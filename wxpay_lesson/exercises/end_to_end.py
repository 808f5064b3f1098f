"""Checks for the exercises of notebook 05, the whole payment loop.

Exercise 1 runs the learner's `apply_payment_once` against real SQLite files in a
temporary folder, one call at a time and then from 16 threads at once. Exercise 2 gives
the learner's `verify_query_reply` order-query replies signed by the simulated platform
with a fixed clock, fixed nonces and the fixed test keys, so every report reads the
same on every run.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import CallbackError
from ..notification import CallbackVerifier, Transaction
from ..signature import build_message, sign_message
from ..simulator import SimulatedPlatform, compact_json
from ._checking import CheckReport

# 2024-01-01T10:00:00+08:00, the fixed time of every lesson.
FIXED_TIME = 1704074400
ORDER_NUMBER = "LESSON05-ORDER-1"
TRANSACTION_ID = "4200000000000000000000000005"
CONCURRENT_CALLS = 16

# The tables that exercise 1 works on. Amounts are int fen.
LESSON_SCHEMA = """\
CREATE TABLE orders (
    out_trade_no   TEXT PRIMARY KEY,
    amount_total   INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'NOTPAY',
    transaction_id TEXT UNIQUE
);
CREATE TABLE fulfilments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    out_trade_no TEXT NOT NULL
);
"""


# ---------------------------------------------------------------- exercise 1: apply exactly once


def _new_database(folder: Path, name: str, status: str = "NOTPAY") -> str:
    path = folder / f"{name}.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(LESSON_SCHEMA)
        db.execute("INSERT INTO orders (out_trade_no, amount_total, status) VALUES (?, 9900, ?)", (ORDER_NUMBER, status))
    return str(path)


def _state(path: str) -> tuple[str | None, int]:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT status FROM orders WHERE out_trade_no = ?", (ORDER_NUMBER,)).fetchone()
        fulfilments = db.execute("SELECT COUNT(*) FROM fulfilments").fetchone()[0]
    return (row[0] if row else None), fulfilments


def check_apply_payment_once(apply_payment_once: Callable[[str, str, str], bool]) -> CheckReport:
    """Check `apply_payment_once(db_path, out_trade_no, transaction_id) -> bool`.

    The function moves a NOTPAY order to SUCCESS, stores the transaction_id and inserts
    one `fulfilments` row, all in one transaction, and returns True. For an order that
    is not NOTPAY (already paid, CLOSED) or does not exist it changes nothing and
    returns False. Called from many threads at once, exactly one call returns True.
    """
    report = CheckReport("apply_payment_once")
    with tempfile.TemporaryDirectory(prefix="wxpay-lesson-05-") as folder_name:
        folder = Path(folder_name)

        def first_call() -> tuple[bool, str]:
            path = _new_database(folder, "first")
            result = apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID)
            status, fulfilments = _state(path)
            if result is not True:
                return False, f"returned {result!r} for a NOTPAY order; expected True"
            if status != "SUCCESS":
                return False, f"the order is {status} afterwards; expected SUCCESS"
            if fulfilments != 1:
                return False, f"{fulfilments} fulfilments rows; expected 1"
            return True, ""

        def second_call() -> tuple[bool, str]:
            path = _new_database(folder, "second")
            apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID)
            result = apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID)
            _, fulfilments = _state(path)
            if result is not False:
                return False, f"the duplicate call returned {result!r}; expected False"
            if fulfilments != 1:
                return False, f"{fulfilments} fulfilments rows after a duplicate; expected 1"
            return True, ""

        def closed_order() -> tuple[bool, str]:
            path = _new_database(folder, "closed", status="CLOSED")
            result = apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID)
            status, fulfilments = _state(path)
            if result is not False:
                return False, f"returned {result!r} for a CLOSED order; expected False"
            if (status, fulfilments) != ("CLOSED", 0):
                return False, f"a CLOSED order changed to {status} with {fulfilments} fulfilments rows"
            return True, ""

        def unknown_order() -> tuple[bool, str]:
            path = _new_database(folder, "unknown")
            result = apply_payment_once(path, "LESSON05-NOT-OURS", TRANSACTION_ID)
            _, fulfilments = _state(path)
            if result is not False:
                return False, f"returned {result!r} for an unknown out_trade_no; expected False"
            if fulfilments != 0:
                return False, f"{fulfilments} fulfilments rows for an unknown order; expected 0"
            return True, ""

        def concurrent_calls() -> tuple[bool, str]:
            path = _new_database(folder, "concurrent")
            barrier = threading.Barrier(CONCURRENT_CALLS)
            results: list[Any] = []
            errors: list[BaseException] = []

            def call() -> None:
                try:
                    barrier.wait(timeout=10)
                    results.append(apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID))
                except BaseException as exc:  # report the learner's error instead of losing it in a thread
                    errors.append(exc)

            threads = [threading.Thread(target=call) for _ in range(CONCURRENT_CALLS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            if errors:
                raise errors[0]
            _, fulfilments = _state(path)
            if results.count(True) != 1:
                return False, f"{results.count(True)} of {CONCURRENT_CALLS} concurrent calls returned True; expected 1"
            if fulfilments != 1:
                return False, f"{fulfilments} fulfilments rows after {CONCURRENT_CALLS} concurrent calls; expected 1"
            return True, ""

        report.run_case("a NOTPAY order is paid and fulfilled", first_call)
        report.run_case("a duplicate call changes nothing", second_call)
        report.run_case("a CLOSED order is not paid", closed_order)
        report.run_case("an unknown order changes nothing", unknown_order)
        report.run_case(f"{CONCURRENT_CALLS} concurrent calls pay once", concurrent_calls)
    return report


# ---------------------------------------------------------------- exercise 2: verify the query reply


def _signed_reply(platform: SimulatedPlatform, trade_state: str, *, timestamp: int = FIXED_TIME,
                  nonce: str = "q" * 32) -> tuple[dict[str, str], bytes]:
    resource = platform.transaction(ORDER_NUMBER, 9900, trade_state=trade_state, transaction_id=TRANSACTION_ID,
                                    success_time="2024-01-01T10:00:00+08:00")
    body = compact_json(resource)
    return platform.sign(body, timestamp=timestamp, nonce=nonce), body


def check_verify_query_reply(verify_query_reply: Callable[[dict[str, str], bytes, CallbackVerifier], Transaction]) -> CheckReport:
    """Check `verify_query_reply(headers, body, verifier) -> Transaction`.

    The function verifies the Wechatpay-* signature of an order-query reply over its
    raw body (signature type, timestamp window, key by serial, RSA signature), then
    returns `Transaction.from_resource` of the JSON body. It raises a `CallbackError`
    for any reply that fails verification.
    """
    report = CheckReport("verify_query_reply")
    platform = SimulatedPlatform(clock=lambda: FIXED_TIME)
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: FIXED_TIME)

    def accepts(trade_state: str) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            headers, body = _signed_reply(platform, trade_state)
            result = verify_query_reply(headers, body, verifier)
            if not isinstance(result, Transaction):
                return False, f"returned {type(result).__name__}; expected a Transaction"
            if (result.trade_state, result.amount_total) != (trade_state, 9900):
                return False, f"returned trade_state {result.trade_state} and {result.amount_total} fen"
            return True, ""
        return action

    def rejects(headers: dict[str, str], body: bytes, expected_code: str) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            try:
                result = verify_query_reply(headers, body, verifier)
            except NotImplementedError:
                raise
            except CallbackError as exc:
                if exc.code != expected_code:
                    return False, f"raised {exc.code}; expected {expected_code}"
                return True, ""
            return False, f"returned {type(result).__name__}; expected a CallbackError ({expected_code})"
        return action

    genuine_headers, genuine_body = _signed_reply(platform, "NOTPAY")
    changed_body = genuine_body.replace(b'"NOTPAY"', b'"SUCCESS"')

    attacker = platform.keys.attacker.private_key
    forged_body = _signed_reply(platform, "SUCCESS")[1]
    forged_headers = dict(genuine_headers)
    forged_headers["Wechatpay-Signature"] = sign_message(
        attacker, build_message(forged_headers["Wechatpay-Timestamp"], forged_headers["Wechatpay-Nonce"], forged_body))

    stale_headers, stale_body = _signed_reply(platform, "SUCCESS", timestamp=FIXED_TIME - 3600)
    missing_headers = {name: value for name, value in genuine_headers.items() if name != "Wechatpay-Signature"}

    report.run_case("a genuine SUCCESS reply is returned", accepts("SUCCESS"))
    report.run_case("a genuine NOTPAY reply is returned", accepts("NOTPAY"))
    report.run_case("a reply whose body was changed is rejected", rejects(genuine_headers, changed_body, "INVALID_SIGNATURE"))
    report.run_case("a reply signed with another key is rejected", rejects(forged_headers, forged_body, "INVALID_SIGNATURE"))
    report.run_case("a reply an hour old is rejected", rejects(stale_headers, stale_body, "TIMESTAMP_OUT_OF_WINDOW"))
    report.run_case("a reply without Wechatpay-Signature is rejected", rejects(missing_headers, genuine_body, "MISSING_HEADER"))
    return report
