"""Trivial submissions: every function a template asks for, replaced by the same kind of trivial code.

``submission(assignment, variant)`` takes ``assignments/<id>/template.ipynb`` cell by cell, keeps every
cell as it is (imports, the ``parameters`` cell, variable definitions, the cells that call the functions)
and replaces the body of each function the template asks the student to write (the functions whose
template code holds a ``TODO``) with one kind of trivial implementation:

* ``none``: the template's own blank TODO body, unchanged (the template exactly as shipped);
* ``zeros``: zeros of a plausible shape and dtype (0.0 for a scalar; a Keras model of Dense layers of the
  right sizes, linear, as Keras initialises it and never trained; a History-like record of zero losses);
* ``constant``: the same with ones / 1.0;
* ``identity``: the first argument unchanged (a function that returns a list per step or a tuple returns
  its input unchanged in that form; training functions do nothing and return an empty list or History);
* ``raises``: raises NotImplementedError;
* ``hangs``: ``while True: pass``.

Module-level values the checks read get the matching treatment (softmax's example values are computed
with the trivial functions); weights the grader injects into (XOR's W1..b2, MNIST's W and b) stay as the
template creates them. The result is a jupytext percent-format script (``# %%`` cells, the template's
``tags=["parameters"]`` cell kept), as a student would submit it.
"""

from __future__ import annotations

import ast
import copy
import textwrap
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("none", "zeros", "constant", "identity", "raises", "hangs")
RAISES = 'raise NotImplementedError("trivial submission")'
HANGS = "while True:\n    pass"


def _history(value: str, keys: tuple[str, ...]) -> str:
    listed = ", ".join(repr(k) for k in keys)
    return (f"history = tf.keras.callbacks.History()\n"
            f"history.history = {{key: [{value}] * epochs for key in ({listed},)}}\n"
            f"return history")


