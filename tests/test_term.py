"""A term with the gradebook, through the command line as an instructor runs it: grade → override →
rubric fix → regrade (what changed) → feedback → export; and Ctrl-C / kill -9 in the middle of a run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.cli import main
from grader.gradebook.store import Gradebook
from conftest import EXAMPLES, REFERENCE, ROOT

SLEEP = "\n# %%\nimport time\ntime.sleep({seconds})  # student {n}\n"


def course_copy(tmp_path: Path) -> Path:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "gradient_descent", course / "assignments" / "gradient_descent",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "reference").mkdir()
    shutil.copy(REFERENCE / "gradient_descent.py", course / "reference")
    (course / "roster.csv").write_text("id,name,email,lms_id\nada,Ada,a@x.edu,1\nben,Ben,b@x.edu,2\n"
                                       "cy,Cy,c@x.edu,3\ndan,Dan,d@x.edu,4\n")
    return course


def class_folder(tmp_path: Path) -> Path:
    root = tmp_path / "class"
    for student in ("ada", "ben", "cy"):
        (root / student).mkdir(parents=True)
        shutil.copy(EXAMPLES / student / "gradient_descent.ipynb", root / student / "Gradient Descent (1).ipynb")
    return root


def test_a_term_import_grade_override_regrade_feedback_export(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GRADER_GRADEBOOK")  # the default: gradebook.sqlite in the course folder
    course, root = course_copy(tmp_path), class_folder(tmp_path)
    out = tmp_path / "reports"
    common = ["--course", str(course)]
    assert main(["grade", str(root), "--out", str(out), *common]) == 0
    first = capsys.readouterr().out
    assert "3 graded now, 0 unchanged" in first and "course seed, drawn now" in first
    book = Gradebook(course / "gradebook.sqlite")
    seed = int(book.query("SELECT value FROM meta WHERE key = 'course_seed'")[0][0])
    assert seed >= 2**64 and json.loads((out / "results.json").read_text())["seed"] == seed
    scores = {s["student"]: s["score"] for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert scores["ada"] == 24 and scores["ben"] < 24
    index = (out / "index.html").read_text()
    assert "dan" in index and "missing" in index  # on the roster, submitted nothing

    # nothing changed: nothing runs, the same grades
    assert main(["grade", str(root), "--out", str(out), *common]) == 0
    assert "0 graded now, 3 unchanged" in capsys.readouterr().out

    # a regrade request, decided by hand
    assert main(["override", "ben", "gradient_descent", "count_above", "1", "--reason", "accepted: counted with "
                 "a Python loop", "--by", "prof", *common]) == 0
    assert main(["override", "dan", "gradient_descent", "9", "--reason", "x", *common]) == 0  # total, no submission
    assert main(["override", "ben", "gradient_descent", "no_such_check", "1", "--reason", "x", *common]) == 2
    assert main(["override", "ben", "gradient_descent", "count_above", "5", "--reason", "x", *common]) == 2
    assert main(["override", "ben", "gradient_descent", "count_above", "1", *common]) == 2  # no reason
    capsys.readouterr()

    # the instructor fixes the rubric: elementwise_product is worth 3 points, not 1
    rubric = course / "assignments" / "gradient_descent" / "rubric.py"
    rubric.write_text(rubric.read_text().replace('Check("elementwise_product", 1,', 'Check("elementwise_product", 3,'))
    assert main(["grade", str(root), "--out", str(out), *common]) == 0
    regrade = capsys.readouterr().out
    assert "3 graded now" in regrade and "Scores changed for" in regrade
    assert "elementwise_product: 1 → 3" in regrade and "rubric or grader changed" in regrade
    index = (out / "index.html").read_text()
    assert "What changed since the last grading" in index
    results = {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    ben = {t["name"]: t for t in results["ben"]["tests"]}
    assert ben["count_above"]["score"] == 1 and "set to 1 by the instructor" in ben["count_above"]["message"]
    assert results["ben"]["overrides"][0]["reason"].startswith("accepted") and results["ada"]["score"] == 26
    assert len(book.history("ben", "gradient_descent")) == 2  # both attempts kept
    assert main(["history", "ben", *common]) == 0
    history = capsys.readouterr().out.splitlines()
    assert len([line for line in history if "gradient_descent" in line and "#" in line]) == 3  # 2 + the override
    assert history[1].startswith("* ") and not history[0].startswith("* ")  # the newest counts

    # hand back, export
    assert main(["feedback", str(tmp_path / "handback"), *common]) == 0
    folders = [p for p in (tmp_path / "handback").iterdir() if p.is_dir()]
    assert len(folders) == 3 and all((f / "gradient_descent.html").is_file() for f in folders)
    for page in (tmp_path / "handback").rglob("*"):
        if page.is_file():
            assert str(seed) not in page.read_text()  # the seed never reaches what students read
    assert main(["export", "--out", str(tmp_path / "export"), *common]) == 0
    canvas = (tmp_path / "export" / "canvas.csv").read_text().splitlines()
    assert canvas[1].startswith("Points Possible") and canvas[1].endswith(",26")
    assert any(line.startswith("Dan,4,") and line.endswith(",9") for line in canvas)  # the total override
    assert any(line.startswith("Ben,2,") for line in canvas)


def test_pointing_at_a_students_folder_or_an_empty_folder_fails_clearly(tmp_path, capsys):
    assert main(["grade", str(EXAMPLES / "ada"), "--out", str(tmp_path / "out")]) == 2
    assert "one student's folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert "no submissions" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def slow_class(tmp_path: Path, students: int = 6, seconds: float = 1.5) -> Path:
    root = tmp_path / "class"
    for n in range(students):
        (root / f"s{n}").mkdir(parents=True)
        (root / f"s{n}" / "gradient_descent.py").write_text(
            (REFERENCE / "gradient_descent.py").read_text() + SLEEP.format(seconds=seconds, n=n))
    return root


def start(root: Path, out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", str(root), "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def wait_for_attempts(book_path: Path, process: subprocess.Popen, count: int) -> int:
    deadline = time.monotonic() + 240
    while True:
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        if book_path.exists():
            done = Gradebook(book_path).query("SELECT COUNT(*) FROM attempts")[0][0]
            if done >= count:
                return done
        time.sleep(0.2)


def attempts_per_submission(book_path: Path) -> dict[str, int]:
    return dict(Gradebook(book_path).query("SELECT student, COUNT(*) FROM attempts GROUP BY student"))


@pytest.mark.slow
def test_ctrl_c_keeps_what_was_finished_and_the_next_run_grades_only_the_rest(tmp_path):
    root, out, book_path = slow_class(tmp_path), tmp_path / "out", tmp_path / "gb.sqlite"
    env = dict(os.environ, GRADER_GRADEBOOK=str(book_path))
    grader = start(root, out, env)
    try:
        wait_for_attempts(book_path, grader, 2)
        grader.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        _, err = grader.communicate(timeout=30)
        assert time.monotonic() - stopped < 10
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
    assert grader.returncode == 130
    err = err.decode()
    assert "interrupted —" in err and "Traceback" not in err
    finished = sum(attempts_per_submission(book_path).values())
    results = json.loads((out / "results.json").read_text())
    assert results["complete"] is False and len(results["submissions"]) == finished < 6
    assert "Incomplete" in (out / "index.html").read_text()
    again = subprocess.run([sys.executable, "-m", "grader", "grade", str(root), "--out", str(out)], env=env,
                           capture_output=True, text=True, timeout=400)
    assert again.returncode == 0, again.stderr
    assert f"{6 - finished} graded now, {finished} unchanged" in again.stdout
    assert attempts_per_submission(book_path) == {f"s{n}": 1 for n in range(6)}  # nothing graded twice
    assert json.loads((out / "results.json").read_text())["complete"] is True


@pytest.mark.slow
def test_kill_9_loses_nothing_and_grades_nothing_twice(tmp_path):
    root, out, book_path = slow_class(tmp_path), tmp_path / "out", tmp_path / "gb.sqlite"
    env = dict(os.environ, GRADER_GRADEBOOK=str(book_path))
    grader = start(root, out, env)
    try:
        wait_for_attempts(book_path, grader, 3)
        grader.send_signal(signal.SIGKILL)  # the grader alone, as the OOM killer would: no cleanup of its own
        grader.wait(timeout=30)
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
    before = attempts_per_submission(book_path)
    assert sum(before.values()) >= 3 and set(before.values()) == {1}
    again = subprocess.run([sys.executable, "-m", "grader", "grade", str(root), "--out", str(out)], env=env,
                           capture_output=True, text=True, timeout=400)
    assert again.returncode == 0, again.stderr
    assert f"{sum(before.values())} unchanged" in again.stdout
    assert attempts_per_submission(book_path) == {f"s{n}": 1 for n in range(6)}
    states = [state for _, _, _, state, _ in Gradebook(book_path).runs()]
    assert states == ["killed", "complete"]
    scores = {s["student"]: s["score"] for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert scores == {f"s{n}": 24 for n in range(6)}
