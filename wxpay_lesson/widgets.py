"""The instructor console: an ipywidgets panel that launches catalogue attacks over HTTP.

    console = AttackConsole(now=NOW)          # starts its own merchant on 127.0.0.1
    console                                   # shows the panel in JupyterLab
    console.launch_selected()                 # what the Launch button does

The panel has an attack picker (title and what the attacker has), one checkbox per
defence (checked means the defence is on), a Launch button, a result panel, and a "run
every attack" button that fills the attack × defence matrix. Every callback is a thin
wrapper over `wxpay_lesson.attacks` and writes its result into widget values, so the
console works and is tested without a browser.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import ipywidgets as widgets

from .attacks import (
    ALL_ON,
    ATTACKS,
    Matrix,
    Outcome,
    Verdict,
    check_loopback_target,
    expected_verdicts,
    get_attack,
    launch,
    merchant_server_factory,
    run_matrix,
)
from .attacks.launch import read_insecure_switches
from .attacks.matrix import LabServer
from .attacks.target import TargetClient
from .i18n import normalize_language
from .merchant.defences import Defences

LABELS: dict[str, dict[str, str]] = {
    "attack": {"en": "Attack", "zh-CN": "攻击"},
    "launch": {"en": "Launch", "zh-CN": "发起攻击"},
    "run_all": {"en": "Run every attack", "zh-CN": "运行全部攻击"},
    "defences": {"en": "Defences (checked = on)", "zh-CN": "防御（勾选 = 开启）"},
    "has": {"en": "Attacker has", "zh-CN": "攻击者拥有"},
    "how": {"en": "Request", "zh-CN": "请求"},
    "stopped_by": {"en": "Stopped by", "zh-CN": "阻止它的防御"},
    "expected": {"en": "Expected with all defences on", "zh-CN": "全部防御开启时的预期结果"},
    "verdict": {"en": "Verdict", "zh-CN": "结果"},
    "status": {"en": "HTTP status", "zh-CN": "HTTP 状态码"},
    "code": {"en": "Rejection code", "zh-CN": "拒绝代码"},
    "order": {"en": "Order", "zh-CN": "订单"},
    "before": {"en": "Before", "zh-CN": "攻击前"},
    "after": {"en": "After", "zh-CN": "攻击后"},
    "log": {"en": "Server log", "zh-CN": "服务器日志"},
    "none": {"en": "(none)", "zh-CN": "（无）"},
    "effect": {"en": "Effect", "zh-CN": "影响"},
    "merchant": {"en": "Merchant", "zh-CN": "商户服务器"},
    "fixed": {"en": "defences are fixed by the running server", "zh-CN": "防御开关由正在运行的服务器决定"},
    "not_started": {"en": "not started yet", "zh-CN": "尚未启动"},
    "no_result": {"en": "Pick an attack and press Launch.", "zh-CN": "选择一个攻击，然后点击“发起攻击”。"},
    "no_matrix": {"en": "Press \"Run every attack\" to fill the matrix.", "zh-CN": "点击“运行全部攻击”以填充矩阵。"},
    "error": {"en": "Failed", "zh-CN": "失败"},
    "mismatch": {"en": "cells marked ! differ from the catalogue", "zh-CN": "标 ! 的单元格与攻击目录的预期不符"},
    "matches": {"en": "every cell matches the catalogue", "zh-CN": "所有单元格都与攻击目录的预期一致"},
}

DEFENCE_LABELS: dict[str, dict[str, str]] = {
    "signature": {"en": "signature", "zh-CN": "验签"},
    "timestamp_window": {"en": "timestamp window", "zh-CN": "时间戳窗口"},
    "serial_allow_list": {"en": "serial allow-list", "zh-CN": "序列号白名单"},
    "probe_handling": {"en": "probe handling", "zh-CN": "探测流量处理"},
    "business_checks": {"en": "business checks", "zh-CN": "业务校验"},
    "exactly_once": {"en": "exactly-once processing", "zh-CN": "恰好一次处理"},
    "trust_client_report": {"en": "never trust the client report", "zh-CN": "绝不信任客户端上报"},
}

VERDICT_LABELS: dict[Verdict, dict[str, str]] = {
    Verdict.REJECTED: {"en": "rejected", "zh-CN": "被拒绝"},
    Verdict.HARMLESS: {"en": "harmless", "zh-CN": "无害"},
    Verdict.SUCCEEDED: {"en": "SUCCEEDED", "zh-CN": "攻击成功"},
}

# Defences whose secure value is False: the checkbox shows "the defence is on", the negation.
_INVERTED = {name for name, value in vars(Defences()).items() if value is False}


def label(key: str, lang: str) -> str:
    """Return a console label in `lang`."""
    return LABELS[key][lang]


def defences_from_checkboxes(checked: dict[str, bool]) -> Defences:
    """Return the `Defences` for checkbox values, where True means that defence is on."""
    return Defences(**{name: (not on) if name in _INVERTED else on for name, on in checked.items()})


def checkboxes_from_defences(defences: Defences) -> dict[str, bool]:
    """Return the checkbox values (True = defence on) for a `Defences` setting."""
    return {field.name: (not getattr(defences, field.name)) if field.name in _INVERTED
            else getattr(defences, field.name) for field in fields(Defences)}


def render_attack_html(name: str, lang: str) -> str:
    """Return the attack's description for the panel: what the attacker has, the request, the defence."""
    attack = get_attack(name)
    expected = VERDICT_LABELS[attack.expected][lang]
    if attack.expected_code:
        expected += f" ({attack.expected_code})"
    rows = [
        (label("has", lang), attack.capability_text(lang)),
        (label("how", lang), attack.construction),
        (label("stopped_by", lang), attack.stopped_by),
        (label("expected", lang), expected),
    ]
    return _table(rows)


