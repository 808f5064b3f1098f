#!/usr/bin/env python3
"""Execute notebooks in place from a fresh kernel and normalise their metadata.

Usage: python scripts/run_notebook.py NOTEBOOK.ipynb [...]

Each notebook runs top to bottom in a new `python3` kernel started from the notebook's
folder. Its outputs are saved, widget state is removed, execution counts are renumbered
and the kernelspec is set to `python3`, so that strict nbval compares like with like.
Cells tagged or marked `# NBVAL_RAISES_EXCEPTION` may raise; any other error stops the run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def normalise(notebook: nbformat.NotebookNode) -> None:
    """Set the kernelspec to python3 and drop widget state and run-specific metadata."""
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    # The Python version differs between machines; only the language name is kept.
    notebook.metadata["language_info"] = {"name": "python"}
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)


def merge_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Join consecutive stdout (or stderr) chunks, which the kernel splits at random points."""
    merged: list[nbformat.NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
            continue
        merged.append(output)
    return merged


def run(path: Path) -> None:
    """Execute one notebook in place."""
    notebook = nbformat.read(path, as_version=4)
    # nbclient stops at an error unless the cell is tagged. nbval reads the comment and
    # warns when both are present, so the tag is added for the run only.
    tagged = []
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and "NBVAL_RAISES_EXCEPTION" in cell.source and "raises-exception" not in tags:
            cell.metadata["tags"] = [*tags, "raises-exception"]
            tagged.append(cell)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in tagged:
        cell.metadata["tags"].remove("raises-exception")
        if not cell.metadata["tags"]:
            del cell.metadata["tags"]
    normalise(notebook)
    nbformat.write(notebook, path)
    print(f"executed {path}")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv[1:]:
        run(Path(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
