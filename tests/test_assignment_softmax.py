"""softmax: every check passes on the reference and fails, with a message naming it, on a plausible mistake."""

from conftest import SEED, EXAMPLES, REFERENCE, checks_by_name, copy_to_class, failing, grade_file, variant
from grader import pipeline

SOFTMAX_BODY = ("    shifted = y - tf.reduce_max(y, axis=1, keepdims=True)  # softmax(y - c) = softmax(y): no overflow\n"
                "    e = tf.exp(shifted)\n"
                "    return e / tf.reduce_sum(e, axis=1, keepdims=True)\n")
SOFTMAX_CHECKS = {"softmax", "softmax_hidden", "softmax_large_logits", "softmax_large_logits_hidden"}


def test_reference_scores_full_marks(tmp_path):
    result = grade_file(copy_to_class(REFERENCE / "softmax.py", tmp_path, "ref"))
    assert result.status == "graded" and result.message == "ran cleanly"
    assert result.score == result.max_score == 20
    assert failing(result) == set()
    assert "Exp" in checks_by_name(result)["softmax_from_scratch"].message


def test_a_library_softmax_behind_numpy_is_still_found_and_numpy_from_the_formula_is_not(tmp_path):
    detours = {
        "detour": "    return tf.constant(tf.nn.softmax(y, axis=1).numpy())\n",  # .numpy() defeats tracing
        "scipy": "    from scipy.special import softmax as sm\n    return tf.constant(sm(y.numpy(), axis=1))\n",
        "numpy": "    y = y.numpy()\n    e = np.exp(y - y.max(axis=1, keepdims=True))\n"
                 "    return tf.constant(e / e.sum(axis=1, keepdims=True))\n",
    }
    for student, body in detours.items():
        variant("softmax", {SOFTMAX_BODY: body, "import tensorflow as tf\n": "import numpy as np\nimport tensorflow as tf\n"},
                tmp_path, student=student)
    run = pipeline.grade(tmp_path / "class", assignment="softmax", seed=SEED, public_only=True)
    checks = {s.student: checks_by_name(s) for s in run.submissions}
    assert "calls tf.nn.softmax" in checks["detour"]["softmax_from_scratch"].message
    assert "calls scipy.special.softmax" in checks["scipy"]["softmax_from_scratch"].message
    assert checks["numpy"]["softmax_from_scratch"].status == "passed"
    for student in detours:  # the values are right in all three: only the from-scratch check differs
        assert checks[student]["softmax"].status == "passed"


def test_softmax_over_axis_0_loses_exactly_its_checks_and_is_named(tmp_path):
    result = grade_file(copy_to_class(EXAMPLES / "ben" / "softmax.ipynb", tmp_path, "ben"))
    checks = checks_by_name(result)
    assert failing(result) == SOFTMAX_CHECKS | {"chair_table_door_bed", "table_loss"}
    for name in SOFTMAX_CHECKS:
        assert "axis 0" in checks[name].message and "axis=1" in checks[name].message
    assert "axis 0" in checks["chair_table_door_bed"].message
    assert "it is 0, i.e. p(table) = 1" in checks["table_loss"].message
    assert result.score == 20 - 1.5 - 2 - 1 - 1.5 - 1 - 1
    assert "expected" not in checks["softmax_hidden"].message


def test_overflow_zero_log_sparse_labels_wrong_argmax_axis_and_missing_minus_are_named(tmp_path):
    path = variant("softmax", {
        "shifted = y - tf.reduce_max(y, axis=1, keepdims=True)": "shifted = y",  # no max subtracted
        "tf.math.log(tf.clip_by_value(p, 1e-7, 1.0))": "tf.math.log(p)",  # 0 · log 0 = NaN
        "cce(y_true=labels, y_pred=p)": "cce(y_true=tf.one_hot(labels, tf.shape(p)[1]), y_pred=p)",  # one-hot
        "return tf.argmax(t, axis=1)": "return tf.argmax(t, axis=0)",
        "table_loss = -tf.math.log(": "table_loss = tf.math.log(",  # missing minus sign
        # the lecture's answer hard-coded: passes a self-check only, nothing when graded
        "return tf.one_hot(labels, depth)": "return tf.constant([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], "
                                            "[0, 1, 0, 0], [0, 0, 1, 0]], tf.float32)",
    }, tmp_path)
    result = grade_file(path)
    checks = checks_by_name(result)
    assert failing(result) == {
        "softmax_large_logits", "softmax_large_logits_hidden", "cross_entropy_zero_probabilities_hidden",
        "keras_cross_entropy", "keras_cross_entropy_hidden", "labels_from_one_hot",
        "labels_from_one_hot_hidden", "table_loss", "one_hot", "one_hot_hidden"}
    for name in ("softmax_large_logits", "softmax_large_logits_hidden"):
        assert "NaN" in checks[name].message and "Subtract each row's max" in checks[name].message
    assert "0·log 0" in checks["cross_entropy_zero_probabilities_hidden"].message
    assert "clip_by_value" in checks["cross_entropy_zero_probabilities_hidden"].message
    assert checks["keras_cross_entropy"].status == "error"
    assert "received one-hot labels" in checks["keras_cross_entropy"].message
    assert "axis 0" in checks["labels_from_one_hot"].message
    assert "minus sign" in checks["table_loss"].message
    assert "shape (5, 4)" in checks["one_hot_hidden"].message  # the lecture's 5 labels, not the hidden ones
    assert result.score == 20 - 1 - 1.5 - 1.5 - 1 - 1 - 1 - 1 - 1 - 1 - 1  # one_hot too: the lecture's answer


