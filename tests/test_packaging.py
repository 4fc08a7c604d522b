"""CI and Gradescope, ready to use: `grader ci github`, `grader ci classroom` and `grader gradescope OUT.zip`.

The workflows are parsed with PyYAML and their `run:` steps are run here, in a copy of the repository they
are meant for; the Gradescope archive is unpacked into a local copy of Gradescope's /autograder layout and its
run_autograder grades a student there. Every protection is shown with the attack it stops.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import EXAMPLES, ROOT, skip_without_mnist
from grader import assignments
from grader.cli import main
from grader.errors import HarnessError
from grader.packaging import autograder, classroom_result, commands, workflows
from grader.results import SubmissionResult
from grader import results as grader_results  # (its TestResult is no pytest test class)
from grader.sandbox import isolation

SCHEMAS = ROOT / "grader" / "schema"
ASSIGNMENT = "gradient_descent"  # grades in seconds
LONG_SEED = 0x1234_5678_9ABC_DEF0_1122_3344_5566_7788  # 125 bits


def schema(name: str) -> dict:
    loaded = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def parser_and_handlers() -> tuple[argparse.ArgumentParser, dict]:
    top = argparse.ArgumentParser(prog="grader")
    handlers = commands.register(top.add_subparsers(dest="command", required=True))
    return top, handlers


def command(*argv: str) -> int:
    top, handlers = parser_and_handlers()
    args = top.parse_args(list(argv))
    return handlers[args.command](args)


def course_copy(tmp_path: Path, name: str = "course") -> Path:
    """The course reduced to one quick assignment, as a folder of its own."""
    course = tmp_path / name
    shutil.copytree(ROOT / "assignments" / ASSIGNMENT, course / "assignments" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "reference").mkdir()
    shutil.copyfile(ROOT / "reference" / f"{ASSIGNMENT}.py", course / "reference" / f"{ASSIGNMENT}.py")
    return course


def make_kit(folder: Path) -> None:
    # a kit takes the rubric's modules from those loaded: load this course's afresh, whichever course a
    # previous test loaded the same assignment from (otherwise the kit silently lacks rubric.py)
    assignments.load.cache_clear()
    assert main(["kit", str(folder), "--assignment", ASSIGNMENT]) == 0
    assert (folder / "assignments" / ASSIGNMENT / "rubric.py").is_file()


def run_step(script: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A workflow's `run:` as GitHub runs it (bash -eo pipefail), with this environment's Python first."""
    environment = {k: v for k, v in os.environ.items() if k != "GRADER_COURSE_DIR"}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment |= env or {}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=900)


def steps_of(workflow: dict) -> list[dict]:
    [job] = workflow["jobs"].values()
    return job["steps"]


def named(workflow: dict, name: str) -> dict:
    [step] = [s for s in steps_of(workflow) if s.get("name") == name]
    return step


# -- the command line ------------------------------------------------------------------------------------------

def test_every_argument_says_what_it_is_for():
    top, handlers = parser_and_handlers()
    assert set(handlers) == {"ci", "gradescope"}

    def parsers(parser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action.choices.values():
                    yield from parsers(choice)

    seen = 0
    for parser in parsers(top):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) or parser is top:
                continue
            assert action.help and action.help.strip(), f"{parser.prog} {action.dest} has no help"
            seen += 1
    assert seen >= 20


def test_a_workflow_never_silently_replaces_an_edited_one(tmp_path, capsys):
    out = tmp_path / "grade.yml"
    assert command("ci", "github", "--out", str(out)) == 0
    assert command("ci", "github", "--out", str(out)) == 0  # the same content: nothing to lose
    out.write_text(out.read_text() + "# the staff's own edit\n")
    with pytest.raises(HarnessError, match="--force"):
        command("ci", "github", "--out", str(out))
    assert command("ci", "github", "--out", str(out), "--force") == 0
    assert "the staff's own edit" not in out.read_text()
    with pytest.raises(SystemExit):  # a secret name GitHub would reject never reaches the file
        command("ci", "github", "--out", str(out), "--secret", "GITHUB_TOKEN")