def render_outcome_html(outcome: Outcome, lang: str) -> str:
    """Return the result panel's HTML: verdict, HTTP status, orders before and after, the log line."""
    rows = [
        (label("verdict", lang), VERDICT_LABELS[outcome.verdict][lang]),
        (label("status", lang), outcome.status_text()),
        (label("code", lang), outcome.rejection_code or label("none", lang)),
    ]
    for number, before in outcome.before.items():
        after = outcome.after.get(number)
        rows.append((f"{label('order', lang)} {number}",
                     f"{label('before', lang)}: {before.describe() if before else label('none', lang)}<br>"
                     f"{label('after', lang)}: {after.describe() if after else label('none', lang)}"))
    for effect in outcome.effects:
        rows.append((label("effect", lang), effect))
    rows.append((label("log", lang), outcome.server_log_line or label("none", lang)))
    return _table(rows, escape_values={len(rows) - 1})


def render_matrix_html(matrix: Matrix, lang: str) -> str:
    """Return the attack × defence matrix as an HTML table; `!` marks a cell the catalogue does not allow."""
    header = "".join(f"<th>{html.escape(_column_title(column, lang))}</th>" for column in matrix.columns)
    body = []
    for attack in matrix.attacks:
        cells = []
        for column in matrix.columns:
            verdict = matrix.verdict(attack, column)
            text = VERDICT_LABELS[verdict][lang]
            if verdict not in expected_verdicts(attack, column):
                text += " !"
            style = ' style="color:#b00020;font-weight:bold"' if verdict is Verdict.SUCCEEDED else ""
            cells.append(f"<td{style}>{html.escape(text)}</td>")
        body.append(f"<tr><th>{html.escape(attack)}</th>{''.join(cells)}</tr>")
    summary = label("matches", lang) if not matrix.mismatches() else label("mismatch", lang)
    return (f"<table><tr><th>{html.escape(label('attack', lang))}</th>{header}</tr>{''.join(body)}</table>"
            f"<p>{html.escape(summary)}</p>")


