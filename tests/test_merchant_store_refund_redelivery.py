"""A refund notification redelivered after a later state change is a duplicate, not a 500."""

from __future__ import annotations

from wxpay_lesson import SimulatedPlatform
from wxpay_lesson.merchant.store import OrderStore, Outcome
from wxpay_lesson.notification import Refund, Transaction

NOW = 1704074400


def test_refund_redelivery_after_state_change_is_duplicate() -> None:
    platform = SimulatedPlatform(clock=lambda: NOW)
    store = OrderStore(":memory:")
    store.create_order("ORDER-RR-1", "test order", 9900)
    paid = Transaction.from_resource(platform.transaction("ORDER-RR-1", 9900))
    assert store.apply_payment(paid, source_id="EV-PAY", event_type="TRANSACTION.SUCCESS") is Outcome.APPLIED

    abnormal = Refund.from_resource(platform.refund("ORDER-RR-1", "REFUND-RR-1", 9900, 100, refund_status="ABNORMAL"))
    closed = Refund.from_resource(platform.refund("ORDER-RR-1", "REFUND-RR-1", 9900, 100, refund_status="CLOSED"))
    assert store.apply_refund(abnormal, source_id="EV-N1", event_type="REFUND.ABNORMAL") is Outcome.APPLIED
    assert store.apply_refund(closed, source_id="EV-N2", event_type="REFUND.CLOSED") is Outcome.APPLIED

    assert store.apply_refund(abnormal, source_id="EV-N1", event_type="REFUND.ABNORMAL") is Outcome.DUPLICATE
    order = store.find_order("ORDER-RR-1")
    assert order is not None
    assert order.refund_status == "CLOSED"
