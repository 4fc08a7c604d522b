"""``grader check FILE`` through a per-user warm checker: the client side, and what both sides share.

The checker (``server.py``) is started on first use, detached, one per user and installation; it keeps
its sandbox workers warm (TensorFlow imported once, in their zygote) and runs exactly ``pipeline.check``
for each request, so the isolation of a self-check is grading's. It listens on a Unix socket in a folder
only its user can enter (``$XDG_RUNTIME_DIR/nn-grader``, else ``/tmp/nn-grader-$UID``, mode 0700, checked
before use, never followed through a symlink), checks every peer's uid (``SO_PEERCRED``) and exits by
itself after ``GRADER_SELFCHECK_IDLE`` seconds (default 600) without a request.

Requests and answers are one JSON document each (no pickle): the file's absolute path, the assignment,
course, data folder and the environment variables that decide the check; the answer is
``SubmissionResult.to_dict()`` and the run's harness errors. When the checker cannot start or answer,
the check runs in this process with a one-line note on stderr; ``GRADER_NO_DAEMON=1`` always does.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROTOCOL = 1
MAX_REQUEST = 1 << 20
MAX_ANSWER = 256 << 20
START_SECONDS = 60.0  # for a new checker to listen (Python and the pipeline's imports, on a busy machine)
ANSWER_SECONDS = 3600.0  # a check is bounded by the sandbox's own limits; this only ends a hung checker
# per request: what decides a check besides its arguments (applied in the checker while it runs the check)
FORWARDED_ENV = ("GRADER_DATA_DIR", "GRADER_REQUIRE_DATA", "GRADER_OFFLINE", "GRADER_CACHE_DIR", "XDG_CACHE_HOME",
                 "KERAS_HOME", "HOME")
PATH_ENV = ("GRADER_DATA_DIR", "GRADER_CACHE_DIR", "XDG_CACHE_HOME", "KERAS_HOME")
# per checker: what its sandbox workers were started with (a different value needs a checker of its own)
IDENTITY_ENV = ("GRADER_SANDBOX", "GRADER_CGROUP")
PACKAGE = Path(__file__).resolve().parent.parent  # grader/
CHECK_ERRORS = ("harness", "unknown_assignment")  # a check that cannot start (as in-process); other failures: fall back


class DaemonUnavailable(RuntimeError):
    """The warm checker cannot be used (not startable, not answering, an unsafe folder): check in-process."""


# --- what both sides share ----------------------------------------------------------------------------
def enabled() -> bool:
    return os.environ.get("GRADER_NO_DAEMON", "").strip().lower() not in ("1", "true", "yes") and \
        hasattr(socket, "SO_PEERCRED") and hasattr(socket, "AF_UNIX")


def runtime_dir() -> Path:
    """The checker's private folder, made if missing; refused unless it is a real folder of this user's that
    no one else may enter (another user could have made it first in /tmp, or made it a symlink)."""
    configured = os.environ.get("GRADER_SELFCHECK_DIR")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if configured:
        folder = Path(configured)
    elif xdg and _private(Path(xdg)):
        folder = Path(xdg) / "nn-grader"
    else:
        folder = Path(tempfile.gettempdir()) / f"nn-grader-{os.getuid()}"
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DaemonUnavailable(f"cannot make {folder}: {exc.strerror or exc}") from exc
    if not _private(folder):
        raise DaemonUnavailable(f"{folder} is not a private folder of this user's (it must be a folder, not a "
                                "symlink, owned by you, mode 0700): not using it")
    return folder


def _private(folder: Path) -> bool:
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def identity() -> str:
    """Which checker serves this client: one per Python, installation and sandbox settings."""
    parts = [os.path.realpath(sys.executable), str(PACKAGE)] + [os.environ.get(k, "") for k in IDENTITY_ENV]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def code_signature() -> str:
    """The grader's code as it is on disk: a checker started from other code hands over to a new one."""
    from .. import __version__

    digest = hashlib.sha256(f"{PROTOCOL}:{__version__}".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        try:
            info = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(PACKAGE)}:{info.st_mtime_ns}:{info.st_size}\0".encode())
    return digest.hexdigest()[:24]


