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
from ..platform.texts import output_language
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


# Every text a check report shows, in English and Simplified Chinese. A notebook in
# notebooks/zh-CN/ gets Chinese reports from the same code cell as the English edition.
_TEXTS: dict[str, tuple[str, str]] = {
    "case_first": ("a NOTPAY order is paid and fulfilled", "NOTPAY 订单被支付并履约"),
    "case_duplicate": ("a duplicate call changes nothing", "重复调用不改变任何数据"),
    "case_closed": ("a CLOSED order is not paid", "CLOSED 订单不会被标记为已支付"),
    "case_unknown": ("an unknown order changes nothing", "未知订单不改变任何数据"),
    "case_concurrent": ("{count} concurrent calls pay once", "{count} 个并发调用只支付一次"),
    "returned_for_notpay": ("returned {result} for a NOTPAY order; expected True", "对 NOTPAY 订单返回了 {result}，应为 True"),
    "status_after": ("the order is {status} afterwards; expected SUCCESS", "调用后订单状态为 {status}，应为 SUCCESS"),
    "fulfilment_rows": ("{rows} fulfilments rows; expected 1", "fulfilments 表有 {rows} 行，应为 1 行"),
    "duplicate_returned": ("the duplicate call returned {result}; expected False", "重复调用返回了 {result}，应为 False"),
    "duplicate_rows": ("{rows} fulfilments rows after a duplicate; expected 1", "重复调用后 fulfilments 表有 {rows} 行，应为 1 行"),
    "closed_returned": ("returned {result} for a CLOSED order; expected False", "对 CLOSED 订单返回了 {result}，应为 False"),
    "closed_changed": ("a CLOSED order changed to {status} with {rows} fulfilments rows",
                       "CLOSED 订单变成了 {status}，fulfilments 表有 {rows} 行"),
    "unknown_returned": ("returned {result} for an unknown out_trade_no; expected False",
                         "对未知的 out_trade_no 返回了 {result}，应为 False"),
    "unknown_rows": ("{rows} fulfilments rows for an unknown order; expected 0", "未知订单产生了 {rows} 行 fulfilments，应为 0 行"),
    "concurrent_true": ("{winners} of {count} concurrent calls returned True; expected 1",
                        "{count} 个并发调用中有 {winners} 个返回 True，应为 1 个"),
    "concurrent_rows": ("{rows} fulfilments rows after {count} concurrent calls; expected 1",
                        "{count} 个并发调用后 fulfilments 表有 {rows} 行，应为 1 行"),
    "case_genuine": ("a genuine {state} reply is returned", "真实的 {state} 应答被返回"),
    "case_changed_body": ("a reply whose body was changed is rejected", "报文主体被改动的应答被拒绝"),
    "case_other_key": ("a reply signed with another key is rejected", "用其他密钥签名的应答被拒绝"),
    "case_stale": ("a reply an hour old is rejected", "一小时前的应答被拒绝"),
    "case_missing_signature": ("a reply without Wechatpay-Signature is rejected", "缺少 Wechatpay-Signature 的应答被拒绝"),
    "want_transaction": ("returned {type}; expected a Transaction", "返回了 {type}，应为 Transaction"),
    "wrong_transaction": ("returned trade_state {state} and {amount} fen", "返回的 trade_state 为 {state}，金额为 {amount} 分"),
    "wrong_code": ("raised {code}; expected {expected}", "抛出了 {code}，应为 {expected}"),
    "want_error": ("returned {type}; expected a CallbackError ({expected})", "返回了 {type}，应抛出 CallbackError（{expected}）"),
}


def _text(key: str, **values: Any) -> str:
    """Return a report text in the notebook's language, with `values` filled in."""
    english, chinese = _TEXTS[key]
    template = chinese if output_language() == "zh-CN" else english
    return template.format(**values)


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
                return False, _text("returned_for_notpay", result=repr(result))
            if status != "SUCCESS":
                return False, _text("status_after", status=status)
            if fulfilments != 1:
                return False, _text("fulfilment_rows", rows=fulfilments)
            return True, ""

        def second_call() -> tuple[bool, str]:
            path = _new_database(folder, "second")
            apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID)
            result = apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID)
            _, fulfilments = _state(path)
            if result is not False:
                return False, _text("duplicate_returned", result=repr(result))
            if fulfilments != 1:
                return False, _text("duplicate_rows", rows=fulfilments)
            return True, ""

        def closed_order() -> tuple[bool, str]:
            path = _new_database(folder, "closed", status="CLOSED")
            result = apply_payment_once(path, ORDER_NUMBER, TRANSACTION_ID)
            status, fulfilments = _state(path)
            if result is not False:
                return False, _text("closed_returned", result=repr(result))
            if (status, fulfilments) != ("CLOSED", 0):
                return False, _text("closed_changed", status=status, rows=fulfilments)
            return True, ""

        def unknown_order() -> tuple[bool, str]:
            path = _new_database(folder, "unknown")
            result = apply_payment_once(path, "LESSON05-NOT-OURS", TRANSACTION_ID)
            _, fulfilments = _state(path)
            if result is not False:
                return False, _text("unknown_returned", result=repr(result))
            if fulfilments != 0:
                return False, _text("unknown_rows", rows=fulfilments)
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
                return False, _text("concurrent_true", winners=results.count(True), count=CONCURRENT_CALLS)
            if fulfilments != 1:
                return False, _text("concurrent_rows", rows=fulfilments, count=CONCURRENT_CALLS)
            return True, ""

        report.run_case(_text("case_first"), first_call)
        report.run_case(_text("case_duplicate"), second_call)
        report.run_case(_text("case_closed"), closed_order)
        report.run_case(_text("case_unknown"), unknown_order)
        report.run_case(_text("case_concurrent", count=CONCURRENT_CALLS), concurrent_calls)
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
                return False, _text("want_transaction", type=type(result).__name__)
            if (result.trade_state, result.amount_total) != (trade_state, 9900):
                return False, _text("wrong_transaction", state=result.trade_state, amount=result.amount_total)
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
                    return False, _text("wrong_code", code=exc.code, expected=expected_code)
                return True, ""
            return False, _text("want_error", type=type(result).__name__, expected=expected_code)
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

    report.run_case(_text("case_genuine", state="SUCCESS"), accepts("SUCCESS"))
    report.run_case(_text("case_genuine", state="NOTPAY"), accepts("NOTPAY"))
    report.run_case(_text("case_changed_body"), rejects(genuine_headers, changed_body, "INVALID_SIGNATURE"))
    report.run_case(_text("case_other_key"), rejects(forged_headers, forged_body, "INVALID_SIGNATURE"))
    report.run_case(_text("case_stale"), rejects(stale_headers, stale_body, "TIMESTAMP_OUT_OF_WINDOW"))
    report.run_case(_text("case_missing_signature"), rejects(missing_headers, genuine_body, "MISSING_HEADER"))
    return report
