"""submission → sandbox (observe) → judge (checks vs reference) → result.

``grade`` and ``check`` are the only two entry points, and they share every step: the reference
solution, a student's self-check and an instructor's batch all run through ``observe`` and
``judge_submission``; ``check`` only restricts the rubric to its public checks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

from . import __version__, assignments, datasets, observation_cache, student_kit
from .assignments import Assignment
from .errors import HarnessError
from .gate import clean_text
from .identify import identify
from .judge.judge import judge_submission
from .judge.causes import defined_names
from .notebook import UnreadableSubmission, cells_of, code_cells, notebook_view, parse, read_bytes
from .results import GradingRun, SubmissionResult
from .rubric import CHECK, GRADE, Check
from .sandbox import channel, isolation, launchers, wire
from .sandbox.launchers import FreshLauncher
from .sandbox.runner import Cancelled, Job, RunRecord, run_job
from .submissions import Submission, discover

CHECK_SEED = 0  # a student's self-check is reproducible run to run


def sandbox_inputs(inputs: dict) -> dict:
    """What a probe's child is given: its inputs but the private ones (keys starting with "_"), which only
    the judge sees — e.g. held-out rows that must never enter the sandbox."""
    return {key: value for key, value in inputs.items() if not key.startswith("_")}


def new_seed() -> int:
    """A run's seed: 128 random bits, so that no search from what students see (drawn inputs, the seeds
    derived for their process) can find it and redraw the hidden inputs."""
    return secrets.randbits(128)


def derive_seed(seed: int, *parts: str) -> int:
    """A seed for one use (the cells, one probe) that reveals nothing of the run's seed: the child gets
    these, never the run's seed, from which every hidden input is drawn."""
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a run: ``run`` holds every submission finished before it (``complete`` False);
    ``cause`` is the interrupt itself."""

    def __init__(self, run: "GradingRun", cause: BaseException):
        super().__init__(*cause.args)
        self.run, self.cause = run, cause


@dataclass
class Plan:
    """What one run grades: the assignment, its checks and the probe inputs for this seed."""

    assignment: Assignment
    checks: list[Check]
    seed: int
    data_dir: Path | None = None
    force: bool = False  # ignore cached observations (they are still refreshed)
    mode: str = GRADE  # CHECK: a self-check, public probes on their fixed example inputs
    inputs: dict[str, dict] = field(init=False)
    _reference: RunRecord | None = field(default=None, init=False)
    _reference_error: HarnessError | None = field(default=None, init=False)
    _template_names: frozenset[str] | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        probes = self.assignment.rubric.probes_for(self.checks)
        self.inputs = {p.name: p.make_inputs(self.seed, self.mode) for p in probes}

    @property
    def parameters(self) -> dict:
        """The notebook budget injected into this run's notebooks (the reference's and the students')."""
        return self.assignment.rubric.parameters_for(self.mode)

    def template_names(self) -> frozenset[str]:
        """The names the template asks students to define (what checks can be about)."""
        if self._template_names is None:
            try:
                cells = code_cells(self.assignment.template, {}).cells
            except (UnreadableSubmission, OSError):
                cells = []
            self._template_names = frozenset(n for c in cells for n in defined_names(c["source"]))
        return self._template_names

    def data_files(self) -> dict[str, Path]:
        files = {}
        for name in self.assignment.rubric.data_files:
            try:
                path = datasets.for_sandbox(name, datasets.locate(name, self.data_dir))
            except datasets.DataSetMissing as exc:
                raise HarnessError(str(exc)) from exc
            files[datasets.DATASETS[name].keras_path] = path
        return files

    def job(self, cells: list[dict]) -> Job:
        rubric, course = self.assignment.rubric, self.assignment.id
        probes = [{"name": p.name, "function": p.function, "inputs": wire.encode(sandbox_inputs(self.inputs[p.name])),
                   "seed": derive_seed(self.seed, course, self.mode, "probe", p.name)}
                  # public probes first: student code could keep a hidden probe's inputs and show them in a
                  # later public check's message, which a student sees in full
                  for p in sorted(rubric.probes_for(self.checks), key=lambda p: p.hidden)]
        return Job(cells=cells, probes_source=self.assignment.probes_source, probes=probes,
                   seed=derive_seed(self.seed, course, "cells"), limits=rubric.limits, data_files=self.data_files())

    def reference(self, launcher=None) -> RunRecord:
        with self._lock:
            if self._reference is None and self._reference_error is None:
                try:
                    self._reference = self._observe_reference(launcher)
                except HarnessError as exc:
                    self._reference_error = exc
                except Exception as exc:  # e.g. the sandbox cannot start on this host
                    self._reference_error = HarnessError(
                        f"the reference for {self.assignment.id} could not run: {type(exc).__name__}: {exc}")
            if self._reference_error is not None:
                raise self._reference_error
            return self._reference

    def _observe_reference(self, launcher) -> RunRecord:
        if self.assignment.reference is None:
            return student_kit.load_published(self)
        job = self.job(code_cells(self.assignment.reference, self.parameters).cells)
        key = observation_cache.job_key(job, versions())
        cached = None if self.force else observation_cache.load(key)
        if cached is not None:
            return cached
        record = run_job(job, launcher)
        failures = [f"{n}: {o.error.get('type')}: {o.error.get('message')}"
                    for n, o in record.observations.items() if not o.ok]
        failures += [f"cell {c.index}: {c.error.get('type')}: {c.error.get('message')}"
                     for c in record.cells.values() if c.status != "ok" and c.error]
        failures += [i.message for i in record.incidents]
        if failures:
            raise HarnessError(f"the reference solution for {self.assignment.id} does not run cleanly: "
                               + "; ".join(failures[:5]) + "\n" + record.process_output[-2000:])
        observation_cache.store(key, record)
        return record


