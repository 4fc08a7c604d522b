"""A class graded against the gradebook: what is already graded is kept, what is new or changed is graded,
every result is recorded the moment it is judged, and what a regrade changed is listed.

``grade_class`` is the instructor's ``grader grade``: the same ``pipeline.grade_found`` as everyone else,
with the gradebook deciding the seed (the course's, drawn once) and which submissions need running at all.
A submission is graded again only when something that decides its grade changed: its bytes, the
assignment's folder or reference, the grader's own source, the library versions, the sandbox, the data
sets, or the seed — or when its last result was provisional (an incident not of its doing).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import assignments, datasets, pipeline
from ..notebook import UnreadableSubmission, read_bytes
from ..results import GradingRun, SubmissionResult
from ..sandbox import isolation
from ..submissions import Submission
from .store import Attempt, Gradebook
from .views import Change, ClassGrid, apply_overrides, changes_between, grid_of_gradebook

GRADER_SOURCE = Path(__file__).resolve().parent.parent
# the parts of the grader that decide a grade (how reports look, how files are found, does not)
DECIDING = ("gate.py", "text.py", "rubric.py", "pipeline.py", "notebook.py", "datasets.py", "student_kit.py",
            "judge", "sandbox")


@dataclass
class ClassRun:
    run: GradingRun  # every submission found: those graded now and those kept from the gradebook
    graded_now: int
    kept: int
    seed_note: str
    changes: list[Change] = field(default_factory=list)
    grid: ClassGrid | None = None
    interrupted: BaseException | None = None  # Ctrl-C / SIGTERM: ``run`` holds what was finished


@functools.lru_cache(maxsize=1)
def grader_digest() -> str:
    """The grader's own source (judges, sandbox, gate...): a fix to it regrades, whatever the version says."""
    digest = hashlib.sha256()
    for part in DECIDING:
        for path in sorted([GRADER_SOURCE / part] if part.endswith(".py") else (GRADER_SOURCE / part).rglob("*.py")):
            digest.update(str(path.relative_to(GRADER_SOURCE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(assignment_id: str, mode: str, data_dir: Path | None = None) -> str:
    """Everything besides the submission and the seed that decides an assignment's grades."""
    loaded = assignments.load(assignment_id)
    data = []
    for name in loaded.rubric.data_files:
        try:
            found = datasets.locate(name, data_dir, download=False)
            data.append((name, found.stat().st_size, found.stat().st_mtime_ns))
        except (datasets.DataSetMissing, OSError):
            data.append((name, "missing"))
    digest = hashlib.sha256(repr((grader_digest(), sorted(pipeline.versions().items()),
                                  isolation.available_method(), mode, data)).encode())
    files = sorted(p for p in loaded.folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in [*files, *([loaded.reference] if loaded.reference else [])]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def content_hash(submission: Submission) -> str:
    try:
        data = submission.content if submission.content is not None else read_bytes(submission.path)
    except UnreadableSubmission:
        return "unreadable"
    except OSError:
        return "missing"
    return hashlib.sha256(data).hexdigest()


def choose_seed(book: Gradebook, seed: int | None, new_seed: bool) -> tuple[int, str]:
    if seed is not None:
        return seed, "the seed given with --seed (the course seed is unchanged)"
    if new_seed:
        drawn = pipeline.new_seed()
        book.replace_course_seed(drawn)
        return drawn, "a new course seed, drawn now (--new-seed): every submission is graded again"
    drawn, fresh = book.course_seed(pipeline.new_seed)
    return drawn, "a course seed, drawn now and kept in the gradebook" if fresh else "the course seed"


def _why(before: Attempt, content: str, finger: str, seed: int) -> str:
    reasons = [what for what, changed in (("submission changed", before.content_hash != content),
                                          ("rubric or grader changed", before.fingerprint != finger),
                                          ("seed changed", before.seed != str(seed)),
                                          ("previously not graded", before.status == "ungraded")) if changed]
    return ", ".join(reasons) or "graded again"


def _keeps(book: Gradebook, before: Attempt | None, key: tuple[str, str, str], force: bool) -> bool:
    if force or before is None or before.status == "ungraded":
        return False
    if (before.content_hash, before.fingerprint, before.seed) != key:
        return False
    return before.status == "graded" or not book.attempt_result(before.id).provisional


def grade_class(root: Path, found: list[Submission], book: Gradebook, *, seed: int, seed_note: str = "",
                jobs: int = 1, data_dir: Path | None = None, force: bool = False, scheduler: str | None = None,
                command: str = "", progress: Callable[[SubmissionResult], None] | None = None) -> ClassRun:
    """Grade ``found`` with ``seed`` (see ``choose_seed``), keeping what the gradebook already has."""
    known = assignments.known_ids()
    fingerprints: dict[str, str] = {}
    for assignment in sorted({s.assignment for s in found if s.assignment in known}):
        try:
            fingerprints[assignment] = fingerprint(assignment, "grade", data_dir)
        except Exception:  # a broken rubric: grade_found reports it on each of its submissions
            pass
    hashes: dict[int, str] = {}  # by id(submission)
    kept: dict[int, SubmissionResult] = {}
    to_grade: list[Submission] = []
    for sub in found:
        if sub.counted and sub.assignment in fingerprints and sub.student != "(no student)":
            hashes[id(sub)] = content_hash(sub)
            before = book.current(sub.student, sub.assignment)
            if _keeps(book, before, (hashes[id(sub)], fingerprints[sub.assignment], str(seed)), force):
                result = book.attempt_result(before.id)
                result.cached, result.path = True, pipeline.display_path(sub.path)  # the same bytes, perhaps moved
                kept[id(sub)] = result
                if progress:
                    progress(result)
                continue
        to_grade.append(sub)

    run_id = book.start_run(command)
    changes: list[Change] = []
    lock = threading.Lock()
    graded_now: dict[int, SubmissionResult] = {}

    def judged(sub: Submission, result: SubmissionResult) -> None:
        graded_now[id(sub)] = result
        if id(sub) not in hashes:
            return
        # recorded the moment it is judged: kill -9 loses nothing
        _, before = book.record(result, run_id=run_id, content_hash=hashes[id(sub)],
                                fingerprint=fingerprints[result.assignment], seed=seed, versions=pipeline.versions())
        if before is not None and result.status != "ungraded":  # an ungraded result keeps the earlier grade
            overrides = book.overrides(result.student, result.assignment)
            found_changes = changes_between(apply_overrides(book.attempt_result(before.id), overrides),
                                            apply_overrides(result, overrides),
                                            _why(before, hashes[id(sub)], fingerprints[result.assignment], seed))
            with lock:
                changes.extend(found_changes)

    interrupted = None
    try:
        graded = pipeline.grade_found(to_grade, seed, jobs, False, data_dir, progress, force=force,
                                      scheduler=scheduler, judged=judged) if to_grade else pipeline.new_run(seed, "grade")
    except pipeline.Interrupted as exc:
        graded, interrupted = exc.run, exc.cause
    book.finish_run(run_id, "interrupted" if interrupted else "complete")

    results = [kept.get(id(s)) or graded_now[id(s)] for s in found if id(s) in kept or id(s) in graded_now]
    for i, result in enumerate(results):
        if result.counted and result.assignment in fingerprints:
            results[i] = apply_overrides(result, book.overrides(result.student, result.assignment))
    run = pipeline.new_run(seed, "grade")
    run.submissions, run.harness_errors, run.complete = results, graded.harness_errors, interrupted is None
    max_scores = {}
    for a in known:
        try:
            max_scores[a] = assignments.load(a).rubric.max_score
        except Exception:
            pass  # reported by grade_found where it matters
    changes.sort(key=lambda c: (c.student, c.assignment, c.check is not None, c.check or ""))
    return ClassRun(run, graded_now=len(graded_now), kept=len(kept), seed_note=seed_note, changes=changes,
                    grid=grid_of_gradebook(book, list(max_scores), max_scores), interrupted=interrupted)
