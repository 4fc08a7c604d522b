"""Which assignment a live kernel is working on, which checks to run, and the self-check plan of each
(public checks, the self-check's inputs and seed, the reference's observations loaded once per process)."""

from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import assignments, identify, student_kit
from ..errors import HarnessError
from ..rubric import ANY_BEHAVIOUR


class SelfCheckError(HarnessError):
    """A self-check that cannot start as asked (which assignment, which check): said in one line."""


@dataclass
class _Cached:
    key: tuple
    plan: Any


_plans: dict[tuple[Path, str], _Cached] = {}
_plans_lock = threading.Lock()


def _stat(path: Path | None) -> tuple:
    try:
        info = path.stat()
        return info.st_mtime_ns, info.st_size
    except (OSError, AttributeError):
        return ()


def public_plan(assignment_id: str):
    """The self-check plan of an assignment (public checks, CHECK mode and seed), kept while its files,
    its reference and its kit's published observations stay the same: the reference's observations are
    then loaded once per kernel."""
    from .. import pipeline

    loaded = assignments.load(assignment_id)
    key = (id(loaded), _stat(loaded.reference), _stat(loaded.folder / student_kit.PUBLISHED))
    with _plans_lock:
        cached = _plans.get((loaded.folder, assignment_id))
        if cached is None or cached.key != key or cached.plan.assignment is not loaded:
            plan = pipeline.Plan(loaded, loaded.rubric.checks_for(public_only=True), pipeline.CHECK_SEED,
                                 mode=pipeline.CHECK)
            cached = _plans[(loaded.folder, assignment_id)] = _Cached(key, plan)
        return cached.plan


def _distinctive_names(known: list[str]) -> dict[str, frozenset[str]]:
    """For each assignment, the names its template defines that no other template does."""
    names = {a: public_plan(a).template_names() for a in known}
    return {a: frozenset(n for n in own if not any(n in names[o] for o in known if o != a)) for a, own in names.items()}


def _from_metadata(namespace: dict, known: list[str]) -> tuple[str, str] | None:
    """The notebook's ``nn_grader.assignment`` metadata, when the kernel knows its notebook's file (VS Code
    sets ``__vsc_ipynb_file__``; Jupyter Server names the session after the notebook's path)."""
    for candidate in (namespace.get("__vsc_ipynb_file__"), namespace.get("__session__"),
                      os.environ.get("JPY_SESSION_NAME")):
        if not isinstance(candidate, str) or not candidate.endswith(".ipynb"):
            continue
        path = Path(candidate)
        try:
            if not path.is_file() or path.stat().st_size > 50 * 2**20:
                continue
            named = identify.metadata_assignment(path.name, path.read_bytes())
        except OSError:
            continue
        if named in known:
            return named, f"recognised as {named} by the metadata of {path.name}"
    return None


def which_assignment(namespace: dict, assignment: str | None, check: str | None) -> tuple[str, str]:
    """(assignment id, how it was recognised): ``assignment=``, else the notebook's metadata, else the names
    the namespace defines (among the assignments that have ``check``, when one is named), else ``check``."""
    known = assignments.known_ids()
    if assignment is not None:
        if assignment not in known:
            raise SelfCheckError(f"unknown assignment {assignment!r}; known: {', '.join(known)}")
        return assignment, ""
    found = _from_metadata(namespace, known)
    if found:
        return found
    pool = known
    if check is not None:
        pool = [a for a in known if any(c.name == check for c in assignments.load(a).rubric.checks)]
        if not pool:
            raise SelfCheckError(f"no assignment of this course has a check named {check!r}; see `grader list`")
    if len(pool) > 1:
        distinctive = _distinctive_names(known)
        scores = {a: len(distinctive[a] & namespace.keys()) / max(1, len(distinctive[a])) for a in pool}
        best = max(scores.values())
        winners = [a for a in pool if scores[a] == best]
        if best > 0 and len(winners) == 1:
            shown = ", ".join(sorted(distinctive[winners[0]] & namespace.keys())[:4])
            return winners[0], f"recognised as {winners[0]} by the names this kernel defines ({shown})"
    if len(pool) == 1:
        return pool[0], (f"recognised as {pool[0]}: the only assignment with a check named {check}"
                         if check is not None and len(known) > 1 else "")
    among = f"{', '.join(pool)} (all have a check named {check})" if check is not None else ", ".join(known)
    example = f"grader.check({check!r}, assignment={pool[0]!r})" if check else f"grader.check(assignment={pool[0]!r})"
    raise SelfCheckError("cannot tell which assignment this kernel is working on (no notebook metadata here, and "
                         f"its names fit none or several of {among}): say which, e.g. {example}")


def chosen_checks(plan, check: str | None) -> list:
    public = plan.checks
    if check is None:
        return list(public)
    found = [c for c in public if c.name == check]
    if found:
        return found
    if any(c.name == check for c in plan.assignment.rubric.checks):
        raise SelfCheckError(f"{check} is a hidden check of {plan.assignment.id}: it runs only when your instructor "
                             "grades, on inputs no one sees in advance")
    raise SelfCheckError(f"{plan.assignment.id} has no public check named {check!r}; its public checks: "
                         + ", ".join(c.name for c in public))


def needed_with(plan, asked: list) -> tuple[list, list]:
    """(the checks to judge, behaviour checks that may still be needed): a check that counts only once another
    passes (``Check.requires``) is judged beside what it needs, as in grading. The checks it names are judged
    with it; "any behaviour check" ones are offered one at a time, cheapest first (by the reference's
    observing time), only while they are needed (see ``live.check_live``)."""
    names = {c.name for c in asked} | {n for c in asked for n in c.requires if n != ANY_BEHAVIOUR}
    judged = [c for c in plan.checks if c.name in names]
    if not any(ANY_BEHAVIOUR in c.requires for c in asked):
        return judged, []
    behaviour = set(plan.assignment.rubric.behaviour_checks(public=True))
    pending = [c for c in plan.checks if c.name in behaviour and c.name not in names]
    try:
        seconds = {name: o.seconds for name, o in plan.reference().observations.items()}
    except HarnessError:
        seconds = {}
    return judged, sorted(pending, key=lambda c: seconds.get(c.probe, float("inf")))


def uncredited(plan, asked: list, tests: list) -> list:
    """The asked checks that need any behaviour check to pass, while none judged so far has."""
    behaviour = set(plan.assignment.rubric.behaviour_checks(public=True))
    if behaviour & {t.name for t in tests if t.status == "passed"}:
        return []
    return [c for c in asked if ANY_BEHAVIOUR in c.requires]


def without_requirements(checks: list) -> list:
    return [dataclasses.replace(c, requires=()) for c in checks]
