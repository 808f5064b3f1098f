"""Callback delivery with WeChat Pay's retry rules, on a scaled clock.

Each notification is delivered from its own daemon thread:

- every attempt is freshly signed and encrypted (new timestamp and nonces) with the same
  notification `id`;
- only HTTP 200 or 204 within the reply deadline counts as received; any other status,
  a timeout or a refused connection is a failure;
- after a failed attempt ends, the next one waits the next interval of
  15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h, multiplied by `time_scale`;
  after 16 failed attempts delivery gives up.

NOTE: WeChat Pay does not document whether a retry keeps the envelope `id`. This
simulation keeps it, and the merchant in this kit dedupes by transaction_id as well.

Every attempt is logged with its offset on the unscaled schedule (0, 15, 30, 60, ...
seconds), so that a plot of the log looks the same at any time scale.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..retries import REPLY_DEADLINE_SECONDS, RETRY_INTERVALS_SECONDS, is_received
from ..simulator import SimulatedPlatform
from .texts import text

logger = logging.getLogger(__name__)

# The deadline never drops below this, however small the time scale: a loaded test
# machine needs some tens of milliseconds for one verified callback.
MIN_REPLY_DEADLINE_SECONDS = 0.5

RECEIVED = "RECEIVED"
HTTP_ERROR = "HTTP_ERROR"
TIMEOUT = "TIMEOUT"
CONNECTION_FAILED = "CONNECTION_FAILED"


def is_loopback_url(url: str) -> bool:
    """Return whether an http:// URL points to this machine: 127.0.0.0/8, ::1 or localhost."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http" or not parsed.hostname:
        return False
    if parsed.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parsed.hostname).is_loopback
    except ValueError:
        return False


def scaled_reply_deadline(time_scale: float) -> float:
    """Return the reply deadline in seconds: 5 s times `time_scale`, at least 0.5 s."""
    return max(REPLY_DEADLINE_SECONDS * time_scale, MIN_REPLY_DEADLINE_SECONDS)


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of one notification.

    Attributes:
        number: 1 for the first delivery, 2 for the first retry, ...
        scheduled_offset: seconds after the first attempt on WeChat Pay's unscaled
            schedule (0, 15, 30, 60, ...).
        status: the HTTP status, or None when there was no reply in time.
        outcome: RECEIVED, HTTP_ERROR, TIMEOUT or CONNECTION_FAILED.
        reply_code: the `code` field of a JSON reply body, if there was one.
    """

    notification_id: str
    out_trade_no: str
    event_type: str
    number: int
    scheduled_offset: float
    status: int | None
    outcome: str
    reply_code: str | None = None

    @property
    def received(self) -> bool:
        """Whether WeChat Pay counts this attempt as received."""
        return self.outcome == RECEIVED

    def describe(self) -> str:
        """Return a short, stable description such as `received (204)` or `timed out`.

        The text is Chinese in notebooks/zh-CN/ (see `texts.output_language`).
        """
        if self.outcome == RECEIVED:
            description = text("received", status=self.status)
        elif self.outcome == HTTP_ERROR:
            description = text("http_error", status=self.status)
        elif self.outcome == TIMEOUT:
            description = text("timeout")
        else:
            description = text("connection_failed")
        return description + (f" code={self.reply_code}" if self.reply_code else "")

    def to_json(self) -> dict[str, Any]:
        """Return the attempt as a JSON object."""
        return {
            "notification_id": self.notification_id,
            "out_trade_no": self.out_trade_no,
            "event_type": self.event_type,
            "number": self.number,
            "scheduled_offset": self.scheduled_offset,
            "status": self.status,
            "outcome": self.outcome,
            "reply_code": self.reply_code,
        }


@dataclass
class DeliveryJob:
    """The delivery of one notification: its attempts so far and whether it is finished.

    Attributes:
        state: PENDING while attempts remain, then RECEIVED, GAVE_UP or STOPPED.
    """

    notification_id: str
    out_trade_no: str
    event_type: str
    notify_url: str
    resource: dict[str, Any] = field(repr=False)
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "PENDING"
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def wait(self, timeout: float) -> bool:
        """Wait until delivery is finished; return False if `timeout` seconds passed first."""
        return self.finished.wait(timeout)

    def wait_for_attempts(self, count: int, timeout: float) -> bool:
        """Wait until at least `count` attempts are logged or delivery is finished.

        Returns:
            Whether `count` attempts were logged within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while len(self.attempts) < count and not self.finished.is_set():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return len(self.attempts) >= count


