"""Language selection and the parity of the English and Chinese message tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxpay_lesson import errors
from wxpay_lesson.i18n import CODE_EXPLANATIONS, LANGUAGES, explain, language_from_environment, normalize_language


def test_every_error_code_is_explained_in_both_languages() -> None:
    codes = {cls.code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.CallbackError) and cls is not errors.CallbackError}
    assert codes <= set(CODE_EXPLANATIONS)
    for code, texts in CODE_EXPLANATIONS.items():
        assert set(texts) == set(LANGUAGES), code
        assert texts["en"] != texts["zh-CN"], code


@pytest.mark.parametrize("requested,expected", [("en", "en"), ("zh-CN", "zh-CN"), ("zh_cn", "zh-CN"), ("zh", "zh-CN")])
def test_normalize_language(requested: str, expected: str) -> None:
    assert normalize_language(requested) == expected


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="en, zh-CN"):
        normalize_language("fr")


def test_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chinese_folder = tmp_path / "zh-CN"
    chinese_folder.mkdir()
    monkeypatch.chdir(chinese_folder)
    monkeypatch.setenv("WXPAY_LESSON_LANG", "en")
    assert language_from_environment() == "en"


def test_chinese_notebook_folder_selects_chinese(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chinese_folder = tmp_path / "zh-CN"
    chinese_folder.mkdir()
    monkeypatch.chdir(chinese_folder)
    monkeypatch.delenv("WXPAY_LESSON_LANG", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert language_from_environment() == "zh-CN"
    assert explain("INVALID_SIGNATURE") == CODE_EXPLANATIONS["INVALID_SIGNATURE"]["zh-CN"]


def test_lang_variable_selects_chinese(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WXPAY_LESSON_LANG", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert language_from_environment() == "zh-CN"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert language_from_environment() == "en"


def test_english_notebook_folder_ignores_chinese_locale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    english_folder = tmp_path / "en"
    english_folder.mkdir()
    monkeypatch.chdir(english_folder)
    monkeypatch.delenv("WXPAY_LESSON_LANG", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert language_from_environment() == "en"
