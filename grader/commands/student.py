"""``grader check`` (a student's self-check), ``grader list`` and ``grader kit``."""

from __future__ import annotations

import os

from .. import assignments
from ..errors import HarnessError


def run_check(args) -> int:
    """Through the per-user warm checker (TensorFlow stays imported between checks; the same sandbox and
    pipeline.check as below), falling back to this process when it cannot start."""
    if not args.file.is_file():
        raise HarnessError(f"no such file {args.file}")
    if args.no_daemon:
        os.environ["GRADER_NO_DAEMON"] = "1"
    from ..selfcheck import daemon

    if args.watch:
        return daemon.watch(args.file, args.assignment, data_dir=args.data_dir)
    return daemon.check_command(args.file, args.assignment, data_dir=args.data_dir)


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
    from .. import datasets, student_kit  # here: `grader check` (above) needs neither, nor what they import

    datasets.configure(args.data_dir)
    if args.out.resolve() == assignments.course_root():
        raise HarnessError("the kit must go to a folder of its own")
    for folder in student_kit.write(args.out, args.assignment):
        print(f"wrote {folder}")
    print(f"Students self-check with: grader check NOTEBOOK --course {args.out}")
    return 0
