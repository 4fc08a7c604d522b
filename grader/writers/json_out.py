"""results.json: the contract every other output is derived from."""

from __future__ import annotations

import json
from pathlib import Path

from ..results import GradingRun
from .files import atomic_write


def write(run: GradingRun, out: Path) -> Path:
    path = out / "results.json"
    atomic_write(path, json.dumps(run.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n")
    return path


def read(path: Path) -> GradingRun:
    return GradingRun.from_dict(json.loads(path.read_text()))
