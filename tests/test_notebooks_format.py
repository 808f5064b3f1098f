"""Rules every committed notebook follows, so that strict nbval checks real outputs."""

from __future__ import annotations

import configparser
import hashlib
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
ENGLISH = sorted((NOTEBOOKS_DIR / "en").glob("*.ipynb"))
CHINESE_DIR = NOTEBOOKS_DIR / "zh-CN"
ALL = sorted(NOTEBOOKS_DIR.rglob("*.ipynb"))
ALL = [path for path in ALL if ".ipynb_checkpoints" not in path.parts]
FRAME_HEADINGS = ("What you'll do", "What you'll learn", "What you'll need", "Setup", "On your own",
                  "In practice", "Key points", "Further reading")


def notebook_id(path: Path) -> str:
    return str(path.relative_to(NOTEBOOKS_DIR))


def test_english_notebooks_exist() -> None:
    assert ENGLISH, "notebooks/en/ has no notebooks"


@pytest.mark.parametrize("path", ALL, ids=notebook_id)
def test_notebook_metadata_and_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in notebook.metadata, "widget state must be stripped"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells
    for index, cell in enumerate(code_cells):
        assert cell.execution_count is not None, f"code cell {index} was not executed before committing"
        assert "NBVAL_SKIP" not in cell.source
        assert "nbval-skip" not in cell.metadata.get("tags", [])
    assert any(cell.outputs for cell in code_cells), "outputs were stripped"
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"at 0x[0-9a-f]{6,}", text), "a memory address is in the outputs"


@pytest.mark.parametrize("path", ENGLISH, ids=notebook_id)
def test_english_notebook_follows_the_frame(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    headings = [line.lstrip("#").strip() for line in markdown.splitlines() if line.startswith("#")]
    assert headings and notebook.cells[0].source.startswith("# ")
    for wanted in FRAME_HEADINGS:
        assert any(heading.startswith(wanted) for heading in headings), f"missing section {wanted!r}"


@pytest.mark.parametrize("path", ENGLISH, ids=notebook_id)
def test_chinese_edition_has_same_code_cells(path: Path) -> None:
    translated = CHINESE_DIR / path.name
    if not translated.exists():
        pytest.skip(f"no Chinese edition of {path.name} yet")
    english = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    chinese = [cell.source for cell in nbformat.read(translated, as_version=4).cells if cell.cell_type == "code"]
    assert chinese == english


@pytest.mark.parametrize("path", sorted(CHINESE_DIR.glob("*.ipynb")), ids=notebook_id)
def test_chinese_translation_is_current(path: Path) -> None:
    english = NOTEBOOKS_DIR / "en" / path.name
    assert english.exists(), f"{path.name} has no English original"
    english_cells = {cell.get("id"): cell for cell in nbformat.read(english, as_version=4).cells}
    chinese_cells = nbformat.read(path, as_version=4).cells
    assert [cell.get("id") for cell in chinese_cells] == list(english_cells)
    for cell in chinese_cells:
        if cell.cell_type != "markdown":
            continue
        info = cell.metadata.get("wxpay_lesson", {})
        assert not info.get("needs_translation"), f"cell {cell.get('id')} is not translated yet"
        digest = hashlib.sha256(english_cells[cell.get("id")].source.encode("utf-8")).hexdigest()
        assert info.get("english_sha256") == digest, (
            f"cell {cell.get('id')} was translated from older English text; "
            "run scripts/sync_zh_notebook.py and update the translation"
        )
        assert re.search(r"[\u4e00-\u9fff]", cell.source), f"cell {cell.get('id')} has no Chinese text"


def test_sanitize_file_loads() -> None:
    parser = configparser.ConfigParser()
    assert parser.read(NOTEBOOKS_DIR / "sanitize.cfg")
    assert parser.sections()
    for section in parser.sections():
        re.compile(parser[section]["regex"])
        assert "replace" in parser[section]
