"""How a job's process is started: a fresh interpreter per attempt, or a fork of a warm worker.

Both return the same ``Attempt`` from the same event reader, so the retry logic in ``runner`` and
everything after it cannot tell them apart. ``SpawnLauncher`` pays the TensorFlow import on every
attempt; ``WarmPool`` keeps one zygote per parallel slot (TensorFlow imported once) and forks a child
per attempt, see ``zygote.py``.
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import isolation, procfs

# TensorFlow's C++ start-up chatter (absl logging), dropped from the process output shown in reports
TF_NOISE = re.compile(r"^([IWE]\d{4} [\d:. ]+\s+\d+ \S+\.(cc|h):\d+\]|WARNING: All log messages before absl).*\n?",
                      re.M)
KNOWN_EVENTS = {"hello", "cell_start", "cell_end", "probe_start", "observation", "done", "exit", "ready"}
STARTUP_SECONDS = 120.0  # importing TensorFlow under load on 2 cores


@dataclass
class Attempt:
    events: list[dict]
    ending: str  # "done" | "exited" | "timeout" | "output cap"
    returncode: int | None
    in_flight: tuple[str, Any] | None
    rejected_lines: int
    process_output: str
    elapsed: float  # how long the item in flight had run when it was stopped
    peak_rss_kb: int = 0  # of the forked child, when a warm worker ran it
    item_cpu_s: float | None = None  # CPU time the submission's processes used during the item that timed out


class SpawnLauncher:
    """A new sandboxed interpreter for every attempt."""

    def __init__(self, method: str | None = None):
        self.method = method or isolation.available_method()

    def attempt(self, payload: dict, job, deadline: float) -> Attempt:
        limits = job.limits
        scratch = Path(tempfile.mkdtemp(prefix="grader-scratch-"))
        logs = Path(tempfile.mkdtemp(prefix="grader-log-"))
        read_end, write_end = os.pipe()
        try:
            argv, env, keras_home = isolation.build_command(self.method, scratch, job.data_files)
            payload = dict(payload, event_fd=write_end, nonce=secrets.token_hex(8),
                           trusted_files=[f"{keras_home}/{p}" for p in job.data_files])
            with open(logs / "out", "wb") as out:
                proc = subprocess.Popen(
                    argv, env=env, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                    pass_fds=(write_end,), start_new_session=True, cwd=scratch,
                    preexec_fn=isolation.limit_resources(limits.memory_bytes, limits.file_size_bytes))
                os.close(write_end)
                write_end = -1
                try:
                    proc.stdin.write(json.dumps(payload).encode())
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
                attempt = collect(read_end, limits, deadline, payload["nonce"], "done",
                                  cpu_probe=lambda: procfs.cpu_seconds([proc.pid] + procfs.descendants(proc.pid)))
                if attempt.ending != "exited" and attempt.ending != "done":
                    kill(proc)
                attempt.returncode = wait(proc)
                if self.method == "bubblewrap" and attempt.returncode and 128 < attempt.returncode < 192:
                    attempt.returncode = 128 - attempt.returncode  # bwrap relays "killed by N" as 128 + N
            attempt.process_output = tail(logs / "out", limits.process_output_bytes)
            return attempt
        finally:
            if write_end >= 0:
                os.close(write_end)
            os.close(read_end)
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(logs, ignore_errors=True)
            shutil.rmtree(f"{scratch}-data", ignore_errors=True)


class WarmWorker:
    """One zygote in its own sandbox, serving one job at a time; restarted after a hang or a crash."""

    def __init__(self, method: str, data_files: dict[str, Path]):
        self.method, self.data_files = method, dict(data_files)
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.close()
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-warm-"))
        self.logs = Path(tempfile.mkdtemp(prefix="grader-warm-log-"))
        self.read_end, write_end = os.pipe()  # children's events
        self.control_end, control_write = os.pipe()  # the zygote's own: children close it at fork
        argv, env, self.keras_home = isolation.build_command(
            self.method, self.scratch, self.data_files, "zygote.py", log_dir=self.logs,
            extra_env={"GRADER_EVENT_FD": str(write_end), "GRADER_CONTROL_FD": str(control_write)})
        self.log_inside = env["GRADER_LOG_DIR"]
        with open(self.logs / "zygote", "wb") as out:
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=out,
                                         stderr=subprocess.STDOUT, pass_fds=(write_end, control_write),
                                         start_new_session=True, cwd=self.scratch)
        os.close(write_end)
        os.close(control_write)
        self.event_fd = write_end
        self.starts += 1
        ready = collect(self.read_end, None, time.monotonic() + STARTUP_SECONDS, "zygote", "ready",
                        control_fd=self.control_end)
        if ready.ending != "done":
            output = tail(self.logs / "zygote", 4000)
            self.close()
            raise RuntimeError(f"warm worker did not start ({ready.ending}): {output}")

    def attempt(self, payload: dict, job, deadline: float) -> Attempt:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        limits = job.limits
        nonce = secrets.token_hex(8)
        payload = dict(payload, event_fd=self.event_fd, nonce=nonce,
                       memory_bytes=limits.memory_bytes, file_size_bytes=limits.file_size_bytes,
                       output_path=f"{self.log_inside}/out-{nonce}",
                       trusted_files=[f"{self.keras_home}/{p}" for p in job.data_files])
        zygote = procfs.first_python(self.proc.pid)
        try:
            self.proc.stdin.write((json.dumps(payload) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.close()
            return Attempt([], "exited", None, None, 0, "", 0.0)
        attempt = collect(self.read_end, limits, deadline, nonce, "exit", control_fd=self.control_end,
                          cpu_probe=(lambda: procfs.cpu_seconds(procfs.descendants(zygote))) if zygote else None)
        exits = [e for e in attempt.events if e["event"] == "exit"]
        attempt.returncode = exits[-1].get("code") if exits else None
        attempt.peak_rss_kb = int(exits[-1].get("peak_rss_kb") or 0) if exits else 0
        output = tail(self.logs / f"out-{nonce}", limits.process_output_bytes)
        if exits and not exits[-1].get("clean", True):
            self.close()  # the zygote could not wipe this submission's files: start afresh next time
        if attempt.ending == "done" and attempt.returncode == 0 and any(e["event"] == "done" for e in attempt.events):
            attempt.ending = "done"
        elif attempt.ending == "done":
            attempt.ending = "exited"  # the child ended (exit event) without finishing its job
        else:
            self.close()  # hung, flooding or dead: never reuse this zygote
        attempt.process_output = output
        if self.proc is not None:
            for leftover in self.logs.iterdir():  # whatever a child put in the shared log folder
                if leftover.name != "zygote":
                    leftover.unlink(missing_ok=True) if not leftover.is_dir() else shutil.rmtree(leftover, True)
        return attempt

    def zygote_rss_kb(self) -> int:
        """Resident memory of the zygote itself (the python process under bubblewrap's own)."""
        zygote = procfs.first_python(self.proc.pid) if self.proc else None
        return procfs.rss_kb(zygote) if zygote else 0

    def close(self) -> None:
        if self.proc is not None:
            kill(self.proc)
            wait(self.proc)
            self.proc.stdin.close()
            os.close(self.read_end)
            os.close(self.control_end)
            self.proc = None
            shutil.rmtree(self.scratch, ignore_errors=True)
            shutil.rmtree(self.logs, ignore_errors=True)
            shutil.rmtree(f"{self.scratch}-data", ignore_errors=True)


class WarmPool:
    """``size`` warm workers shared by the grading threads; each attempt borrows one."""

    def __init__(self, size: int, data_files: dict[str, Path] | None = None, method: str | None = None):
        self.method = method or isolation.available_method()
        self.workers = [WarmWorker(self.method, data_files or {}) for _ in range(max(1, size))]
        self.free: queue.Queue[WarmWorker] = queue.Queue()
        for worker in self.workers:
            self.free.put(worker)

    def attempt(self, payload: dict, job, deadline: float) -> Attempt:
        worker = self.free.get()
        try:
            return worker.attempt(payload, job, deadline)
        except BaseException:
            worker.close()  # never lend out a worker in an unknown state
            raise
        finally:
            self.free.put(worker)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()

    def __enter__(self) -> "WarmPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def collect(fd: int, limits, deadline: float, nonce: str, final: str, control_fd: int | None = None,
            cpu_probe: Callable[[], float] | None = None) -> Attempt:
    """Read events until ``final`` arrives for ``nonce``, the writers go away, or a limit is hit.

    With ``control_fd`` (warm workers), "ready" and "exit" are believed only from that pipe, which no
    child can write to; on the event pipe they are rejected like any other forgery. ``cpu_probe`` reads
    the submission's CPU time from outside, at the start of each item and when one times out.
    """
    started = time.monotonic()
    events: list[dict] = []
    buffers = {fd: b"", control_fd: b""}
    total, rejected = 0, 0
    in_flight: tuple[str, Any] | None = ("startup", None)
    item_started, item_limit = started, STARTUP_SECONDS
    ending, item_elapsed = None, 0.0
    item_cpu_start, item_cpu = None, None
    selector = selectors.DefaultSelector()
    for source in (fd, control_fd):
        if source is not None:
            selector.register(source, selectors.EVENT_READ)
            os.set_blocking(source, False)
    cap = limits.events_bytes if limits else 1 << 20
    while ending is None:
        now = time.monotonic()
        if now > deadline or now - item_started > item_limit:
            ending, item_elapsed = "timeout", now - item_started
            if cpu_probe is not None and item_cpu_start is not None:
                item_cpu = cpu_probe() - item_cpu_start
            break
        for key, _ in selector.select(timeout=0.2):
            source = key.fd
            chunk = _read(source)
            if chunk is None:
                continue
            if not chunk:  # every writer closed: the process is gone (or closed our channel)
                ending = ending or "exited"
                selector.unregister(source)
                continue
            total += len(chunk)
            if total > cap:
                ending = "output cap"
                break
            *lines, buffers[source] = (buffers[source] + chunk).split(b"\n")
            for line in lines:
                event = _parse(line)
                from_control = source == control_fd
                trusted_channel = control_fd is None or from_control == ((event or {}).get("event") in ("ready", "exit"))
                if event is None or event.get("job") != nonce or not trusted_channel:
                    rejected += 1
                    continue
                events.append(event)
                kind = event["event"]
                if kind == final:
                    ending = "done"
                    break
                if kind in ("cell_start", "probe_start"):
                    key_ = event.get("index") if kind == "cell_start" else event.get("name")
                    in_flight = ("cell" if kind == "cell_start" else "probe", key_)
                    item_started = time.monotonic()
                    item_limit = limits.cell_s if kind == "cell_start" else limits.probe_s
                    item_cpu_start = cpu_probe() if cpu_probe is not None else None
                elif kind in ("cell_end", "observation", "hello", "done"):
                    in_flight, item_started, item_cpu_start = None, time.monotonic(), None
                    item_limit = limits.cell_s if limits else STARTUP_SECONDS
            if ending:
                break
    if ending == "done" and control_fd is not None:  # the child is gone: take what it wrote last
        pending = buffers[fd]
        while (chunk := _read(fd)) and len(pending) < cap:
            pending += chunk
        for line in pending.split(b"\n"):
            event = _parse(line)
            if event and event.get("job") == nonce and event["event"] not in ("ready", "exit"):
                events.insert(len(events) - 1, event)
    selector.close()
    if any(e["event"] == "done" for e in events):
        in_flight = None
    if in_flight == ("startup", None):
        in_flight = None
    return Attempt(events, ending, None, in_flight, rejected, "", round(item_elapsed, 1), item_cpu_s=item_cpu)


