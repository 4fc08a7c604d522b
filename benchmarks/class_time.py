"""How long a whole class takes, and where the time goes: all five assignments, cold, --jobs 2.

    pip install -e ".[dev,bench]"    # nbclient and ipykernel for the peer baseline
    GRADER_DATA_DIR=... python benchmarks/class_time.py --students N --json PATH [--jobs 2]
                                                       [--baseline-per-kind 1] [--skip-baseline]

Builds a class of N students × (gradient_descent, softmax, xor, mnist, iris) from the bundled examples
(examples/submissions/{ada,ben,cy}: correct, partly wrong, broken, in turn), each notebook made distinct
per student so that the observation cache shares nothing, then grades it once, cold (an empty
GRADER_CACHE_DIR: the references run too) at --jobs J, exactly as ``grader grade`` does (the same
``pipeline.grade``, then the same report writers: it runs ``grader grade --no-gradebook`` in this process). Functions are wrapped in this process to see where the
time goes, per assignment and per submission:

  sandbox_start_s   getting a child from the warm pool (fork of the zygote, namespaces, cgroup)
  sandbox_other_s   the rest of the sandboxed run that is neither a cell nor a probe (setup, finishing,
                    retries): run_job's wall time minus cells minus probes, as the parent measured them
  cells_s           the notebook's cells (the child's clock)
  probes_s          every probe by name (the child's clock)
  judge_s           judge_submission in the parent
  grade_one_s       the whole of one submission in its thread (parse, wait for the reference, run, judge)

then reports: the time in each report writer (the two pages of a submission are written by the grading
threads as it finishes, the class files at the end), the reference runs, the class's wall time and its
extrapolation to 100 students, and the ratio to the peer baseline: the same notebooks run by
nbclient in one fresh kernel each, serially, with the same budget injected (nbgrader's autograde; cells
only, no probes). The baseline runs on a subset (``--baseline-per-kind`` notebooks of each of the three
kinds per assignment) and is scaled to the class by each assignment's mean per notebook.

Every figure is a named field of the JSON written to PATH. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import assignments, cli, datasets, pipeline  # noqa: E402
from grader.writers import csv_out, feedback, gradescope, html, json_out, junit  # noqa: E402
from grader.notebook import code_cells, read_notebook  # noqa: E402
from grader.sandbox import launchers  # noqa: E402

ASSIGNMENTS = ("gradient_descent", "softmax", "xor", "mnist", "iris")
KINDS = ("ada", "ben", "cy")  # correct, partly wrong, broken
TARGET_STUDENTS = 100


def build_class(root: Path, students: int, only: tuple[str, ...] = ASSIGNMENTS) -> list[Path]:
    examples = ROOT / "examples" / "submissions"
    paths = []
    for i in range(students):
        folder = root / f"student{i:03d}"
        folder.mkdir(parents=True)
        for assignment in only:
            notebook = read_notebook(examples / KINDS[i % len(KINDS)] / f"{assignment}.ipynb")
            notebook.cells[-1].source += f"\n# student {i}\n"  # distinct content: no cache sharing
            target = folder / f"{assignment}.ipynb"
            nbformat.write(notebook, target)
            paths.append(target)
    return paths


# --- instrumentation: wrap the pipeline's functions in this process -------------------------------------
@dataclasses.dataclass
class Sample:
    """One sandboxed run (a submission or a reference) as this process saw it."""

    assignment: str
    reference: bool
    student: str = ""
    run_s: float = 0.0
    start_s: float = 0.0
    cells_s: float = 0.0
    probes: dict[str, float] = dataclasses.field(default_factory=dict)
    judge_s: float = 0.0
    grade_one_s: float = 0.0
    status: str = ""


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.writers: dict[str, float] = {}  # seconds spent in each report writer, in any thread
        self.local = threading.local()
        self.lock = threading.Lock()

    def current(self) -> Sample | None:
        return getattr(self.local, "sample", None)

    def install(self) -> None:
        recorder = self
        original_grade_one, original_reference = pipeline.grade_one, pipeline.Plan._observe_reference
        original_run_job, original_judge = pipeline.run_job, pipeline.judge_submission

        def begin(assignment: str, reference: bool, student: str = "") -> Sample:
            sample = Sample(assignment, reference, student)
            with recorder.lock:
                recorder.samples.append(sample)
            recorder.local.sample = sample
            return sample

        def grade_one(plan, submission, *args, **kwargs):
            sample = begin(plan.assignment.id, False, submission.student)
            started = time.perf_counter()
            try:
                result = original_grade_one(plan, submission, *args, **kwargs)
                sample.status = result.status
                return result
            finally:
                sample.grade_one_s = time.perf_counter() - started
                recorder.local.sample = None

        def observe_reference(plan, launcher):
            outer = recorder.current()
            begin(plan.assignment.id, True)
            try:
                return original_reference(plan, launcher)
            finally:
                recorder.local.sample = outer

        def run_job(job, launcher=None):
            started = time.perf_counter()
            record = original_run_job(job, launcher)
            sample = recorder.current()
            if sample is not None:
                sample.run_s += time.perf_counter() - started
                sample.cells_s += sum(c.seconds for c in record.cells.values())
                for name, observation in record.observations.items():
                    sample.probes[name] = sample.probes.get(name, 0.0) + observation.seconds
            return record

        def judge_submission(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original_judge(*args, **kwargs)
            finally:
                sample = recorder.current()
                if sample is not None:
                    sample.judge_s += time.perf_counter() - started

        def timed_child(original):
            def child(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    return original(self, *args, **kwargs)
                finally:
                    sample = recorder.current()
                    if sample is not None:
                        sample.start_s += time.perf_counter() - started
            return child

        def timed_writer(module, name):
            original = getattr(module, name)

            def write(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    with recorder.lock:
                        key = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"
                        recorder.writers[key] = recorder.writers.get(key, 0.0) + time.perf_counter() - started
            setattr(module, name, write)

        for module, name in ((html, "write_pages"), (html, "write_index"), (feedback, "write"), (json_out, "write"),
                             (csv_out, "write"), (junit, "write"), (gradescope, "write")):
            timed_writer(module, name)
        pipeline.grade_one, pipeline.Plan._observe_reference = grade_one, observe_reference
        pipeline.run_job, pipeline.judge_submission = run_job, judge_submission
        launchers.WarmPool.child = timed_child(launchers.WarmPool.child)
        launchers.FreshLauncher.child = timed_child(launchers.FreshLauncher.child)


def kind_of(student: str) -> str:
    """Which example a student of ``build_class`` was made from (student007 -> KINDS[7 % 3])."""
    number = student.removeprefix("student")
    return KINDS[int(number) % len(KINDS)] if number.isdigit() else ""


def mean(values) -> float:
    values = list(values)
    return round(statistics.mean(values), 3) if values else 0.0


def breakdown(samples: list[Sample]) -> dict:
    """Means per submission of every phase, for the submissions of one assignment."""
    names = sorted({name for s in samples for name in s.probes})
    return {
        "submissions": len(samples),
        "statuses": {status: sum(s.status == status for s in samples) for status in sorted({s.status for s in samples})},
        "grade_one_s": mean(s.grade_one_s for s in samples),
        "sandbox_run_s": mean(s.run_s for s in samples),
        "sandbox_start_s": mean(s.start_s for s in samples),
        "sandbox_other_s": mean(s.run_s - s.start_s - s.cells_s - sum(s.probes.values()) for s in samples),
        "cells_s": mean(s.cells_s for s in samples),
        "probes_s": mean(sum(s.probes.values()) for s in samples),
        "probe_s": {name: mean(s.probes.get(name, 0.0) for s in samples) for name in names},
        "judge_s": mean(s.judge_s for s in samples),
        "grade_one_s_by_kind": {kind: mean(s.grade_one_s for s in samples if kind_of(s.student) == kind)
                                for kind in KINDS},
    }


# --- the peer baseline ------------------------------------------------------------------------------------
def nbclient_baseline(root: Path, per_kind: int) -> dict[str, list[float]]:
    """Seconds per notebook, by assignment: one fresh kernel per notebook, serially, the grader's budget
    injected (papermill style), on ``per_kind`` notebooks of each kind per assignment."""
    from nbclient import NotebookClient

    keras_home = Path(tempfile.mkdtemp(prefix="bench-keras-"))
    for name, dataset in datasets.DATASETS.items():  # what load_data() reads, as in the sandbox
        try:
            source = datasets.for_sandbox(name, datasets.locate(name, download=False))
        except Exception:
            continue
        (keras_home / dataset.keras_path).parent.mkdir(parents=True, exist_ok=True)
        (keras_home / dataset.keras_path).symlink_to(source)
    os.environ["KERAS_HOME"] = str(keras_home)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    seconds: dict[str, list[float]] = defaultdict(list)
    folders = sorted(p for p in root.iterdir() if p.is_dir())[: per_kind * len(KINDS)]
    for folder in folders:
        for path in sorted(folder.glob("*.ipynb")):
            parameters = assignments.load(path.stem).rubric.parameters
            cells = code_cells(path, parameters).cells
            notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c["source"]) for c in cells])
            client = NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": tempfile.mkdtemp()}})
            started = time.perf_counter()
            try:
                client.execute()
            except Exception:  # a cell timeout ends that notebook, as in nbgrader
                pass
            seconds[path.stem].append(time.perf_counter() - started)
    shutil.rmtree(keras_home, ignore_errors=True)
    return dict(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0x5EED_0F_C1A55_7131_B3_9C4A_2D17_E6F0_8B3A,
                        help="the run's seed (long: a short one makes the CLI print a note)")
    parser.add_argument("--assignments", default=",".join(ASSIGNMENTS), help="comma-separated subset")
    parser.add_argument("--baseline-per-kind", type=int, default=1,
                        help="notebooks of each kind per assignment for the nbclient baseline")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the class, cache and reports folder")
    args = parser.parse_args()
    only = tuple(a for a in args.assignments.split(",") if a)
    work = Path(tempfile.mkdtemp(prefix="grader-class-"))
    root, out = work / "class", work / "reports"
    build_class(root, args.students, only)
    os.environ["GRADER_CACHE_DIR"] = str(work / "cache")  # empty: cold, references included
    report: dict = {"students": args.students, "assignments": list(only), "jobs": args.jobs,
                    "cpu_count": os.cpu_count(), "tensorflow_version": pipeline.package_version("tensorflow"),
                    "keras_version": pipeline.package_version("keras")}

    def save() -> None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")

    recorder = Recorder()
    recorder.install()
    started = time.perf_counter()
    # exactly what an instructor runs (pages are written as submissions finish, the class files at the end)
    code = cli.main(["grade", str(root), "--out", str(out), "--jobs", str(args.jobs), "--seed", str(args.seed),
                     "--no-gradebook"])
    total = time.perf_counter() - started
    launchers.close_all()
    reports = sum(recorder.writers.values())
    students = [s for s in recorder.samples if not s.reference]
    references = [s for s in recorder.samples if s.reference]
    reference_wall = max((s.run_s for s in references), default=0.0)
    per_assignment = {a: breakdown([s for s in students if s.assignment == a]) for a in only}
    for a in only:
        per_assignment[a]["reference_run_s"] = mean(s.run_s for s in references if s.assignment == a)
        per_assignment[a]["reference_probe_s"] = breakdown([s for s in references if s.assignment == a])["probe_s"]
    busy = sum(s.grade_one_s for s in students)
    graded = total - recorder.writers.get("html.write_index", 0.0) - sum(
        v for k, v in recorder.writers.items() if k.split(".")[0] in ("json_out", "csv_out", "junit", "gradescope"))
    # the students' part scales with the class; the references (run first, in parallel) do not
    per_student = (total - reference_wall) / args.students
    report.update({
        "submissions": len(students),
        "exit_code": code,
        "class_total_s": round(total, 2), "until_class_files_s": round(graded, 2),
        # every writer, in whichever thread it ran (pages are written by the grading threads as they finish)
        "write_reports_s": round(reports, 2), "write_reports_per_submission_s": round(reports / max(1, len(students)), 4),
        "write_reports_by_writer_s": {k: round(v, 2) for k, v in sorted(recorder.writers.items())},
        "references_wall_s": round(reference_wall, 2),
        "submission_busy_s": round(busy, 2), "parallel_efficiency": round(busy / max(1e-9, graded - reference_wall)
                                                                           / args.jobs, 3),
        # linear in the class (a small class overstates it: each worker's start is paid once, by its first)
        f"estimated_{TARGET_STUDENTS}_students_s": round(reference_wall + per_student * TARGET_STUDENTS, 1),
        # from the submissions' own times, --jobs at once without waiting, plus every writer's time
        f"estimated_{TARGET_STUDENTS}_students_from_submission_times_s": round(
            reference_wall + (busy / args.jobs + reports) * TARGET_STUDENTS / args.students, 1),
        "per_assignment": per_assignment,
    })
    save()
    if not args.skip_baseline:
        seconds = nbclient_baseline(root, args.baseline_per_kind)
        counts = {a: sum(s.assignment == a for s in students) for a in only}
        estimate = sum(statistics.mean(seconds[a]) * counts[a] for a in seconds)
        report.update({
            "nbclient_notebooks_run": sum(len(v) for v in seconds.values()),
            "nbclient_per_notebook_s": {a: mean(v) for a, v in seconds.items()},
            "nbclient_class_estimate_s": round(estimate, 1),
            # how much faster full grading (cells and probes, sandboxed, judged, reported) is than nbclient
            # running the cells alone, for the same class
            "speedup_vs_nbclient": round(estimate / total, 3),
            "speedup_vs_nbclient_by_assignment": {
                a: round(statistics.mean(seconds[a]) / max(1e-9, per_assignment[a]["grade_one_s"] / args.jobs), 3)
                for a in seconds},
        })
        save()
    if args.keep:
        report["work_dir"] = str(work)
        save()
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({k: v for k, v in report.items() if k != "per_assignment"}, indent=1))
    for a, figures in report["per_assignment"].items():
        probes = ", ".join(f"{n} {s:.2f}" for n, s in sorted(figures["probe_s"].items(), key=lambda kv: -kv[1]))
        print(f"{a:17s} {figures['grade_one_s']:6.2f} s/submission: start {figures['sandbox_start_s']:.2f}, "
              f"other {figures['sandbox_other_s']:.2f}, cells {figures['cells_s']:.2f}, judge "
              f"{figures['judge_s']:.2f}; probes {figures['probes_s']:.2f}: {probes}")


if __name__ == "__main__":
    main()
