"""Observations for softmax. Runs in the sandbox: inputs in, the student's raw values out.

No expected value lives here. When a call fails, the error is re-raised with what the failing shapes
or dtypes say about the cause (TensorFlow's own words are kept). ``require``, ``to_numpy``,
``call_each`` and ``ProbeError`` are provided by the sandbox runtime.
"""

import re

import numpy as np
import tensorflow as tf

# (pattern on the error message, what it means) for each function the grader calls
EXPLAIN = {
    "softmax": (
        (r"Incompatible shapes: \[\d+,\d+\] vs\. \[\d+\]",
         "a sum over axis=1 has shape (n,), which does not divide an (n, k) matrix row by row: keep the "
         "summed axis with tf.reduce_sum(e, axis=1, keepdims=True), of shape (n, 1)"),
    ),
    "cross_entropy": (
        (r"attr 'T\w*' of float",
         "cross_entropy(p, t) receives t as one-hot rows (float32, shape (n, k)), not integer labels: "
         "multiply t * log(p) and sum over axis 1"),
        (r"Incompatible shapes",
         "p and t both have shape (n, k): t is one-hot, one row per example"),
    ),
    "keras_cross_entropy": (
        (r"must have rank \(ndim\) `target\.ndim - 1`",
         "SparseCategoricalCrossentropy received one-hot labels: it takes the integer class numbers "
         "(labels of shape (n,)) as they are, do not one-hot encode them"),
        (r"Invalid value for argument `reduction`.*Received: reduction=auto",
         "Keras 3 has no reduction='auto' (Keras 2's tf.keras.losses.Reduction.AUTO): leave reduction out, "
         "the default already averages over the examples"),
        (r"`target` and `output` must have the same rank",
         "CategoricalCrossentropy received integer labels of shape (n,): it expects one-hot rows. The notes "
         "use SparseCategoricalCrossentropy, which takes the integer labels directly"),
    ),
}


def unfinished(name, what):
    cause = ("a function without a return statement returns None" if what == "returned" else
             "or does a function that computes it return nothing?")
    return ProbeError(f"{name} {what} None: is its # TODO still there? ({cause})")


def calls(ns, function, cases):
    """The student's ``function`` on each case; a failure is re-raised with its likely cause."""
    try:
        results = call_each(ns, function, cases)
    except ProbeError:
        raise
    except Exception as exc:
        text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", str(exc)).strip()
        for pattern, meaning in EXPLAIN.get(function, ()):
            if re.search(pattern, text, re.S):
                first = re.sub(r"\s*\[Op:\w+\].*$", "", text.splitlines()[0] if text else "")
                # TensorFlow's "Incompatible shapes: [3,4] vs. [3]" keeps its numbers, loses its wording,
                # so that the generic broadcasting hint does not follow the specific one
                first = re.sub(r"Incompatible shapes: (\S+) vs\. (\S+)", r"shapes \1 and \2 do not fit", first)
                first = re.sub(r" Expected one of \{[^}]*\}\.", "", first)  # a set: its order varies run to run
                raise ProbeError(f"{function} raised {type(exc).__name__}: {first[:300]} — {meaning}") from exc
        raise
    if any(r.dtype == object and r.shape == () and r.item() is None for r in map(np.asarray, results)):
        raise unfinished(function, "returned")
    return results


def value(ns, name):
    """A module-level value the notebook computes, flattened (a (1, 4) batch and a (4,) vector alike)."""
    found = require(ns, name, "a value")
    if found is None:
        raise unfinished(name, "is")
    found = to_numpy(found)
    try:
        return np.asarray(found, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ProbeError(f"{name} should hold numbers (a tensor or an array), not {type(found).__name__}")


def library_softmaxes():
    """(module, attribute, name) of the ready-made softmax functions a student might call."""
    import keras

    places = [(tf.nn, "softmax", "tf.nn.softmax"), (tf.math, "softmax", "tf.math.softmax"),
              (tf.nn, "log_softmax", "tf.nn.log_softmax"), (tf.math, "log_softmax", "tf.math.log_softmax"),
              (keras.activations, "softmax", "keras.activations.softmax"), (keras.ops, "softmax", "keras.ops.softmax"),
              (keras.ops, "log_softmax", "keras.ops.log_softmax")]
    try:  # imported here, so that an import inside the student's function finds the watched one
        import scipy.special
        places.append((scipy.special, "softmax", "scipy.special.softmax"))
    except ImportError:
        pass
    return [(module, attribute, name) for module, attribute, name in places if hasattr(module, attribute)]


def call_watching_softmaxes(ns, fn, argument):
    """Call fn(argument) with every library softmax (in its module and in the student's namespace)
    replaced by a wrapper that notes the call; returns (result, names of the softmaxes called)."""
    called = set()
    restore = []

    def watched(original, name):
        def wrapper(*args, **kwargs):
            called.add(name)
            return original(*args, **kwargs)
        return wrapper

    originals = {}
    try:
        for module, attribute, name in library_softmaxes():
            original = getattr(module, attribute)
            originals.setdefault(id(original), (original, name))
            restore.append(lambda module=module, attribute=attribute, original=original:
                           setattr(module, attribute, original))
            setattr(module, attribute, watched(original, name))
        for key, value in list(ns.items()):  # e.g. "from scipy.special import softmax as sm"
            if id(value) in originals and key != "softmax":
                restore.append(lambda key=key, value=value: ns.__setitem__(key, value))
                ns[key] = watched(*originals[id(value)])
        return fn(argument), sorted(called)
    finally:
        for undo in reversed(restore):
            undo()


def softmax_ops(ns, y):
    """The TensorFlow operations softmax(y) is built from, traced once with tf.function; when it cannot
    be traced (NumPy code, .numpy() calls), which ready-made softmax functions a call of it uses. And its
    output on ``y``, called as written, watched: what it computes is part of the evidence."""
    fn = require(ns, "softmax")
    try:
        output, called = call_watching_softmaxes(ns, fn, tf.constant(y))
    except Exception as exc:
        raise ProbeError(f"softmax(y) raised {type(exc).__name__} on y of shape {tuple(np.shape(y))}") from exc
    if output is None:
        raise unfinished("softmax", "returned")
    try:
        concrete = tf.function(fn).get_concrete_function(tf.TensorSpec(np.shape(y), tf.float32))
    except Exception:
        return {"traced": False, "ops": [], "library_calls": called, "output": to_numpy(output)}
    return {"traced": True, "ops": sorted({op.type for op in concrete.graph.get_operations()}),
            "library_calls": called, "output": to_numpy(output)}
