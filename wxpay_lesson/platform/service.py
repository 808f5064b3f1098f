"""The simulated WeChat Pay service: orders, order query, demo payments and refunds.

Routes (a simplified subset of WeChat Pay API v3):

- `POST /v3/pay/transactions/jsapi`: create a prepay order; the platform records its
  amount and notify_url and returns a prepay_id.
- `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=`: the order query. The
  reply, errors included, is signed with Wechatpay-* headers like a callback.
- `POST /simulate/pay/{out_trade_no}`: demo only, the user pays. Body `{"deliver": false}`
  marks the order paid without sending the callback, as if it were lost.
- `POST /simulate/refund/{out_trade_no}`: demo only, a refund succeeds. Body
  `{"amount": fen, "out_refund_no": "..."}`, both optional; the default is a full refund.
- `GET /simulate/attempts?out_trade_no=`: the delivery attempt log.
- `GET /health`.

Error bodies follow WeChat Pay's `{"code": ..., "message": ...}` form.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from ..simulator import SimulatedPlatform, compact_json, rfc3339
from .delivery import DeliveryJob, NotificationDelivery, is_loopback_url

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024


class PlatformError(Exception):
    """A request the platform rejects, with WeChat Pay's error code and HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class PlatformOrder:
    """The platform's record of one order. Amounts are int fen."""

    out_trade_no: str
    mchid: str
    appid: str
    description: str
    amount_total: int
    currency: str
    notify_url: str
    prepay_id: str
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None
    refunded_total: int = 0
    refund_numbers: list[str] = field(default_factory=list)


