"""The checks of notebook 07's exercises pass the solutions and fail the placeholders."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from wxpay_lesson.exercises import check_repair_charset, check_serial_from_decimal, check_strip_added_bytes

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions" / "s07_callback_doctor.py"


def load_solutions() -> ModuleType:
    spec = importlib.util.spec_from_file_location("s07_callback_doctor", SOLUTIONS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def placeholder(_: object) -> bytes:
    raise NotImplementedError


@pytest.mark.parametrize("check, name", [
    (check_strip_added_bytes, "strip_added_bytes"),
    (check_repair_charset, "repair_charset"),
    (check_serial_from_decimal, "serial_from_decimal"),
])
def test_solution_passes_check(check, name) -> None:  # type: ignore[no-untyped-def]
    report = check(getattr(load_solutions(), name))
    assert report.passed, str(report)


@pytest.mark.parametrize("check", [check_strip_added_bytes, check_repair_charset, check_serial_from_decimal])
def test_placeholder_fails_check(check) -> None:  # type: ignore[no-untyped-def]
    report = check(placeholder)
    assert not report.passed
    assert "not implemented yet" in str(report)


def test_strip_check_rejects_unchanged_body() -> None:
    report = check_strip_added_bytes(lambda body: body)
    assert not report.passed


def test_charset_check_rejects_latin1_guess() -> None:
    report = check_repair_charset(lambda body: body.decode("latin-1").encode("utf-8"))
    assert not report.passed


def test_serial_check_rejects_lower_case() -> None:
    report = check_serial_from_decimal(lambda text: format(int(text), "x"))
    assert not report.passed
