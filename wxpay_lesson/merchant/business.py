"""The merchant's own order record and the business checks on a verified notification.

A valid signature proves who sent a notification, not that its content belongs to this
order or this merchant. Before marking an order paid, the merchant compares the
decrypted transaction with its own record: out_trade_no, mchid, appid, amount.total in
fen, currency, and a trade_state of SUCCESS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..errors import BusinessMismatchError
from ..notification import Transaction


class OrderStatus(str, Enum):
    """Order states. Only a verified callback or a verified order query moves them."""

    NOTPAY = "NOTPAY"
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    REFUND = "REFUND"


# Allowed transitions. SUCCESS → REFUND covers full and partial refunds.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NOTPAY: frozenset({OrderStatus.SUCCESS, OrderStatus.CLOSED}),
    OrderStatus.SUCCESS: frozenset({OrderStatus.REFUND}),
    OrderStatus.CLOSED: frozenset(),
    OrderStatus.REFUND: frozenset({OrderStatus.REFUND}),
}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Return whether the order state machine allows `current` → `target`."""
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class OrderRecord:
    """The order as the merchant stored it at creation. Amounts are int fen."""

    out_trade_no: str
    amount_total: int
    currency: str = "CNY"
    status: OrderStatus = OrderStatus.NOTPAY
    description: str = ""


def check_transaction_matches_order(
    order: OrderRecord | None,
    transaction: Transaction,
    *,
    mchid: str,
    appid: str,
) -> None:
    """Raise BusinessMismatchError unless the transaction belongs to this order and merchant.

    Args:
        order: the stored order with the transaction's out_trade_no, or None if not found.
        transaction: the decrypted transaction of a verified notification.
        mchid: our merchant id.
        appid: our app id.

    Raises:
        BusinessMismatchError: naming the first field that differs.
    """
    if order is None:
        raise BusinessMismatchError(
            "out_trade_no", f"out_trade_no {transaction.out_trade_no[:64]!r} is not an order of ours"
        )
    if transaction.out_trade_no != order.out_trade_no:
        raise BusinessMismatchError(
            "out_trade_no", f"out_trade_no {transaction.out_trade_no[:64]!r} differs from the order's {order.out_trade_no!r}"
        )
    if transaction.mchid != mchid:
        raise BusinessMismatchError("mchid", f"mchid {transaction.mchid[:32]!r} is not ours ({mchid})")
    if transaction.appid is not None and transaction.appid != appid:
        raise BusinessMismatchError("appid", f"appid {transaction.appid[:32]!r} is not ours ({appid})")
    if transaction.appid is None:
        raise BusinessMismatchError("appid", "appid is missing from the transaction")
    if transaction.amount_total != order.amount_total:
        raise BusinessMismatchError(
            "amount.total",
            f"amount.total is {transaction.amount_total} fen but the order is {order.amount_total} fen",
        )
    currency = transaction.currency or "CNY"
    if currency != order.currency:
        raise BusinessMismatchError("amount.currency", f"currency {currency[:8]!r} differs from the order's {order.currency}")
    if transaction.trade_state != "SUCCESS":
        raise BusinessMismatchError(
            "trade_state", f"trade_state is {transaction.trade_state[:16]!r}; only SUCCESS marks an order paid"
        )
