"""Find the submissions in a class folder laid out as ``<student>/<assignment>.ipynb`` (or ``.py``).

Anything that does not fit the layout becomes a submission with a ``problem``: it still gets a result
(status "error") in the report, it never stops the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GRADED_SUFFIXES = (".ipynb", ".py")
IGNORED_NAMES = {".ipynb_checkpoints", "__pycache__", ".DS_Store", ".git"}


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    path: Path
    problem: str | None = None


def discover(root: Path, known: list[str], only: str | None = None) -> list[Submission]:
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder of submissions")
    found: list[Submission] = []
    for entry in sorted(root.iterdir()):
        if entry.name in IGNORED_NAMES or entry.name.startswith("."):
            continue
        if entry.is_symlink():
            found.append(Submission(entry.name, entry.stem, entry, "symbolic links are not graded: a "
                                    "submission must be the student's own file, not a link to another"))
            continue
        if entry.is_file():
            found.append(Submission("(no student)", entry.stem, entry,
                                    "stray file: expected <student>/<assignment>.ipynb, "
                                    "this file is not inside a student's folder"))
            continue
        found.extend(_student_folder(entry, known))
    if only:
        found = [s for s in found if s.assignment == only]
    order = {a: i for i, a in enumerate(known)}
    return sorted(found, key=lambda s: (s.student, order.get(s.assignment, len(order)), s.path.name))


def _student_folder(folder: Path, known: list[str]) -> list[Submission]:
    student, found, seen = folder.name, [], set()
    entries = sorted(folder.iterdir(), key=lambda p: (p.suffix != ".ipynb", p.name))
    for path in entries:
        if path.name in IGNORED_NAMES or path.name.startswith("."):
            continue
        if path.is_symlink():
            found.append(Submission(student, path.stem, path, "symbolic links are not graded: a submission "
                                    "must be the student's own file, not a link to another"))
        elif path.is_dir():
            found.append(Submission(student, path.name, path,
                                    f"unexpected folder '{path.name}': submissions are files named "
                                    f"<assignment>.ipynb directly in the student's folder"))
        elif path.stem not in known:
            found.append(Submission(student, path.stem, path,
                                    f"'{path.name}' is not a known assignment (expected one of: "
                                    f"{', '.join(k + '.ipynb' for k in known)})"))
        elif path.suffix not in GRADED_SUFFIXES:
            found.append(Submission(student, path.stem, path,
                                    f"'{path.suffix}' files are not graded: submit {path.stem}.ipynb or .py"))
        elif path.stem in seen:
            found.append(Submission(student, path.stem, path,
                                    f"{path.name} ignored: {path.stem}.ipynb was submitted too and was graded"))
        else:
            seen.add(path.stem)
            found.append(Submission(student, path.stem, path))
    return found
