"""xor: injected weights, loss, training trajectory, convergence, Keras — on the reference and on mistakes."""

from conftest import EXAMPLES, REFERENCE, checks_by_name, copy_to_class, failing, grade_file, variant


def test_reference_scores_full_marks_with_trusted_training_curves(tmp_path):
    result = grade_file(copy_to_class(REFERENCE / "xor.py", tmp_path, "ref"))
    assert result.status == "graded" and result.score == result.max_score == 22
    titles = [c.title for c in result.curves]
    assert any("random starts" in t for t in titles) and any("Keras" in t for t in titles)


def test_forgotten_bias_and_mean_loss_are_named(tmp_path):
    path = variant("xor", {
        "h1 = tf.sigmoid(tf.matmul(x, W1) + b1)": "h1 = tf.sigmoid(tf.matmul(x, W1))",
        "y = tf.sigmoid(tf.matmul(h1, W2) + b2)": "y = tf.sigmoid(tf.matmul(h1, W2))",
    }, tmp_path)
    result = grade_file(path)
    checks = checks_by_name(result)
    assert "biases are missing" in checks["forward_pass"].message
    assert "biases are missing" in checks["forward_pass_hidden"].message
    # the loss then has no gradient with respect to b1, b2: reported, not crashed
    assert checks["loss_and_gradients"].status == "error"
    assert "None" in checks["loss_and_gradients"].message
    assert {"keras_model", "keras_training", "weight_shapes"}.isdisjoint(failing(result))


def test_transposed_weights_are_named(tmp_path):
    path = variant("xor", {
        "h1 = tf.sigmoid(tf.matmul(x, W1) + b1)": "h1 = tf.sigmoid(tf.matmul(x, tf.transpose(W1)) + b1)",
    }, tmp_path)
    checks = checks_by_name(grade_file(path))
    assert "transposed" in checks["forward_pass"].message
    assert "transposed" in checks["forward_pass_hidden"].message


def test_labels_copied_from_the_notes_are_named(tmp_path):
    path = variant("xor", {
        "y_labels = tf.constant([[0], [1], [1], [0]], tf.float32)": "y_labels = tf.constant([0, 1, 1, 0], tf.float32)",
    }, tmp_path)
    result = grade_file(path)
    checks = checks_by_name(result)
    assert "shape (4,)" in checks["loss_and_gradients"].message
    assert {"forward_pass", "forward_pass_hidden", "keras_model"}.isdisjoint(failing(result))


def test_hidden_eta_and_keras_activation_from_the_partly_wrong_example(tmp_path):
    result = grade_file(copy_to_class(EXAMPLES / "ben" / "xor.ipynb", tmp_path, "ben"))
    checks = checks_by_name(result)
    assert checks["training_step"].status == "passed"  # eta = 0.5 happens to be LEARNING_RATE
    assert "ignores its eta" in checks["training_step_hidden"].message
    assert "relu" in checks["keras_model"].message
    # the public check names the same mistake, from what the trained model computes on the XOR inputs
    assert "h = relu(x·W1 + b1)" in checks["keras_training"].message
    assert "compile with" not in checks["keras_training"].message


def test_keras2_code_from_the_notes_gets_migration_hints(tmp_path):
    result = grade_file(copy_to_class(EXAMPLES / "cy" / "xor.ipynb", tmp_path, "cy"))
    checks = checks_by_name(result)
    # the migration hint is shown once, at the cell where the notes' Keras 2 code failed; checks point there
    assert "see the hint there" in checks["training_step"].message
    assert sum("apply_gradients" in c.hint for c in result.cells) == 1
    assert not any("apply_gradients" in t.hint + t.message for t in result.tests)
    assert "see the hint there" in checks["keras_training"].message
    assert sum("learning_rate=" in c.hint for c in result.cells) == 1
    assert checks["forward_pass_hidden"].status == "passed"  # the parts that work keep their points
    assert any("!pip install" in m for c in result.cells for m in c.magics)
