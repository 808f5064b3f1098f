"""The merchant's business logic and its Flask app.

Routes:

- `POST /orders` with `{"item": "<catalogue item>"}`: checkout. The price comes from
  `CATALOGUE`; any amount in the request is ignored. When a platform URL is set, the
  order is also created there (prepay) with our /notify URL as notify_url.
- `GET /orders/<out_trade_no>`: the order, with status, amount and `side_effects`, the
  number of applied side effects, so that the effect of an attack shows over HTTP.
- `POST /orders/<out_trade_no>/client-report`: the client says it paid. The claim is
  stored and triggers an active order query; only a verified query reply can change
  the order.
- `POST /notify`: the notify_url. It passes the raw body bytes to the handler and
  rejects bodies over `MAX_NOTIFY_BODY_BYTES` with 413.
- `GET /health`.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..errors import BusinessMismatchError, CallbackError
from .defences import Defences
from .handler import NotificationHandler, order_record, warn_insecure
from .business import check_transaction_matches_order
from .platform_client import PlatformClient, PlatformRequestError
from .store import DuplicateOrderError, Order, OrderNotFoundError, OrderStore, Outcome

logger = logging.getLogger(__name__)

# A real notification is about 1 KB; anything near this cap is not from WeChat Pay.
MAX_NOTIFY_BODY_BYTES = 64 * 1024

# WeChat Pay's rule for out_trade_no: 6 to 32 letters, digits, _ - | or *.
OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")


@dataclass(frozen=True)
class CatalogueItem:
    """A product the merchant sells, priced in int fen by the merchant alone."""

    description: str
    amount_total: int
    currency: str = "CNY"


CATALOGUE: dict[str, CatalogueItem] = {
    "coffee": CatalogueItem("Coffee / 咖啡", 1800),
    "notebook": CatalogueItem("Lesson notebook / 课程笔记本", 9900),
    "membership": CatalogueItem("Annual membership / 年度会员", 29900),
}


class Merchant:
    """The merchant's checkout, order lookup, client reports and notify handling.

    Args:
        store: the order store.
        handler: the callback handler over the same store.
        platform: the WeChat Pay API client, or None to run without a platform (no
            prepay, and client reports cannot trigger a query).
        notify_url: the URL sent as notify_url with each prepay request.
    """

    def __init__(self, store: OrderStore, handler: NotificationHandler, platform: PlatformClient | None,
                 notify_url: str | None = None) -> None:
        self.store = store
        self.handler = handler
        self.platform = platform
        self.notify_url = notify_url

    @property
    def defences(self) -> Defences:
        """The handler's defence switches."""
        return self.handler.defences

    @staticmethod
    def next_out_trade_no() -> str:
        """Return a new random out_trade_no, such as ORDER-3F9A0C71B2D4E5F6.

        64 random bits keep numbers unique across processes and restarts that share a
        database; a collision would be rejected by the primary key, not overwritten.
        """
        return f"ORDER-{secrets.token_hex(8).upper()}"

    def create_order(self, item: str, out_trade_no: str | None = None) -> Order:
        """Create an order for a catalogue item at the catalogue price.

        Raises:
            KeyError: the item is not in the catalogue.
            DuplicateOrderError: the out_trade_no is taken.
            PlatformRequestError: the platform rejected the prepay; the order stays
                stored as NOTPAY.
        """
        product = CATALOGUE[item]
        number = out_trade_no if out_trade_no is not None else self.next_out_trade_no()
        order = self.store.create_order(number, product.description, product.amount_total, product.currency)
        if self.platform is not None and self.notify_url is not None:
            prepay_id = self.platform.create_prepay(number, product.description, product.amount_total,
                                                    product.currency, self.notify_url)
            self.store.set_prepay_id(number, prepay_id)
            order = self.store.get_order(number)
        logger.info("order created: out_trade_no=%s amount_total=%d", number, product.amount_total)
        return order

    def client_report(self, out_trade_no: str, claimed_status: str | None) -> dict[str, Any]:
        """Store the client's payment claim, then query the platform for the truth.

        With every defence on, the claim never changes the order. Only a verified
        query reply that passes the business checks marks it paid.

        Returns:
            `{"claim_recorded": True, "query": ..., "order": ...}` where `query` is the
            platform's trade_state, or `FAILED:<reason>` when the query failed.

        Raises:
            OrderNotFoundError: no order has this out_trade_no.
        """
        order = self.store.get_order(out_trade_no)
        report_id = self.store.add_client_report(out_trade_no, claimed_status)

        if self.defences.trust_client_report:
            warn_insecure(self.defences, "POST /orders/<out_trade_no>/client-report")
            self.store.mark_paid_without_verification(out_trade_no, f"client-report:{report_id}")
            self.store.set_client_report_outcome(report_id, "TRUSTED_WITHOUT_QUERY")
            return {"claim_recorded": True, "query": "SKIPPED", "order": self.store.get_order(out_trade_no).to_json()}

        query_outcome = self._query_and_apply(order)
        self.store.set_client_report_outcome(report_id, query_outcome)
        logger.info("client report: out_trade_no=%s claimed=%s query=%s", out_trade_no, claimed_status, query_outcome)
        return {"claim_recorded": True, "query": query_outcome, "order": self.store.get_order(out_trade_no).to_json()}

    def _query_and_apply(self, order: Order) -> str:
        if self.platform is None:
            return "FAILED:NO_PLATFORM"
        try:
            transaction = self.platform.query_order(order.out_trade_no)
        except PlatformRequestError as exc:
            logger.warning("order query failed: out_trade_no=%s status=%s code=%s", order.out_trade_no,
                           exc.status, exc.code)
            return f"FAILED:{exc.code or exc.status or 'NO_REPLY'}"
        except CallbackError as exc:
            logger.warning("order query reply rejected: out_trade_no=%s code=%s", order.out_trade_no, exc.code)
            self.store.record_rejection(exc.code, field=getattr(exc, "field", None))
            return f"FAILED:{exc.code}"

        if transaction.trade_state != "SUCCESS":
            return transaction.trade_state
        try:
            check_transaction_matches_order(order_record(order), transaction, mchid=self.handler.mchid,
                                            appid=self.handler.appid)
            outcome = self.store.apply_payment(
                transaction, source_id=f"query:{transaction.transaction_id}", event_type="ORDER_QUERY",
            )
        except BusinessMismatchError as exc:
            self.store.record_rejection(exc.code, field=exc.field)
            logger.warning("order query reply does not match the order: out_trade_no=%s field=%s",
                           order.out_trade_no, exc.field)
            return f"FAILED:{exc.code}"
        logger.info("order query applied: out_trade_no=%s outcome=%s", order.out_trade_no, outcome.value)
        return transaction.trade_state


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"code": code, "message": message}), status


