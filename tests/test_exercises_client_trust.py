"""The checks of notebook 04's exercises: every solution passes, and wrong implementations fail.

The placeholders are taken from the notebook itself, so a notebook whose placeholder
would already pass its check fails here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wxpay_lesson import BusinessMismatchError, CallbackError, CallbackVerifier, Transaction
from wxpay_lesson.exercises import check_business_checks, check_reply, check_retry_offsets
from wxpay_lesson.exercises._checking import CheckReport
from wxpay_lesson.merchant.business import OrderRecord, OrderStatus
from wxpay_lesson.retries import RETRY_INTERVALS_SECONDS

from .notebook_code import load_placeholder, load_solution

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "en" / "04-never-trust-the-client.ipynb"
SOLUTION = ROOT / "notebooks" / "solutions" / "s04_client_trust.py"


solutions = load_solution(SOLUTION)

CHECKS: dict[str, Callable[[Any], CheckReport]] = {
    "mark_paid": check_business_checks,
    "handle_callback": check_reply,
    "delivery_offsets": check_retry_offsets,
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_solution_passes_check(name: str) -> None:
    report = CHECKS[name](getattr(solutions, name))
    assert report.passed, str(report)
    assert len(report.cases) >= 5


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_notebook_placeholder_fails_check(name: str) -> None:
    placeholder = load_placeholder(NOTEBOOK, name)
    report = CHECKS[name](placeholder)
    assert not report.passed
    assert [case.name for case in report.cases if case.passed] == []
    assert all("not implemented yet" in case.detail for case in report.cases), str(report)


# ---------------------------------------------------------------- wrong implementations fail


def mark_paid_without_checks(order: OrderRecord | None, transaction: Transaction, *, mchid: str, appid: str) -> OrderRecord:
    assert order is not None
    return dataclasses.replace(order, status=OrderStatus.SUCCESS)


def test_business_check_catches_missing_checks() -> None:
    report = check_business_checks(mark_paid_without_checks)
    outcomes = {case.name: case for case in report.cases}
    assert outcomes["a matching payment marks the order SUCCESS"].passed
    assert not outcomes["1 fen paid on a 9900 fen order"].passed
    assert "marked the order paid although amount.total does not match" in outcomes["1 fen paid on a 9900 fen order"].detail
    assert not outcomes["another merchant's mchid"].passed
    assert not outcomes["a CLOSED order cannot become SUCCESS"].passed


def mark_paid_naming_wrong_field(order: OrderRecord | None, transaction: Transaction, *, mchid: str, appid: str) -> OrderRecord:
    raise BusinessMismatchError("order", "mismatch")


def test_business_check_requires_the_field_name() -> None:
    report = check_business_checks(mark_paid_naming_wrong_field)
    case = next(case for case in report.cases if case.name == "currency USD")
    assert not case.passed
    assert "expected 'amount.currency'" in case.detail


def handle_callback_replying_200_fail(
    headers: dict[str, str], body: bytes, *, verifier: CallbackVerifier, orders: dict[str, OrderRecord],
    mchid: str, appid: str,
) -> tuple[int, dict[str, str], bytes]:
    """The widely copied mistake: report a failure in the body of a 200 reply."""
    status, reply_headers, reply_body = solutions.handle_callback(
        headers, body, verifier=verifier, orders=orders, mchid=mchid, appid=appid)
    if status >= 400:
        return 200, reply_headers, reply_body
    return status, reply_headers, reply_body


def test_reply_check_catches_200_with_fail_body() -> None:
    report = check_reply(handle_callback_replying_200_fail)
    outcomes = {case.name: case for case in report.cases}
    assert outcomes["a genuine payment"].passed
    changed = outcomes["one byte of the body changed"]
    assert not changed.passed
    assert "counts that as received" in changed.detail
    assert [case.name for case in report.cases if case.passed] == ["a genuine payment", "the same payment delivered twice"]


def handle_callback_that_raises(
    headers: dict[str, str], body: bytes, *, verifier: CallbackVerifier, orders: dict[str, OrderRecord],
    mchid: str, appid: str,
) -> tuple[int, dict[str, str], bytes]:
    notification = verifier.verify(headers, body)
    assert notification.transaction is not None
    order = orders[notification.transaction.out_trade_no]
    orders[order.out_trade_no] = solutions.mark_paid(order, notification.transaction, mchid=mchid, appid=appid)
    return 204, {}, b""


def test_reply_check_catches_handler_that_raises() -> None:
    report = check_reply(handle_callback_that_raises)
    probe = next(case for case in report.cases if case.name == "WeChat Pay's signature probe")
    assert not probe.passed
    assert "a handler must always reply" in probe.detail


def handle_callback_ignoring_orders(
    headers: dict[str, str], body: bytes, *, verifier: CallbackVerifier, orders: dict[str, OrderRecord],
    mchid: str, appid: str,
) -> tuple[int, dict[str, str], bytes]:
    """Verifies the signature but trusts the decrypted content: no business checks."""
    try:
        notification = verifier.verify(headers, body)
    except CallbackError as error:
        return solutions.reply(error)
    assert notification.transaction is not None
    number = notification.transaction.out_trade_no
    if number in orders:
        orders[number] = dataclasses.replace(orders[number], status=OrderStatus.SUCCESS)
    return 204, {}, b""


def test_reply_check_catches_missing_business_checks() -> None:
    report = check_reply(handle_callback_ignoring_orders)
    failed = {case.name for case in report.cases if not case.passed}
    assert failed == {"1 fen paid on a 9900 fen order", "a payment for an order we never created"}


def offsets_counting_only_204(replies: list[int | None]) -> list[int]:
    attempts, offset = [], 0
    for interval, status in zip((0, *RETRY_INTERVALS_SECONDS), replies):
        offset += interval
        attempts.append(offset)
        if status == 204:
            break
    return attempts


def offsets_returning_intervals(replies: list[int | None]) -> list[int]:
    attempts = []
    for interval, status in zip((0, *RETRY_INTERVALS_SECONDS), replies):
        attempts.append(interval)
        if status in (200, 204):
            break
    return attempts


def test_retry_check_treats_200_as_received() -> None:
    report = check_retry_offsets(offsets_counting_only_204)
    failed = [case.name for case in report.cases if not case.passed]
    assert failed == [
        '200 with {"code":"FAIL"} on the first attempt still stops retries',
        "no reply within 5 s, then 200",
    ]


def test_retry_check_wants_offsets_not_intervals() -> None:
    report = check_retry_offsets(offsets_returning_intervals)
    failed = [case.name for case in report.cases if not case.passed]
    assert "500, 500, then 204" in failed
    assert "500 on every attempt: 16 attempts over 24 h 4 min" in failed
