"""How a confined child is started: a sandboxed worker (``zygote.py``) forks it, the parent moves it into a
cgroup of its own before it runs anything, then talks to it on pipes only it has.

``Worker`` is one zygote; ``FreshLauncher`` starts a worker for every attempt (TensorFlow imported each
time) and ``WarmPool`` keeps one worker per parallel slot and reuses it, which is safe because the zygote
never holds a job and each child's folders, IPC namespace and cgroup are its own. Both hand the runner
the same ``ChildProcess``, so nothing after this module can tell them apart.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import json
import os
import queue
import selectors
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from .. import gate
from . import cgroups, isolation, procfs
from .channel import CANCELLED, Connection, OutputTail, Reply
from .records import Limits

STARTUP_SECONDS = 180.0  # importing TensorFlow under load on 2 cores
EXIT_SECONDS = 15.0  # for the zygote to reap a killed child and report

# bubblewrap's --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that started it ends, not the
# process: a worker started from a grading thread would die with that thread, and warm workers would never
# outlive one pipeline.grade call in a long-lived process. So every worker is started from this one thread,
# which lives as long as the process (a ThreadPoolExecutor's idle thread waits; it does not end).
_starter = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-starter")


def start_process(argv: list[str], **options) -> subprocess.Popen:
    """``subprocess.Popen`` from the process's long-lived starter thread (see ``_starter``)."""
    if threading.current_thread() is threading.main_thread():
        return subprocess.Popen(argv, **options)
    return _starter.submit(subprocess.Popen, argv, **options).result()


class WorkerFailed(RuntimeError):
    """The sandbox itself could not be started or stopped answering: the grader's trouble, not the student's."""


@dataclass
class Ending:
    """How a child's process ended, as the parent and the kernel saw it (never as the child said)."""

    returncode: int | None = None  # negative: killed by that signal
    peak_rss_kb: int = 0
    oom_kills: int = 0
    pids_limit_hits: int = 0
    killed_by_grader: bool = False  # its process was still running when the parent stopped it
    process_output: str = ""
    notes: list[str] = field(default_factory=list)


