"""The grader's own 2-2-1 network in NumPy, and the judges that use it (trusted side).

Every quality figure scored here is recomputed from weights the submission produced, never taken
from what the submission says about itself.
"""

from __future__ import annotations

import numpy as np

from grader.judge.compare import difference
from grader.results import Curve
from grader.rubric import Evidence, Verdict, failed, passed

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
T = np.array([[0], [1], [1], [0]], np.float64)
SOLVED_MARGIN = 0.3  # every output within 0.3 of its target


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(weights, x=X, hidden=sigmoid, output=sigmoid):
    w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in weights)
    return output(hidden(np.asarray(x, np.float64) @ w1 + b1) @ w2 + b2)


def sum_squared_loss(weights) -> float:
    return float(np.sum((forward(weights) - T) ** 2))


def gradients(weights):
    w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in weights)
    h = sigmoid(X @ w1 + b1)
    y = sigmoid(h @ w2 + b2)
    dz2 = 2 * (y - T) * y * (1 - y)
    dz1 = (dz2 @ w2.T) * h * (1 - h)
    return [X.T @ dz1, dz1.sum(0, keepdims=True), h.T @ dz2, dz2.sum(0, keepdims=True)]


def descend(weights, eta, steps, sign=-1.0):
    path, current = [], [np.asarray(w, np.float64) for w in weights]
    for _ in range(steps):
        current = [w + sign * eta * g for w, g in zip(current, gradients(current))]
        path.append(current)
    return path


# --- forward pass --------------------------------------------------------------------------------
def forward_mistakes():
    def variant(**kwargs):
        return lambda ev: forward(ev.inputs["weights"], ev.inputs["inputs"], **kwargs)

    def no_bias(ev):
        w1, b1, w2, b2 = ev.inputs["weights"]
        return forward([w1, 0 * b1, w2, 0 * b2], ev.inputs["inputs"])

    def transposed(ev):
        w1, b1, w2, b2 = ev.inputs["weights"]
        return forward([w1.T, b1, w2, b2], ev.inputs["inputs"])

    return (
        ("the biases are missing: h1 = sigmoid(x @ W1 + b1), y = sigmoid(h1 @ W2 + b2)", no_bias),
        ("W1 is used transposed: with one example per row the product is tf.matmul(x, W1), where W1[i, j] "
         "connects input i to hidden node j", transposed),
        ("the output layer has no sigmoid: y = sigmoid(h1 @ W2 + b2)", variant(output=lambda z: z)),
        ("the hidden layer has no sigmoid", variant(hidden=lambda z: z)),
        ("the hidden layer uses tanh; the lecture's network uses the logistic sigmoid", variant(hidden=np.tanh)),
    )


# --- loss ----------------------------------------------------------------------------------------
def loss_mistakes():
    def mean(ev):
        return {"loss": ev.expected["loss"] / 4, "gradients": [g / 4 for g in ev.expected["gradients"]]}

    def flat_labels(ev):  # y of shape (4, 1) minus labels of shape (4,) broadcasts to (4, 4)
        y = forward(ev.inputs["weights"])
        return {"loss": np.sum((y - T.reshape(4)) ** 2)}

    return (
        ("the loss is the mean of the squared errors; the lecture's L = ‖y − t‖² is their sum "
         "(tf.reduce_sum)", mean),
        ("y_labels has shape (4,) while y has shape (4, 1): y − t broadcasts to a 4×4 matrix and the loss "
         "sums 16 differences. Make the labels a column: tf.constant([[0], [1], [1], [0]], tf.float32)",
         flat_labels),
    )


# --- training trajectory -------------------------------------------------------------------------
def trajectory(evidence: Evidence) -> Verdict:
    got, expected = evidence.got, evidence.expected
    weights, eta, steps = (evidence.inputs[k] for k in ("weights", "eta", "steps"))
    if not isinstance(got, list) or len(got) != len(expected):
        return failed(f"expected the weights after each of {steps} steps")
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        found = difference(g, e, 1e-4, 1e-6, evidence.hidden, check_dtype=False)
        if found is None:
            continue
        for sign, eta_used, what in ((1.0, eta, "the weights move up the gradient (gradient ascent): "
                                      "subtract eta * gradient"),
                                     (-1.0, 0.5, "the step ignores its eta argument (it uses 0.5)")):
            if eta_used != eta or sign > 0:
                variant = descend(weights, eta_used, steps, sign)
                if all(np.allclose(np.asarray(a, np.float64), b, rtol=1e-3, atol=1e-5)
                       for a, b in zip(g, variant[step - 1])):
                    return failed(f"step {step}: {what}")
        names = ("W1", "b1", "W2", "b2")
        where = names[int(found.where.strip("[]"))] if found.where.strip("[]").isdigit() else found.where
        before = f"steps 1–{step - 1} match; " if step > 1 else ""
        return failed(f"{before}after step {step}, {where}: {found.text.split(': ', 1)[-1]}")
    return passed(f"all {steps} training steps match the reference")


