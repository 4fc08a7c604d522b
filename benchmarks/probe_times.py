"""Seconds of each probe of one notebook, bare (no sandbox, no judge), in this process: for finding where
an assignment's time goes while changing its probes.

    GRADER_DATA_DIR=... python benchmarks/probe_times.py ASSIGNMENT [NOTEBOOK] [--seed S] [--profile PROBE]

NOTEBOOK defaults to the assignment's reference. The cells run once, then every probe once, in the
sandbox runtime's own code (``grader/sandbox/child.py``), with the seeds the grader would derive.
``--profile PROBE`` prints the cProfile of that probe (the 25 most expensive calls, cumulative).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "grader" / "sandbox")]

from grader import assignments, pipeline  # noqa: E402
from grader.notebook import code_cells  # noqa: E402


def keras_home(plan: pipeline.Plan) -> Path:
    """A KERAS_HOME holding the data files the sandbox would get (e.g. MNIST), as links."""
    home = Path(tempfile.mkdtemp(prefix="probe-times-keras-"))
    for relative, source in plan.data_files().items():
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).symlink_to(source)
    return home


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment")
    parser.add_argument("notebook", nargs="?", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    loaded = assignments.load(args.assignment)
    plan = pipeline.Plan(loaded, list(loaded.rubric.checks), args.seed)
    job = plan.job(code_cells(args.notebook or loaded.reference, loaded.rubric.parameters).cells)
    home = keras_home(plan)
    os.environ["KERAS_HOME"] = str(home)
    import child  # the sandbox runtime, imported as the zygote does

    events = []
    session = child.Session(type("Direct", (), {"emit": lambda self, **event: events.append(event)})())
    started = time.perf_counter()
    session.setup({"ticket": "", "seed": job.seed, "probes_source": job.probes_source,
                   "trusted_files": [str(home / relative) for relative in job.data_files]})
    print(f"setup {time.perf_counter() - started:.2f} s")
    for cell in job.cells:
        session.cell({"ticket": "", **cell})
    print(f"cells {sum(e['seconds'] for e in events if e['event'] == 'cell'):.2f} s "
          f"({sum(e['status'] != 'ok' for e in events if e['event'] == 'cell')} failed)")
    for probe in job.probes:
        profiler = cProfile.Profile() if probe["name"] == args.profile else None
        if profiler:
            profiler.enable()
        session.probe({"ticket": "", **probe})
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        event = events[-1]
        failure = "" if event["ok"] else f"  FAILED {event['error']['type']}: {event['error']['message'][:120]}"
        print(f"{probe['name']:28s} {event['seconds']:7.3f} s{failure}")


if __name__ == "__main__":
    main()
