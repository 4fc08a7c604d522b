"""Find the submissions in a class folder laid out as ``<student>/<assignment>.ipynb`` (or ``.py``).

Anything that does not fit the layout becomes a submission with a ``problem``: it still gets a result
(status "error") in the report, it never stops the batch. Names are untrusted input (folder names come
from LMS exports): a student's name is cleaned once here (control characters escaped, undecodable bytes
replaced) and made unique, and nothing that is not a regular file or a folder is ever opened.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .gate import clean_text

GRADED_SUFFIXES = (".ipynb", ".py")
IGNORED_NAMES = {".ipynb_checkpoints", "__pycache__", ".DS_Store", ".git"}
NAME_CAP = 120


@dataclass(frozen=True)
class Submission:
    student: str  # a display name: clean, and unique within the class
    assignment: str
    path: Path
    problem: str | None = None
    content: bytes | None = None  # the file's bytes when they came over the network (Dask), not from path


def display_name(raw: str) -> str:
    return clean_text(raw, NAME_CAP).replace("\n", "\\n").replace("\t", "\\t") or "(unnamed)"


def _kind(path: Path) -> str:
    """"file", "folder", "link" or what else the entry is, without following or opening it."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "missing"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"


LINK = "symbolic links are not graded: a submission must be the student's own file, not a link to another"


def special(kind: str) -> str:
    return f"not a regular file (a {kind}): refused without being opened"


def discover(root: Path, known: list[str], only: str | None = None) -> list[Submission]:
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder of submissions")
    found: list[Submission] = []
    names: dict[str, int] = {}
    for entry in sorted(root.iterdir()):
        if entry.name in IGNORED_NAMES or entry.name.startswith("."):
            continue
        kind = _kind(entry)
        if kind == "folder":
            student = display_name(entry.name)
            names[student] = names.get(student, 0) + 1
            if names[student] > 1:  # two folder names that only differ in what cleaning replaced
                student = f"{student} ({names[student]})"
            found.extend(_student_folder(entry, student, known))
        elif kind == "link":
            found.append(Submission(display_name(entry.name), display_name(entry.stem), entry, LINK))
        elif kind == "file":
            found.append(Submission("(no student)", display_name(entry.stem), entry,
                                    "stray file: expected <student>/<assignment>.ipynb, "
                                    "this file is not inside a student's folder"))
        else:
            found.append(Submission("(no student)", display_name(entry.stem), entry, special(kind)))
    if only:
        found = [s for s in found if s.assignment == only]
    order = {a: i for i, a in enumerate(known)}
    return sorted(found, key=lambda s: (s.student, order.get(s.assignment, len(order)), s.path.name))


def _student_folder(folder: Path, student: str, known: list[str]) -> list[Submission]:
    found, seen = [], set()
    try:
        entries = sorted(folder.iterdir(), key=lambda p: (p.suffix != ".ipynb", p.name))
    except OSError as exc:
        return [Submission(student, "(folder)", folder, f"the folder cannot be read: {exc.strerror or exc}")]
    for path in entries:
        if path.name in IGNORED_NAMES or path.name.startswith("."):
            continue
        kind, stem, name = _kind(path), display_name(path.stem), display_name(path.name)
        if kind == "link":
            found.append(Submission(student, stem, path, LINK))
        elif kind == "folder":
            found.append(Submission(student, name, path,
                                    f"unexpected folder '{name}': submissions are files named "
                                    f"<assignment>.ipynb directly in the student's folder"))
        elif kind != "file":
            found.append(Submission(student, stem, path, special(kind)))
        elif path.stem not in known:
            found.append(Submission(student, stem, path,
                                    f"'{name}' is not a known assignment (expected one of: "
                                    f"{', '.join(k + '.ipynb' for k in known)})"))
        elif path.suffix not in GRADED_SUFFIXES:
            found.append(Submission(student, stem, path,
                                    f"'{path.suffix}' files are not graded: submit {stem}.ipynb or .py"))
        elif path.stem in seen:
            found.append(Submission(student, stem, path,
                                    f"{name} ignored: {stem}.ipynb was submitted too and was graded"))
        else:
            seen.add(path.stem)
            found.append(Submission(student, path.stem, path))
    return found
