"""Parent side of the sandbox: start the child, read its events, enforce the limits, survive anything.

A job runs in a fresh child process. If the child dies or hangs while running a cell or a probe, the
item in flight is recorded as timed out or crashed and the job is run again without it (up to
``Limits.max_attempts``), so a submission keeps every observation its other parts earn.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import isolation, wire

# TensorFlow's C++ start-up chatter (absl logging), dropped from the process output shown in reports
TF_NOISE = re.compile(r"^([IWE]\d{4} [\d:. ]+\s+\d+ \S+\.(cc|h):\d+\]|WARNING: All log messages before absl).*\n?",
                      re.M)
KNOWN_EVENTS = {"hello", "cell_start", "cell_end", "probe_start", "observation", "done"}
STARTUP_SECONDS = 90.0  # importing TensorFlow under load on 2 cores


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
    read_only_files: dict[str, Path] = field(default_factory=dict)
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

    @property
    def status(self) -> str:
        kinds = {i.kind for i in self.incidents}
        return "timeout" if "timeout" in kinds else "crashed" if kinds else "completed"


@dataclass
class _Attempt:
    events: list[dict]
    ending: str  # "done" | "exited" | "timeout" | "output cap"
    returncode: int | None
    in_flight: tuple[str, Any] | None
    rejected_lines: int
    process_output: str
    elapsed: float  # how long the item in flight had run when it was stopped


def run_job(job: Job) -> RunRecord:
    method = isolation.available_method()
    limits = job.limits
    record = RunRecord(isolation.protections_for(method, limits.memory_bytes, limits.file_size_bytes))
    skip_cells: set[int] = set()
    started = time.monotonic()
    deadline = started + limits.total_s
    while record.attempts < limits.max_attempts:
        record.attempts += 1
        skip_probes = set(record.observations)
        attempt = _run_once(job, method, skip_cells, skip_probes, deadline)
        _merge(record, attempt)
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


def _merge(record: RunRecord, attempt: _Attempt) -> None:
    record.rejected_lines += attempt.rejected_lines
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


def _incident(attempt: _Attempt, limits: Limits) -> Incident:
    item = None
    if attempt.in_flight:
        kind, key = attempt.in_flight
        item = (f"code cell {key}" if key else "the injected parameters cell") if kind == "cell" \
            else f"probe '{key}'"
    where = f"while running {item}" if item else "before it could start the submission"
    if attempt.ending == "timeout":
        return Incident("timeout", item, f"stopped after {attempt.elapsed:.0f} s {where}: "
                        "an endless loop, or training longer than the grader's budget?")
    if attempt.ending == "output cap":
        return Incident("crashed", item, f"stopped {where}: it sent more than "
                        f"{limits.events_bytes // 1024**2} MiB of observations")
    code = attempt.returncode
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        cause = f"killed by {name}"
        if name in ("SIGKILL", "SIGABRT", "SIGSEGV"):
            cause += f" (often the memory limit of {limits.memory_bytes / isolation.GIB:.0f} GiB)"
    else:
        cause = f"exited with code {code} (os._exit, or a library aborting the process)"
    return Incident("crashed", item, f"the process {cause} {where}")


def _run_once(job: Job, method: str, skip_cells: set[int], skip_probes: set[str],
              deadline: float) -> _Attempt:
    limits = job.limits
    scratch = Path(tempfile.mkdtemp(prefix="grader-scratch-"))
    logs = Path(tempfile.mkdtemp(prefix="grader-log-"))
    read_end, write_end = os.pipe()
    try:
        argv, cwd, env = isolation.build_command(method, scratch, job.read_only_files)
        payload = {
            "event_fd": write_end, "seed": job.seed, "cells": job.cells, "run_cells": job.run_cells,
            "probes_source": job.probes_source, "probes": job.probes,
            "skip_cells": sorted(skip_cells), "skip_probes": sorted(skip_probes),
            "trusted_files": sorted(job.read_only_files),
        }
        with open(logs / "out", "wb") as out:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                pass_fds=(write_end,), start_new_session=True,
                preexec_fn=isolation.limit_resources(limits.memory_bytes, limits.file_size_bytes),
            )
            os.close(write_end)
            write_end = -1
            try:
                proc.stdin.write(json.dumps(payload).encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            attempt = _collect(proc, read_end, limits, deadline)
        attempt.process_output = _tail(logs / "out", limits.process_output_bytes)
        return attempt
    finally:
        if write_end >= 0:
            os.close(write_end)
        os.close(read_end)
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)


def _collect(proc: subprocess.Popen, fd: int, limits: Limits, deadline: float) -> _Attempt:
    started = time.monotonic()
    events: list[dict] = []
    buffer, total, rejected = b"", 0, 0
    in_flight: tuple[str, Any] | None = ("startup", None)
    item_started, item_limit = started, STARTUP_SECONDS
    ending, item_elapsed = None, 0.0
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    os.set_blocking(fd, False)
    while ending is None:
        now = time.monotonic()
        if now > deadline or now - item_started > item_limit:
            ending = "timeout"
            item_elapsed = now - item_started
            break
        if not selector.select(timeout=0.2):
            continue
        chunk = _read(fd)
        if chunk is None:
            continue
        if not chunk:  # every writer closed: the child is gone (or closed our channel)
            ending = "exited"
            break
        total += len(chunk)
        if total > limits.events_bytes:
            ending = "output cap"
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            event = _parse(line)
            if event is None:
                rejected += 1
                continue
            events.append(event)
            kind = event["event"]
            if kind == "done":
                ending = "done"
            elif kind in ("cell_start", "probe_start"):
                key = event.get("index") if kind == "cell_start" else event.get("name")
                in_flight = ("cell" if kind == "cell_start" else "probe", key)
                item_started = time.monotonic()
                item_limit = limits.cell_s if kind == "cell_start" else limits.probe_s
            elif kind in ("cell_end", "observation", "hello"):
                in_flight, item_started, item_limit = None, time.monotonic(), limits.cell_s
    selector.close()
    if ending != "done" and ending != "exited":
        _kill(proc)
    try:
        returncode = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill(proc)
        returncode = proc.wait()
    if in_flight == ("startup", None):
        in_flight = None
    return _Attempt(events, ending, returncode, in_flight, rejected, "", round(item_elapsed, 1))


def _read(fd: int) -> bytes | None:
    try:
        return os.read(fd, 1 << 20)
    except BlockingIOError:
        return None


def _parse(line: bytes) -> dict | None:
    line = line.strip()
    if not line:
        return None
    try:
        event = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(event, dict) or event.get("event") not in KNOWN_EVENTS:
        return None
    if event["event"] == "cell_end" and not isinstance(event.get("index"), int):
        return None
    if event["event"] in ("probe_start", "observation") and not isinstance(event.get("name"), str):
        return None
    return event


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, cap: int) -> str:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if size > cap:
            handle.seek(size - cap)
        text = handle.read().decode("utf-8", errors="replace")
    text = TF_NOISE.sub("", text)
    return (f"[... {size - cap} earlier bytes not kept ...]\n" + text) if size > cap else text
