"""Parent side of the sandbox: drive one child request by request, enforce the limits, survive anything.

The parent sends ``setup``, then each cell, then each probe, and waits for the one answer to each
(see ``channel.py``); the clock of every item is the parent's. If the child dies, hangs or floods while
running an item, that item is recorded as timed out or crashed and a new child runs the job again
without it (up to ``Limits.max_attempts``), so a submission keeps every observation its other parts
earn. A child that cannot even be started is the grader's trouble (``SandboxUnavailable``), never a
score.
"""

from __future__ import annotations

import signal
import time

from .. import gate
from ..errors import HarnessError
from . import isolation
from .channel import Reply
from .launchers import ChildProcess, Ending, FreshLauncher, WorkerFailed
from .records import (CellRecord, Incident, Job, Limits, Observation, Protections,  # noqa: F401 (re-exported)
                      RunRecord)

# A timeout is the submission's own doing when its processes had the CPU for at least this share of the
# item that timed out; below it the machine's load may have starved them, and the result is not cached.
BUSY_SHARE = 0.8
SETUP_SECONDS = 180.0


class SandboxUnavailable(HarnessError):
    """The sandbox could not run the job at all (it did not start, or failed before any submission code)."""


class Cancelled(Exception):
    """The grading run was interrupted while this job ran."""


def run_job(job: Job, launcher=None) -> RunRecord:
    """Run ``job`` to the end through ``launcher`` (a fresh worker per attempt by default)."""
    launcher = launcher or FreshLauncher()
    limits = job.limits
    record = RunRecord(isolation.protections(launcher.method, limits, None, "none", "not started"))
    budget = gate.TextBudget(limits.report_text_chars)
    skip_cells: set[int] = set()
    retried: set[tuple] = set()
    started = time.monotonic()
    deadline = started + limits.total_s
    while record.attempts < limits.max_attempts:
        record.attempts += 1
        stopped = _attempt(job, launcher, record, skip_cells, deadline, budget)
        if stopped is None:
            break
        incident, in_flight = stopped
        record.incidents.append(incident)
        if in_flight is None:
            break
        if not incident.repeatable and in_flight not in retried and deadline - time.monotonic() > 10:
            # e.g. a timeout while the machine starved the process of CPU: not the submission's doing until
            # it happens again, so the item is tried once more before it is skipped and costs points
            retried.add(in_flight)
            continue
        kind, key = in_flight
        failure = {"type": "Timeout" if incident.kind == "timeout" else "ProcessDied",
                   "message": incident.message, "traceback": ""}
        if kind == "cell":
            skip_cells.add(key)
            previous = record.cells.get(key)
            record.cells[key] = CellRecord(key, incident.kind, failure, previous.output if previous else "")
        else:
            record.observations[key] = Observation(ok=False, error=failure)
        if deadline - time.monotonic() < 10:
            break
    record.duration_s = round(time.monotonic() - started, 3)
    return record


def _attempt(job: Job, launcher, record: RunRecord, skip_cells: set[int], deadline: float,
             budget: gate.TextBudget) -> tuple[Incident, tuple[str, object] | None] | None:
    """One child's run of what is left of the job: None when it got to the end."""
    limits = job.limits
    try:
        child = launcher.child(limits, job.data_files)
    except WorkerFailed as exc:
        raise SandboxUnavailable(str(exc)) from exc
    record.protections = isolation.protections(launcher.method, limits, child.confinement, child.cgroup,
                                               child.group_problem)
    in_flight: tuple[str, object] | None = ("setup", None)
    reply: Reply | None = None
    try:
        ticket = child.connection.ticket()
        setup = {"op": "setup", "ticket": ticket, "seed": job.seed, "probes_source": job.probes_source,
                 "trusted_files": [f"{child.worker.layout.keras_home}/{p}" for p in job.data_files]}
        reply = _ask(child, setup, "hello", ticket, SETUP_SECONDS, deadline, timed=False)
        if reply.event is None:
            ending = child.stop()
            raise SandboxUnavailable(f"the sandbox failed before running the submission ({reply.ending}, "
                                     f"exit code {ending.returncode}): {ending.process_output[-1500:]}")
        record.environment = gate.environment(reply.event)
        run_cells = [c for c in job.cells if c["index"] not in skip_cells] if job.run_cells else []
        for position, cell in enumerate(run_cells):
            if position >= limits.max_cells:
                rest = run_cells[position:]
                record.cells[cell["index"]] = CellRecord(cell["index"], "not run", {
                    "type": "TooManyCells", "traceback": "",
                    "message": f"this cell and the {len(rest) - 1} after it were not run: the grader runs at most "
                               f"{limits.max_cells} cells of a submission"})
                break
            in_flight = ("cell", cell["index"])
            ticket = child.connection.ticket()
            reply = _ask(child, {"op": "cell", "ticket": ticket, "index": cell["index"], "source": cell["source"]},
                         "cell", ticket, limits.cell_s, deadline)
            if reply.event is None:
                return _stopped(child, launcher, record, reply, in_flight, limits)
            if reply.event["index"] != cell["index"]:
                child.connection.rejected += 1
            record.cells[cell["index"]] = gate.cell_record(dict(reply.event, index=cell["index"]), budget)
        for probe in job.probes:
            if probe["name"] in record.observations:
                continue
            in_flight = ("probe", probe["name"])
            ticket = child.connection.ticket()
            reply = _ask(child, {"op": "probe", "ticket": ticket, **probe}, "observation", ticket, limits.probe_s,
                         deadline)
            if reply.event is None:
                return _stopped(child, launcher, record, reply, in_flight, limits)
            record.observations[probe["name"]] = gate.observation(reply.event, budget)
        child.send({"op": "finish"}, time.monotonic() + 5)
        _finish(child, launcher, record, limits, graceful=True)
        return None
    except gate.GateError as exc:  # an answer of the right name that does not hold together
        reply = Reply(None, "malformed")
        child.connection.rejected += 1
        return _stopped(child, launcher, record, reply, in_flight, limits, str(exc))
    finally:
        if child.ending is None:  # an exception on the way: never leave a child running
            _finish(child, launcher, record, limits)


