"""Assignment 3: softmax, cross-entropy and one-hot labels (lecture 2, 'Training Classification Networks').

The student writes softmax and the cross-entropy from the formulas, and the notes' Keras loss; the
grader compares each with the reference on the lecture's chair/table/door/bed example (public) and on
fresh random batches drawn from the run's seed (hidden). Two checks are about numerical stability:
logits in the hundreds must not turn softmax into NaN (subtract each row's max), and probabilities that
underflowed to exactly 0 must not turn the cross-entropy into NaN (0·log 0).
"""

import numpy as np

from grader.judge.compare import matches_reference
from grader.rubric import ANY_BEHAVIOUR, Check, Limits, Probe, Rubric

from . import judges

F32 = np.float32
LECTURE_Y = np.array([[-0.2, 0.5, 0.1, 0.1]], F32)  # chair, table, door, bed
LECTURE_BATCH = np.array([[-0.2, 0.5, 0.1, 0.1], [2.0, 1.0, 0.0, -1.0], [0.3, -0.4, 1.2, 0.0]], F32)
LECTURE_LABELS = np.array([1, 0, 2], np.int32)  # table, chair, door
LECTURE_P = judges.softmax_np(LECTURE_BATCH).astype(F32)
LARGE_Y = np.array([[1000, 1001, 1002], [-1000, -1001, -1002]], F32)
ROOM_LABELS = np.array([1, 0, 3, 1, 2], np.int32)  # table, chair, bed, table, door


def shapes(rng, count):
    """``count`` (n, k) batch shapes, never square, so a wrong axis cannot go unnoticed."""
    found = []
    while len(found) < count:
        n, k = int(rng.integers(2, 8)), int(rng.integers(2, 8))
        if n != k:
            found.append((n, k))
    return found


def logits(rng):
    return {"cases": [[rng.normal(scale=2.0, size=s).astype(F32)] for s in shapes(rng, 3)]}


def large_logits(rng):
    """Rows around ±hundreds: e^y overflows (or underflows) unless each row's max is subtracted."""
    cases = []
    for n, k in shapes(rng, 2):
        offsets = rng.uniform(-1000, 1000, size=n)
        offsets[:2] = rng.uniform(500, 1000), rng.uniform(-1000, -500)  # one far above, one far below
        y = rng.permutation(offsets)[:, None] + rng.normal(scale=3.0, size=(n, k))
        cases.append([y.astype(F32)])
    return {"cases": cases}


def probabilities_and_targets(rng):
    cases = []
    for n, k in shapes(rng, 3):
        labels = rng.integers(0, k, size=n)
        cases.append([judges.softmax_np(rng.normal(scale=1.5, size=(n, k))).astype(F32),
                      judges.one_hot_np(labels, k)])
    return {"cases": cases}


def saturated_probabilities(rng):
    """Softmax outputs with exact zeros (logits 150+ below their row's target), as large logits give."""
    cases = []
    for n, k in shapes(rng, 2):
        k = max(k, 3)
        y = rng.normal(scale=2.0, size=(n, k))
        labels = np.argmax(y, axis=1)
        for i in range(n):
            others = [j for j in range(k) if j != labels[i]]
            y[i, rng.choice(others)] -= rng.uniform(150, 300)
        cases.append([judges.softmax_np(y).astype(F32), judges.one_hot_np(labels, k)])
    return {"cases": cases}


def labels_and_probabilities(rng):
    cases = []
    for n, k in shapes(rng, 3):
        cases.append([rng.integers(0, k, size=n).astype(np.int32),
                      judges.softmax_np(rng.normal(scale=1.5, size=(n, k))).astype(F32)])
    return {"cases": cases}


def labels_and_depths(rng):
    """Random labels with numbers of classes other than the lecture's 4."""
    cases = []
    for n, _ in shapes(rng, 2):
        k = int(rng.choice([d for d in (2, 3, 5, 6, 7) if d != n]))
        cases.append([rng.integers(0, k, size=n).astype(np.int32), k])
    return {"cases": cases}


def one_hot_rows(rng):
    (n1, k1), (n2, k2) = shapes(rng, 2)
    return {"cases": [[judges.one_hot_np(rng.integers(0, k1, size=n1), k1)],
                      [judges.softmax_np(rng.normal(scale=2.0, size=(n2, k2))).astype(F32)]]}


