"""Judges and known mistakes for softmax (trusted side).

Each mistake function recomputes, in NumPy from the probe's inputs, what a typical wrong answer would
have produced, so that a message can name the mistake instead of only saying "values differ".
"""

from __future__ import annotations

import numpy as np

from grader.judge.compare import matches_reference
from grader.rubric import Evidence, Verdict, failed, passed

LN10 = np.log(10.0)
NOTES_P = np.array([0.175, 0.382, 0.237, 0.287])  # the probabilities printed in the notes (sum 1.081)


# --- softmax --------------------------------------------------------------------------------------
def softmax_np(y, axis=1, shift=True):
    y = np.asarray(y, np.float64)
    if shift:
        y = y - np.max(y, axis=axis, keepdims=True)
    e = np.exp(y)
    return e / np.sum(e, axis=axis, keepdims=True)


def global_max_softmax(y):
    """What subtracting the batch's single largest entry (tf.reduce_max(y), no axis) gives in float32."""
    y = np.asarray(y, np.float32)
    with np.errstate(all="ignore"):
        e = np.exp(y - np.max(y))
        return e / np.sum(e, axis=1, keepdims=True)


def each(fn):
    def produce(ev):
        with np.errstate(all="ignore"):  # a mistake may well overflow: that is what it would have given
            return [fn(case[0]) for case in ev.inputs["cases"]]
    return produce


SOFTMAX_MISTAKES = (
    ("every row must sum to 1, but your columns do: you normalised over axis 0 (down each column, "
     "across examples). Softmax works on each example's row: axis=1", each(lambda y: softmax_np(y, axis=0))),
    ("each row should sum to 1, but the whole batch does: tf.reduce_sum(e) without an axis adds up every "
     "example; use tf.reduce_sum(e, axis=1, keepdims=True)",
     each(lambda y: np.exp(y - np.max(y)) / np.sum(np.exp(y - np.max(y))))),
    ("these are e^{y_i} without the division: divide by Σ_k e^{y_k} so each row sums to 1",
     each(lambda y: np.exp(np.asarray(y, np.float64)))),
    ("the exponential is missing: p_i = e^{y_i} / Σ_k e^{y_k}, not y_i / Σ_k y_k (which can be negative)",
     each(lambda y: np.asarray(y, np.float64) / np.sum(y, axis=1, keepdims=True))),
)

OVERFLOW = ("NaN or inf for large logits: in float32 e^y is inf above y ≈ 88.7 and 0 below y ≈ −103, so "
            "e^{y_i} / Σ_k e^{y_k} becomes inf/inf or 0/0 = NaN. Subtract each row's max first, "
            "y − tf.reduce_max(y, axis=1, keepdims=True): softmax(y − c) = softmax(y)")
GLOBAL_MAX = ("NaN for the rows far below the batch's largest logit: you subtracted tf.reduce_max(y) over the "
              "whole batch, so those rows underflow to 0/0. Subtract each row's own max: "
              "tf.reduce_max(y, axis=1, keepdims=True)")


def nonfinite(values) -> bool:
    try:
        return any(not np.all(np.isfinite(np.asarray(v, np.float64))) for v in values)
    except (TypeError, ValueError):
        return False


def largest_logit(evidence: Evidence) -> float:
    return max(float(np.max(np.abs(case[0]))) for case in evidence.inputs["cases"])


def softmax_values(what: str):
    """Compare with the reference; NaN/inf where the reference is finite is an overflow, named as such.

    Tolerance: rtol 1e-5, or 16 float32 ulps at the scale of the largest logit when that is larger: for
    logits near 1000 float32's spacing is 6e-5, and exp(y − max) and exp(y − logsumexp) — both correct —
    then differ by ~1e-4 relatively, so only a tolerance of that scale is fair to every correct method."""
    compare = matches_reference(what=what, mistakes=SOFTMAX_MISTAKES, magnitude=largest_logit)

    def judge(evidence: Evidence) -> Verdict:
        got = evidence.got
        large = any(np.max(np.abs(case[0])) > 80 for case in evidence.inputs["cases"])  # e^88.7 overflows
        if large and isinstance(got, list) and nonfinite(got) and not nonfinite(evidence.expected):
            shifted = each(global_max_softmax)(evidence)
            if all(np.allclose(np.asarray(g, np.float64), s, rtol=1e-4, atol=1e-6, equal_nan=True)
                   for g, s in zip(got, shifted)):
                return failed(f"{what}: {GLOBAL_MAX}")
            return failed(f"{what}: {OVERFLOW}")
        return compare(evidence)

    return judge


