"""Shared machinery for the notebooks' exercise checks.

A check runs the learner's function against hidden cases and returns a `CheckReport`
that says plainly which cases pass and, for each failure, what was expected and what
came back. The report renders as text in a notebook and is truthy only when every
case passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
            passed, detail = False, "not implemented yet: replace the `raise NotImplementedError` line"
        except Exception as exc:  # the learner's code may raise anything; report it, never crash
            passed, detail = False, f"raised {type(exc).__name__}: {exc}"
        self.add(name, passed, detail)

    def __str__(self) -> str:
        passed = sum(case.passed for case in self.cases)
        lines = [f"{self.exercise}: {passed}/{len(self.cases)} cases pass"]
        for case in self.cases:
            mark = "PASS" if case.passed else "FAIL"
            lines.append(f"  {mark} {case.name}" + (f": {case.detail}" if case.detail and not case.passed else ""))
        lines.append("All correct." if self.passed else "Not yet: fix the failing cases above.")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def __repr__(self) -> str:
        return str(self)
