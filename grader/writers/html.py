"""HTML reports (jinja2, autoescaped: a submission printing <script> shows the text, runs nothing)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..results import GradingRun, seed_id
from . import index_page, plots
from .files import ReportNames, atomic_write
from .stamp import first_line as _first_line, page_digest

ENVIRONMENT = Environment(loader=PackageLoader("grader.writers", "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True))
# the course seed lasts a term and lives in the gradebook: pages and CI artefacts show only an id of it
ENVIRONMENT.globals["seed_id"] = seed_id


def write_pages(run: GradingRun, out: Path, names: ReportNames) -> tuple[list[Path], dict[int, str]]:
    """One page per submission, each on its own: (pages written, {submission position: why its page failed})."""
    written, failures = [], {}
    for position, sub in enumerate(run.submissions):
        path = out / names.page(sub.student, sub.assignment)
        try:
            stamp = f"<!-- nn-grader page {page_digest(run, sub)} -->\n"
            if _first_line(path) == stamp:
                continue  # an unchanged result: its plots need not be drawn again
            images = [plots.curve_image(c) for c in sub.curves]
            atomic_write(path, stamp + ENVIRONMENT.get_template("submission.html.j2").render(
                run=run, sub=sub, images=images, index="../../index.html",
                student_page="../../" + names.feedback(sub.student, sub.assignment)))
            written.append(path)
        except Exception as exc:  # this page only: every other file is still written
            failures[position] = f"its report page could not be written: {type(exc).__name__}: {str(exc)[:200]}"
    return written, failures


def write_index(run: GradingRun, out: Path, names: ReportNames, grid=None, changes=None) -> Path:
    """The class summary (see index_page): the run's own grid unless the gradebook's is given."""
    if grid is None:
        from ..gradebook.views import grid_of_run

        known = sorted({s.assignment for s in run.submissions if s.counted and s.max_score})
        grid = grid_of_run(run, known, {s.assignment: s.max_score for s in run.submissions if s.assignment in known})
    return index_page.write_index(run, out, names, grid, changes or [], ENVIRONMENT)


def write(run: GradingRun, out: Path) -> list[Path]:
    names = ReportNames(s.student for s in run.submissions)
    written, _ = write_pages(run, out, names)
    return [write_index(run, out, names), *written]
