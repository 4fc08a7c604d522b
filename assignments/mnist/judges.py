"""The grader's own softmax network in NumPy, and the judges that use it (trusted side).

The test accuracy is computed here, from the weights the submission's train() produced, on the
10000 MNIST test images the grader loads itself (``grader.datasets.locate``). Nothing a submission
prints or reports about its own training is scored without being recomputed.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from grader import datasets
from grader.judge.compare import difference
from grader.rubric import Evidence, Verdict, failed, passed

LEARNING_RATE = 0.5  # the value the rubric's parameters give LEARNING_RATE (an ignored eta falls back to it)
SHAPES = ((784, 10), (10,))
LOSS_SAMPLE = 10_000  # training images on which the grader recomputes the training loss


# --- data (loaded once per grading process) ------------------------------------------------------
@functools.lru_cache(maxsize=1)
def mnist() -> dict:
    # the two sets every submission is measured on are kept as float64 (the values of float32 pixel / 255,
    # as before), so that ``logits`` does not convert 63 MB again for every set of weights
    with np.load(datasets.locate("mnist", download=False)) as data:
        return {
            "x_test": (data["x_test"].reshape(-1, 784).astype(np.float32) / 255).astype(np.float64),
            "y_test": data["y_test"].astype(np.int64),
            "x_sample": (data["x_train"][:LOSS_SAMPLE].reshape(-1, 784).astype(np.float32) / 255).astype(np.float64),
            "y_sample": data["y_train"][:LOSS_SAMPLE].astype(np.int64),
            # what a notebook's load_data() calls its test set (see datasets.for_sandbox)
            "x_notebook_test": data["x_train"][-10_000:].reshape(-1, 784).astype(np.float32) / 255,
            "y_notebook_test": data["y_train"][-10_000:].astype(np.int64),
        }


# --- the network --------------------------------------------------------------------------------
def logits(weights, x):
    w, b = (np.asarray(v, np.float64) for v in weights)
    return np.asarray(x, np.float64) @ w + b.reshape(-1)


def softmax(z, axis=1):
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def cross_entropy(weights, x, labels) -> float:
    return logits_cross_entropy(logits(weights, x), labels)


def logits_cross_entropy(z, labels) -> float:
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(labels)), labels]))


def data_logits(weights, split: str):
    """logits(weights, mnist()[split]), computed once per set of weights: a submission's judges ask for the
    same weights' test accuracy, test loss and training loss several times, and every submission's curves
    for the reference's."""
    w, b = (np.ascontiguousarray(v, np.float64) for v in weights)
    return _data_logits(split, w.tobytes(), w.shape, b.tobytes(), b.shape)


@functools.lru_cache(maxsize=128)  # 800 kB each
def _data_logits(split, w_bytes, w_shape, b_bytes, b_shape):
    w, b = np.frombuffer(w_bytes).reshape(w_shape), np.frombuffer(b_bytes).reshape(b_shape)
    z = logits([w, b], mnist()[split])
    z.flags.writeable = False
    return z


def test_accuracy(weights, relabel=None) -> float:
    data = mnist()
    labels = data["y_test"] if relabel is None else np.asarray(relabel)[data["y_test"]]
    return float(np.mean(np.argmax(data_logits(weights, "x_test"), axis=1) == labels))


def test_loss(weights, relabel) -> float:
    return logits_cross_entropy(data_logits(weights, "x_test"), np.asarray(relabel)[mnist()["y_test"]])


def sample_loss(weights, relabel) -> float:
    return logits_cross_entropy(data_logits(weights, "x_sample"), np.asarray(relabel)[mnist()["y_sample"]])



def finite(values) -> list:
    """A series safe for results.json (no NaN/inf) and for the plot."""
    return [float(v) if v is not None and math.isfinite(v) else None for v in values]


# --- preprocessing ------------------------------------------------------------------------------
HINT_SCALE = "divide by 255 so that black is 0.0 and white is 1.0"


