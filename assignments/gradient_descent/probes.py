"""Observations for gradient_descent. Runs in the sandbox: holds inputs, never expected values.

``require``, ``to_numpy``, ``call_each`` and ``ProbeError`` are provided by the sandbox runtime.
"""

import numpy as np


def derivatives(ns, function, cases):
    """Call a derivative function on Python floats; return the derivative(s) as float64."""
    fn = require(ns, function)
    results = []
    for case in cases:
        value = fn(*case)
        if value is None or (isinstance(value, (list, tuple)) and any(v is None for v in value)):
            raise ProbeError(f"{function}{tuple(case)} returned None: not implemented yet, or tape.gradient gave "
                             "None: it does when the value was computed outside the tape, or x is a tf.constant "
                             "the tape did not watch (tape.watch(x))")
        results.append(np.asarray(to_numpy(value), dtype=np.float64).reshape(-1))
    return results


def descent(ns, x0, eta, steps):
    """x after each of ``steps`` updates of the student's gradient_descent."""
    fn = require(ns, "gradient_descent")
    xs = fn(x0, eta, steps)
    try:
        return [float(x) for x in to_numpy(xs)]
    except TypeError:
        raise ProbeError(f"gradient_descent returned {type(xs).__name__}: return a list of floats, "
                         "x after each step")
