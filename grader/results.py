"""Typed results. ``GradingRun.to_dict()`` is the results.json contract every writer derives from."""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field

def seed_id(seed: int) -> str:
    """What reports other than results.json show of a seed: enough to tell two apart, nothing to redraw from."""
    return hashlib.sha256(f"seed-id:{seed}".encode()).hexdigest()[:12]


SUBMISSION_STATUSES = ("graded", "timeout", "crashed", "error", "ungraded")
TEST_STATUSES = ("passed", "failed", "error")


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    status: str  # "passed" | "failed" | "error"
    visibility: str  # "public" | "hidden"
    message: str
    description: str = ""
    hint: str = ""
    cell: int | None = None  # the code cell this check is about (where the student page shows it)
    private: bool = True  # a hidden check's message is for the instructor (unless the rubric allows it): fail closed


@dataclass
class NotebookCell:
    """A cell of the notebook as submitted, for the student's page (code cells carry their index)."""

    kind: str  # "code" | "markdown" | "raw" | "budget" (the grader's injected parameters)
    source: str
    index: int | None = None


@dataclass
class Curve:
    """A plot for the report, from values the judge computed or checked itself."""

    title: str
    xlabel: str
    ylabel: str
    series: dict[str, list[float | None]]
    log_y: bool = False
    x: list[float] | None = None  # the x value of each point (default 1, 2, ...): e.g. iterations done
    reported: bool = False  # what the submission said about itself (drawn dotted, never scored)
    check: str = ""  # the check that drew it (a student's page shows only those of checks it shows)

    def __post_init__(self) -> None:  # NaN/inf (a diverged run) is drawn as a gap and stored as null
        self.series = {label: [float(v) if v is not None and math.isfinite(float(v)) else None for v in values]
                       for label, values in self.series.items()}


@dataclass
class CellReport:
    index: int
    label: str
    status: str  # "ok" | "error" | "timeout" | "crashed" | "not run"
    seconds: float = 0.0
    output: str = ""
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    hint: str = ""
    magics: list[str] = field(default_factory=list)
    cause: str = ""  # when it failed only because an earlier cell did: which, and where to look


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    path: str
    status: str  # "graded" | "timeout" | "crashed" | "error" | "ungraded" (the grader failed: no score at all)
    score: float | None
    max_score: float
    duration_s: float
    message: str
    tests: list[TestResult] = field(default_factory=list)
    cells: list[CellReport] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    process_output: str = ""
    protections: dict = field(default_factory=dict)
    cached: bool = False  # observations reused from an identical earlier run
    peak_rss_kb: int = 0  # the submission's process, when measured (warm workers)
    environment: dict = field(default_factory=dict)  # versions as seen inside the sandbox
    notebook: list[NotebookCell] = field(default_factory=list)  # the submission's cells, for the student page
    content_sha256: str = ""  # of the file as graded (the gradebook's key for "nothing changed")
    identified: str = ""  # how the grader knew which assignment this is, when not from an exact file name
    overrides: list[dict] = field(default_factory=list)  # the instructor's, applied to score (see gradebook)
    counted: bool = True  # False: an extra file beside the one graded for this assignment, never its grade
    provisional: bool = False  # an incident not of the submission's doing (machine load, OOM kill): run it again

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        data = dict(data)
        data["tests"] = [TestResult(**t) for t in data.get("tests", [])]
        data["cells"] = [CellReport(**c) for c in data.get("cells", [])]
        data["curves"] = [Curve(**c) for c in data.get("curves", [])]
        data["notebook"] = [NotebookCell(**c) for c in data.get("notebook", [])]
        return cls(**data)


@dataclass
class GradingRun:
    grader_version: str
    tensorflow_version: str
    keras_version: str
    python_version: str
    seed: int
    mode: str  # "grade" (all checks) | "check" (public checks only)
    submissions: list[SubmissionResult] = field(default_factory=list)
    harness_errors: list[str] = field(default_factory=list)
    complete: bool = True  # False: stopped (Ctrl-C, SIGTERM) before every submission was graded

    def to_dict(self) -> dict:
        data = asdict(self)
        data["submissions"] = [s.to_dict() for s in self.submissions]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "GradingRun":
        data = dict(data)
        data["submissions"] = [SubmissionResult.from_dict(s) for s in data.get("submissions", [])]
        return cls(**data)
