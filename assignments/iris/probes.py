"""Observations for iris. Runs in the sandbox: grader-made inputs in, raw values out.

Nothing here knows a right answer. Training probes return the weights the student's ``train`` reached
(the grader recomputes losses and accuracies from them in NumPy), the optimizer's own step counter and
the History exactly as returned. ``require``, ``to_numpy`` and ``ProbeError`` come from the sandbox
runtime.
"""

import os

import numpy as np
import tensorflow as tf
import keras

SHAPES = [(4, 20), (20,), (20, 20), (20,), (20, 3), (3,)]
SAVE_DIR = "grader_probe"  # inside the sandbox's scratch directory (the only writable place)


# --- helpers ---------------------------------------------------------------------------------------
def built(ns, l2=None, dropout=None):
    """The student's build_model(...) as a built Keras model; the defaults when no argument is given."""
    build_model = require(ns, "build_model")
    kwargs = {} if l2 is None else {"l2": l2, "dropout": dropout}
    try:
        model = build_model(**kwargs)
    except TypeError as exc:
        if kwargs and "argument" in str(exc):
            raise ProbeError(f"build_model(l2={l2}, dropout={dropout}) failed ({exc}): the template's "
                             "signature is build_model(l2=0.001, dropout=0.5)") from exc
        raise
    if not isinstance(model, keras.Model):
        raise ProbeError(f"build_model() returned {type(model).__name__}, not a Keras model")
    model(tf.zeros((1, 4)))
    return model


def with_weights(ns, weights, l2=None, dropout=None):
    model = built(ns, l2, dropout)
    shapes = [tuple(w.shape) for w in model.get_weights()]
    if shapes != SHAPES:
        raise ProbeError(f"build_model() has weights of shapes {shapes}; the 4-20-20-3 network has "
                         f"{SHAPES} (kernel, bias per Dense layer; Dropout has no weights)")
    model.set_weights([np.asarray(w, np.float32) for w in weights])
    return model


def history_of(result):
    record = getattr(result, "history", None)
    if not isinstance(record, dict):
        raise ProbeError(f"train() returned {type(result).__name__}; it must return the History object "
                         "that model.fit(...) returns (its .history is a dict of per-epoch lists)")
    return {str(k): [float(v) for v in np.ravel(np.asarray(vals, dtype=np.float64))]
            for k, vals in record.items()}


def name_of(thing):
    if thing is None:
        return None
    if isinstance(thing, str):
        return thing
    for attr in ("name", "__name__"):
        value = getattr(thing, attr, None)
        if isinstance(value, str):
            return value
    fn = getattr(thing, "fn", None)
    return getattr(fn, "__name__", type(thing).__name__)


def counting_steps(model):
    """Count the training steps Keras really runs on ``model`` (its train_step, once per mini-batch): a
    counter the submission's code does not touch, unlike the optimizer's own ``iterations``."""
    counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="grader_steps")
    original = model.train_step

    def train_step(data):
        counter.assign_add(1)
        return original(data)

    model.train_step = train_step
    return counter


def run_training(ns, model, x_train, t_train, x_val, t_val, epochs, patience):
    steps = counting_steps(model)
    result = require(ns, "train")(model, x_train, t_train, x_val, t_val, epochs, patience)
    optimizer = getattr(model, "optimizer", None)
    return {
        "weights": model.get_weights(),
        "history": history_of(result),
        "iterations": int(steps.numpy()),
        "loss": name_of(getattr(model, "loss", None)),
        "optimizer": type(optimizer).__name__ if optimizer is not None else None,
    }


# --- pre-processing ---------------------------------------------------------------------------------
def normalise(ns, cases):
    results = []
    for inputs in cases:
        out = require(ns, "normalise")(np.array(inputs))
        if out is None:
            raise ProbeError("normalise(inputs) returned None: not implemented yet? Return (normalised, "
                             "column_means, column_stds)")
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise ProbeError("normalise(inputs) must return three things: (normalised inputs, column means, "
                             f"column standard deviations); it returned {type(out).__name__}")
        names = ("normalised inputs", "column means", "column standard deviations")
        for name, value in zip(names, out):
            if value is None:
                raise ProbeError(f"normalise(inputs) returned None for the {name}: return (normalised, "
                                 "column_means, column_stds)")
        results.append({k: to_numpy(v).astype(np.float64) for k, v in zip(("normalised", "means", "stds"), out)})
    return results


def one_hot(ns, cases):
    results = []
    for labels in cases:
        value = require(ns, "one_hot")(np.array(labels))
        if value is None:
            raise ProbeError("one_hot(labels) returned None: not implemented yet? Return the (n, 3) one-hot matrix")
        results.append(to_numpy(value).astype(np.float64))
    return results


