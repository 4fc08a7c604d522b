"""The course on disk: one folder per assignment (template, rubric, probes) and one reference each."""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import HarnessError

if TYPE_CHECKING:  # the rubric module imports NumPy, which a `grader check` client never needs
    from .rubric import Rubric

COURSE_ORDER = ("gradient_descent", "xor", "softmax", "mnist", "iris")


class NoCourse(HarnessError):
    """No course folder to grade against: said in one line, with how to point at one."""


HOW_TO_POINT = ("run grader inside a course folder (one holding assignments/<id>/rubric.py), pass --course DIR, "
                "or set GRADER_COURSE_DIR")


def is_course(folder: Path) -> bool:
    return any((folder / "assignments").glob("*/rubric.py"))


def course_root() -> Path:
    """The folder holding ``assignments/`` (and, for instructors, ``reference/``): GRADER_COURSE_DIR (which
    ``--course`` sets), else the current directory, else the source checkout this grader runs from. A
    regular install has no course of its own: the course (or a student kit) is a folder of its own."""
    configured = os.environ.get("GRADER_COURSE_DIR")
    if configured:
        folder = Path(configured).expanduser().resolve()
        if not is_course(folder):
            raise NoCourse(f"{configured} is not a course folder (no assignments/<id>/rubric.py in it); "
                           + HOW_TO_POINT)
        return folder
    for folder in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if is_course(folder):
            return folder
    raise NoCourse("no course found: " + HOW_TO_POINT)


class UnknownAssignment(KeyError):
    pass


@dataclass(frozen=True)
class Assignment:
    id: str
    folder: Path
    rubric: Rubric
    probes_source: str
    reference: Path | None  # None in a student kit, which publishes the reference's observations instead

    @property
    def template(self) -> Path:
        return self.folder / "template.ipynb"


def known_ids() -> list[str]:
    folder = course_root() / "assignments"
    found = {p.parent.name for p in folder.glob("*/rubric.py")}
    return [i for i in COURSE_ORDER if i in found] + sorted(found - set(COURSE_ORDER))


def package_name(assignment_id: str) -> str:
    """The module name an assignment folder is imported under (its rubric, judges, ...)."""
    return f"grader_course_{assignment_id}"


def load(assignment_id: str) -> Assignment:
    """The assignment as its files are now: an edited rubric is loaded afresh (the key holds their times)."""
    root = course_root()
    loaded = _load(root, assignment_id, _signature(root / "assignments" / assignment_id))
    package = sys.modules.get(package_name(assignment_id))
    if package is None or list(getattr(package, "__path__", [])) != [str(loaded.folder)]:
        # the same id was loaded since from another course (a kit): this one's modules are gone, load afresh
        _load.cache_clear()
        loaded = _load(root, assignment_id, _signature(root / "assignments" / assignment_id))
    return loaded


def _signature(folder: Path) -> tuple:
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.py")))
    except OSError:
        return ()


load.cache_clear = lambda: _load.cache_clear()  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=None)
def _load(root: Path, assignment_id: str, signature: tuple = ()) -> Assignment:
    folder = root / "assignments" / assignment_id
    rubric_file = folder / "rubric.py"
    if not rubric_file.is_file():
        raise UnknownAssignment(assignment_id)
    # the folder is loaded as a package so that rubric.py can import its sibling judges.py
    package = package_name(assignment_id)
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]  # loaded afresh, e.g. from another course folder (a student kit)
    spec = importlib.util.spec_from_file_location(package, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    spec.loader.exec_module(module)
    rubric: Rubric = importlib.import_module(f"{package}.rubric").RUBRIC
    if rubric.assignment != assignment_id:
        raise ValueError(f"{rubric_file} describes {rubric.assignment!r}, not {assignment_id!r}")
    return Assignment(
        id=assignment_id,
        folder=folder,
        rubric=rubric,
        probes_source=(folder / "probes.py").read_text(),
        reference=_reference_file(root, assignment_id),
    )


def _reference_file(root: Path, assignment_id: str) -> Path | None:
    for suffix in (".py", ".ipynb"):
        path = root / "reference" / f"{assignment_id}{suffix}"
        if path.is_file():
            return path
    return None
