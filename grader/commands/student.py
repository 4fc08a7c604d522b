"""``grader check`` (a student's self-check), ``grader list`` and ``grader kit``."""

from __future__ import annotations

import sys

from .. import assignments, pipeline, student_kit
from ..errors import HarnessError
from ..gate import printable
from ..writers import terminal


def run_check(args) -> int:
    if not args.file.is_file():
        raise HarnessError(f"no such file {args.file}")
    run = pipeline.check(args.file, assignment=args.assignment, data_dir=args.data_dir)
    result = run.submissions[0]
    if result.identified:
        print(printable(result.identified))
    print(terminal.check_table(result))
    for error in run.harness_errors:
        print(f"grader: {printable(error)}", file=sys.stderr)
    if run.harness_errors:
        return 2
    return 0 if result.tests and all(t.status == "passed" for t in result.tests) else 1


def run_list(args) -> int:
    known = assignments.known_ids()
    print(f"course: {assignments.course_root()}")
    for assignment_id in known:
        rubric = assignments.load(assignment_id).rubric
        print(f"{assignment_id}: {rubric.title} ({rubric.lecture}), {rubric.max_score:g} points")
        for check in rubric.checks:
            print(f"  {check.points:>4g}  {check.visibility:<6}  {check.name}: {check.description}")
    return 0


def run_kit(args) -> int:
    pipeline.datasets.configure(args.data_dir)
    if args.out.resolve() == assignments.course_root():
        raise HarnessError("the kit must go to a folder of its own")
    for folder in student_kit.write(args.out, args.assignment):
        print(f"wrote {folder}")
    print(f"Students self-check with: grader check NOTEBOOK --course {args.out}")
    return 0