def call(function, cases_or_maker):
    if callable(cases_or_maker):
        return lambda rng: {"function": function, **cases_or_maker(rng)}
    return {"function": function, "cases": cases_or_maker}


def lecture(name, function, maker, example_cases):
    """A public probe: the lecture's example in a self-check, inputs like it (drawn) when grading."""
    return Probe(name, "calls", call(function, maker), example=call(function, example_cases))


def lecture_logits(rng):
    return {"cases": [[rng.normal(scale=0.5, size=(1, 4)).astype(F32)], [rng.normal(scale=1.5, size=(3, 4)).astype(F32)]]}


def lecture_large(rng):
    y = np.stack([rng.uniform(900, 1100) + rng.normal(scale=2.0, size=3),
                  rng.uniform(-1100, -900) + rng.normal(scale=2.0, size=3)])
    return {"cases": [[y.astype(F32)]]}


def lecture_probabilities(rng):
    labels = rng.integers(0, 4, size=3)
    return {"cases": [[judges.softmax_np(rng.normal(scale=1.5, size=(3, 4))).astype(F32), judges.one_hot_np(labels, 4)]]}


def lecture_sparse(rng):
    return {"cases": [[rng.integers(0, 4, size=3).astype(np.int32),
                       judges.softmax_np(rng.normal(scale=1.5, size=(3, 4))).astype(F32)]]}


def lecture_labels(rng):
    return {"cases": [[rng.integers(0, 4, size=5).astype(np.int32), 4]]}


def lecture_one_hot_rows(rng):
    return {"cases": [[judges.one_hot_np(rng.integers(0, 4, size=5), 4)]]}


SOFTMAX_HINT = ("Lecture 2, 'Training Classification Networks': p_i = e^{y_i} / Σ_k e^{y_k} for each example, "
                "one example per row: tf.exp(y) / tf.reduce_sum(tf.exp(y), axis=1, keepdims=True). The notes' "
                "'In Tensorflow' section normalises the same axis: tf.keras.activations.softmax(y, axis=1).")
STABLE_HINT = ("softmax(y − c) = softmax(y) for any c, because e^{−c} cancels between numerator and denominator. "
               "Take c = each row's max, tf.reduce_max(y, axis=1, keepdims=True): the largest exponent is then "
               "e^0 = 1, never inf, and the denominator is at least 1, never 0.")
CE_HINT = ("Lecture 2, 'Cross-entropy loss function': for one example L = −Σ_i t_i log(p_i), t one-hot. "
           "cross_entropy(p, t) returns the mean of L over the examples (rows): "
           "tf.reduce_mean(-tf.reduce_sum(t * tf.math.log(p), axis=1)).")
ZERO_HINT = ("A softmax output can be exactly 0 and 0·log 0 is NaN in floating point. Keras clips p to "
             "[1e-7, 1 − 1e-7] before the log; tf.math.log(tf.clip_by_value(p, 1e-7, 1.0)) does the same. "
             "Only the true class's −log p counts, since t is 0 elsewhere.")
KERAS_HINT = ("Lecture 2, 'In Tensorflow': cce = tf.keras.losses.SparseCategoricalCrossentropy(), then "
              "tf.reduce_mean(cce(y_true=labels, y_pred=p)). It expects probabilities (softmax already "
              "applied) and integer labels, NOT one-hot rows.")
EXAMPLE_HINT = ("Lecture 2, 'Training Classification Networks', example: y = (−0.2, 0.5, 0.1, 0.1) for chair, "
                "table, door, bed; the notes' p = (0.175, 0.382, 0.237, 0.287) is not exact (it sums to 1.081). "
                "For the target 'table' (index 1), L = −log(p_1).")
ONE_HOT_HINT = ("Lecture 2, 'Categorical Inputs of One-hot encoding': tf.one_hot(labels, depth) gives one "
                "float32 row per label with a 1 in the label's column; the argmax of each row, "
                "tf.argmax(t, axis=1), gives the labels back ('use max to pick the favoured category').")

