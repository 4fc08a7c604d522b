"""HTML reports (jinja2, autoescaped: a submission printing <script> shows the text, runs nothing)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..results import GradingRun, SubmissionResult
from . import plots
from .files import ReportNames, atomic_write

ENVIRONMENT = Environment(loader=PackageLoader("grader.writers", "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True))


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


def write_index(run: GradingRun, out: Path, names: ReportNames) -> Path:
    index = out / "index.html"
    atomic_write(index, ENVIRONMENT.get_template("index.html.j2").render(
        run=run, page=lambda sub: names.page(sub.student, sub.assignment),
        student_page=lambda sub: names.feedback(sub.student, sub.assignment), pass_rates=pass_rates(run),
        distribution=plots.score_distribution(run),
        protections=sorted({(s.protections.get("method", "?"), tuple(s.protections.get("notes", [])))
                            for s in run.submissions if s.protections})))
    return index


def write(run: GradingRun, out: Path) -> list[Path]:
    names = ReportNames(s.student for s in run.submissions)
    written, _ = write_pages(run, out, names)
    return [write_index(run, out, names), *written]


TEMPLATES = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((Path(__file__).parent / "templates").glob("*"))))


def page_digest(run: GradingRun, sub: SubmissionResult) -> str:
    """Everything a submission's page shows: the result, the run's versions, the templates."""
    header = [run.grader_version, run.tensorflow_version, run.keras_version, run.python_version, run.seed, run.mode]
    result = {k: v for k, v in sub.to_dict().items() if k != "cached"}
    shown = json.dumps([header, result], sort_keys=True, default=str).encode()
    return hashlib.sha256(TEMPLATES.digest() + shown).hexdigest()[:20]


def _first_line(path: Path) -> str:
    try:
        with open(path) as handle:
            return handle.readline()
    except OSError:
        return ""


def pass_rates(run: GradingRun) -> dict[str, list[dict]]:
    """Per assignment, per check: how many submissions passed it."""
    counts: dict[str, dict[str, list]] = defaultdict(dict)
    for sub in run.submissions:
        for test in sub.tests:
            row = counts[sub.assignment].setdefault(test.name, [0, 0, test.visibility, test.max_score])
            row[0] += test.status == "passed"
            row[1] += 1
    return {assignment: [{"name": name, "passed": p, "total": t, "visibility": v, "points": m,
                          "percent": round(100 * p / t) if t else 0}
                         for name, (p, t, v, m) in checks.items()]
            for assignment, checks in counts.items()}
