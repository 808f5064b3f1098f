"""Solutions to the *On your own* exercises of notebook 04, never trusting the client.

tests/test_exercises_client_trust.py proves that each function passes its check.
"""

from __future__ import annotations

import dataclasses

from wxpay_lesson import BusinessMismatchError, CallbackError, CallbackVerifier, Transaction, reply
from wxpay_lesson.merchant.business import (
    OrderRecord,
    OrderStatus,
    can_transition,
    check_transaction_matches_order,
)
from wxpay_lesson.retries import attempt_offsets_seconds, is_received

# An order in one of these states has been paid; a late duplicate changes nothing.
PAID_STATES = (OrderStatus.SUCCESS, OrderStatus.REFUND)


def mark_paid(order: OrderRecord | None, transaction: Transaction, *, mchid: str, appid: str) -> OrderRecord:
    """Return the order marked SUCCESS, after checking the transaction against it."""
    check_transaction_matches_order(order, transaction, mchid=mchid, appid=appid)
    assert order is not None  # the check raises for an unknown order
    if order.status in PAID_STATES:
        return order
    if not can_transition(order.status, OrderStatus.SUCCESS):
        raise BusinessMismatchError("status", f"order {order.out_trade_no} is {order.status.value} and cannot be paid")
    return dataclasses.replace(order, status=OrderStatus.SUCCESS)


def handle_callback(
    headers: dict[str, str],
    body: bytes,
    *,
    verifier: CallbackVerifier,
    orders: dict[str, OrderRecord],
    mchid: str,
    appid: str,
) -> tuple[int, dict[str, str], bytes]:
    """Verify a payment callback, apply it to `orders` and return the HTTP reply."""
    try:
        notification = verifier.verify(headers, body)
        transaction = notification.transaction
        if transaction is None:
            raise BusinessMismatchError("event_type", f"{notification.event_type} is not a payment notification")
        order = orders.get(transaction.out_trade_no)
        orders[transaction.out_trade_no] = mark_paid(order, transaction, mchid=mchid, appid=appid)
    except CallbackError as error:
        return reply(error)
    return reply()


def delivery_offsets(replies: list[int | None]) -> list[int]:
    """Return the offsets in seconds of the attempts WeChat Pay makes for these replies."""
    attempts = []
    for offset, status in zip(attempt_offsets_seconds(), replies):
        attempts.append(offset)
        if is_received(status):
            break
    return attempts
