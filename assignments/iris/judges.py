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
from grader.results import Curve
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


# --- training ----------------------------------------------------------------------------------------------
def steps_per_epoch(rows: int, batch: int = BATCH) -> int:
    return math.ceil(rows / batch)


def history_curves(got, expected, title):
    series = {}
    for who, obs in (("yours", got), ("reference", expected)):
        history = obs.get("history", {}) if isinstance(obs, dict) else {}
        for key in ("loss", "val_loss"):
            if isinstance(history.get(key), list):
                series[f"{who}: {key}"] = history[key]
    return (Curve(title, "epoch", "loss as reported by history.history (not scored)", series),) if series else ()


def fit_configuration(evidence: Evidence) -> Verdict:
    got, inputs = evidence.got, evidence.inputs
    epochs, rows = inputs["epochs"], len(inputs["x_train"])
    history = got.get("history", {})
    keys = set(history)
    iterations = int(got.get("iterations", 0))
    if iterations == 0:
        return failed("train() did not train the model it was given: Keras ran no training step on it. Compile "
                      "and fit that model (do not build a new one) and return the History that fit returns")
    loss = str(got.get("loss") or "")
    if "categorical_crossentropy" not in loss or "sparse" in loss:
        return failed(f"the model is compiled with loss={loss or None!r}: classification with one-hot targets "
                      "and a softmax output uses loss='categorical_crossentropy'")
    if keys != HISTORY_KEYS:
        hints = []
        if not {"val_loss"} & keys:
            hints.append("no validation figures: pass validation_data=(x_val, t_val) to fit")
        if {"acc", "val_acc"} & keys:
            hints.append("metrics=['acc'] names the keys 'acc'/'val_acc': use metrics=['accuracy']")
        elif "accuracy" not in keys:
            hints.append("no accuracy: compile with metrics=['accuracy']")
        return failed(f"history.history has keys {sorted(keys)}; expected {sorted(HISTORY_KEYS)}"
                      + (f" ({'; '.join(hints)})" if hints else ""))
    lengths = {len(v) for v in history.values()}
    if lengths != {epochs}:
        return failed(f"train(model, ..., epochs={epochs}, patience={epochs}) recorded {sorted(lengths)} epoch(s): "
                      "pass the epochs argument to fit(epochs=epochs) and the patience argument to EarlyStopping "
                      "(without it Keras stops at the first epoch that does not improve)")
    if iterations != epochs * steps_per_epoch(rows):
        per_epoch = iterations / epochs
        if iterations == epochs * steps_per_epoch(rows, 32):
            why = "fit's batch_size is not set, so Keras uses 32"
        else:
            why = f"that is {per_epoch:g} steps per epoch"
        return failed(f"the optimizer took {iterations} steps for {epochs} epochs of {rows} rows; mini-batches "
                      f"of 20 take {steps_per_epoch(rows)} per epoch ({why}). The notes: batch_size=20")
    measured = accuracy(got["weights"], inputs["x_val"], inputs["t_val"]) if readable(got.get("weights")) else None
    tolerance = 0.5 / len(inputs["x_val"])
    if measured is None or not any(abs(v - measured) <= tolerance for v in history.get("val_accuracy", [])):
        return failed("history.history['val_accuracy'] never shows the validation accuracy the grader measures "
                      f"on the trained weights ({'unreadable' if measured is None else f'{measured:.3f}'}): "
                      "return the History that model.fit returns, "
                      "unchanged")
    return passed(f"compiled with categorical cross-entropy and accuracy; {epochs} epochs of mini-batches of 20 "
                  f"({iterations} optimizer steps) with validation data; history.history has "
                  f"{sorted(HISTORY_KEYS)} and agrees with the trained weights",
                  history_curves(got, evidence.expected, "Iris training (history.history, not scored)"))


