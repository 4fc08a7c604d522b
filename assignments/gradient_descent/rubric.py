"""Assignment 1: TensorFlow basics, automatic differentiation and gradient descent (lecture 1).

Every function is probed twice. The public check runs, in a student's self-check (`grader check`), on
the lecture's own example; when grading, on random inputs of the same kind (2×2 matrices of small
integers, points like the lecture's), so an answer hard-coded from the notes earns nothing. The hidden
check runs on other random inputs of several shapes, drawn from the grading run's seed.
"""

import numpy as np

from grader.judge.compare import matches_reference
from grader.rubric import Check, Limits, Probe, Rubric

from .judges import trajectory

A = np.array([[1, 2], [3, 4]], np.float32)
ONES = np.array([[1, 1], [1, 1]], np.float32)
F32 = np.float32


def same_shape_pairs(rng):
    shapes = [(2, 3), (4, 1), (3, 3)]
    return {"cases": [[rng.normal(size=s).astype(F32), rng.normal(size=s).astype(F32)] for s in shapes]}


def matmul_pairs(rng):
    dims = [(2, 3, 4), (4, 2, 1), (1, 3, 2)]
    return {"cases": [[rng.normal(size=(n, m)).astype(F32), rng.normal(size=(m, k)).astype(F32)]
                      for n, m, k in dims]}


def row_pairs(rng):
    return {"cases": [[rng.normal(size=(n, m)).astype(F32), rng.normal(size=m).astype(F32)]
                      for n, m in [(3, 2), (2, 4)]]}


def count_cases(rng):
    while True:  # three different counts: no constant answer can match them all
        cases = [[rng.integers(0, 10, size=(3, 4)).astype(F32), float(rng.integers(1, 8))] for _ in range(3)]
        if len({int(np.sum(a > t)) for a, t in cases}) == 3:
            return {"cases": cases}


def matrices(rng):
    return {"cases": [[rng.normal(size=s).astype(F32)] for s in [(3, 4), (5, 2)]]}


def points(rng, arity=1):
    return {"cases": [[round(float(rng.uniform(-5, 5)), 2) for _ in range(arity)] for _ in range(3)]}


def small_integers(rng, shape):
    """Like the lecture's [[1, 2], [3, 4]]: small whole numbers, as float32."""
    return rng.integers(1, 10, size=shape).astype(F32)


def lecture_pair(rng):
    return {"cases": [[small_integers(rng, (2, 2)), small_integers(rng, (2, 2))]]}


def lecture_row(rng):
    return {"cases": [[small_integers(rng, (2, 2)), (10 * small_integers(rng, 2)).astype(F32)]]}


def lecture_count(rng):
    """Three 2×2 matrices like the lecture's, with thresholds that give three different counts: no constant
    answer can match them all."""
    while True:
        cases = [[small_integers(rng, (2, 2)), float(rng.integers(1, 9))] for _ in range(3)]
        counts = {int(np.sum(a > t)) for a, t in cases}
        if len(counts) == 3:
            return {"cases": cases}


def lecture_matrix(rng):
    return {"cases": [[small_integers(rng, (2, 2))]]}


def lecture_point(arity):
    """Points like the lecture's (3; 4 and 2), never the lecture's own: a number with one decimal."""
    return lambda rng: {"cases": [[round(float(rng.uniform(1, 9)), 1) + 0.05 for _ in range(arity)]]}


def lecture_descent(rng):
    return {"x0": float(rng.integers(5, 16)), "eta": round(float(rng.uniform(0.05, 0.2)), 2), "steps": 50}


def call(function, cases_or_maker):
    if callable(cases_or_maker):
        return lambda rng: {"function": function, **cases_or_maker(rng)}
    return {"function": function, "cases": cases_or_maker}


def lecture(name, function, maker, example_cases, probe="call_each"):
    """A public probe: the lecture's own example in a self-check, inputs like it when grading."""
    return Probe(name, probe, call(function, maker), example=call(function, example_cases))


def other_axis(axis):
    return lambda ev: [np.sum(case[0], axis=axis) for case in ev.inputs["cases"]]


def matmul_instead(ev):
    return [case[0] @ case[1] for case in ev.inputs["cases"]]


def hadamard_instead(ev):
    return [case[0] * case[1] for case in ev.inputs["cases"]]


TENSORS_HINT = "Lecture 1, 'Two types of matrix multiplication', 'Tensor Shape' and 'Aggregation Functions'."
TAPE_HINT = ("Lecture 1, 'Automatic Differentiation': compute inside `with tf.GradientTape() as tape:`, "
             "then `tape.gradient(y, x)`; a tf.constant must be watched with `tape.watch(x)`.")

