"""The checks of notebook 05's exercises: every solution passes, and wrong solutions fail.

The placeholders are taken from the notebook itself, so a notebook whose placeholder
would already pass its check fails here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wxpay_lesson import Transaction
from wxpay_lesson.exercises._checking import CheckReport
from wxpay_lesson.exercises.end_to_end import check_apply_payment_once, check_verify_query_reply
from wxpay_lesson.notification import parse_json_object

from .notebook_code import load_placeholder as load_notebook_placeholder
from .notebook_code import load_solution

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "en" / "05-end-to-end.ipynb"
SOLUTION = ROOT / "notebooks" / "solutions" / "s05_end_to_end.py"

CHECKS: dict[str, Callable[[Any], CheckReport]] = {
    "apply_payment_once": check_apply_payment_once,
    "verify_query_reply": check_verify_query_reply,
}


def load_placeholder(function_name: str) -> Callable[..., Any]:
    return load_notebook_placeholder(NOTEBOOK, function_name)


solutions = load_solution(SOLUTION)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_solution_passes_check(name):
    report = CHECKS[name](getattr(solutions, name))

    assert report.passed, str(report)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_notebook_placeholder_fails_check(name):
    report = CHECKS[name](load_placeholder(name))

    assert not report.passed
    assert all(not case.passed for case in report.cases)


def unconditional_update(db_path: str, out_trade_no: str, transaction_id: str) -> bool:
    """A wrong solution: it pays and fulfils again on every call."""
    with sqlite3.connect(db_path, timeout=10) as db:
        updated = db.execute("UPDATE orders SET status = 'SUCCESS', transaction_id = ? WHERE out_trade_no = ?",
                             (transaction_id, out_trade_no)).rowcount
        if updated:
            db.execute("INSERT INTO fulfilments (out_trade_no) VALUES (?)", (out_trade_no,))
    return bool(updated)


def test_unconditional_update_fails_apply_check():
    report = check_apply_payment_once(unconditional_update)
    failed = {case.name for case in report.cases if not case.passed}

    assert not report.passed
    assert "a duplicate call changes nothing" in failed
    assert "a CLOSED order is not paid" in failed


def unverified_reply(headers: dict[str, str], body: bytes, verifier) -> Transaction:
    """A wrong solution: it trusts the reply body without checking the signature."""
    return Transaction.from_resource(parse_json_object(body, "query reply"))


def test_unverified_reply_fails_query_check():
    report = check_verify_query_reply(unverified_reply)
    failed = {case.name for case in report.cases if not case.passed}

    assert not report.passed
    assert "a reply whose body was changed is rejected" in failed
    assert "a reply signed with another key is rejected" in failed
    assert "a reply an hour old is rejected" in failed


def test_reports_are_chinese_in_chinese_edition(monkeypatch):
    monkeypatch.setenv("WXPAY_LESSON_LANG", "zh-CN")

    report = check_apply_payment_once(unconditional_update)

    assert any("重复调用" in case.name for case in report.cases)
    assert any("应为 False" in case.detail for case in report.cases if not case.passed)
