"""Read a submission (.ipynb with nbformat, .py with jupytext) into the code cells the sandbox runs.

A submission file is the student's: it is opened without following links or blocking on a FIFO, read
only if it is a regular file of sane size, and a notebook of any malformed shape (wrong field types,
missing fields, old nbformat versions) becomes an ``UnreadableSubmission`` naming the problem — a result
for that student, never a failure of the grader.

Budgeted training works like papermill: the cell tagged ``parameters`` is followed by an injected
cell that overrides its values with the grader's smaller ones.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

INJECTED_INDEX = 0  # code cells are numbered from 1 as a student counts them; 0 is the grader's
MAX_BYTES = 20 * 1024**2  # a notebook with its outputs; larger files are refused unread


class UnreadableSubmission(Exception):
    """The file is not a notebook or script the grader can read; the message says why."""


@dataclass
class Cells:
    cells: list[dict]
    notes: list[str] = field(default_factory=list)


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, if it is a regular file (no link, FIFO, device or folder) of at most ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise UnreadableSubmission(f"cannot open the file: {exc.strerror or exc}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnreadableSubmission("not a regular file (a FIFO, device or folder): refused without reading it")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit:
            raise UnreadableSubmission(f"the file has {info.st_size / 1024**2:.0f} MB, more than the "
                                       f"{limit / 1024**2:.0f} MB the grader reads (clear the outputs and save again?)")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnreadableSubmission("the file grew past the size the grader reads while it was read")
    return data


def parse(name: str, data: bytes) -> nbformat.NotebookNode:
    """A notebook from a submission's bytes; ``name`` gives the kind (.ipynb or .py)."""
    suffix = Path(name).suffix
    if suffix not in (".ipynb", ".py"):
        raise UnreadableSubmission(f"'{suffix}' files are not graded: submit a .ipynb notebook or a .py script")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableSubmission(f"the file is not UTF-8 text (byte {exc.start} cannot be read)") from exc
    if suffix == ".ipynb":
        try:
            return nbformat.reads(text, as_version=4)
        except Exception as exc:  # nbformat raises many kinds for broken JSON, schemas and versions
            raise UnreadableSubmission(f"not a readable Jupyter notebook: {type(exc).__name__}: "
                                       f"{str(exc).splitlines()[0][:300] if str(exc) else ''}") from exc
    import jupytext

    try:
        return jupytext.reads(text, fmt="py")
    except Exception as exc:
        raise UnreadableSubmission(f"could not read the script: {type(exc).__name__}: {str(exc)[:300]}") from exc


def read_notebook(path: Path) -> nbformat.NotebookNode:
    if Path(path).suffix not in (".ipynb", ".py"):
        raise UnreadableSubmission(f"'{Path(path).suffix}' files are not graded: submit a .ipynb notebook or a .py script")
    return parse(path.name, read_bytes(path))


def _cell_text(cell, position: int) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise UnreadableSubmission(f"cell {position} of the notebook has a 'source' that is not text "
                               f"({type(source).__name__}): the file was not saved by Jupyter")


def _tags(cell) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def code_cells(path: Path, parameters: dict) -> Cells:
    return cells_of(read_notebook(path), parameters)


def cells_of(notebook, parameters: dict) -> Cells:
    cells_found = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells_found, list):
        raise UnreadableSubmission("the notebook has no list of cells")
    cells, notes, injected = [], [], False
    ordinal = 0
    for position, cell in enumerate(cells_found, start=1):
        if not isinstance(cell, dict):
            raise UnreadableSubmission(f"cell {position} of the notebook is not a cell ({type(cell).__name__})")
        if cell.get("cell_type") != "code":
            continue
        ordinal += 1
        cells.append({"index": ordinal, "source": _cell_text(cell, position)})
        if "parameters" in _tags(cell) and parameters and not injected:
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


def notebook_view(notebook, parameters: dict) -> list:
    """The submission's cells as the student's page shows them: every cell in order, code cells with the
    index the grader ran them under, and the grader's injected budget where it was injected."""
    from .gate import clean_text
    from .results import NotebookCell

    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    view, ordinal, injected, budget = [], 0, False, 200_000
    for position, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type") if cell.get("cell_type") in ("code", "markdown", "raw") else "raw"
        try:
            text = clean_text(_cell_text(cell, position), 20_000)
        except UnreadableSubmission:
            text = ""
        budget -= len(text) + 100  # each cell also costs its record's keys in results.json
        if budget < 0:
            view.append(NotebookCell("raw", "[the rest of the notebook is not shown: it is too long]"))
            break
        if kind == "code":
            ordinal += 1
            view.append(NotebookCell("code", text, ordinal))
            if "parameters" in _tags(cell) and parameters and not injected:
                view.append(NotebookCell("budget", parameters_cell(parameters)["source"], INJECTED_INDEX))
                injected = True
        else:
            view.append(NotebookCell(kind, text))
    if parameters and not injected:
        view.insert(0, NotebookCell("budget", parameters_cell(parameters)["source"], INJECTED_INDEX))
    return view
