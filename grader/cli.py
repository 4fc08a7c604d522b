"""Command line: ``grader grade``, ``grader check``, ``grader list``, ``grader kit``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import __version__, assignments, pipeline, student_kit
from .gate import printable
from .sandbox import launchers
from .writers import csv_out, feedback, gradescope, html, json_out, junit, terminal
from .writers.files import ReportNames


class Stopped(KeyboardInterrupt):
    """SIGTERM (a CI runner or a Dask nanny stopping us): unwinds like Ctrl-C, every sandbox stopped."""

SHORT_SEED_BITS = 64  # a --seed below 2**64 could be searched for from the inputs students see


def _terminate(signum, frame):
    raise Stopped(signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grader", description="Grade neural-network exercises.")
    parser.add_argument("--version", action="version", version=f"nn-grader {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade a folder of <student>/<assignment>.ipynb submissions")
    grade.add_argument("submissions", type=Path)
    grade.add_argument("--assignment", help="grade only this assignment")
    grade.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default: reports/)")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel (default: 1)")
    grade.add_argument("--seed", type=int, help="seed for hidden inputs and training (default: a fresh 128-bit one, "
                                                "recorded in results.json; pass it again to reproduce a run; a "
                                                f"seed below 2**{SHORT_SEED_BITS} can be searched for)")
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
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (called as a library): leave signals alone
        previous = None
    try:
        return {"grade": run_grade, "check": run_check, "list": run_list, "kit": run_kit}[args.command](args)
    except KeyboardInterrupt as exc:
        launchers.close_all()
        print("\ngrader: interrupted; every sandbox was stopped and nothing was left behind", file=sys.stderr)
        return 128 + exc.args[0] if isinstance(exc, Stopped) else 130
    except (pipeline.HarnessError, NotADirectoryError, FileNotFoundError) as exc:
        print(f"grader: {printable(exc)}", file=sys.stderr)
        return 2
    except assignments.UnknownAssignment as exc:
        print(f"grader: unknown assignment {printable(exc)}; known: {', '.join(assignments.known_ids())}",
              file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run_grade(args) -> int:
    if args.seed is not None and abs(args.seed) < 2**SHORT_SEED_BITS:
        print(f"grader: note: --seed {args.seed} is short; students who see some drawn inputs could search for it "
              "and redraw the hidden ones. For grades that count use a long secret seed, e.g. "
              "python -c 'import secrets; print(secrets.randbits(128))'", file=sys.stderr)
    progress = terminal.Progress(len(pipeline.discover(args.submissions, assignments.known_ids(), args.assignment)))
    run = pipeline.grade(args.submissions, assignment=args.assignment, seed=args.seed, jobs=args.jobs,
                         data_dir=args.data_dir, progress=progress, force=args.force,
                         scheduler=args.scheduler)
    problems = write_reports(run, args.out)
    print(printable(terminal.summary(run, str(args.out))))
    for error in run.harness_errors + problems:
        print(f"grader: {printable(error)}", file=sys.stderr)
    return 2 if run.harness_errors or problems else 0


def write_reports(run, out: Path) -> list[str]:
    """Every report, each on its own: one that fails is named (and its submission's result says so),
    every other file is still written. Returns what could not be written."""
    out.mkdir(parents=True, exist_ok=True)
    names = ReportNames(s.student for s in run.submissions)
    problems = []
    _, failures = html.write_pages(run, out, names)
    for position, why in feedback.write(run, out, names, html.ENVIRONMENT).items():
        failures[position] = f"{failures[position]}; {why}" if position in failures else why
    for position, why in failures.items():
        sub = run.submissions[position]
        sub.message = f"{sub.message}; {why}" if sub.message else why
    for label, write in (("results.json", lambda: json_out.write(run, out)),
                         ("grades.csv", lambda: csv_out.write(run, out)),
                         ("junit.xml", lambda: junit.write(run, out)),
                         ("gradescope/", lambda: gradescope.write(run, out, names)),
                         ("index.html", lambda: html.write_index(run, out, names))):
        try:
            write()
        except Exception as exc:  # a bug of ours; never a reason to lose the other reports
            problems.append(f"{label} could not be written: {type(exc).__name__}: {exc}")
    return problems


def run_check(args) -> int:
    if not args.file.is_file():
        print(f"grader: no such file {printable(args.file)}", file=sys.stderr)
        return 2
    if args.course:
        os.environ["GRADER_COURSE_DIR"] = str(args.course)
        assignments.load.cache_clear()
    run = pipeline.check(args.file, assignment=args.assignment, data_dir=args.data_dir)
    result = run.submissions[0]
    print(terminal.check_table(result))
    for error in run.harness_errors:
        print(f"grader: {printable(error)}", file=sys.stderr)
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
