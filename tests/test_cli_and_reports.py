"""The CLI end to end: every submission gets a result, every report is written, reruns are identical."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from conftest import EXAMPLES, REFERENCE, SEED
from grader.cli import main
from grader.writers.files import ReportNames


def page_of(out, student, assignment):
    return out / ReportNames([student]).page(student, assignment)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    (root / "ada").mkdir()
    shutil.copyfile(REFERENCE / "gradient_descent.py", root / "ada" / "gradient_descent.py")
    shutil.copytree(EXAMPLES / "ben", root / "ben", ignore=shutil.ignore_patterns("[!g]*"))
    (root / "ada" / "xor.ipynb").write_text("{ this is not json")
    (root / "ada" / "homework3.ipynb").write_text("{}")
    (root / "notes.txt").write_text("stray")
    outputs = []
    for run in ("first", "second"):
        out = tmp_path_factory.mktemp(run)
        assert main(["grade", str(root), "--out", str(out), "--seed", str(SEED), "--jobs", "2"]) == 0
        outputs.append(out)
    return outputs


def load(out):
    return json.loads((out / "results.json").read_text())


def test_results_json_follows_the_contract(graded_class):
    schema = json.loads(resources.files("grader").joinpath("schema/results.schema.json").read_text())
    data = load(graded_class[0])
    jsonschema.validate(data, schema)
    assert data["seed"] == SEED and data["tensorflow_version"][0].isdigit()
    for sub in data["submissions"]:
        assert sub["score"] == pytest.approx(sum(t["score"] for t in sub["tests"]))


def test_every_file_gets_a_result_with_a_clear_status(graded_class):
    subs = {(s["student"], s["assignment"]): s for s in load(graded_class[0])["submissions"]}
    assert subs[("ada", "gradient_descent")]["status"] == "graded"
    assert subs[("ada", "gradient_descent")]["score"] == subs[("ada", "gradient_descent")]["max_score"]
    assert subs[("ben", "gradient_descent")]["status"] == "graded"
    assert 0 < subs[("ben", "gradient_descent")]["score"] < subs[("ben", "gradient_descent")]["max_score"]
    assert "not a readable Jupyter notebook" in subs[("ada", "xor")]["message"]
    assert "not a known assignment" in subs[("ada", "homework3")]["message"]
    assert "stray file" in subs[("(no student)", "notes")]["message"]
    errors = [s for s in subs.values() if s["status"] == "error"]
    assert len(errors) == 3


def test_same_seed_gives_identical_scores_and_messages(graded_class):
    def essential(data):
        return [(s["student"], s["assignment"], s["status"], s["score"], s["message"],
                 [(t["name"], t["status"], t["score"], t["message"]) for t in s["tests"]])
                for s in data["submissions"]]

    first, second = (load(out) for out in graded_class)
    assert essential(first) == essential(second)


def test_csv_junit_and_html_are_derived_from_the_results(graded_class):
    out = graded_class[0]
    data = load(out)
    rows = (out / "grades.csv").read_text().strip().splitlines()
    assert rows[0].startswith("student,assignment,status,score") and len(rows) == len(data["submissions"]) + 1
    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert len(suites) == len(data["submissions"])
    failures = sum(int(s.get("failures")) for s in suites)
    assert failures == sum(t["status"] == "failed" for s in data["submissions"] for t in s["tests"])
    index = (out / "index.html").read_text()
    assert "Pass rate per check" in index and "data:image/png;base64," in index
    page = page_of(out, "ben", "gradient_descent").read_text()
    assert "axis=0" in page and "Gradient descent on y" in page and "data:image/png;base64," in page


def test_gradescope_results_per_student_add_up_and_hide_hidden_checks_until_published(graded_class):
    out = graded_class[0]
    data = load(out)
    for student in ("ada", "ben"):
        subs = [s for s in data["submissions"] if s["student"] == student]
        gradescope = json.loads((out / ReportNames([student]).gradescope(student)).read_text())
        assert gradescope["score"] == pytest.approx(sum(s["score"] for s in subs))
        assert sum(t["max_score"] for t in gradescope["tests"]) == pytest.approx(sum(s["max_score"] for s in subs))
        assert "seed" not in gradescope["extra_data"]  # hidden inputs are drawn from it
        for test in gradescope["tests"]:
            assert test["visibility"] in ("visible", "after_published") and test["status"] in ("passed", "failed")
        hidden = {t["name"]: t["output"] for t in gradescope["tests"] if t["visibility"] == "after_published"}
        assert "gradient_descent: gradient_descent_hidden" in hidden
        # as on the student page: a hidden check's result, never its message or hint (they may hold its inputs)
        assert set(hidden.values()) == {""}, hidden
    ada = json.loads((out / ReportNames(["ada"]).gradescope("ada")).read_text())
    broken = [t for t in ada["tests"] if t["name"] == "xor: submission"]
    assert broken and "not a readable Jupyter notebook" in broken[0]["output"]


def test_check_exits_zero_only_when_every_public_check_passes(capsys):
    assert main(["check", str(EXAMPLES / "ada" / "gradient_descent.ipynb")]) == 0
    assert main(["check", str(EXAMPLES / "ben" / "gradient_descent.ipynb")]) == 1
    table = capsys.readouterr().out
    assert "FAIL" in table and "column_sums" in table and "hidden" not in table.split("Hidden checks")[0].lower()


def test_list_shows_checks_and_points(capsys):
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "gradient_descent" in listing and "xor" in listing and "hidden" in listing


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
chromium_only = pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (CI installs it)")


def browse(page, tmp_path, *extra):
    import subprocess

    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=120)
    return done.stdout


@chromium_only
def test_reports_open_in_a_browser(graded_class, tmp_path):
    out = graded_class[0]
    index = browse(out / "index.html", tmp_path, "--dump-dom")
    assert "Grading summary" in index and "<img" in index
    page = browse(page_of(out, "ben", "gradient_descent"), tmp_path, "--dump-dom")
    assert "column_sums" in page and "Hint:" in page
    shot = tmp_path / "index.png"
    browse(out / "index.html", tmp_path, f"--screenshot={shot}", "--window-size=1200,1400")
    assert shot.stat().st_size > 20_000


@chromium_only
def test_student_output_cannot_run_script_in_the_instructors_browser(tmp_path):
    from grader.pipeline import new_run
    from grader.results import CellReport, SubmissionResult
    from grader.writers import html

    attack = "<script>document.body.setAttribute('data-pwned', 'yes')</script><img src=x onerror=alert(1)>"
    run = new_run(1, "grade")
    run.submissions = [SubmissionResult("eve", "xor", "eve/xor.ipynb", "crashed", 0.0, 22.0, 1.0, attack,
                                        cells=[CellReport(1, "code cell 1", "ok", output=attack)])]
    html.write(run, tmp_path)
    for page in (tmp_path / "index.html", page_of(tmp_path, "eve", "xor")):
        dom = browse(page, tmp_path, "--dump-dom")
        assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
        assert "&lt;script&gt;" in dom


def test_unchanged_pages_are_not_drawn_again(tmp_path):
    from grader.pipeline import new_run
    from grader.results import Curve, SubmissionResult
    from grader.writers import html

    run = new_run(3, "grade")
    sub = SubmissionResult("ada", "xor", "ada/xor.ipynb", "graded", 22.0, 22.0, 1.0, "ran cleanly",
                           curves=[Curve("loss", "step", "L", {"run": [1.0, 0.5, float("nan"), 0.1]}, log_y=True)])
    run.submissions = [sub]
    first = html.write(run, tmp_path)
    page = page_of(tmp_path, "ada", "xor")
    assert page in first
    assert page not in html.write(run, tmp_path)
    sub.score = 20.0
    assert page in html.write(run, tmp_path)
