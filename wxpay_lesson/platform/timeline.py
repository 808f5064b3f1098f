"""Plot delivery attempts on WeChat Pay's retry schedule with matplotlib.

The x axis is the attempt's offset on the unscaled schedule (0 s, 15 s, 30 s, 1 min,
...), taken from the attempt log rather than from wall-clock times. The plot is
therefore the same at any time scale and on any machine.

Labels are Chinese in notebooks/zh-CN/ only when matplotlib finds a font with Chinese
glyphs. Otherwise they stay English, because matplotlib's default font would draw
boxes and warn once per missing glyph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..retries import attempt_offsets_seconds
from .delivery import CONNECTION_FAILED, HTTP_ERROR, RECEIVED, TIMEOUT, Attempt
from .texts import output_language, text

# Marker, colour and legend text key for each attempt outcome.
STYLES: dict[str, tuple[str, str, str]] = {
    RECEIVED: ("o", "tab:green", "legend_received"),
    HTTP_ERROR: ("X", "tab:red", "legend_http_error"),
    TIMEOUT: ("s", "tab:orange", "legend_timeout"),
    CONNECTION_FAILED: ("v", "tab:gray", "legend_connection_failed"),
}


# Fonts with Chinese glyphs, tried in order: Linux (Noto, Source Han, WenQuanYi),
# Windows (Microsoft YaHei, SimHei) and macOS (PingFang, Heiti).
CJK_FONTS = (
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC",
)

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


def find_cjk_font() -> str | None:
    """Return the name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


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

    lang = output_language()
    font = find_cjk_font() if lang == "zh-CN" else None
    if font is None:
        lang = "en"
    font_options = {"fontfamily": font} if font is not None else {}

    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 0.6 * (len({a.out_trade_no for a in attempts}) + 2) + 1))
    else:
        fig = ax.figure

    rows = [text("schedule_row", lang=lang)] + list(dict.fromkeys(attempt.out_trade_no for attempt in attempts))
    offsets = attempt_offsets_seconds()
    ax.scatter(offsets, [0] * len(offsets), marker="|", s=200, color="black")

    seen: set[str] = set()
    for attempt in attempts:
        marker, colour, label_key = STYLES[attempt.outcome]
        ax.scatter([attempt.scheduled_offset], [rows.index(attempt.out_trade_no)], marker=marker, s=80,
                   color=colour, label=None if attempt.outcome in seen else text(label_key, lang=lang), zorder=3)
        seen.add(attempt.outcome)

    ax.set_xscale("symlog", linthresh=15)
    ticks = [offsets[index] for index in TICK_ATTEMPTS]
    ax.set_xticks(ticks)
    ax.set_xticklabels([_tick_label(offset) for offset in ticks], rotation=45)
    ax.minorticks_off()
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, **font_options)
    ax.invert_yaxis()
    ax.set_xlabel(text("x_label", lang=lang), **font_options)
    if title:
        ax.set_title(title, **font_options)
    if seen:
        legend_font = {"family": font, "size": "small"} if font is not None else {"size": "small"}
        ax.legend(loc="lower right", prop=legend_font)
    fig.tight_layout()
    return fig
