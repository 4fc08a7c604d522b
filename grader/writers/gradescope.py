"""gradescope/<student>.json: Gradescope's autograder results format, one file per student.

Gradescope runs an autograder once per submission and reads /autograder/results/results.json; the
README's run_autograder script grades the student's files and copies their file there. Public checks
are visible at once; hidden ones after the instructor publishes grades (their messages never show an
expected value, so they are safe to show then).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..results import GradingRun, SubmissionResult
from .files import ReportNames, atomic_write
from .visibility import STUDENT_UNGRADED, public_view

VISIBILITY = {"public": "visible", "hidden": "after_published"}


def tests_of(sub: SubmissionResult, number: int) -> list[dict]:
    if sub.status == "ungraded":  # no score: not a zero, a note that grading failed
        return [{"name": f"{sub.assignment}: not graded", "number": str(number), "score": 0.0, "max_score": 0.0,
                 "status": "failed", "visibility": "visible",
                 "output": STUDENT_UNGRADED[0].upper() + STUDENT_UNGRADED[1:] + "."}]
    if not sub.tests:  # unreadable, unknown assignment, harness error: one line saying so
        return [{"name": f"{sub.assignment}: submission", "number": str(number), "score": 0.0,
                 "max_score": sub.max_score, "status": "failed", "output": sub.message, "visibility": "visible"}]
    shown = [public_view(test) for test in sub.tests]  # what a student may see: as on the student page
    return [{"name": f"{sub.assignment}: {test.name}", "number": f"{number}.{i}", "score": test.score,
             "max_score": test.max_score, "status": "passed" if test.status == "passed" else "failed",
             "output": "\n\n".join(part for part in (view["message"], view["hint"] if test.status != "passed" else "")
                                    if part),
             "visibility": VISIBILITY.get(test.visibility, "after_published"),
             "tags": [sub.assignment, test.visibility]}
            for i, (test, view) in enumerate(zip(sub.tests, shown), start=1)]


def results_for(run: GradingRun, student: str) -> dict:
    subs = [s for s in run.submissions if s.student == student]
    tests = [t for number, sub in enumerate(subs, start=1) for t in tests_of(sub, number)]
    summary = "\n".join(f"{s.assignment}: " + ("not graded" if s.score is None else f"{s.score:g}/{s.max_score:g}")
                        + f" ({s.status}; {s.message})" for s in subs)
    return {
        "score": round(sum(s.score for s in subs if s.score is not None), 4),
        "execution_time": round(sum(s.duration_s for s in subs), 3),
        "output": f"{summary}\n\nGraded by nn-grader {run.grader_version}, TensorFlow {run.tensorflow_version}, "
                  f"Keras {run.keras_version}.",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"grader_version": run.grader_version,  # no seed: hidden inputs are drawn from it
                       "tensorflow_version": run.tensorflow_version},
    }


def write(run: GradingRun, out: Path, names: ReportNames | None = None) -> list[Path]:
    names = names or ReportNames(s.student for s in run.submissions)
    written = []
    for student in sorted({s.student for s in run.submissions}):
        path = out / names.gradescope(student)
        atomic_write(path, json.dumps(results_for(run, student), indent=1) + "\n")
        written.append(path)
    return written