class ChildProcess:
    """One confined child, already in its cgroup, with the confinement it reported before any code ran."""

    def __init__(self, worker: "Worker", connection: Connection, host_pid: int | None,
                 group: cgroups.SubmissionGroup | None, group_problem: str):
        self.worker, self.connection, self.host_pid = worker, connection, host_pid
        self.group, self.group_problem = group, group_problem
        self.confinement: dict | None = None
        self.ending: Ending | None = None

    @property
    def cgroup(self) -> str:
        return self.group.support.version if self.group else "none"

    def cpu_seconds(self) -> float | None:
        """CPU time of every process of the submission, read from outside."""
        if self.group is not None:
            used = self.group.cpu_seconds()
            if used is not None:
                return used
        if self.host_pid is None:
            return None
        return procfs.cpu_seconds([self.host_pid] + procfs.descendants(self.host_pid))

    def send(self, request: dict, deadline: float) -> bool:
        return self.connection.send(request, deadline)

    def wait(self, kind: str, ticket: str | None, limit_s: float, deadline: float, timed: bool = True) -> Reply:
        return self.connection.wait(kind, ticket, limit_s, deadline, self.cpu_seconds if timed else None)

    def stop(self, graceful: bool = False) -> Ending:
        """Kill everything of the submission, let the zygote reap it, read what the kernel counted.
        ``graceful``: the child was told to finish; it gets a moment to exit by itself first."""
        if self.ending is not None:
            return self.ending
        ending = Ending()
        # a child that was told to finish, or whose channel closed, may be ending by itself: let it
        ending_by_itself = graceful or not self.connection.event_open
        reaped = self.worker.reaped(time.monotonic() + 2.0) if ending_by_itself else None
        if reaped is None:
            ending.killed_by_grader = self.host_pid is not None and procfs.running(self.host_pid)
        if self.group is not None:
            self.group.kill()
        elif self.host_pid is not None:
            for pid in [self.host_pid] + procfs.descendants(self.host_pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        reaped = reaped or self.worker.reaped(time.monotonic() + EXIT_SECONDS)
        if reaped is None:
            ending.notes.append("the sandbox's worker did not report the end of the process")
            self.worker.close()
        else:
            ending.returncode, ending.peak_rss_kb = reaped
        if self.group is not None:
            ending.oom_kills = self.group.oom_kills()
            ending.pids_limit_hits = self.group.pids_limit_hits()
            ending.peak_rss_kb = max(ending.peak_rss_kb, self.group.peak_memory_bytes() // 1024)
            self.group.remove()
        self.connection.drain(2.0)
        ending.process_output = self.connection.output.text()
        self.connection.close()
        self.ending = ending
        return ending


class Worker:
    """One zygote in its own sandbox, forking one child at a time; restarted after any trouble."""

    def __init__(self, method: str, data_files: dict[str, Path]):
        self.method, self.data_files = method, dict(data_files)
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.scratch: Path | None = None
        self.starts = 0
        self.reusable = method == "bubblewrap"  # until a child reports no private folders
        _live_workers.add(self)

    def start(self) -> None:
        self.close()
        if self.method == "bubblewrap":  # everything the child writes is in tmpfs inside the sandbox
            self.scratch = None
            place = isolation.layout(self.method, Path("/nonexistent"), self.data_files)
        else:  # no sandbox of its own: a host folder is its home (removed with the worker)
            self.scratch = Path(tempfile.mkdtemp(prefix="grader-worker-"))
            place = isolation.layout(self.method, self.scratch / "home", self.data_files)
            (self.scratch / "home").mkdir()
            if place.drop_to_uid is not None:
                os.chown(self.scratch / "home", place.drop_to_uid, place.drop_to_uid)
        self.layout = place
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = isolation.environment(place, {"GRADER_CONTROL_FD": str(theirs.fileno())})
        argv = isolation.zygote_command(place, self.data_files, env)
        output_r, output_w = os.pipe()
        try:
            self.proc = start_process(argv, env=env, stdin=subprocess.DEVNULL, stdout=output_w,
                                      stderr=output_w, pass_fds=(theirs.fileno(),), start_new_session=True,
                                      cwd=self.scratch or "/")
        except OSError as exc:
            for fd in (output_r, output_w):
                os.close(fd)
            ours.close()
            theirs.close()
            raise WorkerFailed(f"the sandbox could not be started: {exc}") from exc
        os.close(output_w)
        theirs.close()
        self.control = ours
        self.starts += 1
        tail = OutputTail(4000)
        ready = self._receive(time.monotonic() + STARTUP_SECONDS, output_r, tail)
        os.close(output_r)
        if not ready or ready.get("event") != "ready":
            text = tail.text()
            self.close()
            raise WorkerFailed(f"the sandbox's worker did not start ({self.method}): {text[-2000:]}")

    def _receive(self, deadline: float, output_r: int | None = None, tail: OutputTail | None = None) -> dict | None:
        """The next message from the zygote, or None if it went away or ``deadline`` passed."""
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ)
        if output_r is not None:
            os.set_blocking(output_r, False)
            selector.register(output_r, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline and not CANCELLED.is_set():
                for key, _ in selector.select(timeout=0.2):
                    if key.fileobj is self.control:
                        data = self.control.recv(1 << 16)
                        if not data:
                            return None
                        try:
                            message = json.loads(data)
                        except ValueError:
                            return None
                        return message if isinstance(message, dict) else None
                    try:
                        chunk = os.read(output_r, 1 << 16)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(output_r)
                        output_r = None
                    else:
                        tail.feed(chunk)
                if self.proc is not None and self.proc.poll() is not None and output_r is None:
                    return None
            return None
        finally:
            selector.close()

    def fork(self, limits: Limits) -> ChildProcess:
        """A new child, confined and in its cgroup, that has reported its confinement."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        request_r, request_w = os.pipe()
        event_r, event_w = os.pipe()
        output_r, output_w = os.pipe()
        command = json.dumps({"op": "fork", "confine": self.layout.confinement(limits)}).encode()
        try:
            socket.send_fds(self.control, [command], [request_r, event_w, output_w])
        except OSError as exc:
            for fd in (request_r, request_w, event_r, event_w, output_r, output_w):
                os.close(fd)
            self.close()
            raise WorkerFailed(f"the sandbox's worker stopped taking work: {exc}") from exc
        finally:
            for fd in (request_r, event_w, output_w):
                try:
                    os.close(fd)
                except OSError:
                    pass
        connection = Connection(request_w, event_r, output_r, limits.events_bytes, limits.process_output_bytes)
        forked = self._receive(time.monotonic() + EXIT_SECONDS)
        if not forked or forked.get("event") != "forked" or not isinstance(forked.get("pid"), int):
            connection.close()
            self.close()
            raise WorkerFailed("the sandbox's worker did not fork a child")
        host_pid = self._host_pid(forked["pid"])
        group, problem = None, cgroups.support().reason
        if cgroups.support().version != "none" and host_pid is not None:
            try:
                group = cgroups.SubmissionGroup(limits.memory_bytes, limits.max_processes)
                group.add(host_pid)
            except OSError as exc:
                problem = f"the cgroup could not be set up ({exc.strerror or exc})"
                if group is not None:
                    group.remove()
                group = None
        elif host_pid is None:
            problem = "the child's process could not be found from outside"
        process = ChildProcess(self, connection, host_pid, group, problem)
        ready = process.wait("ready", None, STARTUP_SECONDS, time.monotonic() + STARTUP_SECONDS, timed=False)
        if ready.event is None:
            process.stop()
            raise WorkerFailed(f"a forked child did not get ready ({ready.ending}): {process.ending.process_output[-1500:]}")
        process.confinement = gate.confinement(ready.event["confinement"])
        if not process.confinement.get("private_folders"):
            self.reusable = False  # without folders and IPC of its own, a second child could see the first's
        return process

    def _host_pid(self, pid_inside: int) -> int | None:
        """The child's pid as the host sees it (it differs inside bubblewrap's PID namespace)."""
        if self.method != "bubblewrap":
            return pid_inside
        zygote = procfs.first_python(self.proc.pid)
        for _ in range(50):
            for candidate in procfs.children(zygote) if zygote else []:
                if procfs.namespace_pid(candidate) == pid_inside:
                    return candidate
            time.sleep(0.01)
        return None

    def reaped(self, deadline: float) -> tuple[int | None, int] | None:
        """(exit code, peak RSS in kB) of the child the zygote just reaped, or None if it never said."""
        message = self._receive(deadline)
        if not message or message.get("event") != "exit":
            return None
        code, rss = message.get("code"), message.get("peak_rss_kb")
        return (code if isinstance(code, int) else None, rss if isinstance(rss, int) else 0)

    def zygote_rss_kb(self) -> int:
        zygote = procfs.first_python(self.proc.pid) if self.proc else None
        return procfs.rss_kb(zygote) if zygote else 0

    def close(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.scratch is not None:
            remove_tree(self.scratch)
            self.scratch = None


def remove_tree(path: Path) -> None:
    """Remove a folder however deep or strange (``rm`` walks it without recursion limits)."""
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


_live_workers: "weakref.WeakSet[Worker]" = weakref.WeakSet()


class FreshLauncher:
    """A new worker for every attempt: nothing is reused, TensorFlow is imported every time."""

    def __init__(self, method: str | None = None, data_files: dict[str, Path] | None = None):
        self.method = method or isolation.available_method()
        self.data_files = dict(data_files or {})

    def child(self, limits: Limits, data_files: dict[str, Path]) -> ChildProcess:
        worker = Worker(self.method, data_files)
        process = worker.fork(limits)
        process.retire_worker = True
        return process

    def release(self, process: ChildProcess) -> None:
        process.worker.close()

    def close(self) -> None:
        pass


class WarmPool:
    """``size`` warm workers shared by the grading threads; each attempt borrows one."""

    def __init__(self, size: int, data_files: dict[str, Path] | None = None, method: str | None = None):
        self.method = method or isolation.available_method()
        self.data_files = dict(data_files or {})
        self.workers = [Worker(self.method, self.data_files) for _ in range(max(1, size))]
        self.free: queue.Queue[Worker] = queue.Queue()
        for worker in self.workers:
            self.free.put(worker)
        self.lock = threading.Lock()

    def child(self, limits: Limits, data_files: dict[str, Path]) -> ChildProcess:
        if not set(data_files.items()) <= set(self.data_files.items()):
            return FreshLauncher(self.method).child(limits, data_files)  # a data set this pool was not made with
        worker = self.free.get()
        try:
            return worker.fork(limits)
        except BaseException:
            worker.close()  # never lend out a worker in an unknown state
            self.free.put(worker)
            raise

    def release(self, process: ChildProcess) -> None:
        worker = process.worker
        if getattr(process, "retire_worker", False):
            worker.close()
            return
        if not worker.reusable or process.ending is None or process.ending.notes:
            worker.close()
        self.free.put(worker)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()

    def __enter__(self) -> "WarmPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_shared: dict[tuple, WarmPool] = {}
_shared_lock = threading.Lock()


def shared_pool(purpose: str, size: int, data_files: dict[str, Path]) -> WarmPool:
    """A warm pool kept for the life of this process (one per purpose: students' pools never run a
    reference), so that TensorFlow is imported once however many grading runs a process makes."""
    key = (purpose, isolation.available_method(), max(1, size))
    with _shared_lock:
        pool = _shared.get(key)
        if pool is not None and not set(data_files.items()) <= set(pool.data_files.items()):
            data_files = {**pool.data_files, **data_files}  # bind every data set asked for so far
            pool.close()
            pool = None
        if pool is None:
            pool = _shared[key] = WarmPool(size, data_files)
        return pool


def close_all() -> None:
    """Stop every worker of this process and remove its cgroups (at exit, or when interrupted)."""
    for worker in list(_live_workers):
        worker.close()
    cgroups.close()


atexit.register(close_all)
