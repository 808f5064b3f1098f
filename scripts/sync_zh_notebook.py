#!/usr/bin/env python3
"""Create or update the Chinese edition of an English notebook, cell for cell.

Usage: python scripts/sync_zh_notebook.py notebooks/en/NN-name.ipynb [...]

For each English notebook, notebooks/zh-CN/ gets a notebook with the same cells in the
same order, matched by cell id:
- code cells are copied from the English edition; a code cell whose source did not
  change keeps the Chinese edition's outputs, and the others need the Chinese notebook
  run again with scripts/run_notebook.py;
- a markdown cell keeps its Chinese text if it was translated from the current English
  text. Otherwise it gets the English text and `needs_translation: true` in its
  `wxpay_lesson` metadata, which a translator removes after translating the cell.
Each markdown cell records the SHA-256 of the English text it was translated from, so a
test can tell when an English edit has left a translation stale.
"""

from __future__ import annotations

import copy
import hashlib
import sys
from pathlib import Path

import nbformat

METADATA_KEY = "wxpay_lesson"


def english_hash(source: str) -> str:
    """Return the SHA-256 hex digest of an English markdown cell's text."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def chinese_path(english: Path) -> Path:
    """Return notebooks/zh-CN/NAME for notebooks/en/NAME."""
    return english.parent.parent / "zh-CN" / english.name


def sync(english_file: Path) -> list[str]:
    """Write the Chinese notebook and return the ids of cells that still need translating."""
    english = nbformat.read(english_file, as_version=4)
    target = chinese_path(english_file)
    existing: dict[str, nbformat.NotebookNode] = {}
    if target.exists():
        existing = {cell.get("id"): cell for cell in nbformat.read(target, as_version=4).cells}

    cells = []
    pending = []
    for cell in english.cells:
        if cell.cell_type != "markdown":
            previous = existing.get(cell.get("id"))
            if previous is not None and previous.cell_type == cell.cell_type and previous.source == cell.source:
                cells.append(copy.deepcopy(previous))  # same code: keep its Chinese outputs
            else:
                cells.append(copy.deepcopy(cell))
            continue
        digest = english_hash(cell.source)
        translated = existing.get(cell.get("id"))
        info = translated.metadata.get(METADATA_KEY, {}) if translated is not None else {}
        if translated is not None and info.get("english_sha256") == digest and not info.get("needs_translation"):
            cells.append(copy.deepcopy(translated))
            continue
        fresh = copy.deepcopy(cell)
        keep_text = translated is not None and not info.get("needs_translation")
        if keep_text:
            fresh.source = translated.source  # a stale translation is a better start than English
        fresh.metadata[METADATA_KEY] = {"english_sha256": digest, "needs_translation": True}
        cells.append(fresh)
        pending.append(cell.get("id"))

    chinese = copy.deepcopy(english)
    chinese.cells = cells
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(chinese, target)
    return pending


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv[1:]:
        pending = sync(Path(name))
        state = f"{len(pending)} markdown cells need translating" if pending else "up to date"
        print(f"{chinese_path(Path(name))}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
