"""A grading process stopped from outside (Ctrl-C, SIGTERM) stops within seconds and leaves no temp
folder, copy of a submission, process or cgroup behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attacks import ROOT
from grader.sandbox import cgroups, procfs

LOOP = "# %%\nwhile True:\n    pass\n"


def descendants(pid: int) -> list[int]:
    return procfs.descendants(pid)


def sandbox_running(pid: int) -> bool:
    """A zygote below ``pid`` has forked a child: a submission (or the reference) is being run."""
    for child in descendants(pid):
        try:
            if Path(f"/proc/{child}/comm").read_text().startswith("python") and \
                    "zygote.py" in Path(f"/proc/{child}/cmdline").read_text() and procfs.children(child):
                return True
        except OSError:
            pass
    return False


def leftover_cgroups(pid: int) -> list[Path]:
    found = cgroups.support()
    if found.version == "none":
        return []
    return [run.parent / f"{cgroups.RUN_PREFIX}{pid}" for run in found.run_dirs
            if (run.parent / f"{cgroups.RUN_PREFIX}{pid}").exists()]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_grader_leaves_nothing_behind(tmp_path, stop):
    root = tmp_path / "class"
    (root / "ada").mkdir(parents=True)
    (root / "ada" / "gradient_descent.py").write_text((ROOT / "reference" / "gradient_descent.py").read_text() + LOOP)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp), GRADER_CACHE_DIR=str(tmp_path / "cache"))
    grader = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(root), "--out", str(tmp_path / "out"),
                               "--seed", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while not sandbox_running(grader.pid):
            assert grader.poll() is None and time.monotonic() < deadline, grader.communicate()
            time.sleep(0.2)
        time.sleep(1.0)
        running = [grader.pid] + descendants(grader.pid)
        grader.send_signal(stop)
        started = time.monotonic()
        out, err = grader.communicate(timeout=30)
        assert time.monotonic() - started < 15
    finally:
        if grader.poll() is None:
            grader.kill()
    assert grader.returncode == (130 if stop == signal.SIGINT else 128 + signal.SIGTERM)
    assert b"interrupted" in err and err.count(b"\n") < 5  # one line, not a traceback
    time.sleep(0.5)
    alive = [pid for pid in running if procfs.running(pid)]
    assert alive == [], alive
    assert list(temp.iterdir()) == []
    assert leftover_cgroups(grader.pid) == []


def test_a_dask_worker_closed_by_its_nanny_leaves_nothing_behind(tmp_path):
    from test_distributed import free_port

    root = tmp_path / "class"
    (root / "ada").mkdir(parents=True)
    (root / "ada" / "gradient_descent.py").write_text((ROOT / "reference" / "gradient_descent.py").read_text() + LOOP)
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, TMPDIR=str(temp), GRADER_CACHE_DIR=str(tmp_path / "cache"))
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"], env=env, cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nanny = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                              "--no-dashboard", "--host", "127.0.0.1"], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    grader = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(root), "--out", str(tmp_path / "out"),
                               "--seed", "1", "--scheduler", address], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not sandbox_running(nanny.pid):
            assert nanny.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        running = descendants(nanny.pid)
        nanny.terminate()  # as a cluster manager scaling down would: the nanny closes its worker
        nanny.wait(timeout=60)
    finally:
        for process in (grader, nanny, scheduler):
            if process.poll() is None:
                process.kill()
                process.wait()
    time.sleep(1.0)
    alive = [pid for pid in running if procfs.running(pid)]
    assert alive == [], alive
    assert [p.name for p in temp.iterdir() if not p.name.startswith("dask-scratch")] == []
    for pid in running:
        assert leftover_cgroups(pid) == []
