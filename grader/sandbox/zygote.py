"""A warm worker inside the sandbox: import TensorFlow once, then fork one child per job.

The zygote never runs a TensorFlow op (a forked child of a process that has would hang); it only
imports. Jobs arrive one JSON line at a time on stdin and run strictly one after the other: after
each, every process the job left behind is killed and the scratch directories are wiped, so nothing
of one submission survives into the next (if something cannot be wiped, the zygote exits and the
parent starts a fresh one with a new scratch directory). Each child gets its own session, resource limits,
output file and working directory, exactly like a freshly spawned child.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import sys

import child  # sibling module


def preload() -> None:
    import numpy  # noqa: F401
    import tensorflow  # noqa: F401
    import keras  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    from IPython.core import inputtransformer2  # noqa: F401


def wipe(folder: str, keep: frozenset[str] = frozenset()) -> bool:
    """Empty ``folder`` but for the read-only mounts in ``keep`` (and the folders leading to them).

    False if something could not be removed: the worker must then be replaced.
    """
    clean = True
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if path in keep:
            continue
        if any(k.startswith(path + "/") for k in keep):
            clean = wipe(path, keep) and clean
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass
        clean = clean and not os.path.lexists(path)
    return clean


def make_undumpable() -> None:
    """Children run as our uid: without this they could open /proc/<zygote>/fd and reach its pipes."""
    PR_SET_DUMPABLE = 4
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def exit_code(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def run_child(job: dict) -> None:
    os.setsid()
    memory, file_size = job["memory_bytes"], job["file_size_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    out = os.open(job["output_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.chdir(os.environ["HOME"])
    child.run(job)


def clean_up(pid: int, pid_namespace: bool) -> None:
    if pid_namespace:
        try:
            os.kill(-1, signal.SIGKILL)  # every process in this namespace but init and us
        except ProcessLookupError:
            pass
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


def main() -> None:
    control_fd = int(os.environ["GRADER_CONTROL_FD"])  # ours alone: "ready" and "exit" go here
    pid_namespace = os.environ.get("GRADER_PID_NAMESPACE") == "1"
    make_undumpable()
    preload()
    child.EventChannel(control_fd, "zygote").emit(event="ready", pid=os.getpid())
    scratch = [os.environ["HOME"]] + (["/tmp", "/dev/shm", os.environ["KERAS_HOME"]] if pid_namespace else [])
    scratch = [folder for folder in scratch if os.path.isdir(folder)]
    keep = frozenset(p for p in os.environ.get("GRADER_KEEP", "").split(":") if p)
    for line in sys.stdin.buffer:
        try:
            job = json.loads(line)
            nonce = str(job["nonce"])
        except (ValueError, KeyError, TypeError):
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(control_fd)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the job queue is not the child's to read
                sys.stdin = open(os.devnull)
                run_child(job)
            except BaseException:
                code = 70
            os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        clean_up(pid, pid_namespace)
        clean = all([wipe(folder, keep) for folder in scratch])
        child.EventChannel(control_fd, nonce).emit(event="exit", code=exit_code(status),
                                                   peak_rss_kb=usage.ru_maxrss, clean=clean)
        if not clean:  # something of this submission would survive into the next one
            os._exit(0)


if __name__ == "__main__":
    main()