# -- grader ci github ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_staff_workflow_parses_and_its_steps_grade_a_class_here(tmp_path, monkeypatch):
    repo = course_copy(tmp_path, "staff-repo")
    for student in ("ada", "ben"):
        folder = repo / "submissions" / student
        folder.mkdir(parents=True)
        shutil.copyfile(EXAMPLES / student / f"{ASSIGNMENT}.ipynb", folder / f"{ASSIGNMENT}.ipynb")
    out = repo / ".github" / "workflows" / "grade.yml"
    assert command("ci", "github", "--out", str(out), "--secret", "COURSE_SEED") == 0

    workflow = yaml.safe_load(out.read_text())
    assert set(workflow["on"]) == {"push", "workflow_dispatch"}  # 'on' stays a string key, not YAML 1.1's True
    assert "submissions/**" in workflow["on"]["push"]["paths"]
    assert workflow["permissions"]["checks"] == "write"  # the test report is a check run
    job = workflow["jobs"]["grade"]
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("mikepenz/action-junit-report@") for u in uses)
    grade = named(workflow, "Grade")
    assert grade["env"] == {"GRADER_SEED": "${{ secrets.COURSE_SEED }}"}  # the secret reaches no argv in YAML
    assert "${{" not in grade["run"]  # no expression is spliced into the script (script injection)
    assert "bubblewrap" in named(workflow, "Install bubblewrap (the sandbox)")["run"]
    assert named(workflow, "Install the grader")["run"] == "python -m pip install ."
    # the gradebook restored, written and saved is one file
    gradebook = job["env"]["GRADER_GRADEBOOK"]
    assert named(workflow, "Restore the gradebook")["with"]["path"] == gradebook
    assert named(workflow, "Save the gradebook")["with"]["path"] == gradebook
    for step in ("Save the gradebook", "Upload the reports", "Publish the grades as a test report"):
        assert named(workflow, step)["if"].startswith("always()")  # also after a run with harness errors

    sandbox = run_step(named(workflow, "Check the sandbox")["run"], repo)
    assert sandbox.returncode == (0 if isolation.available_method() == "bubblewrap" else 1), sandbox.stderr
    env = dict(job["env"], GRADER_SEED=str(LONG_SEED))
    done = run_step(grade["run"], repo, env)
    assert done.returncode == 0, done.stdout + done.stderr
    reports = repo / named(workflow, "Upload the reports")["with"]["path"]
    junit = ET.parse(repo / named(workflow, "Publish the grades as a test report")["with"]["report_paths"])
    assert len(junit.getroot().findall(".//testcase")) >= 2 * 10
    assert json.loads((reports / "results.json").read_text())["seed"] == LONG_SEED
    assert (repo / gradebook).is_file()
    again = run_step(grade["run"], repo, env)  # the next push: the restored gradebook keeps what did not change
    assert again.returncode == 0 and "0 graded now, 2 unchanged" in again.stdout, again.stdout + again.stderr


def test_without_the_secret_the_staff_workflow_warns_and_keeps_the_gradebooks_seed():
    script = workflows.grade_command(workflows.StaffOptions())
    assert '--seed "$GRADER_SEED"' in script and "::warning::" in script
    done = run_step(script.replace("grader grade", "echo grader grade"), ROOT, {"GRADER_SEED": ""})
    assert done.returncode == 0
    assert "::warning::" in done.stdout and "--seed" not in done.stdout.split("\n", 1)[1]


# -- grader ci classroom ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def student_repo(tmp_path_factory):
    """A student's repository as Classroom makes it: the template's kit and notebook, and the workflow."""
    repo = tmp_path_factory.mktemp("student-repo")
    make_kit(repo / "grader-kit")
    out = repo / ".github" / "workflows" / "classroom.yml"
    previous = os.environ.get("GRADER_COURSE_DIR")
    try:
        assert command("ci", "classroom", "--course", str(repo / "grader-kit"), "--out", str(out)) == 0
    finally:
        os.environ.pop("GRADER_COURSE_DIR", None)
        if previous is not None:
            os.environ["GRADER_COURSE_DIR"] = previous
    return repo, yaml.safe_load(out.read_text())