def paths(folder: Path) -> dict[str, Path]:
    name = f"selfcheck-{identity()}"
    return {"socket": folder / f"{name}.sock", "lock": folder / f"{name}.lock", "log": folder / f"{name}.log"}


def peer_uid(sock: socket.socket) -> int:
    data = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", data)[1]


def send_message(sock: socket.socket, message: dict) -> None:
    sock.sendall(json.dumps(message, allow_nan=False, separators=(",", ":")).encode() + b"\n")


def read_message(sock: socket.socket, limit: int) -> dict | None:
    """One JSON object (a line), or None if the peer closed first; ValueError if it is not one."""
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = sock.recv(1 << 16)
        if not chunk:
            return None
        data += chunk
        if len(data) > limit:
            raise ValueError(f"message over {limit} bytes")
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    return message


# --- the client ---------------------------------------------------------------------------------------
def _connect(socket_path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(socket_path))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.ENOENT, errno.ECONNREFUSED):
            return None  # none there, or a stale socket of a checker that is gone
        raise DaemonUnavailable(f"cannot reach the checker: {exc.strerror or exc}") from exc
    owner = peer_uid(sock)
    if owner != os.getuid():
        sock.close()
        raise DaemonUnavailable(f"the checker's socket is served by uid {owner}, not yours")
    return sock


