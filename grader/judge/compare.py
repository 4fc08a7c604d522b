"""Ready-made judges for rubric files: compare a student's observation with the reference's.

Messages describe shape, dtype and behaviour. Expected values are printed only for public checks: for
hidden ones a message may say how far off the answer is, never what it should have been.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..rubric import Evidence, Verdict, failed, passed

Mistake = tuple[str, Callable[[Evidence], Any]]  # (message, what that mistake would have produced)


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {tuple(value.shape)}"
    if isinstance(value, (bool, np.bool_)):
        return f"a bool ({value})"
    if isinstance(value, (int, float)):
        return f"a Python {type(value).__name__}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"{value!s}"[:120] if value is not None else "None"


def show(value: Any) -> str:
    text = np.array2string(np.asarray(value), precision=5, threshold=20, max_line_width=100) \
        if isinstance(value, (np.ndarray, float, int)) else repr(value)
    return text if len(text) < 400 else text[:400] + " ..."


@dataclass(frozen=True)
class Difference:
    where: str
    text: str
    constant: bool = False  # the values are all the same: nothing was computed from the inputs


def difference(got: Any, expected: Any, rtol: float, atol: float, hidden: bool,
               where: str = "", check_dtype: bool = True) -> Difference | None:
    """The first way ``got`` differs from ``expected`` beyond tolerance, or None."""
    label = f"{where}: " if where else ""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Difference(where, f"{label}expected a dict, got {describe(got)}")
        for key, value in expected.items():
            if key not in got:
                return Difference(where, f"{label}missing '{key}'")
            found = difference(got[key], value, rtol, atol, hidden, f"{where}.{key}".lstrip("."), check_dtype)
            if found:
                return found
        return None
    if isinstance(expected, list) and not _numeric_list(expected):
        if not isinstance(got, list) or len(got) != len(expected):
            return Difference(where, f"{label}expected a list of {len(expected)} items, got {describe(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            found = difference(g, e, rtol, atol, hidden, f"{where}[{i}]", check_dtype)
            if found:
                return found
        return None
    if isinstance(expected, str):
        if got != expected:
            shown = f"'{expected}'" if not hidden else "a different value"
            return Difference(where, f"{label}got {describe(got)}, expected {shown}")
        return None
    return _array_difference(got, expected, rtol, atol, hidden, label, where, check_dtype)


def _numeric_list(values: list) -> bool:
    """A list of plain numbers (Python or NumPy scalars, 0-d arrays): compared as one array."""
    return all((isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
               or (isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype != bool) for v in values)


def _array_difference(got, expected, rtol, atol, hidden, label, where, check_dtype) -> Difference | None:
    exp = np.asarray(expected)
    if got is None or isinstance(got, (str, dict)) or (isinstance(got, list) and not _numeric_list(got)):
        return Difference(where, f"{label}expected {describe(exp)}, got {describe(got)}")
    arr = np.asarray(got)
    if arr.shape != exp.shape:
        text = f"{label}shape {tuple(arr.shape)}, expected {tuple(exp.shape)}"
        if arr.ndim == 2 and arr.T.shape == exp.shape and _close(arr.T, exp, rtol, atol):
            text += " (your values are the transpose of the right ones)"
        elif arr.size == exp.size:
            text += " (same number of entries: a reshape or a wrong axis?)"
        return Difference(where, text)
    # a float in more precision than expected (float64 for float32) is the same number: its values decide
    wider_float = arr.dtype.kind == exp.dtype.kind == "f" and arr.dtype.itemsize >= exp.dtype.itemsize
    if check_dtype and isinstance(expected, np.ndarray) and isinstance(got, np.ndarray) \
            and arr.dtype != exp.dtype and not wider_float:
        return Difference(where, f"{label}dtype {arr.dtype}, expected {exp.dtype}"
                                 " (create or tf.cast the tensor with the right dtype)")
    if exp.dtype == bool or arr.dtype == bool:
        wrong = int(np.sum(arr != exp))
        if wrong:
            return Difference(where, f"{label}{wrong} of {exp.size} entries differ"
                                     + ("" if hidden else f": got {show(arr)}, expected {show(exp)}"))
        return None
    arr, exp = arr.astype(np.float64), exp.astype(np.float64)
    if not np.all(np.isfinite(arr)) and np.all(np.isfinite(exp)):
        return Difference(where, f"{label}contains NaN or inf (numerical overflow?)")
    if _close(arr, exp, rtol, atol):
        return None
    if arr.size > 1 and np.all(arr == arr.flat[0]) and not np.allclose(exp, exp.flat[0]):
        return Difference(where, f"{label}every value is {arr.flat[0]:.4g}: a constant, not computed from the "
                                 "inputs (not implemented yet?)", constant=True)
    bad = ~np.isclose(arr, exp, rtol=rtol, atol=atol, equal_nan=True)
    error = float(np.max(np.abs(arr - exp)[bad])) if bad.any() else 0.0
    text = f"{label}{int(bad.sum())} of {exp.size} values differ (largest error {error:.3g})"
    if not hidden:
        text += f": got {show(arr)}, expected {show(exp)}"
    return Difference(where, text)


def _close(a, b, rtol, atol) -> bool:
    return bool(np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                            rtol=rtol, atol=atol, equal_nan=True))


EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7: float32's relative spacing


def same_weights(after: Any, before: Any) -> bool:
    """Whether two lists of weight arrays hold exactly the same float32 values (training changed nothing)."""
    try:
        return all(np.array_equal(np.asarray(a, np.float32).reshape(-1), np.asarray(b, np.float32).reshape(-1))
                   for a, b in zip(after, before))
    except (TypeError, ValueError):
        return False


def float32_rtol(magnitude: float, ulps: float = 16) -> float:
    """A relative tolerance that any correct float32 method meets when its inputs are of ``magnitude``:
    rounding an input of that size moves a result like exp(y − c) by about |y|·ε relatively, whatever
    the method (max subtraction, log-sum-exp, a library call), so correct methods differ by a few ulps of it."""
    return ulps * EPS32 * max(1.0, magnitude)


def matches_reference(rtol: float = 1e-5, atol: float = 1e-6, what: str = "the result",
                      mistakes: tuple[Mistake, ...] = (), check_dtype: bool = True,
                      magnitude: Callable[[Evidence], float] | None = None):
    """Judge: the observation equals the reference's within tolerance.

    ``mistakes`` pairs a message with a function computing what a known mistake would have produced;
    when the student's value matches one of them, the check names the mistake. ``magnitude``: the scale
    of the inputs that float32 rounding works at; the relative tolerance is then at least
    ``float32_rtol(magnitude)``.
    """

    def judge(evidence: Evidence) -> Verdict:
        got, expected = evidence.got, evidence.expected
        if isinstance(expected, list) and len(expected) == 1 and isinstance(got, list) and len(got) == 1:
            got, expected = got[0], expected[0]  # a single case: no "[0]" in the message
        tolerance = max(rtol, float32_rtol(magnitude(evidence))) if magnitude else rtol
        found = difference(got, expected, tolerance, atol, evidence.hidden, check_dtype=check_dtype)
        if found is None:
            return passed(f"{what} matches the reference")
        for message, produce in mistakes:  # a named mistake explains more than "a constant"
            try:
                if difference(evidence.got, produce(evidence), tolerance, atol, True, check_dtype=False) is None:
                    return failed(f"{what}: {message}")
            except Exception:
                continue
        return failed(f"{what}: {found.text}")

    return judge
