"""Hints that turn a traceback into the fix, above all for code copied from Keras 2 era notes.

Each hint matches an exception type and a regular expression on its message (as measured on
TF 2.21 / Keras 3.15) and says what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    exception: str
    pattern: str
    text: str

    def matches(self, error: dict) -> bool:
        return (self.exception in ("*", error.get("type"))
                and re.search(self.pattern, error.get("message", ""), re.S) is not None)


HINTS = (
    Hint("AttributeError", r"object has no attribute 'minimize'",
         "Keras 3 optimizers have no .minimize() (the lecture notes use Keras 2). Compute the loss inside "
         "`with tf.GradientTape() as tape:`, then `grads = tape.gradient(loss, variables)` and "
         "`optimizer.apply_gradients(zip(grads, variables))`."),
    Hint("ValueError", r"Argument\(s\) not recognized.*'lr'",
         "Keras 3 renamed `lr=` to `learning_rate=`: write `tf.keras.optimizers.SGD(learning_rate=0.1)`."),
    Hint("ValueError", r"Argument\(s\) not recognized.*'decay'",
         "Keras 3 optimizers have no `decay=`: pass a schedule such as "
         "`tf.keras.optimizers.schedules.InverseTimeDecay` as `learning_rate=`."),
    Hint("ValueError", r"(Invalid filepath extension|\.keras` extension|file extension)",
         "Keras 3 saves a whole model only to a `.keras` file: `model.save('IrisModel.keras')` and "
         "`keras.models.load_model('IrisModel.keras')` (the notes' `save(\"IrisModel\")` is Keras 2)."),
    Hint("ValueError", r"File format not supported: filepath=(?!.*\.keras)|File not found: filepath=(?!.*\.keras)",
         "Keras 3 loads whole models from a `.keras` file: save with `model.save('IrisModel.keras')` and load "
         "that path (the notes' Keras 2 `load_model('IrisModel')` reads a SavedModel folder, which Keras 3 does not)."),
    Hint("ValueError", r"filename must end in `\.weights\.h5`",
         "Keras 3 saves weights only to a file ending in `.weights.h5`: `model.save_weights('iris.weights.h5')`."),
    Hint("AttributeError", r"no attribute 'predict_classes'",
         "`predict_classes` was removed: use `np.argmax(model.predict(x), axis=1)`."),
    Hint("TypeError", r"unexpected keyword argument 'nb_epoch'",
         "`nb_epoch=` is Keras 1: write `epochs=`."),
    Hint("KeyError", r"^'(acc|val_acc)'$",
         "The history keys are named after the metric you compiled with: `metrics=['accuracy']` gives "
         "'accuracy' and 'val_accuracy' ('acc' was Keras 1)."),
    Hint("NameError", r"name 'keras' is not defined",
         "The notes use `keras.regularizers.l2` without importing it: add `import keras` "
         "(or write `tf.keras.regularizers.l2`)."),
    Hint("TypeError", r"unsupported operand type\(s\) for .*'NoneType'",
         "A gradient came back as None: the value was computed outside the `with tf.GradientTape()` block, "
         "or with respect to something the tape does not watch. Writing `x = x - eta * dydx` does that: x "
         "becomes a plain tensor and the next step's gradient is None. Update the variable in place, "
         "`x.assign(x - eta * dydx)` (or `x.assign_sub(eta * dydx)`); a tf.constant needs `tape.watch(x)`."),
    Hint("*", r"attr 'T' of bool is not in the list of allowed values|cannot compute Sum as input .* bool",
         "tf.reduce_sum cannot add booleans: `a > threshold` gives True/False values. Cast them to numbers "
         "first, `tf.reduce_sum(tf.cast(a > threshold, tf.int32))`."),
    Hint("AttributeError", r"object has no attribute 'assign",
         "Only a `tf.Variable` can be updated with `.assign(...)`: create it with `tf.Variable(...)`, "
         "not `tf.constant(...)`."),
    Hint("*", r"(expected to be a (float|int\d*) tensor but is a|cannot compute \w+ as input)",
         "The two tensors have different dtypes (e.g. int32 labels minus float32 outputs): TensorFlow never "
         "converts for you, use `tf.cast(t, tf.float32)` or create the constant with `tf.float32`."),
    Hint("*", r"(Matrix size-incompatible|In\[0\] mismatch In\[1\] shape|Dimensions must be equal)",
         "The shapes do not fit a matrix product: for `tf.matmul(a, b)` the columns of a must equal the rows "
         "of b. With one example per row, x has shape (n, inputs) and W1 has shape (inputs, hidden)."),
    Hint("*", r"(Incompatible shapes|are incompatible|not broadcastable)",
         "Two shapes could not be broadcast together: print the `.shape` of both operands. Broadcasting lines "
         "shapes up from the right; a column of shape (n, 1) and a vector of shape (n,) are not the same."),
    Hint("*", r"must have rank \(ndim\) `target.ndim - 1`|expected .* to have rank",
         "SparseCategoricalCrossentropy expects integer class labels of shape (n,), not one-hot rows: pass "
         "the labels themselves (or use CategoricalCrossentropy for one-hot targets)."),
    Hint("*", r"`target` and `output` must have the same rank",
         "CategoricalCrossentropy expects one-hot targets of shape (n, classes): one-hot encode the labels with "
         "tf.one_hot, or use SparseCategoricalCrossentropy for integer labels."),
    Hint("ValueError", r"Invalid value for argument `reduction`.*auto",
         "Keras 3 has no reduction='auto' (Keras 2's Reduction.AUTO): leave `reduction` out; the default "
         "already averages over the examples."),
    Hint("ImportError", r"cannot import name 'np_utils'",
         "`keras.utils.np_utils` is Keras 2: use `keras.utils.to_categorical` or `tf.one_hot`."),
    Hint("SyntaxError", r".",
         "The cell does not parse: look for a `# TODO` or `#` placeholder left in the code "
         "(e.g. `[#, #]` in a shape)."),
)


def hint_for(error: dict | None) -> str:
    if not error:
        return ""
    for hint in HINTS:
        if hint.matches(error):
            return hint.text
    return ""
