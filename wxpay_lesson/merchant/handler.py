"""The merchant's callback handler, independent of any web framework.

`NotificationHandler.handle_notification(headers, body)` takes the raw request and
returns `(status, headers, body)` for the reply:

1. verify and decrypt with `CallbackVerifier.verify` (or, with defences switched off
   for a demo, with `demo_checks.verify_with_defences`);
2. compare the transaction or refund with the stored order; a mismatch is recorded in
   the rejection log, changes nothing and replies 400;
3. apply the state change in one SQLite transaction with a conditional update (see
   `store`), so a duplicate replies 204 without a second side effect;
4. reply through `reply()`: 204 on success, the error's 4xx or 5xx otherwise.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Mapping
from typing import Any

from ..errors import BusinessMismatchError, CallbackError
from ..notification import CallbackVerifier, Notification, Refund, collect_headers, reply
from .business import OrderRecord, OrderStatus, check_transaction_matches_order
from .defences import Defences
from .demo_checks import verify_with_defences
from .faults import FaultPlan, ProcessingError
from .store import Order, OrderStore, Outcome

logger = logging.getLogger(__name__)

Reply = tuple[int, dict[str, str], bytes]


def warn_insecure(defences: Defences, what: str) -> None:
    """Log the loud warning that every request to an insecure demo merchant gets."""
    logger.warning(
        "INSECURE DEMO MODE: %s runs with defences off (%s); forged or replayed requests may succeed",
        what, ", ".join(defences.insecure_switches()),
    )


def order_record(order: Order) -> OrderRecord:
    """Return the business-check view of a stored order."""
    return OrderRecord(
        out_trade_no=order.out_trade_no,
        amount_total=order.amount_total,
        currency=order.currency,
        status=OrderStatus(order.status),
        description=order.description,
    )


def check_refund_matches_order(order: Order | None, refund: Refund, *, mchid: str) -> None:
    """Raise BusinessMismatchError unless a refund belongs to this order and merchant."""
    if order is None:
        raise BusinessMismatchError("out_trade_no", f"out_trade_no {refund.out_trade_no[:64]!r} is not an order of ours")
    if refund.mchid != mchid:
        raise BusinessMismatchError("mchid", f"mchid {refund.mchid[:32]!r} is not ours ({mchid})")
    if refund.amount_total != order.amount_total:
        raise BusinessMismatchError(
            "amount.total", f"amount.total is {refund.amount_total} fen but the order is {order.amount_total} fen"
        )
    if refund.amount_refund <= 0 or refund.amount_refund > order.amount_total:
        raise BusinessMismatchError(
            "amount.refund", f"amount.refund is {refund.amount_refund} fen; it must be 1 to {order.amount_total}"
        )


class NotificationHandler:
    """Verify, check and apply WeChat Pay notifications against an `OrderStore`.

    Args:
        store: the merchant's orders.
        verifier: a `CallbackVerifier` with our APIv3 key and WeChat Pay's keys.
        mchid: our merchant id.
        appid: our app id.
        defences: the defence switches; all on by default. Anything else is a demo.
        faults: optional injected faults for demos and tests.
    """

    def __init__(self, store: OrderStore, verifier: CallbackVerifier, *, mchid: str, appid: str,
                 defences: Defences = Defences(), faults: FaultPlan | None = None) -> None:
        self.store = store
        self.verifier = verifier
        self.mchid = mchid
        self.appid = appid
        self.defences = defences
        self.faults = faults if faults is not None else FaultPlan()

    def handle_notification(self, headers: Mapping[str, Any], body: bytes, *,
                            remote_addr: str | None = None) -> Reply:
        """Process one callback request and return the reply as (status, headers, body).

        Args:
            headers: the request headers, any mapping.
            body: the raw request body bytes, exactly as received.
            remote_addr: the client address, stored in the rejection log.
        """
        if not self.defences.all_on:
            warn_insecure(self.defences, "POST /notify")
        try:
            self._process(headers, body)
        except CallbackError as exc:
            self._reject(exc, headers, remote_addr)
            status, reply_headers, reply_body = reply(exc)
            if self.faults.failure_reply_200:
                status = 200
            self._delay_if_planned()
            return status, reply_headers, reply_body
        except Exception as exc:  # a bug must still reply 5xx, so that WeChat Pay retries later
            logger.exception("callback handler failed: %s", type(exc).__name__)
            return reply(exc)
        self._delay_if_planned()
        return reply()

    def _process(self, headers: Mapping[str, Any], body: bytes) -> object:
        if self.defences.all_on:
            notification = self.verifier.verify(headers, body)
        else:
            notification = verify_with_defences(self.verifier, self.defences, headers, body)

        try:
            if self.faults.take_processing_failure():
                raise ProcessingError(f"injected processing failure for notification {notification.id}")
            outcome = self._apply(notification)
        except sqlite3.Error as exc:
            logger.error("storing notification %s failed: %s", notification.id, type(exc).__name__)
            error = ProcessingError(f"the order store failed ({type(exc).__name__}); nothing was applied")
            error.notification_id = notification.id  # type: ignore[attr-defined]
            raise error from None
        except CallbackError as exc:
            # The rejection log stores the id of a notification that verified but failed later.
            exc.notification_id = notification.id  # type: ignore[attr-defined]
            raise
        logger.info(
            "callback %s: id=%s event_type=%s out_trade_no=%s", outcome.value, notification.id,
            notification.event_type, _out_trade_no(notification),
        )
        return outcome

    def _apply(self, notification: Notification) -> Outcome:
        guarded = self.defences.exactly_once
        if notification.transaction is not None:
            transaction = notification.transaction
            if self.defences.business_checks:
                order = self.store.find_order(transaction.out_trade_no)
                check_transaction_matches_order(
                    order_record(order) if order is not None else None, transaction, mchid=self.mchid, appid=self.appid,
                )
            return self.store.apply_payment(
                transaction, source_id=notification.id, event_type=notification.event_type, guarded=guarded,
            )
        if notification.refund is not None:
            refund = notification.refund
            if self.defences.business_checks:
                check_refund_matches_order(self.store.find_order(refund.out_trade_no), refund, mchid=self.mchid)
            return self.store.apply_refund(refund, source_id=notification.id, event_type=notification.event_type,
                                           guarded=guarded)
        self.store.record_ignored(notification.id, notification.event_type)
        return Outcome.IGNORED

    def _reject(self, error: CallbackError, headers: Mapping[str, Any], remote_addr: str | None) -> None:
        serial = None
        try:
            serial = collect_headers(headers).get("wechatpay-serial")
        except (CallbackError, TypeError):
            pass
        notification_id = getattr(error, "notification_id", None)
        field = getattr(error, "field", None) or getattr(error, "header", None)
        try:
            self.store.record_rejection(error.code, field=field, serial=serial, notification_id=notification_id,
                                        remote_addr=remote_addr)
        except sqlite3.Error as exc:
            logger.error("recording a rejection failed: code=%s store_error=%s", error.code, type(exc).__name__)
        logger.warning("callback rejected: code=%s field=%s serial=%s id=%s remote_addr=%s status=%s", error.code,
                       field, serial[:80] if serial else None, notification_id, remote_addr, error.http_status)

    def _delay_if_planned(self) -> None:
        delay = self.faults.take_slow_reply()
        if delay > 0:
            logger.info("injected slow reply: waiting %.3f s before replying", delay)
            time.sleep(delay)


def _out_trade_no(notification: Notification) -> str | None:
    if notification.transaction is not None:
        return notification.transaction.out_trade_no
    if notification.refund is not None:
        return notification.refund.out_trade_no
    return None
