"""WeChat Pay's callback reply rules and retry schedule.

Only HTTP 200 or 204 within 5 seconds counts as received. Any other status, or no
reply in time, makes WeChat Pay send the notification again after each interval below:
15 retries over 24 h 4 min. The body of a 200 reply is not read, so a 200 with
`{"code": "FAIL"}` stops the retries just like a success does.

NOTE: this schedule is the one WeChat Pay documents for payment notices; some products
document other schedules.
"""

from __future__ import annotations

# Seconds to wait before retry 1, 2, ... 15 (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h).
RETRY_INTERVALS_SECONDS: tuple[int, ...] = (
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
)
REPLY_DEADLINE_SECONDS = 5.0
RECEIVED_STATUSES = frozenset({200, 204})


def is_received(status: int | None) -> bool:
    """Return whether WeChat Pay counts a reply as received. None means no reply in time."""
    return status in RECEIVED_STATUSES


def attempt_offsets_seconds() -> list[int]:
    """Return the offset of every attempt from the first, in seconds: 0, 15, 30, 60, ..."""
    offsets = [0]
    for interval in RETRY_INTERVALS_SECONDS:
        offsets.append(offsets[-1] + interval)
    return offsets