def learns_iris(evidence: Evidence, tolerance: float = 0.05) -> Verdict:
    got, expected, inputs = evidence.got, evidence.expected, evidence.inputs
    if not readable(got.get("weights")):
        return failed("train() did not leave a 4-20-20-3 model whose weights the grader could read")
    x_val, t_val = inputs["_x_held_out"], inputs["_t_held_out"]  # flowers that never entered the sandbox
    mine, theirs = accuracy(got["weights"], x_val, t_val), accuracy(expected["weights"], x_val, t_val)
    start = accuracy(inputs["weights"], x_val, t_val)
    needed = theirs - tolerance
    text = (f"after {inputs['epochs']} epochs from the grader's starting weights, the validation accuracy "
            f"recomputed by the grader from your weights on {len(x_val)} held-out flowers is {mine:.3f} "
            f"(start {start:.3f}, reference {theirs:.3f}, {needed:.3f} needed)")
    if mine >= needed - 1e-9:
        return passed(text)
    return failed(text + ": compile with keras.optimizers.Adam(learning_rate=LEARNING_RATE) and train on "
                  "the x_train/t_train you are given")


def early_stopping(evidence: Evidence) -> Verdict:
    got, expected, inputs = evidence.got, evidence.expected, evidence.inputs
    budget, patience = inputs["epochs"], inputs["patience"]
    history = got.get("history", {})
    runs = [len(v) for v in history.values()]
    if not runs:
        return failed("history.history is empty")
    ran, iterations = max(runs), int(got.get("iterations", 0))
    if iterations <= 0 or iterations % ran:
        return failed(f"the History lists {ran} epochs but the optimizer took {iterations} steps: "
                      "return the History of the fit that trained the model")
    reference = max(len(v) for v in expected["history"].values())
    setup = (f"validation labels that disagree with the training labels, so the validation loss rises from "
             f"the first epoch; budget {budget} epochs, patience={patience}")
    if ran >= budget:
        return failed(f"training ran all {budget} epochs although the validation loss only rose ({setup}): add "
                      "callbacks=[keras.callbacks.EarlyStopping(monitor='val_loss', patience=patience)] to fit")
    if ran > reference + 2:
        return failed(f"training stopped after {ran} epochs; with patience={patience} it stops after "
                      f"{reference} ({setup}): pass the patience argument to EarlyStopping")
    if ran < patience + 1:  # EarlyStopping(patience=p) cannot stop before epoch p + 1
        return failed(f"training stopped after {ran} epochs, before {patience} epochs without a better "
                      f"validation loss had passed; it stops after {reference} ({setup}): pass "
                      "patience=patience to EarlyStopping and do not cut epochs short")
    return passed(f"training stopped after {ran} of {budget} epochs (reference: {reference}; {setup})")


# --- overfitting: L2 + dropout against neither ------------------------------------------------------------------
def gaps(weights, inputs):
    x_tr, t_tr = inputs["x_monitor"], inputs["t_monitor"]
    x_va, t_va = inputs["_x_held_out"], inputs["_t_held_out"]  # never in the sandbox
    train, val = cross_entropy(weights, x_tr, t_tr), cross_entropy(weights, x_va, t_va)
    return {"train": train, "val": val, "gap": val - train,
            "train_acc": accuracy(weights, x_tr, t_tr), "val_acc": accuracy(weights, x_va, t_va)}


# The regularised model's gap as a fraction of the unregularised one's: ratio = gap(on) / gap(off).
# The student's regularisation must close at least SHARE of what the reference's closes on the same seed
# (same start, data order and seeds): 1 − ratio ≥ SHARE · (1 − reference ratio). Measured over 35 seeds,
# the reference's ratio lies in 0.21–0.36 and a differently written correct solution stays within 0.02
# of it, so the needed ratio (0.60–0.68) leaves a margin of more than 0.25 for correct solutions, while
# broken regularisation (L2 on the biases, L2 ignored, dropout alone) gives ratios of 1.03–1.57.
SHARE = 0.5
FITTED = 0.1  # the unregularised network must fit its 15 training flowers (train cross-entropy below this)


def ratio_threshold(reference_ratio: float) -> float:
    return 1.0 - SHARE * (1.0 - reference_ratio)