def grade_one(plan: Plan, submission: Submission, launcher=None, reference_launcher=None) -> SubmissionResult:
    rubric = plan.assignment.rubric
    try:
        data = submission.content if submission.content is not None else read_bytes(submission.path)
        notebook = parse(submission.path.name, data)
        loaded = cells_of(notebook, plan.parameters)
    except UnreadableSubmission as exc:
        return error_result(submission, str(exc), rubric.max_score)
    reference = plan.reference(reference_launcher)
    job = plan.job(loaded.cells)
    key = observation_cache.job_key(job, versions())
    record = None if plan.force else observation_cache.load(key)
    if record is None:
        record = run_job(job, launcher)
        observation_cache.store(key, record)
    result = judge_submission(rubric, plan.checks, record, reference, plan.inputs,
                            student=submission.student, path=display_path(submission.path), notes=loaded.notes,
                            cell_order=[c["index"] for c in loaded.cells],
                            sources={c["index"]: c["source"] for c in loaded.cells},
                            probes_source=plan.assignment.probes_source, template_names=plan.template_names())
    result.notebook = notebook_view(notebook, plan.parameters)
    result.content_sha256 = hashlib.sha256(data).hexdigest()
    # a timeout of a starved process or a kill from outside is not the submission's doing: grade it again next run
    result.provisional = not all(incident.repeatable for incident in record.incidents)
    result.identified = submission.identified
    return result


def versions() -> dict[str, str]:
    return {name: package_version(name) for name in ("tensorflow", "keras", "numpy")} | {
        "python": sys.version.split()[0]}


def display_path(path: Path) -> str:
    return clean_text(str(path), 500)


def _max_score(assignment_id: str) -> float:
    """The assignment's points, for an error result (0 for a file that is no assignment of the course)."""
    try:
        return assignments.load(assignment_id).rubric.max_score if assignment_id in assignments.known_ids() else 0.0
    except Exception:
        return 0.0


def error_result(submission: Submission, message: str, max_score: float = 0.0) -> SubmissionResult:
    return SubmissionResult(student=submission.student, assignment=submission.assignment,
                            path=display_path(submission.path), status="error", score=0.0, max_score=max_score,
                            duration_s=0.0, message=clean_text(message, 2000), identified=submission.identified,
                            counted=submission.counted)


def ungraded_result(submission: Submission, why: str, max_score: float = 0.0) -> SubmissionResult:
    """The grader could not do its job (no data set, a broken reference, no sandbox): no score at all, and
    a message that says it is not the student's doing."""
    return SubmissionResult(student=submission.student, assignment=submission.assignment,
                            path=display_path(submission.path), status="ungraded", score=None, max_score=max_score,
                            duration_s=0.0, message=clean_text(f"not graded: the grader failed ({why}); this is not "
                                                               "the student's doing", 2000),
                            identified=submission.identified, counted=submission.counted)


def new_run(seed: int, mode: str) -> GradingRun:
    return GradingRun(grader_version=__version__, tensorflow_version=package_version("tensorflow"),
                      keras_version=package_version("keras"), python_version=sys.version.split()[0],
                      seed=seed, mode=mode)


def grade(root: Path, assignment: str | None = None, seed: int | None = None, jobs: int = 1,
          public_only: bool = False, data_dir: Path | None = None,
          progress: Callable[[SubmissionResult], None] | None = None, warm: bool = True,
          force: bool = False, scheduler: str | None = None) -> GradingRun:
    """Grade every submission under ``root`` (``<student>/<assignment>.ipynb``)."""
    seed = new_seed() if seed is None else seed
    datasets.configure(data_dir)
    known = assignments.known_ids()
    if assignment and assignment not in known:
        raise HarnessError(f"unknown assignment {assignment!r}; known: {', '.join(known)}")
    return grade_found(discover(root, known, assignment), seed, jobs, public_only, data_dir, progress, warm, force,
                       scheduler)


def grade_found(found: list[Submission], seed: int, jobs: int = 1, public_only: bool = False,
                data_dir: Path | None = None, progress: Callable[[SubmissionResult], None] | None = None,
                warm: bool = True, force: bool = False, scheduler: str | None = None,
                judged: Callable[[Submission, SubmissionResult], None] | None = None) -> GradingRun:
    """Grade submissions already found (``discover``), e.g. only those a gradebook has no grade for;
    ``judged(submission, result)`` is called as each one is finished (before ``progress``)."""
    if judged is not None:
        progress = _with_submission(judged, progress)
    datasets.configure(data_dir)
    if scheduler:
        from . import distributed

        return distributed.grade(scheduler, found, seed, "check" if public_only else "grade", data_dir, force, progress)
    plans: dict[str, Plan] = {}
    unloadable: dict[str, str] = {}
    for sub in found:
        if sub.problem is None and sub.assignment not in plans and sub.assignment not in unloadable:
            try:
                loaded = assignments.load(sub.assignment)
            except Exception as exc:  # a broken rubric or a missing reference: that assignment only
                unloadable[sub.assignment] = f"the grader cannot load assignment {sub.assignment}: " \
                                             f"{type(exc).__name__}: {exc}"
                continue
            plans[sub.assignment] = Plan(loaded, loaded.rubric.checks_for(public_only), seed, data_dir, force,
                                         CHECK if public_only else GRADE)
    found = [dataclasses.replace(s, problem=unloadable[s.assignment]) if s.problem is None and s.assignment
             in unloadable else s for s in found]
    run = run_plans(found, plans, seed, "check" if public_only else "grade", jobs, progress, warm)
    run.harness_errors = sorted(set(run.harness_errors) | set(unloadable.values()))
    return run


def _with_submission(judged, progress):
    """A progress callback that also tells ``judged`` which submission each result is of."""
    def report(result: SubmissionResult, submission: Submission | None = None) -> None:
        if submission is not None:
            judged(submission, result)
        if progress:
            progress(result)
    report.knows_submission = True
    return report


def report_done(progress, result: SubmissionResult, submission: Submission) -> None:
    if progress is None:
        return
    if getattr(progress, "knows_submission", False):
        progress(result, submission)
    else:
        progress(result)