PROBES = (
    lecture("elementwise_lecture", "elementwise_product", lecture_pair, [[A, ONES]]),
    Probe("elementwise_hidden", "call_each", call("elementwise_product", same_shape_pairs), hidden=True),
    lecture("matmul_lecture", "matrix_product", lecture_pair, [[A, ONES]]),
    Probe("matmul_hidden", "call_each", call("matrix_product", matmul_pairs), hidden=True),
    lecture("broadcast_lecture", "add_row_to_each_row", lecture_row, [[A, np.array([10, 20], F32)]]),
    Probe("broadcast_hidden", "call_each", call("add_row_to_each_row", row_pairs), hidden=True),
    lecture("count_lecture", "count_above", lecture_count, [[A, 1.0]]),
    Probe("count_hidden", "call_each", call("count_above", count_cases), hidden=True),
    lecture("column_sums_lecture", "column_sums", lecture_matrix, [[A]]),
    lecture("row_sums_lecture", "row_sums", lecture_matrix, [[A]]),
    Probe("column_sums_hidden", "call_each", call("column_sums", matrices), hidden=True),
    Probe("row_sums_hidden", "call_each", call("row_sums", matrices), hidden=True),
    lecture("square_lecture", "derivative_of_square", lecture_point(1), [[3.0]], "derivatives"),
    lecture("partials_lecture", "partials_of_3x2_plus_y", lecture_point(2), [[4.0, 2.0]], "derivatives"),
    lecture("cube_lecture", "derivative_of_watched_cube", lecture_point(1), [[4.0]], "derivatives"),
    Probe("square_hidden", "derivatives", lambda rng: {"function": "derivative_of_square", **points(rng)},
          hidden=True),
    Probe("partials_hidden", "derivatives",
          lambda rng: {"function": "partials_of_3x2_plus_y", **points(rng, 2)}, hidden=True),
    Probe("cube_hidden", "derivatives",
          lambda rng: {"function": "derivative_of_watched_cube", **points(rng)}, hidden=True),
    Probe("descent_lecture", "descent", lecture_descent, example={"x0": 10.0, "eta": 0.1, "steps": 50}),
    Probe("descent_hidden", "descent",
          lambda rng: {"x0": round(float(rng.uniform(-20, 20)), 3), "eta": round(float(rng.uniform(0.05, 0.4)), 3),
                       "steps": int(rng.integers(20, 40))}, hidden=True),
)

