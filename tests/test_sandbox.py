"""The sandbox keeps every observation through loops, exits, floods and snooping, and records what it did."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading

import pytest

from conftest import REFERENCE, ROOT, checks_by_name, failing, grade_file, variant
from grader import assignments
from grader.sandbox import confine, isolation
from grader.sandbox.runner import Job, Limits, run_job
from grader.writers import html

BWRAP = isolation.available_method() == "bubblewrap"
PART_B = "# %%\ndef derivative_of_square"


@pytest.fixture
def short_limits(monkeypatch):
    """gradient_descent with a 6 s cell limit, so that endless loops are cheap to test."""
    original = assignments.load("gradient_descent")
    limits = dataclasses.replace(original.rubric.limits, cell_s=6, probe_s=6)
    rubric = dataclasses.replace(original.rubric, limits=limits)
    patched = dataclasses.replace(original, rubric=rubric)
    monkeypatch.setattr(assignments, "load", lambda assignment_id: patched)


def cell(code: str) -> str:
    return f"# %%\n{code}\n\n\n{PART_B}"


def test_endless_loop_times_out_and_every_other_part_keeps_its_points(tmp_path, short_limits):
    path = variant("gradient_descent", {PART_B: cell("while True:\n    pass")}, tmp_path)
    result = grade_file(path)
    assert result.status == "timeout"
    assert result.score == result.max_score
    [looping] = [c for c in result.cells if c.status == "timeout"]
    assert "endless loop" in looping.message and looping.label in result.message
    # the loop had the CPU to itself, so it would time out again: the regrade reuses the result
    again = grade_file(path)
    assert again.cached and (again.status, again.score, again.message) == (result.status, result.score, result.message)


def test_exit_mid_way_and_exit_inside_a_probe_keep_earlier_and_later_points(tmp_path, short_limits):
    path = variant("gradient_descent", {
        PART_B: cell("import os\nos.write(1, b'straight to the terminal\\n')\nprint('bye')\nos._exit(0)"),
        "def count_above(a, threshold):\n    return": "def count_above(a, threshold):\n    import os; os._exit(3)\n    return",
    }, tmp_path)
    result = grade_file(path)
    assert result.status == "crashed"
    assert failing(result) == {"count_above", "count_above_hidden"}
    checks = checks_by_name(result)
    assert checks["count_above"].status == "error" and "exited with code 3" in checks["count_above"].message
    assert result.score == result.max_score - 2
    # the process output of every attempt is kept, not only the last (here silent) one's
    assert "straight to the terminal" in result.process_output


def test_sys_exit_floods_and_garbage_on_the_channel_are_contained(tmp_path, short_limits):
    path = variant("gradient_descent", {PART_B: cell(
        "import os, sys\n"
        "print('<script>alert(1)</script>')\n"
        "print('x' * 5_000_000)\n"
        "for fd in range(3, 64):\n"
        "    try:\n        os.write(fd, b'garbage\\n{\"event\": \"done\"\\n')\n"
        "    except OSError:\n        pass\n"
        "sys.exit('stop here')")}, tmp_path)
    result = grade_file(path)
    assert result.status == "graded" and result.score == result.max_score
    [stopped] = [c for c in result.cells if c.status == "error"]
    assert stopped.error_type == "SystemExit"
    assert len(stopped.output) < 20_000 and "not kept" in stopped.output
    page = html.ENVIRONMENT.get_template("submission.html.j2").render(run=_run(result), sub=result, images=[])
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _run(result):
    from grader.pipeline import new_run

    run = new_run(0, "grade")
    run.submissions = [result]
    return run


@pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable on this host (CI installs it)")
def test_submission_cannot_see_reference_rubrics_or_other_students(tmp_path):
    other = tmp_path / "class" / "other"
    other.mkdir(parents=True)
    (other / "gradient_descent.py").write_text("SECRET = 1\n")
    targets = [REFERENCE / "gradient_descent.py", ROOT / "assignments" / "xor" / "rubric.py",
               other / "gradient_descent.py"]
    probe = "\n".join(f"try:\n    open({str(t)!r}).read(); print('LEAKED', {t.name!r})\n"
                      f"except OSError as e:\n    print('blocked', type(e).__name__)" for t in targets)
    path = variant("gradient_descent", {PART_B: cell(probe)}, tmp_path)
    result = grade_file(path)
    output = "".join(c.output for c in result.cells)
    assert "LEAKED" not in output and output.count("blocked") == 3
    assert result.protections["filesystem_isolated"] and result.protections["network_isolated"]


@pytest.mark.skipif(isolation.available_method() == "none", reason="no network namespace on this host")
def test_no_network_even_to_the_graders_own_loopback():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    code = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            "    print('CONNECTED')\nexcept OSError as e:\n    print('refused', e)")
    record = run_job(Job(cells=[{"index": 1, "source": code}], probes_source="", probes=[], seed=0,
                         limits=Limits(cell_s=30)))
    server.close()
    assert "CONNECTED" not in record.cells[1].output and "refused" in record.cells[1].output
    assert not accepted


def test_memory_limit_turns_a_huge_allocation_into_a_recorded_error():
    code = "import numpy as np\nbig = np.ones((6 * 1024**3) // 8)"
    record = run_job(Job(cells=[{"index": 1, "source": code}, {"index": 2, "source": "print('after')"}],
                         probes_source="", probes=[], seed=0, limits=Limits(cell_s=30)))
    assert record.cells[1].status == "error" and record.cells[1].error["type"] == "MemoryError"
    assert record.cells[2].output == "after\n"


def test_degraded_isolation_is_recorded_never_silent(monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "none")
    isolation.available_method.cache_clear()
    try:
        record = run_job(Job(cells=[{"index": 1, "source": "print(1)"}], probes_source="", probes=[], seed=0))
    finally:
        isolation.available_method.cache_clear()
    assert record.protections.method == "none"
    assert not record.protections.network_isolated and not record.protections.filesystem_isolated
    assert any("no isolation" in note for note in record.protections.notes)
    assert record.cells[1].output == "1\n"


def test_a_grader_installed_below_tmp_stays_visible_under_the_private_tmp(tmp_path):
    """A CI clone (and its venv) may live below /tmp: each child's private /tmp must not hide it, and what
    is bound back stays read-only; everything else of the host's /tmp stays hidden."""
    installed = tmp_path / "clone" / ".venv"
    installed.mkdir(parents=True)
    (installed / "module.py").write_text("VISIBLE = True\n")
    (tmp_path / "other-students-file").write_text("secret")
    assert str(tmp_path).startswith("/tmp/")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: confine as a submission's process would, then look around
        os.close(read)
        try:
            confine.private_folders({"tmpfs": [["/tmp", 1 << 20]], "keep": [str(installed)]}, os.getuid(), os.getgid())
        except OSError as exc:
            seen = {"refused": str(exc)}
        else:
            module = installed / "module.py"
            seen = {"module": module.read_text() if module.exists() else None,
                    "other": (tmp_path / "other-students-file").exists()}
            try:
                (installed / "planted.py").write_text("x")
                seen["writable"] = True
            except OSError:
                seen["writable"] = False
        os.write(write, json.dumps(seen).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as handle:
        seen = json.loads(handle.read())
    os.waitpid(pid, 0)
    if "refused" in seen:
        pytest.skip(f"this host gives no private mount namespace: {seen['refused']}")
    assert seen == {"module": "VISIBLE = True\n", "other": False, "writable": False}
    assert not (installed / "planted.py").exists()
