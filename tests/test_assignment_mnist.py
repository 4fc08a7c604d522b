"""mnist: preprocessing, injected weights, loss, steps and verified training — on the reference and on mistakes.

The whole class (reference, the three examples, plausible mistakes, a faker) is graded in one run so the
reference is observed once and the file stays fast.
"""

from pathlib import Path

import pytest
from conftest import EXAMPLES, REFERENCE, SEED, checks_by_name, copy_to_class, failing, skip_without_mnist, variant

from grader import pipeline

FLOAT64_AXIS0_ONEHOT = {
    "return images.reshape(len(images), 28 * 28).astype(np.float32) / 255.0":
        "return images.reshape(len(images), 28 * 28) / 255.0",
    "return tf.keras.activations.softmax(y, axis=1)": "return tf.keras.activations.softmax(y, axis=0)",
    "cce(y_true=labels, y_pred=run_network(x))": "cce(y_true=tf.one_hot(labels, 10), y_pred=run_network(x))",
}
SUMMED_LOSS_GLOBAL_LABELS_PERCENT = {
    "cce = tf.keras.losses.SparseCategoricalCrossentropy()":
        "cce = tf.keras.losses.SparseCategoricalCrossentropy(reduction='sum')",
    "train_step(x[batch], labels[batch], eta)": "train_step(x[batch], train_labels[batch], eta)",
    "return float(tf.reduce_mean(": "return 100 * float(tf.reduce_mean(",
}
NO_BIAS = {"y = tf.matmul(x, W) + b": "y = tf.matmul(x, W)"}
UNFLATTENED_FRESH_VARIABLES = {
    "return images.reshape(len(images), 28 * 28).astype(np.float32) / 255.0":
        "return images.astype(np.float32) / 255.0",
    "x_train = preprocess(train_images)": "x_train = preprocess(train_images).reshape(-1, 784)",
    "x_test = preprocess(test_images)": "x_test = preprocess(test_images).reshape(-1, 784)",
    "@tf.function\ndef train_step": "def train_step",
    "    history = []\n    for _ in range(iterations):":
        "    global W, b\n    W = tf.Variable(tf.zeros([784, 10]))\n    b = tf.Variable(tf.zeros([10]))\n"
        "    history = []\n    for _ in range(iterations):",
}
FAKER = {  # trains once in the notebook, then train() just restores those weights and claims loss 0
    "def train(x, labels, iterations, batch_size, eta):":
        "def honest_train(x, labels, iterations, batch_size, eta):",
    "history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)":
        "honest_train(x_train, train_labels, 300, BATCH_SIZE, LEARNING_RATE)\n"
        "W_good, b_good = W.numpy(), b.numpy()\n\n\n"
        "def train(x, labels, iterations, batch_size, eta):\n"
        "    W.assign(W_good)\n"
        "    b.assign(b_good)\n"
        "    print('test accuracy 1.0')\n"
        "    return [0.0] * iterations\n\n\n"
        "history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)",
    "    predicted = tf.argmax(run_network(x), axis=1)\n": "    return 1.0\n",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    skip_without_mnist()
    tmp = tmp_path_factory.mktemp("mnist")
    copy_to_class(REFERENCE / "mnist.py", tmp, "ref")
    for student in ("ada", "ben", "cy"):
        copy_to_class(EXAMPLES / student / "mnist.ipynb", tmp, student)
    variant("mnist", FLOAT64_AXIS0_ONEHOT, tmp, "float64_axis0_onehot")
    variant("mnist", SUMMED_LOSS_GLOBAL_LABELS_PERCENT, tmp, "summed")
    variant("mnist", NO_BIAS, tmp, "no_bias")
    variant("mnist", UNFLATTENED_FRESH_VARIABLES, tmp, "unflattened_fresh_variables")
    variant("mnist", FAKER, tmp, "faker")
    run = pipeline.grade(tmp / "class", assignment="mnist", seed=SEED)
    assert not run.harness_errors, run.harness_errors
    return {Path(s.path).parent.name: s for s in run.submissions}


def test_reference_and_ada_score_full_marks_with_trusted_curves(results):
    for student in ("ref", "ada"):
        result = results[student]
        assert result.status == "graded" and result.score == result.max_score == 21, \
            [(t.name, t.message) for t in result.tests if t.status != "passed"]
    curves = results["ref"].curves
    assert any("recomputed by the grader" in c.title and not c.reported for c in curves)
    assert any(c.reported for c in curves)  # the loss train() returned is drawn, marked as self-reported


def test_ben_loses_exactly_the_rescaling_points(results):
    result = results["ben"]
    assert failing(result) == {"preprocess_scaling", "preprocess_hidden"}
    assert result.score == result.max_score - 3
    checks = checks_by_name(result)
    assert "not rescaled" in checks["preprocess_scaling"].message
    assert "not rescaled" in checks["preprocess_hidden"].message


def test_keras2_code_from_the_notes_gets_migration_hints(results):
    result = results["cy"]
    checks = checks_by_name(result)
    # the migration is explained once (at the first check that met it), the others point there
    assert "apply_gradients" in checks["training_step"].message + checks["training_step"].hint
    assert "see" in checks["test_accuracy"].message and "apply_gradients" not in checks["test_accuracy"].hint
    assert "float64" in checks["preprocess_shape"].message
    # the parts that work keep their points
    assert {"preprocess_scaling", "forward_pass", "forward_pass_hidden", "outputs_are_probabilities",
            "cross_entropy", "cross_entropy_hidden", "accuracy_function"}.isdisjoint(failing(result))
    assert any(c.error_type == "AttributeError" and "apply_gradients" in c.hint for c in result.cells)


def test_float64_softmax_axis_and_one_hot_labels_are_named(results):
    result = results["float64_axis0_onehot"]
    checks = checks_by_name(result)
    assert "float64" in checks["preprocess_shape"].message
    assert checks["preprocess_scaling"].status == "passed"
    assert "axis 0" in checks["forward_pass"].message and "axis 0" in checks["forward_pass_hidden"].message
    assert "column" in checks["outputs_are_probabilities"].message
    assert "one-hot" in checks["cross_entropy"].message
    assert "same error as in check cross_entropy" in checks["training_step"].message  # one cause, one message


def test_summed_loss_ignored_labels_and_percentage_are_named(results):
    result = results["summed"]
    checks = checks_by_name(result)
    assert "sum" in checks["cross_entropy"].message
    assert "n times too large" in checks["training_step"].message
    assert "true digits" in checks["test_accuracy"].message
    assert "true digits" in checks["learns_hidden_labels"].message
    assert "percentage" in checks["accuracy_function"].message
    assert {"preprocess_shape", "preprocess_scaling", "forward_pass", "outputs_are_probabilities"}.isdisjoint(
        failing(result))


def test_forgotten_bias_is_named(results):
    result = results["no_bias"]
    checks = checks_by_name(result)
    assert "bias is missing" in checks["forward_pass"].message
    assert "bias is missing" in checks["forward_pass_hidden"].message
    assert checks["outputs_are_probabilities"].status == "passed"
    assert "None" in checks["training_step"].message  # b has no gradient: reported, not crashed


def test_unflattened_images_and_training_from_fresh_variables_are_named(results):
    result = results["unflattened_fresh_variables"]
    checks = checks_by_name(result)
    assert "not flattened" in checks["preprocess_shape"].message
    assert checks["preprocess_scaling"].status == "passed"
    assert "replaced W and b" in checks["test_accuracy"].message
    assert "same error as in check test_accuracy" in checks["learns_hidden_labels"].message  # said once
    assert {"forward_pass", "cross_entropy", "training_step", "accuracy_function"}.isdisjoint(failing(result))


def test_faked_training_and_accuracy_earn_nothing(results):
    result = results["faker"]
    checks = checks_by_name(result)
    for name in ("test_accuracy", "learns_hidden_labels", "loss_history", "accuracy_function"):
        assert checks[name].score == 0, (name, checks[name].message)
    assert "true digits" in checks["test_accuracy"].message
    assert "reported average 0" in checks["loss_history"].message
    assert any("accuracy 1.0" in c.output for c in result.cells)  # printed, and ignored
    assert {"preprocess_hidden", "forward_pass_hidden", "training_step_hidden"}.isdisjoint(failing(result))


def test_judges_measure_each_set_of_weights_once_with_the_same_figures():
    """The judges keep the logits of each set of weights (the reference's are asked for by every submission's
    curves): the cached figures are those computed afresh, and the cache cannot be written through."""
    import importlib

    import numpy as np

    from grader import assignments

    skip_without_mnist()
    assignments.load("mnist")
    judges = importlib.import_module(f"{assignments.package_name('mnist')}.judges")
    rng = np.random.default_rng(5)
    weights = [rng.normal(0, 0.05, size=(784, 10)).astype(np.float32), rng.normal(0, 0.5, size=10).astype(np.float32)]
    relabel = rng.permutation(10)
    data = judges.mnist()
    fresh = judges.logits(weights, data["x_test"])
    assert judges.test_accuracy(weights, relabel) == float(np.mean(np.argmax(fresh, axis=1) == relabel[data["y_test"]]))
    assert judges.test_loss(weights, relabel) == judges.cross_entropy(weights, data["x_test"], relabel[data["y_test"]])
    assert judges.sample_loss(weights, relabel) == judges.cross_entropy(weights, data["x_sample"],
                                                                        relabel[data["y_sample"]])
    cached = judges.data_logits(weights, "x_test")
    assert cached is judges.data_logits([w.copy() for w in weights], "x_test")  # by value, not by object
    assert not cached.flags.writeable
    other = [weights[0], weights[1] + 1]
    assert judges.data_logits(other, "x_test") is not cached
