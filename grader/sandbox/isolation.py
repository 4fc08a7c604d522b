"""Which isolation the host can give a submission, and the command line that applies it.

Preferred: bubblewrap with every namespace unshared (no network), a fresh root that shows only the
system, the Python installation and this runtime read-only, one writable scratch directory, and an
unprivileged uid. Where bubblewrap cannot run we fall back to ``unshare -n`` (network only), then to a
plain process. Every result records the protections that were actually in force.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent  # child.py + wire.py, nothing else
SANDBOX_HOME = "/home/student"
TMPFS_BYTES = 512 * 1024**2  # /tmp in memory: not counted by RLIMIT_AS, so it gets a size of its own
GIB = 1024**3


@dataclass(frozen=True)
class Protections:
    method: str  # "bubblewrap" | "unshare" | "none"
    network_isolated: bool
    filesystem_isolated: bool
    unprivileged_user: bool
    memory_limit_bytes: int
    file_size_limit_bytes: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "network_isolated": self.network_isolated,
            "filesystem_isolated": self.filesystem_isolated,
            "unprivileged_user": self.unprivileged_user,
            "memory_limit_bytes": self.memory_limit_bytes,
            "file_size_limit_bytes": self.file_size_limit_bytes,
            "notes": list(self.notes),
        }


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
            raise ValueError(f"GRADER_SANDBOX must be bubblewrap, unshare or none, not {forced!r}")
        return forced
    bwrap = shutil.which("bwrap")
    if bwrap and _works([bwrap, "--unshare-all", "--ro-bind", "/", "/", "--uid", "65534", "true"]):
        return "bubblewrap"
    unshare = shutil.which("unshare")
    if unshare and _works([unshare, "-n", "true"]):
        return "unshare"
    return "none"


def _python_roots() -> list[Path]:
    """Directories the interpreter and its packages live in (venv and base installation)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.add(Path(sysconfig.get_paths()[key]))
    roots.add(Path(sys.executable).resolve().parent.parent)
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


SANDBOX_DATA = "/opt/grader-data"  # KERAS_HOME inside the sandbox: data sets bound read-only
SANDBOX_LOG = "/run/grader"  # where a warm worker's children write their terminal output


def build_command(method: str, scratch: Path, data_files: dict[str, Path], script: str = "child.py",
                  log_dir: Path | None = None, extra_env: dict[str, str] | None = None
                  ) -> tuple[list[str], dict[str, str], str]:
    """argv to start ``script`` in the sandbox, its environment, and KERAS_HOME as the child sees it.

    ``data_files`` maps paths relative to KERAS_HOME (e.g. ``datasets/mnist.npz``) to host files.
    """
    python = [sys.executable, "-E", "-s", "-X", "utf8"]
    isolated = method == "bubblewrap"
    home = SANDBOX_HOME if isolated else str(scratch)
    keras_home = SANDBOX_DATA if isolated else str(scratch.parent / f"{scratch.name}-data")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "KERAS_HOME": keras_home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "KERAS_BACKEND": "tensorflow",
        "GRADER_PID_NAMESPACE": "1" if isolated else "0",
        # read-only mounts inside folders a warm worker wipes between submissions: to be left alone
        "GRADER_KEEP": ":".join([str(p) for p in [*_python_roots(), RUNTIME_DIR] if str(p).startswith("/tmp/")]
                                + [f"{SANDBOX_DATA}/{inside}" for inside in data_files]),
    }
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # host-specific BLAS fixes must survive
        if var in os.environ:
            env[var] = os.environ[var]
    if log_dir is not None:
        env["GRADER_LOG_DIR"] = SANDBOX_LOG if isolated else str(log_dir)
    env.update(extra_env or {})
    entry = str(RUNTIME_DIR / script)
    if isolated:
        argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
        argv += _system_binds()
        # /tmp first: the Python installation or this checkout may live below /tmp, and a later tmpfs
        # would hide them
        argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
                 "--size", str(TMPFS_BYTES // 8), "--tmpfs", "/dev/shm"]
        for root in _python_roots():
            argv += ["--ro-bind", str(root), str(root)]
        argv += ["--ro-bind", str(RUNTIME_DIR), str(RUNTIME_DIR)]
        argv += ["--bind", str(scratch), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
        # Keras only uses KERAS_HOME when it is writable: a small tmpfs, with the data sets bound into it
        argv += ["--size", str(1024**2), "--tmpfs", SANDBOX_DATA]
        for inside, host in data_files.items():
            argv += ["--ro-bind", str(host), f"{SANDBOX_DATA}/{inside}"]
        if log_dir is not None:
            argv += ["--bind", str(log_dir), SANDBOX_LOG]
        argv += ["--remount-ro", "/"]  # bubblewrap's own root tmpfs: nothing outside the mounts above is writable
        argv += ["--uid", "65534", "--gid", "65534", "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        return argv + ["--"] + python + [entry], env, keras_home
    for inside, host in data_files.items():  # no bind mounts: link the files where Keras looks
        target = Path(keras_home) / inside
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(Path(host).resolve())
    prefix = [shutil.which("unshare") or "unshare", "-n", "--"] if method == "unshare" else []
    return prefix + python + [entry], env, keras_home


def protections_for(method: str, memory_bytes: int, file_size_bytes: int) -> Protections:
    notes: list[str] = []
    if method == "unshare":
        notes.append("bubblewrap unavailable: network isolated, but the submission runs as the grader's user "
                     "and can read and write every file the grader can (reference, rubrics, cache)")
    elif method == "none":
        notes.append("no isolation available on this host (no bubblewrap, no network namespace): the "
                     "submission could reach the network and read and write every file the grader can")
    if sys.platform != "linux":
        notes.append("memory limit not enforced on this platform")
    return Protections(
        method=method,
        network_isolated=method in ("bubblewrap", "unshare"),
        filesystem_isolated=method == "bubblewrap",
        unprivileged_user=method == "bubblewrap",
        memory_limit_bytes=memory_bytes if sys.platform == "linux" else 0,
        file_size_limit_bytes=file_size_bytes,
        notes=tuple(notes),
    )


def limit_resources(memory_bytes: int, file_size_bytes: int):
    """A preexec function applying hard limits that the child cannot raise again."""

    def apply() -> None:
        if sys.platform == "linux":
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_bytes, file_size_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply
