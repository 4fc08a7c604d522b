"""A class graded against the gradebook: what is already graded is kept, what is new or changed is graded,
every result is recorded the moment it is judged, and what a regrade changed is listed.

``grade_class`` is the instructor's ``grader grade``: the same ``pipeline.grade_found`` as everyone else,
with the gradebook deciding the seed (the course's, drawn once) and which submissions need running at all.
A submission is graded again only when something that decides its grade changed: its bytes, the
assignment's rubric/probes/judges/reference, the grader or library versions, the sandbox, or the seed.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import __version__, assignments, pipeline
from ..notebook import UnreadableSubmission, read_bytes
from ..observation_cache import RUNTIME_FILES
from ..results import GradingRun, SubmissionResult
from ..sandbox import isolation
from ..submissions import Submission
from .store import Attempt, Gradebook
from .views import Change, ClassGrid, apply_overrides, changes_between, grid_of_gradebook


@dataclass
class ClassRun:
    run: GradingRun  # every submission found: those graded now and those kept from the gradebook
    graded_now: int
    kept: int
    seed_note: str
    changes: list[Change] = field(default_factory=list)
    grid: ClassGrid | None = None
    interrupted: BaseException | None = None  # Ctrl-C / SIGTERM: ``run`` holds what was finished


def fingerprint(assignment_id: str, mode: str) -> str:
    """Everything besides the submission and the seed that decides an assignment's grades."""
    loaded = assignments.load(assignment_id)
    digest = hashlib.sha256(repr((__version__, sorted(pipeline.versions().items()), isolation.available_method(),
                                  mode)).encode())
    files = sorted(p for p in loaded.folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in [*files, *([loaded.reference] if loaded.reference else []), *RUNTIME_FILES]:
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
                                          ("seed changed", before.seed != str(seed))) if changed]
    return ", ".join(reasons) or "graded again (--force)"


def grade_class(root: Path, found: list[Submission], book: Gradebook, *, seed: int, seed_note: str = "", jobs: int = 1, data_dir: Path | None = None, force: bool = False,
                scheduler: str | None = None, command: str = "",
                progress: Callable[[SubmissionResult], None] | None = None) -> ClassRun:
    """Grade ``found`` with ``seed`` (see ``choose_seed``), keeping what the gradebook already has."""
    known = assignments.known_ids()
    fingerprints = {a: fingerprint(a, "grade") for a in {s.assignment for s in found if s.assignment in known}}
    hashes: dict[Path, str] = {}
    kept: dict[Path, SubmissionResult] = {}
    to_grade: list[Submission] = []
    for sub in found:
        recordable = sub.counted and sub.assignment in known and sub.student != "(no student)"
        if recordable:
            hashes[sub.path] = content_hash(sub)
            before = book.current(sub.student, sub.assignment)
            if (not force and before is not None and before.status != "ungraded"
                    and (before.content_hash, before.fingerprint, before.seed)
                    == (hashes[sub.path], fingerprints[sub.assignment], str(seed))):
                kept[sub.path] = book.attempt_result(before.id)
                kept[sub.path].cached = True
                kept[sub.path].path = pipeline.display_path(sub.path)  # the same bytes, perhaps moved
                if progress:
                    progress(kept[sub.path])
                continue
        to_grade.append(sub)

    run_id = book.start_run(command)
    changes: list[Change] = []
    lock = threading.Lock()
    waiting = {pipeline.display_path(s.path): s for s in to_grade}  # a result's path names its submission

    def on_result(result: SubmissionResult) -> None:
        sub = waiting.get(result.path)
        if sub is not None and sub.path in hashes:  # recorded the moment it is judged: kill -9 loses nothing
            _, before = book.record(result, run_id=run_id, content_hash=hashes[sub.path],
                                    fingerprint=fingerprints[result.assignment], seed=seed,
                                    versions=pipeline.versions())
            if before is not None:
                why = _why(before, hashes[sub.path], fingerprints[result.assignment], seed)
                found_changes = changes_between(book.attempt_result(before.id), result, why)
                with lock:
                    changes.extend(found_changes)
        if progress:
            progress(result)

    interrupted = None
    try:
        graded = pipeline.grade_found(to_grade, seed, jobs, False, data_dir, on_result, force=force,
                                      scheduler=scheduler) if to_grade else pipeline.new_run(seed, "grade")
    except pipeline.Interrupted as exc:
        graded, interrupted = exc.run, exc.cause
    book.finish_run(run_id, "interrupted" if interrupted else "complete")

    now_graded = {r.path: r for r in graded.submissions}
    results = [kept[s.path] if s.path in kept else now_graded[pipeline.display_path(s.path)]
               for s in found if s.path in kept or pipeline.display_path(s.path) in now_graded]
    for i, result in enumerate(results):
        if result.counted and result.assignment in known:
            results[i] = apply_overrides(result, book.overrides(result.student, result.assignment))
    run = pipeline.new_run(seed, "grade")
    run.submissions, run.harness_errors, run.complete = results, graded.harness_errors, interrupted is None
    max_scores = {a: assignments.load(a).rubric.max_score for a in known}
    changes.sort(key=lambda c: (c.student, c.assignment, c.check is not None, c.check or ""))
    return ClassRun(run, graded_now=len(graded.submissions), kept=len(kept), seed_note=seed_note, changes=changes,
                    grid=grid_of_gradebook(book, known, max_scores), interrupted=interrupted)