def preprocess_shape(evidence: Evidence) -> Verdict:
    images = evidence.inputs["images"]
    n = len(images)
    arr = np.asarray(evidence.got)
    if arr.shape != (n, 784):
        if arr.shape == (n, 28, 28):
            why = "the images are not flattened: reshape each 28×28 image into a vector of 784 pixels"
        elif arr.shape in ((n * 784,), (1, n * 784)):
            why = "the whole batch was flattened into one vector: keep one image per row, reshape(n, 784)"
        elif arr.shape == (784, n):
            why = "one image per column: the network expects one image per row, shape (n, 784)"
        else:
            why = "expected one row of 784 pixels per image"
        return failed(f"preprocess() of {n} images of 28×28 pixels returned shape {arr.shape}: {why}")
    if arr.dtype != np.float32:
        if arr.dtype == np.float64:
            why = ("float64: NumPy division of a uint8 array by 255 gives float64, and tf.matmul will not "
                   "mix it with the float32 weights. Convert first: images.astype(np.float32) / 255")
        elif arr.dtype.kind in "iub":
            why = f"{arr.dtype}: the pixels were not converted to floats (astype(np.float32) / 255)"
        else:
            why = f"{arr.dtype}: the network's weights are float32"
        return failed(f"preprocess() returned {why}")
    pixels = np.asarray(images, np.float64).reshape(n, 784)
    values = arr.astype(np.float64)
    if not np.all(np.isfinite(values)) or np.ptp(values) == 0 or \
            abs(np.corrcoef(values.ravel(), pixels.ravel())[0, 1]) < 0.99:
        return failed(f"preprocess() returns a float32 array of shape ({n}, 784), but its values are not the images' "
                      "pixels in order (a constant, or unrelated numbers): reshape the images themselves")
    return passed(f"preprocess() turns {n} images into a float32 array of shape ({n}, 784), pixel by pixel")


def preprocess_scaling(evidence: Evidence) -> Verdict:
    images = np.asarray(evidence.inputs["images"], np.float64)
    n = len(images)
    arr = np.asarray(evidence.got)
    if arr.size != images.size or arr.dtype.kind not in "iufb":
        return failed(f"preprocess() returned {arr.size} numbers for {n} images of 784 pixels, so the "
                      "rescaling could not be checked")
    values = arr.astype(np.float64).reshape(n, 784)
    flat = images.reshape(n, 784)
    if np.allclose(values, flat / 255, rtol=1e-6, atol=1e-6):
        return passed("the pixels are rescaled from 0–255 to [0, 1] (pixel / 255)")
    per_image = flat.max(axis=1, keepdims=True)
    mistakes = (
        (flat, "the pixels are not rescaled: they still go from 0 to 255. Lecture 2, 'MNIST Problem': "
               f"rescale from greyscale to float, {HINT_SCALE} (and the notes: normalise your inputs!)"),
        (flat / 256, "the pixels were divided by 256: " + HINT_SCALE),
        (np.floor(flat / 255), "integer division (// 255) turns every pixel into 0 or 1: " + HINT_SCALE),
        (flat / np.maximum(per_image, 1), "each image was divided by its own brightest pixel: use the fixed "
                                          "scale of the format, " + HINT_SCALE),
        (flat / max(flat.max(), 1), "the images were divided by the brightest pixel of the batch: use the "
                                    "fixed scale of the format, " + HINT_SCALE),
        (1 - flat / 255, "the image is inverted (1 − pixel/255): " + HINT_SCALE),
    )
    for produced, message in mistakes:
        if np.allclose(values, produced, rtol=1e-5, atol=1e-5):
            return failed(message)
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    wrong = int(np.sum(~np.isclose(values, flat / 255, rtol=1e-6, atol=1e-6)))
    return failed(f"{wrong} of {values.size} pixel values are not pixel / 255 (your values range from "
                  f"{low:.4g} to {high:.4g}): {HINT_SCALE}")


def preprocess_all(evidence: Evidence) -> Verdict:
    shape = preprocess_shape(evidence)
    if not shape.passed:
        return shape
    scaling = preprocess_scaling(evidence)
    if not scaling.passed:
        return scaling
    return passed("preprocess() flattens and rescales random batches of images to float32 (n, 784) in [0, 1]")


