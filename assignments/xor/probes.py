"""Observations for xor. Runs in the sandbox: inputs and injected weights in, raw values out.

Quality is never self-reported: training probes return the weights they reached, and the grader
recomputes outputs and losses from them. ``require``, ``to_numpy`` and ``ProbeError`` come from the
sandbox runtime.
"""

import numpy as np
import tensorflow as tf

NAMES = ("W1", "b1", "W2", "b2")


def variables(ns):
    found = []
    for name in NAMES:
        value = require(ns, name, "a tf.Variable")
        if not isinstance(value, tf.Variable):
            raise ProbeError(f"{name} is a {type(value).__name__}; it must be a tf.Variable so that "
                             "training can update it with .assign()")
        found.append(value)
    return found


def inject(ns, weights):
    for variable, name, value in zip(variables(ns), NAMES, weights):
        if tuple(variable.shape) != tuple(value.shape):
            raise ProbeError(f"{name} has shape {tuple(variable.shape)}; the 2-2-1 network needs "
                             f"{tuple(value.shape)}")
        variable.assign(tf.cast(value, variable.dtype))


def snapshot(ns):
    return [v.numpy() for v in variables(ns)]


def parameters(ns):
    """Shapes and dtypes of the hand-built network's weights."""
    return {name: {"shape": list(v.shape), "dtype": v.dtype.name} for name, v in zip(NAMES, variables(ns))}


def forward(ns, weights, inputs):
    inject(ns, weights)
    return to_numpy(require(ns, "run_network")(tf.constant(inputs)))


def loss_and_gradients(ns, weights):
    inject(ns, weights)
    calc_loss = require(ns, "calc_loss")
    with tf.GradientTape() as tape:
        loss = calc_loss()
    grads = tape.gradient(loss, variables(ns))
    if any(g is None for g in grads):
        raise ProbeError("calc_loss() does not depend on every weight (a gradient is None): it must "
                         "compute run_network(x) from W1, b1, W2 and b2")
    return {"loss": to_numpy(loss), "gradients": [to_numpy(g) for g in grads]}


def fast(step):
    """Compile the student's step with tf.function when it allows it; the result is checked anyway."""
    compiled = tf.function(step)
    try:
        compiled(tf.constant(0.0))  # a zero step changes nothing but tells whether tracing works
        return compiled
    except Exception:
        return step


def trajectory(ns, weights, eta, steps):
    inject(ns, weights)
    step = require(ns, "train_step")
    path = []
    for _ in range(steps):
        step(eta)
        path.append(snapshot(ns))
    return path


def convergence(ns, starts, eta, steps, every):
    step, runs, eta = None, [], tf.constant(eta, tf.float32)
    for weights in starts:
        inject(ns, weights)
        step = step or fast(require(ns, "train_step"))
        snapshots = []
        for i in range(1, steps + 1):
            step(eta)
            if i % every == 0:
                snapshots.append(snapshot(ns))
        runs.append(snapshots)
    return runs


def keras_forward(ns, weights, inputs):
    model = require(ns, "build_model")()
    if not isinstance(model, tf.keras.Model):
        raise ProbeError(f"build_model() returned {type(model).__name__}, not a Keras model")
    model(tf.constant(inputs[:1]))
    layers = [{"type": type(layer).__name__, "units": getattr(layer, "units", None),
               "activation": getattr(getattr(layer, "activation", None), "__name__", None)}
              for layer in model.layers]
    if [w.shape for w in model.get_weights()] != [w.shape for w in weights]:
        raise ProbeError(f"build_model() has weights of shapes {[w.shape for w in model.get_weights()]}; "
                         "a 2-2-1 network has (2, 2), (2,), (2, 1), (1,)")
    model.set_weights(weights)
    return {"layers": layers, "outputs": to_numpy(model(tf.constant(inputs)))}


def keras_training(ns, weights, epochs):
    model = require(ns, "build_model")()
    model(tf.zeros((1, 2)))
    model.set_weights(weights)
    history = require(ns, "train_model")(model, epochs)
    reported = getattr(history, "history", {}).get("loss", [])
    return {"weights": model.get_weights(), "reported_loss": [float(v) for v in reported]}
