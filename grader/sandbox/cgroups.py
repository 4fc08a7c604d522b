"""Kernel-enforced limits per submission: one cgroup for every process a submission starts.

A process cap (``pids``) and a memory cap (``memory``, which also counts the pages of the tmpfs the
submission writes to) cover the whole submission, not each process of it, and let the parent kill
everything the submission left behind in one go. cgroup v2 is used where the grader may create
groups with both controllers (root, or a delegated subtree such as ``systemd-run --user --scope -p
Delegate=yes``); otherwise the v1 ``memory`` and ``pids`` hierarchies; otherwise nothing, and
``Support.reason`` says why, for the protections every result records.
``GRADER_CGROUP=v2|v1|none`` forces a choice (``none`` to turn the limits off).
"""

from __future__ import annotations

import errno
import functools
import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")
RUN_PREFIX = "nn-grader-"  # one folder per grading process, named after its pid (stale ones are removed)
_counter = itertools.count(1)
_lock = threading.Lock()


@dataclass(frozen=True)
class Support:
    version: str  # "v2" | "v1" | "none"
    reason: str = ""  # why there are no per-submission cgroups, when version is "none"
    run_dirs: tuple[Path, ...] = ()  # this process's own folder in each hierarchy it uses
    cpu: bool = False  # the submission's CPU time can be read from the group


def _own_path(controller: str) -> str | None:
    """This process's cgroup in the hierarchy of ``controller`` ("" for v2's unified one)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        number, controllers, path = line.split(":", 2)
        if controller == "" and number == "0" and controllers == "":
            return path
        if controller and controller in controllers.split(","):
            return path
    return None


def _write(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _make_run_dir(parent: Path) -> Path:
    _remove_stale(parent)
    run = parent / f"{RUN_PREFIX}{os.getpid()}"
    run.mkdir(exist_ok=True)
    return run


def _remove_stale(parent: Path) -> None:
    """Groups left by a grader that was killed (kill -9): their processes are killed, the folders removed."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not name.startswith(RUN_PREFIX) or not name[len(RUN_PREFIX):].isdigit():
            continue
        if int(name[len(RUN_PREFIX):]) != os.getpid() and not _alive(int(name[len(RUN_PREFIX):])):
            for group in [p for p in entry.iterdir() if p.is_dir()] + [entry]:
                _kill_all(group)
                _rmdir(group)


