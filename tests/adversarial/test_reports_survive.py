"""No submission takes away anyone else's result: text, numbers, trees, FIFOs and names that broke
the reports of a whole class before are each contained to their own submission."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from attacks import BREAK_TEXT, DEEP_TREE, HUGE_HISTORY, MANY_CELLS, correct_xor, write_submission
from grader import gate
from grader.cli import main
from grader.writers import plots
from grader.results import Curve
from grader.writers.files import ReportNames

LONG_NAME = "L" * 251  # one byte under a file system's limit of 255: with any suffix, too long
NAMES = ["index.html", "results.json", LONG_NAME, "Jane Doe", "Jane_Doe-01332c", "\x1b[31mRed\x1b[0m", "=HYPERLINK(1)"]


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    out = tmp_path_factory.mktemp("reports")
    correct_xor(root, "ada")
    write_submission(root, "breaks-text", [BREAK_TEXT])
    write_submission(root, "huge-history", [HUGE_HISTORY])
    write_submission(root, "deep-tree", [DEEP_TREE])
    write_submission(root, "many-cells", MANY_CELLS)
    for name in NAMES:
        write_submission(root, name, [f"print({name!r})"])
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "xor.ipynb")
    os.mkfifo(root / "xor.ipynb")  # a FIFO where a student's folder should be
    return root, out


@pytest.fixture(scope="module")
def graded(class_run, capfdbinary_module):
    root, out = class_run
    code = main(["grade", str(root), "--out", str(out), "--seed", "5", "--assignment", "xor"])
    captured = capfdbinary_module.readouterr()
    return code, out, captured


@pytest.fixture(scope="module")
def capfdbinary_module():
    """capfd for a module-scoped fixture: what the grader printed to the terminal, as bytes."""
    import tempfile

    saved = [os.dup(1), os.dup(2)]
    files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    for fd, handle in zip((1, 2), files):
        os.dup2(handle.fileno(), fd)

    class Captured:
        def readouterr(self):
            for fd, old in zip((1, 2), saved):
                os.dup2(old, fd)
            data = []
            for handle in files:
                handle.seek(0)
                data.append(handle.read())
            return data

    yield Captured()
    for fd, old in zip((1, 2), saved):
        os.dup2(old, fd)


def test_the_batch_completes_and_every_report_is_written(graded):
    code, out, _ = graded
    assert code == 0
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    schema = json.loads(resources.files("grader").joinpath("schema/results.schema.json").read_text())
    jsonschema.validate(data, schema)
    ET.parse(out / "junit.xml")  # parses: no NUL, ESC or lone surrogate reached it
    assert (out / "index.html").is_file() and (out / "grades.csv").is_file()
    names = ReportNames(s["student"] for s in data["submissions"])
    for sub in data["submissions"]:
        assert (out / names.page(sub["student"], sub["assignment"])).is_file(), sub["student"]
        assert (out / names.gradescope(sub["student"])).is_file()
    ada = next(s for s in data["submissions"] if s["student"] == "ada")
    assert ada["score"] == ada["max_score"] == 22


def test_hostile_text_is_cleaned_once_and_kept_in_its_place(graded):
    _, out, _ = graded
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    text = json.dumps(data, ensure_ascii=False)
    for bad in ("\ud800", "\x00", "\x1b", "\x07", "\u202e"):
        assert bad not in text
    breaker = next(s for s in data["submissions"] if s["student"] == "breaks-text")
    cell = next(c for c in breaker["cells"] if c["status"] == "error" and "message" in c["message"])
    assert "\\x1b" in cell["message"] and "\\x00" in cell["message"]  # escaped, still readable


def test_one_submission_cannot_blow_up_the_report(graded):
    _, out, _ = graded
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    many = next(s for s in data["submissions"] if s["student"] == "many-cells")
    assert len(json.dumps(many)) < 600_000
    assert any(c["status"] == "not run" and "were not run" in c["message"] for c in many["cells"])
    assert (out / "results.json").stat().st_size < 3_000_000


def test_names_map_to_files_without_collision_and_never_reach_a_terminal(graded):
    _, out, (stdout, stderr) = graded
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    students = {s["student"] for s in data["submissions"]}
    assert "Jane Doe" in students and "Jane_Doe-01332c" in students
    names = ReportNames(students)
    assert names.page("Jane Doe", "xor") != names.page("Jane_Doe-01332c", "xor")
    for student in ("Jane Doe", "Jane_Doe-01332c", "index.html", "results.json"):
        page = (out / names.page(student, "xor")).read_text()
        assert f"xor — {student}" in page  # each page shows its own student
    assert all(len(part.encode()) < 100 for s in students for part in names.page(s, "xor").split("/"))
    index = (out / "index.html").read_text()
    assert names.page("Jane Doe", "xor") in index and names.page("Jane_Doe-01332c", "xor") in index
    assert b"\x1b" not in stdout and b"\x1b" not in stderr
    assert (out / "index.html").is_file() and json.loads((out / "results.json").read_text())  # not replaced by a page
    rows = (out / "grades.csv").read_text().splitlines()
    assert not any(row.startswith("=") for row in rows)


def test_fifos_are_refused_without_being_opened(graded):
    _, out, _ = graded
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    fifo = [s for s in data["submissions"] if s["student"] in ("fifo", "(no student)")]
    assert len(fifo) == 2 and all("FIFO" in s["message"] and s["status"] == "error" for s in fifo)


def test_a_deep_tree_and_a_huge_history_stay_with_their_submission(graded):
    _, out, _ = graded
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    deep = next(s for s in data["submissions"] if s["student"] == "deep-tree")
    assert any("deep tree made" in c["output"] for c in deep["cells"])
    huge = next(s for s in data["submissions"] if s["student"] == "huge-history")
    assert huge["score"] == 0
    assert plots.curve_image(Curve("t", "x", "y", {"a": [1e308, -1e308, None, 1e-320]}, log_y=True)) is not None


@pytest.mark.parametrize("line", [
    b'{"event": ["x"]}',
    b'{"event": "hello", "ticket": "t", "tensorflow_version": "1", "keras_version": "1", "python_version": "1", '
    b'"import_seconds": 1e400}',
    b'{"event": "cell", "ticket": "t", "index": 1, "status": "ok", "error": null, "output": "", "magics": [], '
    b'"seconds": NaN}',
    b'[' * 100_000,
    b'{"event": "observation", "extra": 1}',
])
def test_the_gate_refuses_malformed_events(line):
    event = gate.parse_line(line)
    assert event is None or not gate.conforms(event)


def test_the_gate_bounds_what_an_observation_can_hold():
    huge = {"__array__": {"dtype": "float64", "shape": [10**9], "b64": ""}}
    with pytest.raises(Exception):
        gate.value(huge)
    nested = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(gate.GateError):
        gate.value(nested)
    assert gate.value("\ud800\x1b") == "\ufffd\\x1b"
