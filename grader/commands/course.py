"""The term's other commands, all on the gradebook: ``import`` (Canvas download → class folder),
``export`` (CSV and Canvas import file), ``feedback`` (a folder per student to hand back) and
``override`` (the instructor's decision on a score, kept with who, when and why)."""

from __future__ import annotations

import csv
import io
import sys

from .. import assignments
from ..errors import HarnessError
from ..gate import printable
from ..gradebook import lms
from ..gradebook.store import Student
from ..gradebook.views import apply_overrides, grid_of_gradebook
from ..results import GradingRun
from ..writers import feedback, html
from ..writers.csv_out import spreadsheet_safe
from ..writers.files import ReportNames, atomic_write
from .grade import open_gradebook


def _grid(book):
    known = assignments.known_ids()
    return grid_of_gradebook(book, known, {a: assignments.load(a).rubric.max_score for a in known})


def run_import(args) -> int:
    if not args.download.exists():
        raise HarnessError(f"no such folder or zip: {args.download}")
    book = open_gradebook(args)
    known = assignments.known_ids()
    if args.assignment and args.assignment not in known:
        raise HarnessError(f"unknown assignment {args.assignment!r}; known: {', '.join(known)}")
    report = lms.import_canvas(args.download, args.submissions, known, book.students(), args.assignment)
    placed = [r for r in report if r.target is not None]
    for r in sorted(report, key=lambda r: (r.target is None, r.student, r.assignment or "")):
        where = f"→ {r.target}" if r.target else f"skipped: {r.problem}"
        extra = "".join(f" ({x})" for x in (r.note, "LATE" if r.late else "") if x)
        print(printable(f"{r.source} {where}{extra}"))
    late = sum(r.late for r in placed)
    print(f"{len(placed)} submission(s) of {len({r.student for r in placed})} student(s) imported into "
          f"{args.submissions}" + (f" ({late} late)" if late else "") + f"; {len(report) - len(placed)} skipped")
    if not placed:
        print("grader: nothing was imported", file=sys.stderr)
        return 2
    return 0


def run_export(args) -> int:
    book = open_gradebook(args)
    grid = _grid(book)
    students = {s.id: s for s in book.students()}
    titles = {a: assignments.load(a).rubric.title for a in grid.assignments}
    for pair in args.column or []:
        assignment, _, title = pair.partition("=")
        if assignment not in titles or not title:
            raise HarnessError(f"--column wants ASSIGNMENT=NAME with one of {', '.join(titles)}, not {pair!r}")
        titles[assignment] = title
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out / "gradebook.csv", lms.grades_csv(grid, students, args.missing == "zero"))
    canvas, unmatched = lms.canvas_csv(grid, students, titles, args.missing == "zero")
    atomic_write(args.out / "canvas.csv", canvas)
    print(f"wrote {args.out / 'gradebook.csv'} and {args.out / 'canvas.csv'} ({len(grid.rows)} students, "
          f"{sum(r.missing for r in grid.rows)} missing submissions left {'at 0' if args.missing == 'zero' else 'blank'})")
    if unmatched:
        print(printable(f"grader: note: {len(unmatched)} student(s) have no LMS or SIS id in the roster, so Canvas "
                        f"cannot match them: {', '.join(unmatched[:10])}{' …' if len(unmatched) > 10 else ''}"),
              file=sys.stderr)
    return 0


def run_feedback(args) -> int:
    """One folder per student with the student-safe page of each assignment they submitted (overrides
    applied), and students.csv saying which folder is whose."""
    book = open_gradebook(args)
    results = [apply_overrides(book.attempt_result(a.id), book.overrides(a.student, a.assignment))
               for a in book.current_all()]
    if not results:
        raise HarnessError("the gradebook holds no grades yet: run grader grade first")
    run = GradingRun("", "", "", "", 0, "grade", submissions=results)
    names = ReportNames(r.student for r in results)
    failures = 0
    for sub in results:
        path = args.out / names.stems[sub.student] / f"{sub.assignment}.html"
        try:
            atomic_write(path, feedback.render(run, sub, html.ENVIRONMENT, ""))
        except Exception as exc:  # that page only
            failures += 1
            print(printable(f"grader: the page of {sub.student}/{sub.assignment} could not be written: {exc}"),
                  file=sys.stderr)
    students = {s.id: s for s in book.students()}
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["folder", "student", "name", "email", "lms_id"])
    for student, folder in sorted(names.stems.items()):
        info = students.get(student, Student(student))
        writer.writerow([spreadsheet_safe(v) for v in (folder, student, info.name, info.email, info.lms_id)])
    atomic_write(args.out / "students.csv", table.getvalue())
    print(f"wrote {len(results) - failures} page(s) for {len(names.stems)} student(s) into {args.out} "
          f"(students.csv says which folder is whose)")
    return 2 if failures else 0


