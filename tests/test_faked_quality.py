"""A submission that fakes a quality figure earns nothing for it: the judge recomputes from weights."""

from conftest import checks_by_name, failing, grade_file, variant

SOLVED = """
SOLUTION = [[[6.0, -6.0], [-6.0, 6.0]], [[-3.0, -3.0]], [[9.0], [9.0]], [[-4.5]]]


def train_step(eta):
    for variable, value in zip([W1, b1, W2, b2], SOLUTION):
        variable.assign(value)  # "training" that jumps to weights found elsewhere
    print("loss 0.0000, accuracy 1.0")
    return tf.constant(0.0)
"""

FAKE_FIT = """
class History:
    history = {"loss": [0.0] * 100, "accuracy": [1.0] * 100}


def train_model(model, epochs):
    print("Epoch 40/40 - loss: 0.0000e+00 - accuracy: 1.0000")
    return History()
"""


def test_claimed_convergence_and_fake_history_earn_nothing(tmp_path):
    path = variant("xor", {
        "def train_step(eta):\n    with tf.GradientTape() as tape:": SOLVED + "\n\ndef _unused(eta):\n    with tf.GradientTape() as tape:",
        "def train_model(model, epochs):\n    model.compile(": FAKE_FIT + "\n\ndef _unused_fit(model, epochs):\n    model.compile(",
    }, tmp_path)
    result = grade_file(path)
    checks = checks_by_name(result)
    assert failing(result) == {"training_step", "training_step_hidden", "solves_xor", "keras_training"}
    assert "steps of gradient descent" in checks["solves_xor"].message
    # the printed "loss: 0.0000e+00" counts for nothing: the grader looks at the model's weights
    assert "did not change the model's weights" in checks["keras_training"].message
    assert checks["forward_pass_hidden"].status == "passed"


def test_training_that_is_honest_at_first_and_then_jumps_to_a_solution_fails():
    import importlib

    import numpy as np

    from grader import assignments
    from grader.rubric import Evidence
    from grader.sandbox.runner import Observation

    assignments.load("xor")
    judges = importlib.import_module("grader_course_xor.judges")
    rng = np.random.default_rng(0)
    starts = [[rng.normal(scale=0.5, size=s) for s in [(2, 2), (1, 2), (2, 1), (1, 1)]] for _ in range(2)]
    honest = [[judges.descend(start, 2.0, 25 * k)[-1] for k in range(1, 5)] for start in starts]
    solution = [np.array([[6.0, -6.0], [-6.0, 6.0]]), np.array([[-3.0, -3.0]]), np.array([[9.0], [9.0]]),
                np.array([[-4.5]])]
    jumped = [run[:-1] + [solution] for run in honest]
    inputs = {"starts": starts, "eta": 2.0, "steps": 100, "every": 25}
    reference = Observation(ok=True, value=honest)
    honest_verdict = judges.convergence(Evidence(Observation(ok=True, value=honest), reference, inputs, False))
    assert honest_verdict.message.startswith("training solved XOR from")  # consistent: judged on quality
    verdict = judges.convergence(Evidence(Observation(ok=True, value=jumped), reference, inputs, False))
    assert not verdict.passed and "after 100 steps" in verdict.message