def reporter_view(workflow: dict, outputs: dict[str, str]) -> list[tuple[str, dict]]:
    """What classroom-resources/autograding-grading-reporter reads: for each runner, <RUNNER>_RESULTS, which
    the workflow maps to that step's `result` output, base64-decoded JSON."""
    reporter = named(workflow, "Autograding Reporter")
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    read = []
    for runner in reporter["with"]["runners"].split(","):
        expression = reporter["env"][f"{runner.strip().upper()}_RESULTS"]
        assert expression == f"${{{{ steps.{runner}.outputs.result }}}}"
        read.append((runner, json.loads(base64.b64decode(outputs[runner]))))
    return read


def run_checks(repo: Path, workflow: dict, notebook: Path) -> list[tuple[str, dict]]:
    shutil.copyfile(notebook, repo / f"{ASSIGNMENT}.ipynb")
    outputs = {}
    for step in steps_of(workflow):
        if "id" not in step:
            continue
        output = repo / f"output-{step['id']}"
        output.unlink(missing_ok=True)
        done = run_step(step["run"], repo, {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(repo / "summary")})
        assert done.returncode == 0, done.stdout + done.stderr  # a failing step would skip the reporter
        assert "PASS" in done.stdout  # the check table, in the job's log
        [line] = output.read_text().splitlines()
        key, _, value = line.partition("=")
        assert key == "result"
        outputs[step["id"]] = value
    return reporter_view(workflow, outputs)


def test_the_classroom_workflow_parses_and_reports_a_correct_notebooks_points(student_repo):
    repo, workflow = student_repo
    assert workflow["on"] == ["push", "repository_dispatch", "workflow_dispatch"]
    assert workflow["jobs"]["run-autograding-tests"]["if"] == "github.actor != 'github-classroom[bot]'"
    assert named(workflow, "Install the grader")["run"].endswith("nn-grader==0.1.0")  # the kit's own version
    [(runner, result)] = run_checks(repo, workflow, EXAMPLES / "ada" / f"{ASSIGNMENT}.ipynb")
    jsonschema.validate(result, schema("classroom.schema.json"))
    public = [c for c in assignments.load(ASSIGNMENT).rubric.checks if not c.hidden]
    assert runner == ASSIGNMENT and result["status"] == "pass"
    assert result["max_score"] == sum(c.points for c in public)
    # Classroom's points: the reporter's sum of the tests' scores over the runners' max_score
    assert sum(t["score"] for t in result["tests"]) == result["max_score"]


@pytest.mark.slow
def test_the_classroom_result_holds_public_checks_only_and_a_wrong_notebook_fails(student_repo):
    repo, workflow = student_repo
    [(_, result)] = run_checks(repo, workflow, EXAMPLES / "ben" / f"{ASSIGNMENT}.ipynb")
    jsonschema.validate(result, schema("classroom.schema.json"))
    rubric = assignments.load(ASSIGNMENT).rubric
    assert {t["name"] for t in result["tests"]} == {c.name for c in rubric.checks if not c.hidden}
    assert result["status"] == "fail"  # the reporter then fails the job, and the student sees why
    failed = [t for t in result["tests"] if t["status"] == "fail"]
    assert failed and all(t["score"] < t["max_score"] and t["message"] for t in failed)
    assert "points" in (repo / "summary").read_text()


def test_hidden_checks_never_reach_classroom_and_a_grader_failure_is_not_a_zero():
    def check(name, visibility, status="passed", score=1.0):
        return grader_results.TestResult(name=name, score=score, max_score=1.0, status=status, visibility=visibility,
                          message=f"{name}: expected 42", hint=f"{name} hint")

    sub = SubmissionResult(student="me", assignment="xor", path="xor.ipynb", status="graded", score=1.0,
                           max_score=2.0, duration_s=1.0, message="ran cleanly",
                           tests=[check("shown", "public", "failed", 0.0), check("secret", "hidden")])
    result = classroom_result.result_of(sub, "xor.ipynb")
    jsonschema.validate(result, schema("classroom.schema.json"))
    assert [t["name"] for t in result["tests"]] == ["shown"] and "secret" not in json.dumps(result)
    assert result["max_score"] == 1.0 and "hint: shown hint" in result["tests"][0]["message"]
    ungraded = classroom_result.result_of(SubmissionResult(
        student="me", assignment="xor", path="xor.ipynb", status="ungraded", score=None, max_score=2.0,
        duration_s=0.0, message="not graded: the grader failed"), "xor.ipynb")
    jsonschema.validate(ungraded, schema("classroom.schema.json"))
    # the reporter skips a runner without max_score when it totals points for Classroom: no zero recorded
    assert ungraded["status"] == "error" and ungraded["max_score"] == 0
    assert sum(t["score"] for t in ungraded["tests"]) == 0


def test_a_missing_notebook_fails_with_the_assignments_points(student_repo, tmp_path):
    repo, _ = student_repo
    output = tmp_path / "output"
    done = run_step(f"python -m grader.packaging.classroom_result nothing-here.ipynb --course grader-kit "
                    f"--assignment {ASSIGNMENT} --output {output}", repo)
    assert done.returncode == 0
    result = json.loads(base64.b64decode(output.read_text().strip().partition("=")[2]))
    jsonschema.validate(result, schema("classroom.schema.json"))
    assert result["status"] == "fail" and result["max_score"] > 0 and "not found" in result["tests"][0]["message"]


# -- grader gradescope -----------------------------------------------------------------------------------------

@pytest.fixture
def decoyed_course(tmp_path):
    """A course folder holding what must never leave in the zip."""
    course = course_copy(tmp_path)
    folder = course / "assignments" / ASSIGNMENT
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "rubric.cpython-311.pyc").write_bytes(b"\0")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "template-checkpoint.ipynb").write_text("{}")
    (folder / "reports").mkdir()
    (folder / "reports" / "results.json").write_text("{}")
    (folder / "gradebook.sqlite").write_bytes(b"SQLite format 3\0")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]\n")
    return course


def build_zip(tmp_path: Path, course: Path, monkeypatch, *extra: str) -> Path:
    monkeypatch.setenv("GRADER_COURSE_DIR", str(course))
    out = tmp_path / "autograder.zip"
    assert command("gradescope", str(out), "--course", str(course), *extra) == 0
    return out


def zip_seed(archive: Path) -> int:
    with zipfile.ZipFile(archive) as z:
        return int(z.read("grader_seed"))


