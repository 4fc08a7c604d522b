"""Read a submission (.ipynb with nbformat, .py with jupytext) into the code cells the sandbox runs.

Budgeted training works like papermill: the cell tagged ``parameters`` is followed by an injected
cell that overrides its values with the grader's smaller ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

INJECTED_INDEX = 0  # code cells are numbered from 1 as a student counts them; 0 is the grader's


class UnreadableSubmission(Exception):
    """The file is not a notebook or script the grader can read; the message says why."""


@dataclass
class Cells:
    cells: list[dict]
    notes: list[str] = field(default_factory=list)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    if path.suffix == ".ipynb":
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as exc:  # nbformat raises several kinds for broken JSON/schema
            raise UnreadableSubmission(f"not a readable Jupyter notebook: {exc}".splitlines()[0]) from exc
        return notebook
    if path.suffix == ".py":
        import jupytext

        try:
            return jupytext.read(path)
        except Exception as exc:
            raise UnreadableSubmission(f"could not read the script: {exc}") from exc
    raise UnreadableSubmission(f"'{path.suffix}' files are not graded: submit a .ipynb notebook or a .py script")


def code_cells(path: Path, parameters: dict) -> Cells:
    notebook = read_notebook(path)
    cells, notes, injected = [], [], False
    ordinal = 0
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        ordinal += 1
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        cells.append({"index": ordinal, "source": source})
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags and parameters and not injected:
            cells.append(parameters_cell(parameters))
            injected = True
    if parameters and not injected:
        cells.insert(0, parameters_cell(parameters))
        notes.append("no cell is tagged 'parameters': the grader's budget was set before the first "
                     "cell, so a later assignment in your code may override it and make grading slow")
    return Cells(cells, notes)


def parameters_cell(parameters: dict) -> dict:
    lines = ["# Parameters injected by the grader (budgeted training)"]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    return {"index": INJECTED_INDEX, "source": "\n".join(lines) + "\n"}


def cell_label(index: int) -> str:
    return "the grader's injected parameters" if index == INJECTED_INDEX else f"code cell {index}"
