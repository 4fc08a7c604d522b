"""Inside Gradescope's container: ``prepare`` (from setup.sh, once) and ``run`` (from run_autograder, per
submission). The layout is Gradescope's, below ``AUTOGRADER_ROOT`` (default /autograder)::

    source/          the zip: course, grader source, autograder.json, grader_seed   (0700: root only)
    submission/      the student's files, put there by Gradescope
    results/         results.json, which Gradescope shows to the student
    work/            the class folder and the reports of this run                   (0700)
    grader-cache/    observations (0700) and the sandbox's copies of data sets      (0711)

The seed never leaves root: it is read from ``source/grader_seed`` (0600) by this process and handed to
``grader grade`` in-process, so no command line and no environment holds it, and the sandboxed child gets a
fresh environment of its own. Before anything runs, ``exposure_problems`` checks that student code, as the
sandbox will run it here, can reach neither the seed nor the reference: under bubblewrap nothing outside the
system and Python is mounted; without it (Gradescope's containers often cannot run it) the child drops from
root to uid 65534, and the files are tried as that uid. If the check fails nothing is graded and the student
is told it is not their doing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..gate import clean_text
from ..notebook import UnreadableSubmission, read_bytes
from ..sandbox import isolation
from ..submissions import GRADED_SUFFIXES, IGNORED_NAMES
from ..writers.files import ReportNames, atomic_write
from ..writers.visibility import STUDENT_UNGRADED

CONFIG = "autograder.json"
SEED = "grader_seed"
DATA = "data"
STUDENT = "student"


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def at(cls, root: str | Path | None = None) -> "Layout":
        return cls(Path(root or os.environ.get("AUTOGRADER_ROOT") or "/autograder").resolve())

    source = property(lambda self: self.root / "source")
    submission = property(lambda self: self.root / "submission")
    results = property(lambda self: self.root / "results" / "results.json")
    work = property(lambda self: self.root / "work")
    cache = property(lambda self: self.root / "grader-cache")
    seed_file = property(lambda self: self.source / SEED)
    data = property(lambda self: self.source / DATA)

    def config(self) -> dict:
        return json.loads((self.source / CONFIG).read_text())

    def seed(self) -> int:
        return int(self.seed_file.read_text().strip())


def secure(layout: Layout) -> None:
    """Permissions as the checks expect them, whatever the zip's extraction left."""
    mode = layout.root.stat().st_mode
    os.chmod(layout.root, stat.S_IMODE(mode) | stat.S_IXOTH)  # the sandbox's data copies are reached through it
    os.chmod(layout.source, 0o700)
    os.chmod(layout.seed_file, 0o600)
    for folder, mode in ((layout.cache, 0o711), (layout.cache / "observations", 0o700),
                         (layout.cache / "datasets", 0o755), (layout.work, 0o700)):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, mode)


def configure(layout: Layout) -> None:
    os.environ["GRADER_COURSE_DIR"] = str(layout.source)
    os.environ["GRADER_CACHE_DIR"] = str(layout.cache)  # never a cache the sandbox could read
    if layout.data.is_dir():
        os.environ["GRADER_DATA_DIR"] = str(layout.data)


