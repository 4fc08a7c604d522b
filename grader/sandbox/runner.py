"""Parent side of the sandbox: start the child, read its events, enforce the limits, survive anything.

A job runs in a fresh child process. If the child dies or hangs while running a cell or a probe, the
item in flight is recorded as timed out or crashed and the job is run again without it (up to
``Limits.max_attempts``), so a submission keeps every observation its other parts earn.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import isolation, wire
from .launchers import Attempt, SpawnLauncher

# A timeout is the submission's own doing when its processes had the CPU for at least this share of the
# item that timed out; below it the machine's load may have starved them, and the result is not cached.
BUSY_SHARE = 0.8


@dataclass(frozen=True)
class Limits:
    total_s: float = 600.0
    cell_s: float = 120.0
    probe_s: float = 180.0
    memory_bytes: int = 4 * isolation.GIB
    file_size_bytes: int = 256 * 1024**2
    events_bytes: int = 64 * 1024**2
    process_output_bytes: int = 20_000
    max_attempts: int = 6  # each retry skips the item that killed the previous attempt


@dataclass
class Job:
    cells: list[dict]
    probes_source: str
    probes: list[dict]
    seed: int
    limits: Limits = field(default_factory=Limits)
    data_files: dict[str, Path] = field(default_factory=dict)  # relative to KERAS_HOME -> host file
    run_cells: bool = True


@dataclass
class CellRecord:
    index: int
    status: str  # "ok" | "error" | "timeout" | "crashed" | "not run"
    error: dict | None = None
    output: str = ""
    magics: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Observation:
    ok: bool
    value: Any = None
    error: dict | None = None
    seconds: float = 0.0


@dataclass
class Incident:
    kind: str  # "timeout" | "crashed"
    item: str | None
    message: str
    # the same code would meet the same end again (a loop that had the CPU to itself, os._exit, a flood),
    # unlike a timeout of a process starved by the machine's load or a kill from outside: cacheable
    repeatable: bool = False


@dataclass
class RunRecord:
    protections: isolation.Protections
    environment: dict = field(default_factory=dict)
    cells: dict[int, CellRecord] = field(default_factory=dict)
    observations: dict[str, Observation] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
    process_output: str = ""
    rejected_lines: int = 0
    duration_s: float = 0.0
    attempts: int = 0
    cached: bool = False  # loaded from the observation cache, not run now
    peak_rss_kb: int = 0  # largest resident set of the submission's process (warm workers measure it)

    @property
    def status(self) -> str:
        kinds = {i.kind for i in self.incidents}
        return "timeout" if "timeout" in kinds else "crashed" if kinds else "completed"


def run_job(job: Job, launcher=None) -> RunRecord:
    """Run ``job`` to the end through ``launcher`` (a fresh process per attempt by default)."""
    launcher = launcher or SpawnLauncher()
    limits = job.limits
    record = RunRecord(isolation.protections_for(launcher.method, limits.memory_bytes, limits.file_size_bytes))
    skip_cells: set[int] = set()
    started = time.monotonic()
    deadline = started + limits.total_s
    while record.attempts < limits.max_attempts:
        record.attempts += 1
        payload = {"seed": job.seed, "cells": job.cells, "run_cells": job.run_cells,
                   "probes_source": job.probes_source, "probes": job.probes,
                   "skip_cells": sorted(skip_cells), "skip_probes": sorted(record.observations)}
        attempt = launcher.attempt(payload, job, deadline)
        _merge(record, attempt, limits.process_output_bytes)
        if attempt.ending == "done":
            break
        incident = _incident(attempt, limits)
        record.incidents.append(incident)
        if attempt.in_flight is None:
            break
        kind, key = attempt.in_flight
        failure = {"type": "Timeout" if incident.kind == "timeout" else "ProcessDied",
                   "message": incident.message, "traceback": ""}
        if kind == "cell":
            skip_cells.add(key)
            previous = record.cells.get(key)
            record.cells[key] = CellRecord(key, incident.kind, failure,
                                           previous.output if previous else "")
        else:
            record.observations[key] = Observation(ok=False, error=failure)
        if deadline - time.monotonic() < 10:
            break
    record.duration_s = round(time.monotonic() - started, 3)
    return record


def _merge(record: RunRecord, attempt: Attempt, output_cap: int) -> None:
    record.rejected_lines += attempt.rejected_lines
    record.peak_rss_kb = max(record.peak_rss_kb, attempt.peak_rss_kb)
    if record.process_output and attempt.process_output:  # keep what earlier attempts wrote, newest last
        joined = f"{record.process_output}\n[attempt {record.attempts}, after a restart]\n{attempt.process_output}"
        record.process_output = joined if len(joined) <= output_cap else \
            "[... earlier output not kept ...]\n" + joined[-output_cap:]
    elif attempt.process_output:
        record.process_output = attempt.process_output
    for event in attempt.events:
        kind = event["event"]
        if kind == "hello":
            record.environment = {k: v for k, v in event.items() if k != "event"}
        elif kind == "cell_end":
            record.cells[event["index"]] = CellRecord(
                index=event["index"], status=event["status"], error=event.get("error"),
                output=str(event.get("output", "")), magics=list(event.get("magics", [])),
                seconds=float(event.get("seconds", 0.0)))
        elif kind == "observation":
            record.observations[event["name"]] = _observation(event)


def _observation(event: dict) -> Observation:
    seconds = float(event.get("seconds", 0.0))
    if not event.get("ok"):
        return Observation(ok=False, error=event.get("error") or {}, seconds=seconds)
    try:
        return Observation(ok=True, value=wire.decode(event.get("value")), seconds=seconds)
    except (wire.WireError, ValueError, TypeError) as exc:
        error = {"type": "MalformedObservation", "message": str(exc), "traceback": ""}
        return Observation(ok=False, error=error, seconds=seconds)


def _incident(attempt: Attempt, limits: Limits) -> Incident:
    item = None
    if attempt.in_flight:
        kind, key = attempt.in_flight
        item = (f"code cell {key}" if key else "the injected parameters cell") if kind == "cell" \
            else f"probe '{key}'"
    where = f"while running {item}" if item else "before it could start the submission"
    # only what the submission did can recur: a sandbox that failed to start is the harness's trouble
    started = any(event["event"] == "hello" for event in attempt.events)
    if attempt.ending == "timeout":
        busy = attempt.item_cpu_s is not None and attempt.item_cpu_s >= BUSY_SHARE * attempt.elapsed > 0
        return Incident("timeout", item, f"stopped after {attempt.elapsed:.0f} s {where}: "
                        "an endless loop, or training longer than the grader's budget?", repeatable=started and busy)
    if attempt.ending == "output cap":
        return Incident("crashed", item, f"stopped {where}: it sent more than "
                        f"{limits.events_bytes // 1024**2} MiB of observations", repeatable=started)
    code = attempt.returncode
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        cause = f"killed by {name}"
        if name in ("SIGKILL", "SIGABRT", "SIGSEGV"):
            cause += f" (often the memory limit of {limits.memory_bytes / isolation.GIB:.0f} GiB)"
    else:
        cause = f"exited with code {code} (os._exit, or a library aborting the process)"
    # SIGKILL may be the host's OOM killer, and a vanished process (no code) the harness's own trouble
    repeatable = started and code is not None and code != -signal.SIGKILL
    return Incident("crashed", item, f"the process {cause} {where}", repeatable=repeatable)
