"""Grading on an existing Dask distributed cluster: one task per submission, the same pipeline on the worker.

The client sends each submission's bytes (workers need not share the file system); the worker runs the
exact local path — reference observations and a warm worker kept per worker process, observation cache,
judge — and returns the result as JSON text. Only the scheduling differs from a local run.
"""

from __future__ import annotations

import atexit
import json
import tempfile
import threading
from pathlib import Path

from . import assignments, datasets, pipeline
from .results import GradingRun, SubmissionResult
from .submissions import Submission

_lock = threading.Lock()
_plans: dict[tuple, pipeline.Plan] = {}
_pools: dict[tuple, object] = {}


def _plan(assignment_id: str, seed: int, public_only: bool, data_dir: str | None, force: bool) -> pipeline.Plan:
    key = (assignment_id, seed, public_only, data_dir, force)
    with _lock:
        if key not in _plans:
            loaded = assignments.load(assignment_id)
            _plans[key] = pipeline.Plan(loaded, loaded.rubric.checks_for(public_only), seed,
                                        Path(data_dir) if data_dir else None, force)
        return _plans[key]


def _launcher(plan: pipeline.Plan):
    """One warm worker per thread of this Dask worker process and set of data files."""
    files = plan.data_files()
    key = (threading.get_ident(), tuple(sorted((k, str(v)) for k, v in files.items())))
    with _lock:
        if key not in _pools:
            _pools[key] = pipeline.launcher_for({plan.assignment.id: plan}, 1, warm=True)
            if hasattr(_pools[key], "close"):
                atexit.register(_pools[key].close)
        return _pools[key]


def grade_on_worker(assignment_id: str, student: str, filename: str, content: bytes, original_path: str,
                    seed: int, public_only: bool, data_dir: str | None, force: bool) -> str:
    """Runs on a Dask worker. Returns JSON: {"result": {...}, "harness_error": str | None}."""
    datasets.configure(Path(data_dir) if data_dir else None)
    plan = _plan(assignment_id, seed, public_only, data_dir, force)
    submission = Submission(student, assignment_id, Path(original_path))
    with tempfile.TemporaryDirectory(prefix="grader-dask-") as folder:
        path = Path(folder) / student / filename
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        harness_error = None
        try:
            result = pipeline.grade_one(plan, Submission(student, assignment_id, path), _launcher(plan))
        except (pipeline.HarnessError, datasets.DataSetMissing) as exc:
            harness_error = str(exc)
            result = pipeline.error_result(submission, harness_error.splitlines()[0], plan.assignment.rubric.max_score)
    result.path = original_path
    return json.dumps({"result": result.to_dict(), "harness_error": harness_error})


def grade(scheduler: str, found: list[Submission], seed: int, mode: str, data_dir: Path | None,
          force: bool, progress=None) -> GradingRun:
    from distributed import Client, as_completed

    run = pipeline.new_run(seed, mode)
    results: dict[int, SubmissionResult] = {}
    with Client(scheduler) as client:
        futures = {}
        for position, sub in enumerate(found):
            if sub.problem:
                results[position] = pipeline.error_result(sub, sub.problem)
                if progress:
                    progress(results[position])
                continue
            future = client.submit(grade_on_worker, sub.assignment, sub.student, sub.path.name,
                                   sub.path.read_bytes(), str(sub.path), seed, mode == "check",
                                   str(data_dir) if data_dir else None, force, pure=False)
            futures[future] = position
        for future in as_completed(futures):
            position = futures[future]
            try:
                data = json.loads(future.result())
                result = SubmissionResult.from_dict(data["result"])
                if data["harness_error"]:
                    run.harness_errors.append(data["harness_error"])
            except Exception as exc:  # a worker died or could not import the grader
                result = pipeline.error_result(found[position], f"distributed worker failed: {exc}")
                run.harness_errors.append(f"{found[position].path}: {exc}")
            results[position] = result
            if progress:
                progress(result)
    run.submissions = [results[i] for i in range(len(found))]
    run.harness_errors = sorted(set(run.harness_errors))
    return run
