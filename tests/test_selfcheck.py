"""Self-check in about a second: the live in-kernel check, its report, and the per-user warm checker."""

from __future__ import annotations

import contextlib
import io
import json
import linecache
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import grader
from grader import assignments, pipeline
from grader.notebook import code_cells
from grader import results
from grader.results import SubmissionResult
from grader.selfcheck import daemon, live, plans
from grader.selfcheck.report import CheckReport

from conftest import REFERENCE, variant

WRONG = {  # a plausible mistake per assignment: (text in the reference, its replacement, the checks it fails)
    "gradient_descent": ("def matrix_product(a, b):\n    return tf.matmul(a, b)",
                         "def matrix_product(a, b):\n    return tf.multiply(a, b)", {"matrix_product"}),
    "softmax": ("    return e / tf.reduce_sum(e, axis=1, keepdims=True)", "    return e",
                {"softmax", "softmax_from_scratch", "softmax_large_logits", "chair_table_door_bed", "table_loss"}),
}


def namespace_of(path: Path, assignment: str) -> dict:
    """What a kernel holds after running every cell of ``path`` (with the grader's injected budget)."""
    rubric = assignments.load(assignment).rubric
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in code_cells(path, rubric.parameters).cells:
            name = f"<cell {cell['index']}>"  # its source findable, as IPython makes a cell's
            linecache.cache[name] = (len(cell["source"]), None, cell["source"].splitlines(True), name)
            exec(compile(cell["source"], name, "exec"), namespace)
    return namespace


def outcome(result: SubmissionResult) -> dict:
    return {t.name: (t.status, t.score) for t in result.tests}


def snapshot(namespace: dict) -> dict:
    return {key: id(value) for key, value in namespace.items()}


# --- the live check -----------------------------------------------------------------------------------
@pytest.mark.parametrize("assignment", [pytest.param("gradient_descent", marks=pytest.mark.slow), "softmax"])
def test_the_reference_kernel_passes_every_public_check_and_is_left_as_it_was(assignment):
    namespace = namespace_of(REFERENCE / f"{assignment}.py", assignment)
    before = snapshot(namespace)
    report = grader.check(namespace=namespace, quiet=True)
    assert report.result.assignment == assignment and not report.harness_errors
    public = assignments.load(assignment).rubric.checks_for(public_only=True)
    assert report.passed and report.score == report.max_score == sum(c.points for c in public)
    assert [t.name for t in report.result.tests] == [c.name for c in public]
    assert snapshot(namespace) == before


def test_a_student_kit_judges_the_live_kernel_against_its_published_observations(tmp_path, monkeypatch):
    """On a student's machine there is no reference: the kit's public observations are all there is, and a
    hidden check cannot even be asked for."""
    from grader import student_kit

    kit = tmp_path / "kit"
    student_kit.write(kit, ["softmax"])
    namespace = namespace_of(REFERENCE / "softmax.py", "softmax")
    monkeypatch.setenv("GRADER_COURSE_DIR", str(kit))
    assignments.load.cache_clear()
    try:
        plan = plans.public_plan("softmax")
        assert plan.assignment.reference is None and plan.assignment.folder.is_relative_to(kit)
        report = grader.check(namespace=namespace, quiet=True)
        assert report.passed and not report.harness_errors and report.result.assignment == "softmax"
        with pytest.raises(plans.SelfCheckError, match="hidden check"):
            grader.check("softmax_hidden", namespace=namespace, quiet=True)
        published = kit / "assignments" / "softmax" / student_kit.PUBLISHED
        published.write_text(published.read_text().replace('"probes_digest": "', '"probes_digest": "x'))
        stale = grader.check("softmax", namespace=namespace, quiet=True)  # a new kit file: read again
        assert stale.result.status == "ungraded" and stale.score is None
        assert any("ask for a new kit" in e for e in stale.harness_errors)
    finally:
        assignments.load.cache_clear()


@pytest.mark.parametrize("assignment", ["gradient_descent", "softmax"])
def test_a_wrong_implementation_fails_exactly_its_checks(assignment, tmp_path):
    old, new, fails = WRONG[assignment]
    namespace = namespace_of(variant(assignment, {old: new}, tmp_path), assignment)
    report = grader.check(namespace=namespace, assignment=assignment, quiet=True)
    assert {t.name for t in report.result.tests if t.status != "passed"} == fails
    assert not report.passed and report.score < report.max_score


