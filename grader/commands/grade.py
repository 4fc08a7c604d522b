"""``grader grade``: discover → (gradebook: what needs grading) → pipeline → gradebook → reports."""

from __future__ import annotations

import dataclasses
import os
import shlex
import threading
import sys
from pathlib import Path

from .. import assignments, pipeline
from ..cli import SHORT_SEED_BITS
from ..errors import HarnessError
from ..gate import printable
from ..gradebook import grading
from ..gradebook.store import Gradebook
from ..gradebook.views import ClassGrid, Change, grid_of_run
from ..submissions import discover, layout_problem
from ..writers import csv_out, feedback, gradescope, html, json_out, junit, terminal
from ..writers.files import ReportNames

GRADEBOOK_FILE = "gradebook.sqlite"


def gradebook_path(option: Path | None) -> Path:
    if option is not None:
        return option
    configured = os.environ.get("GRADER_GRADEBOOK")
    return Path(configured) if configured else assignments.course_root() / GRADEBOOK_FILE


def open_gradebook(args) -> Gradebook:
    from ..gradebook import roster

    book = Gradebook(gradebook_path(getattr(args, "gradebook", None)))
    roster_file = getattr(args, "roster", None)
    if roster_file is None and (assignments.course_root() / "roster.csv").is_file():
        roster_file = assignments.course_root() / "roster.csv"
    if roster_file is not None:
        book.set_roster(roster.load(roster_file))
    return book


def run_grade(args) -> int:
    if args.seed is not None and abs(args.seed) < 2**SHORT_SEED_BITS:
        print(f"grader: note: --seed {args.seed} is short; students who see some drawn inputs could search for it "
              "and redraw the hidden ones. For grades that count use a long secret seed, e.g. "
              "python -c 'import secrets; print(secrets.randbits(128))'", file=sys.stderr)
    known = assignments.known_ids()
    if args.assignment and args.assignment not in known:
        raise HarnessError(f"unknown assignment {args.assignment!r}; known: {', '.join(known)}")
    found = discover(args.submissions, known, args.assignment)
    problem = layout_problem(args.submissions, found, args.assignment)
    if problem:
        raise HarnessError(problem)
    if args.no_gradebook:
        book, seed, note = None, pipeline.new_seed() if args.seed is None else args.seed, "seed drawn for this run"
    else:
        book = open_gradebook(args)
        seed, note = grading.choose_seed(book, args.seed, args.new_seed)
    progress = PagesAsTheyCome(terminal.Progress(len(found)), args.out, seed, found)
    if book is None:
        try:
            run = pipeline.grade_found(found, seed, args.jobs, data_dir=args.data_dir, progress=progress,
                                       force=args.force, scheduler=args.scheduler)
            interrupted = None
        except pipeline.Interrupted as exc:
            run, interrupted = exc.run, exc.cause
        changes, grid, note = [], None, f"seed: {note} (--no-gradebook)"
    else:
        done = grading.grade_class(args.submissions, found, book, seed=seed, seed_note=note, jobs=args.jobs,
                                   data_dir=args.data_dir, force=args.force, scheduler=args.scheduler,
                                   command=shlex.join(sys.argv), progress=progress)
        run, interrupted, changes, grid = done.run, done.interrupted, done.changes, done.grid
        note = f"{done.graded_now} graded now, {done.kept} unchanged since the gradebook's last grade; " \
               f"seed: {done.seed_note}"
    problems = write_reports(run, args.out, grid, changes)
    print(printable(terminal.summary(run, str(args.out))))
    print(printable(note))
    if changes:
        print(printable(terminal.changes_table(changes)))
    for error in run.harness_errors + problems:
        print(f"grader: {printable(error)}", file=sys.stderr)
    if interrupted is not None:
        print(f"grader: interrupted — {len(run.submissions)} of {len(found)} submissions finished and kept; the "
              f"reports in {printable(str(args.out))} are marked incomplete; run the same command again to grade "
              "the rest", file=sys.stderr)
        interrupted.reported = True
        raise interrupted
    return 2 if run.harness_errors or problems else 0


class PagesAsTheyCome:
    """Progress, and each submission's two pages written the moment it is judged (while the next ones run),
    so that the end of a run — or a Ctrl-C — has only the class files left to write."""

    def __init__(self, progress, out: Path, seed: int, found):
        self.progress, self.out = progress, out
        self.header = pipeline.new_run(seed, "grade")
        self.names = ReportNames(s.student for s in found)
        self.lock = threading.Lock()

    def __call__(self, result) -> None:
        self.progress(result)
        if result.overrides or result.student not in self.names.stems:
            return  # written at the end, with the instructor's overrides applied
        with self.lock:
            one = dataclasses.replace(self.header, submissions=[result])
            try:
                html.write_pages(one, self.out, self.names)
                feedback.write(one, self.out, self.names, html.ENVIRONMENT)
            except Exception:  # written again, and any failure reported, with the rest at the end
                pass


def write_reports(run, out: Path, grid: ClassGrid | None = None, changes: list[Change] | None = None) -> list[str]:
    """Every report, each on its own: one that fails is named (and its submission's result says so),
    every other file is still written. Returns what could not be written."""
    out.mkdir(parents=True, exist_ok=True)
    if grid is None:
        known = [a for a in assignments.known_ids()]
        grid = grid_of_run(run, known, {a: assignments.load(a).rubric.max_score for a in known})
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
                         ("index.html", lambda: html.write_index(run, out, names, grid, changes or []))):
        try:
            write()
        except Exception as exc:  # a bug of ours; never a reason to lose the other reports
            problems.append(f"{label} could not be written: {type(exc).__name__}: {exc}")
    return problems