# --- convergence over several starts -------------------------------------------------------------
def solved(weights) -> bool:
    return bool(np.max(np.abs(forward(weights) - T)) < SOLVED_MARGIN)


def convergence(evidence: Evidence) -> Verdict:
    runs, reference = evidence.got, evidence.expected
    every = evidence.inputs["every"]
    if not isinstance(runs, list) or len(runs) != len(reference) or any(not r for r in runs):
        return failed("the training runs did not produce weights")
    eta = evidence.inputs["eta"]
    for i, (run, start) in enumerate(zip(runs, evidence.inputs["starts"]), start=1):
        # every snapshot must be `every` gradient-descent steps on from the one before, as the grader
        # computes them: weights that jump to a known solution do not count as training
        for k, (before, after) in enumerate(zip([start] + run[:-1], run), start=1):
            if not all(np.allclose(np.asarray(a, np.float64), b, rtol=1e-2, atol=1e-3)
                       for a, b in zip(after, descend(before, eta, every)[-1])):
                return failed(f"from start {i}, the weights after {k * every} steps are not {every} steps of "
                              "gradient descent on L = ‖y − t‖² from those before them: train_step must update "
                              "W1, b1, W2, b2 by −eta·dL/dW")
    mine = sum(solved(run[-1]) for run in runs)
    theirs = sum(solved(run[-1]) for run in reference)
    needed = max(1, theirs - 1)
    curves = (Curve(f"XOR training from {len(runs)} random starts (loss recomputed by the grader)",
                    f"step (×{every})", "L = ‖y − t‖²",
                    {f"start {i + 1}{' ✓' if solved(run[-1]) else ''}": [sum_squared_loss(w) for w in run]
                     for i, run in enumerate(runs)}, log_y=True),)
    budget = f"{evidence.inputs['steps']} steps of η = {evidence.inputs['eta']:g}"
    text = (f"training solved XOR from {mine} of {len(runs)} random starts in {budget} (every output within "
            f"{SOLVED_MARGIN} of its target, checked by the grader); the reference solves {theirs}, "
            f"{needed} needed")
    return passed(text, curves) if mine >= needed else failed(text, curves=curves)


# --- Keras -------------------------------------------------------------------------------------------
def keras_forward(evidence: Evidence) -> Verdict:
    got, expected = evidence.got, evidence.expected
    layers = got.get("layers", []) if isinstance(got, dict) else []
    shape = [(l.get("type"), l.get("units"), l.get("activation")) for l in layers]
    want = [(l["type"], l["units"], l["activation"]) for l in expected["layers"]]
    if shape != want:
        return failed(f"build_model() has layers {shape}; the lecture's network is two Dense layers "
                      f"with 2 and 1 units and sigmoid activations")
    found = difference(got.get("outputs"), expected["outputs"], 1e-5, 1e-6, evidence.hidden)
    if found:
        return failed(f"outputs with the grader's weights: {found.text}")
    return passed("two sigmoid Dense layers (2 and 1 units) with the grader's weights match the reference")


def mse(keras_weights) -> float:
    return float(np.mean((forward(keras_weights) - T) ** 2))


def keras_training(evidence: Evidence) -> Verdict:
    got, expected = evidence.got, evidence.expected
    try:
        mine = mse(got["weights"])
    except (KeyError, ValueError, TypeError):
        return failed("train_model did not leave a 2-2-1 model with weights the grader could read")
    start, theirs = mse(evidence.inputs["weights"]), mse(expected["weights"])
    curves = (Curve("Keras fit (as reported by history.history['loss'])", "epoch", "mean squared error",
                    {"your history": got.get("reported_loss", []),
                     "reference history": expected["reported_loss"]}),)
    text = (f"after {evidence.inputs['epochs']} epochs from the grader's starting weights the mean squared "
            f"error, recomputed from your model's weights, went from {start:.4f} to {mine:.4f} "
            f"(reference: {theirs:.4f})")
    close = all(np.allclose(np.asarray(a, np.float64), b, rtol=1e-3, atol=1e-4)
                for a, b in zip(got["weights"], expected["weights"]))
    if mine <= theirs * 1.02 + 1e-4 and close:
        return passed(text, curves)
    if mine <= theirs * 1.02 + 1e-4:
        return failed(text + ", but the weights are not those that full-batch SGD(learning_rate=LEARNING_RATE) "
                      "on the MSE reaches: train_model must train the model it is given, as the template says",
                      curves=curves)
    return failed(text + ": compile with optimizer=SGD(learning_rate=LEARNING_RATE) and loss='mse', "
                  "and fit on x and y_labels with batch_size=4", curves=curves)