def _column_title(column: str, lang: str) -> str:
    if column == ALL_ON:
        return "all on" if lang == "en" else "全部开启"
    name = DEFENCE_LABELS[column][lang]
    return f"no {name}" if lang == "en" else f"关闭：{name}"


def _table(rows: list[tuple[str, str]], *, escape_values: set[int] | None = None) -> str:
    escaped = escape_values if escape_values is not None else set(range(len(rows)))
    lines = []
    for index, (key, value) in enumerate(rows):
        cell = html.escape(value) if index in escaped else value
        lines.append(f"<tr><th style=\"text-align:left\">{html.escape(key)}</th><td>{cell}</td></tr>")
    return "<table>" + "".join(lines) + "</table>"


class AttackConsole:
    """The instructor console over one merchant server on loopback.

    Args:
        target_url: a merchant server that is already running (its notify_url or base
            URL on loopback). Its defences are fixed, so the checkboxes only show them.
        start_server: starts a merchant server with given defences (see
            `merchant_server_factory`); the console restarts it when the checkboxes
            change. Used when `target_url` is None; by default the console starts an
            in-process `MerchantServer` on a fresh SQLite file in a temporary folder.
        now: the Unix time the merchant's verifier uses, passed to `launch`; also the
            fixed clock of the servers the console starts.
        lang: `en` or `zh-CN` for the labels.

    Raises:
        TargetNotLoopbackError: `target_url` is not on loopback.
    """

    def __init__(self, *, target_url: str | None = None,
                 start_server: Callable[[Defences], LabServer] | None = None,
                 now: float | None = None, lang: str | None = None) -> None:
        self.lang = normalize_language(lang)
        self.now = now
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._server: LabServer | None = None
        self._server_defences: Defences | None = None
        self.target_url = check_loopback_target(target_url).notify_url if target_url is not None else None
        if self.target_url is None and start_server is None:
            self._folder = tempfile.TemporaryDirectory(prefix="attack-console-")
            start_server = merchant_server_factory(self._folder.name, now=now)
        self.start_server = start_server if self.target_url is None else None
        self.last_outcome: Outcome | None = None
        self.last_matrix: Matrix | None = None
        self._build()

    # ------------------------------------------------------------ widgets

    def _build(self) -> None:
        lang = self.lang
        self.attack_picker = widgets.Dropdown(
            options=[(f"{attack.title_in(lang)} — {attack.capability_text(lang)}", attack.name) for attack in ATTACKS],
            value=ATTACKS[0].name, description=label("attack", lang), layout=widgets.Layout(width="95%"),
        )
        self.attack_info = widgets.HTML(render_attack_html(ATTACKS[0].name, lang))
        self.attack_picker.observe(self._on_pick, names="value")

        fixed = self.target_url is not None
        self.defence_boxes = {
            name: widgets.Checkbox(value=on, description=DEFENCE_LABELS[name][lang], disabled=fixed, indent=False)
            for name, on in checkboxes_from_defences(Defences()).items()
        }
        self.launch_button = widgets.Button(description=label("launch", lang), button_style="danger")
        self.run_all_button = widgets.Button(description=label("run_all", lang))
        self.server_status = widgets.HTML(self._server_text())
        self.result = widgets.HTML(html.escape(label("no_result", lang)))
        self.matrix_table = widgets.HTML(html.escape(label("no_matrix", lang)))
        self.error = widgets.HTML("")

        self.launch_button.on_click(lambda _: self._run_safely(self.launch_selected))
        self.run_all_button.on_click(lambda _: self._run_safely(self.run_every_attack))

        defences_box = widgets.VBox([widgets.HTML(f"<b>{html.escape(label('defences', lang))}</b>"),
                                     *self.defence_boxes.values()])
        self.panel = widgets.VBox([
            self.attack_picker,
            self.attack_info,
            defences_box,
            widgets.HBox([self.launch_button, self.run_all_button]),
            self.server_status,
            self.error,
            self.result,
            self.matrix_table,
        ])

    def _on_pick(self, change: dict[str, Any]) -> None:
        self.attack_info.value = render_attack_html(change["new"], self.lang)

    def _server_text(self) -> str:
        if self.target_url is not None:
            where = f"{self.target_url} ({label('fixed', self.lang)})"
        elif self._server is not None:
            where = self._server.url + "/notify"
        else:
            where = label("not_started", self.lang)
        return f"<b>{html.escape(label('merchant', self.lang))}:</b> {html.escape(where)}"

    def _run_safely(self, action: Callable[[], object]) -> None:
        # A click handler must not raise into the widget machinery; the error goes into the panel.
        self.error.value = ""
        try:
            action()
        except Exception as exc:  # shown to the instructor, then the console stays usable
            self.error.value = f"<b>{html.escape(label('error', self.lang))}:</b> {html.escape(f'{type(exc).__name__}: {exc}')}"

    # ------------------------------------------------------------ actions behind the buttons

    @property
    def defences(self) -> Defences:
        """The defences the checkboxes select."""
        return defences_from_checkboxes({name: box.value for name, box in self.defence_boxes.items()})

    def notify_url(self) -> str:
        """Return the target's notify_url, starting or restarting the console's own server as needed."""
        if self.target_url is not None:
            return self.target_url
        selected = self.defences
        if self._server is None or self._server_defences != selected:
            self.stop_server()
            assert self.start_server is not None
            self._server = self.start_server(selected)
            self._server_defences = selected
            self.server_status.value = self._server_text()
        return self._server.url + "/notify"

    def launch_selected(self) -> Outcome:
        """Launch the picked attack with the checked defences and show the outcome (the Launch button)."""
        outcome = launch(self.attack_picker.value, self.notify_url(), now=self.now)
        self.last_outcome = outcome
        self.result.value = render_outcome_html(outcome, self.lang)
        return outcome

    def run_every_attack(self) -> Matrix:
        """Fill the attack × defence matrix (the "run every attack" button).

        With a server factory, every column gets its own fresh server. Against an
        already running server, only its own defence setting can be tested, so the
        matrix has the one column that matches it.
        """
        if self.start_server is not None:
            matrix = run_matrix(self.start_server, now=self.now)
        else:
            assert self.target_url is not None
            insecure = read_insecure_switches(TargetClient(check_loopback_target(self.target_url))) or ()
            if len(insecure) > 1:
                raise ValueError(f"the running server has several defences off ({', '.join(insecure)}); the matrix "
                                 "compares one switch at a time, so restart it with at most one switch")
            column = insecure[0] if insecure else ALL_ON
            matrix = Matrix([attack.name for attack in ATTACKS], [column])
            for attack in ATTACKS:
                matrix.cells[(attack.name, column)] = launch(attack.name, self.target_url, now=self.now)
        self.last_matrix = matrix
        self.matrix_table.value = render_matrix_html(matrix, self.lang)
        return matrix

    def stop_server(self) -> None:
        """Stop the console's own merchant server, if it started one."""
        if self._server is not None:
            self._server.stop()
            self._server = None
            self._server_defences = None
            self.server_status.value = self._server_text()

    def close(self) -> None:
        """Stop the server, remove the temporary folder and close the widgets."""
        self.stop_server()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
        self.panel.close()

    # ------------------------------------------------------------ display

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # The widget view carries a model id that changes on every run; strict nbval
        # skips that MIME type but compares text/plain, so text/plain stays fixed.
        render = self.panel._repr_mimebundle_  # None once the widgets are closed
        bundle = render(**kwargs) if render is not None else None
        if bundle is None:
            return None
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data["text/plain"] = f"AttackConsole: {len(ATTACKS)} attacks, {len(self.defence_boxes)} defence switches"
        return data


__all__ = [
    "AttackConsole",
    "DEFENCE_LABELS",
    "LABELS",
    "checkboxes_from_defences",
    "defences_from_checkboxes",
    "render_attack_html",
    "render_matrix_html",
    "render_outcome_html",
]
