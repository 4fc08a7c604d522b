"""Unit tests for the trust boundary's wire format and for finding submissions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.sandbox import wire
from grader.submissions import discover


def test_arrays_cross_bit_exact_and_nonfinite_floats_survive():
    value = {"w": np.array([[1.5, -2.25]], np.float32), "n": np.int64(3), "f": [float("nan"), float("inf")],
             "ok": True, "name": "x"}
    back = wire.decode(wire.encode(value))
    assert back["w"].dtype == np.float32 and back["w"].tolist() == [[1.5, -2.25]]
    assert back["n"].dtype == np.int64 and int(back["n"]) == 3
    assert math.isnan(back["f"][0]) and back["f"][1] == math.inf
    assert back["ok"] is True and back["name"] == "x"


def test_objects_are_described_not_shipped():
    back = wire.decode(wire.encode({"fn": print, "obj": object()}))
    assert isinstance(back["fn"], wire.Unrepresentable) and "builtin_function" in back["fn"]


@pytest.mark.parametrize("spec", [
    {"dtype": "object", "shape": [1], "b64": "AA=="},
    {"dtype": "float32", "shape": [2], "b64": "AAAAAA=="},
    {"dtype": "float32", "shape": [-1], "b64": ""},
    {"dtype": "float32", "shape": [1], "b64": 5},
])
def test_malformed_arrays_are_rejected(spec):
    with pytest.raises((wire.WireError, ValueError)):
        wire.decode({wire.ARRAY_TAG: spec})


def test_discovery_turns_every_misplaced_file_into_a_problem(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "xor.ipynb").write_text("{}")
    (tmp_path / "ada" / "xor.py").write_text("")
    (tmp_path / "ada" / "gradient_descent.txt").write_text("")
    (tmp_path / "ada" / "extra").mkdir()
    (tmp_path / "ada" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "stray.ipynb").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "gradient_descent.py").symlink_to(tmp_path / "ada" / "xor.py")
    (tmp_path / "eve").symlink_to(tmp_path / "ada")
    found = discover(tmp_path, ["gradient_descent", "xor"])
    problems = {s.path.name: s.problem for s in found}
    assert problems["xor.ipynb"] is None
    assert "was submitted too" in problems["xor.py"]
    assert "not graded" in problems["gradient_descent.txt"]
    assert "unexpected folder" in problems["extra"]
    assert "stray file" in problems["stray.ipynb"]
    assert ".ipynb_checkpoints" not in problems
    assert "symbolic links" in problems["gradient_descent.py"] and "symbolic links" in problems["eve"]
    assert [s.path.name for s in discover(tmp_path, ["gradient_descent", "xor"], only="xor")] == ["xor.ipynb", "xor.py"]