def probability_table(output, y) -> bool:
    """Whether softmax's output is a table of probabilities over one of y's axes (the right one or not):
    what a softmax written from the formula gives, unlike a constant, zeros or its input."""
    try:
        p = np.asarray(output, np.float64)
    except (TypeError, ValueError):
        return False
    if p.shape != np.shape(y) or not np.all(np.isfinite(p)) or np.any(p < -1e-6):
        return False
    return any(np.allclose(p.sum(axis=axis), 1.0, atol=1e-4) for axis in (0, 1)) and not np.allclose(p, p.flat[0])


def from_scratch(evidence: Evidence) -> Verdict:
    got = evidence.got
    if isinstance(got, dict) and not probability_table(got.get("output"), evidence.inputs["y"]):
        return failed("softmax(y) does not return probabilities (entries ≥ 0 that sum to 1 along an axis), so it "
                      "is not the formula p_i = e^{y_i} / Σ_k e^{y_k} written out yet")
    ops = set(got.get("ops", [])) if isinstance(got, dict) else set()
    library = sorted(ops & {"Softmax", "LogSoftmax"})
    if library:
        return failed(f"softmax(y) runs TensorFlow's own {library[0]} operation (tf.nn.softmax, "
                      "tf.keras.activations.softmax or a Softmax layer): build it from the formula with "
                      "tf.exp and tf.reduce_sum; use Keras' softmax only to compare your output with")
    called = got.get("library_calls") if isinstance(got, dict) else None
    if isinstance(called, list) and called:
        return failed(f"softmax(y) calls {', '.join(map(str, called[:3]))}: build it from the formula with "
                      "tf.exp and tf.reduce_sum; a ready-made softmax is only for comparing your output with")
    if isinstance(got, dict) and not got.get("traced"):
        return passed("softmax(y) could not be traced by tf.function (NumPy code?): it does not use "
                      "TensorFlow's softmax operation")
    return passed("softmax(y) is built from elementary operations (" + ", ".join(sorted(ops - {
        "Placeholder", "Identity", "Const"})) + ")")


# --- the lecture's example -----------------------------------------------------------------------
PROBABILITY_MISTAKES = (
    ("these are the probabilities printed in the notes, which are not exact (they sum to 1.081): compute "
     "softmax(y) of y = (−0.2, 0.5, 0.1, 0.1) with your function", lambda ev: NOTES_P),
    ("every probability is 1: softmax over axis 0 of a single row (one example) divides each entry by "
     "itself. Normalise along the row, axis=1", lambda ev: np.ones(4)),
)

TABLE_MISTAKES = (
    ("this is −log(0.382) from the notes' printed probabilities, which are not exact: use p(table) from "
     "your own softmax", lambda ev: np.array([-np.log(NOTES_P[1])])),
    ("it is 0, i.e. p(table) = 1: a softmax over axis 0 of a single row gives probabilities that "
     "are all 1 (see chair_table_door_bed_probabilities)", lambda ev: np.zeros(1)),
    ("the minus sign is missing: L = −Σ t_i log p_i = −log p(table) is positive",
     lambda ev: -np.asarray(ev.expected)),
    ("that is log₁₀: the cross-entropy uses the natural log, tf.math.log",
     lambda ev: np.asarray(ev.expected) / LN10),
)


# --- cross-entropy -------------------------------------------------------------------------------
def per_example(p, t):
    return -np.sum(np.asarray(t, np.float64) * np.log(np.clip(np.asarray(p, np.float64), 1e-7, 1.0)), axis=1)


def losses(fn):
    """Per case, what ``fn`` gives; 0-d arrays like the observed scalars."""
    return lambda ev: [np.asarray(fn(np.asarray(p, np.float64), np.asarray(t, np.float64)))
                       for p, t in ev.inputs["cases"]]