# --- forward pass -------------------------------------------------------------------------------
def forward_mistakes():
    def network(**kw):
        def produce(ev):
            w, b = ev.inputs["weights"]
            z = logits([w, b * 0] if kw.get("no_bias") else [w, b], ev.inputs["inputs"])
            return kw["output"](z)
        return produce

    return (
        ("the softmax is taken over axis 0 (down each column, across the images): each image's row of 10 "
         "must sum to 1, so use tf.keras.activations.softmax(y, axis=1)", network(output=lambda z: softmax(z, 0))),
        ("the bias is missing: y = softmax(x W + b)", network(output=softmax, no_bias=True)),
        ("run_network returns the raw scores x W + b: apply the softmax to turn them into probabilities",
         network(output=lambda z: z)),
        ("the outputs use a sigmoid; a classifier's outputs are a softmax, p_i = e^{y_i} / Σ_k e^{y_k}",
         network(output=lambda z: 1 / (1 + np.exp(-z)))),
        ("the bias is missing and the softmax is taken over axis 0 (across the images)",
         network(output=lambda z: softmax(z, 0), no_bias=True)),
    )


def probabilities(evidence: Evidence) -> Verdict:
    got = np.asarray(evidence.got)
    n = len(evidence.inputs["inputs"])
    if got.shape != (n, 10) or got.dtype.kind not in "fiu":
        return failed(f"run_network on {n} images returned {got.dtype} of shape {got.shape}; "
                      f"expected one row of 10 probabilities per image, ({n}, 10)")
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        return failed("the outputs contain NaN or inf")
    if np.allclose(got, got[0]):  # different images and random weights never give the same probabilities
        return failed(f"run_network gives every one of the {n} images the same outputs: they must be computed "
                      "from x (softmax(x W + b), one row per image)")
    rows, columns = got.sum(axis=1), got.sum(axis=0)
    if np.all(got >= -1e-6) and np.allclose(rows, 1, atol=1e-4):
        return passed("every row of run_network's output is a probability vector (entries ≥ 0, sum 1)")
    if np.allclose(columns, 1, atol=1e-4):
        return failed("each column sums to 1, not each row: the softmax normalises over the images (axis 0) "
                      "instead of over the 10 classes of each image (axis=1)")
    if np.any(got < 0) or np.any(got > 1 + 1e-6):
        return failed(f"the outputs range from {got.min():.3g} to {got.max():.3g}: they are not probabilities "
                      "(no softmax?)")
    return failed(f"the rows sum to values between {rows.min():.4g} and {rows.max():.4g}, not 1: "
                  "softmax over each row, p_i = e^{y_i} / Σ_k e^{y_k}")


# --- loss ---------------------------------------------------------------------------------------
def loss_mistakes():
    def per_image(ev):
        w, b = ev.inputs["weights"]
        p = softmax(logits([w, b], ev.inputs["inputs"]))
        labels = ev.inputs["labels"].astype(int)
        return -np.log(p[np.arange(len(labels)), labels])

    def without_bias(ev):
        w, b = ev.inputs["weights"]
        p = softmax(logits([w, 0 * b], ev.inputs["inputs"]))
        labels = ev.inputs["labels"].astype(int)
        return -np.log(p[np.arange(len(labels)), labels]).mean(keepdims=True)

    return (
        ("the loss is computed without the bias: run_network must return softmax(x W + b) (see forward_pass)",
         without_bias),
        ("the loss is the sum of the cross entropies of the batch; average them (tf.reduce_mean) so that "
         "the step size does not grow with the batch size", lambda ev: per_image(ev).sum(keepdims=True)),
        ("the mean is taken over all n × 10 entries of −t·log(p), which divides the loss by 10: sum over the "
         "classes, then average over the images", lambda ev: per_image(ev).mean(keepdims=True) / 10),
        ("calc_loss returns one cross entropy per image: average them with tf.reduce_mean",
         per_image),
    )


# --- training steps -----------------------------------------------------------------------------
def gradients(weights, x, labels):
    p = softmax(logits(weights, x))
    p[np.arange(len(labels)), np.asarray(labels, int)] -= 1
    g = p / len(labels)
    return [np.asarray(x, np.float64).T @ g, g.sum(axis=0)]