# --- the model --------------------------------------------------------------------------------------
def regularizer(r):
    if r is None:
        return None
    try:
        config = r.get_config()
    except Exception:
        config = {}
    return {"type": type(r).__name__, "l1": float(config.get("l1", 0.0) or 0.0),
            "l2": float(config.get("l2", 0.0) or 0.0)}


def describe(model):
    layers = []
    for layer in model.layers:
        layers.append({
            "type": type(layer).__name__,
            "units": getattr(layer, "units", None),
            "activation": name_of(getattr(layer, "activation", None)),
            "kernel_regularizer": regularizer(getattr(layer, "kernel_regularizer", None)),
            "bias_regularizer": regularizer(getattr(layer, "bias_regularizer", None)),
            "activity_regularizer": regularizer(getattr(layer, "activity_regularizer", None)),
            "rate": float(layer.rate) if hasattr(layer, "rate") else None,
        })
    return layers


def architecture(ns, settings):
    """build_model(l2, dropout) for each setting, described layer by layer."""
    return [describe(built(ns, l2, dropout)) for l2, dropout in settings]


def inference(ns, weights, inputs, l2, dropout):
    """Outputs at inference (dropout off) and the L2 penalty Keras adds to the loss, with injected weights."""
    model = with_weights(ns, weights, l2, dropout)
    outputs = to_numpy(model(tf.constant(inputs), training=False))
    penalty = float(sum(float(to_numpy(v)) for v in model.losses)) if model.losses else 0.0
    return {"outputs": outputs, "penalty": penalty}


# --- training ---------------------------------------------------------------------------------------
def training(ns, weights, x_train, t_train, x_val, t_val, epochs, seed):
    """build_model() with injected starting weights, trained by train() for `epochs` (patience = epochs)."""
    keras.utils.set_random_seed(seed)
    model = with_weights(ns, weights)
    return run_training(ns, model, x_train, t_train, x_val, t_val, epochs, epochs)


def early_stopping(ns, weights, x_train, t_train, x_val, t_val, epochs, patience, seed):
    """train() on validation data whose loss rises from the first epoch: how many epochs really ran."""
    keras.utils.set_random_seed(seed)
    model = with_weights(ns, weights)
    observed = run_training(ns, model, x_train, t_train, x_val, t_val, epochs, patience)
    del observed["weights"]
    return observed


def overfitting(ns, weights, x_train, t_train, x_monitor, t_monitor, settings, epochs, seed):
    """The same start, data and seed, trained with build_model(l2, dropout) for each setting.

    The held-out rows the grader measures the gap on never enter the sandbox: train() is given the
    training rows themselves as validation data, so EarlyStopping (patience = epochs) neither stops
    nor rewinds the run towards held-out performance.
    """
    runs = []
    for l2, dropout in settings:
        keras.utils.set_random_seed(seed)
        model = with_weights(ns, weights, l2, dropout)
        observed = run_training(ns, model, x_train, t_train, x_monitor, t_monitor, epochs, epochs)
        runs.append({"weights": observed["weights"], "iterations": observed["iterations"]})
    return runs


# --- saving -----------------------------------------------------------------------------------------
def save_and_reload(ns, weights, inputs):
    """save_and_reload(model, path) in the scratch dir; then the original's weights are overwritten, so
    the reloaded model can only still give the saved predictions if it really is a separate copy."""
    model = with_weights(ns, weights)
    os.makedirs(SAVE_DIR, exist_ok=True)
    path = os.path.join(SAVE_DIR, "IrisModel")
    x = tf.constant(inputs)
    original = to_numpy(model(x, training=False))
    reloaded = require(ns, "save_and_reload")(model, path)
    if not isinstance(reloaded, keras.Model):
        raise ProbeError(f"save_and_reload returned {type(reloaded).__name__}; it must return the model "
                         "loaded back with keras.models.load_model")
    same_object = reloaded is model
    for variable in model.weights:
        variable.assign(tf.zeros_like(variable))
    from_files = {}  # the grader loads what was written itself: a file is what it holds, not what is said of it
    for name in sorted(os.listdir(SAVE_DIR))[:5]:
        try:
            loaded = keras.models.load_model(os.path.join(SAVE_DIR, name), compile=False)
            from_files[name] = to_numpy(loaded(x, training=False))
        except Exception:
            pass
    return {"original": original, "reloaded": to_numpy(reloaded(x, training=False)),
            "same_object": same_object, "files": sorted(os.listdir(SAVE_DIR)), "from_files": from_files}
