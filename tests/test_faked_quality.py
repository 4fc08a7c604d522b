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
    assert "not those of gradient descent" in checks["solves_xor"].message
    assert "recomputed from your model's weights" in checks["keras_training"].message
    assert checks["forward_pass_hidden"].status == "passed"
