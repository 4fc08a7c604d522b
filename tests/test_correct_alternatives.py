"""Correct alternatives: solutions written differently from the reference that must all get full marks.

Each file in tests/alternatives/<assignment>/ is a correct solution of that assignment's template written
the way a good student might write it differently (other TF ops, @tf.function, keras.ops, a Keras optimizer,
other Keras model spellings, other mini-batch loops, ...). All the alternatives of one assignment are graded
as one class in a single run, so the reference is observed once.
"""

import shutil
from pathlib import Path

import pytest
from conftest import SEED, skip_without_mnist

from grader import pipeline

ALTERNATIVES = Path(__file__).resolve().parent / "alternatives"
ASSIGNMENTS = ("gradient_descent", "xor", "softmax", "mnist", "iris")

# the cheap assignments stay in the default run; the training-heavy ones run with -m slow (.ci/run runs both)
PARAMS = [pytest.param(a, marks=pytest.mark.slow) if a in ("xor", "mnist", "iris") else a for a in ASSIGNMENTS]


def alternatives(assignment_id: str) -> list[Path]:
    return sorted((ALTERNATIVES / assignment_id).glob("*.py"))



@pytest.mark.parametrize("assignment_id", PARAMS)
def test_correct_alternatives_get_full_marks(assignment_id, tmp_path):
    if assignment_id == "mnist":
        skip_without_mnist()
    sources = alternatives(assignment_id)
    assert len(sources) >= 4, f"tests/alternatives/{assignment_id} holds {len(sources)} alternatives, 4 wanted"
    root = tmp_path / "class"
    for source in sources:
        folder = root / source.stem
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / f"{assignment_id}.py")

    run = pipeline.grade(root, assignment=assignment_id, seed=SEED)

    assert not run.harness_errors, run.harness_errors
    graded = {Path(s.path).parent.name: s for s in run.submissions}
    assert sorted(graded) == sorted(s.stem for s in sources), f"graded {sorted(graded)}"
    lost = []
    for student, result in sorted(graded.items()):
        mine = [(student, t.name, t.message) for t in result.tests if t.status != "passed"]
        if result.status != "graded":
            mine.insert(0, (student, f"<{result.status}>", result.message))
        if result.score != result.max_score and not mine:
            mine.append((student, "<score>", f"{result.score} of {result.max_score}"))
        lost += mine
    assert all(r.score == r.max_score for r in graded.values()) and not lost, \
        "correct alternatives lost points:\n" + "\n".join(f"  {s} / {c}: {m}" for s, c, m in lost)
