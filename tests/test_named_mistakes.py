"""Each mistake students were measured making loses points only on its own checks, with a message (or the
hint shown with it) that names the mistake — not a raw error or a generic "n of m values differ"."""

from __future__ import annotations

import pytest

from conftest import SEED, checks_by_name, failing, variant
from grader import pipeline

XOR_STEP = ("    with tf.GradientTape() as tape:\n        loss = calc_loss()\n"
            "    dW1, db1, dW2, db2 = tape.gradient(loss, [W1, b1, W2, b2])\n"
            "    W1.assign(W1 - eta * dW1)\n    b1.assign(b1 - eta * db1)\n"
            "    W2.assign(W2 - eta * dW2)\n    b2.assign(b2 - eta * db2)\n    return loss")
XOR_MODEL = ("    return tf.keras.Sequential([\n        tf.keras.layers.Dense(2, activation=tf.nn.sigmoid),\n"
             "        tf.keras.layers.Dense(1, activation=tf.nn.sigmoid),\n    ])")
MNIST_BATCH = ("        batch = np.random.randint(0, len(x), batch_size)\n"
               "        history.append(float(train_step(x[batch], labels[batch], eta)))")
MNIST_ACCURACY = ("    predicted = tf.argmax(run_network(x), axis=1)\n    return float(tf.reduce_mean(tf.cast("
                  "predicted == tf.cast(labels, predicted.dtype), tf.float32)))")

