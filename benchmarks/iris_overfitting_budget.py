"""How many training steps the iris overfitting probe needs: the reference's gap ratio, the correct
alternatives' margins and the broken variants' ratios, for grading seeds 1..N, at a budget of
EPOCHS × (15·REPEAT / 20) Adam steps per run (bare: no sandbox; the probe and judge of the rubric).

    python benchmarks/iris_overfitting_budget.py --epochs 8 --repeat 80 --seeds 20

Prints one line per notebook and seed, then per notebook: the verdicts, the ratios and the smallest
margin to the threshold (ratio_threshold(reference ratio) − ratio; a correct solution needs it > 0, a broken
one < 0), and the largest training cross-entropy of the unregularised run (it must stay under FITTED).
Not part of the test suite; the figures it printed are quoted in assignments/iris/rubric.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "grader" / "sandbox")]

from grader import assignments, pipeline  # noqa: E402
from grader.notebook import code_cells  # noqa: E402
from grader.rubric import Evidence  # noqa: E402
from grader.sandbox.records import Observation  # noqa: E402

REFERENCE = ROOT / "reference" / "iris.py"
ALTERNATIVES = sorted((ROOT / "tests" / "alternatives" / "iris").glob("*.py"))
BROKEN = {  # the regularisation mistakes the check exists for, written into the reference
    "l2_on_biases": {"kernel_regularizer=keras.regularizers.l2(l2)": "bias_regularizer=keras.regularizers.l2(l2)"},
    "l2_ignored": {"keras.regularizers.l2(l2)": "keras.regularizers.l2(0.0)"},
    "dropout_alone": {"kernel_regularizer=keras.regularizers.l2(l2)": "kernel_regularizer=None"},
    "l2_alone": {"keras.layers.Dropout(rate=dropout)": "keras.layers.Dropout(rate=0.0)"},
}


def session_for(path: Path, replacements: dict[str, str], loaded):
    import child

    cells = code_cells(path, loaded.rubric.parameters).cells
    for cell in cells:
        for old, new in replacements.items():
            cell["source"] = cell["source"].replace(old, new)
    session = child.Session(type("Quiet", (), {"emit": lambda self, **event: None})())
    session.setup({"ticket": "", "seed": 1, "probes_source": loaded.probes_source})
    for cell in cells:
        session.cell({"ticket": "", **cell})
    return session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=80)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated notebook names (reference always runs)")
    args = parser.parse_args()
    loaded = assignments.load("iris")
    package = assignments.package_name("iris")  # the modules the loaded rubric uses
    rubric, training_judges = sys.modules[f"{package}.rubric"], sys.modules[f"{package}.training_judges"]
    rubric.OVERFIT_EPOCHS, rubric.OVERFIT_REPEAT = args.epochs, args.repeat
    import child

    seeds = range(1, args.seeds + 1)
    plans = {seed: pipeline.Plan(loaded, list(loaded.rubric.checks), seed) for seed in seeds}

    def observe(session, seed):
        plan = plans[seed]
        probe = next(p for p in plan.job([]).probes if p["name"] == "overfitting")
        child.seed_everything(probe["seed"])
        inputs = pipeline.sandbox_inputs(plan.inputs["overfitting"])
        return session.probes["overfitting"](session.namespace, **inputs)

    started = time.process_time()
    reference = session_for(REFERENCE, {}, loaded)
    expected = {seed: observe(reference, seed) for seed in seeds}
    sample = plans[1].inputs["overfitting"]
    assert sample["epochs"] == args.epochs and len(sample["x_train"]) == 15 * args.repeat
    print(f"budget {args.epochs} epochs x {15 * args.repeat // 20} steps; reference CPU "
          f"{(time.process_time() - started) / len(seeds):.2f} s per probe", flush=True)
    notebooks = [("reference", REFERENCE, {})] + [(p.stem, p, {}) for p in ALTERNATIVES] + \
        [(name, REFERENCE, r) for name, r in BROKEN.items()]
    if args.only:
        notebooks = [n for n in notebooks if n[0] in args.only.split(",") or n[0] == "reference"]
    for name, path, replacements in notebooks:
        session = reference if name == "reference" else session_for(path, replacements, loaded)
        rows = []
        for seed in seeds:
            got = expected[seed] if name == "reference" else observe(session, seed)
            inputs = plans[seed].inputs["overfitting"]
            evidence = Evidence(Observation(True, got), Observation(True, expected[seed]), inputs, True)
            verdict = training_judges.overfitting(evidence)
            on, off = (training_judges.gaps(r["weights"], inputs) for r in got)
            ref_on, ref_off = (training_judges.gaps(r["weights"], inputs) for r in expected[seed])
            ref_ratio = ref_on["gap"] / ref_off["gap"]
            ratio = on["gap"] / off["gap"] if off["gap"] > 0 else float("inf")
            margin = training_judges.ratio_threshold(ref_ratio) - ratio
            rows.append(("pass" if verdict.passed else "FAIL", ratio, ref_ratio, margin,
                         off["train"], on["train"]))
            print(f"  {name:22s} seed {seed:2d} {rows[-1][0]!s:7s} ratio {ratio:.3f} ref {ref_ratio:.3f} margin "
                  f"{margin:+.3f} off-train {off['train']:.3f} on-train {on['train']:.3f}", flush=True)
        verdicts = [str(r[0]) for r in rows]
        print(f"{name:22s} verdicts {sorted(set(verdicts))} {[verdicts.count(v) for v in sorted(set(verdicts))]}; "
              f"ratio {min(r[1] for r in rows):.3f}-{max(r[1] for r in rows):.3f} (ref "
              f"{min(r[2] for r in rows):.3f}-{max(r[2] for r in rows):.3f}); margin "
              f"{min(r[3] for r in rows):+.3f}..{max(r[3] for r in rows):+.3f} (median "
              f"{statistics.median(r[3] for r in rows):+.3f}); off-train max {max(r[4] for r in rows):.3f}",
              flush=True)


if __name__ == "__main__":
    main()