def start(folder: Path) -> subprocess.Popen:
    """Start a checker, detached (its own session, no terminal); two racing starts leave one (a lock)."""
    files = paths(folder)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE.parent)] + (
        [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    try:
        if files["log"].exists() and files["log"].stat().st_size > 1 << 20:
            files["log"].unlink()
        with open(files["log"], "ab") as log:
            return subprocess.Popen([sys.executable, "-m", "grader.selfcheck.server", str(folder)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                    close_fds=True, cwd="/", env=env)
    except OSError as exc:
        raise DaemonUnavailable(f"the checker could not be started: {exc.strerror or exc}") from exc


def ask(message: dict, spawn: bool = True, folder: Path | None = None) -> dict:
    """Send ``message`` to this user's checker (started if needed) and return its answer."""
    folder = folder or runtime_dir()
    socket_path = paths(folder)["socket"]
    if len(str(socket_path).encode()) > 100:
        raise DaemonUnavailable(f"the socket path {socket_path} is too long for a Unix socket")
    message = dict(message, protocol=PROTOCOL, code=code_signature())
    for attempt in range(3):
        sock = _connect(socket_path)
        if sock is None:
            if not spawn:
                raise DaemonUnavailable("no checker is running")
            process = start(folder)
            deadline = time.monotonic() + START_SECONDS
            while sock is None and time.monotonic() < deadline:
                if process.poll() not in (None, 0):  # 0: another checker had the lock, and will listen
                    raise DaemonUnavailable(f"the checker failed to start (exit code {process.returncode}; see "
                                            f"{paths(folder)['log']})")
                time.sleep(0.05)
                sock = _connect(socket_path)
            if sock is None:
                raise DaemonUnavailable(f"the checker did not start within {START_SECONDS:.0f} s "
                                        f"(see {paths(folder)['log']})")
        try:
            sock.settimeout(ANSWER_SECONDS)
            send_message(sock, message)
            answer = read_message(sock, MAX_ANSWER)
        except (OSError, ValueError) as exc:
            raise DaemonUnavailable(f"the checker did not answer: {exc}") from exc
        finally:
            sock.close()
        if answer is None:  # it was ending (idle, or handing over) as we came: try a new one
            time.sleep(0.1)
            continue
        if answer.get("kind") == "stale":  # from other code: it has let go of the socket, start ours
            continue
        return answer
    raise DaemonUnavailable("the checker closed the connection without answering")


def _resolved(value) -> str | None:
    return str(Path(value).expanduser().resolve()) if value else None


def request_for(path: Path, assignment: str | None, course, data_dir) -> dict:
    """The check as the checker must run it: paths absolute, the course as this client would find it."""
    from ..assignments import is_course

    course = course or os.environ.get("GRADER_COURSE_DIR") or (Path.cwd() if is_course(Path.cwd()) else None)
    env = {key: os.environ[key] for key in FORWARDED_ENV if key in os.environ}
    env.update({key: _resolved(env[key]) for key in PATH_ENV if env.get(key)})
    return {"op": "check", "path": _resolved(path), "assignment": assignment, "course": _resolved(course),
            "data_dir": _resolved(data_dir), "env": env}


def check_file(path, assignment: str | None = None, course=None, data_dir=None):
    """``pipeline.check`` of one file through the warm checker, else in this process:
    (SubmissionResult, harness errors). Raises what ``pipeline.check`` raises (HarnessError,
    UnknownAssignment) for a check that cannot start."""
    path = Path(path)
    if enabled():
        try:
            answer = ask(request_for(path, assignment, course, data_dir))
            if not answer.get("ok") and answer.get("kind") not in CHECK_ERRORS:  # the checker's own trouble
                raise DaemonUnavailable(str(answer.get("error", "it failed"))[:300])
        except DaemonUnavailable as exc:
            print(f"grader: the warm checker is not available ({exc}); checking in this process", file=sys.stderr)
        else:
            return _result(answer, path)
    return in_process(path, assignment, course, data_dir)


def _result(answer: dict, path: Path):
    from ..assignments import UnknownAssignment
    from ..errors import HarnessError
    from ..text import clean_text
    from ..results import SubmissionResult

    if not answer.get("ok"):
        if answer.get("kind") == "unknown_assignment":
            raise UnknownAssignment(answer.get("error", ""))
        raise HarnessError(str(answer.get("error", "the warm checker failed")))
    result = SubmissionResult.from_dict(answer["result"])
    result.path = clean_text(str(path), 500)  # as the student wrote it, as an in-process check shows it
    result.student = path.parent.name or "me"
    return result, [str(e) for e in answer.get("harness_errors", [])]


def in_process(path: Path, assignment: str | None = None, course=None, data_dir=None):
    from .. import pipeline

    before = os.environ.get("GRADER_COURSE_DIR")
    if course is not None:
        os.environ["GRADER_COURSE_DIR"] = str(course)
    try:
        run = pipeline.check(path, assignment=assignment, data_dir=Path(data_dir) if data_dir else None)
    finally:
        if course is not None:
            if before is None:
                os.environ.pop("GRADER_COURSE_DIR", None)
            else:
                os.environ["GRADER_COURSE_DIR"] = before
    return run.submissions[0], list(run.harness_errors)


def check_command(path, assignment: str | None = None, course=None, data_dir=None) -> int:
    """What ``grader check FILE`` prints and returns (as ``commands.student.run_check``), through the checker."""
    from ..errors import HarnessError
    from ..text import printable
    from ..writers import terminal

    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"no such file {path}")
    result, errors = check_file(path, assignment, course, data_dir)
    if result.identified:
        print(printable(result.identified))
    print(terminal.check_table(result))
    for error in errors:
        print(f"grader: {printable(error)}", file=sys.stderr)
    if errors:
        return 2
    return 0 if result.tests and all(t.status == "passed" for t in result.tests) else 1


def _stamp(path: Path) -> tuple | None:
    try:
        info = path.stat()
        return info.st_mtime_ns, info.st_size
    except OSError:
        return None


def watch(path, assignment: str | None = None, course=None, data_dir=None, interval: float = 0.25,
          max_checks: int | None = None) -> int:
    """``grader check --watch FILE``: check now and after every save, until Ctrl-C (which ends it quietly)."""
    from ..errors import HarnessError
    from ..text import printable

    path, last, done = Path(path), None, 0
    try:
        while max_checks is None or done < max_checks:
            stamp = _stamp(path)
            if stamp is None or stamp == last:
                time.sleep(interval)
                continue
            time.sleep(0.1)  # an editor may still be writing it
            if _stamp(path) != stamp:
                continue
            last, done = stamp, done + 1
            saved = time.strftime("%H:%M:%S", time.localtime(stamp[0] / 1e9))
            print(f"\n── {printable(str(path))} · saved {saved} ──", flush=True)
            started = time.monotonic()
            try:
                check_command(path, assignment, course, data_dir)
            except (HarnessError, KeyError) as exc:  # e.g. not recognised yet: say so, keep watching
                print(f"grader: {printable(str(exc))}", file=sys.stderr)
            print(f"(checked in {time.monotonic() - started:.1f} s; watching {printable(path.name)} for changes, "
                  "Ctrl-C to stop)", flush=True)
    except KeyboardInterrupt:
        print()
    return 0
