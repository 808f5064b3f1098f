"""Faults that a demo or test injects into the merchant's /notify replies.

They reproduce what goes wrong in real deployments, so that the notebook and the tests
can watch WeChat Pay's retry rules react over real HTTP:

- a slow reply, later than WeChat Pay's 5-second deadline;
- a processing failure after verification (a database outage, say), which must reply
  5xx so that WeChat Pay retries;
- the widely copied mistake of replying to such a failure with HTTP 200 and
  `{"code": "FAIL"}`. WeChat Pay counts that as received, so it stops retrying.

A fresh `FaultPlan()` injects nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..errors import CallbackError


class ProcessingError(CallbackError):
    """A verified notification could not be processed; WeChat Pay should retry it."""

    code = "PROCESSING_FAILED"
    http_status = 500
    reply_message = "processing failed, retry later"


@dataclass
class FaultPlan:
    """Faults for the next /notify requests. Counters go down as faults are used.

    Attributes:
        slow_replies: how many upcoming /notify replies are delayed.
        reply_delay_seconds: the delay of a slow reply, after processing and before
            the reply is sent.
        failed_processing: how many upcoming verified notifications fail with
            `ProcessingError` before anything is stored.
        failure_reply_200: reply to every failure with HTTP 200 and the FAIL body
            instead of its 4xx or 5xx status (the copied-sample mistake).
    """

    slow_replies: int = 0
    reply_delay_seconds: float = 0.0
    failed_processing: int = 0
    failure_reply_200: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def take_slow_reply(self) -> float:
        """Use up one slow reply and return its delay in seconds, or 0.0 if none is left."""
        with self._lock:
            if self.slow_replies <= 0:
                return 0.0
            self.slow_replies -= 1
            return self.reply_delay_seconds

    def take_processing_failure(self) -> bool:
        """Use up one processing failure and return whether one was left."""
        with self._lock:
            if self.failed_processing <= 0:
                return False
            self.failed_processing -= 1
            return True

    @property
    def active(self) -> bool:
        """Whether any fault is still planned."""
        return self.slow_replies > 0 or self.failed_processing > 0 or self.failure_reply_200