def run_history(args) -> int:
    """Every attempt of one student (or one submission): when, which file, status, score, what counted."""
    book = open_gradebook(args)
    counted = {a.id for a in book.current_all()}
    assignments_of = [args.assignment] if args.assignment else assignments.known_ids()
    shown = 0
    for assignment in assignments_of:
        for a in book.history(args.student, assignment):
            mark = "*" if a.id in counted else " "
            score = "not graded" if a.score is None else f"{a.score:g}/{a.max_score:g}"
            print(printable(f"{mark} #{a.id} {a.graded_at} {assignment:<17} {a.status:<8} {score:<10} "
                            f"file {a.content_hash[:10]} rubric {a.fingerprint[:8]}  {a.path}"))
            shown += 1
    for o in book.overrides(args.student):
        print(printable(f"  override #{o.id} {o.assignment} {o.check or '(total)'} = {o.points:g}: {o.reason} "
                        f"({o.made_by}, {o.made_at})"))
    if not shown:
        raise HarnessError(f"no attempts for {args.student!r} in the gradebook")
    print("* = the attempt that counts")
    return 0


def run_override(args) -> int:
    book = open_gradebook(args)
    if args.list:
        for o in book.overrides():
            print(printable(f"#{o.id} {o.student} {o.assignment} {o.check or '(total)'} = {o.points:g} — "
                            f"{o.reason} ({o.made_by}, {o.made_at})"))
        return 0
    if args.remove is not None:
        if not book.remove_override(args.remove):
            raise HarnessError(f"no active override #{args.remove} (grader override --list shows them)")
        print(f"override #{args.remove} removed; the graded score counts again")
        return 0
    parts = args.target
    if len(parts) not in (3, 4):
        raise HarnessError("usage: grader override STUDENT ASSIGNMENT [CHECK] POINTS --reason TEXT")
    student, assignment, *check, points = parts
    check_name = check[0] if check else None
    try:
        value = float(points)
    except ValueError:
        raise HarnessError(f"POINTS must be a number, not {points!r}") from None
    rubric = assignments.load(assignment).rubric  # UnknownAssignment for a wrong id
    limit = rubric.max_score
    if check_name is not None:
        by_name = {c.name: c for c in rubric.checks}
        if check_name not in by_name:
            raise HarnessError(f"{assignment} has no check {check_name!r}; its checks: {', '.join(by_name)}")
        limit = by_name[check_name].points
    if not 0 <= value <= limit:
        raise HarnessError(f"POINTS must be between 0 and {limit:g} for {assignment}"
                           + (f"/{check_name}" if check_name else ""))
    if not args.reason or not args.reason.strip():
        raise HarnessError("an override needs --reason TEXT (it is shown with the score)")
    if not any(s.id == student for s in book.students()):
        raise HarnessError(f"no student {student!r} in the gradebook or roster")
    number = book.add_override(student, assignment, check_name, value, args.reason.strip(), args.by)
    current = book.current(student, assignment)
    now = ""
    if current is not None:
        score = apply_overrides(book.attempt_result(current.id), book.overrides(student, assignment)).score
        now = "" if score is None else f" (score now {score:g} / {rubric.max_score:g})"
    print(printable(f"override #{number}: {student} {assignment} {check_name or '(total)'} = {value:g}{now}; "
                    "it stays through regrades (grader override --remove N to undo)"))
    return 0
