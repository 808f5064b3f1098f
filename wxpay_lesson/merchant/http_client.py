"""Small HTTP helpers for notebooks and tests that drive the merchant over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 10.0


def http_json(method: str, url: str, payload: Any = None, *,
              timeout: float = DEFAULT_TIMEOUT_SECONDS) -> tuple[int, Any]:
    """Send a request with an optional JSON body and return (status, decoded JSON reply or None).

    A 4xx or 5xx reply is returned like any other, not raised.
    """
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    return status, json.loads(body) if body else None


def post_notification(notify_url: str, headers: dict[str, str], body: bytes, *,
                      timeout: float = DEFAULT_TIMEOUT_SECONDS) -> int:
    """POST a callback's exact bytes and headers to a notify_url and return the reply status."""
    request = urllib.request.Request(notify_url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def order_summary(merchant_url: str, out_trade_no: str) -> dict[str, Any]:
    """Return an order's status, amount in fen and number of applied side effects, read over HTTP.

    Raises:
        LookupError: the merchant replied with anything but 200.
    """
    status, order = http_json("GET", f"{merchant_url}/orders/{out_trade_no}")
    if status != 200:
        raise LookupError(f"GET /orders/{out_trade_no} returned {status}: {order}")
    return {"status": order["status"], "amount_total": order["amount"]["total"], "side_effects": order["side_effects"]}