# Tolerances. Tensor operations and derivatives: matches_reference's rtol 1e-5 / atol 1e-6, ~80 float32 ulps:
# any correct TF or NumPy (float32 or float64) computation of these small products and sums is within a few
# ulps of the reference. Descent: rtol 1e-4 / atol 1e-5 (judges.RTOL, ATOL), as 50 steps of float32 updates
# accumulate rounding (a float64 NumPy loop differs from TensorFlow's float32 by ~1e-6 after 50 steps).
CHECKS = (
    # --- Tensors (10 points) ---------------------------------------------------------------------
    Check("elementwise_product", 1, "elementwise_lecture",
          matches_reference(what="elementwise_product(a, b) on 2×2 matrices like the lecture's",
                            mistakes=(("that is the matrix product; the Hadamard product multiplies entry "
                                       "by entry: tf.multiply(a, b)", matmul_instead),)),
          "Hadamard product c_ij = a_ij·b_ij (self-check: the lecture's example)", TENSORS_HINT),
    Check("elementwise_product_hidden", 1, "elementwise_hidden",
          matches_reference(what="elementwise_product(a, b) on random matrices of several shapes"),
          "Hadamard product on random non-square matrices", TENSORS_HINT, hidden=True),
    Check("matrix_product", 1, "matmul_lecture",
          matches_reference(what="matrix_product(a, b) on 2×2 matrices like the lecture's",
                            mistakes=(("that is the elementwise (Hadamard) product; the matrix product is "
                                       "tf.matmul(a, b)", hadamard_instead),)),
          "tf.matmul (self-check: the lecture's example; the notes print (3, 7), the product is [[3, 3], [7, 7]])",
          TENSORS_HINT),
    Check("matrix_product_hidden", 1, "matmul_hidden",
          matches_reference(what="matrix_product(a, b) on random n×m and m×l matrices"),
          "matrix product of random non-square matrices", TENSORS_HINT, hidden=True),
    Check("broadcasting", 1, "broadcast_lecture",
          matches_reference(what="add_row_to_each_row(a, row) on a 2×2 matrix and a row like the lecture's"),
          "broadcasting a row vector over a matrix (self-check: the lecture's, [[11, 22], [13, 24]])", TENSORS_HINT),
    Check("broadcasting_hidden", 1, "broadcast_hidden",
          matches_reference(what="add_row_to_each_row on random matrices"),
          "broadcasting on random shapes", TENSORS_HINT, hidden=True),
    Check("count_above", 1, "count_lecture",
          matches_reference(what="count_above(a, threshold) on a 2×2 matrix like the lecture's", check_dtype=False),
          "cast a boolean comparison and sum it (self-check: the lecture's example; the notes' answer 5 is wrong, three entries exceed 1)",
          TENSORS_HINT + " Compare with `a > threshold`, `tf.cast` the booleans to numbers, then `tf.reduce_sum`."),
    Check("count_above_hidden", 1, "count_hidden",
          matches_reference(what="count_above on random matrices and thresholds", check_dtype=False),
          "counting entries above random thresholds", TENSORS_HINT, hidden=True),
    Check("column_sums", 1, "column_sums_lecture",
          matches_reference(what="column_sums(a) of a 2×2 matrix like the lecture's",
                            mistakes=(("you summed each row; column sums use axis=0", other_axis(1)),)),
          "tf.reduce_sum with axis=0 (self-check: the lecture's, [4, 6])", TENSORS_HINT),
    Check("row_sums", 0.5, "row_sums_lecture",
          matches_reference(what="row_sums(a) of a 2×2 matrix like the lecture's",
                            mistakes=(("you summed each column; row sums use axis=1", other_axis(0)),)),
          "tf.reduce_sum with axis=1 (self-check: the lecture's, [3, 7])", TENSORS_HINT),
    Check("column_sums_hidden", 0.25, "column_sums_hidden",
          matches_reference(what="column_sums on random non-square matrices",
                            mistakes=(("you summed over the wrong axis; column sums use axis=0", other_axis(1)),)),
          "column sums of random non-square matrices", TENSORS_HINT, hidden=True),
    Check("row_sums_hidden", 0.25, "row_sums_hidden",
          matches_reference(what="row_sums on random non-square matrices",
                            mistakes=(("you summed over the wrong axis; row sums use axis=1", other_axis(0)),)),
          "row sums of random non-square matrices", TENSORS_HINT, hidden=True),
    # --- Automatic differentiation (6 points) ------------------------------------------------------
    Check("derivative_of_square", 1, "square_lecture",
          matches_reference(what="derivative_of_square(x) at a point like the lecture's"), "dy/dx of y = x² (self-check: at x = 3, the lecture's 6)", TAPE_HINT),
    Check("derivative_of_square_hidden", 1, "square_hidden",
          matches_reference(what="derivative_of_square at random points"), "dy/dx of x² at random x",
          TAPE_HINT, hidden=True),
    Check("partials_of_3x2_plus_y", 1, "partials_lecture",
          matches_reference(what="partials_of_3x2_plus_y(x, y) at a point like the lecture's"),
          "∂f/∂x and ∂f/∂y of f = 3x² + y (self-check: at (4, 2), the lecture's 24 and 1)", TAPE_HINT),
    Check("partials_of_3x2_plus_y_hidden", 1, "partials_hidden",
          matches_reference(what="partials_of_3x2_plus_y at random points"),
          "both partial derivatives at random points", TAPE_HINT, hidden=True),
    Check("derivative_of_watched_cube", 1, "cube_lecture",
          matches_reference(what="derivative_of_watched_cube(x) at a point like the lecture's"),
          "d/dx x³ of a watched tf.constant (self-check: at x = 4, the lecture's 48)", TAPE_HINT),
    Check("derivative_of_watched_cube_hidden", 1, "cube_hidden",
          matches_reference(what="derivative_of_watched_cube at random points"),
          "d/dx x³ at random points", TAPE_HINT, hidden=True),
    # --- Gradient descent (8 points) ----------------------------------------------------------------
    Check("gradient_descent", 5, "descent_lecture", trajectory,
          "minimise y = x² − 4x + 4: x after each of 50 steps, step by step (self-check: the lecture's x₀ = 10, η = 0.1; graded: another start and rate)",
          "Lecture 1, 'Introduction to Gradient Descent': inside the loop, compute y under a GradientTape, "
          "take dydx = tape.gradient(y, x), then x.assign(x - eta * dydx) and record x."),
    Check("gradient_descent_hidden", 3, "descent_hidden", trajectory,
          "the same descent from a random start, learning rate and number of steps",
          "Use the arguments x0, eta and steps: nothing in gradient_descent may be fixed to 10, 0.1 or 50.",
          hidden=True),
)

RUBRIC = Rubric(
    assignment="gradient_descent",
    title="TensorFlow basics and gradient descent",
    lecture="Lecture 1",
    probes=PROBES,
    checks=CHECKS,
    parameters={"STEPS": 50},
    limits=Limits(total_s=300, cell_s=60, probe_s=60),
)
