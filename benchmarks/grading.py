"""Grading throughput, measured in one run on this machine against bare execution and a peer baseline.

    pip install -e ".[dev,bench]"    # nbclient and ipykernel for the peer baseline
    python benchmarks/grading.py --students N --json PATH [--soak 200]

Builds a synthetic class of N students × (gradient_descent, xor, softmax) from the bundled examples
(correct, partly wrong, broken; every fifth student also has a notebook that loops forever), then measures:

  a. per-submission overhead of the harness (warm workers, --jobs 1) over running the same cells and
     probes bare, in one warm Python process that imported TensorFlow once (no sandbox, no judge), and
     over the same in a plain fork per submission of such a process (no sandbox, limits or judge);
  b. throughput at --jobs 1 and --jobs 2 (cold: empty cache, references included), and the ceiling this
     machine puts on it: how much slower each submission runs bare when two run at once;
  c. regrading the unchanged class (observation cache) against the cold run;
  d. the peer baseline: the same notebooks executed by nbclient in one fresh kernel each, serially
     (what nbgrader's autograde does), with the same budget injected;
  e. peak RSS of a warm worker's zygote and of its children, and (--soak K) the zygote's RSS across K
     submissions in one worker lifetime.

Every ratio is a named field of the JSON written to PATH (rewritten after each phase, so a run cut
short keeps what it measured). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import assignments, pipeline  # noqa: E402
from grader.notebook import code_cells, read_notebook  # noqa: E402
from grader.sandbox.launchers import WarmPool  # noqa: E402
from grader.sandbox.runner import run_job  # noqa: E402

ASSIGNMENTS = ("gradient_descent", "xor", "softmax")
LOOP_LIMIT_S = 5.0  # the looping notebooks' cell limit in this benchmark (the rubrics allow more)


def build_class(root: Path, students: int) -> list[Path]:
    examples = ROOT / "examples" / "submissions"
    kinds = ["ada", "ben", "cy"]
    paths = []
    for i in range(students):
        folder = root / f"student{i:03d}"
        folder.mkdir(parents=True)
        for assignment in ASSIGNMENTS:
            source = examples / kinds[i % 3] / f"{assignment}.ipynb"
            notebook = read_notebook(source)
            notebook.cells[-1].source += f"\n# student {i}\n"  # distinct content: no cache sharing
            if i % 5 == 4 and assignment == "gradient_descent":
                notebook.cells.append(type(notebook.cells[-1])(cell_type="code", source="while True:\n    pass",
                                                               metadata={}, outputs=[], execution_count=None))
            target = folder / f"{assignment}.ipynb"
            nbformat.write(notebook, target)
            paths.append(target)
    return paths


def short_loop_limits() -> None:
    """Looping notebooks should cost LOOP_LIMIT_S, not the rubric's minute, in a benchmark."""
    original = assignments.load

    def load(assignment_id):
        loaded = original(assignment_id)
        limits = dataclasses.replace(loaded.rubric.limits, cell_s=min(loaded.rubric.limits.cell_s, 30),
                                     probe_s=loaded.rubric.limits.probe_s)
        if assignment_id == "gradient_descent":
            limits = dataclasses.replace(limits, cell_s=LOOP_LIMIT_S)
        return dataclasses.replace(loaded, rubric=dataclasses.replace(loaded.rubric, limits=limits))

    assignments.load = load


def timed_grade(root: Path, cache: Path, jobs: int, seed: int, force: bool = False):
    os.environ["GRADER_CACHE_DIR"] = str(cache)
    started = time.perf_counter()
    run = pipeline.grade(root, seed=seed, jobs=jobs, force=force)
    return time.perf_counter() - started, run


def bare_manifest(root: Path, seed: int) -> list[dict]:
    manifest = []
    for path in sorted(root.glob("*/*.ipynb")):
        loaded = assignments.load(path.stem)
        plan = pipeline.Plan(loaded, list(loaded.rubric.checks), seed)
        job = plan.job(code_cells(path, loaded.rubric.parameters).cells)
        manifest.append({"path": str(path), "cells": job.cells, "probes": job.probes,
                         "probes_source": job.probes_source, "seed": job.seed,
                         "loops": "while True" in path.read_text()})
    return manifest