def overfitting(evidence: Evidence) -> Verdict:
    got, expected, inputs = evidence.got, evidence.expected, evidence.inputs
    (l2_on, do_on), _ = inputs["settings"]
    if not isinstance(got, list) or len(got) != 2 or not all(readable(r.get("weights")) for r in got):
        return failed("training with and without regularisation did not leave two 4-20-20-3 models")
    on, off = (gaps(r["weights"], inputs) for r in got)
    ref_on, ref_off = (gaps(r["weights"], inputs) for r in expected)
    ref_ratio = ref_on["gap"] / ref_off["gap"]
    steps = inputs["epochs"] * steps_per_epoch(len(inputs["x_train"]))
    budget = (f"{len(inputs['x_monitor'])} training flowers, {steps} mini-batch steps, same start and seeds; "
              f"gap = held-out − training cross-entropy on {len(HELDOUT_ROWS)} held-out flowers")
    text = (f"gap with l2={l2_on:g}, dropout={do_on:g}: {on['gap']:.3f} (train {on['train']:.3f}, held-out "
            f"{on['val']:.3f}); without: {off['gap']:.3f} (train {off['train']:.3f}, held-out {off['val']:.3f})")
    for label, run in (("with", got[0]), ("without", got[1])):
        if run.get("iterations") != steps:
            return failed(f"training {label} regularisation took {run.get('iterations')} optimizer steps instead "
                          f"of {steps}: train() must train for the epochs and patience it is given")
    if on["train"] > max(1.5 * ref_on["train"], ref_on["train"] + 0.1):
        return failed(f"{text}: with regularisation the network did not learn its training flowers (the "
                      f"reference reaches a training cross-entropy of {ref_on['train']:.3f}); a narrow gap only "
                      "counts when the model has learnt something")
    if off["train"] > FITTED:
        return failed(f"{text}: without regularisation the network did not fit its training flowers "
                      f"(cross-entropy {off['train']:.3f} > {FITTED}) in the budget ({budget}); train() should "
                      "use Adam(learning_rate=LEARNING_RATE) on the data it is given")
    if ref_off["gap"] <= 0 or ref_ratio >= 1:  # never seen: the reference shows nothing to compare with
        return passed(f"{text} ({budget}; the reference's regularisation does not narrow the gap on this seed, "
                      "so there is nothing to compare with)")
    ratio = on["gap"] / off["gap"] if off["gap"] > 0 else math.inf
    threshold = ratio_threshold(ref_ratio)
    text += (f"; gap ratio {ratio:.2f} (reference {ref_ratio:.2f}; at most {threshold:.2f} needed: at least half "
             f"the reference's narrowing) ({budget})")
    if ratio <= threshold:
        return passed(text)
    return failed(f"{text}: your L2 and dropout do not narrow the gap between training and held-out loss "
                  "(lecture 'Fighting Overfitting'): L2 via kernel_regularizer on every Dense layer, "
                  "Dropout after each hidden layer, both taken from build_model's arguments")


# --- save and reload --------------------------------------------------------------------------------------------
def save_and_reload(evidence: Evidence) -> Verdict:
    got, inputs = evidence.got, evidence.inputs
    if got.get("same_object"):
        return failed("save_and_reload returned the model it was given: save it with "
                      "model.save(path + '.keras') and return keras.models.load_model(path + '.keras')")
    files = [f for f in got.get("files", []) if str(f).endswith((".keras", ".h5"))]
    if not files:
        return failed(f"no .keras file was written under the path given (found {got.get('files')}): save with "
                      "model.save(path + '.keras'); Keras 3 cannot save a whole model to a path without extension")
    from_files = got.get("from_files") if isinstance(got.get("from_files"), dict) else {}
    if not any(difference(p, got.get("original"), 0, 1e-6, True, check_dtype=False) is None
               for p in from_files.values()):
        return failed(f"the grader loaded {', '.join(map(str, from_files)) or 'the files written'} with "
                      "keras.models.load_model and got another model (or none) than the one given to "
                      "save_and_reload: save that model itself, model.save(path + '.keras')")
    found = difference(got.get("reloaded"), got.get("original"), 0, 1e-6, evidence.hidden, check_dtype=False)
    if found:
        return failed(f"the reloaded model's predictions differ from the saved model's: {found.text}. After "
                      "saving, the grader overwrote the original's weights: the reloaded model must be a copy "
                      "loaded from the file")
    return passed(f"saved to {files[0]} and reloaded: identical predictions on {len(inputs['inputs'])} inputs, "
                  "from a separate copy")
