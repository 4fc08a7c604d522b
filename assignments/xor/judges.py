"""The grader's own 2-2-1 network in NumPy, and the judges that use it (trusted side).

Every quality figure scored here is recomputed from weights the submission produced, never taken
from what the submission says about itself.
"""

from __future__ import annotations

import itertools

import numpy as np

from grader.judge.compare import difference, same_weights
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


SHAPES = [(2, 2), (1, 2), (2, 1), (1, 1)]


def descend_many(starts, eta, steps):
    """``descend(start, eta, steps)[-1]`` for many starts at once: one NumPy pass per step for all of them
    (a submission's 144 windows of 25 steps cost 25 passes instead of 3600). A bias of shape (k,) or a scalar
    is taken as the (1, k) it broadcasts like; weights of any other size raise ValueError."""
    w1, b1, w2, b2 = (np.stack([np.asarray(start[i], np.float64).reshape(shape) for start in starts])
                      for i, shape in enumerate(SHAPES))
    for _ in range(steps):
        h = sigmoid(X @ w1 + b1)
        y = sigmoid(h @ w2 + b2)
        dz2 = 2 * (y - T) * y * (1 - y)
        dz1 = (dz2 @ w2.transpose(0, 2, 1)) * h * (1 - h)
        w1, b1 = w1 - eta * (X.T @ dz1), b1 - eta * dz1.sum(1, keepdims=True)
        w2, b2 = w2 - eta * (h.transpose(0, 2, 1) @ dz2), b2 - eta * dz2.sum(1, keepdims=True)
    return [[w1[k], b1[k], w2[k], b2[k]] for k in range(len(starts))]


# --- declared shapes ---------------------------------------------------------------------------------
EXPECTED_SHAPES = {"W1": (2, 2), "b1": (1, 2), "W2": (2, 1), "b2": (1, 1)}


def shapes(evidence: Evidence) -> Verdict:
    """Each variable's declared shape and dtype, named one by one; a bias of shape (k,) for (1, k), or a
    scalar for (1, 1), defines the same network (it broadcasts the same way) and is accepted."""
    got = evidence.got if isinstance(evidence.got, dict) else {}
    problems, accepted = [], []
    for name, want in EXPECTED_SHAPES.items():
        entry = got.get(name) if isinstance(got.get(name), dict) else {}
        shape = tuple(int(n) for n in entry.get("shape", []) if isinstance(n, (int, np.integer)))
        dtype = entry.get("dtype")
        if shape != want:
            if name.startswith("b") and (shape == want[1:] or (shape == () and want[-1] == 1)):
                accepted.append(f"{name} {shape} (broadcasts like {want})")
            elif shape == want[::-1]:
                problems.append(f"{name} has shape {shape}, expected {want}: transposed — {name} is "
                                f"({'inputs' if name == 'W1' else 'hidden'}, {'hidden' if name == 'W1' else 'outputs'})"
                                if name.startswith("W") else f"{name} has shape {shape}, expected {want}")
            else:
                problems.append(f"{name} has shape {shape}, expected {want}")
        if dtype != "float32":
            problems.append(f"{name} is {dtype}, expected float32 (tf.random.truncated_normal gives float32)")
    if problems:
        return failed("; ".join(problems))
    note = f" ({', '.join(accepted)})" if accepted else ""
    return passed(f"W1, b1, W2, b2 are float32 tf.Variables of the 2-2-1 network's shapes{note}")


# --- forward pass --------------------------------------------------------------------------------
def relu(z):
    return np.maximum(z, 0.0)


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": relu, "no activation": lambda z: z}


def network_variants():
    """Every network a plausible slip gives: other activations, a missing bias, W1 transposed; with the
    words that name what differs from the lecture's h1 = sigmoid(x W1 + b1), y = sigmoid(h1 W2 + b2)."""
    found = []
    for hidden, output in itertools.product(ACTIVATIONS, ACTIVATIONS):
        for keep_b1, keep_b2, transpose in itertools.product((True, False), repeat=3):
            slips = []
            if not keep_b1 and not keep_b2:
                slips.append("the biases are missing")
            elif not keep_b1 or not keep_b2:
                slips.append(f"{'b1' if not keep_b1 else 'b2'} is missing (h1 = sigmoid(x W1 + b1), "
                             "y = sigmoid(h1 W2 + b2))")
            if transpose:
                slips.append("W1 is used transposed (with one example per row the product is tf.matmul(x, W1), "
                             "where W1[i, j] connects input i to hidden node j)")
            if hidden != "sigmoid":
                slips.append(f"the hidden layer uses {hidden} where the lecture's network uses the logistic sigmoid"
                             if hidden != "no activation" else "the hidden layer has no sigmoid")
            if output != "sigmoid":
                slips.append(f"the output layer uses {output}: y = sigmoid(h1 W2 + b2)"
                             if output != "no activation" else "the output layer has no sigmoid: y = sigmoid(h1 W2 + b2)")
            if slips:
                found.append((len(slips), "; ".join(slips), hidden, output, keep_b1, keep_b2, transpose))
    return sorted(found, key=lambda item: item[0])  # the simplest explanation first


