"""HTML reports (jinja2, autoescaped: a submission printing <script> shows the text, runs nothing)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..results import GradingRun, SubmissionResult
from . import plots

ENVIRONMENT = Environment(loader=PackageLoader("grader.writers", "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True))


def slug(name: str) -> str:
    """A safe file name; names that had to change get a short hash so that two never collide."""
    clean = re.sub(r"[^\w.-]", "_", name).strip("._") or "_"
    return clean if clean == name else f"{clean}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def submission_page(sub: SubmissionResult) -> str:
    return f"{slug(sub.student)}/{slug(sub.assignment)}.html"


def write(run: GradingRun, out: Path) -> list[Path]:
    written = []
    for sub in run.submissions:
        path = out / submission_page(sub)
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = f"<!-- nn-grader page {page_digest(run, sub)} -->\n"
        if _first_line(path) == stamp:
            continue  # an unchanged result: its plots need not be drawn again
        path.write_text(stamp + ENVIRONMENT.get_template("submission.html.j2").render(
            run=run, sub=sub, images=[plots.curve_image(c) for c in sub.curves]))
        written.append(path)
    index = out / "index.html"
    index.write_text(ENVIRONMENT.get_template("index.html.j2").render(
        run=run, page=submission_page, pass_rates=pass_rates(run), distribution=plots.score_distribution(run),
        protections=sorted({(s.protections.get("method", "?"), tuple(s.protections.get("notes", [])))
                            for s in run.submissions if s.protections})))
    return [index, *written]


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
