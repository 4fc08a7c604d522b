"""Reading submissions: nbformat notebooks, jupytext scripts, papermill-style parameter injection."""

from __future__ import annotations

import nbformat
import pytest

from grader.notebook import INJECTED_INDEX, UnreadableSubmission, code_cells


def notebook(tmp_path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = tmp_path / "xor.ipynb"
    nbformat.write(nb, path)
    return path


def test_budget_is_injected_right_after_the_parameters_cell(tmp_path):
    params = nbformat.v4.new_code_cell("ITERATIONS = 20000", metadata={"tags": ["parameters"]})
    path = notebook(tmp_path, [nbformat.v4.new_markdown_cell("# hi"), nbformat.v4.new_code_cell("import tf"),
                               params, nbformat.v4.new_code_cell("train(ITERATIONS)")])
    loaded = code_cells(path, {"ITERATIONS": 200})
    assert [c["index"] for c in loaded.cells] == [1, 2, INJECTED_INDEX, 3]
    assert "ITERATIONS = 200" in loaded.cells[2]["source"] and not loaded.notes


def test_missing_parameters_tag_is_reported(tmp_path):
    path = notebook(tmp_path, [nbformat.v4.new_code_cell("ITERATIONS = 20000")])
    loaded = code_cells(path, {"ITERATIONS": 200})
    assert loaded.cells[0]["index"] == INJECTED_INDEX and "tagged 'parameters'" in loaded.notes[0]


def test_scripts_are_split_into_cells_like_notebooks(tmp_path):
    path = tmp_path / "xor.py"
    path.write_text("# %%\nimport math\n\n# %% tags=[\"parameters\"]\nN = 5\n\n# %%\nprint(N)\n")
    loaded = code_cells(path, {"N": 1})
    assert [c["index"] for c in loaded.cells] == [1, 2, INJECTED_INDEX, 3]


def test_unreadable_files_raise_a_clear_error(tmp_path):
    bad = tmp_path / "xor.ipynb"
    bad.write_text("{ nope")
    with pytest.raises(UnreadableSubmission, match="not a readable Jupyter notebook"):
        code_cells(bad, {})
    with pytest.raises(UnreadableSubmission, match="not graded"):
        code_cells(tmp_path / "xor.txt", {})
