"""The JSON wire format between the sandboxed child and the trusted parent.

Observations cross the trust boundary as plain JSON: arrays travel as dtype + shape + base64 of their
raw little-endian bytes (bit-exact, no float formatting loss), non-finite floats as tagged strings.
Decoding accepts only a whitelist of numeric dtypes and checks that sizes agree, so a hostile child can
at worst send wrong numbers, never objects. This module is imported on both sides: it may depend on
nothing but the standard library and NumPy.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

ARRAY_TAG = "__array__"
FLOAT_TAG = "__float__"
REPR_TAG = "__repr__"

ALLOWED_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)
MAX_DEPTH = 64


class WireError(ValueError):
    """Raised by the parent when an observation is not well-formed."""


def encode(value: Any, _depth: int = 0) -> Any:
    """Turn a value observed in the sandbox into JSON-safe data (never raises)."""
    if _depth > MAX_DEPTH:
        return {REPR_TAG: "<nested too deeply>"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {FLOAT_TAG: repr(value)}
    if isinstance(value, (np.ndarray, np.generic)):
        return _encode_array(np.asarray(value))
    if hasattr(value, "numpy") and callable(value.numpy):  # tf.Tensor, tf.Variable, keras.Variable
        try:
            return _encode_array(np.asarray(value.numpy()))
        except Exception as exc:  # a symbolic tensor, a broken __array__...
            return {REPR_TAG: f"<{type(value).__name__}: {exc}>"[:300]}
    if isinstance(value, dict):
        return {str(k): encode(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v, _depth + 1) for v in value]
    try:
        text = repr(value)
    except Exception:
        text = "<unrepresentable>"
    return {REPR_TAG: f"{type(value).__name__}: {text}"[:300]}


def _encode_array(arr: np.ndarray) -> Any:
    if arr.dtype.name not in ALLOWED_DTYPES:
        return {REPR_TAG: f"array of dtype {arr.dtype}"[:300]}
    data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return {
        ARRAY_TAG: {
            "dtype": arr.dtype.name,
            "shape": list(arr.shape),
            "b64": base64.b64encode(data.tobytes()).decode("ascii"),
        }
    }


def decode(data: Any, _depth: int = 0) -> Any:
    """Turn wire data back into Python/NumPy values, validating as it goes (parent side)."""
    if _depth > MAX_DEPTH:
        raise WireError("observation nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, _depth + 1) for v in data]
    if not isinstance(data, dict):
        raise WireError(f"unexpected JSON value of type {type(data).__name__}")
    if set(data) == {ARRAY_TAG}:
        return _decode_array(data[ARRAY_TAG])
    if set(data) == {FLOAT_TAG}:
        text = data[FLOAT_TAG]
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"bad non-finite float {text!r}")
        return float(text)
    if set(data) == {REPR_TAG}:
        return Unrepresentable(str(data[REPR_TAG]))
    return {str(k): decode(v, _depth + 1) for k, v in data.items()}


def _decode_array(spec: Any) -> np.ndarray:
    return decode_array(spec, None)


def decode_array(spec: Any, max_elements: int | None) -> np.ndarray:
    """One tagged array, its dtype whitelisted and its size checked against its shape (and ``max_elements``)."""
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "b64"}:
        raise WireError("array spec is not an object with dtype, shape and b64")
    dtype, shape, b64 = spec.get("dtype"), spec.get("shape"), spec.get("b64")
    if not isinstance(dtype, str) or dtype not in ALLOWED_DTYPES:
        raise WireError(f"dtype {str(dtype)[:20]!r} not allowed")
    if not isinstance(shape, list) or len(shape) > 32 or \
            not all(type(n) is int and 0 <= n < 2**40 for n in shape):
        raise WireError("bad array shape")
    if max_elements is not None and math.prod(shape) > max_elements:
        raise WireError(f"array of {math.prod(shape)} numbers is more than the grader reads")
    if not isinstance(b64, str):
        raise WireError("array data missing")
    try:
        raw = base64.b64decode(b64.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise WireError("array data is not base64") from exc
    dt = np.dtype(dtype).newbyteorder("<")
    if math.prod(shape) * dt.itemsize != len(raw):
        raise WireError("array size does not match its shape")
    return np.frombuffer(raw, dtype=dt).reshape(shape).astype(np.dtype(dtype))


class Unrepresentable(str):
    """A value the child could only describe (e.g. a function object); compares unequal to numbers."""