def check(path: Path, assignment: str | None = None, data_dir: Path | None = None) -> GradingRun:
    """A student's self-check: the public checks only, on one file, with a fixed seed."""
    datasets.configure(data_dir)
    known, how = assignments.known_ids(), ""
    if assignment is None:
        try:
            data = read_bytes(path)
        except UnreadableSubmission:
            data = None
        found = identify(path.name, data, known)
        if found.problem:
            raise HarnessError(f"cannot tell which assignment this is: {found.problem}, or pass --assignment")
        assignment, how = found.assignment, found.how
    elif assignment not in known:
        raise HarnessError(f"unknown assignment {assignment!r}; known: {', '.join(known)}")
    loaded = assignments.load(assignment)
    plan = Plan(loaded, loaded.rubric.checks_for(public_only=True), CHECK_SEED, data_dir, mode=CHECK)
    submission = Submission(path.parent.name or "me", assignment, path, identified=how)
    return run_plans([submission], {assignment: plan}, CHECK_SEED, "check", 1, None)


def launchers_for(plans: dict[str, Plan], jobs: int, warm: bool):
    """(for students, for references): warm workers (TensorFlow imported once per parallel slot), kept
    for the life of this process, unless asked for fresh processes. References never run in a worker
    that serves students.

    Warm workers need bubblewrap's PID namespace to kill everything a submission leaves behind, so
    on a host without it every attempt gets a fresh process instead.
    """
    if not warm or isolation.available_method() != "bubblewrap":
        return FreshLauncher(), FreshLauncher()
    files: dict[str, Path] = {}
    for plan in plans.values():
        try:
            files.update(plan.data_files())
        except HarnessError:
            pass  # reported on each submission of that assignment
    return launchers.shared_pool("students", jobs, files), launchers.shared_pool("references", jobs, files)


def run_plans(found: list[Submission], plans: dict[str, Plan], seed: int, mode: str, jobs: int,
              progress: Callable[[SubmissionResult], None] | None, warm: bool = True) -> GradingRun:
    run = new_run(seed, mode)
    channel.CANCELLED.clear()
    students, references = launchers_for(plans, jobs, warm and any(s.problem is None for s in found))

    finished: dict[int, SubmissionResult] = {}  # by position: what an interrupt keeps

    def work(position: int, sub: Submission) -> SubmissionResult:
        try:
            result = error_result(sub, sub.problem, _max_score(sub.assignment)) if sub.problem else \
                grade_one(plans[sub.assignment], sub, students, references)
        except Cancelled:
            raise
        except (HarnessError, datasets.DataSetMissing) as exc:
            if channel.CANCELLED.is_set():  # e.g. a worker that could not start because we were stopping it
                raise Cancelled("the run was stopped") from exc
            result = ungraded_result(sub, str(exc).splitlines()[0], plans[sub.assignment].assignment.rubric.max_score)
            run.harness_errors.append(str(exc))
        except Exception as exc:  # a bug in the grader: this submission gets a result, the run says so
            if channel.CANCELLED.is_set():
                raise Cancelled("the run was stopped") from exc
            result = ungraded_result(sub, f"internal grader error: {type(exc).__name__}: {exc}",
                                     plans[sub.assignment].assignment.rubric.max_score if sub.assignment in plans else 0.0)
            run.harness_errors.append(f"{sub.path}: {type(exc).__name__}: {exc}")
        if channel.CANCELLED.is_set():  # its sandbox may have been killed by our own stop: not its result
            raise Cancelled("the run was stopped")
        report_done(progress, result, sub)
        finished[position] = result
        return result

    def prefetch(plan: Plan) -> None:
        try:
            plan.reference(references)
        except HarnessError:
            pass  # reported on each submission of that assignment

    futures = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        try:
            # references first, in parallel across assignments, so students never wait on each other's
            list(pool.map(prefetch, plans.values()))
            futures = [pool.submit(work, position, sub) for position, sub in enumerate(found)]
            run.submissions = [future.result() for future in futures]
        except BaseException as exc:  # Ctrl-C, SIGTERM (see cli), Cancelled: stop every sandbox now, leave nothing
            channel.CANCELLED.set()
            for future in futures:
                future.cancel()
            launchers.close_all()
            if not isinstance(exc, KeyboardInterrupt):
                raise
            pool.shutdown(wait=True, cancel_futures=True)  # quick: every sandbox is gone; a result being recorded ends
            run.submissions = [finished[p] for p in sorted(finished)]
            run.complete = False
            raise Interrupted(run, exc) from None
    run.harness_errors = sorted(set(run.harness_errors))
    return run
