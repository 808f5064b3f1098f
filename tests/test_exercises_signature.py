"""The exercise checks of notebooks 00, 01 and 02.

Every solution in notebooks/solutions/ must pass its check, and the placeholder that
the notebook gives the learner (a function that raises NotImplementedError) must fail
it. The placeholders are read from the notebooks themselves, so a notebook cannot drift
from its check. Typical wrong solutions must fail too, which proves that the checks can
fail for the right reason.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import string
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wxpay_lesson import verify_signature
from wxpay_lesson.exercises import signature as signature_checks
from wxpay_lesson.exercises import (
    CheckReport,
    check_build_message,
    check_decrypt_notification,
    check_key_holders,
    check_may_change_order,
    check_signature_headers,
    check_timestamp_window,
    check_verify_callback,
)

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "notebooks" / "solutions"
NOTEBOOKS = ROOT / "notebooks" / "en"

# (notebook, solution module, function name, check)
EXERCISES: list[tuple[str, str, str, Callable[[Callable[..., Any]], CheckReport]]] = [
    ("00-start-here.ipynb", "s00_start_here", "key_holders", check_key_holders),
    ("00-start-here.ipynb", "s00_start_here", "may_change_order", check_may_change_order),
    ("01-anatomy-of-a-callback.ipynb", "s01_anatomy", "signature_headers", check_signature_headers),
    ("01-anatomy-of-a-callback.ipynb", "s01_anatomy", "decrypt_notification", check_decrypt_notification),
    ("02-verifying-the-signature.ipynb", "s02_signature", "build_message", check_build_message),
    ("02-verifying-the-signature.ipynb", "s02_signature", "verify_callback", check_verify_callback),
    ("02-verifying-the-signature.ipynb", "s02_signature", "is_fresh", check_timestamp_window),
]
EXERCISE_IDS = [name for _, _, name, _ in EXERCISES]


@pytest.fixture(autouse=True)
def english_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin report texts to English: the tests below match case names and details."""
    monkeypatch.setenv("WXPAY_LESSON_LANG", "en")


def load_solution(module_name: str) -> ModuleType:
    path = SOLUTIONS / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(f"solutions_{module_name}", path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_placeholder(notebook: str, function_name: str) -> Callable[..., Any]:
    """Run the notebook cell that defines the learner's placeholder and return the function."""
    cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    defining = [source for source in sources if f"def {function_name}(" in source]
    assert len(defining) == 1, f"{notebook} must define {function_name} in exactly one code cell"
    namespace: dict[str, Any] = {}
    exec(compile(defining[0], f"{notebook}:{function_name}", "exec"), namespace)  # noqa: S102
    return namespace[function_name]


def assert_all_cases_fail(report: CheckReport) -> None:
    assert not report.passed, str(report)
    passed = [case.name for case in report.cases if case.passed]
    assert passed == [], f"these cases pass although the answer is wrong: {passed}"


@pytest.mark.parametrize(("notebook", "module_name", "function_name", "check"), EXERCISES, ids=EXERCISE_IDS)
def test_solution_passes_check(notebook: str, module_name: str, function_name: str, check: Any) -> None:
    report = check(getattr(load_solution(module_name), function_name))
    assert report.passed, str(report)
    assert len(report.cases) >= 5


@pytest.mark.parametrize(("notebook", "module_name", "function_name", "check"), EXERCISES, ids=EXERCISE_IDS)
def test_notebook_placeholder_fails_check(notebook: str, module_name: str, function_name: str, check: Any) -> None:
    placeholder = load_placeholder(notebook, function_name)
    report = check(placeholder)
    assert_all_cases_fail(report)
    assert all("not implemented yet" in case.detail for case in report.cases), str(report)


@pytest.mark.parametrize(("notebook", "module_name", "function_name", "check"), EXERCISES, ids=EXERCISE_IDS)
def test_solution_signature_matches_placeholder(notebook: str, module_name: str, function_name: str,
                                                check: Any) -> None:
    solution = getattr(load_solution(module_name), function_name)
    placeholder = load_placeholder(notebook, function_name)
    assert list(inspect.signature(solution).parameters) == list(inspect.signature(placeholder).parameters)


# ---------------------------------------------------------------- wrong solutions fail


def test_build_message_rejects_crlf() -> None:
    report = check_build_message(lambda t, n, b: t.encode() + b"\r\n" + n.encode() + b"\r\n" + b + b"\r\n")
    assert_all_cases_fail(report)
    assert "CRLF" in report.cases[0].detail


def test_build_message_rejects_missing_final_lf() -> None:
    report = check_build_message(lambda t, n, b: t.encode() + b"\n" + n.encode() + b"\n" + b)
    assert_all_cases_fail(report)
    assert "final LF" in report.cases[0].detail


def test_build_message_rejects_text_result() -> None:
    report = check_build_message(lambda t, n, b: f"{t}\n{n}\n{b.decode('utf-8')}\n")
    assert_all_cases_fail(report)
    assert "return bytes" in report.cases[0].detail


def test_build_message_rejects_stripped_body() -> None:
    report = check_build_message(lambda t, n, b: t.encode() + b"\n" + n.encode() + b"\n" + b.strip() + b"\n")
    assert not report.passed
    failed = [case.name for case in report.cases if not case.passed]
    assert failed == ["a body that ends with a newline"]


def test_verify_callback_rejects_accept_all() -> None:
    report = check_verify_callback(lambda headers, body, public_keys: None)
    assert not report.passed
    failed = {case.name for case in report.cases if not case.passed}
    assert "signed by an attacker's key" in failed
    assert "WECHATPAY/SIGNTEST/ probe" in failed
    assert "serial of a certificate not loaded" in failed


def test_verify_callback_rejects_single_fixed_key() -> None:
    solution = load_solution("s02_signature")

    def verify_with_first_key(headers: Any, body: bytes, public_keys: Any) -> None:
        # Ignores Wechatpay-Serial and always takes the first key, so public-key callbacks fail.
        first = next(iter(public_keys.values()))
        message = solution.build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body)
        verify_signature(first, message, headers["Wechatpay-Signature"])

    report = check_verify_callback(verify_with_first_key)
    failed = {case.name for case in report.cases if not case.passed}
    assert "genuine, WeChat Pay public key (PUB_KEY_ID_)" in failed
    assert "serial of a certificate not loaded" in failed


