"""Checks for the exercises of notebook 04, never trusting the client.

The hidden cases are genuine notifications from the simulated platform with a fixed
clock, fixed nonces and the fixed test keys, so a report reads the same on every run.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from ..errors import BusinessMismatchError
from ..merchant.business import OrderRecord, OrderStatus
from ..notification import CallbackVerifier, Transaction
from ..retries import attempt_offsets_seconds
from ..simulator import SimulatedPlatform
from ._checking import CheckReport

# 2024-01-01T10:00:00+08:00, the fixed time of every lesson.
FIXED_TIME = 1704074400
ORDER_NUMBER = "LESSON-04-ORDER-1"
ORDER_PRICE_FEN = 9900
OTHER_MCHID = "1900000002"
OTHER_APPID = "wx0000000000000002"
_HEADER_NONCE = "k" * 32
_RESOURCE_NONCE = "Qw3eRt5yUi7o"
# Replies that WeChat Pay counts as received. It retries after any other reply.
_RECEIVED = (200, 204)


def _platform() -> SimulatedPlatform:
    return SimulatedPlatform(clock=lambda: FIXED_TIME)


def _order(status: OrderStatus = OrderStatus.NOTPAY) -> OrderRecord:
    return OrderRecord(ORDER_NUMBER, ORDER_PRICE_FEN, status=status, description="lesson 04")


# ---------------------------------------------------------------- exercise 1: business checks


def check_business_checks(
    mark_paid: Callable[..., OrderRecord],
) -> CheckReport:
    """Check `mark_paid(order, transaction, *, mchid, appid) -> OrderRecord`.

    The function returns the order with status SUCCESS when the verified transaction
    matches it, and the order unchanged when it was paid already, SUCCESS or REFUND (a
    duplicate delivery). It raises `BusinessMismatchError` naming the field for a mismatch, for an
    unknown order (`order` is None, field `out_trade_no`) and for an order whose state
    cannot become SUCCESS (field `status`).
    """
    report = CheckReport("mark_paid")
    platform = _platform()

    def transaction(**changes: Any) -> Transaction:
        amount_total = changes.pop("amount_total", ORDER_PRICE_FEN)
        return Transaction.from_resource(platform.transaction(ORDER_NUMBER, amount_total, **changes))

    def marks(order: OrderRecord, paid: Transaction) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            result = mark_paid(order, paid, mchid=platform.mchid, appid=platform.appid)
            if not isinstance(result, OrderRecord):
                return False, f"returned {type(result).__name__}; expected an OrderRecord"
            if result.status != OrderStatus.SUCCESS:
                return False, f"the returned order is {result.status.value}; expected SUCCESS"
            if dataclasses.replace(result, status=order.status) != order:
                return False, "fields other than status changed; change only the status"
            return True, ""
        return action

    def rejects(order: OrderRecord | None, paid: Transaction, field: str) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            try:
                result = mark_paid(order, paid, mchid=platform.mchid, appid=platform.appid)
            except NotImplementedError:
                raise
            except BusinessMismatchError as exc:
                if exc.field != field:
                    return False, f"BusinessMismatchError names field {exc.field!r}; expected {field!r}"
                return True, ""
            except Exception as exc:  # the learner's code may raise anything
                return False, f"raised {type(exc).__name__}; expected BusinessMismatchError for {field!r}"
            status = getattr(result, "status", None)
            if status == OrderStatus.SUCCESS:
                return False, f"marked the order paid although {field} does not match"
            return False, f"returned a result; expected BusinessMismatchError for {field!r}"
        return action

    report.run_case("a matching payment marks the order SUCCESS", marks(_order(), transaction()))

    def duplicate(status: OrderStatus) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            paid_order = _order(status)
            result = mark_paid(paid_order, transaction(), mchid=platform.mchid, appid=platform.appid)
            if result != paid_order:
                return False, f"a second delivery must return the {status.value} order unchanged"
            return True, ""
        return action

    report.run_case("a duplicate delivery leaves a SUCCESS order unchanged", duplicate(OrderStatus.SUCCESS))
    report.run_case("a late duplicate leaves a REFUND order unchanged", duplicate(OrderStatus.REFUND))
    report.run_case("1 fen paid on a 9900 fen order", rejects(_order(), transaction(amount_total=1), "amount.total"))
    report.run_case("another merchant's mchid", rejects(_order(), transaction(mchid=OTHER_MCHID), "mchid"))
    report.run_case("another app's appid", rejects(_order(), transaction(appid=OTHER_APPID), "appid"))
    report.run_case("currency USD", rejects(_order(), transaction(currency="USD"), "amount.currency"))
    report.run_case("trade_state NOTPAY", rejects(_order(), transaction(trade_state="NOTPAY"), "trade_state"))
    report.run_case("an order we never created", rejects(None, transaction(), "out_trade_no"))
    report.run_case("a CLOSED order cannot become SUCCESS", rejects(_order(OrderStatus.CLOSED), transaction(), "status"))
    return report


# ---------------------------------------------------------------- exercise 2: the reply


def _reply_problem(result: Any) -> tuple[int, bytes] | str:
    """Return (status, body) from a handler's reply, or a sentence saying what is wrong."""
    if not isinstance(result, tuple) or len(result) != 3:
        return f"returned {type(result).__name__}; expected (status, headers, body)"
    status, _headers, body = result
    if not isinstance(status, int) or isinstance(status, bool):
        return f"the status is {type(status).__name__}; expected an int"
    if not isinstance(body, bytes):
        return f"the body is {type(body).__name__}; expected bytes"
    return status, body


