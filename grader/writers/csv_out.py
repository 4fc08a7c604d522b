"""grades.csv: one row per submission, for a gradebook or a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

from ..results import GradingRun

COLUMNS = ("student", "assignment", "status", "score", "max_score", "duration_s", "message")


def write(run: GradingRun, out: Path) -> Path:
    path = out / "grades.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for sub in run.submissions:
            writer.writerow([getattr(sub, column) for column in COLUMNS])
    return path
