"""Student kits: the course without its reference solutions, so students can self-check at home.

A kit holds each assignment's folder (template, rubric, probes, judges) and, in place of
``reference/``, the reference's observations on the public probes at the self-check seed
(``public_reference.json``). ``grader check`` on a kit judges the student's observations against
those, through the same pipeline as on the instructor's machine. Hidden checks cannot run from a kit:
their inputs are drawn from the grading run's seed and need the reference itself.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

from . import __version__, assignments, observation_cache
from .errors import HarnessError

PUBLISHED = "public_reference.json"
KIT_FILES = ("__init__.py", "template.ipynb", "probes.py")  # with the modules the rubric imports; nothing else


def kit_files(loaded) -> list[Path]:
    """The files of an assignment folder a kit needs: the template, the probes and the modules its rubric
    imports (rubric, judges, ...), so that a draft solution lying beside them never leaves."""
    package = assignments.package_name(loaded.id)
    imported = {Path(module.__file__).resolve() for name, module in list(sys.modules.items())
                if (name == package or name.startswith(package + ".")) and getattr(module, "__file__", None)}
    wanted = {(loaded.folder / name).resolve() for name in KIT_FILES} | imported
    return sorted(path for path in wanted if path.parent == loaded.folder.resolve() and path.is_file())


def probes_digest(plan) -> str:
    """What the published observations answer: the probes, their inputs, the code that observes, the
    budget injected into the reference's run and the grader version that ran it."""
    job = plan.job([])
    return hashlib.sha256(json.dumps({
        "mode": plan.mode, "seed": job.seed, "probes": job.probes, "probes_source": job.probes_source,
        "parameters": plan.parameters, "grader": __version__,
    }, sort_keys=True, default=str).encode()).hexdigest()


def write(out: Path, only: list[str] | None = None) -> list[Path]:
    """Write a kit for the course (or the assignments in ``only``) into ``out``; return what was written."""
    from . import pipeline  # the pipeline builds plans and observes the reference; it imports this module

    written = []
    for assignment_id in only or assignments.known_ids():
        loaded = assignments.load(assignment_id)
        if loaded.reference is None:
            raise HarnessError(f"{assignment_id} has no reference solution here: a kit is made from the full course")
        plan = pipeline.Plan(loaded, loaded.rubric.checks_for(public_only=True), pipeline.CHECK_SEED,
                             mode=pipeline.CHECK)
        record = plan.reference()
        folder = out / "assignments" / assignment_id
        folder.mkdir(parents=True, exist_ok=True)
        for source in kit_files(loaded):
            shutil.copyfile(source, folder / source.name)
        data = observation_cache.record_to_data(record)
        # only what judging reads: no printed output or cell results of the reference solution
        data.update(cells=[], process_output="", environment={})
        (folder / PUBLISHED).write_text(json.dumps({
            "grader_version": __version__, "assignment": assignment_id, "seed": pipeline.CHECK_SEED,
            "versions": pipeline.versions(), "probes_digest": probes_digest(plan), "record": data,
        }) + "\n")
        written.append(folder)
    return written


def load_published(plan):
    """The reference's published observations for ``plan``, or a HarnessError saying why there are none."""
    loaded = plan.assignment
    path = loaded.folder / PUBLISHED
    if not path.is_file():
        raise HarnessError(f"no reference solution for {loaded.id}: neither reference/{loaded.id}.py nor "
                           f"{path.name} (a student kit's) in its assignment folder")
    if any(check.hidden for check in plan.checks) or plan.mode != "check":
        raise HarnessError(f"this course folder has no reference solution for {loaded.id} (it is a student kit): "
                           "it can self-check the public checks (grader check) but not grade")
    try:
        published = json.loads(path.read_text())
        record = observation_cache.record_from_data(published["record"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HarnessError(f"{path} is unreadable ({type(exc).__name__}): ask for a new copy of the kit") from exc
    if published.get("probes_digest") != probes_digest(plan):
        raise HarnessError(f"{path.name} of {loaded.id} was published for other probes, budget or grader "
                           f"version (nn-grader {published.get('grader_version')}) than this rubric's and this "
                           f"grader's ({__version__}): ask for a new kit")
    return record