def _is_fail_body(body: bytes) -> bool:
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("code") == "FAIL"


def check_reply(handle_callback: Callable[..., tuple[int, dict[str, str], bytes]]) -> CheckReport:
    """Check `handle_callback(headers, body, *, verifier, orders, mchid, appid)`.

    The handler verifies the callback, checks it against `orders` (out_trade_no to
    OrderRecord), stores the paid order back into `orders`, and returns
    (status, headers, body). Success is 200 or 204. A failure replies with the error's
    own status and a JSON body whose code is FAIL, and the order stays as it was. The
    status is 401 for a signature or timestamp failure, 400 for a business mismatch, and
    500 when our APIv3 key cannot decrypt a genuine notification. The handler must not
    raise; a case where it does counts as failed.
    """
    report = CheckReport("handle_callback")
    platform = _platform()
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: FIXED_TIME)

    def notify(amount_total: int = ORDER_PRICE_FEN, out_trade_no: str = ORDER_NUMBER, **options: Any) -> tuple[dict[str, str], bytes]:
        resource = platform.transaction(out_trade_no, amount_total)
        return platform.notify(
            resource, timestamp=options.pop("timestamp", FIXED_TIME), nonce=_HEADER_NONCE,
            resource_nonce=_RESOURCE_NONCE, **options,
        )

    def deliver(
        headers: dict[str, str], body: bytes, orders: dict[str, OrderRecord], *, using: CallbackVerifier = verifier,
    ) -> tuple[int, bytes] | str:
        result = handle_callback(
            dict(headers), body, verifier=using, orders=orders, mchid=platform.mchid, appid=platform.appid,
        )
        return _reply_problem(result)

    def succeeds(deliveries: int) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            orders = {ORDER_NUMBER: _order()}
            headers, body = notify()
            for _ in range(deliveries):
                outcome = deliver(headers, body, orders)
                if isinstance(outcome, str):
                    return False, outcome
                status, _reply_body = outcome
                if status not in _RECEIVED:
                    return False, f"replied {status}; WeChat Pay retries anything but 200 or 204"
            if orders[ORDER_NUMBER].status != OrderStatus.SUCCESS:
                return False, f"the order is {orders[ORDER_NUMBER].status.value}; store the paid order in orders"
            return True, ""
        return action

    def fails(
        build: Callable[[], tuple[dict[str, str], bytes]], expected_status: int, *,
        using: CallbackVerifier = verifier,
    ) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            orders = {ORDER_NUMBER: _order()}
            before = dict(orders)
            headers, body = build()
            try:
                outcome = deliver(headers, body, orders, using=using)
            except NotImplementedError:
                raise
            except Exception as exc:  # the learner's code may raise anything
                return False, f"raised {type(exc).__name__}; a handler must always reply, with {expected_status}"
            if isinstance(outcome, str):
                return False, outcome
            status, reply_body = outcome
            if orders != before:
                return False, "the orders changed; a rejected callback must change nothing"
            if status in _RECEIVED:
                return False, (f"replied {status}: WeChat Pay counts that as received whatever the body says, "
                               f"so it never retries. Reply {expected_status}")
            if status != expected_status:
                return False, f"replied {status}; expected {expected_status}"
            if not _is_fail_body(reply_body):
                return False, 'the body must be JSON with "code": "FAIL"'
            return True, ""
        return action

    def changed_body() -> tuple[dict[str, str], bytes]:
        headers, body = notify()
        return headers, body.replace(b'"summary":"', b'"summary":" ', 1)

    def replayed() -> tuple[dict[str, str], bytes]:
        return notify(timestamp=FIXED_TIME - 600)

    wrong_key_verifier = CallbackVerifier(platform.keys.api_v2_key, platform.public_keys, clock=lambda: FIXED_TIME)

    report.run_case("a genuine payment", succeeds(1))
    report.run_case("the same payment delivered twice", succeeds(2))
    report.run_case("one byte of the body changed", fails(changed_body, 401))
    report.run_case("WeChat Pay's signature probe", fails(lambda: notify(probe=True), 401))
    report.run_case("a notification replayed 10 minutes later", fails(replayed, 401))
    report.run_case("1 fen paid on a 9900 fen order", fails(lambda: notify(amount_total=1), 400))
    report.run_case("a payment for an order we never created", fails(lambda: notify(out_trade_no="LESSON-04-UNKNOWN"), 400))
    report.run_case(
        "our APIv3 key is wrong (the APIv2 key)", fails(lambda: notify(), 500, using=wrong_key_verifier)
    )
    return report