def _v2_support() -> Support:
    if not (MOUNT / "cgroup.controllers").is_file():
        return Support("none", "no cgroup v2 hierarchy at /sys/fs/cgroup")
    own = _own_path("")
    if own is None:
        return Support("none", "this process is in no cgroup v2 group")
    wanted = {"memory", "pids"}
    candidates = [MOUNT / own.lstrip("/")]
    if os.geteuid() == 0:
        candidates.append(MOUNT)  # root may use the top of the hierarchy
    problems = []
    for parent in candidates:
        try:
            enabled = set((parent / "cgroup.subtree_control").read_text().split())
            if not wanted <= enabled:
                available = set((parent / "cgroup.controllers").read_text().split())
                if not wanted <= available:
                    problems.append(f"{parent}: controllers {sorted(wanted - available)} not delegated")
                    continue
                _enable_controllers(parent, wanted - enabled)
            run = _make_run_dir(parent)
            _write(run / "cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(wanted)))
            return Support("v2", run_dirs=(run,), cpu=True)
        except OSError as exc:
            problems.append(f"{parent}: {exc.strerror or exc}")
    return Support("none", "cgroup v2 without a writable group with the memory and pids controllers ("
                   + "; ".join(problems) + "): run the grader as root or in a delegated cgroup "
                   "(systemd-run --user --scope -p Delegate=yes grader grade ...)")


def _enable_controllers(parent: Path, controllers: set[str]) -> None:
    """Enable ``controllers`` below ``parent``. A non-root group that holds processes cannot hand out
    controllers (cgroup v2's "no internal processes" rule): when every process in it is this one, it
    first moves itself into a leaf of its own, as delegated programs do."""
    request = " ".join(f"+{c}" for c in sorted(controllers))
    try:
        _write(parent / "cgroup.subtree_control", request)
        return
    except OSError as exc:
        if exc.errno != errno.EBUSY or parent == MOUNT:
            raise
    members = [int(p) for p in (parent / "cgroup.procs").read_text().split()]
    if members != [os.getpid()]:
        raise OSError(errno.EBUSY, "the group holds other processes than the grader")
    leaf = parent / f"{RUN_PREFIX}self"
    leaf.mkdir(exist_ok=True)
    _write(leaf / "cgroup.procs", str(os.getpid()))
    _write(parent / "cgroup.subtree_control", request)


def _v1_support() -> Support:
    dirs = []
    for controller in ("memory", "pids"):
        own = _own_path(controller)
        root = MOUNT / controller
        if own is None or not root.is_dir():
            return Support("none", f"no cgroup v1 {controller} hierarchy")
        try:
            dirs.append(_make_run_dir(root / own.lstrip("/")))
        except OSError as exc:
            return Support("none", f"cgroup v1 {controller} group {root / own.lstrip('/')} is not writable "
                           f"({exc.strerror or exc}): run the grader as root or in a delegated cgroup")
    own = _own_path("cpuacct")
    cpu_root = MOUNT / "cpuacct"
    cpu = False
    if own is not None and cpu_root.is_dir():
        try:
            dirs.append(_make_run_dir(cpu_root / own.lstrip("/")))
            cpu = True
        except OSError:
            pass
    with open(dirs[0] / "memory.use_hierarchy") as handle:  # limits must cover the groups below
        if handle.read().strip() != "1":
            return Support("none", "cgroup v1 memory hierarchy is not hierarchical (memory.use_hierarchy = 0)")
    return Support("v1", run_dirs=tuple(dirs), cpu=cpu)


@functools.lru_cache(maxsize=None)
def support() -> Support:
    """What this host gives, detected once per process."""
    forced = os.environ.get("GRADER_CGROUP", "").strip()
    if forced == "none":
        return Support("none", "turned off (GRADER_CGROUP=none)")
    if forced not in ("", "v1", "v2"):
        return Support("none", f"GRADER_CGROUP={forced!r} is not v1, v2 or none")
    if forced in ("", "v2"):
        found = _v2_support()
        if found.version == "v2" or forced == "v2":
            return found
        if forced == "" and (MOUNT / "cgroup.controllers").is_file():
            return found  # a pure v2 host has no v1 hierarchies to fall back on
    found = _v1_support()
    if found.version == "none" and forced == "":
        return Support("none", found.reason)
    return found


class SubmissionGroup:
    """One submission's cgroup: its limits, its processes, what the kernel counted, and its removal."""

    def __init__(self, memory_bytes: int, max_pids: int, found: Support | None = None):
        self.support = found or support()
        if self.support.version == "none":
            raise RuntimeError(self.support.reason)
        with _lock:
            name = f"s{next(_counter)}"
        self.dirs = [run / name for run in self.support.run_dirs]
        for folder in self.dirs:
            folder.mkdir()
        self.memory_bytes, self.max_pids = memory_bytes, max_pids
        try:
            if self.support.version == "v2":
                self._set_v2()
            else:
                self._set_v1()
        except OSError:
            self.remove()
            raise

    # --- limits ---------------------------------------------------------------------------------------
    def _set_v2(self) -> None:
        group = self.dirs[0]
        _write(group / "memory.max", str(self.memory_bytes))
        for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
            if (group / name).exists():
                _write(group / name, value)
        _write(group / "pids.max", str(self.max_pids))

    def _set_v1(self) -> None:
        memory, pids = self.dirs[0], self.dirs[1]
        _write(memory / "memory.limit_in_bytes", str(self.memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():  # no swap beyond the limit either
            try:
                _write(memory / "memory.memsw.limit_in_bytes", str(self.memory_bytes))
            except OSError:
                pass
        _write(pids / "pids.max", str(self.max_pids))

    # --- membership ---------------------------------------------------------------------------------
    def add(self, pid: int) -> None:
        """Move ``pid`` (with all its threads) into the group; everything it starts later stays there."""
        for folder in self.dirs:
            _write(folder / "cgroup.procs", str(pid))

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.dirs[0] / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill(self) -> None:
        for folder in self.dirs[:1] if self.support.version == "v2" else self.dirs:
            _kill_all(folder)

    # --- what the kernel counted --------------------------------------------------------------------------
    def _counter_file(self, version_files: dict[str, tuple[int, str]], key: str) -> int:
        index, name = version_files[self.support.version]
        try:
            text = (self.dirs[index] / name).read_text()
        except (OSError, IndexError):
            return 0
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
                return int(parts[1])
        return 0

    def oom_kills(self) -> int:
        return self._counter_file({"v2": (0, "memory.events"), "v1": (0, "memory.oom_control")}, "oom_kill")

    def pids_limit_hits(self) -> int:
        return self._counter_file({"v2": (0, "pids.events"), "v1": (1, "pids.events")}, "max")

    def peak_memory_bytes(self) -> int:
        name = "memory.peak" if self.support.version == "v2" else "memory.max_usage_in_bytes"
        try:
            return int((self.dirs[0] / name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def cpu_seconds(self) -> float | None:
        if not self.support.cpu:
            return None
        try:
            if self.support.version == "v2":
                return self._counter_file({"v2": (0, "cpu.stat")}, "usage_usec") / 1e6
            return int((self.dirs[2] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    # --- the end ------------------------------------------------------------------------------------------
    def remove(self) -> None:
        """Kill what is left, then remove the group (the kernel refuses while a process is in it)."""
        for folder in self.dirs:
            _kill_all(folder)
        for folder in reversed(self.dirs):
            _rmdir(folder)


def _kill_all(folder: Path) -> None:
    kill_file = folder / "cgroup.kill"
    if kill_file.exists():
        try:
            _write(kill_file, "1")
        except OSError:
            pass
    for _ in range(200):  # a fork loop is bounded by pids.max, so this converges
        try:
            members = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return
        if not members:
            return
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)


def _rmdir(folder: Path) -> None:
    for _ in range(400):  # killed processes leave the group only once the kernel has reaped them
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                return
            _kill_all(folder)
            time.sleep(0.005)


def close() -> None:
    """Remove this process's run folders (at exit); per-submission groups are removed as they end."""
    found = support.cache_info().currsize and support()
    if not found or found.version == "none":
        return
    for run in found.run_dirs:
        for group in [p for p in run.iterdir() if p.is_dir()] if run.is_dir() else []:
            _kill_all(group)
            _rmdir(group)
        _rmdir(run)


@dataclass
class Usage:
    """What the kernel counted for one submission's group, read before the group was removed."""

    peak_memory_bytes: int = 0
    oom_kills: int = 0
    pids_limit_hits: int = 0
    cpu_seconds: float | None = None
    notes: list[str] = field(default_factory=list)
