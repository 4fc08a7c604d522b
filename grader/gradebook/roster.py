"""roster.csv: who is in the course (id, name, email, LMS id), read with the csv module.

Column names are matched loosely (``id``/``student``/``student_id``, ``lms_id``/``canvas_id``/``user_id``...),
since a roster usually comes out of an LMS or a spreadsheet, not from us. ``id`` is what the student's
submission folder is called.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..gate import clean_text
from .store import Student

COLUMNS = {
    "id": ("id", "student", "student_id", "login", "username", "folder"),
    "name": ("name", "student_name", "full_name", "display_name"),
    "email": ("email", "e-mail", "mail"),
    "lms_id": ("lms_id", "canvas_id", "canvas_user_id", "user_id", "lms"),
    "sis_id": ("sis_id", "sis_user_id"),
    "section": ("section",),
}


class RosterError(ValueError):
    pass


def _key(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


def parse(text: str, source: str = "roster.csv") -> list[Student]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise RosterError(f"{source} is empty: expected a header row such as id,name,email,lms_id")
    by_key = {_key(h): h for h in reader.fieldnames if h}
    chosen = {field: next((by_key[a] for a in aliases if a in by_key), None) for field, aliases in COLUMNS.items()}
    if chosen["id"] is None:
        raise RosterError(f"{source} has no id column (the name of each student's submission folder); "
                          f"its columns are: {', '.join(reader.fieldnames)}")
    students, seen = [], set()
    for line, row in enumerate(reader, start=2):
        values = {field: clean_text((row.get(column) or "").strip(), 200) if column else ""
                  for field, column in chosen.items()}
        if not values["id"]:
            continue  # a blank line or a spreadsheet's trailing rows
        if values["id"] in seen:
            raise RosterError(f"{source} line {line}: student id {values['id']!r} appears twice")
        seen.add(values["id"])
        students.append(Student(**values, on_roster=True))
    return students


def load(path: Path) -> list[Student]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets write a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the roster {path}: {exc}") from exc
    return parse(text, str(path))