def _read(fd: int) -> bytes | None:
    try:
        return os.read(fd, 1 << 20)
    except BlockingIOError:
        return None


TEXT_CAPS = {"output": 10_000, "message": 2_000, "traceback": 5_000, "type": 100}


def _parse(line: bytes) -> dict | None:
    """One event, or None when the line is not one (a forged or garbled line is only counted)."""
    line = line.strip()
    if not line:
        return None
    try:
        event = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(event, dict) or event.get("event") not in KNOWN_EVENTS or not _valid(event):
        return None
    return event


def _valid(event: dict) -> bool:
    """Types and sizes the parent relies on; the child's own caps, checked again on this side."""
    kind = event["event"]
    if kind in ("cell_start", "cell_end") and type(event.get("index")) is not int:
        return False
    if kind in ("probe_start", "observation") and not isinstance(event.get("name"), str):
        return False
    for key in ("seconds", "t", "import_seconds"):
        if key in event and not (isinstance(event[key], (int, float)) and math.isfinite(event[key])):
            return False
    for key in ("code", "peak_rss_kb"):
        if key in event and event[key] is not None and type(event[key]) is not int:
            return False
    if kind == "cell_end":
        if event.get("status") not in ("ok", "error") or not isinstance(event.get("output", ""), str):
            return False
        magics = event.get("magics", [])
        if not isinstance(magics, list) or not all(isinstance(m, str) for m in magics):
            return False
        event["magics"] = [m[:200] for m in magics[:50]]
        event["output"] = event.get("output", "")[: TEXT_CAPS["output"]]
    if "error" in event and event["error"] is not None:
        error = event["error"]
        if not isinstance(error, dict) or not all(isinstance(error.get(k, ""), str) for k in TEXT_CAPS):
            return False
        event["error"] = {k: error.get(k, "")[:cap] for k, cap in TEXT_CAPS.items() if k != "output"}
    if kind == "hello" and not all(isinstance(v, (str, int, float)) for v in event.values()):
        return False
    return True


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait(proc: subprocess.Popen) -> int | None:
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        kill(proc)
        return proc.wait()


def tail(path: Path, cap: int) -> str:
    """The last ``cap`` bytes of a regular file; never follows a link or blocks on a FIFO a child left."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "[output replaced by something that is not a file: not read]"
        size = info.st_size
        if size > cap:
            handle.seek(size - cap)
        text = TF_NOISE.sub("", handle.read(cap).decode("utf-8", errors="replace"))
    return (f"[... {size - cap} earlier bytes not kept ...]\n" + text) if size > cap else text
