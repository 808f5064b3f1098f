"""The merchant side: orders, the callback handler and the HTTP app.

Start here: `MerchantServer(db_path, platform_url)` runs the whole backend on a real
HTTP server. `NotificationHandler.handle_notification(headers, body)` is the callback
handler on its own, and `OrderStore` is the SQLite order store.
"""

from __future__ import annotations

from .app import CATALOGUE, MAX_NOTIFY_BODY_BYTES, Merchant, create_app
from .defences import Defences
from .faults import FaultPlan, ProcessingError
from .handler import NotificationHandler
from .http_client import http_json, order_summary, post_notification
from .platform_client import PlatformClient, PlatformRequestError
from .server import BackgroundServer, MerchantServer
from .store import Order, OrderNotFoundError, OrderStore, Outcome

__all__ = [
    "CATALOGUE",
    "MAX_NOTIFY_BODY_BYTES",
    "BackgroundServer",
    "Defences",
    "FaultPlan",
    "Merchant",
    "MerchantServer",
    "NotificationHandler",
    "Order",
    "OrderNotFoundError",
    "OrderStore",
    "Outcome",
    "PlatformClient",
    "PlatformRequestError",
    "ProcessingError",
    "create_app",
    "http_json",
    "order_summary",
    "post_notification",
]