PROBES = (
    lecture("softmax_lecture", "softmax", lecture_logits, [[LECTURE_Y], [LECTURE_BATCH]]),
    Probe("softmax_hidden", "calls", call("softmax", logits), hidden=True),
    Probe("softmax_ops", "softmax_ops", lambda rng: {"y": rng.normal(scale=2.0, size=shapes(rng, 1)[0]).astype(F32)},
          example={"y": LECTURE_BATCH}),
    lecture("softmax_large", "softmax", lecture_large, [[LARGE_Y]]),
    Probe("softmax_large_hidden", "calls", call("softmax", large_logits), hidden=True),
    Probe("example_probabilities", "value", {"name": "chair_table_door_bed_probabilities"}),
    Probe("example_loss", "value", {"name": "table_loss"}),
    lecture("cross_entropy_lecture", "cross_entropy", lecture_probabilities,
            [[LECTURE_P, judges.one_hot_np(LECTURE_LABELS, 4)]]),
    Probe("cross_entropy_hidden", "calls", call("cross_entropy", probabilities_and_targets), hidden=True),
    Probe("cross_entropy_zeros_hidden", "calls", call("cross_entropy", saturated_probabilities), hidden=True),
    lecture("keras_lecture", "keras_cross_entropy", lecture_sparse, [[LECTURE_LABELS, LECTURE_P]]),
    Probe("keras_hidden", "calls", call("keras_cross_entropy", labels_and_probabilities), hidden=True),
    lecture("one_hot_lecture", "one_hot", lecture_labels, [[ROOM_LABELS, 4]]),
    Probe("one_hot_hidden", "calls", call("one_hot", labels_and_depths), hidden=True),
    lecture("argmax_lecture", "labels_from_one_hot", lecture_one_hot_rows, [[judges.one_hot_np(ROOM_LABELS, 4)]]),
    Probe("argmax_hidden", "calls", call("labels_from_one_hot", one_hot_rows), hidden=True),
)