def test_timestamp_window_rejects_inclusive_limit() -> None:
    report = check_timestamp_window(lambda t, now: t.isdigit() and abs(now - int(t)) <= 300)
    failed = [case.name for case in report.cases if not case.passed]
    assert failed == ["300 s in the past", "300 s in the future"]


def test_timestamp_window_rejects_past_only_check() -> None:
    report = check_timestamp_window(lambda t, now: t.isdigit() and now - int(t) < 300)
    failed = {case.name for case in report.cases if not case.passed}
    assert failed == {"300 s in the future", "1 day in the future"}


def test_timestamp_window_reports_parse_crash() -> None:
    report = check_timestamp_window(lambda t, now: abs(now - int(t)) < 300)
    crashed = [case for case in report.cases if case.name == "empty"]
    assert not crashed[0].passed
    assert "ValueError" in crashed[0].detail


def test_signature_headers_rejects_case_sensitive_lookup() -> None:
    def exact_names(headers: Any) -> dict[str, str]:
        return {
            "timestamp": headers["Wechatpay-Timestamp"],
            "nonce": headers["Wechatpay-Nonce"],
            "serial": headers["Wechatpay-Serial"],
            "signature": headers["Wechatpay-Signature"],
        }

    report = check_signature_headers(exact_names)
    failed = {case.name for case in report.cases if not case.passed}
    assert "lower-case names (FastAPI, Go)" in failed
    assert "Wechatpay-Serial empty" in failed
    assert "Wechatpay-Serial missing" in failed  # KeyError is not MissingHeaderError


def test_decrypt_notification_rejects_plaintext_bytes() -> None:
    solution = load_solution("s01_anatomy")
    report = check_decrypt_notification(lambda key, body: json.dumps(solution.decrypt_notification(key, body)))
    assert report.cases[0].passed is False
    assert "parsed into a dict" in report.cases[0].detail


def test_key_holders_rejects_client() -> None:
    report = check_key_holders(lambda secret: {"merchant", "wechatpay", "client"})
    assert_all_cases_fail(report)
    assert "holds no secret" in report.cases[0].detail


def test_may_change_order_rejects_logged_in_client() -> None:
    report = check_may_change_order(lambda source, verified: verified)
    failed = [case.name for case in report.cases if not case.passed]
    assert failed == ["client, verified=True", "return_url, verified=True"]


def test_reports_are_deterministic() -> None:
    solution = load_solution("s02_signature")
    first = str(check_verify_callback(solution.verify_callback))
    second = str(check_verify_callback(solution.verify_callback))
    assert first == second


# ---------------------------------------------------------------- Chinese reports


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(signature_checks._TEXTS))
def test_report_texts_match_across_languages(key: str) -> None:
    english, chinese = signature_checks._TEXTS[key]
    assert chinese.strip(), f"{key} has no Chinese text"
    assert placeholders(english) == placeholders(chinese)


def test_report_is_chinese_under_zh_cn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXPAY_LESSON_LANG", "zh-CN")
    report = check_timestamp_window(lambda t, now: t.isdigit() and abs(now - int(t)) <= 300)
    failed = [case for case in report.cases if not case.passed]
    assert report.exercise == "时间戳窗口"
    assert [case.name for case in failed] == ["早 300 秒", "晚 300 秒"]
    assert "窗口之外" in failed[0].detail


def test_report_language_follows_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WXPAY_LESSON_LANG")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    english_folder = tmp_path / "en"
    chinese_folder = tmp_path / "zh-CN"
    english_folder.mkdir()
    chinese_folder.mkdir()

    monkeypatch.chdir(english_folder)
    assert check_key_holders(lambda secret: set()).exercise == "key holders"

    monkeypatch.chdir(chinese_folder)
    assert check_key_holders(lambda secret: set()).exercise == "密钥持有方"


def test_signature_headers_check_wants_the_right_header_named() -> None:
    from wxpay_lesson import MissingHeaderError
    from wxpay_lesson.exercises import check_signature_headers

    def always_blames_serial(headers: dict[str, str]) -> dict[str, str]:
        raise MissingHeaderError("Wechatpay-Serial", "missing")

    report = check_signature_headers(always_blames_serial)
    assert not report.passed
    assert any("names 'Wechatpay-Serial'" in case.detail for case in report.cases)
