"""Command line: ``grader grade``, ``grader check``, ``grader list``, ``grader kit``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__, assignments, pipeline, student_kit
from .writers import csv_out, gradescope, html, json_out, junit, terminal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grader", description="Grade neural-network exercises.")
    parser.add_argument("--version", action="version", version=f"nn-grader {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade a folder of <student>/<assignment>.ipynb submissions")
    grade.add_argument("submissions", type=Path)
    grade.add_argument("--assignment", help="grade only this assignment")
    grade.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default: reports/)")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel (default: 1)")
    grade.add_argument("--seed", type=int, help="seed for hidden inputs and training (default: a fresh one, "
                                                "recorded in results.json; pass it again to reproduce a run)")
    grade.add_argument("--data-dir", type=Path, help="folder holding data sets such as mnist.npz")
    grade.add_argument("--force", action="store_true",
                       help="run every submission again even if nothing that decides its grade changed")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="send the work to an existing Dask distributed cluster")

    check = commands.add_parser("check", help="self-check one file against the public checks")
    check.add_argument("file", type=Path)
    check.add_argument("--assignment", help="which assignment the file is (default: from its name)")
    check.add_argument("--data-dir", type=Path)
    check.add_argument("--course", type=Path, help="the course folder or student kit to check against "
                                                     "(default: GRADER_COURSE_DIR, else this installation's)")

    commands.add_parser("list", help="list the assignments, their checks and points")

    kit = commands.add_parser("kit", help="write a student kit: the course without reference solutions, "
                                          "with the reference's observations on the public checks")
    kit.add_argument("out", type=Path)
    kit.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    kit.add_argument("--data-dir", type=Path)
    args = parser.parse_args(argv)
    try:
        return {"grade": run_grade, "check": run_check, "list": run_list, "kit": run_kit}[args.command](args)
    except (pipeline.HarnessError, NotADirectoryError, FileNotFoundError) as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    except assignments.UnknownAssignment as exc:
        print(f"grader: unknown assignment {exc}; known: {', '.join(assignments.known_ids())}", file=sys.stderr)
        return 2


def run_grade(args) -> int:
    progress = terminal.Progress(len(pipeline.discover(args.submissions, assignments.known_ids(), args.assignment)))
    run = pipeline.grade(args.submissions, assignment=args.assignment, seed=args.seed, jobs=args.jobs,
                         data_dir=args.data_dir, progress=progress, force=args.force,
                         scheduler=args.scheduler)
    write_reports(run, args.out)
    print(terminal.summary(run, str(args.out)))
    for error in run.harness_errors:
        print(f"grader: {error}", file=sys.stderr)
    return 2 if run.harness_errors else 0


def write_reports(run, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    json_out.write(run, out)
    csv_out.write(run, out)
    junit.write(run, out)
    gradescope.write(run, out)
    html.write(run, out)


def run_check(args) -> int:
    if not args.file.is_file():
        print(f"grader: no such file {args.file}", file=sys.stderr)
        return 2
    if args.course:
        os.environ["GRADER_COURSE_DIR"] = str(args.course)
        assignments.load.cache_clear()
    run = pipeline.check(args.file, assignment=args.assignment, data_dir=args.data_dir)
    result = run.submissions[0]
    print(terminal.check_table(result))
    for error in run.harness_errors:
        print(f"grader: {error}", file=sys.stderr)
    if run.harness_errors:
        return 2
    return 0 if result.tests and all(t.status == "passed" for t in result.tests) else 1


def run_list(args) -> int:
    for assignment_id in assignments.known_ids():
        rubric = assignments.load(assignment_id).rubric
        print(f"{assignment_id}: {rubric.title} ({rubric.lecture}), {rubric.max_score:g} points")
        for check in rubric.checks:
            print(f"  {check.points:>4g}  {check.visibility:<6}  {check.name}: {check.description}")
    return 0


def run_kit(args) -> int:
    pipeline.datasets.configure(args.data_dir)
    if args.out.resolve() == assignments.course_root():
        print("grader: the kit must go to a folder of its own", file=sys.stderr)
        return 2
    for folder in student_kit.write(args.out, args.assignment):
        print(f"wrote {folder}")
    print(f"Students self-check with: grader check NOTEBOOK --course {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
