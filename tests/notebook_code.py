"""Load the code that the exercise tests check: solution modules and notebook placeholders."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


def load_solution(path: Path) -> ModuleType:
    """Import a solution file from notebooks/solutions/ as a module."""
    spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_placeholder(notebook: Path, function_name: str) -> Callable[..., Any]:
    """Run the notebook's one code cell that defines the learner's function and return it.

    The cell is found by its source: it contains `def FUNCTION_NAME(`, usually at the start.
    """
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    defining = [source for source in sources if f"def {function_name}(" in source]
    assert len(defining) == 1, f"{notebook.name} must define {function_name} in exactly one code cell"
    namespace: dict[str, Any] = {}
    exec(compile(defining[0], f"{notebook.name}:{function_name}", "exec"), namespace)  # noqa: S102
    return namespace[function_name]
