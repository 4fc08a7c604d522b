"""Typed records of one sandboxed run: what was asked of the child (``Job``, ``Limits``) and what the
parent made of its answers (``RunRecord`` and its parts). Every field that holds something the child
said has been through ``grader.gate`` first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class Limits:
    total_s: float = 600.0
    cell_s: float = 120.0
    probe_s: float = 180.0
    memory_bytes: int = 4 * GIB  # every process and tmpfs page of the submission together (cgroup)
    file_size_bytes: int = 256 * MIB
    max_processes: int = 256  # processes and threads of the submission together (TensorFlow needs ~40)
    home_bytes: int = 512 * MIB  # the private tmpfs home; /tmp and /dev/shm get a share of it
    events_bytes: int = 64 * MIB  # what the child may send on its event channel in one attempt
    process_output_bytes: int = 20_000
    max_cells: int = 400  # cells beyond this many are not run
    report_text_chars: int = 200_000  # output, messages and tracebacks kept per submission
    max_attempts: int = 6  # each retry skips the item that killed the previous attempt


@dataclass
class Job:
    """What one submission's run asks of the sandbox. No run seed: seeds are derived per use."""

    cells: list[dict]
    probes_source: str
    probes: list[dict]  # {"name", "function", "inputs" (wire-encoded), "seed"}
    seed: int  # the TensorFlow/NumPy/Python seed the cells start from (derived from the run's seed)
    limits: Limits = field(default_factory=Limits)
    data_files: dict[str, Path] = field(default_factory=dict)  # relative to KERAS_HOME -> host file
    run_cells: bool = True


@dataclass
class CellRecord:
    index: int
    status: str  # "ok" | "error" | "timeout" | "crashed" | "not run"
    error: dict | None = None
    output: str = ""
    magics: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Observation:
    ok: bool
    value: Any = None
    error: dict | None = None
    seconds: float = 0.0


@dataclass
class Incident:
    kind: str  # "timeout" | "crashed"
    item: str | None
    message: str
    # the same code would meet the same end again (a loop that had the CPU to itself, os._exit, a flood,
    # the memory or process limit), unlike a timeout of a process starved by the machine's load or a
    # kill from outside: cacheable
    repeatable: bool = False


@dataclass(frozen=True)
class Protections:
    """What isolated the submission, as measured where it could be (read back inside the child and in
    the parent's cgroup), with a note for every protection the host could not give."""

    method: str  # "bubblewrap" | "unshare" | "none"
    network_isolated: bool
    filesystem_isolated: bool
    unprivileged_user: bool
    memory_limit_bytes: int
    file_size_limit_bytes: int
    notes: tuple[str, ...] = ()
    memory_limit_scope: str = "process"  # "submission" (a cgroup) | "process" (an rlimit)
    process_limit: int = 0  # processes + threads of the whole submission; 0 = none
    cgroup: str = "none"  # "v2" | "v1" | "none"
    private_scratch: bool = False  # home, /tmp, /dev/shm: tmpfs of the submission's own, size-capped
    ipc_isolated: bool = False
    seccomp: bool = False

    def to_dict(self) -> dict:
        from dataclasses import asdict

        data = asdict(self)
        data["notes"] = list(self.notes)
        return data


@dataclass
class RunRecord:
    protections: Protections
    environment: dict = field(default_factory=dict)
    cells: dict[int, CellRecord] = field(default_factory=dict)
    observations: dict[str, Observation] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
    process_output: str = ""
    rejected_lines: int = 0
    duration_s: float = 0.0
    attempts: int = 0
    cached: bool = False  # loaded from the observation cache, not run now
    peak_rss_kb: int = 0  # the submission's peak memory (its cgroup's, else its largest process's)

    @property
    def status(self) -> str:
        kinds = {i.kind for i in self.incidents}
        return "timeout" if "timeout" in kinds else "crashed" if kinds else "completed"