def test_the_zip_holds_what_gradescope_needs_and_nothing_else(tmp_path, decoyed_course, monkeypatch):
    archive = build_zip(tmp_path, decoyed_course, monkeypatch, "--assignment", ASSIGNMENT)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds the reference and the seed
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in z.infolist()}
        config = json.loads(z.read("autograder.json"))
        scripts = {name: z.read(name).decode() for name in ("setup.sh", "run_autograder")}
    for required in ("setup.sh", "run_autograder", "pyproject.toml", "README.md", "grader/cli.py",
                     "grader/packaging/autograder.py", "grader/schema/gradescope.schema.json",
                     f"assignments/{ASSIGNMENT}/rubric.py", f"reference/{ASSIGNMENT}.py"):
        assert required in names
    for name in names:
        parts = name.split("/")
        assert "__pycache__" not in parts and ".git" not in parts and "reports" not in parts, name
        assert not name.endswith((".pyc", ".sqlite")) and ".ipynb_checkpoints" not in parts, name
    assert not any(n.startswith(("assignments/xor", "reference/xor", "submissions")) for n in names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755 and modes["grader_seed"] == 0o600
    assert config["assignment"] == ASSIGNMENT and "seed" not in json.dumps(config)
    for name, text in scripts.items():
        assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0, name
    assert "--seed" not in scripts["run_autograder"]  # no secret on a command line any process can read
    assert "AUTOGRADER_ROOT" in scripts["run_autograder"] and "AUTOGRADER_ROOT" in scripts["setup.sh"]

    seed = zip_seed(archive)
    assert 64 < seed.bit_length() <= 128  # 128 random bits (one draw in 2**64 would be shorter)
    assert zip_seed(build_zip(tmp_path, decoyed_course, monkeypatch, "--assignment", ASSIGNMENT)) != seed
    assert zip_seed(build_zip(tmp_path, decoyed_course, monkeypatch, "--seed", str(LONG_SEED))) == LONG_SEED


def test_a_data_set_travels_in_the_zip_and_submissions_only_reach_its_held_out_copy(tmp_path, monkeypatch):
    skip_without_mnist()
    monkeypatch.setenv("GRADER_COURSE_DIR", str(ROOT))
    archive = tmp_path / "mnist.zip"
    assert command("gradescope", str(archive), "--assignment", "mnist") == 0
    with zipfile.ZipFile(archive) as z:
        assert "data/mnist.npz" in z.namelist()
    for variable in ("GRADER_CACHE_DIR", "GRADER_DATA_DIR"):  # configure() sets them: restored afterwards
        monkeypatch.setenv(variable, "")
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # every uid can reach it, as /autograder
        os.chmod(folder, 0o755)
        root = gradescope_layout(Path(folder), archive)
        layout = autograder.Layout.at(root)
        autograder.secure(layout)
        autograder.configure(layout)
        [copy] = autograder.sandbox_data(layout, ["mnist"])
        assert copy.parent == root / "grader-cache" / "datasets"  # not the real test set, which stays root-only
        assert root / "source" / "data" / "mnist.npz" in autograder.secrets_of(layout)
        if os.geteuid() == 0:  # as the uid submissions run as without bubblewrap
            assert autograder.readable_by(copy, isolation.NOBODY)
            assert not any(autograder.readable_by(p, isolation.NOBODY) for p in autograder.secrets_of(layout))


def test_a_kit_cannot_become_a_gradescope_autograder(tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    make_kit(kit)
    monkeypatch.setenv("GRADER_COURSE_DIR", str(kit))
    with pytest.raises(HarnessError, match="no reference"):
        command("gradescope", str(tmp_path / "a.zip"), "--course", str(kit))


def gradescope_layout(tmp_path: Path, archive: Path, submission: Path | None = None) -> Path:
    """A local copy of Gradescope's /autograder: source/ (the zip), submission/, results/, run_autograder."""
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(archive) as z:
        z.extractall(root / "source")  # as Gradescope does: file modes are not kept; run_autograder sets them
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    os.chmod(root / "run_autograder", 0o755)
    if submission is not None:
        shutil.copyfile(submission, root / "submission" / submission.name)
    return root


def autograde(root: Path, step: str = "run", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("GRADER_COURSE_DIR", "GRADER_CACHE_DIR", "GRADER_GRADEBOOK")}
    environment |= {"AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable} | (env or {})
    argv = [str(root / "run_autograder")] if step == "run" else \
        [sys.executable, "-I", "-m", "grader.packaging.autograder", step, "--root", str(root)]
    return subprocess.run(argv, cwd=root, env=environment, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_run_autograder_grades_one_student_into_gradescopes_results_json(tmp_path, monkeypatch):
    archive = build_zip(tmp_path, course_copy(tmp_path), monkeypatch, "--assignment", ASSIGNMENT)
    root = gradescope_layout(tmp_path, archive, EXAMPLES / "ada" / f"{ASSIGNMENT}.ipynb")
    prepared = autograde(root, "prepare")  # setup.sh's last step: permissions, data, the reference's observations
    assert prepared.returncode == 0 and "observations for gradient_descent are cached" in prepared.stdout, \
        prepared.stdout + prepared.stderr
    done = autograde(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "out of student code's reach" in done.stdout

    text = (root / "results" / "results.json").read_text()
    results = json.loads(text)
    jsonschema.validate(results, schema("gradescope.schema.json"))
    rubric = assignments.load(ASSIGNMENT).rubric
    assert results["score"] == rubric.max_score and all(t["status"] == "passed" for t in results["tests"])
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert results["output_format"] == "text" and results["stdout_visibility"] == "hidden"
    # graded with the zip's seed (the instructor's report says so), which the student's results never hold
    seed = zip_seed(archive)
    assert json.loads((root / "work" / "reports" / "results.json").read_text())["seed"] == seed
    assert str(seed) not in text and "seed" not in json.dumps(results["extra_data"])
    reference = (ROOT / "reference" / f"{ASSIGNMENT}.py").read_text().splitlines()
    assert not [line for line in reference if len(line.strip()) > 30 and line.strip() in text]
    # root only: the seed, the reference, the observations (the reference's too) and this run's reports
    for path, mode in ((root / "source", 0o700), (root / "source" / "grader_seed", 0o600),
                       (root / "grader-cache" / "observations", 0o700), (root / "work", 0o700)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    if os.geteuid() == 0:
        assert not autograder.readable_by(root / "source" / "grader_seed", isolation.NOBODY)


def test_a_link_to_the_reference_is_never_graded_as_the_students_notebook(tmp_path, monkeypatch):
    archive = build_zip(tmp_path, course_copy(tmp_path), monkeypatch, "--assignment", ASSIGNMENT)
    root = gradescope_layout(tmp_path, archive)
    # the attack: a submission (a GitHub upload keeps links) whose notebook is a link to the reference
    os.symlink(root / "source" / "reference" / f"{ASSIGNMENT}.py", root / "submission" / f"{ASSIGNMENT}.ipynb")
    os.symlink(root / "source", root / "submission" / "linked-folder")
    done = autograde(root)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, schema("gradescope.schema.json"))
    assert results["score"] == 0
    assert [t["max_score"] for t in results["tests"]] == [assignments.load(ASSIGNMENT).rubric.max_score]
    assert "symbolic link, not graded" in results["output"] and "not followed" in results["output"]


def test_run_autograder_without_setup_still_writes_results_that_blame_no_student(tmp_path, monkeypatch):
    archive = build_zip(tmp_path, course_copy(tmp_path), monkeypatch, "--assignment", ASSIGNMENT)
    root = gradescope_layout(tmp_path, archive, EXAMPLES / "ada" / f"{ASSIGNMENT}.ipynb")
    done = autograde(root, env={"GRADER_PYTHON": str(tmp_path / "no-venv" / "bin" / "python")})
    assert done.returncode == 1 and "setup.sh did not finish" in done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, schema("gradescope.schema.json"))
    assert "not your doing" in results["output"]


def test_run_autograder_refuses_to_grade_where_student_code_could_read_the_seed(tmp_path, monkeypatch):
    archive = build_zip(tmp_path, course_copy(tmp_path), monkeypatch, "--assignment", ASSIGNMENT)
    root = gradescope_layout(tmp_path, archive, EXAMPLES / "ada" / f"{ASSIGNMENT}.ipynb")
    # no bubblewrap, as in Gradescope's containers: the child must drop from root to an unprivileged uid
    dropped = isolation.layout("none", Path("/nonexistent"), {}).drop_to_uid
    if os.geteuid() != 0 or dropped is not None:
        pytest.skip("shown here only as root with a Python that other users cannot read (see the unit test below)")
    done = autograde(root, env={"GRADER_SANDBOX": "none"})
    assert done.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, schema("gradescope.schema.json"))
    assert results["extra_data"]["autograder_error"] and "not your doing" in results["output"]
    assert "keep root's privileges" in done.stdout  # the instructor's log says why
    assert not (root / "work" / "reports").exists()  # nothing ran


def test_exposure_checks_try_the_files_as_the_uid_student_code_runs_as(monkeypatch):
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # below /tmp, which every uid can reach
        base = Path(folder)
        os.chmod(base, 0o755)
        source = base / "source"
        source.mkdir(mode=0o700)
        seed = source / "grader_seed"
        seed.write_text("1\n")
        os.chmod(seed, 0o600)
        data = base / "mnist-held-out.npz"  # what submissions must be able to load
        data.write_text("data\n")
        os.chmod(data, 0o644)

        monkeypatch.setattr(isolation, "available_method", lambda: "bubblewrap")
        assert autograder.exposure_problems([seed], [data]) == []
        inside = isolation.RUNTIME_DIR / "grader_seed"  # e.g. the source of an editable install
        assert "shows to student code" in autograder.exposure_problems([inside], [])[0]

        monkeypatch.setattr(isolation, "available_method", lambda: "none")  # Gradescope's containers
        if os.geteuid() != 0:
            assert "not running as root" in autograder.exposure_problems([seed], [])[0]
            return
        keeps_root = isolation.Layout("none", "/tmp", "/tmp", (), None)
        monkeypatch.setattr(isolation, "layout", lambda *args: keeps_root)
        assert "keep root's privileges" in autograder.exposure_problems([seed], [data])[0]
        drops = isolation.Layout("none", "/tmp", "/tmp", (), isolation.NOBODY)
        monkeypatch.setattr(isolation, "layout", lambda *args: drops)
        assert autograder.exposure_problems([seed], [data]) == []
        # the attack this stops: an extraction that left the seed readable to everyone
        os.chmod(source, 0o755)
        os.chmod(seed, 0o644)
        assert "can be read by uid 65534" in autograder.exposure_problems([seed], [data])[0]
        # and the grader's own fault it catches: data a submission needs but cannot open
        os.chmod(data, 0o600)
        assert "cannot be read" in autograder.exposure_problems([], [data])[0]


def test_results_holding_the_seed_are_never_released():
    seed = LONG_SEED
    leaked = {"score": 24.0, "tests": [{"name": "x", "score": 1.0, "output": f"you printed {seed}"}]}
    held = autograder.released(leaked, seed)
    assert str(seed) not in json.dumps(held) and held["extra_data"]["autograder_error"]
    fine = autograder.released({"score": 24.0, "tests": []}, seed)
    assert fine["score"] == 24.0 and fine["output_format"] == "text"


@pytest.mark.slow
def test_the_zip_installs_with_pip_and_grades_from_its_own_copy(tmp_path, monkeypatch):
    """What setup.sh does, but offline: pip installs the zip's source (its pyproject, README and package)
    into a venv whose dependencies are this environment's; run_autograder then grades with that copy."""
    import sysconfig

    archive = build_zip(tmp_path, course_copy(tmp_path), monkeypatch, "--assignment", ASSIGNMENT)
    root = gradescope_layout(tmp_path, archive, EXAMPLES / "ben" / f"{ASSIGNMENT}.ipynb")
    source = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as z:
        z.extractall(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "wheel"), str(source)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next((tmp_path / "wheel").glob("nn_grader-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True)
    located = subprocess.run([str(python), "-I", "-c", "import grader; print(grader.__file__)"], cwd=root,
                             capture_output=True, text=True, check=True).stdout
    assert located.startswith(str(venv)), located
    templates = os.path.join(sys.prefix, "share", "jupyter")  # nbconvert's, which a real install brings
    done = autograde(root, env={"GRADER_PYTHON": str(python), "JUPYTER_PATH": templates})
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, schema("gradescope.schema.json"))
    assert 0 < results["score"] < assignments.load(ASSIGNMENT).rubric.max_score  # ben's mistakes cost points
