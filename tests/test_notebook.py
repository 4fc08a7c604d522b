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


MALFORMED = {
    "cells not a list": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {"0": "x"}},
    "cell not an object": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ["print(1)"]},
    "source a number": {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                        "cells": [{"cell_type": "code", "source": 5, "metadata": {}, "outputs": []}]},
    "source a list of numbers": {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                 "cells": [{"cell_type": "code", "source": [1, 2], "metadata": {}, "outputs": []}]},
    "no nbformat": {"metadata": {}, "cells": []},
    "nbformat a string": {"nbformat": "four", "cells": []},
    "nbformat from the future": {"nbformat": 99, "nbformat_minor": 0, "metadata": {}, "cells": []},
    "a JSON list": [1, 2, 3],
    "deeply nested": b'{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"x": ' + b"[" * 50_000
                     + b"]" * 50_000 + b"}}",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_notebook_is_the_submissions_problem_never_the_graders(name, tmp_path):
    import json

    from grader.notebook import cells_of, parse

    data = MALFORMED[name] if isinstance(MALFORMED[name], bytes) else json.dumps(MALFORMED[name]).encode()
    try:
        cells = cells_of(parse("xor.ipynb", data), {"N": 1})
    except UnreadableSubmission as exc:
        assert str(exc)  # says why
    else:
        assert all(isinstance(c["source"], str) for c in cells.cells)


def test_old_notebook_formats_are_read(tmp_path):
    import json

    from grader.notebook import cells_of, parse

    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "x = 1", "language": "python", "metadata": {}, "outputs": []}]}]}
    cells = cells_of(parse("xor.ipynb", json.dumps(v3).encode()), {})
    assert cells.cells == [{"index": 1, "source": "x = 1"}]


def test_bytes_that_are_not_text_or_too_many_are_refused(tmp_path):
    from grader.notebook import MAX_BYTES, parse, read_bytes

    with pytest.raises(UnreadableSubmission, match="not UTF-8"):
        parse("xor.ipynb", b"\xff\xfe{}")
    big = tmp_path / "xor.ipynb"
    with open(big, "wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(UnreadableSubmission, match="MB"):
        read_bytes(big)


def test_a_fifo_or_a_folder_is_refused_without_blocking(tmp_path):
    import os

    from grader.notebook import read_bytes

    os.mkfifo(tmp_path / "xor.ipynb")  # opening it for reading would wait for a writer forever
    with pytest.raises(UnreadableSubmission, match="not a regular file"):
        read_bytes(tmp_path / "xor.ipynb")
    (tmp_path / "dir.ipynb").mkdir()
    with pytest.raises(UnreadableSubmission):
        read_bytes(tmp_path / "dir.ipynb")
