"""The one gate for untrusted data: bytes from a sandboxed child become typed, clean, bounded records.

Everything inside the child is the student's, so every byte that comes out of it is hostile. Nothing
else in the grader reads raw child data: the parent hands each line of the event channel and the
captured terminal output to this module, and the observation cache and student kits are read back
through it too. What passes:

* known event names with known keys only, each of the expected JSON type;
* numbers finite (JSON's ``1e400`` is infinity: refused), integers of sane size;
* text cleaned once: lone surrogates replaced, control characters other than newline and tab escaped
  (terminal semantics for ``\\r`` and backspace in output first), Unicode bidi overrides escaped;
* sizes capped per field, per item and per submission (``TextBudget``), arrays by element count and
  a whitelist of numeric dtypes (``sandbox.wire``), nesting by depth.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .sandbox import wire
from .text import SURROGATE, UNSAFE, _escape, clean_text, printable  # noqa: F401  (part of the gate)
from .sandbox.records import CellRecord, Observation

TF_NOISE = re.compile(r"^([IWE]\d{4} [\d:. ]+\s+\d+ \S+\.(cc|h):\d+\]|WARNING: All log messages before absl).*\n?",
                      re.M)

FIELD_CAPS = {"output": 10_000, "message": 2_000, "traceback": 5_000, "type": 100, "magic": 200, "name": 200,
              "version": 100, "note": 500, "repr": 300, "string": 10_000}
MAX_MAGICS = 50
MAX_ELEMENTS = 4_000_000  # numbers in one observation (MNIST's trained weights are ~40 000)
MAX_ITEMS = 100_000  # list items and dict keys in one observation
MAX_DEPTH = 32


class GateError(ValueError):
    """Raised for data that cannot be turned into a record; the caller counts or reports it."""


# --- text ---------------------------------------------------------------------------------------------
def terminal_text(raw: str) -> str:
    """What a terminal would show: a carriage return starts the line again, backspace erases (Keras'
    progress bars), then the usual cleaning applies to what is left."""
    if "\r" not in raw and "\b" not in raw:
        return raw
    lines = []
    for line in raw.replace("\r\n", "\n").split("\n"):
        if "\r" in line:
            line = line.rsplit("\r", 1)[-1] or line.rstrip("\r").rsplit("\r", 1)[-1]
        while "\b" in line:
            at = line.index("\b")
            line = line[: max(0, at - 1)] + line[at + 1:]
        lines.append(line)
    return "\n".join(lines)


@dataclass
class TextBudget:
    """What one submission may put into its report, in characters, over all its cells and probes."""

    remaining: int

    def take(self, value: Any, cap: int) -> str:
        text = clean_text(value, min(cap, max(self.remaining, 0)))
        if self.remaining <= 0 and value:
            text = "[not kept: this submission's report reached its size limit]"
        self.remaining -= len(text)
        return text


# --- events -------------------------------------------------------------------------------------------
def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise GateError(f"number {text[:20]} is not finite")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 30:
        raise GateError("integer too long")
    return int(text)


def _no_constant(name: str):
    raise GateError(f"non-standard JSON constant {name}")


def parse_line(line: bytes) -> dict | None:
    """One JSON object with an "event" name, or None (the caller counts the line as rejected)."""
    line = line.strip()
    if not line:
        return None
    try:
        event = json.loads(line, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        return None
    return event


# Each event the child may send, with its keys and their JSON types (None: checked by the converter)
SCHEMAS: dict[str, dict[str, tuple]] = {
    "ready": {"confinement": (dict,)},
    "hello": {"ticket": (str,), "tensorflow_version": (str,), "keras_version": (str,), "python_version": (str,),
              "import_seconds": (int, float)},
    "cell": {"ticket": (str,), "index": (int,), "status": (str,), "error": (dict, type(None)), "output": (str,),
             "magics": (list,), "seconds": (int, float)},
    "observation": {"ticket": (str,), "name": (str,), "ok": (bool,), "value": None, "error": (dict, type(None)),
                    "seconds": (int, float)},
}


def conforms(event: dict) -> bool:
    """Known event, known keys only, every key present with its type."""
    schema = SCHEMAS.get(event.get("event"))
    if schema is None or set(event) != set(schema) | {"event"}:
        return False
    for key, types in schema.items():
        if types is not None and (not isinstance(event[key], types) or
                                  (bool not in types and isinstance(event[key], bool))):
            return False
    return True


def error_record(data: Any, budget: TextBudget) -> dict:
    data = data if isinstance(data, dict) else {}
    return {"type": budget.take(data.get("type", "") if isinstance(data.get("type", ""), str) else "?",
                                FIELD_CAPS["type"]),
            "message": budget.take(_string(data.get("message")), FIELD_CAPS["message"]),
            "traceback": budget.take(_string(data.get("traceback")), FIELD_CAPS["traceback"])}


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def cell_record(event: dict, budget: TextBudget) -> CellRecord:
    if event["status"] not in ("ok", "error"):
        raise GateError("unknown cell status")
    magics = [budget.take(m, FIELD_CAPS["magic"]) for m in event["magics"][:MAX_MAGICS] if isinstance(m, str)]
    return CellRecord(index=event["index"], status=event["status"],
                      error=error_record(event["error"], budget) if event["error"] is not None else None,
                      output=budget.take(terminal_text(event["output"]), FIELD_CAPS["output"]), magics=magics,
                      seconds=max(0.0, float(event["seconds"])))


def observation(event: dict, budget: TextBudget) -> Observation:
    seconds = max(0.0, float(event["seconds"]))
    if not event["ok"]:
        return Observation(ok=False, error=error_record(event["error"], budget), seconds=seconds)
    try:
        return Observation(ok=True, value=value(event["value"]), seconds=seconds)
    except (GateError, wire.WireError, ValueError, TypeError) as exc:
        error = {"type": "MalformedObservation", "message": clean_text(exc, FIELD_CAPS["message"]), "traceback": ""}
        return Observation(ok=False, error=error, seconds=seconds)


def environment(event: dict) -> dict:
    return {"tensorflow_version": clean_text(event["tensorflow_version"], FIELD_CAPS["version"]),
            "keras_version": clean_text(event["keras_version"], FIELD_CAPS["version"]),
            "python_version": clean_text(event["python_version"], FIELD_CAPS["version"]),
            "import_seconds": round(max(0.0, float(event["import_seconds"])), 3)}


def confinement(data: dict) -> dict:
    """The child's own account of its confinement, sent before any submission code ran in it."""
    def flag(key):
        return data.get(key) is True

    def number(key):
        value = data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    notes = data.get("notes") if isinstance(data.get("notes"), list) else []
    return {"private_folders": flag("private_folders"), "seccomp": flag("seccomp"), "no_new_privs": flag("no_new_privs"),
            "uid": number("uid"), "host_uid": number("host_uid"), "cap_eff": number("cap_eff"),
            "cap_prm": number("cap_prm"),
            "notes": [clean_text(n, FIELD_CAPS["note"]) for n in notes[:20] if isinstance(n, str)]}


