"""Run time of each submission, cold, --jobs 1, for the class benchmarks/grading.py builds; for comparing
two checkouts of the grader on the same machine (``--tree`` grades with another checkout's grader).

    python benchmarks/per_submission.py [--tree PATH] [--students N]

Prints, per assignment, the first submission's time (it pays its worker's start: references run in
workers of their own) and the median of the others, then the median over all but the firsts and the mean
over all. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="checkout whose grader runs (default: this one)")
    parser.add_argument("--students", type=int, default=10)
    args = parser.parse_args()
    sys.path[:0] = [str(args.tree.resolve()), str(HERE)]
    from grader import pipeline  # the chosen tree's grader, imported first so that grading.py reuses it

    import grading  # this folder's class builder

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRADER_CACHE_DIR"] = str(Path(tmp) / "cache")
        grading.short_loop_limits()
        root = Path(tmp) / "class"
        grading.build_class(root, args.students)
        run = pipeline.grade(root, seed=1, jobs=1)
    times: dict[str, list[float]] = {}
    for sub in run.submissions:
        if sub.status == "graded" and not sub.cached:
            times.setdefault(sub.assignment, []).append(sub.duration_s)
    for assignment, seconds in times.items():
        print(f"{assignment:18s} first {seconds[0]:6.3f} s   median of the other {len(seconds) - 1}: "
              f"{statistics.median(seconds[1:]):.3f} s")
    rest = [s for seconds in times.values() for s in seconds[1:]]
    print(f"median without the firsts {statistics.median(rest):.3f} s; "
          f"mean of all {statistics.mean([s for seconds in times.values() for s in seconds]):.3f} s")


if __name__ == "__main__":
    main()
