"""The grader's own 4-20-20-3 network in NumPy, and the judges that use it (trusted side).

Every quality figure scored here (accuracy, cross-entropy, train–validation gap) is recomputed from
the weights the submission's training reached, on data the grader chose; the History the submission
returns is only checked for being the real record of that training, never believed.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.datasets import load_iris

from grader.judge.compare import difference, float32_rtol
from grader.errors import BrokenReference
from grader.rubric import Evidence, Verdict, failed, passed

BATCH = 20
_IRIS = load_iris()
X = ((_IRIS.data - _IRIS.data.mean(axis=0)) / _IRIS.data.std(axis=0)).astype(np.float32)
T = np.eye(3, dtype=np.float32)[_IRIS.target]
# 5 flowers of each class for the overfitting probe: a split on which an unregularised network clearly
# overfits. The other 135 flowers are held out: they never enter the sandbox, only this judge uses them.
OVERFIT_ROWS = np.array([10, 45, 24, 46, 20, 55, 98, 53, 83, 94, 111, 130, 128, 102, 122])
HELDOUT_ROWS = np.setdiff1d(np.arange(len(X)), OVERFIT_ROWS)
HISTORY_KEYS = {"loss", "accuracy", "val_loss", "val_accuracy"}


# --- the network in NumPy --------------------------------------------------------------------------------
def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(weights, x, hidden=np.tanh, output=softmax):
    """Inference: dropout is off, so the Dropout layers are the identity."""
    w1, b1, w2, b2, w3, b3 = (np.asarray(w, np.float64) for w in weights)
    h1 = hidden(np.asarray(x, np.float64) @ w1 + b1)
    h2 = hidden(h1 @ w2 + b2)
    return output(h2 @ w3 + b3)


def cross_entropy(weights, x, t) -> float:
    p = np.clip(forward(weights, x), 1e-7, 1.0)  # Keras clips the same way
    return float(-np.mean(np.sum(np.asarray(t, np.float64) * np.log(p), axis=1)))


def accuracy(weights, x, t) -> float:
    return float(np.mean(forward(weights, x).argmax(axis=1) == np.asarray(t).argmax(axis=1)))


def readable(weights) -> bool:
    try:
        shapes = [np.asarray(w).shape for w in weights]
    except TypeError:
        return False
    return shapes == [(4, 20), (20,), (20, 20), (20,), (20, 3), (3,)]


# --- normalise ---------------------------------------------------------------------------------------------
def _z(x, axis=0, ddof=0, centre=True, scale=True, power=1):
    mean = x.mean(axis=axis, keepdims=True)
    std = x.std(axis=axis, ddof=ddof, keepdims=True)
    out = x - mean if centre else x
    return out / std ** power if scale else out


NORMALISE_MISTAKES = (
    ("the standard deviations divide by n − 1 (np.std(..., ddof=1), the notes' σ formula); the template "
     "asks for np.std's default, which divides by n (ddof=0)", lambda x: _z(x, ddof=1)),
    ("the statistics are taken over each row (axis=1): a column's mean and s.d. come from np.mean(inputs, "
     "axis=0) and np.std(inputs, axis=0), one value per input feature", lambda x: _z(x, axis=1)),
    ("the statistics are taken over the whole array instead of per column: pass axis=0",
     lambda x: _z(x, axis=None)),
    ("the column means are not subtracted", lambda x: _z(x, centre=False)),
    ("the columns are not divided by their standard deviations", lambda x: _z(x, scale=False)),
    ("the columns are divided by their variance; divide by the standard deviation (np.std)",
     lambda x: _z(x, power=2)),
    ("each column's mean is subtracted, but every column is divided by the one standard deviation of the whole "
     "array: take the standard deviation per column too, np.std(inputs, axis=0)",
     lambda x: (x - x.mean(axis=0, keepdims=True)) / x.std()),
    ("the columns are centred on the whole array's mean: subtract each column's own mean, np.mean(inputs, axis=0)",
     lambda x: (x - x.mean()) / x.std(axis=0, keepdims=True)),
)


def normalised_atol(x) -> float:
    """An absolute tolerance any correct float32 method meets: x − mean loses about ε₃₂·|x| in float32 (a
    TensorFlow or float32 NumPy solution), which the division by the column's s.d. magnifies; normalised
    entries near 0 cannot be held to a relative tolerance."""
    x = np.asarray(x, np.float64)
    std = x.std(axis=0)
    return max(1e-6, float(float32_rtol(1.0) * np.max(np.abs(x) / np.where(std > 0, std, 1.0))))


def normalise(evidence: Evidence) -> Verdict:
    """Tolerances: rtol 1e-4, and an absolute one from float32 precision at the inputs' scale
    (``normalised_atol``): columns of magnitude 50 and s.d. 0.1 make 16 ulps worth ~1e-3 after scaling."""
    got, expected, cases = evidence.got, evidence.expected, evidence.inputs["cases"]
    if not isinstance(got, list) or len(got) != len(expected):
        return failed(f"expected one result per input matrix, got {type(got).__name__}")
    for i, (g, e, x) in enumerate(zip(got, expected, cases), start=1):
        where = f"matrix {i} of {len(cases)} ({np.shape(x)[0]}×{np.shape(x)[1]})"
        found = difference(g.get("normalised") if isinstance(g, dict) else g, e["normalised"], 1e-4,
                           normalised_atol(x), evidence.hidden, check_dtype=False)
        if found:
            x = np.asarray(x, np.float64)
            for message, produce in NORMALISE_MISTAKES:
                with np.errstate(all="ignore"):
                    variant = produce(x)
                if difference(g.get("normalised"), variant, 1e-4, 1e-6, True, check_dtype=False) is None:
                    return failed(f"{where}: {message}")
            return failed(f"{where}, normalised inputs: {found.text}")
        for key, what in (("means", "column means"), ("stds", "column standard deviations")):
            scale = float(np.max(np.abs(np.asarray(x, np.float64))))  # a float32 mean is off by ~ε·|x|
            found = difference(np.ravel(g[key]) if np.size(g[key]) == np.size(e[key]) else g[key],
                               e[key], 1e-4, max(1e-6, float32_rtol(scale)), evidence.hidden, check_dtype=False)
            if found:
                return failed(f"{where}, the returned {what}: {found.text} (return the statistics you "
                              "normalised with, one per column)")
    return passed(f"normalise matches on {len(cases)} matrix(es): per-column mean 0 and s.d. 1 (ddof=0), "
                  "with the means and s.d.s returned")


# --- one-hot -----------------------------------------------------------------------------------------------
def one_hot(evidence: Evidence) -> Verdict:
    got, expected, cases = evidence.got, evidence.expected, evidence.inputs["cases"]
    for i, (g, e, labels) in enumerate(zip(got, expected, cases), start=1):
        g = np.asarray(g)
        if g.ndim == 2 and g.shape[0] == len(labels) and g.shape[1] == int(np.max(labels)) + 1 < 3:
            return failed(f"labels {i}: {g.shape[1]} columns for labels without class 2: the depth must "
                          "always be 3 (tf.one_hot(labels, depth=3)), not max(labels) + 1")
        found = difference(g, e, 0, 1e-6, evidence.hidden, check_dtype=False)
        if found:
            return failed(f"labels {i} of {len(cases)}: {found.text}")
    return passed(f"one_hot matches on {len(cases)} label vector(s)")


# --- architecture ------------------------------------------------------------------------------------------
def _l2(reg):
    return float(reg.get("l2", 0.0)) if isinstance(reg, dict) else 0.0


def _any(reg):
    return isinstance(reg, dict) and (reg.get("l1", 0.0) or reg.get("l2", 0.0))


def _activation(name):
    name = (name or "linear").lower()
    return {"softmax_v2": "softmax"}.get(name, name)


def _structure(layers):
    """(dense layers, dropout rates after each dense layer) with rate-0 dropout counted as none."""
    dense, after, pending = [], [], []
    for layer in layers:
        if layer.get("type") in ("Activation", "Softmax") and dense and dense[-1] and not pending \
                and _activation(dense[-1].get("activation")) == "linear":
            # Dense(..) followed by Activation('tanh') / Softmax() is the same network
            dense[-1] = dict(dense[-1], activation=layer.get("activation") or "softmax")
            continue
        if layer.get("units") is not None and layer.get("type") != "Dropout":
            if dense:
                after.append(pending)
            elif pending:
                after.append(pending)  # dropout before the first Dense layer
                dense.append(None)
            dense.append(layer)
            pending = []
        elif layer.get("rate") is not None:
            if layer["rate"]:
                pending.append(layer["rate"])
        elif layer.get("type") not in ("InputLayer",):
            pending.append(layer.get("type"))
    after.append(pending)
    return dense, after


def architecture_problems(layers, l2, dropout) -> list[str]:
    dense, after = _structure(layers)
    if any(d is None for d in dense):
        return ["a Dropout layer comes before the first Dense layer: it belongs after each hidden layer"]
    units = [d.get("units") for d in dense]
    if units != [20, 20, 3]:
        return [f"the Dense layers have {units} units; the notes' network is hids = [4, 20, 20, 3]: "
                "Dense(20), Dense(20), Dense(3)"]
    problems = []
    acts = [_activation(d.get("activation")) for d in dense]
    if acts[:2] != ["tanh", "tanh"]:
        problems.append(f"the hidden layers use {acts[:2]}; the notes' Iris network uses activation='tanh'")
    if acts[2] != "softmax":
        problems.append(f"the output layer uses '{acts[2]}'; it must be 'softmax' to give class probabilities")
    if any(_any(d.get("bias_regularizer")) for d in dense):
        problems.append("a bias_regularizer is set: L2 regularisation penalises the weights, "
                        "kernel_regularizer=keras.regularizers.l2(l2), not the biases")
    if any(_any(d.get("activity_regularizer")) for d in dense):
        problems.append("an activity_regularizer is set: L2 goes on the weights, kernel_regularizer=")
    factors = [_l2(d.get("kernel_regularizer")) for d in dense]
    if any(_any(d.get("kernel_regularizer")) and (d["kernel_regularizer"].get("l1") or 0) for d in dense):
        problems.append("the kernel regulariser has an L1 part: use keras.regularizers.l2(l2)")
    if l2 and not all(math.isclose(f, l2, rel_tol=1e-6) for f in factors):
        if all(f == 0 for f in factors) and not any(_any(d.get("bias_regularizer")) for d in dense):
            problems.append(f"build_model(l2={l2}) adds no L2 penalty: give every Dense layer "
                            "kernel_regularizer=keras.regularizers.l2(l2)")
        elif len({round(f, 9) for f in factors if f}) == 1 and not math.isclose(max(factors), l2, rel_tol=1e-6):
            problems.append(f"build_model(l2={l2}) uses the factor {max(factors):g}: pass the l2 argument "
                            "to keras.regularizers.l2 instead of a fixed number")
        elif any(f for f in factors):
            missing = [i + 1 for i, f in enumerate(factors) if not f]
            if missing:
                problems.append(f"Dense layer(s) {missing} have no kernel_regularizer: the notes regularise all "
                                "three layers, the output layer too")
    if not l2 and any(factors):
        problems.append("build_model(l2=0) still has an L2 factor: use the l2 argument")
    rates = [sorted(r, key=str) for r in after]
    want = [[dropout], [dropout], []] if dropout else [[], [], []]
    if rates != want:
        if dropout and rates[2]:
            problems.append("there is a Dropout layer after the softmax output: dropout goes after each "
                            "hidden layer (Dense, Dropout, Dense, Dropout, Dense)")
        elif dropout and all(r == [] for r in rates):
            problems.append(f"build_model(dropout={dropout}) has no Dropout layers: add "
                            "keras.layers.Dropout(rate=dropout) after each hidden Dense layer")
        elif dropout and any(r and r != [dropout] for r in rates):
            problems.append(f"build_model(dropout={dropout}) gives dropout rates {rates[:2]}: use the dropout "
                            "argument as Dropout(rate=dropout) after each hidden layer")
        elif not dropout:
            problems.append("build_model(dropout=0) still drops units: use the dropout argument as the rate")
        else:
            problems.append(f"dropout rates after the three Dense layers are {rates}; expected "
                            f"{want}: Dropout(rate=dropout) after each of the two hidden layers")
    return problems


def architecture(evidence: Evidence) -> Verdict:
    got, settings = evidence.got, evidence.inputs["settings"]
    if not isinstance(got, list) or len(got) != len(settings):
        return failed("build_model(l2, dropout) did not give a model for each setting")
    for (l2, dropout), layers in zip(settings, got):
        problems = architecture_problems(layers, l2, dropout)
        if problems:
            return failed(f"build_model(l2={l2:g}, dropout={dropout:g}): " + "; ".join(problems))
    return passed("Dense(20, tanh) → Dropout → Dense(20, tanh) → Dropout → Dense(3, softmax), L2 on every "
                  "kernel, and both switched by the l2 and dropout arguments")


# --- inference with injected weights -------------------------------------------------------------------------
def forward_check(evidence: Evidence) -> Verdict:
    weights, x = evidence.inputs["weights"], evidence.inputs["inputs"]
    got = evidence.got.get("outputs") if isinstance(evidence.got, dict) else None
    found = difference(got, evidence.expected["outputs"], 1e-4, 1e-6, evidence.hidden, check_dtype=False)
    if found is None:
        return passed("outputs with the grader's weights at inference (dropout off) match the reference")
    for message, kwargs in (("the hidden layers use relu; the Iris network uses tanh", {"hidden": relu}),
                            ("the hidden layers use the logistic sigmoid; the Iris network uses tanh",
                             {"hidden": sigmoid}),
                            ("the output layer has no softmax: the outputs are not probabilities",
                             {"output": lambda z: z}),
                            ("the output layer uses a sigmoid; use softmax so the three outputs are "
                             "probabilities that sum to 1", {"output": sigmoid})):
        if difference(got, forward(weights, x, **kwargs), 1e-4, 1e-6, True, check_dtype=False) is None:
            return failed(f"outputs with the grader's weights: {message}")
    if got is not None and np.shape(got) == np.shape(evidence.expected["outputs"]):
        spread = np.asarray(got, np.float64)
        if not np.allclose(spread.sum(axis=1), 1.0, atol=1e-4):
            return failed(f"outputs with the grader's weights: {found.text}; they are not probabilities "
                          "(rows do not sum to 1)")
    return failed(f"outputs with the grader's weights (dropout must be off at inference): {found.text}")


def l2_penalty(evidence: Evidence) -> Verdict:
    weights, k = evidence.inputs["weights"], float(evidence.inputs["l2"])
    got = evidence.got.get("penalty") if isinstance(evidence.got, dict) else None
    w = [np.asarray(v, np.float64) for v in weights]
    kernels, biases = sum(np.sum(v ** 2) for v in w[0::2]), sum(np.sum(v ** 2) for v in w[1::2])
    expected = float(evidence.expected["penalty"])
    mine = k * kernels
    if not math.isclose(mine, expected, rel_tol=1e-4):  # the reference and the grader must agree
        raise BrokenReference(f"reference penalty {expected} differs from k·Σw² = {mine}")
    if got is None or not isinstance(got, (int, float)):
        return failed("no penalty could be read from model.losses")
    if math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-7):
        return passed(f"with l2={k:g} the model adds k·Σw² over the three kernels to the loss, as the reference")
    variants = (
        (0.0, "no L2 penalty is added to the loss: give each Dense layer "
              "kernel_regularizer=keras.regularizers.l2(l2)"),
        (k * biases, "the penalty is on the biases: use kernel_regularizer=, not bias_regularizer="),
        (k * (kernels + biases), "the biases are penalised as well as the weights: drop bias_regularizer="),
        (k * sum(np.sum(v ** 2) for v in w[0:4:2]), "only the hidden layers are regularised: the notes put "
                                                    "kernel_regularizer on the output layer too"),
        (0.001 * kernels, "the penalty ignores build_model's l2 argument (it uses 0.001)"),
        (0.01 * kernels, "the penalty ignores build_model's l2 argument (it uses 0.01)"),
        (2 * k * kernels, "the penalty is twice k·Σw²"),
        (0.5 * k * kernels, "the penalty is half of k·Σw²: keras.regularizers.l2(k) adds k·Σw²"),
    )
    for value, message in variants:
        if math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-7):
            return failed(f"with l2={k:g}: {message}")
    return failed(f"with l2={k:g} and the grader's weights the L2 penalty in model.losses is {got:.6g}; "
                  f"k·Σw² over the three kernels is {expected:.6g}" if not evidence.hidden else
                  f"with l2={k:g} the L2 penalty in model.losses is off by a factor {got / expected:.3g} "
                  "from k·Σw² over the three kernels")