def _ask(child: ChildProcess, request: dict, kind: str, ticket: str, limit_s: float, deadline: float,
         timed: bool = True) -> Reply:
    if not child.send(request, min(deadline, time.monotonic() + limit_s)):
        reply = child.wait(kind, ticket, 0.5, deadline, timed=False)  # it may have exited: say so
        return reply if reply.ending == "exited" or reply.event else Reply(None, "exited")
    reply = child.wait(kind, ticket, limit_s, deadline, timed=timed)
    if reply.ending == "cancelled":
        raise Cancelled()
    return reply


def _finish(child: ChildProcess, launcher, record: RunRecord, limits: Limits, graceful: bool = False) -> Ending:
    ending = child.stop(graceful)
    launcher.release(child)
    record.rejected_lines += child.connection.rejected
    record.peak_rss_kb = max(record.peak_rss_kb, ending.peak_rss_kb)
    output, cap = ending.process_output, limits.process_output_bytes
    if record.process_output and output:  # keep what earlier attempts wrote, newest last
        joined = f"{record.process_output}\n[attempt {record.attempts}, after a restart]\n{output}"
        record.process_output = joined if len(joined) <= cap else "[... earlier output not kept ...]\n" + joined[-cap:]
    elif output:
        record.process_output = output
    return ending


def _stopped(child: ChildProcess, launcher, record: RunRecord, reply: Reply, in_flight, limits: Limits,
             detail: str = "") -> tuple[Incident, tuple[str, object] | None]:
    ending = _finish(child, launcher, record, limits)
    return _incident(reply, ending, in_flight, limits, detail), in_flight


def _incident(reply: Reply, ending: Ending, in_flight, limits: Limits, detail: str = "") -> Incident:
    kind, key = in_flight
    item = (f"code cell {key}" if key else "the injected parameters cell") if kind == "cell" else f"probe '{key}'"
    where = f"while running {item}"
    if ending.oom_kills:
        return Incident("crashed", item, f"stopped {where}: its processes together went over the memory limit of "
                        f"{limits.memory_bytes / isolation.GIB:.1f} GiB", repeatable=True)
    if reply.ending == "timeout":
        busy = reply.cpu_s is not None and reply.cpu_s >= BUSY_SHARE * reply.elapsed > 0
        text = f"stopped after {reply.elapsed:.0f} s {where}: an endless loop, or training longer than the grader's budget?"
        if ending.pids_limit_hits:
            text += f" (it also hit the limit of {limits.max_processes} processes and threads)"
        return Incident("timeout", item, text, repeatable=busy)
    if reply.ending == "flood":
        return Incident("crashed", item, f"stopped {where}: it sent more than {limits.events_bytes // 1024**2} MiB "
                        "of observations", repeatable=True)
    if reply.ending == "malformed":
        return Incident("crashed", item, f"stopped {where}: its answer was malformed ({detail[:200]})", repeatable=True)
    code = ending.returncode
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        cause = f"killed by {name}"
        if name in ("SIGABRT", "SIGSEGV"):
            cause += " (a library aborting, or the per-process memory limit)"
    elif code is not None:
        cause = f"exited with code {code} (os._exit, or a library aborting the process)"
    else:
        cause = "ended without an exit status"
    if reply.ending == "exited" and ending.killed_by_grader:
        return Incident("crashed", item, f"stopped {where}: it closed its channel to the grader", repeatable=True)
    # SIGKILL that was not the memory cgroup may be the host's OOM killer or the harness: not the code's doing
    repeatable = code is not None and code != -signal.SIGKILL
    return Incident("crashed", item, f"the process {cause} {where}", repeatable=repeatable)
