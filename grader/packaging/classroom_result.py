"""A self-check as GitHub Classroom's autograding reporter reads it.

``python -m grader.packaging.classroom_result NOTEBOOK --course KIT [--assignment ID]`` runs the public checks
(``pipeline.check``, as ``grader check``), prints the check table for the job's log and writes
``result=<base64 JSON>`` to ``$GITHUB_OUTPUT``. The reporter
(classroom-resources/autograding-grading-reporter) decodes each runner's ``result`` from ``<ID>_RESULTS``; it
sends Classroom the sum of the tests' ``score`` over the sum of the runners' ``max_score`` and fails the job
when a runner's ``status`` is ``fail`` or ``error``. Its log counts passed tests only, so a check with
partial credit shows there as failed while its points still count.

Only what ``grader check`` shows a student goes in: public checks, their points and messages (through the
visibility policy of the student page). A grader failure is ``status: error`` with ``max_score`` 0, so
Classroom records no points for it rather than a zero.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path

from ..gate import clean_text, printable
from ..results import GradingRun, SubmissionResult
from ..writers import terminal
from ..writers.visibility import STUDENT_UNGRADED, public_view

VERSION = 1
MESSAGE_CHARS = 1000  # each message; a step's outputs must stay small


def _test(name: str, status: str, score: float, max_score: float, message: str, filename: str) -> dict:
    return {"name": name, "status": status, "score": score, "max_score": max_score,
            "message": clean_text(message, MESSAGE_CHARS), "test_code": "", "filename": filename, "line_no": 0}


def not_graded(assignment: str, filename: str, why: str = "") -> dict:
    """The grader could not do its job: an error, worth no points either way."""
    message = STUDENT_UNGRADED[0].upper() + STUDENT_UNGRADED[1:] + (f" ({why})" if why else "")
    return {"version": VERSION, "status": "error", "max_score": 0,
            "tests": [_test(f"{assignment}: not graded", "error", 0, 0, message, filename)]}


def missing(assignment: str, filename: str, max_score: float) -> dict:
    return {"version": VERSION, "status": "fail", "max_score": max_score,
            "tests": [_test(f"{assignment}: submission", "fail", 0, max_score,
                            f"{filename} was not found in the repository: commit and push it", filename)]}


def result_of(sub: SubmissionResult, filename: str) -> dict:
    if sub.status == "ungraded":
        return not_graded(sub.assignment, filename)
    public = [t for t in sub.tests if t.visibility == "public"]  # a self-check has no others; never show them
    if not public:  # unreadable notebook, unknown assignment: one failing line that says why
        return {"version": VERSION, "status": "fail", "max_score": sub.max_score,
                "tests": [_test(f"{sub.assignment}: submission", "fail", 0, sub.max_score, sub.message, filename)]}
    tests = []
    for test in public:
        view = public_view(test)
        hint = view["hint"] if test.status != "passed" else ""
        message = "\n".join(part for part in (view["message"], f"hint: {hint}" if hint else "") if part)
        tests.append(_test(test.name, "pass" if test.status == "passed" else "fail", test.score, test.max_score,
                           message, filename))
    return {"version": VERSION, "status": "pass" if all(t["status"] == "pass" for t in tests) else "fail",
            "max_score": sum(t.max_score for t in public), "tests": tests}


def result_of_run(run: GradingRun, filename: str, assignment: str) -> dict:
    if run.harness_errors or not run.submissions:
        why = run.harness_errors[0].splitlines()[0] if run.harness_errors else ""
        return not_graded(assignment, filename, clean_text(why, 300))
    return result_of(run.submissions[0], filename)


def encode(result: dict) -> str:
    return base64.b64encode(json.dumps(result, ensure_ascii=True).encode()).decode("ascii")


def summary_markdown(result: dict, title: str) -> str:
    """The job summary: each check, its points and its message."""
    def cell(text: str) -> str:
        return printable(text).replace("|", "\\|").replace("\n", "<br>")

    points = sum(t["score"] for t in result["tests"])
    lines = [f"### {cell(title)}: {points:g}/{result['max_score']:g} points", "",
             "| | check | points | message |", "|---|---|---|---|"]
    marks = {"pass": "✅", "fail": "❌", "error": "⚠️"}
    lines += [f"| {marks[t['status']]} | {cell(t['name'])} | {t['score']:g}/{t['max_score']:g} | {cell(t['message'])} |"
              for t in result["tests"]]
    return "\n".join(lines) + "\n\n"


def check(notebook: Path, assignment: str | None) -> tuple[dict, SubmissionResult | None]:
    from .. import pipeline
    from ..errors import HarnessError

    label = str(notebook)
    if not notebook.is_file():
        from .. import assignments

        known = assignment or notebook.stem
        try:
            max_score = sum(c.points for c in assignments.load(known).rubric.checks_for(public_only=True))
        except Exception:  # unknown assignment: no points to fail
            max_score = 0
        return missing(known, label, max_score), None
    try:
        run = pipeline.check(notebook, assignment=assignment)
    except HarnessError as exc:  # e.g. a kit for another grader version: the student cannot fix that
        return not_graded(assignment or notebook.stem, label, clean_text(str(exc).splitlines()[0], 300)), None
    return result_of_run(run, label, assignment or notebook.stem), run.submissions[0] if run.submissions else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.packaging.classroom_result",
                                     description="Run the public checks on a notebook and write the result for "
                                                 "GitHub Classroom's autograding reporter.")
    parser.add_argument("notebook", type=Path, help="the student's notebook (.ipynb) or script (.py)")
    parser.add_argument("--course", type=Path, metavar="DIR", help="the student kit (or course) to check against")
    parser.add_argument("--assignment", metavar="ID", help="which assignment the file is (default: from the "
                                                          "notebook's metadata, else its file name)")
    parser.add_argument("--output", type=Path, metavar="FILE", help="append result=<base64> here (default: "
                                                                    "$GITHUB_OUTPUT; printed when neither is set)")
    args = parser.parse_args(argv)
    if args.course is not None:
        os.environ["GRADER_COURSE_DIR"] = str(args.course)
    try:
        result, sub = check(args.notebook, args.assignment)
    except Exception as exc:  # a bug of ours: still a result, never the student's zero
        result, sub = not_graded(args.assignment or args.notebook.stem, str(args.notebook),
                                 f"internal grader error: {type(exc).__name__}"), None
        print(f"grader: {printable(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
    if sub is not None:
        print(terminal.check_table(sub))
    else:
        print(printable("\n".join(f"{t['name']}: {t['message']}" for t in result["tests"])))
    line = f"result={encode(result)}\n"
    target = args.output or (Path(os.environ["GITHUB_OUTPUT"]) if os.environ.get("GITHUB_OUTPUT") else None)
    if target is None:
        print(line, end="")
    else:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(result, args.assignment or args.notebook.stem))
    return 0  # the reporter decides pass or fail from the result; a failing step would skip it


if __name__ == "__main__":
    sys.exit(main())
