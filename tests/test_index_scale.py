"""The class summary at 500 students × 5 assignments: small, renders in a browser, sorts and filters."""

from __future__ import annotations

import random
import re
import subprocess

from grader import assignments
from grader.gradebook.store import Gradebook
from grader.gradebook.views import grid_of_gradebook
from grader.pipeline import new_run
from grader.results import SubmissionResult
from grader.results import TestResult as CheckResult
from grader.writers import html
from grader.writers.files import ReportNames
from test_cli_and_reports import CHROMIUM, browse, chromium_only

STUDENTS = 500


def synthetic_gradebook(path) -> Gradebook:
    book = Gradebook(path)
    rng = random.Random(3)
    known = assignments.known_ids()
    rubrics = {a: assignments.load(a).rubric for a in known}
    for n in range(STUDENTS):
        student = f"student{n:03d}"
        for a in known:
            if rng.random() < 0.06:
                continue  # missing work
            tests = [CheckResult(c.name, c.points if ok else 0.0, c.points, "passed" if ok else "failed", c.visibility,
                                "" if ok else "your output differs from the expected one", c.description)
                     for c in rubrics[a].checks for ok in [rng.random() < 0.8]]
            result = SubmissionResult(student, a, f"class/{student}/{a}.ipynb", "graded",
                                      sum(t.score for t in tests), rubrics[a].max_score, 1.0, "", tests)
            book.record(result, run_id=None, content_hash=f"{n}{a}", fingerprint="f", seed=1, versions={})
    book.add_override("student007", "xor", None, 20.0, "oral exam")
    return book


@chromium_only
def test_the_index_of_500_students_stays_small_and_works_in_a_browser(tmp_path):
    book = synthetic_gradebook(tmp_path / "gb.sqlite")
    known = assignments.known_ids()
    grid = grid_of_gradebook(book, known, {a: assignments.load(a).rubric.max_score for a in known})
    assert len(grid.rows) == STUDENTS and sum(r.missing for r in grid.rows) > 100
    run = new_run(1, "grade")
    run.submissions = [c.result for r in grid.rows for c in r.cells if c.result is not None]
    out = tmp_path / "out"
    out.mkdir()
    path = html.write_index(run, out, ReportNames(r.student for r in grid.rows), grid, [])
    size = path.stat().st_size
    assert size < 2_500_000, size  # ~2,400 cells, their links and each check's failures
    dom = browse(path, tmp_path, "--dump-dom")
    assert f"{STUDENTS} of {STUDENTS} shown" in dom  # the page's script ran to the end
    shot = tmp_path / "index-500.png"
    browse(path, tmp_path, f"--screenshot={shot}", "--window-size=1300,1500")
    assert shot.stat().st_size > 30_000


@chromium_only
def test_the_grid_sorts_by_total(tmp_path):
    book = synthetic_gradebook(tmp_path / "gb.sqlite")
    known = assignments.known_ids()
    grid = grid_of_gradebook(book, known, {a: assignments.load(a).rubric.max_score for a in known})
    out = tmp_path / "out"
    out.mkdir()
    path = html.write_index(new_run(1, "grade"), out, ReportNames([]), grid, [])
    total_column = len(known) + 1
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom",
                           f"{path.as_uri()}#sort={total_column}"], capture_output=True, text=True, timeout=120)
    dom = done.stdout
    rows = dom.split('id="class-grid"', 1)[1].split("</tbody>", 1)[0].split("<tr")[2:]
    totals = [float(re.search(r'data-v="([-\d.e]+)"><strong>', row).group(1)) for row in rows]
    assert len(totals) == STUDENTS and totals == sorted(totals, reverse=True)
