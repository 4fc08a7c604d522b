"""A failure of the grader itself is never a student's zero: with the MNIST data set missing, MNIST
submissions are ungraded in every output, the others are graded as usual, and the run exits non-zero."""

from __future__ import annotations

import csv
import json
import shutil
import xml.etree.ElementTree as ET

from conftest import EXAMPLES, REFERENCE, SEED
from grader import datasets
from grader.cli import main
from grader.writers.files import ReportNames


def test_a_missing_data_set_leaves_its_submissions_ungraded_everywhere(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("GRADER_DATA_DIR", str(empty))
    monkeypatch.setenv("KERAS_HOME", str(empty))
    monkeypatch.setenv("GRADER_OFFLINE", "1")
    monkeypatch.setattr(datasets, "_configured", None)
    root, out = tmp_path / "class", tmp_path / "out"
    (root / "ada").mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "ada" / "mnist.ipynb", root / "ada" / "mnist.ipynb")
    shutil.copyfile(REFERENCE / "gradient_descent.py", root / "ada" / "gradient_descent.py")
    assert main(["grade", str(root), "--out", str(out), "--seed", str(SEED)]) == 2
    assert "mnist.npz not found" in capsys.readouterr().err

    data = json.loads((out / "results.json").read_text())
    subs = {s["assignment"]: s for s in data["submissions"]}
    assert subs["mnist"]["status"] == "ungraded" and subs["mnist"]["score"] is None
    assert "not the student's doing" in subs["mnist"]["message"]
    assert subs["gradient_descent"]["status"] == "graded" and subs["gradient_descent"]["score"] == 24

    rows = {row["assignment"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert rows["mnist"]["score"] == "" and rows["mnist"]["status"] == "ungraded"

    gradescope = json.loads((out / ReportNames(["ada"]).gradescope("ada")).read_text())
    assert gradescope["score"] == 24  # the MNIST zero is not there
    [note] = [t for t in gradescope["tests"] if t["name"].startswith("mnist")]
    assert note["max_score"] == 0 and "not your doing" in note["output"]

    suites = {s.get("name"): s for s in ET.parse(out / "junit.xml").getroot().findall("testsuite")}
    assert suites["ada/mnist"].find("testcase/skipped") is not None

    assert "not graded" in (out / "index.html").read_text()
    assert "not graded" in (out / ReportNames(["ada"]).page("ada", "mnist")).read_text()
