"""Observations for xor. Runs in the sandbox: inputs and injected weights in, raw values out.

Quality is never self-reported: training probes return the weights they reached, and the grader
recomputes outputs and losses from them. The grader's weights replace the notebook's whatever shapes
the notebook gave W1, b1, W2, b2 (same number of entries: assigned in place, so functions compiled with
tf.function keep working; else the variable is replaced), and the student's functions are called as the
template promises (eta a Python float). ``require``, ``to_numpy`` and ``ProbeError`` come from the
sandbox runtime.
"""

import numpy as np
import tensorflow as tf

NAMES = ("W1", "b1", "W2", "b2")
SHAPES = ((2, 2), (1, 2), (2, 1), (1, 1))


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
        value = np.asarray(value)
        if int(np.prod(variable.shape)) == value.size:  # (2,) for (1, 2): the same network
            variable.assign(tf.cast(np.reshape(value, variable.shape), variable.dtype))
        else:  # the template's placeholder shapes, say: the grader's own variable takes its place
            ns[name] = tf.Variable(tf.cast(value, variable.dtype if variable.dtype.is_floating else tf.float32),
                                   name=name)


def canonical(values):
    """Values in the lecture's shapes when they hold as many entries (a (2,) bias as (1, 2))."""
    return [np.reshape(v, s) if np.size(v) == int(np.prod(s)) else np.asarray(v) for v, s in zip(values, SHAPES)]


def snapshot(ns):
    return canonical([v.numpy() for v in variables(ns)])


def not_implemented(name, value):
    if value is None:
        raise ProbeError(f"{name} returned None: not implemented yet (is its # TODO still there?)")
    return value


def parameters(ns):
    """Shapes and dtypes of the hand-built network's weights, as the notebook declares them."""
    return {name: {"shape": list(v.shape), "dtype": v.dtype.name} for name, v in zip(NAMES, variables(ns))}


def forward(ns, weights, inputs):
    inject(ns, weights)
    return to_numpy(not_implemented("run_network(x)", require(ns, "run_network")(tf.constant(inputs))))


def loss_and_gradients(ns, weights):
    inject(ns, weights)
    calc_loss = require(ns, "calc_loss")
    with tf.GradientTape() as tape:
        loss = not_implemented("calc_loss()", calc_loss())
    grads = tape.gradient(loss, variables(ns))
    missing = [name for name, g in zip(NAMES, grads) if g is None]
    if missing:
        raise ProbeError(f"calc_loss() does not depend on {', '.join(missing)} (its gradient is None): it must "
                         "compute run_network(x) from W1, b1, W2 and b2 inside the function, with the weights as "
                         "tf.Variables")
    return {"loss": to_numpy(loss), "gradients": canonical([to_numpy(g) for g in grads])}


def trajectory(ns, weights, eta, steps):
    inject(ns, weights)
    step = require(ns, "train_step")
    path = []
    for _ in range(steps):
        step(float(eta))
        path.append(snapshot(ns))
    return path


def convergence(ns, starts, eta, steps, every):
    """Snapshots every ``every`` steps of train_step(eta) from each start.

    The student's step, compiled with tf.function, runs ``every`` times in one compiled tf.while_loop: 144
    calls from Python for the 3600 steps instead of 3600 (measured: the same snapshots, to the bit, for the
    reference and every alternative in tests/alternatives/xor, at a third of the time). A step that cannot
    run inside a loop (e.g. it builds an optimizer, which makes variables) is called compiled one call at a
    time, and one that cannot be compiled at all is called as written; each is tried on the first stretch."""
    eta = float(eta)
    student = require(ns, "train_step")
    step = tf.function(student)

    @tf.function(autograph=False)  # an explicit while loop: autograph cannot read the probes' source
    def loop(n):
        def body(i):
            step(eta)
            return (i + 1,)
        tf.while_loop(lambda i: i < n, body, (tf.constant(0),))

    def calls(function):
        def run(n):
            for _ in range(n):
                function(eta)
        return run

    ways = [lambda n: loop(tf.constant(n, tf.int32)), calls(step), calls(student)]
    runs = []
    for weights in starts:
        snapshots, done, first = [], 0, True
        while done < steps:
            n = min(every - done % every, steps - done)
            if first:
                while True:  # the first stretch from each start finds the fastest way this step allows
                    inject(ns, weights)
                    try:
                        ways[0](n)
                        break
                    except Exception:
                        if len(ways) == 1:
                            raise
                        ways.pop(0)
                first = False
            else:
                ways[0](n)
            done += n
            if done % every == 0:
                snapshots.append(snapshot(ns))
        runs.append(snapshots)
    return runs


def keras_model(ns):
    model = not_implemented("build_model()", require(ns, "build_model")())
    if not isinstance(model, tf.keras.Model):
        raise ProbeError(f"build_model() returned {type(model).__name__}, not a Keras model")
    return model


def keras_forward(ns, weights, inputs):
    model = keras_model(ns)
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
    model = keras_model(ns)
    model(tf.zeros((1, 2)))
    if [w.shape for w in model.get_weights()] != [w.shape for w in weights]:
        raise ProbeError(f"build_model() has weights of shapes {[w.shape for w in model.get_weights()]}; "
                         "a 2-2-1 network has (2, 2), (2,), (2, 1), (1,)")
    model.set_weights(weights)
    history = require(ns, "train_model")(model, epochs)
    reported = getattr(history, "history", {}).get("loss", []) if isinstance(getattr(history, "history", None), dict) \
        else []
    outputs = model(tf.constant([[0, 0], [0, 1], [1, 0], [1, 1]], tf.float32))  # what the trained model computes
    return {"weights": model.get_weights(), "outputs": to_numpy(outputs),
            "reported_loss": [float(v) for v in reported][:100_000]}