# Tolerances. Softmax values: rtol 1e-5, or 16 float32 ulps at the scale of the largest logit when that is
# larger (judges.softmax_values): near |y| = 1000 float32's spacing is 6e-5, and exp(y − max) and
# exp(y − logsumexp) — both correct — differ by ~1e-4 relatively. Cross-entropies: rtol 1e-4 / atol 1e-5,
# since −log p of float32 probabilities near 1e-7 (the clipping point) is accurate to ~1e-6.
CHECKS = (
    # --- Softmax (8 points) --------------------------------------------------------------------------
    Check("softmax", 1.5, "softmax_lecture",
          judges.softmax_values("softmax(y) on the lecture's y = (−0.2, 0.5, 0.1, 0.1) and a 3×4 batch"),
          "softmax of each row, on the lecture's example", SOFTMAX_HINT),
    Check("softmax_hidden", 2, "softmax_hidden",
          judges.softmax_values("softmax(y) on random batches of several shapes"),
          "softmax of each row of random n×k logits", SOFTMAX_HINT, hidden=True),
    Check("softmax_from_scratch", 1, "softmax_ops", judges.from_scratch,
          "softmax is written from the formula (tf.exp, tf.reduce_sum), not with TensorFlow's softmax "
          "(counts once some part of the notebook works on the grader's inputs)",
          "The formula p_i = e^{y_i} / Σ_k e^{y_k} needs only tf.exp and tf.reduce_sum; "
          "tf.keras.activations.softmax(y, axis=1) is what you compare your output with.",
          requires=(ANY_BEHAVIOUR,)),
    Check("softmax_large_logits", 1, "softmax_large",
          judges.softmax_values("softmax(y) on logits around ±1000"),
          "no NaN or inf for logits like 1000: subtract each row's max", STABLE_HINT),
    Check("softmax_large_logits_hidden", 1.5, "softmax_large_hidden",
          judges.softmax_values("softmax(y) on random rows of logits in the hundreds"),
          "no NaN or inf for random logits between −1000 and 1000, rows far apart", STABLE_HINT, hidden=True),
    Check("chair_table_door_bed", 1, "example_probabilities",
          matches_reference(rtol=1e-4, what="chair_table_door_bed_probabilities", check_dtype=False,
                            mistakes=judges.PROBABILITY_MISTAKES),
          "the true softmax of y = (−0.2, 0.5, 0.1, 0.1): (0.1750, 0.3525, 0.2363, 0.2363), computed by your "
          "notebook (counts once your softmax works on the grader's inputs)", EXAMPLE_HINT,
          requires=("softmax", "softmax_large_logits")),
    # --- Cross-entropy (6 points) ------------------------------------------------------------------
    Check("cross_entropy", 1.5, "cross_entropy_lecture",
          judges.cross_entropy_values("cross_entropy(p, t) on the lecture's example and two more rows"),
          "mean over the examples of −Σ t log p, one-hot t", CE_HINT),
    Check("cross_entropy_hidden", 2, "cross_entropy_hidden",
          judges.cross_entropy_values("cross_entropy(p, t) on random batches"),
          "the mean cross-entropy of random batches of several shapes", CE_HINT, hidden=True),
    Check("cross_entropy_zero_probabilities_hidden", 1.5, "cross_entropy_zeros_hidden",
          judges.cross_entropy_values("cross_entropy(p, t) where some probabilities are exactly 0"),
          "0·log 0 counts as 0: no NaN when a wrong class's probability underflowed to 0", ZERO_HINT,
          hidden=True),
    Check("table_loss", 1, "example_loss",
          matches_reference(rtol=1e-4, what="table_loss", check_dtype=False, mistakes=judges.TABLE_MISTAKES),
          "the cross-entropy of the lecture's example for the target 'table': −log(0.3525) = 1.0428, computed by "
          "your notebook (counts once your cross-entropy works on the grader's inputs)",
          EXAMPLE_HINT, requires=("cross_entropy", "keras_cross_entropy")),
    # --- The notes' Keras loss (2 points) ----------------------------------------------------------
    Check("keras_cross_entropy", 1, "keras_lecture",
          judges.cross_entropy_values("keras_cross_entropy(labels, p) with labels [1, 0, 2]",
                                      judges.KERAS_MISTAKES, probabilities_at=1),
          "SparseCategoricalCrossentropy with integer labels, averaged as in the notes", KERAS_HINT),
    Check("keras_cross_entropy_hidden", 1, "keras_hidden",
          judges.cross_entropy_values("keras_cross_entropy(labels, p) on random batches", judges.KERAS_MISTAKES,
                                      probabilities_at=1),
          "the Keras loss on random labels and probabilities", KERAS_HINT, hidden=True),
    # --- One-hot labels and back (4 points) --------------------------------------------------------
    Check("one_hot", 1, "one_hot_lecture",
          matches_reference(what="one_hot([1, 0, 3, 1, 2], 4)", mistakes=judges.ONE_HOT_MISTAKES),
          "tf.one_hot: one float32 row per label (table, chair, bed, table, door)", ONE_HOT_HINT),
    Check("one_hot_hidden", 1, "one_hot_hidden",
          matches_reference(what="one_hot(labels, depth) for random labels and depths",
                            mistakes=judges.ONE_HOT_MISTAKES),
          "one-hot rows for random labels and numbers of classes", ONE_HOT_HINT, hidden=True),
    Check("labels_from_one_hot", 1, "argmax_lecture",
          matches_reference(what="labels_from_one_hot of the one-hot rows of [1, 0, 3, 1, 2]", check_dtype=False,
                            mistakes=judges.ARGMAX_MISTAKES),
          "the inverse of one_hot: argmax of each row", ONE_HOT_HINT),
    Check("labels_from_one_hot_hidden", 1, "argmax_hidden",
          matches_reference(what="labels_from_one_hot of random one-hot rows and probability rows",
                            check_dtype=False, mistakes=judges.ARGMAX_MISTAKES),
          "argmax of each row, for one-hot rows and for softmax outputs (the favoured category)",
          ONE_HOT_HINT, hidden=True),
)

RUBRIC = Rubric(
    assignment="softmax",
    title="Softmax, cross-entropy and one-hot labels",
    lecture="Lecture 2, 'Training Classification Networks'",
    probes=PROBES,
    checks=CHECKS,
    limits=Limits(total_s=240, cell_s=60, probe_s=60),
)
