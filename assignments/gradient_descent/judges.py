"""Judges specific to gradient_descent (trusted side)."""

from __future__ import annotations

import itertools

import numpy as np

from grader.results import Curve
from grader.rubric import Evidence, Verdict, failed, passed

RTOL, ATOL = 1e-4, 1e-5


def quadratic(x):
    return (np.asarray(x, dtype=np.float64) - 2.0) ** 2  # y = x² − 4x + 4


def ascent(x0: float, eta: float, steps: int) -> list[float]:
    xs, x = [], x0
    for _ in range(steps):
        x = x + eta * (2 * x - 4)
        xs.append(x)
    return xs


def descent(x0: float, eta: float, steps: int) -> list[float]:
    xs, x = [], x0
    for _ in range(steps):
        x = x - eta * (2 * x - 4)
        xs.append(x)
    return xs


NOTEBOOK = {"x0": 10.0, "eta": 0.1, "steps": 50}  # the template's X0, ETA, STEPS


def ignored_arguments(got: list, x0: float, eta: float, steps: int) -> list[str] | None:
    """Which arguments gradient_descent ignores in favour of the notebook's X0, ETA, STEPS, if that is what
    its values show; None if they show something else."""
    given = {"x0": x0, "eta": eta, "steps": steps}
    for count in (1, 2, 3):
        for names in itertools.combinations(NOTEBOOK, count):
            used = {**given, **{n: NOTEBOOK[n] for n in names}}
            if used == given:
                continue
            path = descent(used["x0"], used["eta"], int(used["steps"]))
            if len(path) == len(got) and np.allclose(got, path, rtol=RTOL, atol=ATOL):
                return list(names)
    return None


def trajectory(evidence: Evidence) -> Verdict:
    """Step-by-step comparison of x after each update, with the curve of y = f(x) per step."""
    got, expected = evidence.got, [float(x) for x in evidence.expected]
    x0, eta, steps = (evidence.inputs[k] for k in ("x0", "eta", "steps"))
    if isinstance(got, list):
        try:
            ignored = ignored_arguments([float(x) for x in got], x0, eta, steps)
        except (TypeError, ValueError):
            ignored = None
        if ignored:
            names = {"x0": "X0", "eta": "ETA", "steps": "STEPS"}
            return failed(f"gradient_descent({x0:g}, {eta:g}, {steps}) ignores its argument"
                          f"{'s' if len(ignored) > 1 else ''} {', '.join(ignored)}: it uses the notebook's "
                          f"{', '.join(names[n] for n in ignored)} instead. Use the function's parameters "
                          "inside it, so that it works for any start, rate and number of steps")
    if not isinstance(got, list) or len(got) != len(expected):
        size = len(got) if isinstance(got, list) else "not a list"
        return failed(f"gradient_descent({x0:g}, {eta:g}, {steps}) returned {size} values: "
                      f"return one x per step, {steps} in all, x after each update")
    got = [float(x) for x in got]
    curves = ()
    if not evidence.hidden:
        curves = (Curve(f"Gradient descent on y = x² − 4x + 4 from x₀ = {x0:g}, η = {eta:g}", "step",
                        "y = f(x)  (computed by the grader from your x values)",
                        {"your x values": quadratic(got).tolist(),
                         "reference": quadratic(expected).tolist()}, log_y=True),)
    close = np.isclose(got, expected, rtol=RTOL, atol=ATOL)
    if close.all():
        return passed(f"all {steps} steps match the reference (final x = {got[-1]:.5f})", curves)
    first = int(np.argmin(close))
    if np.allclose(got, ascent(x0, eta, steps), rtol=RTOL, atol=ATOL):
        return failed("x moves away from the minimum: this is gradient ascent. The update is "
                      "x ← x − η·dy/dx (subtract the gradient)", curves=curves)
    if np.isclose(got[0], x0, rtol=RTOL, atol=ATOL) and np.allclose(got[1:], expected[:-1], rtol=RTOL, atol=ATOL):
        return failed("the list starts with x₀ and is one step behind: record x after each update, "
                      "not before it", curves=curves)
    matched = f"steps 1–{first} match the reference; " if first else ""
    shown = "" if evidence.hidden else f" (expected {expected[first]:.6g})"
    return failed(f"{matched}step {first + 1} differs: x = {got[first]:.6g}{shown}", curves=curves)
