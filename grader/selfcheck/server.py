"""The warm checker: ``python -m grader.selfcheck.server FOLDER`` (started by ``daemon.start``).

It holds an exclusive lock for its whole life (so a second one started in a race exits at once, and a
socket left by a checker that died is known to be stale and replaced), serves each connection in a
thread, refuses peers of another uid, runs one ``pipeline.check`` at a time (the environment and the
course are per request, applied while that check runs) and keeps ``pipeline``'s warm sandbox workers
between checks. A worker that is not running (the first, or one retired after a check) is started again
in the background between checks (``Keeper``), so that the next check finds TensorFlow imported.

It ends after ``GRADER_SELFCHECK_IDLE`` seconds (default 600) without a request, on SIGTERM, on
``{"op": "stop"}``, when its socket is removed, or when a client runs other grader code (it hands the
socket over at once, then finishes what it is checking).
"""

from __future__ import annotations

import faulthandler
import fcntl
import os
import queue
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from . import daemon

IDLE_SECONDS = 600.0
HANDOVER_SECONDS = 900.0  # at most for checks in flight to finish when the checker ends


class Keeper:
    """One long-lived thread that (re)starts the students' warm sandbox workers between checks."""

    def __init__(self, check_lock: threading.Lock):
        self.check_lock = check_lock
        self.wanted: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, name="worker-keeper", daemon=True).start()

    def ensure(self) -> None:
        """Start now any worker of the students' pool that is not running; the caller holds ``check_lock``."""
        done = threading.Event()
        self.wanted.put(done)
        done.wait()

    def warm(self) -> None:
        """The same, soon, in the background, unless a check runs (whose ``ensure`` did it: waiting for its
        lock here would deadlock with a check waiting for this thread)."""
        self.wanted.put(None)

    def _run(self) -> None:
        while True:
            done = self.wanted.get()
            locked = done is None and self.check_lock.acquire(blocking=False)
            try:
                if done is not None or locked:
                    self._start_stopped()
            except Exception as exc:  # the check starts its worker itself, as pipeline.check does
                log(f"could not warm the sandbox workers: {type(exc).__name__}: {exc}")
            finally:
                if locked:
                    self.check_lock.release()
                if done is not None:
                    done.set()

    @staticmethod
    def _start_stopped() -> None:
        from ..sandbox import isolation, launchers

        if isolation.available_method() != "bubblewrap":
            return  # pipeline.check uses a fresh process per attempt there: nothing to keep warm
        pool = launchers.shared_pool("students", 1, {})  # pipeline.check's pool (one slot), with its data sets
        for worker in pool.workers:
            if worker.proc is None or worker.proc.poll() is not None:
                started = time.monotonic()
                worker.start()
                log(f"sandbox worker ready in {time.monotonic() - started:.1f} s")


class Server:
    def __init__(self, folder: Path, idle_s: float):
        self.files = daemon.paths(folder)
        self.idle_s = idle_s
        self.code = daemon.code_signature()
        self.check_lock = threading.Lock()  # one check at a time: the environment and course are per request
        self.state_lock = threading.Lock()
        self.active = 0
        self.last = time.monotonic()
        self.stopping = threading.Event()
        self.listener: socket.socket | None = None
        self.lock_file = None
        self.inode = None
        self.release_lock = threading.Lock()
        self.keeper = Keeper(self.check_lock)
        self.handlers: list[threading.Thread] = []

    # --- life ---------------------------------------------------------------------------------------
    def claim(self) -> bool:
        """Take the lock, replace a stale socket, listen (socket mode 0600 inside the 0700 folder)."""
        self.lock_file = open(self.files["lock"], "a+")
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.lock_file.close()
            return False  # another checker serves (or is starting): the client will find it
        self.lock_file.truncate(0)
        self.lock_file.write(f"{os.getpid()}\n")
        self.lock_file.flush()
        try:
            self.files["socket"].unlink()  # a checker that held the lock would have it; none does: stale
        except FileNotFoundError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mask = os.umask(0o177)
        try:
            self.listener.bind(str(self.files["socket"]))
        finally:
            os.umask(mask)
        self.inode = os.stat(self.files["socket"]).st_ino
        self.listener.listen(16)
        self.listener.settimeout(0.5)
        return True

    def reachable(self) -> bool:
        try:
            return os.stat(self.files["socket"]).st_ino == self.inode
        except OSError:
            return False

    def release(self) -> None:
        """Stop listening and let a new checker take over at once (in-flight checks still finish)."""
        with self.release_lock:
            self._release()

    def _release(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            try:
                if os.stat(self.files["socket"]).st_ino == self.inode:
                    self.files["socket"].unlink()
            except OSError:
                pass
        if self.lock_file is not None:
            self.lock_file.close()  # releases the lock
            self.lock_file = None

    def serve(self) -> None:
        while not self.stopping.is_set():
            with self.state_lock:
                idle = self.active == 0 and time.monotonic() - self.last > self.idle_s
            if idle:
                break
            if not self.reachable():
                log("this checker's socket was removed: no client can reach it, stopping")
                break
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stopping.is_set():
                    break
                raise
            with self.state_lock:
                self.active += 1
                self.last = time.monotonic()
            handler = threading.Thread(target=self.handle, args=(conn,))
            handler.start()
            self.handlers = [h for h in self.handlers if h.is_alive()] + [handler]
        self.release()

    # --- one connection -----------------------------------------------------------------------------
    def handle(self, conn: socket.socket) -> None:
        try:
            uid = daemon.peer_uid(conn)
            if uid != os.getuid():
                log(f"refused a connection from uid {uid}")
                daemon.send_message(conn, {"ok": False, "kind": "refused", "error": "not your checker"})
                discard(conn)  # unread, what it sent would reset the connection before it reads the refusal
                return
            conn.settimeout(30)
            try:
                request = daemon.read_message(conn, daemon.MAX_REQUEST)
            except (OSError, ValueError):
                return
            if request is None:
                return
            conn.settimeout(None)
            answer = self.answer(request)
            if request.get("op") == "check":
                self.keeper.warm()  # e.g. a worker that pipeline started for a new data set, gone with its thread
            try:
                daemon.send_message(conn, answer)
            except ValueError as exc:  # not JSON (a NaN somewhere): the client checks in-process instead
                daemon.send_message(conn, {"ok": False, "kind": "internal", "error": f"unsendable answer: {exc}"})
        except OSError:
            pass  # the client went away (Ctrl-C): its check, if any, finished anyway
        finally:
            conn.close()
            with self.state_lock:
                self.active -= 1
                self.last = time.monotonic()

    def answer(self, request: dict) -> dict:
        if request.get("protocol") != daemon.PROTOCOL or request.get("code") != self.code:
            log("a client runs other grader code: handing over")
            self.stop()
            return {"ok": False, "kind": "stale", "error": "the checker runs other grader code"}
        op = request.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "uid": os.getuid(), "workers": worker_pids()}
        if op == "stop":
            self.stop()
            return {"ok": True}
        if op == "check":
            with self.check_lock:
                self.keeper.ensure()
                return run_check(request)
        return {"ok": False, "kind": "internal", "error": f"unknown request {str(op)[:50]!r}"}

    def stop(self) -> None:
        self.stopping.set()
        self.release()