def test_keras_softmax_sum_instead_of_mean_transposed_one_hot_and_answers_copied_from_the_lecture(tmp_path):
    path = variant("softmax", {
        # TensorFlow's own softmax gives the reference's values everywhere, large logits included:
        # only the from-scratch check tells them apart
        SOFTMAX_BODY: "    return tf.keras.activations.softmax(y, axis=1)\n",
        "return tf.reduce_mean(-tf.reduce_sum(t * log_p, axis=1))": "return -tf.reduce_sum(t * log_p)",
        # answers copied from the lecture (the notes' printed probabilities, the public checks' values)
        "    cce = tf.keras.losses.SparseCategoricalCrossentropy()\n    return tf.reduce_mean(cce(y_true=labels, y_pred=p))":
            "    return tf.constant(0.7099805556)",
        "return tf.one_hot(labels, depth)": "return tf.one_hot(labels, depth, axis=0)",
        "return tf.argmax(t, axis=1)": "return tf.constant([1, 0, 3, 1, 2])",
        "chair_table_door_bed_probabilities = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]]))[0]":
            "chair_table_door_bed_probabilities = tf.constant([0.175, 0.382, 0.237, 0.287])",
    }, tmp_path)
    result = grade_file(path)
    checks = checks_by_name(result)
    assert failing(result) == {
        "softmax_from_scratch", "cross_entropy", "cross_entropy_hidden", "cross_entropy_zero_probabilities_hidden",
        "keras_cross_entropy", "keras_cross_entropy_hidden", "one_hot", "one_hot_hidden", "labels_from_one_hot",
        "labels_from_one_hot_hidden", "chair_table_door_bed", "table_loss"}
    assert "Softmax operation" in checks["softmax_from_scratch"].message
    for name in ("cross_entropy", "cross_entropy_hidden", "cross_entropy_zero_probabilities_hidden"):
        assert "sum over the examples" in checks[name].message
    assert "transposed" in checks["one_hot_hidden"].message
    assert "printed in the notes" in checks["chair_table_door_bed"].message
    assert "−log(0.382)" in checks["table_loss"].message  # table_loss is computed from those values
    hidden = checks["keras_cross_entropy_hidden"].message
    # the same number for every hidden batch: named as a constant, and the expected value is never shown
    assert "a constant" in hidden and "expected" not in hidden
    assert "shape (5,)" in checks["labels_from_one_hot_hidden"].message  # the lecture's 5 labels


def test_broken_cell_and_keras2_code_cost_only_their_own_parts(tmp_path):
    result = grade_file(copy_to_class(EXAMPLES / "cy" / "softmax.ipynb", tmp_path, "cy"))
    checks = checks_by_name(result)
    assert "SyntaxError" in checks["softmax"].message and "code cell 2" in checks["softmax"].message
    assert "not checked: needs table_loss, which code cell 3" in checks["table_loss"].message
    cell3 = next(c for c in result.cells if c.index == 3)
    assert "code cell 2" in cell3.cause and "SyntaxError" in cell3.cause  # the chain leads to the first cause
    assert "reduction='auto'" in checks["keras_cross_entropy"].message
    assert "{" not in checks["keras_cross_entropy"].message  # Keras' set of names, in varying order, is cut
    later = {"cross_entropy", "cross_entropy_hidden", "cross_entropy_zero_probabilities_hidden",
             "one_hot", "one_hot_hidden", "labels_from_one_hot", "labels_from_one_hot_hidden"}
    assert later.isdisjoint(failing(result))  # the independent parts after the broken cell keep their points
    assert result.score == 9
