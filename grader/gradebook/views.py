"""What the gradebook says, in the shapes reports and exports need: a result with the instructor's
overrides applied, the student × assignment grid with totals and missing work, and what a regrade changed."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..results import GradingRun, SubmissionResult
from .store import Gradebook, Override, Student


def apply_overrides(result: SubmissionResult, overrides: list[Override]) -> SubmissionResult:
    """A copy of ``result`` as the instructor decided: a check override sets that check's points, a total
    override sets the assignment's score; each is listed in ``result.overrides`` with what it replaced."""
    if not overrides:
        return result
    result = copy.deepcopy(result)
    for o in sorted(overrides, key=lambda o: o.check is None):  # checks first, then a total on top
        note = {"check": o.check, "points": o.points, "reason": o.reason, "made_by": o.made_by, "made_at": o.made_at}
        if o.check is None:
            note["was"] = result.score
            result.score = o.points
        else:
            test = next((t for t in result.tests if t.name == o.check), None)
            note["was"] = None if test is None else test.score
            if test is not None:
                if result.score is not None:
                    result.score += o.points - test.score
                test.score = o.points
                test.message = f"[score set to {o.points:g} by the instructor: {o.reason}] {test.message}".strip()
            elif result.status != "graded" and result.score is not None:  # it never ran (an error before it)
                result.score += o.points
            else:  # a check the rubric no longer has: shown, not counted
                note["orphaned"] = True
        result.overrides.append(note)
    if result.score is not None:
        result.score = round(min(max(result.score, 0.0), result.max_score), 6)
    return result


@dataclass
class GridCell:
    assignment: str
    status: str  # a submission status, or "missing"
    score: float | None
    max_score: float
    overridden: bool = False
    result: SubmissionResult | None = None  # None when missing (or not loaded)


@dataclass
class GridRow:
    student: str
    name: str
    on_roster: bool
    cells: list[GridCell]
    total: float = 0.0
    max_total: float = 0.0
    missing: int = 0


@dataclass
class ClassGrid:
    """Students (roster ∪ everyone graded) × assignments, with totals; missing work is a cell of its own."""

    assignments: list[str]
    max_scores: dict[str, float]
    rows: list[GridRow] = field(default_factory=list)

    def cell(self, student: str, assignment: str) -> GridCell | None:
        for row in self.rows:
            if row.student == student:
                return next((c for c in row.cells if c.assignment == assignment), None)
        return None


def build_grid(results: dict[tuple[str, str], SubmissionResult], assignments: list[str],
               max_scores: dict[str, float], roster: list[Student] | None = None) -> ClassGrid:
    grid = ClassGrid(assignments, max_scores)
    people = {s.id: s for s in roster or []}
    for student in sorted({s for s, _ in results} | {s.id for s in roster or [] if s.on_roster}):
        info = people.get(student)
        row = GridRow(student, info.name if info else "", bool(info and info.on_roster), [])
        for assignment in assignments:
            result = results.get((student, assignment))
            if result is None:
                cell = GridCell(assignment, "missing", None, max_scores.get(assignment, 0.0))
                row.missing += 1
            else:
                cell = GridCell(assignment, result.status, result.score, max_scores.get(assignment, result.max_score),
                                bool(result.overrides), result)
            row.cells.append(cell)
            row.total += cell.score or 0.0
            row.max_total += cell.max_score
        row.total = round(row.total, 6)
        grid.rows.append(row)
    return grid


def grid_of_run(run: GradingRun, assignments: list[str], max_scores: dict[str, float],
                roster: list[Student] | None = None) -> ClassGrid:
    """The grid from one run alone (no gradebook): the submissions the run graded under their assignment."""
    results = {(s.student, s.assignment): s for s in run.submissions if s.counted and s.assignment in max_scores}
    return build_grid(results, assignments, max_scores, roster)


def grid_of_gradebook(book: Gradebook, assignments: list[str], max_scores: dict[str, float]) -> ClassGrid:
    results = {}
    for attempt in book.current_all():
        if attempt.assignment in max_scores:
            results[(attempt.student, attempt.assignment)] = apply_overrides(
                book.attempt_result(attempt.id), book.overrides(attempt.student, attempt.assignment))
    for o in book.overrides():  # work marked by hand with nothing submitted (on paper, by e-mail)
        if o.check is None and o.assignment in max_scores and (o.student, o.assignment) not in results:
            unsubmitted = SubmissionResult(o.student, o.assignment, "", "graded", 0.0, max_scores[o.assignment], 0.0,
                                           "no submission: the score was set by the instructor")
            results[(o.student, o.assignment)] = apply_overrides(unsubmitted, [o])
    return build_grid(results, assignments, max_scores, book.students())


@dataclass(frozen=True)
class Change:
    """One student's score on one assignment moved: the total, or one check (``check`` set)."""

    student: str
    assignment: str
    check: str | None
    before: float | None
    after: float | None
    why: str  # "submission changed", "rubric or grader changed", "new seed", ...

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 6)


def changes_between(before: SubmissionResult, after: SubmissionResult, why: str) -> list[Change]:
    """The total first, then each check whose points moved (a check that appeared or went away too)."""
    if before.score == after.score and [(t.name, t.score) for t in before.tests] == \
            [(t.name, t.score) for t in after.tests]:
        return []
    found = [Change(after.student, after.assignment, None, before.score, after.score, why)]
    old = {t.name: t.score for t in before.tests}
    new = {t.name: t.score for t in after.tests}
    for name in [*new, *(n for n in old if n not in new)]:
        if old.get(name) != new.get(name):
            found.append(Change(after.student, after.assignment, name, old.get(name), new.get(name), why))
    return found