class NotificationDelivery:
    """Deliver notifications to merchants' notify_url with WeChat Pay's retries.

    Args:
        platform: signs and encrypts each attempt.
        time_scale: multiplies every retry interval; 1.0 is real time, 0.001 turns the
            24-hour schedule into about 87 seconds.
        reply_deadline: seconds an attempt waits for the reply; by default
            `scaled_reply_deadline(time_scale)`.
        intervals: seconds before each retry, unscaled; WeChat Pay's by default.
    """

    def __init__(self, platform: SimulatedPlatform, *, time_scale: float = 1.0,
                 reply_deadline: float | None = None,
                 intervals: Sequence[float] = RETRY_INTERVALS_SECONDS) -> None:
        if isinstance(time_scale, bool) or not isinstance(time_scale, (int, float)) or not time_scale > 0:
            raise ValueError(f"time_scale must be a positive number; got {time_scale!r}")
        self.platform = platform
        self.time_scale = float(time_scale)
        self.reply_deadline = reply_deadline if reply_deadline is not None else scaled_reply_deadline(time_scale)
        if not self.reply_deadline > 0:
            raise ValueError(f"reply_deadline must be a positive number of seconds; got {reply_deadline!r}")
        self.offsets = [0.0]
        for interval in intervals:
            self.offsets.append(self.offsets[-1] + float(interval))
        self._jobs: list[DeliveryJob] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def deliver(self, notify_url: str, resource: dict[str, Any], *, event_type: str,
                notification_id: str | None = None) -> DeliveryJob:
        """Start delivering one notification in the background and return its job.

        Raises:
            ValueError: `notify_url` is not an http:// URL on this machine. The simulated
                platform delivers only to loopback addresses.
        """
        if not is_loopback_url(notify_url):
            raise ValueError(f"notify_url must be an http:// URL on 127.0.0.1, ::1 or localhost; got {notify_url[:100]!r}")
        job = DeliveryJob(
            notification_id=notification_id or str(uuid.uuid4()),
            out_trade_no=str(resource.get("out_trade_no")),
            event_type=event_type,
            notify_url=notify_url,
            resource=dict(resource),
        )
        with self._lock:
            self._jobs.append(job)
        thread = threading.Thread(target=self._run, args=(job,), name=f"delivery:{job.notification_id}", daemon=True)
        thread.start()
        return job

    def jobs(self, out_trade_no: str | None = None) -> list[DeliveryJob]:
        """Return the delivery jobs, oldest first, optionally for one order."""
        with self._lock:
            return [job for job in self._jobs if out_trade_no is None or job.out_trade_no == out_trade_no]

    def attempts(self, out_trade_no: str | None = None) -> list[Attempt]:
        """Return every attempt so far, in job order, optionally for one order."""
        with self._lock:
            return [attempt for job in self._jobs for attempt in list(job.attempts)
                    if out_trade_no is None or job.out_trade_no == out_trade_no]

    def stop(self) -> None:
        """Stop every pending delivery at its next wait."""
        self._stopping.set()

    def _run(self, job: DeliveryJob) -> None:
        due = time.monotonic()
        for number, offset in enumerate(self.offsets, start=1):
            delay = due - time.monotonic()
            if delay > 0 and self._stopping.wait(delay):
                break
            if self._stopping.is_set():
                break
            attempt = self._attempt(job, number, offset)
            if number < len(self.offsets):
                due = time.monotonic() + (self.offsets[number] - offset) * self.time_scale
            with self._lock:
                job.attempts.append(attempt)
            if attempt.received:
                logger.info("notification delivered: id=%s out_trade_no=%s attempt=%d status=%s",
                            job.notification_id, job.out_trade_no, number, attempt.status)
                job.state = RECEIVED
                job.finished.set()
                return
            logger.info("delivery attempt failed: id=%s out_trade_no=%s attempt=%d outcome=%s status=%s",
                        job.notification_id, job.out_trade_no, number, attempt.outcome, attempt.status)
        job.state = "STOPPED" if self._stopping.is_set() else "GAVE_UP"
        if job.state == "GAVE_UP":
            logger.warning("delivery gave up after %d attempts: id=%s out_trade_no=%s", len(job.attempts),
                           job.notification_id, job.out_trade_no)
        job.finished.set()

    def _attempt(self, job: DeliveryJob, number: int, offset: float) -> Attempt:
        headers, body = self.platform.notify(job.resource, event_type=job.event_type,
                                             notification_id=job.notification_id)
        status, reply_body, outcome = post(job.notify_url, headers, body, timeout=self.reply_deadline)
        if outcome is None:
            outcome = RECEIVED if is_received(status) else HTTP_ERROR
        return Attempt(
            notification_id=job.notification_id,
            out_trade_no=job.out_trade_no,
            event_type=job.event_type,
            number=number,
            scheduled_offset=offset,
            status=status,
            outcome=outcome,
            reply_code=_reply_code(reply_body),
        )


def post(url: str, headers: dict[str, str], body: bytes, *, timeout: float) -> tuple[int | None, bytes, str | None]:
    """POST `body` and return (status, reply body, failure outcome or None).

    The whole exchange must finish within `timeout` seconds; a reply that starts in
    time but is not complete by then is a TIMEOUT too.
    """
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path or "/"
    if parsed.query:
        path += "?" + parsed.query
    deadline = time.monotonic() + timeout
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        reply_body = response.read(64 * 1024)
        if time.monotonic() > deadline:
            return None, b"", TIMEOUT
        return response.status, reply_body, None
    except (socket.timeout, TimeoutError):
        return None, b"", TIMEOUT
    except (ConnectionError, http.client.HTTPException, OSError):
        return None, b"", CONNECTION_FAILED
    finally:
        connection.close()


def _reply_code(body: bytes) -> str | None:
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code[:32] if isinstance(code, str) else None