def create_app(merchant: Merchant) -> Flask:
    """Build the Flask app that serves `merchant` over HTTP."""
    app = Flask("wxpay_lesson.merchant")
    # Werkzeug replies 413 to a Content-Length over the cap before reading. A chunked body
    # has no Content-Length, and werkzeug 3.1 cuts it at the cap, which /notify checks for.
    app.config["MAX_CONTENT_LENGTH"] = MAX_NOTIFY_BODY_BYTES

    @app.before_request
    def warn_if_insecure() -> None:
        # /notify and client reports log their own warning, from code that runs without Flask too.
        if not merchant.defences.all_on and request.endpoint not in ("notify", "client_report"):
            warn_insecure(merchant.defences, f"{request.method} {request.path[:80]}")

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: HTTPException) -> tuple[Response, int]:
        logger.warning("request rejected: body over %d bytes from %s", MAX_NOTIFY_BODY_BYTES, request.remote_addr)
        return _error(413, "FAIL", f"request body over {MAX_NOTIFY_BODY_BYTES} bytes")

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok", "insecure_switches": merchant.defences.insecure_switches()})

    @app.post("/orders")
    def create_order() -> tuple[Response, int]:
        if not request.is_json:
            return _error(415, "INVALID_REQUEST",
                          "missing header Content-Type: application/json; send the order as JSON {\"item\": ...}")
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not isinstance(payload.get("item"), str):
            return _error(400, "INVALID_REQUEST",
                          f"send JSON {{\"item\": ...}} with one of: {', '.join(sorted(CATALOGUE))}")
        if payload["item"] not in CATALOGUE:
            return _error(400, "UNKNOWN_ITEM",
                          f"item {payload['item'][:40]!r} is not in the catalogue; use one of: {', '.join(sorted(CATALOGUE))}")
        # A client-chosen out_trade_no is for demos and tests with fixed numbers; the price
        # still comes from the catalogue.
        out_trade_no = payload.get("out_trade_no")
        if out_trade_no is not None and (not isinstance(out_trade_no, str) or not OUT_TRADE_NO.fullmatch(out_trade_no)):
            return _error(400, "INVALID_REQUEST", "out_trade_no must be 6 to 32 letters, digits, _ - | or *")
        try:
            order = merchant.create_order(payload["item"], out_trade_no)
        except DuplicateOrderError as exc:
            return _error(409, "ORDER_EXISTS", str(exc))
        except PlatformRequestError as exc:
            logger.warning("prepay failed: out_trade_no=%s status=%s code=%s", out_trade_no, exc.status, exc.code)
            return _error(502, "PREPAY_FAILED", str(exc))
        return jsonify(order.to_json()), 201

    @app.get("/orders/<out_trade_no>")
    def get_order(out_trade_no: str) -> tuple[Response, int]:
        order = merchant.store.find_order(out_trade_no)
        if order is None:
            return _error(404, "ORDER_NOT_FOUND", f"order {out_trade_no[:64]!r} not found")
        return jsonify(order.to_json()), 200

    @app.post("/orders/<out_trade_no>/client-report")
    def client_report(out_trade_no: str) -> tuple[Response, int]:
        payload = request.get_json(silent=True)
        claimed = payload.get("status") if isinstance(payload, dict) else None
        try:
            result = merchant.client_report(out_trade_no, claimed if isinstance(claimed, str) else None)
        except OrderNotFoundError as exc:
            return _error(404, "ORDER_NOT_FOUND", str(exc))
        return jsonify(result), 200

    @app.post("/notify")
    def notify() -> Response:
        body = request.get_data(cache=False)
        if len(body) >= MAX_NOTIFY_BODY_BYTES:
            raise RequestEntityTooLarge()
        status, headers, reply_body = merchant.handler.handle_notification(
            request.headers, body, remote_addr=request.remote_addr,
        )
        return Response(reply_body, status=status, headers=headers)

    return app


__all__ = ["CATALOGUE", "CatalogueItem", "MAX_NOTIFY_BODY_BYTES", "Merchant", "Outcome", "create_app"]
