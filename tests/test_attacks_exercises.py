"""The checks of notebook 06's exercises: every solution passes, and wrong solutions fail.

The placeholders are taken from the notebook itself, so a notebook whose placeholder
would already pass its check fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wxpay_lesson.exercises import check_is_loopback_target, check_predictions, check_verdict
from wxpay_lesson.exercises._checking import CheckReport

from .notebook_code import load_placeholder, load_solution

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "en" / "06-forged-callback-lab.ipynb"
SOLUTION = ROOT / "notebooks" / "solutions" / "s06_attack_lab.py"

CHECKS: dict[str, Callable[[Any], CheckReport]] = {
    "is_loopback_target": check_is_loopback_target,
    "verdict": check_verdict,
    "succeeds_without": check_predictions,
}


solutions = load_solution(SOLUTION)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_solution_passes_check(name: str) -> None:
    report = CHECKS[name](getattr(solutions, name))
    assert report.passed, str(report)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_placeholder_fails_check(name: str) -> None:
    report = CHECKS[name](load_placeholder(NOTEBOOK, name))
    assert not report.passed
    assert all(not case.passed for case in report.cases)


def test_loopback_check_rejects_prefix_match() -> None:
    def starts_with_127(url: str) -> bool:
        return "://127." in url or "localhost" in url

    report = check_is_loopback_target(starts_with_127)
    assert not report.passed
    failed = [case.name for case in report.cases if not case.passed]
    assert "http://localhost.example.com:8000/notify" in failed
    assert "https://127.0.0.1:8000/notify" in failed


def test_loopback_check_rejects_non_bool() -> None:
    report = check_is_loopback_target(lambda url: "yes")
    assert not report.passed


def test_verdict_check_rejects_status_only_answer() -> None:
    def by_status(statuses: list[int], before: dict, after: dict) -> str:
        return "harmless" if any(200 <= status < 300 for status in statuses) else "rejected"

    report = check_verdict(by_status)
    failed = [case.name for case in report.cases if not case.passed]
    assert "a 204 and a second side effect" in failed
    assert "a 500 although the order changed" in failed


def test_prediction_check_rejects_signature_only_answer() -> None:
    report = check_predictions(lambda name: {"signature"})
    failed = [case.name for case in report.cases if not case.passed]
    assert "attacker-certificate-own-serial" in failed
    assert "replay-in-window" in failed
    assert "attacker-key-real-serial" not in failed
