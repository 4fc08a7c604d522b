"""How many iterations the mnist training probes need: the test accuracy the grader computes from the weights
train() reaches, for the reference and the correct alternatives, for grading seeds 1..N, at ITERATIONS
iterations (bare: no sandbox; the probes and judges of the rubric).

    GRADER_DATA_DIR=... python benchmarks/mnist_training_budget.py --iterations 300 --seeds 10

Prints per notebook and seed the accuracy of `training` and `training_hidden` and the gap to the reference
of the same seed, then per notebook the range and the largest gap (ACCURACY_MARGIN must exceed it) and the
CPU seconds per probe. Not part of the test suite; its figures are quoted in assignments/mnist/rubric.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "grader" / "sandbox")]

from grader import assignments, pipeline  # noqa: E402
from grader.notebook import code_cells  # noqa: E402

REFERENCE = ROOT / "reference" / "mnist.py"
NOTEBOOKS = [REFERENCE] + sorted((ROOT / "tests" / "alternatives" / "mnist").glob("*.py")) + [
    ROOT / "examples" / "submissions" / "ada" / "mnist.ipynb", ROOT / "examples" / "submissions" / "ben" / "mnist.ipynb"]
PROBES = ("training", "training_hidden")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    loaded = assignments.load("mnist")
    package = assignments.package_name("mnist")
    rubric, judges = sys.modules[f"{package}.rubric"], sys.modules[f"{package}.judges"]
    rubric.TRAINING["iterations"] = args.iterations
    seeds = range(1, args.seeds + 1)
    plans = {seed: pipeline.Plan(loaded, list(loaded.rubric.checks), seed) for seed in seeds}
    assert plans[1].inputs["training"]["iterations"] == args.iterations
    home = Path(tempfile.mkdtemp(prefix="mnist-budget-"))
    for relative, source in plans[1].data_files().items():
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).symlink_to(source)
    os.environ["KERAS_HOME"] = str(home)
    import child

    reference: dict = {}
    print(f"{args.iterations} iterations", flush=True)
    for path in NOTEBOOKS:
        session = child.Session(type("Quiet", (), {"emit": lambda self, **event: None})())
        session.setup({"ticket": "", "seed": 1, "probes_source": loaded.probes_source,
                       "trusted_files": [str(home / r) for r in plans[1].data_files()]})
        for cell in code_cells(path, loaded.rubric.parameters).cells:
            session.cell({"ticket": "", **cell})
        gaps, accuracies, started = [], [], time.process_time()
        for seed in seeds:
            for name in PROBES:
                probe = next(p for p in plans[seed].job([]).probes if p["name"] == name)
                child.seed_everything(probe["seed"])
                inputs = plans[seed].inputs[name]
                got = session.probes["training"](session.namespace, **pipeline.sandbox_inputs(inputs))
                accuracy = judges.test_accuracy(got["weights"][-1], inputs["relabel"])
                reference.setdefault((seed, name), accuracy)
                gaps.append(reference[(seed, name)] - accuracy)
                accuracies.append(accuracy)
                print(f"  {path.stem:20s} seed {seed:2d} {name:16s} {accuracy:.4f} gap {gaps[-1]:+.4f}", flush=True)
        cpu = (time.process_time() - started) / len(accuracies)
        print(f"{path.parent.name}/{path.stem:20s} accuracy {min(accuracies):.4f}-{max(accuracies):.4f}; largest gap "
              f"below the reference {max(gaps):+.4f}; CPU {cpu:.2f} s per probe", flush=True)


if __name__ == "__main__":
    main()
