"""The gradebook: history, the attempt that counts, concurrent writers, overrides, the course seed, roster."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from grader.gradebook import roster
from grader.gradebook.store import Gradebook, GradebookError
from grader.gradebook.views import apply_overrides, build_grid, changes_between
from grader.results import SubmissionResult
from grader.results import TestResult as CheckResult


def result(student="ada", assignment="xor", scores=(1.0, 2.0), status="graded") -> SubmissionResult:
    tests = [CheckResult(f"check{i}", s, 2.0, "passed" if s == 2.0 else "failed", "public", f"message {i}")
             for i, s in enumerate(scores)]
    return SubmissionResult(student, assignment, f"{student}/{assignment}.ipynb", status,
                            None if status == "ungraded" else sum(scores), 2.0 * len(scores), 0.1, "", tests)


def record(book, res, content="h1", finger="f1", seed=5):
    return book.record(res, run_id=None, content_hash=content, fingerprint=finger, seed=seed, versions={"tf": "x"})


def test_every_attempt_is_kept_and_the_latest_counts(tmp_path):
    book = Gradebook(tmp_path / "gb.sqlite")
    first, before = record(book, result(scores=(0.0, 0.0)))
    assert before is None
    second, before = record(book, result(scores=(2.0, 1.0)), content="h2")
    assert before.id == first
    assert [a.id for a in book.history("ada", "xor")] == [first, second]
    assert book.current("ada", "xor").id == second
    assert book.attempt_result(first).score == 0.0 and book.attempt_result(second).score == 3.0
    assert book.check_scores(second) == {"check0": 2.0, "check1": 1.0}
    assert book.attempt_result(second).tests[0].message == "message 0"


def test_a_grader_failure_never_replaces_a_real_grade(tmp_path):
    book = Gradebook(tmp_path / "gb.sqlite")
    graded, _ = record(book, result(scores=(2.0, 2.0)))
    record(book, result(status="ungraded"), content="h2")
    assert book.current("ada", "xor").id == graded
    assert len(book.history("ada", "xor")) == 2


def test_the_gradebook_is_the_instructors_alone(tmp_path):
    path = tmp_path / "gb.sqlite"
    Gradebook(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_course_seed_is_drawn_once(tmp_path):
    book = Gradebook(tmp_path / "gb.sqlite")
    draws = iter([2**127 + 12345, 99])
    seed, fresh = book.course_seed(lambda: next(draws))
    assert (seed, fresh) == (2**127 + 12345, True)
    assert Gradebook(tmp_path / "gb.sqlite").course_seed(lambda: 1 / 0) == (2**127 + 12345, False)
    book.replace_course_seed(7)
    assert book.course_seed(lambda: 1 / 0) == (7, False)


def _hammer(path: str, worker: int) -> None:
    book = Gradebook(Path(path))
    for i in range(25):
        record(book, result(student=f"s{i % 5}", scores=(float(worker % 3), 1.0)), content=f"{worker}-{i}")


def test_concurrent_runs_on_one_gradebook_lose_nothing(tmp_path):
    path = tmp_path / "gb.sqlite"
    Gradebook(path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(str(path), w)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    book = Gradebook(path)
    assert book.query("SELECT COUNT(*) FROM attempts")[0][0] == 100
    assert book.query("SELECT COUNT(*) FROM check_scores")[0][0] == 200
    for i in range(5):  # the attempt that counts is one of that student's, and the newest
        history = book.history(f"s{i}", "xor")
        assert len(history) == 20 and book.current(f"s{i}", "xor").id == history[-1].id


def test_not_a_gradebook_is_refused_in_one_line(tmp_path):
    path = tmp_path / "gb.sqlite"
    path.write_text("this is a CSV, not SQLite\n" * 100)
    with pytest.raises(GradebookError, match="not a gradebook"):
        Gradebook(path)


def test_overrides_apply_to_a_check_or_the_total_and_say_so(tmp_path):
    book = Gradebook(tmp_path / "gb.sqlite")
    record(book, result(scores=(0.0, 2.0)))
    book.add_override("ada", "xor", "check0", 2.0, "regrade request: correct up to float32 rounding", "prof")
    shown = apply_overrides(book.attempt_result(book.current("ada", "xor").id), book.overrides("ada", "xor"))
    assert shown.score == 4.0 and shown.tests[0].score == 2.0
    assert "set to 2 by the instructor" in shown.tests[0].message
    assert shown.overrides[0]["was"] == 0.0 and shown.overrides[0]["made_by"] == "prof"
    # a newer override of the same check replaces the older; the older stays in the table
    book.add_override("ada", "xor", "check0", 1.0, "partial credit after all", "prof")
    assert [o.points for o in book.overrides("ada", "xor")] == [1.0]
    assert book.query("SELECT COUNT(*) FROM overrides")[0][0] == 2
    total = book.add_override("ada", "xor", None, 3.5, "written answer marked by hand")
    shown = apply_overrides(book.attempt_result(book.current("ada", "xor").id), book.overrides("ada", "xor"))
    assert shown.score == 3.5 and len(shown.overrides) == 2
    assert book.remove_override(total) and not book.remove_override(total)


def test_overrides_survive_a_regrade(tmp_path):
    book = Gradebook(tmp_path / "gb.sqlite")
    record(book, result(scores=(0.0, 2.0)))
    book.add_override("ada", "xor", "check0", 2.0, "regrade request")
    record(book, result(scores=(0.0, 1.0)), finger="f2")  # the rubric was edited and the class regraded
    shown = apply_overrides(book.attempt_result(book.current("ada", "xor").id), book.overrides("ada", "xor"))
    assert shown.score == 3.0 and shown.tests[0].score == 2.0 and shown.tests[1].score == 1.0


def test_changes_list_the_total_and_every_check_that_moved():
    before, after = result(scores=(2.0, 0.0)), result(scores=(2.0, 1.5))
    changes = changes_between(before, after, "rubric or grader changed")
    assert [(c.check, c.before, c.after, c.delta) for c in changes] == [(None, 2.0, 3.5, 1.5), ("check1", 0.0, 1.5, 1.5)]
    assert changes_between(before, result(scores=(2.0, 0.0)), "") == []


def test_missing_work_comes_from_the_roster(tmp_path):
    (tmp_path / "roster.csv").write_text("\ufeffStudent ID,Name,Email,Canvas ID\nada,Ada L,ada@x.edu,101\n"
                                         "ben,Ben K,ben@x.edu,102\n,,,\n")
    book = Gradebook(tmp_path / "gb.sqlite")
    book.set_roster(roster.load(tmp_path / "roster.csv"))
    record(book, result(student="ada", assignment="xor"))
    results = {(a.student, a.assignment): book.attempt_result(a.id) for a in book.current_all()}
    grid = build_grid(results, ["gradient_descent", "xor"], {"gradient_descent": 24.0, "xor": 4.0}, book.students())
    rows = {r.student: r for r in grid.rows}
    assert [c.status for c in rows["ada"].cells] == ["missing", "graded"] and rows["ada"].missing == 1
    assert [c.status for c in rows["ben"].cells] == ["missing", "missing"] and rows["ben"].total == 0
    assert rows["ada"].max_total == 28.0 and rows["ben"].name == "Ben K"
    assert {s.id: s.lms_id for s in book.students()} == {"ada": "101", "ben": "102"}


def test_a_roster_without_an_id_column_is_refused(tmp_path):
    with pytest.raises(roster.RosterError, match="no id column"):
        roster.parse("name,email\nAda,a@x\n")
    with pytest.raises(roster.RosterError, match="twice"):
        roster.parse("id,name\nada,A\nada,B\n")


def test_canvas_s_own_gradebook_export_reads_as_a_roster():
    students = roster.parse("Student,ID,SIS User ID,SIS Login ID,Section,Lab 1 (12)\n"
                            "    Points Possible,,,,,24\n"
                            "\"Lovelace, Ada\",101,S001,ada,Sec 1,20\n")
    assert students == [roster.Student("ada", "Lovelace, Ada", "", "101", "S001", "Sec 1", True)]
