"""The simulated WeChat Pay service: prepay, order query and callback delivery with retries."""

from __future__ import annotations

from .delivery import Attempt, DeliveryJob, NotificationDelivery, scaled_reply_deadline
from .server import PlatformServer
from .service import PlatformError, PlatformOrder, PlatformService, create_platform_app
from .timeline import plot_retry_timeline

__all__ = [
    "Attempt",
    "DeliveryJob",
    "NotificationDelivery",
    "PlatformError",
    "PlatformOrder",
    "PlatformServer",
    "PlatformService",
    "create_platform_app",
    "plot_retry_timeline",
    "scaled_reply_deadline",
]
