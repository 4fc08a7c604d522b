"""A worker inside the sandbox: import TensorFlow once, then fork one confined child per attempt.

The zygote never sees what it runs. The parent talks to it on a Unix socket that no child keeps, and
each ``fork`` command carries only the confinement to apply and, as passed file descriptors, the
child's own three pipes (requests in, events out, terminal output out). The zygote hands the pipes to
the new child and closes its own copies; cells, probe inputs and seeds then travel from the parent to
that child alone, so nothing of one submission (or of the reference) is in the memory the next child
is forked from. The zygote never runs a TensorFlow op (a forked child of a process that has would
hang). After each child it kills whatever the child left in the sandbox's PID namespace and reports
the exit status.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys
import traceback

import confine  # sibling modules: this file runs inside the sandbox
import child

PR_SET_DUMPABLE = 4


def preload() -> None:
    import numpy  # noqa: F401
    import tensorflow  # noqa: F401
    import keras  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    from IPython.core import inputtransformer2  # noqa: F401

    try:
        import pyseccomp  # noqa: F401  (loaded once here rather than in every child)
    except Exception:
        pass


def make_undumpable() -> None:
    """Children cannot open /proc/<zygote>/fd or /mem (ptrace access needs a dumpable process)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def exit_code(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def become_child(spec: dict, request_fd: int, event_fd: int, output_fd: int) -> None:
    """In the forked process: confine, report the confinement, then serve the parent's requests."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    for fd in (devnull, output_fd):
        os.close(fd)
    sys.stdin = open(os.devnull)
    report = confine.confine(spec)
    os.environ["HOME"] = spec["home"]
    channel = child.EventChannel(event_fd)
    channel.emit(event="ready", confinement=report)
    child.serve(request_fd, event_fd)


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


def send(control: socket.socket, **message) -> None:
    control.sendall(json.dumps(message).encode())


def main() -> None:
    control = socket.socket(fileno=int(os.environ["GRADER_CONTROL_FD"]))  # SOCK_SEQPACKET, ours alone
    pid_namespace = os.environ.get("GRADER_PID_NAMESPACE") == "1"
    make_undumpable()
    preload()
    devnull = os.open(os.devnull, os.O_WRONLY)  # nobody drains the zygote's own output after start-up
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    send(control, event="ready", pid=os.getpid())
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 3)
        except OSError:
            return
        if not message:
            return  # the parent closed the socket: the worker is done
        try:
            command = json.loads(message)
            if command.get("op") != "fork" or len(fds) != 3:
                raise ValueError("unknown command")
        except ValueError:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                become_child(command["confine"], *fds)
            except BaseException:
                code = 70
                traceback.print_exc()  # to the child's own output pipe, which the parent reads
            os._exit(code)
        for fd in fds:
            os.close(fd)
        send(control, event="forked", pid=pid)
        _, status, usage = os.wait4(pid, 0)
        clean_up(pid, pid_namespace)
        send(control, event="exit", pid=pid, code=exit_code(status), peak_rss_kb=usage.ru_maxrss)


if __name__ == "__main__":
    main()