def test_one_check_by_name_runs_only_its_probe_and_is_quick():
    namespace = namespace_of(REFERENCE / "gradient_descent.py", "gradient_descent")
    grader.check("matrix_product", namespace=namespace, quiet=True)  # the reference's observations, loaded once
    started = time.perf_counter()
    report = grader.check("matrix_product", namespace=namespace, quiet=True)
    assert time.perf_counter() - started < 1.0
    assert [t.name for t in report.result.tests] == ["matrix_product"] and report.passed


XOR_KERNEL = """
import tensorflow as tf
W1 = tf.Variable([[0.1, 0.2], [0.3, 0.4]])
b1 = tf.Variable([[0.0, 0.1]])
W2 = tf.Variable([[0.5], [0.6]])
b2 = tf.Variable(tf.zeros((3, 3)))  # the wrong shape: the probe puts a variable of its own in its place
x = tf.constant([[0, 0], [0, 1], [1, 0], [1, 1]], tf.float32)

def run_network(x):
    h1 = tf.sigmoid(tf.matmul(x, W1) + b1)
    return tf.sigmoid(tf.matmul(h1, W2) + b2)
"""


@pytest.mark.slow
def test_injected_weights_and_random_states_are_put_back():
    import numpy as np

    namespace: dict = {}
    exec(XOR_KERNEL, namespace)
    before, values = snapshot(namespace), {k: namespace[k].numpy().copy() for k in ("W1", "b1", "W2", "b2")}
    random.seed(5)
    np.random.seed(5)
    python_state, numpy_state = random.getstate(), np.random.get_state()[1].copy()
    stdout = sys.stdout
    report = grader.check("forward_pass", assignment="xor", namespace=namespace, quiet=True)
    assert [t.name for t in report.result.tests] == ["forward_pass"]
    assert snapshot(namespace) == before  # the probe's own b2 is gone, the student's is back
    for name, value in values.items():
        np.testing.assert_array_equal(namespace[name].numpy(), value)
    assert random.getstate() == python_state and (np.random.get_state()[1] == numpy_state).all()
    assert sys.stdout is stdout


def test_a_self_description_is_credited_by_evidence_as_in_grading():
    """weight_shapes counts once a behaviour check passes: asked alone, the cheapest such check is judged
    beside it (not shown); without a working network it stays uncredited, as in grading."""
    namespace: dict = {}
    exec(XOR_KERNEL.replace("tf.Variable(tf.zeros((3, 3)))", "tf.Variable([[0.0]])"), namespace)
    report = grader.check("weight_shapes", assignment="xor", namespace=namespace, quiet=True)
    assert [t.name for t in report.result.tests] == ["weight_shapes"] and report.passed
    assert report.score == report.max_score == 2
    namespace["run_network"] = lambda x: None  # not implemented yet: no behaviour shown
    report = grader.check("weight_shapes", assignment="xor", namespace=namespace, quiet=True)
    assert [t.name for t in report.result.tests] == ["weight_shapes"] and report.score == 0
    assert "not credited yet" in report.result.tests[0].message


def test_what_the_probes_return_goes_through_the_gate():
    """Attack: a function whose error carries terminal escapes and a bidi override into the report."""
    namespace = namespace_of(REFERENCE / "softmax.py", "softmax")

    def softmax(y):
        raise ValueError("\x1b[2J\x1b[31mall checks passed\u202e")

    namespace["softmax"] = softmax
    report = grader.check("softmax", assignment="softmax", namespace=namespace, quiet=True)
    [test] = report.result.tests
    assert test.status == "error"
    text = test.message + str(report) + report._repr_html_()
    assert "\x1b" not in text and "\u202e" not in text


