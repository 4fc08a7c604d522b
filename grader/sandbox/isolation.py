"""Which isolation the host can give a submission, the command that starts a sandboxed worker, and the
protections every result records.

Preferred: bubblewrap with every namespace unshared (no network, own PID namespace), a fresh root that
shows only the system, the Python installation and this runtime read-only, and a minimal read-only
/dev. Inside it each child then confines itself further (``confine.py``: private tmpfs folders and IPC,
an unprivileged uid, no capabilities, seccomp) and the parent puts it in a cgroup of its own
(``cgroups.py``). Where bubblewrap cannot run we fall back to ``unshare -n`` (network only), then to a
plain process; what was actually in force is measured and recorded, with a note for each gap.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from . import cgroups
from .records import GIB, MIB, Limits, Protections

RUNTIME_DIR = Path(__file__).resolve().parent  # child.py, zygote.py, confine.py, wire.py
SANDBOX_HOME = "/home/student"
SANDBOX_DATA = "/opt/grader-data"  # KERAS_HOME inside the sandbox: a small tmpfs, data sets bound read-only
SANDBOX_DATA_SOURCE = "/opt/grader-data-source"  # where the data sets are bound for children to re-bind
NOBODY = 65534


def _works(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@functools.lru_cache(maxsize=None)
def available_method() -> str:
    """The strongest method this host supports; GRADER_SANDBOX=bubblewrap|unshare|none forces one."""
    forced = os.environ.get("GRADER_SANDBOX")
    if forced:
        if forced not in ("bubblewrap", "unshare", "none"):
            from ..errors import HarnessError

            raise HarnessError(f"GRADER_SANDBOX must be bubblewrap, unshare or none, not {forced!r}")
        return forced
    bwrap = shutil.which("bwrap")
    if bwrap and _works([bwrap, *_namespace_flags(), "--ro-bind", "/", "/", "true"]):
        return "bubblewrap"
    unshare = shutil.which("unshare")
    if unshare and _works([unshare, "-n", "true"]):
        return "unshare"
    return "none"


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _namespace_flags() -> list[str]:
    """As root, no user namespace: inside one, bubblewrap's --uid maps the sandbox's uid onto root's own
    (uid 0 outside), so root-only files would stay readable. Root's children switch uid themselves."""
    if _running_as_root():
        return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    return ["--unshare-all"]