# function -> variant -> body, for the variants whose body differs per function (none/raises/hangs do not)
FUNCTIONS: dict[str, dict[str, dict[str, str]]] = {
    "gradient_descent": {
        "elementwise_product": {"zeros": "return tf.zeros_like(a)", "constant": "return tf.ones_like(a)",
                                "identity": "return a"},
        "matrix_product": {"zeros": "return tf.zeros((a.shape[0], b.shape[1]), a.dtype)",
                           "constant": "return tf.ones((a.shape[0], b.shape[1]), a.dtype)",
                           "identity": "return a"},
        "add_row_to_each_row": {"zeros": "return tf.zeros_like(a)", "constant": "return tf.ones_like(a)",
                                "identity": "return a"},
        "count_above": {"zeros": "return tf.constant(0)", "constant": "return tf.constant(1)",
                        "identity": "return a"},
        "column_sums": {"zeros": "return tf.zeros(a.shape[1:], a.dtype)",
                        "constant": "return tf.ones(a.shape[1:], a.dtype)", "identity": "return a"},
        "row_sums": {"zeros": "return tf.zeros(a.shape[:1], a.dtype)",
                     "constant": "return tf.ones(a.shape[:1], a.dtype)", "identity": "return a"},
        "derivative_of_square": {"zeros": "return 0.0", "constant": "return 1.0", "identity": "return x_value"},
        "partials_of_3x2_plus_y": {"zeros": "return [0.0, 0.0]", "constant": "return [1.0, 1.0]",
                                   "identity": "return [x_value, y_value]"},
        "derivative_of_watched_cube": {"zeros": "return 0.0", "constant": "return 1.0",
                                       "identity": "return x_value"},
        # a list of x after each step: x never moves (identity), or sits at 0 / 1
        "gradient_descent": {"zeros": "return [0.0] * steps", "constant": "return [1.0] * steps",
                             "identity": "return [float(x0)] * steps"},
    },
    "xor": {
        "run_network": {"zeros": "return tf.zeros((x.shape[0], 1))", "constant": "return tf.ones((x.shape[0], 1))",
                        "identity": "return x"},
        "calc_loss": {"zeros": "return tf.constant(0.0)", "constant": "return tf.constant(1.0)",
                      "identity": "return x"},  # no argument: the network's input, unchanged
        "train_step": {"zeros": "return tf.constant(0.0)", "constant": "return tf.constant(1.0)",
                       "identity": "return eta"},
        "build_model": {
            "zeros": "return tf.keras.Sequential([tf.keras.layers.Dense(2), tf.keras.layers.Dense(1)])",
            "constant": "return tf.keras.Sequential([\n"
                        "    tf.keras.layers.Dense(2, kernel_initializer='ones', bias_initializer='ones'),\n"
                        "    tf.keras.layers.Dense(1, kernel_initializer='ones', bias_initializer='ones'),\n"
                        "])",
            "identity": "return tf.keras.Sequential([tf.keras.layers.Identity()])",  # no argument
        },
        "train_model": {"zeros": _history("0.0", ("loss",)), "constant": _history("1.0", ("loss",)),
                        "identity": "return tf.keras.callbacks.History()"},
    },
    "softmax": {
        "softmax": {"zeros": "return tf.zeros_like(y)", "constant": "return tf.ones_like(y)", "identity": "return y"},
        "cross_entropy": {"zeros": "return tf.constant(0.0)", "constant": "return tf.constant(1.0)",
                          "identity": "return p"},
        "one_hot": {"zeros": "return tf.zeros((labels.shape[0], depth))",
                    "constant": "return tf.ones((labels.shape[0], depth))", "identity": "return labels"},
        "labels_from_one_hot": {"zeros": "return tf.zeros(t.shape[:1], tf.int64)",
                                "constant": "return tf.ones(t.shape[:1], tf.int64)", "identity": "return t"},
        "keras_cross_entropy": {"zeros": "return tf.constant(0.0)", "constant": "return tf.constant(1.0)",
                                "identity": "return labels"},
    },
    "mnist": {
        "preprocess": {"zeros": "return np.zeros((len(images), 784), np.float32)",
                       "constant": "return np.ones((len(images), 784), np.float32)", "identity": "return images"},
        "run_network": {"zeros": "return tf.zeros((x.shape[0], 10))", "constant": "return tf.ones((x.shape[0], 10))",
                        "identity": "return x"},
        "calc_loss": {"zeros": "return tf.constant(0.0)", "constant": "return tf.constant(1.0)",
                      "identity": "return x"},
        "train_step": {"zeros": "return tf.constant(0.0)", "constant": "return tf.constant(1.0)",
                       "identity": "return x"},
        "train": {"zeros": "return [0.0] * iterations", "constant": "return [1.0] * iterations",
                  "identity": "return []"},
        "accuracy": {"zeros": "return 0.0", "constant": "return 1.0", "identity": "return x"},
    },
    "iris": {
        "normalise": {
            "zeros": "inputs = np.asarray(inputs, np.float64)\n"
                     "return np.zeros_like(inputs), np.zeros(inputs.shape[1]), np.zeros(inputs.shape[1])",
            "constant": "inputs = np.asarray(inputs, np.float64)\n"
                        "return np.ones_like(inputs), np.ones(inputs.shape[1]), np.ones(inputs.shape[1])",
            # the inputs unchanged, with the statistics that leave them unchanged (mean 0, s.d. 1)
            "identity": "return inputs, np.zeros(np.shape(inputs)[1]), np.ones(np.shape(inputs)[1])",
        },
        "one_hot": {"zeros": "return np.zeros((len(labels), 3))", "constant": "return np.ones((len(labels), 3))",
                    "identity": "return labels"},
        "build_model": {
            "zeros": "return keras.Sequential([keras.layers.Dense(20), keras.layers.Dense(20), keras.layers.Dense(3)])",
            "constant": "return keras.Sequential([\n"
                        "    keras.layers.Dense(20, kernel_initializer='ones', bias_initializer='ones'),\n"
                        "    keras.layers.Dense(20, kernel_initializer='ones', bias_initializer='ones'),\n"
                        "    keras.layers.Dense(3, kernel_initializer='ones', bias_initializer='ones'),\n"
                        "])",
            "identity": "return l2",
        },
        "train": {"zeros": _history("0.0", ("loss", "accuracy", "val_loss", "val_accuracy")),
                  "constant": _history("1.0", ("loss", "accuracy", "val_loss", "val_accuracy")),
                  "identity": "return keras.callbacks.History()"},
        "save_and_reload": {  # a new model (not loaded from any file)
            "zeros": "copy = build_model()\ncopy(np.zeros((1, 4), np.float32))\n"
                     "copy.set_weights([np.zeros_like(w) for w in copy.get_weights()])\nreturn copy",
            "constant": "copy = build_model()\ncopy(np.zeros((1, 4), np.float32))\n"
                        "copy.set_weights([np.ones_like(w) for w in copy.get_weights()])\nreturn copy",
            "identity": "return model",
        },
    },
}