def bare_processes(manifests: list[list[dict]], fork: bool) -> tuple[float, list[dict]]:
    """Run one bare_runner per manifest, all at once; (wall seconds, their reports)."""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg",
               CUDA_VISIBLE_DEVICES="")
    specs = []
    for manifest in manifests:
        specs.append(Path(tempfile.mkstemp(suffix=".json")[1]))
        specs[-1].write_text(json.dumps(manifest))
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_runner.py")), str(spec)]
                              + (["--fork"] if fork else []),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for spec in specs]
    outputs = [proc.communicate() for proc in procs]
    wall = time.perf_counter() - started
    for spec in specs:
        spec.unlink()
    reports = []
    for proc, (out, err) in zip(procs, outputs):
        if proc.returncode != 0 or not out.strip():
            raise RuntimeError(f"bare_runner failed ({proc.returncode}): {err[-2000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
        if reports[-1]["failed"]:
            raise RuntimeError(f"bare_runner: jobs failed in a forked child: {reports[-1]['failed']}")
    return wall, reports


def bare(root: Path, seed: int, fork: bool = False) -> dict:
    """The same cells and probes without sandbox, limits or judge: all in one warm process, or (``fork``)
    each in a plain fork of a process that imported TensorFlow."""
    return bare_processes([bare_manifest(root, seed)], fork)[1][0]


def two_at_once_slowdown(root: Path, seed: int) -> float:
    """How much slower each submission runs bare when two run at once on this machine (shared caches,
    memory bandwidth): the same jobs by one bare forking runner, then split between two at once.
    ``2 / slowdown`` is what --jobs 2 can reach here, whatever the harness does."""
    manifest = bare_manifest(root, seed)
    _, [alone] = bare_processes([manifest], fork=True)
    _, pair = bare_processes([manifest[0::2], manifest[1::2]], fork=True)
    together = {path: t for report in pair for path, t in report["seconds"].items()}
    return sum(together.values()) / sum(alone["seconds"].values())


def nbclient_baseline(root: Path) -> float:
    """One fresh kernel per notebook, serially, with the grader's budget injected (papermill style)."""
    from nbclient import NotebookClient

    started = time.perf_counter()
    for path in sorted(root.glob("*/*.ipynb")):
        parameters = assignments.load(path.stem).rubric.parameters
        cells = code_cells(path, parameters).cells
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c["source"]) for c in cells])
        client = NotebookClient(notebook, timeout=LOOP_LIMIT_S if "while True" in path.read_text() else 300,
                                kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": tempfile.mkdtemp()}})
        try:
            client.execute()
        except Exception:  # a cell timeout ends that notebook, as in nbgrader
            pass
    return time.perf_counter() - started


def harness_cells_only(root: Path, seed: int) -> float:
    """The harness doing exactly nbclient's work: the notebooks' cells, no probes, one warm worker."""
    started = time.perf_counter()
    with WarmPool(1) as pool:
        for path in sorted(root.glob("*/*.ipynb")):
            loaded = assignments.load(path.stem)
            plan = pipeline.Plan(loaded, [], seed)
            job = plan.job(code_cells(path, loaded.rubric.parameters).cells)
            run_job(dataclasses.replace(job, probes=[], probes_source=""), pool)
    return time.perf_counter() - started


def soak(count: int, seed: int) -> dict:
    """RSS of one zygote across ``count`` submissions (gradient_descent reference) in one lifetime."""
    loaded = assignments.load("gradient_descent")
    plan = pipeline.Plan(loaded, list(loaded.rubric.checks), seed)
    job = plan.job(code_cells(loaded.reference, loaded.rubric.parameters).cells)
    samples = []
    with WarmPool(1) as pool:
        for i in range(count):
            record = run_job(job, pool)
            if i in (0, count // 2, count - 1):
                samples.append(pool.workers[0].zygote_rss_kb())
        starts = pool.workers[0].starts
    return {"soak_submissions": count, "zygote_rss_kb_samples": samples, "zygote_starts": starts,
            "zygote_rss_growth_kb": samples[-1] - samples[0], "child_peak_rss_kb": record.peak_rss_kb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=5)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--soak", type=int, default=0, help="submissions for the zygote memory soak")
    parser.add_argument("--skip-baseline", action="store_true", help="skip the (slow) nbclient baseline")
    args = parser.parse_args()
    short_loop_limits()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    root = work / "class"
    paths = build_class(root, args.students)
    n = len(paths)
    report: dict = {"students": args.students, "submissions": n, "assignments": list(ASSIGNMENTS),
                    "cpu_count": os.cpu_count(), "tensorflow_version": pipeline.package_version("tensorflow")}

    def save() -> None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")

    cold1, run1 = timed_grade(root, work / "cache-j1", 1, args.seed)
    cold2, _ = timed_grade(root, work / "cache-j2", 2, args.seed)
    regrade, again = timed_grade(root, work / "cache-j1", 1, args.seed)
    not_cached = [f"{s.student}/{s.assignment} ({s.status})" for s in again.submissions if not s.cached]
    statuses = {}
    for sub in run1.submissions:
        statuses[sub.status] = statuses.get(sub.status, 0) + 1
    # (a) compares like with like: submissions that ran to the end (looping ones stop at a limit)
    clean = [s for s in run1.submissions if s.status == "graded"]
    harness_per_submission = sum(s.duration_s for s in clean) / len(clean)
    report.update({
        "statuses": statuses,
        "cold_jobs1_s": round(cold1, 2), "cold_jobs2_s": round(cold2, 2), "regrade_s": round(regrade, 2),
        "throughput_jobs1_per_min": round(60 * n / cold1, 2), "throughput_jobs2_per_min": round(60 * n / cold2, 2),
        "jobs2_speedup": round(cold1 / cold2, 3),
        "regrade_fraction_of_cold": round(regrade / cold1, 4), "regrade_ran_again": not_cached,  # should be []
        "harness_per_submission_s": round(harness_per_submission, 3),
        "child_peak_rss_mb_max": round(max(s.peak_rss_kb for s in run1.submissions) / 1024, 1),
    })
    save()
    measured = bare(root, args.seed)
    bare_clean = [measured["seconds"][s.path] for s in clean]
    bare_per_submission = sum(bare_clean) / len(bare_clean)
    report.update({"bare_per_submission_s": round(bare_per_submission, 3),
                   "bare_import_s": round(measured["import_s"], 2)})
    report["harness_overhead_ratio"] = round(harness_per_submission / bare_per_submission - 1, 4)
    # the same, against the least any process-per-submission isolation costs: a plain fork of a process
    # that imported TensorFlow (each submission pays TensorFlow's and Keras's first-use costs once)
    forked = bare(root, args.seed, fork=True)
    fork_per_submission = sum(forked["seconds"][s.path] for s in clean) / len(clean)
    report["bare_fork_per_submission_s"] = round(fork_per_submission, 3)
    report["harness_overhead_vs_bare_fork_ratio"] = round(harness_per_submission / fork_per_submission - 1, 4)
    slowdown = two_at_once_slowdown(root, args.seed)
    report["bare_slowdown_two_at_once"] = round(slowdown, 3)
    report["jobs2_ceiling_on_this_machine"] = round(2 / slowdown, 3)
    save()
    if not args.skip_baseline:
        baseline = nbclient_baseline(root)
        same_work = harness_cells_only(root, args.seed)
        report.update({"nbclient_fresh_kernel_total_s": round(baseline, 2),
                       "harness_cells_only_total_s": round(same_work, 2),
                       "speedup_vs_nbclient_same_work": round(baseline / same_work, 2),
                       "speedup_vs_nbclient_full_grading_jobs1": round(baseline / cold1, 2),
                       "speedup_vs_nbclient_full_grading_jobs2": round(baseline / cold2, 2)})
        save()
    if args.soak:
        report.update(soak(args.soak, args.seed))
    shutil.rmtree(work, ignore_errors=True)
    save()
    if not_cached:  # a regrade of an unchanged class must run nothing
        sys.exit(f"regrade ran again: {not_cached}")
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
