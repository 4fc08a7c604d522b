"""Limits that hold for the submission as a whole, enforced by the kernel; nothing of one submission
reaches the next; no privilege survives into the child; a forged answer cannot stretch an item's clock."""

from __future__ import annotations

import os
import time

import pytest

from attacks import (FILL_DISKS, FORGE_TIMER, FORK_BOMB, LEAVE_TRACES, LOOK_FOR_TRACES, MEMORY_ACROSS_PROCESSES,
                     PRIVILEGE)
from grader.sandbox import cgroups, isolation
from grader.sandbox.launchers import WarmPool
from grader.sandbox.records import GIB, MIB
from grader.sandbox.runner import Job, Limits, run_job

BWRAP = isolation.available_method() == "bubblewrap"
CGROUPS = cgroups.support().version != "none"
needs_bwrap = pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable on this host (CI installs it)")
needs_cgroups = pytest.mark.skipif(not CGROUPS, reason=f"no per-submission cgroups here: {cgroups.support().reason}")


def cell_job(source: str, **limits) -> Job:
    return Job(cells=[{"index": 1, "source": source}], probes_source="", probes=[], seed=0, limits=Limits(**limits))


@pytest.fixture(scope="module")
def pool():
    with WarmPool(1) as warm:
        yield warm


@needs_cgroups
def test_a_fork_bomb_stops_at_the_process_limit(pool):
    record = run_job(cell_job(FORK_BOMB, cell_s=40, max_processes=64), pool)
    output = record.cells[1].output
    assert "forks stopped after" in output
    assert int(output.split("forks stopped after")[1].split()[0]) < 64
    assert record.protections.process_limit == 64 and record.protections.cgroup in ("v1", "v2")


@needs_cgroups
def test_the_memory_limit_covers_every_process_of_the_submission(pool):
    # three processes of 600 MiB each under a 1 GiB cap: each is below the cap, together they are not
    source = MEMORY_ACROSS_PROCESSES.replace("SHARE", str(600 * MIB)).replace("COUNT", "3")
    record = run_job(cell_job(source, cell_s=60, memory_bytes=1 * GIB), pool)
    output = record.cells[1].output
    killed = "returncodes" in output and "-9" in output.split("returncodes")[1]
    assert killed or "memory limit" in (record.cells[1].error or {}).get("message", "")  # the kernel stopped it, whichever process it chose
    assert record.peak_rss_kb <= 1.05 * GIB / 1024  # the submission as a whole never had more
    assert record.protections.memory_limit_scope == "submission"


@needs_bwrap
def test_home_tmp_and_shm_are_capped_and_dev_is_read_only(pool):
    record = run_job(cell_job(FILL_DISKS, cell_s=120, home_bytes=256 * MIB, file_size_bytes=1 * GIB), pool)
    output = record.cells[1].output
    assert "FILLED" not in output
    for where in ("big", "/tmp/big", "/dev/shm/big"):
        written = int(output.split(f"{where} stopped after ")[1].split()[0])
        assert written <= 256, (where, written)
    assert "/dev/big stopped after 0 MiB" in output
    assert record.protections.private_scratch


@needs_bwrap
def test_nothing_of_one_student_reaches_the_next_in_the_same_worker(pool):
    left = run_job(cell_job(LEAVE_TRACES, cell_s=30), pool)
    assert left.status == "completed"
    look = run_job(cell_job(LOOK_FOR_TRACES, cell_s=30), pool)
    output = look.cells[1].output
    assert "traces [] sleepers 0" in output
    assert "shm segment of the previous student -1" in output  # its own IPC namespace
    assert "keyring read -1" in output  # keyrings are out of reach
    assert "ADA-PRIVATE" not in output
    assert pool.workers[0].starts == 1  # and the worker did not have to be restarted for it


def test_no_privilege_survives_into_the_child(pool):
    record = run_job(cell_job(PRIVILEGE, cell_s=30), pool)
    output = record.cells[1].output
    uids = output.split("uid [")[1].split("]")[0]
    assert "'0'" not in uids
    assert "CapEff 0000000000000000" in output
    if os.geteuid() == 0:  # run as root, as on Gradescope and in Docker CI: root-only files stay closed
        assert "READ /etc/shadow" not in output and "denied /etc/shadow" in output
    assert record.protections.unprivileged_user


def test_a_forged_answer_does_not_restart_the_items_clock(pool):
    started = time.monotonic()
    record = run_job(cell_job(FORGE_TIMER, cell_s=4, total_s=60), pool)
    assert record.status == "timeout" and record.rejected_lines > 0
    assert time.monotonic() - started < 25  # stopped after its 4 s, not kept alive by its own "done"s


def test_the_protections_in_force_are_reported_from_what_was_measured(pool):
    record = run_job(cell_job("x = 1", cell_s=30), pool)
    found = record.protections
    if BWRAP:
        assert found.filesystem_isolated and found.network_isolated and found.private_scratch and found.ipc_isolated
    if CGROUPS:
        assert found.memory_limit_scope == "submission" and found.process_limit > 0
    else:
        assert any("cgroup" in note for note in found.notes)
    if not found.seccomp:
        assert any("seccomp" in note for note in found.notes)