# module-level values: variant -> [(template text, replacement)]; "none" keeps the template's
_EXAMPLE_P = "chair_table_door_bed_probabilities = None  # TODO: softmax of y = (-0.2, 0.5, 0.1, 0.1), 4 numbers"
_EXAMPLE_L = 'table_loss = None  # TODO: the cross-entropy for the target "table"'
_WITH_SOFTMAX = "chair_table_door_bed_probabilities = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]]))[0]"
VALUES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "softmax": {
        "zeros": [(_EXAMPLE_P, _WITH_SOFTMAX), (_EXAMPLE_L, "table_loss = 0.0")],
        "constant": [(_EXAMPLE_P, _WITH_SOFTMAX), (_EXAMPLE_L, "table_loss = 1.0")],
        # p(table) itself, unchanged (no −log)
        "identity": [(_EXAMPLE_P, _WITH_SOFTMAX), (_EXAMPLE_L, "table_loss = chair_table_door_bed_probabilities[1]")],
        "raises": [(_EXAMPLE_P, _WITH_SOFTMAX), (_EXAMPLE_L, "table_loss = chair_table_door_bed_probabilities[1]")],
        "hangs": [(_EXAMPLE_P, _WITH_SOFTMAX), (_EXAMPLE_L, "table_loss = chair_table_door_bed_probabilities[1]")],
    },
}

# Extra students for MNIST: the template leaves W and b as None, so every probe that injects weights stops
# at "W is a NoneType" before it calls a function. These declare the variables (zeros, as tf.Variables of
# the right shapes) so that the trivial functions themselves are judged too.
DECLARED_VARIABLES = {
    "mnist": [("W = None  # TODO: a tf.Variable of shape (784, 10)", "W = tf.Variable(tf.zeros([784, 10]))"),
              ("b = None  # TODO: a tf.Variable of shape (10,)", "b = tf.Variable(tf.zeros([10]))")],
}
DECLARED_SUFFIX = "_declared"


def template(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "assignments" / assignment / "template.ipynb", as_version=4)


def _todo_functions(source: str) -> list[ast.FunctionDef]:
    tree = ast.parse(source)
    lines = source.splitlines()
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)
            and "TODO" in "\n".join(lines[node.lineno - 1:_end(lines, node)])]


def _end(lines: list[str], node: ast.FunctionDef) -> int:
    """The line after the function, including indented comment lines after its last statement (a TODO)."""
    end = node.end_lineno
    while end < len(lines) and lines[end].startswith((" ", "\t")) and lines[end].strip().startswith("#"):
        end += 1
    return end


def required_functions(assignment: str) -> list[str]:
    """The functions the template asks the student to write: those whose template code holds a TODO."""
    return [node.name for cell in template(assignment).cells if cell.cell_type == "code"
            for node in _todo_functions(cell.source)]


def body(assignment: str, function: str, variant: str) -> str | None:
    """The trivial body of ``function`` for ``variant``; None for ``none`` (the template's own body)."""
    if variant == "none":
        return None
    if variant == "raises":
        return RAISES
    if variant == "hangs":
        return HANGS
    return FUNCTIONS[assignment][function][variant]


def _replace_bodies(source: str, assignment: str, variant: str) -> str:
    lines = source.splitlines()
    for node in sorted(_todo_functions(source), key=lambda n: n.lineno, reverse=True):
        new = body(assignment, node.name, variant)
        if new is None:
            continue
        first = node.body[0]
        docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str)
        keep = first.end_lineno if docstring else first.lineno - 1  # the signature (and docstring)
        indent = " " * (first.col_offset)
        lines[keep:_end(lines, node)] = textwrap.indent(new, indent).splitlines()
    return "\n".join(lines) + ("\n" if source.endswith("\n") else "")


def _replace_values(cells: list, replacements: list[tuple[str, str]]) -> None:
    for old, new in replacements:
        hits = [cell for cell in cells if cell.cell_type == "code" and old in cell.source]
        assert len(hits) == 1 and hits[0].source.count(old) == 1, f"{old!r} is not once in the template"
        hits[0].source = hits[0].source.replace(old, new)


def students(assignment: str) -> list[str]:
    extra = [v + DECLARED_SUFFIX for v in VARIANTS if v != "hangs"] if assignment in DECLARED_VARIABLES else []
    return list(VARIANTS) + extra


def notebook(assignment: str, student: str) -> nbformat.NotebookNode:
    variant = student.removesuffix(DECLARED_SUFFIX)
    assert variant in VARIANTS, student
    nb = copy.deepcopy(template(assignment))
    _replace_values(nb.cells, VALUES.get(assignment, {}).get(variant, []))
    if student.endswith(DECLARED_SUFFIX):
        _replace_values(nb.cells, DECLARED_VARIABLES[assignment])
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _replace_bodies(cell.source, assignment, variant)
    return nb


def submission(assignment: str, student: str) -> str:
    """The trivial submission as a jupytext percent-format script."""
    return jupytext.writes(notebook(assignment, student), fmt="py:percent")


def write_class(assignment: str, root: Path) -> dict[str, Path]:
    """``root/<student>/<assignment>.py`` for every trivial student of the assignment."""
    written = {}
    for student in students(assignment):
        folder = root / student
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{assignment}.py"
        path.write_text(submission(assignment, student))
        written[student] = path
    return written