def forward_mistakes():
    def produce(hidden, output, keep_b1, keep_b2, transpose):
        def variant(ev):
            w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in ev.inputs["weights"])
            weights = [w1.T if transpose else w1, b1 * keep_b1, w2, b2 * keep_b2]
            return forward(weights, ev.inputs["inputs"], hidden=ACTIVATIONS[hidden], output=ACTIVATIONS[output])
        return variant

    return tuple((message, produce(*options)) for _, message, *options in network_variants())


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
    if all(same_weights(snapshot, weights) for snapshot in got):
        return failed(f"train_step({eta:g}) did not change W1, b1, W2, b2 in {steps} calls: not implemented yet, or "
                      "it updates copies (W1 = W1 - ..., which makes a new tensor) instead of the variables "
                      "(W1.assign(W1 - eta * dW1))")
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


SENSITIVITY_NUDGE = 1e-5  # relative change of the starting weights: far above float32 rounding (6e-8 per op)
SENSITIVITY_FACTOR = 5.0


def window_matches(after, before, eta: float, every: int) -> bool:
    """Whether ``after`` is ``every`` gradient-descent steps on from ``before``, as float32 arithmetic may
    compute them. Mostly float32 rounding stays near 1e-5 after 25 steps, so rtol 1e-2 / atol 1e-3 of the
    grader's float64 descent is ample; but where training leaves a plateau (η = 2 near a saddle) 25 steps
    amplify rounding by orders of magnitude. There the allowance grows by how far descents from starts
    nudged by SENSITIVITY_NUDGE end apart, measured on the spot: other update rules and jumps to a known
    solution are far outside it, in windows where training is not that sensitive."""
    try:
        got = [np.asarray(a, np.float64) for a in after]
        exact = descend(before, eta, every)[-1]
        if all(np.allclose(g, e, rtol=1e-2, atol=1e-3) for g, e in zip(got, exact)):
            return True
        rng = np.random.default_rng(0)
        spread = [np.zeros_like(e) for e in exact]
        for _ in range(4):
            nudged = [np.asarray(w, np.float64) * (1 + SENSITIVITY_NUDGE * rng.choice([-1.0, 1.0], size=np.shape(w)))
                      for w in before]
            spread = [np.maximum(s, np.abs(n - e)) for s, n, e in zip(spread, descend(nudged, eta, every)[-1], exact)]
        return all(np.all(np.abs(g - e) <= 1e-3 + 1e-2 * np.abs(e) + SENSITIVITY_FACTOR * s)
                   for g, e, s in zip(got, exact, spread))
    except (TypeError, ValueError):  # weights of other shapes: not this network's descent
        return False


def windows_match(windows, eta: float, every: int) -> list[bool]:
    """``window_matches(after, before, eta, every)`` for each (after, before): the plain rtol/atol test for
    all windows in one batched descent, the sensitivity measurement only for the few that need it."""
    try:
        exact = descend_many([before for _, before in windows], eta, every)
    except (TypeError, ValueError):  # weights of other shapes: each window on its own
        return [window_matches(after, before, eta, every) for after, before in windows]
    results = []
    for (after, before), expected in zip(windows, exact):
        try:
            close = all(np.allclose(np.asarray(g, np.float64), e, rtol=1e-2, atol=1e-3)
                        for g, e in zip(after, expected, strict=True))
        except (TypeError, ValueError):
            close = False
        results.append(close or window_matches(after, before, eta, every))
    return results


def convergence(evidence: Evidence) -> Verdict:
    runs, reference = evidence.got, evidence.expected
    every, eta, steps = evidence.inputs["every"], evidence.inputs["eta"], evidence.inputs["steps"]
    if not isinstance(runs, list) or len(runs) != len(reference) or any(not r for r in runs):
        return failed("the training runs did not produce weights")
    curves = (Curve(f"XOR training from {len(runs)} random starts (L recomputed by the grader from your weights)",
                    "training steps (calls of train_step)", "L = ‖y − t‖²",
                    {f"start {i + 1}{' (solved)' if solved(run[-1]) else ''}": [sum_squared_loss(w) for w in run]
                     for i, run in enumerate(runs)}, log_y=True,
                    x=[every * (k + 1) for k in range(len(runs[0]))]),)
    # every snapshot must be `every` gradient-descent steps on from the one before, as the grader computes
    # them: weights that jump to a known solution do not count as training
    windows = [(after, before) for run, start in zip(runs, evidence.inputs["starts"])
               for before, after in zip([start] + run[:-1], run)]
    matches = iter(windows_match(windows, eta, every))
    for i, (run, start) in enumerate(zip(runs, evidence.inputs["starts"]), start=1):
        for k, (before, after) in enumerate(zip([start] + run[:-1], run), start=1):
            if not next(matches):
                if k == 1 and same_weights(after, start):
                    return failed(f"train_step({eta:g}) did not change the weights: not implemented yet, or it "
                                  "updates copies instead of the tf.Variables", curves=curves)
                return failed(f"from start {i}, the weights after {k * every} steps are not {every} steps of "
                              "gradient descent on L = ‖y − t‖² from those before them: train_step must update "
                              "W1, b1, W2, b2 by −eta·dL/dW", curves=curves)
    mine = sum(solved(run[-1]) for run in runs)
    theirs = sum(solved(run[-1]) for run in reference)
    needed = max(1, theirs - 1)
    budget = f"{steps} steps of η = {eta:g}"
    text = (f"training solved XOR from {mine} of {len(runs)} random starts in {budget} (every output within "
            f"{SOLVED_MARGIN} of its target, checked by the grader); the reference solves {theirs}, "
            f"{needed} needed")
    return passed(text, curves) if mine >= needed else failed(text, curves=curves)