CROSS_ENTROPY_MISTAKES = (
    ("the minus sign is missing: L = −Σ_i t_i log p_i (log p ≤ 0, so the loss is positive)",
     losses(lambda p, t: -np.mean(per_example(p, t)))),
    ("this is the sum over the examples; cross_entropy returns their mean (tf.reduce_mean over axis 0 "
     "after summing over the classes)", losses(lambda p, t: np.sum(per_example(p, t)))),
    ("you averaged over all n×k entries (tf.reduce_mean of t·log p also divides by the number of classes): "
     "sum over the classes (axis=1), then average over the examples",
     losses(lambda p, t: np.mean(per_example(p, t)) / p.shape[1])),
    ("you returned one loss per example: cross_entropy returns a single number, their mean "
     "(tf.reduce_mean)", losses(per_example)),
    ("that is log₁₀: the cross-entropy uses the natural log, tf.math.log",
     losses(lambda p, t: np.mean(per_example(p, t)) / LN10)),
    ("t is ignored: you added −log p over every class. Multiply by the one-hot t so only the true class's "
     "−log p counts", losses(lambda p, t: np.mean(per_example(p, np.ones_like(t))))),
)

ZERO_LOG = ("NaN or inf: p holds exact zeros (a softmax of logits 100 or more apart underflows to 0 in float32) "
            "and t·log p is then 0·log 0 = 0·(−inf) = NaN. Clip p before the log, as Keras does: "
            "tf.math.log(tf.clip_by_value(p, 1e-7, 1.0))")


def cross_entropy_values(what: str, mistakes=CROSS_ENTROPY_MISTAKES, probabilities_at: int = 0):
    """Compare with the reference; NaN/inf when p holds exact zeros is 0·log 0, named as such."""
    compare = matches_reference(rtol=1e-4, atol=1e-5, what=what, mistakes=mistakes, check_dtype=False)

    def judge(evidence: Evidence) -> Verdict:
        got = evidence.got
        zeros = any(np.any(np.asarray(case[probabilities_at]) == 0) for case in evidence.inputs["cases"])
        if zeros and isinstance(got, list) and nonfinite(got) and not nonfinite(evidence.expected):
            return failed(f"{what}: {ZERO_LOG}")
        return compare(evidence)

    return judge


def sparse(fn):
    return lambda ev: [np.asarray(fn(np.asarray(p, np.float64), np.asarray(labels)))
                       for labels, p in ev.inputs["cases"]]


def target_losses(p, labels):
    return -np.log(np.clip(p[np.arange(len(labels)), labels], 1e-7, 1.0))


def log_softmax_np(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


KERAS_MISTAKES = (
    ("from_logits=True treats p as logits and applies a softmax again; the notes' loss expects y_pred to "
     "have had softmax applied already: SparseCategoricalCrossentropy() with no argument",
     sparse(lambda p, labels: -np.mean(log_softmax_np(p)[np.arange(len(labels)), labels]))),
    ("you returned one loss per example (the function tf.keras.losses.sparse_categorical_crossentropy does "
     "not average): take tf.reduce_mean, as the notes do", sparse(target_losses)),
    ("this is the sum over the examples (reduction='sum'); the notes take the mean",
     sparse(lambda p, labels: np.sum(target_losses(p, labels)))),
)


# --- one-hot -------------------------------------------------------------------------------------
def one_hot_np(labels, depth):
    """As tf.one_hot: a label outside [0, depth) gives a row of zeros."""
    return (np.asarray(labels).reshape(-1, 1) == np.arange(depth)).astype(np.float32)


ONE_HOT_MISTAKES = (
    ("the values are right but the dtype is not float32 (tf.keras.utils.to_categorical gives float64 NumPy "
     "arrays): t is multiplied with float32 log p, so return tf.one_hot(labels, depth)",
     lambda ev: ev.expected),
    ("the result is transposed: one row per label, one column per class — tf.one_hot(labels, depth) "
     "(not axis=0)", lambda ev: [one_hot_np(labels, depth).T for labels, depth in ev.inputs["cases"]]),
    ("the depth argument is ignored (always 4 classes): use depth", lambda ev: [one_hot_np(labels, 4)
                                                                                for labels, _ in ev.inputs["cases"]]),
)

ARGMAX_MISTAKES = (
    ("you took the argmax down each column (axis 0): the label of an example is the position of the 1 in "
     "its row, tf.argmax(t, axis=1)", lambda ev: [np.argmax(t, axis=0) for (t,) in ev.inputs["cases"]]),
)
