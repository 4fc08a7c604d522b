"""Pages carry a digest of everything they show, so an unchanged page is not rendered again (a regrade of
a class whose grades did not move writes in a second, not in minutes)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..results import GradingRun, SubmissionResult

TEMPLATES = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((Path(__file__).parent / "templates").glob("*"))))


def page_digest(run: GradingRun, sub: SubmissionResult) -> str:
    """Everything a submission's page shows: the result, the run's versions, the templates."""
    header = [run.grader_version, run.tensorflow_version, run.keras_version, run.python_version, run.seed, run.mode]
    result = {k: v for k, v in sub.to_dict().items() if k != "cached"}
    shown = json.dumps([header, result], sort_keys=True, default=str).encode()
    return hashlib.sha256(TEMPLATES.digest() + shown).hexdigest()[:20]


def first_line(path: Path) -> str:
    try:
        with open(path) as handle:
            return handle.readline()
    except OSError:
        return ""