def test_ctrl_c_in_a_probe_stops_the_check_and_restores_the_namespace():
    namespace = namespace_of(REFERENCE / "softmax.py", "softmax")
    before = snapshot(namespace)

    def softmax(y):
        namespace["leftover"] = 1
        raise KeyboardInterrupt

    namespace["softmax"] = softmax
    before = snapshot(namespace)
    with pytest.raises(KeyboardInterrupt):
        grader.check("softmax", assignment="softmax", namespace=namespace, quiet=True)
    assert snapshot(namespace) == before


def test_in_ipython_the_user_namespace_is_checked_and_the_report_shows_itself(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        rubric = assignments.load("softmax").rubric
        for cell in code_cells(REFERENCE / "softmax.py", rubric.parameters).cells:
            assert shell.run_cell(cell["source"]).success
        capsys.readouterr()
        assert shell.run_cell("import grader\nreport = grader.check('cross_entropy')").success
        report = shell.user_ns["report"]
        assert [t.name for t in report.result.tests] == ["cross_entropy"] and report.passed
        assert "recognised as softmax" in report.result.identified
        assert "PASS" not in capsys.readouterr().out  # not printed: Jupyter displays the returned report
        assert "<table>" in shell.display_formatter.format(report)[0]["text/html"]
    finally:
        InteractiveShell.clear_instance()


def test_the_caller_globals_are_the_namespace_outside_ipython(monkeypatch):
    seen = {}
    monkeypatch.setattr(live, "check_live", lambda what, **kw: seen.update(kw, what=what) or "report")
    assert grader.check("softmax", quiet=True) == "report"
    assert seen["caller_globals"] is globals() and seen["what"] == "softmax"


def test_a_path_is_a_saved_file_checked_from_scratch(monkeypatch, tmp_path):
    calls = []
    fake = SubmissionResult("me", "xor", "xor.ipynb", "graded", 1.0, 1.0, 0.1, "ran cleanly",
                            [results.TestResult("forward_pass", 1.0, 1.0, "passed", "public", "ok")])
    monkeypatch.setattr(daemon, "check_file", lambda path, assignment=None: calls.append(path) or (fake, []))
    for what in ("xor.ipynb", tmp_path / "mine.py", "folder/xor"):
        report = grader.check(what, quiet=True)
        assert isinstance(report, CheckReport) and report.passed
    assert calls == [Path("xor.ipynb"), tmp_path / "mine.py", Path("folder/xor")]


# --- which assignment ---------------------------------------------------------------------------------
def test_the_assignment_is_recognised_by_the_names_the_kernel_defines():
    names = dict.fromkeys(["W1", "b1", "W2", "b2", "y_labels", "train_model", "calc_loss", "tf"])
    assert plans.which_assignment(names, None, None)[0] == "xor"
    assert plans.which_assignment(dict.fromkeys(["softmax", "cross_entropy", "tf"]), None, None)[0] == "softmax"
    # forward_pass is a check of xor and of mnist: the names decide
    assert plans.which_assignment(names, None, "forward_pass")[0] == "xor"
    # one_hot is softmax's and iris's; normalise is iris's alone
    assert plans.which_assignment({}, None, "normalise")[0] == "iris"


def test_the_notebook_metadata_names_the_assignment(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook(metadata={"nn_grader": {"assignment": "softmax"}})
    path = tmp_path / "my work (2).ipynb"
    nbformat.write(notebook, path)
    assignment, how = plans.which_assignment({"__session__": str(path), "W1": 1, "b1": 1}, None, None)
    assert assignment == "softmax" and "metadata" in how


def test_what_cannot_be_told_is_said_clearly():
    with pytest.raises(plans.SelfCheckError, match="cannot tell which assignment.*assignment="):
        plans.which_assignment({}, None, None)
    with pytest.raises(plans.SelfCheckError, match="no assignment of this course has a check named 'nonsense'"):
        plans.which_assignment({}, None, "nonsense")
    with pytest.raises(plans.SelfCheckError, match="unknown assignment 'nope'"):
        plans.which_assignment({}, "nope", None)
    plan = plans.public_plan("xor")
    with pytest.raises(plans.SelfCheckError, match="hidden check of xor"):
        plans.chosen_checks(plan, "forward_pass_hidden")
    with pytest.raises(plans.SelfCheckError, match="its public checks: forward_pass"):
        plans.chosen_checks(plan, "forward")


def test_nothing_hidden_is_probed_or_loaded():
    plan = plans.public_plan("xor")
    assert plan.checks and not any(c.hidden for c in plan.checks)
    assert all(not p.hidden for p in assignments.load("xor").rubric.probes_for(plan.checks))
    assert set(plan.inputs) == {c.probe for c in plan.checks}


# --- the report ---------------------------------------------------------------------------------------
def hostile_result() -> SubmissionResult:
    return SubmissionResult(
        "me", "softmax", "<img src=x onerror=alert(1)>.ipynb", "graded", 1.0, 3.0, 0.2, "ran cleanly",
        [results.TestResult("softmax", 1.0, 1.0, "passed", "public", "matches the reference"),
         results.TestResult("cross_entropy", 0.0, 2.0, "failed", "public", "<script>alert('x')</script> & more",
                    hint="use <b>keepdims</b>")])


def test_the_html_table_names_every_check_and_escapes_what_the_submission_wrote():
    html = CheckReport(hostile_result())._repr_html_()
    assert "softmax" in html and "cross_entropy" in html and "FAIL" in html and "0/2" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "<b>keepdims" not in html
    assert "hint: use &lt;b&gt;keepdims&lt;/b&gt;" in html


def test_the_text_form_is_the_terminal_table_not_a_dataclass_dump():
    report = CheckReport(hostile_result(), ["the reference could not run"])
    text = repr(report)
    assert text == str(report) and "SubmissionResult(" not in text and len(text) < 2000
    assert "FAIL  cross_entropy" in text and "grader: the reference could not run" in text
    assert report.score == 1.0 and report.max_score == 3.0 and not report.passed


# --- the warm checker: no TensorFlow needed -----------------------------------------------------------
@pytest.fixture
def checker_dir(monkeypatch):
    """A private folder for the checker of this test (short: Unix socket paths are limited); every checker
    started here is stopped by its pid afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="sc-"))
    monkeypatch.setenv("GRADER_SELFCHECK_DIR", str(folder))
    monkeypatch.delenv("GRADER_NO_DAEMON", raising=False)
    yield folder
    stop_checker(folder)


def stop_checker(folder: Path) -> None:
    """Stop the checker of ``folder``, then any late starter of a race (it ends by itself once its socket is
    gone); what is still running after that is killed, by pid."""
    try:
        daemon.ask({"op": "stop"}, spawn=False, folder=folder)
    except daemon.DaemonUnavailable:
        pass
    shutil.rmtree(folder, ignore_errors=True)
    deadline = time.monotonic() + 15
    while checkers_of(folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in checkers_of(folder):
        os.kill(pid, 9)


def checkers_of(folder: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and b"grader.selfcheck.server" in command and str(folder).encode() in command \
                and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of ours is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_one_checker_per_user_serves_every_client(checker_dir):
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(daemon.ask({"op": "ping"}))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4 and all(a["ok"] for a in answers)
    assert len({a["pid"] for a in answers}) == 1  # racing starts left one checker
    assert answers[0]["uid"] == os.getuid()
    assert daemon.ask({"op": "ping"})["pid"] == answers[0]["pid"]
    files = daemon.paths(checker_dir)
    assert stat.S_IMODE(os.stat(checker_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(files["socket"]).st_mode) == 0o600


def test_a_stale_socket_is_replaced(checker_dir):
    files = daemon.paths(checker_dir)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(files["socket"]))  # a checker that died without removing its socket
    dead.close()
    assert daemon.ask({"op": "ping"})["ok"]


def test_the_checker_ends_by_itself_when_idle(checker_dir, monkeypatch):
    monkeypatch.setenv("GRADER_SELFCHECK_IDLE", "1")
    pid = daemon.ask({"op": "ping"})["pid"]
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid)
    assert not daemon.paths(checker_dir)["socket"].exists()
    assert daemon.ask({"op": "ping"})["pid"] != pid  # the next client starts a new one


def test_a_checker_of_other_grader_code_hands_over(checker_dir):
    pid = daemon.ask({"op": "ping"})["pid"]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(daemon.paths(checker_dir)["socket"]))
    daemon.send_message(sock, {"op": "ping", "protocol": daemon.PROTOCOL, "code": "other code"})
    assert daemon.read_message(sock, 1 << 20)["kind"] == "stale"
    sock.close()
    assert daemon.ask({"op": "ping"})["pid"] != pid


@pytest.mark.parametrize("make", ["mode", "symlink", "owner"])
def test_a_folder_others_could_enter_or_made_is_not_used(make, monkeypatch, tmp_path):
    """Attack: another user makes /tmp/nn-grader-$UID first (open to them, a symlink to their folder, or
    theirs), to serve the student's checks or read them."""
    folder = tmp_path / "checker"
    if make == "mode":
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)
    elif make == "symlink":
        (tmp_path / "theirs").mkdir(mode=0o700)
        folder.symlink_to(tmp_path / "theirs")
    else:
        if os.getuid() != 0:
            pytest.skip("needs root to make a folder of another user's")
        folder.mkdir(mode=0o700)
        os.chown(folder, 65534, 65534)
    monkeypatch.setenv("GRADER_SELFCHECK_DIR", str(folder))
    monkeypatch.delenv("GRADER_NO_DAEMON", raising=False)
    with pytest.raises(daemon.DaemonUnavailable, match="not a private folder"):
        daemon.runtime_dir()
    fallback = []
    monkeypatch.setattr(daemon, "in_process", lambda *a: fallback.append(a) or ("result", []))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert daemon.check_file(tmp_path / "xor.ipynb") == ("result", [])
    assert fallback and "checking in this process" in err.getvalue() and len(err.getvalue().splitlines()) == 1


@pytest.mark.skipif(os.getuid() != 0 or not Path("/usr/bin/python3").exists(),
                    reason="needs root to act as another uid")
def test_another_user_cannot_use_the_checker(checker_dir):
    """Attack: another local user connects to the student's checker (to run checks as them, or read results)."""
    daemon.ask({"op": "ping"})
    socket_path = daemon.paths(checker_dir)["socket"]
    probe = ("import json, socket, sys\n"
             "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
             "try:\n    s.connect(sys.argv[1])\n"
             "except OSError as e:\n    print('connect', e.errno); sys.exit()\n"
             "try:\n    s.sendall(b'{\"op\": \"ping\", \"protocol\": 1, \"code\": \"\"}\\n')\n"
             "except OSError:\n    pass  # it may have answered and closed first\n"
             "print('answer', s.recv(1000).decode().strip())\n")

    def as_nobody():
        return subprocess.run(["/usr/bin/python3", "-c", probe, str(socket_path)], user=65534, group=65534,
                              capture_output=True, text=True, timeout=30, cwd="/").stdout

    assert as_nobody().startswith("connect 13")  # EACCES: the folder is 0700
    os.chmod(checker_dir, 0o711)  # even where the folder and socket let them in, the checker refuses them
    os.chmod(socket_path, 0o666)
    answer = as_nobody()
    assert answer.startswith("answer ") and json.loads(answer[7:]) == {"ok": False, "kind": "refused",
                                                                          "error": "not your checker"}
    assert "refused a connection from uid 65534" in daemon.paths(checker_dir)["log"].read_text()


def test_no_daemon_for_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADER_NO_DAEMON", "1")
    monkeypatch.setattr(daemon, "ask", lambda *a, **k: pytest.fail("the checker was asked"))
    monkeypatch.setattr(daemon, "in_process", lambda *a: ("in process", []))
    assert daemon.check_file(tmp_path / "xor.ipynb") == ("in process", [])


def test_a_failing_checker_falls_back_and_a_check_that_cannot_start_says_why(monkeypatch, tmp_path):
    from grader.errors import HarnessError

    monkeypatch.delenv("GRADER_NO_DAEMON", raising=False)
    monkeypatch.setattr(daemon, "in_process", lambda *a: ("in process", []))
    monkeypatch.setattr(daemon, "ask", lambda message: {"ok": False, "kind": "internal", "error": "boom"})
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert daemon.check_file(tmp_path / "xor.ipynb") == ("in process", [])
    assert "warm checker is not available (boom); checking in this process" in err.getvalue()
    monkeypatch.setattr(daemon, "ask", lambda message: {"ok": False, "kind": "harness", "error": "cannot tell"})
    with pytest.raises(HarnessError, match="cannot tell"):  # as pipeline.check in-process would
        daemon.check_file(tmp_path / "xor.ipynb")


def test_a_checker_that_cannot_start_is_reported_at_once(checker_dir, monkeypatch):
    monkeypatch.setattr(daemon.sys, "executable", "/bin/false")
    started = time.monotonic()
    with pytest.raises(daemon.DaemonUnavailable, match="failed to start"):
        daemon.ask({"op": "ping"})
    assert time.monotonic() - started < 10


def test_watch_checks_on_every_save_and_ctrl_c_ends_it_quietly(monkeypatch, tmp_path):
    path = tmp_path / "xor.py"
    path.write_text("x = 1\n")
    checked = []
    monkeypatch.setattr(daemon, "check_command", lambda p, *a: checked.append(p.read_text()) or 0)

    def edit():
        time.sleep(0.6)
        path.write_text("x = 22\n")

    threading.Thread(target=edit).start()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert daemon.watch(path, interval=0.05, max_checks=2) == 0
    assert checked == ["x = 1\n", "x = 22\n"]
    monkeypatch.setattr(daemon, "check_command", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with contextlib.redirect_stdout(out):
        assert daemon.watch(path, interval=0.05) == 0


# --- the same result as grading's check: the sandbox runs (slow) --------------------------------------
def edited_copy(source: Path, folder: Path, name: str) -> Path:
    """A saved file after an edit: a new comment, so no cached observation stands in for the run."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_text(source.read_text() + f"\n# edited {random.random()}\n")
    return target


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["gradient_descent", "softmax"])
def test_the_live_check_scores_what_pipeline_check_scores(assignment, tmp_path):
    old, new, fails = WRONG[assignment]
    for path in (REFERENCE / f"{assignment}.py", variant(assignment, {old: new}, tmp_path)):
        saved = pipeline.check(path, assignment=assignment).submissions[0]
        report = grader.check(namespace=namespace_of(path, assignment), assignment=assignment, quiet=True)
        assert outcome(report.result) == outcome(saved)
        assert [t.message for t in report.result.tests] == [t.message for t in saved.tests]


@pytest.mark.slow
def test_the_warm_checker_gives_the_in_process_result_and_stays_warm(checker_dir, tmp_path):
    source = REFERENCE / "gradient_descent.py"
    first = edited_copy(source, tmp_path / "a", "gradient_descent.py")
    result, errors = daemon.check_file(first)
    assert not errors
    workers = daemon.ask({"op": "ping"})["workers"]
    expected, expected_errors = daemon.in_process(edited_copy(source, tmp_path / "b", "gradient_descent.py"))
    assert outcome(result) == outcome(expected) and result.path == str(first) and not expected_errors
    assert [t.message for t in result.tests] == [t.message for t in expected.tests]
    assert result.status == expected.status == "graded" and result.protections == expected.protections
    # two clients at once, each after an edit: both answered, by the same warm worker
    answers = {}
    files = {name: edited_copy(REFERENCE / f"{name}.py", tmp_path / "c", f"{name}.py")
             for name in ("gradient_descent", "softmax")}
    threads = [threading.Thread(target=lambda n=n, p=p: answers.update({n: daemon.check_file(p)}))
               for n, p in files.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.score == r.max_score and not e for r, e in answers.values())
    assert workers[0] is not None and daemon.ask({"op": "ping"})["workers"] == workers
    started = time.perf_counter()
    daemon.check_file(files["softmax"])  # unchanged: the cached observations
    assert time.perf_counter() - started < 2.0


def test_the_check_client_starts_without_numpy_or_tensorflow():
    # every `grader check` pays its client's start-up: the warm checker does the work, so the client must not
    # import NumPy (0.15 s), nbformat or TensorFlow on the way (it did, through the gate and the pipeline)
    probe = ("import sys\nfrom grader import cli\nfrom grader.commands import student\n"
             "from grader.selfcheck import __main__, daemon, report\nfrom grader.writers import terminal\n"
             "print(sorted(m for m in ('numpy', 'nbformat', 'tensorflow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