def process_output(raw: bytes, cap: int) -> str:
    text = TF_NOISE.sub("", raw.decode("utf-8", errors="replace"))
    return clean_text(terminal_text(text), cap)


# --- observed values ------------------------------------------------------------------------------------
class _Count:
    def __init__(self):
        self.elements = 0
        self.items = 0


def value(data: Any) -> Any:
    """A wire-encoded observation as Python/NumPy values, every part checked and bounded."""
    return _value(data, 0, _Count())


def _value(data: Any, depth: int, count: _Count) -> Any:
    if depth > MAX_DEPTH:
        raise GateError("observation nested too deeply")
    if data is None or isinstance(data, bool):
        return data
    if isinstance(data, int):
        if abs(data) > 2**63:
            raise GateError("integer out of range")
        return data
    if isinstance(data, float):
        if not math.isfinite(data):
            raise GateError("non-finite number outside the float tag")
        return data
    if isinstance(data, str):
        return clean_text(data, FIELD_CAPS["string"])
    if isinstance(data, list):
        count.items += len(data)
        if count.items > MAX_ITEMS:
            raise GateError("observation has too many items")
        return [_value(v, depth + 1, count) for v in data]
    if not isinstance(data, dict):
        raise GateError(f"unexpected JSON value of type {type(data).__name__}")
    if set(data) == {wire.ARRAY_TAG}:
        array = wire.decode_array(data[wire.ARRAY_TAG], MAX_ELEMENTS - count.elements)
        count.elements += array.size
        return array
    if set(data) == {wire.FLOAT_TAG}:
        if data[wire.FLOAT_TAG] not in ("nan", "inf", "-inf"):
            raise GateError("bad non-finite float")
        return float(data[wire.FLOAT_TAG])
    if set(data) == {wire.REPR_TAG}:
        return wire.Unrepresentable(clean_text(_string(data[wire.REPR_TAG]), FIELD_CAPS["repr"]))
    count.items += len(data)
    if count.items > MAX_ITEMS:
        raise GateError("observation has too many items")
    return {clean_text(k, FIELD_CAPS["name"]): _value(v, depth + 1, count) for k, v in data.items()}


def finite_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and math.isfinite(float(value))