def readable_by(path: Path, uid: int) -> bool:
    """Whether ``uid`` (no supplementary groups) can read ``path``: tried, as that uid, not inferred."""
    probe = ["ls", "--", str(path)] if path.is_dir() else ["head", "-c", "1", "--", str(path)]
    done = subprocess.run(probe, user=uid, group=uid, extra_groups=[], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return done.returncode == 0


def sandbox_mounts() -> list[Path]:
    """What bubblewrap shows a submission of the host's file system (see ``isolation.zygote_command``)."""
    system = [Path(p) for p in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc")]
    return system + isolation._python_roots() + [isolation.RUNTIME_DIR]


def exposure_problems(secret: list[Path], needed: list[Path]) -> list[str]:
    """Why student code could read a ``secret`` path (or could not read a ``needed`` one) in the sandbox
    this host gives it; empty when all is as it must be."""
    method = isolation.available_method()
    if method == "bubblewrap":
        return [f"{path} is inside {mount}, which the sandbox shows to student code"
                for path in secret for mount in sandbox_mounts() if path == mount or mount in path.parents]
    if os.geteuid() != 0:
        return [f"no bubblewrap here ({method}) and not running as root: student code would run as this same "
                f"user and could read {secret[0]}"]
    uid = isolation.layout(method, Path("/nonexistent"), {}).drop_to_uid
    if uid is None:
        return [f"no bubblewrap here ({method}) and student code would keep root's privileges: the grader's Python "
                f"({', '.join(map(str, isolation._python_roots()))}) is not readable by every user; install it "
                "where it is (setup.sh uses /opt/nn-grader with umask 022)"]
    return ([f"{path} can be read by uid {uid}, as which student code runs here" for path in secret
             if readable_by(path, uid)]
            + [f"{path} cannot be read by uid {uid}: submissions could not load it" for path in needed
               if not readable_by(path, uid)])


def secrets_of(layout: Layout) -> list[Path]:
    """The seed, the reference solutions, the real data sets and every observation (the reference's too)."""
    found = [layout.seed_file, layout.cache / "observations"]
    for folder in (layout.source / "reference", layout.data):
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.is_file())
    return found


def sandbox_data(layout: Layout, ids: list[str]) -> list[Path]:
    """The copies of data sets the sandbox shows submissions (the real test sets are never among them)."""
    from .. import assignments, datasets

    copies = []
    for assignment in ids:
        for name in assignments.load(assignment).rubric.data_files:
            try:
                copies.append(datasets.for_sandbox(name, datasets.locate(name, download=False)))
            except datasets.DataSetMissing:
                pass  # the grade says so, as not graded
    return copies


def collect(submission: Path, folder: Path) -> list[str]:
    """Copy the notebooks and scripts of ``submission`` (any depth) into ``folder``; return notes for the
    student. Links are never followed: a link to the reference must not be graded as the student's work."""
    folder.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    found: list[Path] = []
    for parent, dirs, files in os.walk(submission):  # followlinks=False: a linked folder is not entered
        for name in [d for d in dirs if os.path.islink(os.path.join(parent, d))]:
            notes.append(f"{Path(parent, name).relative_to(submission)}: a link to a folder, not followed")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in IGNORED_NAMES
                         and not os.path.islink(os.path.join(parent, d)))
        found += [Path(parent, f) for f in files if Path(f).suffix in GRADED_SUFFIXES and not f.startswith(".")]
    taken: dict[str, Path] = {}
    for path in sorted(found, key=lambda p: (len(p.relative_to(submission).parts), str(p))):
        shown = path.relative_to(submission)
        if path.is_symlink():
            notes.append(f"{shown}: a symbolic link, not graded (submit the file itself)")
        elif path.name in taken:
            notes.append(f"{shown}: not graded, {taken[path.name]} has the same name")
        else:
            try:
                (folder / path.name).write_bytes(read_bytes(path))
                taken[path.name] = shown
            except UnreadableSubmission as exc:
                notes.append(f"{shown}: {exc}")
    return [clean_text(note, 300) for note in notes]


def results_not_graded(why_for_staff: str) -> dict:
    print(f"run_autograder: NOT GRADED: {why_for_staff}")
    message = STUDENT_UNGRADED[0].upper() + STUDENT_UNGRADED[1:] + "."
    return {"score": 0.0, "output": message, "output_format": "text", "stdout_visibility": "hidden",
            "tests": [{"name": "not graded", "score": 0.0, "max_score": 0.0, "status": "failed",
                       "visibility": "visible", "output": message}],
            "extra_data": {"autograder_error": True}}


def results_missing(assignment: str | None, max_score: float) -> dict:
    wanted = f"{assignment}.ipynb" if assignment else "your notebooks (.ipynb)"
    message = f"No {assignment + ' ' if assignment else ''}notebook or script was found in your submission: " \
              f"upload {wanted}."
    return {"score": 0.0, "output": message, "output_format": "text", "stdout_visibility": "hidden",
            "tests": [{"name": f"{assignment or 'submission'}: submission", "score": 0.0, "max_score": max_score,
                       "status": "failed", "visibility": "visible", "output": message}]}