def discard(conn: socket.socket) -> None:
    """Read and drop what a refused peer sent (a second at most, within the request size limit), unparsed."""
    conn.settimeout(1.0)
    received = 0
    try:
        while received <= daemon.MAX_REQUEST:
            chunk = conn.recv(1 << 16)
            if not chunk or chunk.endswith(b"\n"):
                return
            received += len(chunk)
    except OSError:
        pass


def worker_pids() -> list:
    """The process ids of the students' warm workers (None: not running), once a check has made the pool."""
    launchers = sys.modules.get("grader.sandbox.launchers")
    if launchers is None:
        return []
    pool = launchers.shared_pool("students", 1, {})
    return [w.proc.pid if w.proc is not None and w.proc.poll() is None else None for w in pool.workers]


def run_check(request: dict) -> dict:
    from .. import datasets, pipeline
    from ..assignments import UnknownAssignment
    from ..errors import HarnessError

    try:
        path, env = Path(str(request["path"])), request.get("env") or {}
        for key in daemon.FORWARDED_ENV:
            if isinstance(env.get(key), str):
                os.environ[key] = env[key]
            else:
                os.environ.pop(key, None)
        if request.get("course"):
            os.environ["GRADER_COURSE_DIR"] = str(request["course"])
        else:
            os.environ.pop("GRADER_COURSE_DIR", None)  # this checker's cwd is /: the grader's own checkout
        data_dir = Path(request["data_dir"]) if request.get("data_dir") else None
        datasets._configured = data_dir  # configure() only ever sets it: a previous request's must not stay
        assignment = request.get("assignment")
        run = pipeline.check(path, assignment=assignment if isinstance(assignment, str) else None, data_dir=data_dir)
        return {"ok": True, "result": run.submissions[0].to_dict(), "harness_errors": list(run.harness_errors)}
    except UnknownAssignment as exc:
        return {"ok": False, "kind": "unknown_assignment", "error": str(exc.args[0]) if exc.args else ""}
    except HarnessError as exc:
        return {"ok": False, "kind": "harness", "error": str(exc)}
    except Exception as exc:
        log(traceback.format_exc())
        return {"ok": False, "kind": "internal", "error": f"{type(exc).__name__}: {exc}"}


def log(text: str) -> None:
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    if not daemon._private(folder):
        log(f"{folder} is not private: not serving")
        return 1
    os.chdir("/")
    idle = float(os.environ.get("GRADER_SELFCHECK_IDLE", IDLE_SECONDS))
    server = Server(folder, idle)
    if not server.claim():
        return 0
    terminated = threading.Event()

    def terminate(*_) -> None:
        terminated.set()
        server.stop()

    signal.signal(signal.SIGTERM, terminate)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: every thread's stack, in the log
    log(f"checker {os.getpid()} listening on {server.files['socket']} (idle exit after {idle:g} s)")
    try:
        server.serve()
    finally:
        server.release()
        from ..sandbox import launchers

        if terminated.is_set():
            launchers.close_all()  # its sandboxes stopped: a check in flight ends (ungraded), its client is told
        for handler in server.handlers:
            handler.join(timeout=HANDOVER_SECONDS)  # handed over: what it was checking finishes first
        launchers.close_all()
        log("checker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