def descend(weights, x, labels, eta, steps, sign=-1.0, update=(True, True)):
    path, current = [], [np.asarray(w, np.float64) for w in weights]
    for _ in range(steps):
        grads = gradients(current, x, labels)
        current = [w + sign * eta * g if u else w for w, g, u in zip(current, grads, update)]
        path.append(current)
    return path


def trajectory(evidence: Evidence) -> Verdict:
    got, expected = evidence.got, evidence.expected
    ins = evidence.inputs
    weights, x, labels, eta, steps = (ins[k] for k in ("weights", "inputs", "labels", "eta", "steps"))
    if not isinstance(got, list) or len(got) != len(expected):
        return failed(f"expected W and b after each of {steps} steps")
    n = len(labels)
    variants = [
        ("the weights move up the gradient (gradient ascent): subtract eta · dL/dW", dict(sign=1.0)),
        ("the step is n times too large: the loss is summed over the batch instead of averaged "
         "(tf.reduce_mean)", dict(eta=eta * n)),
        ("b is not updated: train_step must update both W and b", dict(update=(True, False))),
        ("W is not updated: train_step must update both W and b", dict(update=(False, True))),
    ]
    if eta != LEARNING_RATE:
        variants.insert(0, (f"the step ignores its eta argument (it uses LEARNING_RATE = {LEARNING_RATE:g})",
                            dict(eta=LEARNING_RATE)))
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        found = difference(g, e, 1e-4, 1e-6, evidence.hidden, check_dtype=False)
        if found is None:
            continue
        for message, change in variants:
            options = {"eta": eta, **change}
            path = descend(weights, x, labels, options.pop("eta"), steps, **options)
            if all(np.allclose(np.asarray(a, np.float64), v, rtol=1e-3, atol=1e-5)
                   for a, v in zip(g, path[step - 1])):
                return failed(f"step {step}: {message}")
        index = found.where.strip("[]")
        where = ("W", "b")[int(index)] if index.isdigit() and int(index) < 2 else found.where
        before = f"steps 1–{step - 1} match; " if step > 1 else ""
        return failed(f"{before}after step {step}, {where}: {found.text.split(': ', 1)[-1]}")
    return passed(f"W and b after each of {steps} gradient-descent steps (η = {eta:g}) match the reference")


# --- accuracy function --------------------------------------------------------------------------
def accuracy_mistakes():
    def fraction(ev):
        w, b = ev.inputs["weights"]
        predicted = np.argmax(logits([w, b], ev.inputs["inputs"]), axis=1)
        return np.mean(predicted == ev.inputs["labels"])

    def network(axis=1, bias=1):
        def produce(ev):
            w, b = ev.inputs["weights"]
            predicted = np.argmax(softmax(logits([w, bias * b], ev.inputs["inputs"]), axis), axis=1)
            return np.array([np.mean(predicted == ev.inputs["labels"])])
        return produce

    n = lambda ev: len(ev.inputs["labels"])  # noqa: E731

    def on_the_test_set(ev):  # the notebook's x_test / test_labels instead of the arguments
        data = mnist()
        predicted = np.argmax(logits(ev.inputs["weights"], data["x_notebook_test"]), axis=1)
        return np.array([np.mean(predicted == data["y_notebook_test"])])

    return (
        ("accuracy() ignores its arguments x and labels: its value is the accuracy on the notebook's own test "
         "images (x_test, test_labels). Compute it from the x and labels it is given", on_the_test_set),
        ("accuracy() counts right, but its predictions come from a run_network without the bias "
         "(see forward_pass)", network(bias=0)),
        ("accuracy() counts right, but its predictions come from a softmax over axis 0, across the images "
         "(see forward_pass)", network(axis=0)),
        ("accuracy() returns a percentage; return the fraction of correct images (between 0 and 1)",
         lambda ev: np.array([100 * fraction(ev)])),
        ("accuracy() returns the number of correct images; divide by the number of images",
         lambda ev: np.array([n(ev) * fraction(ev)])),
        ("accuracy() returns the error rate (the fraction of wrong images); return the fraction of correct ones",
         lambda ev: np.array([1 - fraction(ev)])),
    )