MISTAKES = {
    "gradient_descent": {
        "sum_of_booleans": {"return tf.reduce_sum(tf.cast(a > threshold, tf.int32))":
                            "return tf.reduce_sum(a > threshold)"},
        "rebinds_instead_of_assign": {"x.assign(x - eta * dydx)": "x = x - eta * dydx"},
        "uses_notebook_globals": {
            "    x = tf.Variable(x0, dtype=tf.float32)\n    xs = []\n    for _ in range(steps):":
            "    x = tf.Variable(X0, dtype=tf.float32)\n    xs = []\n    for _ in range(STEPS):"},
        "matmul_for_hadamard": {"return tf.multiply(a, b)": "return tf.matmul(a, b)"},
    },
    "xor": {
        "one_bias_missing": {"y = tf.sigmoid(tf.matmul(h1, W2) + b2)": "y = tf.sigmoid(tf.matmul(h1, W2))"},
        "relu_hidden_layer": {"h1 = tf.sigmoid(tf.matmul(x, W1) + b1)": "h1 = tf.nn.relu(tf.matmul(x, W1) + b1)"},
        "transposed_w2": {
            "W2 = tf.Variable(tf.random.truncated_normal([2, 1], stddev=0.1))":
            "W2 = tf.Variable(tf.random.truncated_normal([1, 2], stddev=0.1))",
            "y = tf.sigmoid(tf.matmul(h1, W2) + b2)": "y = tf.sigmoid(tf.matmul(h1, tf.transpose(W2)) + b2)"},
        "blank_loss": {"    y = run_network(x)\n    deltas = tf.subtract(y, y_labels)\n"
                       "    return tf.reduce_sum(tf.square(deltas))": "    pass  # TODO"},
        "empty_train_step": {XOR_STEP: "    return calc_loss()  # TODO: update the weights"},
        "empty_build_model": {XOR_MODEL: "    pass  # TODO"},
        "placeholder_shapes": {"W1 = tf.Variable(tf.random.truncated_normal([2, 2], stddev=0.1))":
                               "W1 = tf.Variable(tf.zeros([1, 1]))  # TODO: shape"},
    },
    "mnist": {
        "train_uses_globals": {MNIST_BATCH: MNIST_BATCH.replace("len(x), batch_size", "len(x_train), BATCH_SIZE")
                               .replace("x[batch], labels[batch], eta",
                                        "x_train[batch], train_labels[batch], LEARNING_RATE")},
        "accuracy_uses_globals": {MNIST_ACCURACY: MNIST_ACCURACY.replace("run_network(x)", "run_network(x_test)")
                                  .replace("tf.cast(labels,", "tf.cast(test_labels,")},
        "reuses_one_batch": {"        batch = np.random.randint(0, len(x), batch_size)\n":
                             "        batch = np.arange(batch_size)\n"},
    },
    "iris": {
        "one_global_std": {"column_stds = np.std(inputs, axis=0)": "column_stds = np.std(inputs)"},
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every mistake of an assignment graded as one class (one warm worker, one reference run)."""
    done: dict[str, dict] = {}

    def grade(assignment: str) -> dict:
        if assignment not in done:
            root = tmp_path_factory.mktemp(assignment)
            for student, replacements in MISTAKES[assignment].items():
                variant(assignment, replacements, root, student)
            run = pipeline.grade(root / "class", assignment=assignment, seed=SEED)
            assert not run.harness_errors, run.harness_errors
            done[assignment] = {s.student: s for s in run.submissions}
        return done[assignment]

    return grade


def said(test) -> str:
    return f"{test.message} {test.hint}"


def test_gradient_descent_mistakes(graded):
    results = graded("gradient_descent")
    booleans = results["sum_of_booleans"]
    assert failing(booleans) == {"count_above", "count_above_hidden"}
    assert "tf.cast" in said(checks_by_name(booleans)["count_above"])
    assert "not checked" in checks_by_name(booleans)["count_above_hidden"].message  # said once

    rebinds = results["rebinds_instead_of_assign"]
    assert failing(rebinds) == {"gradient_descent", "gradient_descent_hidden"}
    first = checks_by_name(rebinds)["gradient_descent"]
    hint_at_cell = " ".join(c.hint for c in rebinds.cells)
    assert "x.assign(" in said(first) + hint_at_cell and "not implemented" not in first.message

    globals_ = results["uses_notebook_globals"]
    assert failing(globals_) == {"gradient_descent", "gradient_descent_hidden"}
    for name in ("gradient_descent", "gradient_descent_hidden"):
        assert "ignores its argument" in checks_by_name(globals_)[name].message

    matmul = results["matmul_for_hadamard"]
    assert failing(matmul) == {"elementwise_product", "elementwise_product_hidden"}
    assert "tf.multiply" in checks_by_name(matmul)["elementwise_product"].message
    assert "labels" not in said(checks_by_name(matmul)["elementwise_product_hidden"])  # no XOR hint here


@pytest.mark.slow
def test_xor_mistakes(graded):
    results = graded("xor")
    keras = {"keras_model", "keras_training"}

    one_bias = checks_by_name(results["one_bias_missing"])
    assert "b2 is missing" in one_bias["forward_pass"].message
    assert "b2 is missing" in one_bias["forward_pass_hidden"].message
    assert keras.isdisjoint(failing(results["one_bias_missing"]))

    relu = checks_by_name(results["relu_hidden_layer"])
    assert "relu" in relu["forward_pass"].message and "relu" in relu["forward_pass_hidden"].message
    assert keras.isdisjoint(failing(results["relu_hidden_layer"]))

    transposed = results["transposed_w2"]
    assert failing(transposed) == {"weight_shapes"}  # the network is the same: only the shape check pays
    assert "W2 has shape (1, 2), expected (2, 1): transposed" in checks_by_name(transposed)["weight_shapes"].message

    placeholder = results["placeholder_shapes"]
    assert failing(placeholder) == {"weight_shapes"}  # run_network is still judged, with the grader's weights
    assert "W1 has shape (1, 1), expected (2, 2)" in checks_by_name(placeholder)["weight_shapes"].message

    blank = results["blank_loss"]
    checks = checks_by_name(blank)
    assert "calc_loss() returned None: not implemented yet" in checks["loss_and_gradients"].message
    for name in ("training_step", "solves_xor"):  # they need calc_loss: one line, pointing there
        assert "not checked" in checks[name].message and "calc_loss()" in checks[name].message, checks[name].message
    assert keras.isdisjoint(failing(blank)) and "forward_pass" not in failing(blank)

    empty_step = checks_by_name(results["empty_train_step"])
    assert failing(results["empty_train_step"]) == {"training_step", "training_step_hidden", "solves_xor"}
    assert "did not change" in empty_step["training_step"].message

    empty_build = results["empty_build_model"]
    assert failing(empty_build) == keras
    built = checks_by_name(empty_build)  # the public check names the blank; the hidden one points there
    assert "build_model() returned None: not implemented yet" in built["keras_training"].message
    assert built["keras_model"].message == ("not checked: needs build_model(), which returned None: "
                                            "not implemented yet (see check keras_training)")
    assert "NoneType" not in checks_by_name(empty_build)["keras_training"].message


@pytest.mark.slow
def test_mnist_mistakes(graded):
    results = graded("mnist")
    globals_train = checks_by_name(results["train_uses_globals"])
    assert {"test_accuracy", "learns_hidden_labels", "loss_history"} == failing(results["train_uses_globals"])
    assert "x and labels arguments" in globals_train["test_accuracy"].message
    assert "not of the labels it was given" in globals_train["loss_history"].message
    assert "same few images" not in globals_train["loss_history"].message  # not the reused-batch diagnosis

    accuracy = results["accuracy_uses_globals"]
    assert failing(accuracy) == {"accuracy_function"}
    assert "ignores its arguments x and labels" in checks_by_name(accuracy)["accuracy_function"].message

    reused = checks_by_name(results["reuses_one_batch"])
    assert "new random mini-batch" in reused["loss_history"].message
    assert "mean cross entropy of each mini-batch" not in said(reused["loss_history"])


@pytest.mark.slow
def test_iris_mistakes(graded):
    result = graded("iris")["one_global_std"]
    assert failing(result) == {"normalise", "normalise_hidden"}
    for name in ("normalise", "normalise_hidden"):
        assert "standard deviation per column" in checks_by_name(result)[name].message
