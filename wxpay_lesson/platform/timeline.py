"""Plot delivery attempts on WeChat Pay's retry schedule with matplotlib.

The x axis is the attempt's offset on the unscaled schedule (0 s, 15 s, 30 s, 1 min,
...), taken from the attempt log rather than from wall-clock times. The plot is
therefore the same at any time scale and on any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..retries import attempt_offsets_seconds
from .delivery import CONNECTION_FAILED, HTTP_ERROR, RECEIVED, TIMEOUT, Attempt
from .texts import text

# Marker, colour and legend text key for each attempt outcome.
STYLES: dict[str, tuple[str, str, str]] = {
    RECEIVED: ("o", "tab:green", "legend_received"),
    HTTP_ERROR: ("X", "tab:red", "legend_http_error"),
    TIMEOUT: ("s", "tab:orange", "legend_timeout"),
    CONNECTION_FAILED: ("v", "tab:gray", "legend_connection_failed"),
}


# Attempts whose offsets label the x axis; the others are too close on a log scale.
TICK_ATTEMPTS = (0, 1, 3, 4, 5, 6, 8, 10, 12, 15)


def _tick_label(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    hours, minutes = divmod(whole // 60, 60)
    if hours == 0:
        return f"{minutes}m"
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


def plot_retry_timeline(attempts: Sequence[Attempt], *, ax: Any = None, title: str | None = None) -> Any:
    """Draw one row per order with its attempts, under a row with the full schedule.

    Args:
        attempts: the attempt log, e.g. `PlatformServer.attempts()`.
        ax: a matplotlib Axes to draw on; a new figure is made when None.
        title: the plot title.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 0.6 * (len({a.out_trade_no for a in attempts}) + 2) + 1))
    else:
        fig = ax.figure

    rows = [text("schedule_row")] + list(dict.fromkeys(attempt.out_trade_no for attempt in attempts))
    offsets = attempt_offsets_seconds()
    ax.scatter(offsets, [0] * len(offsets), marker="|", s=200, color="black")

    seen: set[str] = set()
    for attempt in attempts:
        marker, colour, label_key = STYLES[attempt.outcome]
        ax.scatter([attempt.scheduled_offset], [rows.index(attempt.out_trade_no)], marker=marker, s=80,
                   color=colour, label=None if attempt.outcome in seen else text(label_key), zorder=3)
        seen.add(attempt.outcome)

    ax.set_xscale("symlog", linthresh=15)
    ticks = [offsets[index] for index in TICK_ATTEMPTS]
    ax.set_xticks(ticks)
    ax.set_xticklabels([_tick_label(offset) for offset in ticks], rotation=45)
    ax.minorticks_off()
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows)
    ax.invert_yaxis()
    ax.set_xlabel(text("x_label"))
    if title:
        ax.set_title(title)
    if seen:
        ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig
