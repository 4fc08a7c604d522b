"""Observations cached on disk, keyed by everything that decides them.

The key is a hash of the job itself (the cells as they will run, budget included; the probes and their
inputs; the seed; the limits) plus the TensorFlow, Keras and grader versions and the sandbox runtime's
source. Judging is not part of the key: it is cheap and always redone, so a rubric edit that changes
only points, tolerances or messages regrades without running anything, and an edit to one assignment
never touches the others. The reference solution is cached the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from pathlib import Path

from . import __version__, gate
from .sandbox import isolation, wire
from .sandbox.records import Incident, Job, Protections, RunRecord

RUNTIME_FILES = sorted(isolation.RUNTIME_DIR.glob("*.py"))


def cache_dir() -> Path:
    configured = os.environ.get("GRADER_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nn-grader"


@functools.lru_cache(maxsize=None)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def job_key(job: Job, versions: dict[str, str]) -> str:
    data = {}
    for inside, host in sorted(job.data_files.items()):
        info = Path(host).stat()
        data[inside] = _file_digest(str(host), info.st_size, info.st_mtime_ns)
    digest = hashlib.sha256(json.dumps({
        "grader": __version__, "versions": versions, "sandbox": isolation.available_method(),
        "seed": job.seed, "cells": job.cells, "run_cells": job.run_cells, "probes_source": job.probes_source,
        "probes": job.probes, "limits": dataclasses.asdict(job.limits), "data": data,
    }, sort_keys=True).encode())
    for path in RUNTIME_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _path(key: str) -> Path:
    return cache_dir() / "observations" / key[:2] / f"{key}.json"


def load(key: str) -> RunRecord | None:
    try:
        return record_from_data(json.loads(_path(key).read_text()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, wire.WireError):
        return None  # unreadable or not what this version writes: run again


def store(key: str, record: RunRecord) -> None:
    """Only runs that would end the same way again: a timeout of a process starved by the machine's
    load, or a kill from outside, is not the submission's doing (see ``Incident.repeatable``)."""
    if not all(incident.repeatable for incident in record.incidents):
        return
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{id(record)}.tmp")
    tmp.write_text(json.dumps(record_to_data(record)))
    tmp.replace(path)


def record_to_data(record: RunRecord) -> dict:
    """A run record as plain JSON data (arrays wire-encoded), as the cache and student kits store it."""
    return {
        "protections": record.protections.to_dict(), "environment": record.environment,
        "cells": [dataclasses.asdict(c) for c in record.cells.values()],
        "observations": {name: {"ok": o.ok, "value": wire.encode(o.value), "error": o.error, "seconds": o.seconds}
                         for name, o in record.observations.items()},
        "incidents": [dataclasses.asdict(i) for i in record.incidents],
        "process_output": record.process_output, "rejected_lines": record.rejected_lines,
        "duration_s": record.duration_s, "attempts": record.attempts, "peak_rss_kb": record.peak_rss_kb,
    }


def record_from_data(data: dict) -> RunRecord:
    """A stored record read back through the gate: a cache or kit file is data like any other."""
    budget = gate.TextBudget(10**7)
    protections = {k: v for k, v in data["protections"].items() if k in Protections.__dataclass_fields__}
    protections["notes"] = tuple(gate.clean_text(n, gate.FIELD_CAPS["note"]) for n in protections.get("notes", ()))
    cells = {}
    for c in data["cells"]:
        event = {"status": c["status"] if c["status"] in ("ok", "error") else "ok", "index": int(c["index"]),
                 "error": c.get("error"), "output": str(c.get("output", "")), "magics": list(c.get("magics", [])),
                 "seconds": float(c.get("seconds", 0.0))}
        cells[event["index"]] = dataclasses.replace(gate.cell_record(event, budget), status=str(c["status"])[:20])
    observations = {}
    for name, o in data["observations"].items():
        event = {"ok": bool(o["ok"]), "value": o["value"], "error": o.get("error"), "seconds": float(o.get("seconds", 0))}
        observations[gate.clean_text(name, gate.FIELD_CAPS["name"])] = gate.observation(event, budget)
    return RunRecord(
        protections=Protections(**protections),
        environment={k: gate.clean_text(v, 100) if isinstance(v, str) else v for k, v in data["environment"].items()},
        cells=cells, observations=observations,
        incidents=[Incident(kind=str(i["kind"]), item=i.get("item"), message=gate.clean_text(i["message"], 2000),
                            repeatable=bool(i.get("repeatable"))) for i in data["incidents"]],
        process_output=gate.clean_text(data["process_output"], 40_000), rejected_lines=int(data["rejected_lines"]),
        duration_s=float(data["duration_s"]), attempts=int(data["attempts"]), cached=True,
        peak_rss_kb=int(data.get("peak_rss_kb", 0)))