def _python_roots() -> list[Path]:
    """Directories the interpreter and its packages live in (venv and base installation)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.add(Path(sysconfig.get_paths()[key]))
    roots.add(Path(sys.executable).resolve().parent.parent)
    # package folders added by a .pth file or PYTHONPATH (never the current directory or a script's folder)
    roots.update(Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages"))
    system = ("/usr", "/bin", "/lib", "/lib64", "/sbin")
    kept = sorted(r for r in roots if r.exists() and not str(r).startswith(system))
    # drop roots nested inside another root
    return [r for r in kept if not any(r != o and o in r.parents for o in kept)]


def _system_binds() -> list[str]:
    argv: list[str] = []
    for path in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc"):
        p = Path(path)
        if p.is_symlink():
            argv += ["--symlink", os.readlink(p), path]
        elif p.exists():
            argv += ["--ro-bind", path, path]
    return argv


def _world_readable(path: Path) -> bool:
    """Whether an unprivileged uid can reach ``path`` (every folder above it searchable by others)."""
    for folder in [path, *path.parents]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


@dataclass(frozen=True)
class Layout:
    """Where things are inside the sandbox, and how a child confines itself (sent with each fork)."""

    method: str
    home: str
    keras_home: str
    data_files: tuple[tuple[str, str], ...]  # (path relative to KERAS_HOME, where the child binds it from)
    drop_to_uid: int | None  # root's children become this uid; None: they keep the grader's own

    def confinement(self, limits: Limits) -> dict:
        folders = [(self.home, limits.home_bytes), ("/tmp", limits.home_bytes // 2),
                   ("/dev/shm", limits.home_bytes // 8)]
        rlimits = {"RLIMIT_AS": limits.memory_bytes, "RLIMIT_FSIZE": limits.file_size_bytes, "RLIMIT_CORE": 0}
        if self.drop_to_uid is not None and cgroups.support().version == "none":
            rlimits["RLIMIT_NPROC"] = limits.max_processes  # per uid: the next best thing to pids.max
        spec = {"home": self.home, "tmpfs": [[f, int(size)] for f, size in folders if os.path.isdir(f)
                                             or self.method == "bubblewrap"],
                "rlimits": rlimits, "seccomp": True,
                # what a scratch tmpfs must not hide (a venv or this checkout below /tmp)
                "keep": [str(p) for p in [*_python_roots(), RUNTIME_DIR]]}
        if self.drop_to_uid is not None:
            spec["uid"] = spec["gid"] = self.drop_to_uid
        if self.data_files:
            spec["data"] = {"home": self.keras_home, "files": [list(pair) for pair in self.data_files]}
        return spec


def layout(method: str, scratch: Path, data_files: dict[str, Path]) -> Layout:
    isolated = method == "bubblewrap"
    root = _running_as_root()
    drop = NOBODY if root and (isolated or all(_world_readable(p) for p in [*_python_roots(), RUNTIME_DIR])) else None
    return Layout(method=method, home=SANDBOX_HOME if isolated else str(scratch),
                  keras_home=SANDBOX_DATA if isolated else str(scratch.parent / f"{scratch.name}-data"),
                  data_files=tuple(sorted((inside, f"{SANDBOX_DATA_SOURCE}/{inside}" if isolated else str(host))
                                          for inside, host in data_files.items())), drop_to_uid=drop)


def environment(place: Layout, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": place.home,
        "KERAS_HOME": place.keras_home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{place.home}/.matplotlib",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "KERAS_BACKEND": "tensorflow",
        "GRADER_PID_NAMESPACE": "1" if place.method == "bubblewrap" else "0",
    }
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # host-specific BLAS fixes must survive
        if var in os.environ:
            env[var] = os.environ[var]
    env.update(extra or {})
    return env


def zygote_command(place: Layout, data_files: dict[str, Path], env: dict[str, str]) -> list[str]:
    """argv that starts ``zygote.py`` in the sandbox described by ``place``."""
    python = [sys.executable, "-E", "-s", "-X", "utf8", str(RUNTIME_DIR / "zygote.py")]
    if place.method != "bubblewrap":
        for inside, host in data_files.items():  # no bind mounts: link the files where Keras looks
            target = Path(place.keras_home) / inside
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(Path(host).resolve())
        prefix = [shutil.which("unshare") or "unshare", "-n", "--"] if place.method == "unshare" else []
        return prefix + python
    argv = [shutil.which("bwrap") or "bwrap", *_namespace_flags(), "--die-with-parent", "--new-session"]
    argv += _system_binds()
    # /tmp first: the Python installation or this checkout may live below /tmp, and a later tmpfs
    # would hide them. Each child mounts its own /tmp, /dev/shm and home over these.
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(64 * MIB), "--tmpfs", "/tmp",
             "--size", str(16 * MIB), "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    # bubblewrap would create the folders above each mount point for root only (mode 0700): an
    # unprivileged uid could not reach the Python installation below them
    binds = [*_python_roots(), RUNTIME_DIR]
    existing = {Path(p) for p in ("/", "/tmp", "/usr", "/etc", "/proc", "/dev", "/bin", "/lib", "/lib64", "/sbin")}
    for folder in sorted({p for b in binds for p in b.parents} - existing, key=lambda p: len(p.parts)):
        if not any(b == folder or b in folder.parents for b in binds):  # not inside another bind
            argv += ["--perms", "0755", "--dir", str(folder)]
    for root in binds:
        argv += ["--ro-bind", str(root), str(root)]
    argv += ["--size", str(16 * MIB), "--tmpfs", SANDBOX_HOME, "--chdir", SANDBOX_HOME]
    argv += ["--size", str(MIB), "--tmpfs", SANDBOX_DATA]
    for inside, host in data_files.items():
        argv += ["--ro-bind", str(host), f"{SANDBOX_DATA}/{inside}", "--ro-bind", str(host),
                 f"{SANDBOX_DATA_SOURCE}/{inside}"]
    argv += ["--remount-ro", "/"]  # bubblewrap's own root tmpfs: nothing outside the mounts above is writable
    if _running_as_root():  # the zygote keeps what it needs to confine its children, nothing more
        argv += ["--cap-drop", "ALL"] + [arg for cap in ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL")
                                         for arg in ("--cap-add", cap)]
    else:
        argv += ["--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-add", "CAP_SYS_ADMIN"]
    argv += ["--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return argv + ["--"] + python


def protections(method: str, limits: Limits, confinement: dict | None, cgroup: str,
                cgroup_reason: str = "") -> Protections:
    """What was in force for one submission: the launch method, the child's own account of its
    confinement (sent before any submission code ran) and the cgroup the parent put it in."""
    confinement = confinement or {}
    notes: list[str] = []
    if method == "unshare":
        notes.append("bubblewrap unavailable: network isolated, but the file system is the host's (the submission "
                     "can read every file its uid can)")
    elif method == "none":
        notes.append("no isolation available on this host (no bubblewrap, no network namespace): the "
                     "submission could reach the network and read every file its uid can")
    unprivileged = (confinement.get("host_uid") not in (None, 0) and confinement.get("cap_eff") == 0
                    and confinement.get("cap_prm") == 0)
    if confinement and not unprivileged:
        notes.append(f"the submission ran with privileges (uid {confinement.get('uid')} = host uid "
                     f"{confinement.get('host_uid')}, capabilities {confinement.get('cap_eff')})")
    notes.extend(confinement.get("notes", []))
    if cgroup == "none":
        notes.append(f"no per-submission cgroup ({cgroup_reason}): the memory limit applies to each process "
                     "(RLIMIT_AS), not to the submission as a whole, and the number of processes is capped only "
                     "per uid, if at all")
    if sys.platform != "linux":
        notes.append("memory limit not enforced on this platform")
    return Protections(
        method=method,
        network_isolated=method in ("bubblewrap", "unshare"),
        filesystem_isolated=method == "bubblewrap",
        unprivileged_user=bool(unprivileged),
        memory_limit_bytes=limits.memory_bytes if sys.platform == "linux" else 0,
        file_size_limit_bytes=limits.file_size_bytes,
        notes=tuple(notes),
        memory_limit_scope="submission" if cgroup != "none" else "process",
        process_limit=limits.max_processes if cgroup != "none" else 0,
        cgroup=cgroup,
        private_scratch=bool(confinement.get("private_folders")),
        ipc_isolated=bool(confinement.get("private_folders")),
        seccomp=bool(confinement.get("seccomp")),
    )


__all__ = ["GIB", "Layout", "Protections", "available_method", "layout", "protections", "zygote_command"]