def grade(layout: Layout) -> dict:
    from .. import assignments, cli
    from ..submissions import discover

    os.umask(0o022)  # the sandbox's data copies made now must be readable by the uid submissions run as
    config, seed = layout.config(), layout.seed()
    secure(layout)
    configure(layout)
    os.environ["GRADER_OFFLINE"] = "1"  # data sets were fetched by setup.sh; grading never downloads
    only = config.get("assignment")
    ids = [only] if only else assignments.known_ids()
    problems = exposure_problems(secrets_of(layout), sandbox_data(layout, ids))
    print(f"run_autograder: sandbox {isolation.available_method()}; seed and reference "
          + ("NOT protected: " + "; ".join(problems) if problems else "out of student code's reach"))
    if problems:
        return results_not_graded("the autograder cannot keep its seed or reference from student code here")
    class_folder = layout.work / "class"
    reports = layout.work / "reports"
    for folder in (class_folder, reports):
        shutil.rmtree(folder, ignore_errors=True)
    notes = collect(layout.submission, class_folder / STUDENT)
    if not any(s.student == STUDENT for s in discover(class_folder, assignments.known_ids(), only)):
        results = results_missing(only, assignments.load(only).rubric.max_score if only else 0.0)
    else:
        argv = ["grade", str(class_folder), "--out", str(reports), "--no-gradebook", "--seed", str(seed)]
        code = cli.main(argv + (["--assignment", only] if only else []))
        written = reports / ReportNames([STUDENT]).gradescope(STUDENT)
        if not written.is_file():
            return results_not_graded(f"grader grade exited with {code} and wrote no Gradescope results")
        results = json.loads(written.read_text())
    if notes:
        results["output"] = "\n".join(notes) + "\n\n" + results.get("output", "")
    return released(results, seed)


def released(results: dict, seed: int) -> dict:
    """What may go to Gradescope, which shows it to the student: never anything holding the seed."""
    results = dict(results, output_format="text")  # the default renders HTML; messages may quote the student
    if str(seed) in json.dumps(results):  # cannot happen unless student code reached the seed: fail closed
        return results_not_graded("the seed appeared in the results: they were not released")
    return results


def run(layout: Layout) -> int:
    try:
        results = grade(layout)
    except BaseException as exc:  # still a results.json: never a silent failure, never the student's zero
        traceback.print_exc(file=sys.stdout)
        results = results_not_graded(f"{type(exc).__name__}: {exc}")
    atomic_write(layout.results, json.dumps(results, indent=1) + "\n")
    os.chmod(layout.results, 0o644)  # what the student sees anyway; Gradescope's uploader must read it
    return 0


def prepare(layout: Layout) -> int:
    """Once, at image build: the data sets (kept root-only beside the course), the permissions, and the
    reference's observations at the grading seed (each submission then runs once, not twice)."""
    from .. import assignments, datasets, pipeline

    os.umask(0o022)
    secure(layout)
    configure(layout)
    config, seed = layout.config(), layout.seed()
    for assignment in config["assignments"]:
        loaded = assignments.load(assignment)
        for name in loaded.rubric.data_files:
            found = datasets.locate(name, layout.data)  # downloads into the Keras cache when not in the zip
            layout.data.mkdir(exist_ok=True)
            target = layout.data / found.name
            if found.resolve() != target.resolve():
                shutil.copyfile(found, target)
            os.environ["GRADER_DATA_DIR"] = str(layout.data)
            datasets.for_sandbox(name, target)
        try:
            plan = pipeline.Plan(loaded, loaded.rubric.checks_for(public_only=False), seed)
            plan.reference()
            print(f"prepare: the reference's observations for {assignment} are cached")
        except Exception as exc:  # the run does it per submission then, and says what is wrong
            print(f"prepare: the reference for {assignment} could not run now ({type(exc).__name__}: {exc})")
    problems = exposure_problems(secrets_of(layout), sandbox_data(layout, config["assignments"]))
    for problem in problems:
        print(f"prepare: WARNING: {problem}; run_autograder will refuse to grade")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.packaging.autograder",
                                     description="The grader inside Gradescope's autograder container.")
    parser.add_argument("step", choices=("prepare", "run"),
                        help="prepare: once, from setup.sh; run: grade the submission, from run_autograder")
    parser.add_argument("--root", type=Path, help="the autograder folder (default: AUTOGRADER_ROOT, else /autograder)")
    args = parser.parse_args(argv)
    layout = Layout.at(args.root)
    return prepare(layout) if args.step == "prepare" else run(layout)


if __name__ == "__main__":
    sys.exit(main())
