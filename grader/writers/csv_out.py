"""grades.csv: one row per submission, for a gradebook or a spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..results import GradingRun
from .files import atomic_write

COLUMNS = ("student", "assignment", "status", "score", "max_score", "duration_s", "message")


def write(run: GradingRun, out: Path) -> Path:
    path = out / "grades.csv"
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow((*COLUMNS, "overrides"))
    for sub in run.submissions:
        overrides = "; ".join(f"{o['check'] or 'total'} = {o['points']:g} ({o['reason']}; {o['made_by']})"
                              for o in sub.overrides)
        writer.writerow([spreadsheet_safe("" if getattr(sub, column) is None else getattr(sub, column))
                         for column in COLUMNS] + [spreadsheet_safe(overrides)])
    atomic_write(path, handle.getvalue())
    return path


def spreadsheet_safe(value):
    """A spreadsheet runs a cell that starts with = + - @ as a formula: a name or message must not."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