class PlatformService:
    """The simulated platform's state and behaviour, shared by its HTTP app and Python callers.

    Args:
        platform: signs and encrypts; the fixed test keys by default.
        delivery: delivers callbacks; by default one at `time_scale`.
        time_scale: multiplies WeChat Pay's retry intervals when `delivery` is not given.
    """

    def __init__(self, platform: SimulatedPlatform | None = None, *, delivery: NotificationDelivery | None = None,
                 time_scale: float = 1.0, reply_deadline: float | None = None) -> None:
        self.platform = platform if platform is not None else SimulatedPlatform()
        self.delivery = delivery if delivery is not None else NotificationDelivery(
            self.platform, time_scale=time_scale, reply_deadline=reply_deadline)
        self._orders: dict[str, PlatformOrder] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ merchant API

    def create_prepay(self, payload: Any) -> str:
        """Record a JSAPI order and return its prepay_id.

        Raises:
            PlatformError: PARAM_ERROR naming the invalid field, or ORDER_NO_USED when
                the out_trade_no exists with other content.
        """
        if not isinstance(payload, dict):
            raise PlatformError(400, "PARAM_ERROR", "the request body must be a JSON object")
        for name in ("appid", "mchid", "description", "out_trade_no", "notify_url"):
            if not isinstance(payload.get(name), str) or not payload[name]:
                raise PlatformError(400, "PARAM_ERROR", f"{name} is missing or not text")
        amount = payload.get("amount")
        total = amount.get("total") if isinstance(amount, dict) else None
        if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
            raise PlatformError(400, "PARAM_ERROR", "amount.total must be a positive integer number of fen")
        currency = amount.get("currency", "CNY") if isinstance(amount, dict) else "CNY"
        if payload["mchid"] != self.platform.mchid:
            raise PlatformError(400, "PARAM_ERROR", f"mchid {payload['mchid'][:32]!r} is not a merchant of this platform")
        # NOTE: real WeChat Pay requires an https:// notify_url reachable from the internet.
        # The simulation delivers over plain HTTP and only to this machine.
        if not is_loopback_url(payload["notify_url"]):
            raise PlatformError(400, "PARAM_ERROR",
                                "notify_url must be an http:// URL on 127.0.0.1, ::1 or localhost; "
                                "the simulated platform delivers nowhere else")

        out_trade_no = payload["out_trade_no"]
        digest = hashlib.sha256(f"{payload['mchid']}/{out_trade_no}".encode()).hexdigest()
        order = PlatformOrder(
            out_trade_no=out_trade_no,
            mchid=payload["mchid"],
            appid=payload["appid"],
            description=payload["description"],
            amount_total=total,
            currency=currency if isinstance(currency, str) else "CNY",
            notify_url=payload["notify_url"],
            prepay_id="wx" + digest[:30],
        )
        with self._lock:
            existing = self._orders.get(out_trade_no)
            if existing is not None:
                if (existing.amount_total, existing.notify_url) != (order.amount_total, order.notify_url):
                    raise PlatformError(400, "ORDER_NO_USED", f"out_trade_no {out_trade_no[:32]!r} is already used")
                return existing.prepay_id
            self._orders[out_trade_no] = order
        logger.info("prepay created: out_trade_no=%s amount_total=%d", out_trade_no, total)
        return order.prepay_id

    def order(self, out_trade_no: str) -> PlatformOrder:
        """Return the platform's order.

        Raises:
            PlatformError: ORDER_NOT_EXIST.
        """
        with self._lock:
            order = self._orders.get(out_trade_no)
        if order is None:
            raise PlatformError(404, "ORDER_NOT_EXIST", f"order {out_trade_no[:32]!r} does not exist")
        return order

    def query_body(self, out_trade_no: str, mchid: str | None) -> dict[str, Any]:
        """Return the order-query reply object for an order.

        Raises:
            PlatformError: PARAM_ERROR when mchid is missing or not the order's, or
                ORDER_NOT_EXIST.
        """
        if not mchid:
            raise PlatformError(400, "PARAM_ERROR", "the mchid query parameter is required")
        order = self.order(out_trade_no)
        if mchid != order.mchid:
            raise PlatformError(400, "PARAM_ERROR", "mchid does not match the order")
        return self.transaction_resource(order)

    def transaction_resource(self, order: PlatformOrder) -> dict[str, Any]:
        """Return the transaction object for an order, as a query reply or callback carries it."""
        if order.transaction_id is None:
            return {
                "appid": order.appid,
                "mchid": order.mchid,
                "out_trade_no": order.out_trade_no,
                "trade_state": order.trade_state,
                "trade_state_desc": "订单未支付" if order.trade_state == "NOTPAY" else order.trade_state,
                "amount": {"total": order.amount_total, "currency": order.currency},
            }
        return self.platform.transaction(
            order.out_trade_no, order.amount_total, trade_state=order.trade_state,
            transaction_id=order.transaction_id, success_time=order.success_time, currency=order.currency,
            mchid=order.mchid, appid=order.appid,
        )

    # ------------------------------------------------------------ demo actions

    def pay(self, out_trade_no: str, *, deliver: bool = True) -> DeliveryJob | None:
        """Mark an order paid, as when the user pays, and deliver TRANSACTION.SUCCESS.

        Args:
            deliver: False marks the order paid but never sends the callback, as if
                every delivery were lost.

        Returns:
            The delivery job, or None when `deliver` is False.

        Raises:
            PlatformError: ORDER_NOT_EXIST, or ORDER_PAID when it is not NOTPAY.
        """
        order = self.order(out_trade_no)
        with self._lock:
            if order.trade_state != "NOTPAY":
                raise PlatformError(400, "ORDER_PAID", f"order {out_trade_no[:32]!r} is {order.trade_state}, not NOTPAY")
            order.trade_state = "SUCCESS"
            order.transaction_id = self.platform.transaction(out_trade_no, order.amount_total)["transaction_id"]
            order.success_time = rfc3339(self.platform.clock())
        logger.info("order paid: out_trade_no=%s deliver=%s", out_trade_no, deliver)
        if not deliver:
            return None
        return self.delivery.deliver(order.notify_url, self.transaction_resource(order), event_type="TRANSACTION.SUCCESS")

    def refund(self, out_trade_no: str, *, amount: int | None = None, out_refund_no: str | None = None,
               deliver: bool = True) -> DeliveryJob | None:
        """Refund a paid order and deliver REFUND.SUCCESS.

        Raises:
            PlatformError: ORDER_NOT_EXIST, NOT_ENOUGH when the amount exceeds what is
                left to refund, or INVALID_REQUEST when the order is not paid.
        """
        order = self.order(out_trade_no)
        with self._lock:
            if order.trade_state not in ("SUCCESS", "REFUND"):
                raise PlatformError(400, "INVALID_REQUEST", f"order {out_trade_no[:32]!r} is {order.trade_state}; only a paid order can be refunded")
            refund_amount = amount if amount is not None else order.amount_total - order.refunded_total
            if isinstance(refund_amount, bool) or not isinstance(refund_amount, int) or refund_amount <= 0:
                raise PlatformError(400, "PARAM_ERROR", "amount must be a positive integer number of fen")
            if order.refunded_total + refund_amount > order.amount_total:
                raise PlatformError(400, "NOT_ENOUGH", f"only {order.amount_total - order.refunded_total} fen is left to refund")
            number = out_refund_no or f"R-{out_trade_no}-{len(order.refund_numbers) + 1}"
            order.refunded_total += refund_amount
            order.refund_numbers.append(number)
            order.trade_state = "REFUND"
        resource = self.platform.refund(out_trade_no, number, order.amount_total, refund_amount,
                                        transaction_id=order.transaction_id)
        logger.info("order refunded: out_trade_no=%s out_refund_no=%s amount=%d", out_trade_no, number, refund_amount)
        if not deliver:
            return None
        return self.delivery.deliver(order.notify_url, resource, event_type="REFUND.SUCCESS")

    def signed_notification(self, out_trade_no: str, *, notification_id: str | None = None) -> tuple[dict[str, str], bytes]:
        """Return a freshly signed TRANSACTION.SUCCESS callback for a paid order, without sending it.

        Tests and the notebook post it themselves, for example 50 times at once.

        Raises:
            PlatformError: ORDER_NOT_EXIST, or INVALID_REQUEST when the order is not paid.
        """
        order = self.order(out_trade_no)
        if order.transaction_id is None:
            raise PlatformError(400, "INVALID_REQUEST", f"order {out_trade_no[:32]!r} is not paid; pay it first")
        return self.platform.notify(self.transaction_resource(order), event_type="TRANSACTION.SUCCESS",
                                    notification_id=notification_id)