# --- Keras -------------------------------------------------------------------------------------------
def keras_forward(evidence: Evidence) -> Verdict:
    """Judged on what the model computes with the grader's weights; what its layers say about themselves
    only helps to name a difference."""
    got, expected = evidence.got, evidence.expected
    layers = got.get("layers", []) if isinstance(got, dict) else []
    found = difference(got.get("outputs") if isinstance(got, dict) else None, expected["outputs"], 1e-5, 1e-6,
                       evidence.hidden)
    if found is None:
        return passed("with the grader's weights the model's outputs match the 2-2-1 sigmoid network's")
    activations = [l.get("activation") for l in layers if l.get("activation") not in (None, "linear")]
    named = [a for a in activations if a != "sigmoid"]
    why = (f" (its layers use {', '.join(named)}; the lecture's network uses sigmoid in both)" if named else
           " (the lecture's network: Dense(2, sigmoid) then Dense(1, sigmoid))")
    return failed(f"outputs with the grader's weights: {found.text}{why}")


def mse(keras_weights) -> float:
    return float(np.mean((forward(keras_weights) - T) ** 2))


def keras_network_mistake(weights, outputs) -> str:
    """What the trained model computes instead of the lecture's network, from its outputs on the XOR inputs
    and its own weights ("" when it is the lecture's network, or when that cannot be told)."""
    try:
        outputs = np.asarray(outputs, np.float64).reshape(4, 1)
        if np.allclose(outputs, forward(weights), atol=1e-4):
            return ""
    except (TypeError, ValueError):
        return ""
    for hidden, output in itertools.product(ACTIVATIONS, ACTIVATIONS):
        if np.allclose(outputs, forward(weights, hidden=ACTIVATIONS[hidden], output=ACTIVATIONS[output]), atol=1e-4):
            return (f"your model computes y = {output}(h·W2 + b2) with h = {hidden}(x·W1 + b1), not the lecture's "
                    "network: build_model must use sigmoid in both Dense layers "
                    "(activation='sigmoid' or tf.nn.sigmoid)").replace("no activation(", "(")
    return ("your model's outputs are not those of two Dense layers with sigmoid activations and its own weights: "
            "build_model must be Sequential([Dense(2, activation='sigmoid'), Dense(1, activation='sigmoid')])")


def keras_training(evidence: Evidence) -> Verdict:
    got, expected = evidence.got, evidence.expected
    try:
        mine = mse(got["weights"])
    except (KeyError, ValueError, TypeError):
        return failed("train_model did not leave a 2-2-1 model with weights the grader could read")
    start, theirs = mse(evidence.inputs["weights"]), mse(expected["weights"])
    curves = (Curve("Keras fit: history.history['loss']", "epochs", "mean squared error",
                    {"your history": got.get("reported_loss", []),
                     "reference history": expected["reported_loss"]}, reported=True),)
    text = (f"after {evidence.inputs['epochs']} epochs from the grader's starting weights the mean squared "
            f"error, recomputed from your model's weights, went from {start:.4f} to {mine:.4f} "
            f"(reference: {theirs:.4f})")
    close = all(np.allclose(np.asarray(a, np.float64), b, rtol=1e-3, atol=1e-4)
                for a, b in zip(got["weights"], expected["weights"]))
    if same_weights(got["weights"], evidence.inputs["weights"]):
        return failed(f"train_model(model, {evidence.inputs['epochs']}) did not change the model's weights: not "
                      "implemented yet, or it trained another model than the one it was given", curves=curves)
    if mine <= theirs * 1.02 + 1e-4 and close:
        return passed(text, curves)
    other_network = keras_network_mistake(got["weights"], got.get("outputs"))
    if other_network:
        return failed(f"{text}: {other_network}", curves=curves)
    if mine <= theirs * 1.02 + 1e-4:
        return failed(text + ", but the weights are not those that full-batch SGD(learning_rate=LEARNING_RATE) "
                      "on the MSE reaches: train_model must train the model it is given, as the template says",
                      curves=curves)
    return failed(text + ": compile with optimizer=SGD(learning_rate=LEARNING_RATE) and loss='mse', "
                  "and fit on x and y_labels with batch_size=4", curves=curves)
