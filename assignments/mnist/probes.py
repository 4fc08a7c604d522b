"""Observations for mnist. Runs in the sandbox: inputs and injected weights in, raw values out.

Quality is never self-reported: the training probes return the weights train() reached (and the
history it reported, for the plot only), and the grader computes the test accuracy from those weights
itself. The MNIST images come from the data file the grader binds into the sandbox. ``require``,
``to_numpy`` and ``ProbeError`` come from the sandbox runtime.
"""

import numpy as np
import tensorflow as tf

NAMES = ("W", "b")
SHAPES = ((784, 10), (10,))
_TRAINING_SET = {}


def explain(exc):
    """Turn the errors of the classic mistakes into a ProbeError that names them; re-raise the rest."""
    message = str(exc)
    if "must have rank (ndim) `target.ndim - 1`" in message:
        raise ProbeError("SparseCategoricalCrossentropy was given one-hot labels of shape (n, 10): it "
                         "expects the integer class numbers 0-9 (shape (n,)) as they come from "
                         "load_data(). Pass the labels unchanged, or use CategoricalCrossentropy with "
                         "one-hot labels") from exc
    if "object has no attribute 'minimize'" in message:
        raise ProbeError("Keras 3 optimizers have no .minimize() (the notes use Keras 2): compute the loss "
                         "under `with tf.GradientTape() as tape:`, take `tape.gradient(loss, [W, b])` and "
                         "apply `optimizer.apply_gradients(zip(grads, [W, b]))` or W.assign_sub(eta * dW)"
                         ) from exc
    raise exc


def variables(ns):
    found = []
    for name, shape in zip(NAMES, SHAPES):
        value = require(ns, name, "a tf.Variable")
        if not isinstance(value, tf.Variable):
            raise ProbeError(f"{name} is a {type(value).__name__}; it must be a tf.Variable so that "
                             "training can update it")
        if name == "W" and tuple(value.shape) != shape:
            raise ProbeError(f"W has shape {tuple(value.shape)}; a 1-layer network from 784 pixels to 10 "
                             "digits, with one image per row of x, needs W of shape (784, 10): y = x W + b")
        if int(np.prod(value.shape)) != int(np.prod(shape)):  # b may be (10,), (1, 10) or (10, 1)
            raise ProbeError(f"{name} has shape {tuple(value.shape)}; the 10 output nodes need b of shape (10,)")
        found.append(value)
    return found


def inject(ns, weights):
    for variable, value in zip(variables(ns), weights):
        variable.assign(tf.cast(np.reshape(value, variable.shape), variable.dtype))  # b may be (1, 10)


def snapshot(ns):
    return [np.reshape(v.numpy(), shape) for v, shape in zip(variables(ns), SHAPES)]


def call(function, *args, returns=True):
    try:
        value = function(*args)
    except Exception as exc:
        explain(exc)
    if returns and value is None:
        name = getattr(function, "__name__", "the function")
        raise ProbeError(f"{name}() returned None: not implemented yet, or it does not `return` its result")
    return value


def preprocessing(ns, images):
    """preprocess(images) on the grader's uint8 images, returned as it came out."""
    return to_numpy(call(require(ns, "preprocess"), images.copy()))


def forward(ns, weights, inputs):
    inject(ns, weights)
    return to_numpy(call(require(ns, "run_network"), inputs.copy()))


def loss(ns, weights, inputs, labels):
    inject(ns, weights)
    value = to_numpy(call(require(ns, "calc_loss"), inputs.copy(), labels.copy()))
    return np.asarray(value, np.float64).reshape(-1)


def trajectory(ns, weights, inputs, labels, eta, steps):
    """W and b after each of ``steps`` calls of train_step on the same batch."""
    inject(ns, weights)
    step, path = require(ns, "train_step"), []
    for _ in range(steps):
        call(step, inputs.copy(), labels.copy(), eta, returns=False)
        path.append(snapshot(ns))
    return path


def accuracy(ns, weights, inputs, labels):
    inject(ns, weights)
    value = to_numpy(call(require(ns, "accuracy"), inputs.copy(), labels.copy()))
    return np.asarray(value, np.float64).reshape(-1)


def training_set():
    """The 60000 MNIST training images, preprocessed by the grader (not by the submission)."""
    if not _TRAINING_SET:
        (images, labels), _ = tf.keras.datasets.mnist.load_data()
        _TRAINING_SET["x"] = images.reshape(len(images), 784).astype(np.float32) / 255
        _TRAINING_SET["y"] = labels
    return _TRAINING_SET["x"], _TRAINING_SET["y"]


_GIVEN = {}  # role -> (the grader's array, what train() is given for it), reused by every call of train()


def like(own, value, role):
    """The grader's array as the same kind of array the notebook gives train(), holding the grader's values
    whatever an earlier call of train() did to what it was given: a tensor (immutable) is made once per array;
    a NumPy array is refilled in place, which in the sandbox costs a fraction of a fresh 188 MB copy (no new
    pages to fault in), 10 times per submission."""
    if isinstance(own, (tf.Tensor, tf.Variable)):
        made = _GIVEN.get(("tensor", role))
        if made is None or made[0] is not value:  # the array is kept with it, so `is` cannot meet a reused id
            made = _GIVEN[("tensor", role)] = (value, tf.constant(value))
        return made[1]
    made = _GIVEN.get(("array", role))
    given = made[1] if made else None
    if (given is None or given.shape != value.shape or given.dtype != value.dtype
            or not given.flags.writeable or not given.flags.c_contiguous):
        given = value.copy()
        _GIVEN[("array", role)] = (value, given)
    else:
        np.copyto(given, value)
    return given


def history_values(value):
    """The reported losses as floats, or a word saying what train() returned instead."""
    if value is None:
        return "None"
    try:
        return [float(v) for v in np.asarray(to_numpy(value), np.float64).reshape(-1)[:100_000]]
    except (TypeError, ValueError):
        return f"a {type(value).__name__}"


def training(ns, start, relabel, iterations, batch_size, eta, chunks):
    """train() from the grader's start, on the training set with the digits renamed by ``relabel``.

    The budget is split into ``chunks`` calls of train(); the weights after each call are returned so
    that the grader can follow the test accuracy along the way. x and labels are given as NumPy arrays,
    or as tensors when the notebook's own x_train / train_labels are tensors. The renaming (digit d is called
    relabel[d]) means that only weights trained on the labels passed to train() can score.
    """
    x, y = training_set()
    labels = relabel.astype(np.uint8)[y]
    inject(ns, start)
    train = require(ns, "train")
    weights, histories = [], []
    for _ in range(chunks):
        arguments = like(ns.get("x_train"), x, "x"), like(ns.get("train_labels"), labels, "labels")
        before = variables(ns)
        reported = call(train, *arguments, iterations // chunks, batch_size, eta, returns=False)
        if any(a is not b for a, b in zip(before, variables(ns))):
            raise ProbeError("train() replaced W and b with new tf.Variables: it must continue from the "
                             "current W and b (the grader sets them before calling train), updating them "
                             "with .assign_sub(...) or an optimizer")
        weights.append(snapshot(ns))
        histories.append(history_values(reported))
    return {"weights": weights, "histories": histories}
