"""Find the submissions in a class folder laid out as ``<student>/<assignment>.ipynb`` (or ``.py``).

Anything that does not fit the layout becomes a submission with a ``problem``: it still gets a result
(status "error") in the report, it never stops the batch. Names are untrusted input (folder names come
from LMS exports): a student's name is cleaned once here (control characters escaped, undecodable bytes
replaced) and made unique, and nothing that is not a regular file or a folder is ever opened.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .gate import clean_text
from .identify import identify
from .notebook import UnreadableSubmission, read_bytes

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
    identified: str = ""  # how the assignment was recognised when the file is not named <assignment>.ipynb
    counted: bool = True  # False: an extra file beside the one graded for the same assignment


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
    found: list[Submission] = []
    chosen: dict[str, tuple] = {}  # assignment -> (rank, Submission): the surest file of each assignment
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
        elif path.suffix not in GRADED_SUFFIXES:
            found.append(Submission(student, stem, path,
                                    f"'{path.suffix}' files are not graded: submit {stem}.ipynb or .py"
                                    if path.stem in known else
                                    f"'{name}' is not a known assignment (expected one of: "
                                    f"{', '.join(k + '.ipynb' for k in known)})"))
        else:
            try:
                data = read_bytes(path)
            except UnreadableSubmission:
                data = None  # said when it is graded; the name may still tell the assignment
            found_as = identify(path.name, data, known)
            if found_as.problem:
                found.append(Submission(student, stem, path, display_name(found_as.problem)))
                continue
            assignment = found_as.assignment
            candidate = Submission(student, assignment, path, identified=display_name(found_as.how))
            rank = (found_as.rank, path.suffix != ".ipynb", path.name)
            if assignment in chosen and chosen[assignment][0] <= rank:
                found.append(_extra(candidate, chosen[assignment][1]))
                continue
            if assignment in chosen:
                found.append(_extra(chosen[assignment][1], candidate))
            chosen[assignment] = (rank, candidate)
    # a link, a .pdf or .html beside the notebook of the same assignment is an extra file, not its grade
    found = [dataclasses.replace(f, counted=False) if f.problem and f.assignment in chosen else f for f in found]
    return found + [submission for _, submission in chosen.values()]


def _extra(extra: Submission, graded: Submission) -> Submission:
    return Submission(extra.student, extra.assignment, extra.path,
                      f"{display_name(extra.path.name)} ignored: {display_name(graded.path.name)} was submitted too "
                      f"and was graded as {graded.assignment}", counted=False)


def layout_problem(root: Path, found: list[Submission], only: str | None = None) -> str | None:
    """Why a folder cannot be a class of submissions (said before anything is graded), or None."""
    if any(s.student != "(no student)" and s.problem is None for s in found):
        return None  # at least one student's folder holds a gradable submission
    notebooks = [s for s in found if s.path.suffix in GRADED_SUFFIXES and s.path.parent == root]
    if notebooks:
        return (f"{root} holds notebooks, not student folders: it looks like one student's folder. Grade the "
                f"folder above it (one folder per student), or self-check a file with: grader check "
                f"{notebooks[0].path}")
    if not found:
        what = f"no {only} submissions" if only else "no submissions"
        return f"{what} in {root}: expected one folder per student holding <assignment>.ipynb files"
    return None