def _error(exc: PlatformError) -> tuple[Response, int]:
    return jsonify({"code": exc.code, "message": exc.message}), exc.status


def _optional_json() -> dict[str, Any]:
    payload = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(payload, dict):
        raise PlatformError(400, "PARAM_ERROR", "the request body must be a JSON object or empty")
    return payload


def create_platform_app(service: PlatformService) -> Flask:
    """Build the Flask app of the simulated WeChat Pay service."""
    app = Flask("wxpay_lesson.platform")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.register_error_handler(PlatformError, _error)

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok", "time_scale": service.delivery.time_scale,
                        "reply_deadline": service.delivery.reply_deadline})

    @app.post("/v3/pay/transactions/jsapi")
    def jsapi() -> tuple[Response, int]:
        return jsonify({"prepay_id": service.create_prepay(request.get_json(silent=True))}), 200

    @app.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
    def query(out_trade_no: str) -> Response:
        try:
            status, data = 200, service.query_body(out_trade_no, request.args.get("mchid"))
        except PlatformError as exc:
            status, data = exc.status, {"code": exc.code, "message": exc.message}
        body = compact_json(data)
        return Response(body, status=status, headers=service.platform.sign(body))

    @app.post("/simulate/pay/<out_trade_no>")
    def simulate_pay(out_trade_no: str) -> tuple[Response, int]:
        deliver = _optional_json().get("deliver", True) is not False
        job = service.pay(out_trade_no, deliver=deliver)
        return jsonify({"out_trade_no": out_trade_no, "trade_state": "SUCCESS",
                        "notification_id": job.notification_id if job else None,
                        "delivery": "SCHEDULED" if job else "SKIPPED"}), 200

    @app.post("/simulate/refund/<out_trade_no>")
    def simulate_refund(out_trade_no: str) -> tuple[Response, int]:
        payload = _optional_json()
        out_refund_no = payload.get("out_refund_no")
        if out_refund_no is not None and (not isinstance(out_refund_no, str) or not 1 <= len(out_refund_no) <= 64):
            raise PlatformError(400, "PARAM_ERROR", "out_refund_no must be text of 1 to 64 characters")
        job = service.refund(out_trade_no, amount=payload.get("amount"), out_refund_no=out_refund_no)
        return jsonify({"out_trade_no": out_trade_no, "trade_state": "REFUND",
                        "notification_id": job.notification_id if job else None}), 200

    @app.get("/simulate/attempts")
    def attempts() -> Response:
        out_trade_no = request.args.get("out_trade_no")
        return jsonify({"attempts": [attempt.to_json() for attempt in service.delivery.attempts(out_trade_no)]})

    return app

