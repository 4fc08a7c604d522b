"""gradient_descent: every check passes on the reference and fails on a plausible mistake."""

from conftest import REFERENCE, copy_to_class, failing, grade_file, checks_by_name, variant


def test_reference_scores_full_marks(tmp_path):
    result = grade_file(copy_to_class(REFERENCE / "gradient_descent.py", tmp_path, "ref"))
    assert result.status == "graded"
    assert result.score == result.max_score == 24
    assert failing(result) == set()
    assert result.curves and "x₀ = " in result.curves[0].title


def test_typical_mistakes_each_lose_their_checks_with_a_message_that_names_them(tmp_path):
    path = variant("gradient_descent", {
        "return tf.reduce_sum(a, axis=0)": "return tf.reduce_sum(a, axis=1)",  # wrong axis
        "return tf.multiply(a, b)": "return tf.matmul(a, b)",  # matmul for Hadamard
        "        tape.watch(x)\n": "",  # forgot to watch the constant
        "x.assign(x - eta * dydx)": "x.assign(x + eta * dydx)",  # gradient ascent
    }, tmp_path)
    result = grade_file(path)
    tests = checks_by_name(result)
    assert failing(result) == {
        "column_sums", "column_sums_hidden", "elementwise_product", "elementwise_product_hidden",
        "derivative_of_watched_cube", "derivative_of_watched_cube_hidden",
        "gradient_descent", "gradient_descent_hidden"}
    assert "axis=0" in tests["column_sums"].message
    assert "tf.multiply" in tests["elementwise_product"].message
    assert "tape.watch" in tests["derivative_of_watched_cube"].message
    assert "gradient ascent" in tests["gradient_descent"].message
    assert result.score == 24 - 1 - 0.25 - 2 - 2 - 8


def test_answers_hard_coded_from_the_lecture_pass_the_self_check_only(tmp_path):
    path = variant("gradient_descent", {
        "def count_above(a, threshold):\n    return tf.reduce_sum(tf.cast(a > threshold, tf.int32))":
            "def count_above(a, threshold):\n    return tf.constant(3)",
        "    x = tf.Variable(x_value, dtype=tf.float32)\n    with tf.GradientTape() as tape:\n"
        "        y = tf.pow(x, 2.0)\n    return tape.gradient(y, x)": "    return tf.constant(6.0)",
    }, tmp_path)
    checked = grade_file(path, public_only=True)  # a self-check runs the lecture's own examples
    assert failing(checked) == set()
    result = grade_file(path)  # grading draws every input: the lecture's answers are worth nothing
    assert failing(result) == {"count_above", "count_above_hidden", "derivative_of_square",
                               "derivative_of_square_hidden"}
    hidden = checks_by_name(result)["count_above_hidden"].message
    assert "expected" not in hidden  # a hidden check never shows the expected value


def test_trajectory_is_checked_step_by_step(tmp_path):
    path = variant("gradient_descent", {
        "        x.assign(x - eta * dydx)\n        xs.append(float(x.numpy()))":
            "        xs.append(float(x.numpy()))\n        x.assign(x - eta * dydx)",
    }, tmp_path)
    result = grade_file(path)
    assert failing(result) == {"gradient_descent", "gradient_descent_hidden"}
    assert "one step behind" in checks_by_name(result)["gradient_descent"].message
