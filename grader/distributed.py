"""Grading on an existing Dask distributed cluster: one task per submission, the same pipeline on the worker.

The client sends each submission's bytes (workers need not share the file system); the worker runs the
exact local path — reference observations and a warm worker kept per worker process, observation cache,
judge — and returns the result as JSON text. Only the scheduling differs from a local run.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from . import assignments, datasets, pipeline
from .notebook import UnreadableSubmission, read_bytes
from .results import GradingRun, SubmissionResult
from .submissions import Submission

_lock = threading.Lock()
_plans: dict[tuple, pipeline.Plan] = {}


def _plan(assignment_id: str, seed: int, public_only: bool, data_dir: str | None, force: bool) -> pipeline.Plan:
    key = (assignment_id, seed, public_only, data_dir, force)
    with _lock:
        if key not in _plans:
            loaded = assignments.load(assignment_id)
            _plans[key] = pipeline.Plan(loaded, loaded.rubric.checks_for(public_only), seed,
                                        Path(data_dir) if data_dir else None, force,
                                        pipeline.CHECK if public_only else pipeline.GRADE)
        return _plans[key]


class SandboxCleanup(WorkerPlugin):
    """A Dask worker plugin: when the worker closes (its nanny shutting it down, a cluster scaling down),
    every sandbox of that worker is stopped and its cgroups removed, so nothing is left behind."""

    name = "nn-grader-sandboxes"

    def setup(self, worker) -> None:
        pass

    def teardown(self, worker) -> None:
        from .sandbox import launchers

        launchers.close_all()


def _threads() -> int:
    """Tasks this Dask worker runs at once: one warm sandbox worker each."""
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except Exception:
        return 1


def grade_on_worker(assignment_id: str, student: str, filename: str, content: bytes, original_path: str,
                    seed: int, public_only: bool, data_dir: str | None, force: bool) -> str:
    """Runs on a Dask worker. Returns JSON: {"result": {...}, "harness_error": str | None}."""
    datasets.configure(Path(data_dir) if data_dir else None)
    plan = _plan(assignment_id, seed, public_only, data_dir, force)
    # the bytes stay in memory: no copy of a submission is ever left on the worker's disk
    submission = Submission(student, assignment_id, Path(original_path), content=content)
    harness_error = None
    try:
        students, references = pipeline.launchers_for({assignment_id: plan}, _threads(), warm=True)
        result = pipeline.grade_one(plan, submission, students, references)
    except (pipeline.HarnessError, datasets.DataSetMissing) as exc:
        harness_error = str(exc)
        result = pipeline.ungraded_result(submission, harness_error.splitlines()[0], plan.assignment.rubric.max_score)
    return json.dumps({"result": result.to_dict(), "harness_error": harness_error})


def grade(scheduler: str, found: list[Submission], seed: int, mode: str, data_dir: Path | None,
          force: bool, progress=None) -> GradingRun:
    from distributed import Client, as_completed

    run = pipeline.new_run(seed, mode)
    results: dict[int, SubmissionResult] = {}
    with Client(scheduler) as client:
        client.register_plugin(SandboxCleanup())
        futures = {}
        for position, sub in enumerate(found):
            try:
                content = None if sub.problem else read_bytes(sub.path)
            except UnreadableSubmission as exc:
                sub = dataclasses.replace(sub, problem=str(exc))
            if sub.problem:
                results[position] = pipeline.error_result(sub, sub.problem)
                pipeline.report_done(progress, results[position], sub)
                continue
            future = client.submit(grade_on_worker, sub.assignment, sub.student, sub.path.name,
                                   content, str(sub.path), seed, mode == "check",
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
                result = pipeline.ungraded_result(found[position], f"distributed worker failed: {exc}")
                run.harness_errors.append(f"{found[position].path}: {exc}")
            results[position] = result
            pipeline.report_done(progress, result, found[position])
    run.submissions = [results[i] for i in range(len(found))]
    run.harness_errors = sorted(set(run.harness_errors))
    return run
