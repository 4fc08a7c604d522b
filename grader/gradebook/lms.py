"""Canvas in and out: a "Download Submissions" folder (or its zip) into the ``<student>/<assignment>``
layout, and the gradebook out as CSV and as a Canvas gradebook import file.

Canvas names each downloaded file ``<name>_[LATE_]<user id>_<submission id>_<original file name>``, where
the original name may carry ``-N`` for a re-upload. The student's folder is their roster id when the
roster knows that Canvas user id, else the Canvas name and user id; the assignment is found as for any submission
(the notebook's metadata, then the file name). Nothing is extracted by path: each file's bytes are read
and written to a name we build, so a crafted zip cannot write outside the target folder.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..identify import identify
from ..notebook import MAX_BYTES
from ..submissions import GRADED_SUFFIXES, display_name
from ..writers.csv_out import spreadsheet_safe
from ..writers.files import atomic_write, slug
from .store import Student
from .views import ClassGrid

CANVAS_NAME = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")


@dataclass(frozen=True)
class Imported:
    source: str
    student: str
    assignment: str | None
    target: Path | None
    late: bool
    problem: str = ""  # why this file was not imported
    note: str = ""  # how its assignment was recognised, or what replaced what


def _files(download: Path):
    """(name, bytes) of every regular file in a folder or a zip, without following links or extracting."""
    if download.is_file() and zipfile.is_zipfile(download):
        with zipfile.ZipFile(download) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    name = info.filename.rsplit("/", 1)[-1]
                    yield name, (archive.read(info) if info.file_size <= MAX_BYTES else None)
        return
    for path in sorted(download.iterdir()):
        if path.is_file() and not path.is_symlink():
            yield path.name, (path.read_bytes() if path.stat().st_size <= MAX_BYTES else None)


def import_canvas(download: Path, target: Path, known: list[str], roster: list[Student],
                  assignment: str | None = None) -> list[Imported]:
    by_lms = {s.lms_id: s.id for s in roster if s.lms_id}
    chosen: dict[tuple[str, str], tuple[tuple, str, bytes, bool, str]] = {}
    report: list[Imported] = []
    for name, data in _files(download):
        match = CANVAS_NAME.match(name)
        if match is None:
            report.append(Imported(display_name(name), "", None, None, False,
                                   "not a Canvas download name (<name>_<user id>_<submission id>_<file>)"))
            continue
        original = re.sub(r"-\d+(\.[^.]+)$", r"\1", match["file"])  # Canvas's -1, -2 for re-uploads
        # Canvas's name is not unique (two John Smiths): with its user id, without a roster entry, it is
        student = by_lms.get(match["user"]) or f"{slug(match['name'])}_{match['user']}"
        suffix = Path(original).suffix
        if suffix not in GRADED_SUFFIXES:
            report.append(Imported(display_name(name), student, None, None, bool(match["late"]),
                                   f"'{suffix}' files are not graded"))
            continue
        if data is None:
            report.append(Imported(display_name(name), student, None, None, bool(match["late"]), "file too large"))
            continue
        found = identify(original, data, known)
        which = assignment or found.assignment
        if which is None:
            report.append(Imported(display_name(name), student, None, None, bool(match["late"]),
                                   display_name(found.problem or "unknown assignment")))
            continue
        rank = (int(match["submission"]), -found.rank, suffix == ".ipynb")  # the newest, surest file wins
        key = (student, which)
        if key not in chosen or chosen[key][0] < rank:
            if key in chosen:
                report.append(Imported(chosen[key][1], student, which, None, chosen[key][3],
                                       f"replaced by the newer {display_name(name)}"))
            chosen[key] = (rank, display_name(name), data, bool(match["late"]), suffix, found.how)
        else:
            report.append(Imported(display_name(name), student, which, None, bool(match["late"]),
                                   f"replaced by the newer {chosen[key][1]}"))
    for (student, which), (_, source, data, late, suffix, how) in sorted(chosen.items()):
        path = target / student / f"{which}{suffix}"
        atomic_write(path, data)
        report.append(Imported(source, student, which, path, late, note=how))
    return report


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def grades_csv(grid: ClassGrid, students: dict[str, Student], missing_as_zero: bool = False) -> str:
    """One row per student: roster details, each assignment's points (blank or 0 when missing), the
    total, and every instructor override with its reason."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "name", "email", "lms_id", *grid.assignments, "total", "max_total", "missing",
                     "overrides"])
    for row in grid.rows:
        info = students.get(row.student, Student(row.student))
        scores = [("0" if missing_as_zero else "") if c.status == "missing" else _score(c.score) for c in row.cells]
        overrides = "; ".join(f"{c.assignment}{'/' + o['check'] if o['check'] else ''} = {o['points']:g} "
                              f"({o['reason']}; {o['made_by']}, {o['made_at']})"
                              for c in row.cells if c.result is not None for o in c.result.overrides)
        writer.writerow([spreadsheet_safe(v) for v in (row.student, info.name, info.email, info.lms_id, *scores,
                                                       _score(row.total), _score(row.max_total), row.missing,
                                                       overrides)])
    return out.getvalue()


def canvas_csv(grid: ClassGrid, students: dict[str, Student], titles: dict[str, str],
               missing_as_zero: bool = False) -> tuple[str, list[str]]:
    """Canvas's gradebook import format: Student, ID, SIS User ID, SIS Login ID, Section, one column per
    assignment (a new column name makes Canvas create the assignment; "Name (canvas id)" updates an
    existing one), a "Points Possible" row. Returns (the CSV, students Canvas cannot match)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *(titles[a] for a in grid.assignments)])
    writer.writerow(["Points Possible", "", "", "", "", *(_score(grid.max_scores[a]) for a in grid.assignments)])
    unmatched = []
    for row in grid.rows:
        info = students.get(row.student, Student(row.student))
        if not (info.lms_id or info.sis_id):
            unmatched.append(row.student)
        scores = [("0" if missing_as_zero else "") if c.status == "missing" else _score(c.score) for c in row.cells]
        writer.writerow([spreadsheet_safe(v) for v in (info.name or row.student, info.lms_id, info.sis_id, "",
                                                       info.section, *scores)])
    return out.getvalue(), unmatched
