"""roster.csv: who is in the course (id, name, email, LMS id), read with the csv module.

Column names are matched loosely (``id``/``student``/``student_id``, ``lms_id``/``canvas_id``/``user_id``...),
since a roster usually comes out of an LMS or a spreadsheet, not from us. ``id`` is what the student's
submission folder is called.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..text import clean_text
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


# Canvas's own gradebook export (Student, ID, SIS User ID, SIS Login ID, Section, ...): its "ID" is the Canvas
# user id, and the login is what students' folders are usually named after
CANVAS_EXPORT = {"id": "sis_login_id", "name": "student", "lms_id": "id", "sis_id": "sis_user_id", "section": "section"}


def parse(text: str, source: str = "roster.csv") -> list[Student]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise RosterError(f"{source} is empty: expected a header row such as id,name,email,lms_id")
    by_key = {_key(h): h for h in reader.fieldnames if h}
    if {"student", "id", "sis_login_id"} <= set(by_key):
        chosen = {field: by_key.get(CANVAS_EXPORT.get(field, "")) for field in COLUMNS}
    else:
        chosen = {field: next((by_key[a] for a in aliases if a in by_key), None) for field, aliases in COLUMNS.items()}
    if chosen["id"] is None:
        raise RosterError(f"{source} has no id column (the name of each student's submission folder); "
                          f"its columns are: {', '.join(reader.fieldnames)}")
    students, seen = [], set()
    for line, row in enumerate(reader, start=2):
        values = {field: clean_text((row.get(column) or "").strip(), 200) if column else ""
                  for field, column in chosen.items()}
        if not values["id"] or values["name"] == "Points Possible":
            continue  # a blank line, a spreadsheet's trailing rows, Canvas's points row
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
