"""grader grade --scheduler: a real Dask scheduler and worker on loopback give the same results as a local run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from conftest import EXAMPLES, SEED
from grader import pipeline


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, GRADER_CACHE_DIR=str(tmp_path / "worker-cache"))  # the worker computes its own
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"], env=env, cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        with Client(address, timeout=60) as client:
            while not client.scheduler_info()["workers"]:
                assert time.monotonic() < deadline, "the Dask worker did not connect"
                time.sleep(0.5)
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


def essential(run):
    return [(s.student, s.assignment, s.path, s.status, s.score, s.message,
             [(t.name, t.status, t.score, t.message) for t in s.tests]) for s in run.submissions]


def test_distributed_run_equals_local_run(cluster, tmp_path):
    root = tmp_path / "class"
    for student in ("ada", "ben"):
        (root / student).mkdir(parents=True)
        shutil.copyfile(EXAMPLES / student / "gradient_descent.ipynb", root / student / "gradient_descent.ipynb")
    (root / "stray.txt").write_text("not a submission")
    local = pipeline.grade(root, seed=SEED)
    remote = pipeline.grade(root, seed=SEED, scheduler=cluster)
    assert not remote.harness_errors
    assert essential(remote) == essential(local)
    assert [s.status for s in remote.submissions] == ["error", "graded", "graded"]
