"""Shared machinery for the notebooks' exercise checks.

A check runs the learner's function against hidden cases and returns a `CheckReport`
that states plainly which cases pass and, for each failure, what was expected and what
came back. The report renders as text in a notebook and is truthy only when every
case passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..i18n import language_from_environment

# The report's own sentences; case names and details come from each check, in English.
REPORT_TEXT = {
    "en": {
        "summary": "{exercise}: {passed}/{total} cases pass",
        "all_correct": "All correct.",
        "not_yet": "Not yet: fix the failing cases above.",
        "not_implemented": "not implemented yet: replace the `raise NotImplementedError` line",
    },
    "zh-CN": {
        "summary": "{exercise}：{total} 个用例中通过 {passed} 个",
        "all_correct": "全部正确。",
        "not_yet": "尚未完成：请修正上面失败的用例。",
        "not_implemented": "尚未实现：请替换 `raise NotImplementedError` 这一行",
    },
}


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one hidden case."""

    name: str
    passed: bool
    detail: str = ""


@dataclass
class CheckReport:
    """The outcome of one exercise check: every case, passed or failed."""

    exercise: str
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every case passed (and there was at least one)."""
        return bool(self.cases) and all(case.passed for case in self.cases)

    def __bool__(self) -> bool:
        return self.passed

    def add(self, name: str, passed: bool, detail: str = "") -> None:
        """Record one case."""
        self.cases.append(CaseResult(name, passed, detail))

    def run_case(self, name: str, action: Callable[[], tuple[bool, str]]) -> None:
        """Run one case, recording an exception from the learner's code as a failure."""
        try:
            passed, detail = action()
        except NotImplementedError:
            passed, detail = False, REPORT_TEXT[language_from_environment()]["not_implemented"]
        except Exception as exc:  # the learner's code may raise anything, so report it rather than crash
            kind = type(exc)
            kind_name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
            passed, detail = False, f"raised {kind_name}: {exc}"
        self.add(name, passed, detail)

    def __str__(self) -> str:
        text = REPORT_TEXT[language_from_environment()]
        passed = sum(case.passed for case in self.cases)
        lines = [text["summary"].format(exercise=self.exercise, passed=passed, total=len(self.cases))]
        for case in self.cases:
            mark = "PASS" if case.passed else "FAIL"
            lines.append(f"  {mark} {case.name}" + (f": {case.detail}" if case.detail and not case.passed else ""))
        lines.append(text["all_correct"] if self.passed else text["not_yet"])
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def __repr__(self) -> str:
        return str(self)
