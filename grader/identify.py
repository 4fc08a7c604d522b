"""Which assignment a submitted file is: the notebook's own metadata first, then its file name.

Every template carries ``"metadata": {"nn_grader": {"assignment": "<id>"}}`` — notebook-level metadata,
which Jupyter, JupyterLab, Colab and jupytext keep through a student's edits. A file named exactly
``<id>.ipynb`` is that assignment (a notebook begun as a copy of another keeps the other's metadata, and
the note says so); any other name is identified by the metadata first. Files renamed on the way
(``XOR_final.ipynb``, ``softmax (1).ipynb``, ``hw-gradient-descent-v2.py``) are matched by the assignment
id appearing as a word of the name; a name that fits none or several assignments is refused with a
message that says how to fix it. Whatever matched is said in the result (``Identification.how``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .notebook import UnreadableSubmission, parse

METADATA_KEY = "nn_grader"


@dataclass(frozen=True)
class Identification:
    assignment: str | None
    how: str  # "" for an exact file name; else what matched, in words a student understands
    rank: int  # which file wins when two name the same assignment: lower is surer
    problem: str | None = None


def _words(text: str) -> str:
    return "_" + re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") + "_"


def by_name(filename: str, known: list[str]) -> list[str]:
    """The known ids that appear as whole words in ``filename`` (``XOR_final.ipynb`` → [xor]); the
    longest wins where one id is part of another. Without a whole word, a long id written without its
    separators (``gradientdescent``) counts, unless another id hides in the name too."""
    stem = filename.rsplit(".", 1)[0]
    words, squashed = _words(stem), re.sub(r"[^a-z0-9]", "", stem.lower())
    found = [k for k in known if f"_{_words(k).strip('_')}_" in words]
    if not found:
        inside = [k for k in known if re.sub(r"[^a-z0-9]", "", k) in squashed]
        found = inside if len(inside) > 1 or all(len(k) > 6 for k in inside) else []
    return [k for k in found if not any(k != o and k in o for o in found)]


def metadata_assignment(filename: str, data: bytes) -> str | None:
    try:
        notebook = parse(filename, data)
    except UnreadableSubmission:
        return None
    section = notebook.metadata.get(METADATA_KEY)
    value = section.get("assignment") if isinstance(section, dict) else None
    return value if isinstance(value, str) else None


def identify(filename: str, data: bytes | None, known: list[str]) -> Identification:
    stem = filename.rsplit(".", 1)[0]
    named = metadata_assignment(filename, data) if data is not None else None
    if stem in known:  # named exactly: a notebook started from a copy of another keeps that one's metadata
        how = f"named {filename}, although its metadata says {named} (a copy of that notebook?)" \
            if named in known and named != stem else ""
        return Identification(stem, how, 0)
    if named in known:
        return Identification(named, f"recognised as {named} by the notebook's metadata (file named {filename})", 1)
    matches = by_name(filename, known)
    if len(matches) == 1:
        return Identification(matches[0], f"recognised as {matches[0]} by its file name {filename}", 2)
    expected = ", ".join(k + ".ipynb" for k in known)
    if matches:
        return Identification(None, "", 9, f"'{filename}' could be any of {', '.join(matches)}: rename it to one "
                                           f"of {expected}")
    stranger = f" (its metadata names {named!r}, not an assignment of this course)" if named else ""
    return Identification(None, "", 9, f"'{filename}' is not a known assignment{stranger}: name it one of "
                                       f"{expected}, or keep the notebook the template started")
