"""How long a student's self-check takes: ``grader check FILE`` through the warm checker (after an edit,
unchanged, and cold), the same without it, and ``grader.check("...")`` on a live kernel's namespace.

    GRADER_DATA_DIR=... python benchmarks/selfcheck.py [--rounds 3] [--assignment ID ...] [--checkout]

Each ``grader check`` is timed as a student meets it: a new client process (``python -m grader.selfcheck
FILE``, the command line's check without its other commands' imports), wall clock from start to exit.
The file is a correct notebook (examples/submissions/ada); "after an edit" appends a new comment to its
last code cell, so nothing cached stands in for the run. The checker runs in a private folder and its
own observation cache, and is stopped at the end. By default the grader is a frozen copy of this
checkout (other people's edits would make the checker hand over to a new one mid-measurement); pass
``--checkout`` to measure the checkout itself. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "submissions" / "ada"
CHEAP = {"gradient_descent": ["matrix_product", "derivative_of_square", "gradient_descent"],
         "xor": ["forward_pass", "weight_shapes", "loss_and_gradients", "training_step"],
         "softmax": ["softmax", "cross_entropy", "one_hot"]}

LIVE = r"""
import contextlib, io, json, linecache, sys, time
started = time.perf_counter()
import grader
from grader import assignments
from grader.notebook import code_cells
figures = {}
for assignment, names in json.loads(sys.argv[1]).items():
    loaded = assignments.load(assignment)
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):  # what the kernel holds after "Run all"
        for cell in code_cells(loaded.reference, loaded.rubric.parameters).cells:
            name = f"<cell {cell['index']}>"
            linecache.cache[name] = (len(cell["source"]), None, cell["source"].splitlines(True), name)
            exec(compile(cell["source"], name, "exec"), namespace)
    entry = figures[assignment] = {"checks": {}}
    began = time.perf_counter()
    report = grader.check(namespace=namespace, quiet=True)
    entry["first_all_s"] = round(time.perf_counter() - began, 3)  # loads the reference's observations
    entry["passed"] = report.passed
    for name in names:
        times = []
        for _ in range(int(sys.argv[2])):
            began = time.perf_counter()
            report = grader.check(name, namespace=namespace, quiet=True)
            times.append(round(time.perf_counter() - began, 3))
            assert report.passed, str(report)
        entry["checks"][name] = times
    began = time.perf_counter()
    grader.check(namespace=namespace, quiet=True)
    entry["all_s"] = round(time.perf_counter() - began, 3)
print(json.dumps(figures))
"""


def frozen_copy(into: Path) -> Path:
    for part in ("grader", "assignments", "reference"):
        shutil.copytree(ROOT / part, into / part, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def edit(path: Path) -> None:
    notebook = json.loads(path.read_text())
    cell = [c for c in notebook["cells"] if c["cell_type"] == "code"][-1]
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    cell["source"] = source + f"\n# edited {random.random()}\n"
    path.write_text(json.dumps(notebook))


def timed(command: list[str], env: dict, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    return round(time.perf_counter() - started, 3), done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--assignment", action="append", choices=sorted(CHEAP))
    parser.add_argument("--checkout", action="store_true", help="measure this checkout, not a frozen copy")
    args = parser.parse_args()
    chosen = args.assignment or ["gradient_descent", "xor", "softmax"]
    work = Path(tempfile.mkdtemp(prefix="scb-"))
    source = ROOT if args.checkout else frozen_copy(work / "grader-copy")
    env = dict(os.environ, PYTHONPATH=str(source), GRADER_SELFCHECK_DIR=str(work / "run"),
               GRADER_CACHE_DIR=str(work / "cache"), GRADER_COURSE_DIR=str(source))
    env.pop("GRADER_NO_DAEMON", None)
    client = [sys.executable, "-m", "grader.selfcheck"]
    figures: dict = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0], "rounds": args.rounds,
                     "frozen_copy": not args.checkout, "check": {}}
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import grader.cli"], env=env, check=True)
        figures["cli_import_s"] = round(time.perf_counter() - started, 3)
        for assignment in chosen:
            path = work / "student" / f"{assignment}.ipynb"
            path.parent.mkdir(exist_ok=True)
            shutil.copyfile(EXAMPLE / f"{assignment}.ipynb", path)
            entry = figures["check"][assignment] = {"after_edit_s": [], "unchanged_s": []}
            entry["cold_s"], done = timed(client + [str(path)], env, work)  # checker, worker, reference, run
            assert done.returncode == 0, done.stdout + done.stderr
            for _ in range(args.rounds):
                edit(path)
                seconds, done = timed(client + [str(path)], env, work)
                assert done.returncode == 0 and "warm checker is not available" not in done.stderr, done.stderr
                entry["after_edit_s"].append(seconds)
                entry["unchanged_s"].append(timed(client + [str(path)], env, work)[0])
            edit(path)
            entry["no_daemon_after_edit_s"], done = timed(client + [str(path)], dict(env, GRADER_NO_DAEMON="1"), work)
            assert done.returncode == 0, done.stderr
        live = subprocess.run([sys.executable, "-c", LIVE, json.dumps({a: CHEAP[a] for a in chosen}), str(args.rounds)],
                              env=env, cwd=work, capture_output=True, text=True)
        assert live.returncode == 0, live.stderr[-3000:]
        figures["live"] = json.loads(live.stdout.strip().splitlines()[-1])
    finally:
        stop = ("from grader.selfcheck import daemon\n"
                "try:\n    daemon.ask({'op': 'stop'}, spawn=False)\nexcept daemon.DaemonUnavailable:\n    pass")
        subprocess.run([sys.executable, "-c", stop], env=env, cwd=work)
        figures["load_after"] = os.getloadavg()[0]
        time.sleep(1)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
