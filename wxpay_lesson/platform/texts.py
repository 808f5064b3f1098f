"""English and Simplified Chinese texts that notebook 05 shows: attempt outcomes and plot labels."""

from __future__ import annotations

import os
from pathlib import Path

from ..i18n import normalize_language


def output_language() -> str:
    """Return `zh-CN` or `en`: WXPAY_LESSON_LANG if set, else the working folder's name.

    A notebook kernel starts in the notebook's folder, so notebooks/zh-CN/ gets Chinese
    texts from the same code cells as the English edition. LANG is ignored, so the
    committed outputs of the English notebooks also match on a machine with a Chinese
    locale.
    """
    chosen = os.environ.get("WXPAY_LESSON_LANG")
    if chosen:
        return normalize_language(chosen)
    return "zh-CN" if Path.cwd().name == "zh-CN" else "en"


TEXTS: dict[str, tuple[str, str]] = {
    "received": ("received ({status})", "已接收（{status}）"),
    "http_error": ("failed ({status})", "失败（{status}）"),
    "timeout": ("timed out", "超时"),
    "connection_failed": ("connection refused", "连接被拒绝"),
    "legend_received": ("received (200/204)", "已接收（200/204）"),
    "legend_http_error": ("4xx/5xx reply", "4xx/5xx 应答"),
    "legend_timeout": ("no reply within the deadline", "未在时限内应答"),
    "legend_connection_failed": ("connection refused", "连接被拒绝"),
    "schedule_row": ("WeChat Pay schedule", "微信支付重试时间表"),
    "x_label": ("offset from the first attempt, on the unscaled schedule", "距首次通知的时间（未缩放的时间表）"),
}


def text(key: str, *, lang: str | None = None, **values: object) -> str:
    """Return a text in `lang` (by default `output_language()`), with `values` filled in."""
    english, chinese = TEXTS[key]
    chosen = lang if lang is not None else output_language()
    template = chinese if normalize_language(chosen) == "zh-CN" else english
    return template.format(**values)
