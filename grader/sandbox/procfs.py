"""What /proc tells the trusted parent about a sandboxed process tree: its python process, resident
memory and CPU time. Read from outside the sandbox, so nothing here is the submission's own account."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except (OSError, ValueError):
        pass
    return found


def descendants(pid: int) -> list[int]:
    found, stack = [], children(pid)
    while stack:
        current = stack.pop()
        found.append(current)
        stack += children(current)
    return found


def first_python(pid: int) -> int | None:
    """The first python process down a chain of single launchers (bubblewrap, unshare) from ``pid``."""
    while pid:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return None
        if name.startswith("python"):
            return pid
        below = children(pid)
        pid = below[0] if below else None
    return None


def rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of ``pids`` (all their threads), as far as they are still there to read."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def namespace_pid(pid: int) -> int | None:
    """``pid``'s number inside its innermost PID namespace (the last of the NSpid line)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    return None


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
