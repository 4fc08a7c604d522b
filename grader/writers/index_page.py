"""index.html: the class at a glance — a student × assignment grid (totals, missing work, overrides,
sortable and filterable, usable at 500 students × 5 assignments), what the last regrade changed, and
each check's pass rate with its description and the students who failed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import assignments
from ..gradebook.views import Change, ClassGrid
from ..results import GradingRun
from . import plots
from .files import ReportNames, atomic_write

FAILED_LINKS_SHOWN = 60  # per check; the rest are one click away in the grid's filter


@dataclass
class CheckRate:
    name: str
    description: str
    visibility: str
    points: float
    passed: int = 0
    total: int = 0
    failed: list[tuple[str, str | None]] = field(default_factory=list)  # (student, their page or None)

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.total) if self.total else 0


def check_rates(grid: ClassGrid, page_of) -> dict[str, list[CheckRate]]:
    rates: dict[str, list[CheckRate]] = {}
    for assignment in grid.assignments:
        try:
            checks = assignments.load(assignment).rubric.checks
        except Exception:  # an assignment that cannot load is reported elsewhere
            continue
        rows = {c.name: CheckRate(c.name, c.description, c.visibility, c.points) for c in checks}
        for row in grid.rows:
            cell = next(c for c in row.cells if c.assignment == assignment)
            if cell.result is None or cell.result.status == "ungraded":
                continue
            for test in cell.result.tests:
                rate = rows.get(test.name)
                if rate is None:
                    continue
                rate.total += 1
                if test.status == "passed":
                    rate.passed += 1
                else:
                    rate.failed.append((row.student, page_of(row.student, assignment)))
        if any(r.total for r in rows.values()):
            rates[assignment] = list(rows.values())
    return rates


def write_index(run: GradingRun, out: Path, names: ReportNames, grid: ClassGrid, changes: list[Change],
                environment) -> Path:
    in_run = {(s.student, s.assignment) for s in run.submissions if s.counted}

    def page_of(student: str, assignment: str) -> str | None:
        return names.page(student, assignment) if (student, assignment) in in_run else None

    titles = {}
    for a in grid.assignments:
        try:
            titles[a] = assignments.load(a).rubric.title
        except Exception:
            titles[a] = a
    current = [c.result for row in grid.rows for c in row.cells if c.result is not None]
    others = [s for s in run.submissions if not s.counted or s.assignment not in grid.max_scores]
    path = out / "index.html"
    atomic_write(path, environment.get_template("index.html.j2").render(
        run=run, grid=grid, titles=titles, changes=changes, rates=check_rates(grid, page_of), page_of=page_of,
        others=others, page=lambda sub: names.page(sub.student, sub.assignment), shown=FAILED_LINKS_SHOWN,
        distribution=plots.score_distribution(current),
        missing=sum(row.missing for row in grid.rows),
        protections=sorted({(s.protections.get("method", "?"), tuple(s.protections.get("notes", [])))
                            for s in run.submissions if s.protections})))
    return path
