"""Which assignment a file is: the notebook's metadata first, then a tolerant match of its name."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from grader.identify import by_name, identify
from grader.submissions import discover, layout_problem
from conftest import EXAMPLES, ROOT

KNOWN = ["gradient_descent", "xor", "softmax", "mnist", "iris"]


@pytest.mark.parametrize("name, expected", [
    ("XOR_final.ipynb", "xor"), ("xor (1).ipynb", "xor"), ("softmax (1).ipynb", "softmax"),
    ("Gradient Descent.ipynb", "gradient_descent"), ("hw1-gradientdescent-v2.py", "gradient_descent"),
    ("MNIST_lab3.ipynb", "mnist"), ("iris-overfitting.ipynb", "iris"), ("Lab2_XOR_network.ipynb", "xor"),
])
def test_renamed_files_are_matched_by_name(name, expected):
    assert by_name(name, KNOWN) == [expected]
    found = identify(name, None, KNOWN)
    assert found.assignment == expected and expected in found.how and name in found.how


@pytest.mark.parametrize("name", ["homework3.ipynb", "xorsoftmax.ipynb", "Untitled.ipynb", "xor_and_softmax.ipynb"])
def test_names_that_fit_none_or_several_are_refused_with_help(name):
    found = identify(name, None, KNOWN)
    assert found.assignment is None and "xor.ipynb" in found.problem


def test_every_template_names_its_assignment_in_its_metadata():
    for assignment in KNOWN:
        data = (ROOT / "assignments" / assignment / "template.ipynb").read_bytes()
        assert identify("Untitled.ipynb", data, KNOWN).assignment == assignment


def test_the_metadata_survives_a_students_edits_and_wins_over_the_name(tmp_path):
    notebook = nbformat.read(EXAMPLES / "ada" / "softmax.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("print('my own cell')"))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "Untitled (3).ipynb"
    nbformat.write(notebook, path)
    found = identify(path.name, path.read_bytes(), KNOWN)
    assert found.assignment == "softmax" and "metadata" in found.how
    # named exactly after another assignment (mnist.ipynb begun as a copy of softmax): the exact name decides,
    # and the note says what the metadata said
    copied = identify("mnist.ipynb", path.read_bytes(), KNOWN)
    assert copied.assignment == "mnist" and "metadata says softmax" in copied.how


def test_a_jupytext_script_carries_the_key_in_its_header():
    source = "# ---\n# jupyter:\n#   nn_grader:\n#     assignment: xor\n# ---\n\n# %%\nx = 1\n"
    assert identify("my_work.py", source.encode(), KNOWN).assignment == "xor"


def test_discovery_grades_the_surest_file_and_says_what_it_matched(tmp_path):
    student = tmp_path / "class" / "ada"
    student.mkdir(parents=True)
    shutil.copy(EXAMPLES / "ada" / "xor.ipynb", student / "XOR_final.ipynb")
    shutil.copy(EXAMPLES / "ada" / "softmax.ipynb", student / "softmax (1).ipynb")
    shutil.copy(EXAMPLES / "ben" / "softmax.ipynb", student / "softmax.ipynb")
    (student / "notes.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    found = {s.path.name: s for s in discover(tmp_path / "class", KNOWN)}
    assert found["XOR_final.ipynb"].assignment == "xor" and found["XOR_final.ipynb"].problem is None
    assert "XOR_final.ipynb" in found["XOR_final.ipynb"].identified
    assert found["softmax.ipynb"].problem is None and found["softmax.ipynb"].counted
    assert not found["softmax (1).ipynb"].counted and "softmax.ipynb was submitted too" in found["softmax (1).ipynb"].problem
    assert "not a known assignment" in found["notes.ipynb"].problem


def test_a_students_folder_or_an_empty_folder_is_not_a_class(tmp_path):
    one = tmp_path / "ada"
    shutil.copytree(EXAMPLES / "ada", one)
    assert "one student's folder" in layout_problem(one, discover(one, KNOWN))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no submissions" in layout_problem(empty, discover(empty, KNOWN))
    assert layout_problem(EXAMPLES, discover(EXAMPLES, KNOWN)) is None
    assert "no xor submissions" in layout_problem(empty, [], "xor")