# ---------------------------------------------------------------- exercise 3: retry offsets


def check_retry_offsets(delivery_offsets: Callable[[list[int | None]], list[int]]) -> CheckReport:
    """Check `delivery_offsets(replies) -> list[int]`.

    `replies` contains the merchant's reply status for each of the 16 attempts WeChat Pay
    may make (None for no reply within 5 seconds). The function returns the offset in
    seconds, from the first attempt, of every attempt WeChat Pay actually makes: it
    stops after the first 200 or 204, or after the last retry.
    """
    report = CheckReport("delivery_offsets")
    offsets = attempt_offsets_seconds()
    attempts = len(offsets)

    def case(name: str, replies: list[int | None], expected_attempts: int) -> None:
        padded = (replies + [replies[-1]] * attempts)[:attempts]
        expected = offsets[:expected_attempts]

        def action() -> tuple[bool, str]:
            result = delivery_offsets(list(padded))
            if not isinstance(result, list):
                return False, f"returned {type(result).__name__}; expected a list of seconds"
            if result != expected:
                preview = ", ".join(str(value) for value in result[:6]) + (", ..." if len(result) > 6 else "")
                return False, f"returned {len(result)} offsets ({preview}); expected {len(expected)} attempt{'s' if len(expected) != 1 else ''}"
            return True, ""

        report.run_case(name, action)

    case("204 on the first attempt", [204], 1)
    case('200 with {"code":"FAIL"} on the first attempt still stops retries', [200], 1)
    case("500, 500, then 204", [500, 500, 204], 3)
    case("no reply within 5 s, then 200", [None, 200], 2)
    case("401 three times, then 204", [401, 401, 401, 204], 4)
    case("500 on every attempt: 16 attempts over 24 h 4 min", [500], attempts)
    return report
