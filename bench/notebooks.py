#!/usr/bin/env python3
"""Time each notebook run top to bottom in a fresh kernel, as a learner would run it.

Usage: .venv/bin/python bench/notebooks.py [NOTEBOOK.ipynb ...]

Without arguments it times every notebook under notebooks/en/ and notebooks/zh-CN/. The
goal is under 10 seconds per notebook on a 2-core machine; the time includes starting
the kernel. Nothing is written back to the notebooks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 10.0


def time_notebook(path: Path) -> float:
    """Execute a copy of the notebook in a new python3 kernel and return the seconds taken."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        paths = [Path(name).resolve() for name in argv[1:]]
    else:
        paths = sorted((ROOT / "notebooks" / "en").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "zh-CN").glob("*.ipynb"))
    print(f"{'notebook':48} {'seconds':>8}  goal < {GOAL_SECONDS:g} s")
    over = 0
    for path in paths:
        seconds = time_notebook(path)
        flag = "" if seconds < GOAL_SECONDS else "  OVER"
        over += seconds >= GOAL_SECONDS
        print(f"{str(path.relative_to(ROOT)):48} {seconds:8.2f}{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
