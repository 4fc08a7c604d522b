"""iris: pre-processing, the regularised 4-20-20-3 network, fit, early stopping, overfitting, saving.

Each grading run trains several small Keras models, so mistakes are combined into few variants whose
checks do not depend on one another, and the faked-training variants are graded on public checks only.
"""

from pathlib import Path

import pytest

from grader import pipeline

from conftest import EXAMPLES, REFERENCE, SEED, checks_by_name, copy_to_class, failing, grade_file, variant


def grade_class(root: Path, public_only: bool = False) -> dict:
    """Grade every iris submission under ``root`` in one run (the reference is observed once)."""
    run = pipeline.grade(root, assignment="iris", seed=SEED, public_only=public_only)
    assert not run.harness_errors, run.harness_errors
    return {s.student: s for s in run.submissions}


def test_reference_scores_full_marks(tmp_path):
    result = grade_file(copy_to_class(REFERENCE / "iris.py", tmp_path, "ref"))
    assert result.status == "graded" and result.score == result.max_score == 25
    checks = checks_by_name(result)
    assert "ratio" in checks["regularisation_narrows_gap"].message
    assert "stopped after 3 of 15" in checks["early_stopping"].message


def test_plausible_mistakes_are_named(tmp_path):
    # ddof=1 (the notes' σ formula), L2 on the biases, one-hot depth from the labels, no real reload,
    # EarlyStopping without patience (Keras's default patience is 0)
    variant("iris", {
        'monitor="val_loss", patience=patience,': 'monitor="val_loss",',
        "column_stds = np.std(inputs, axis=0)": "column_stds = np.std(inputs, axis=0, ddof=1)",
        "kernel_regularizer=keras.regularizers.l2(l2)": "bias_regularizer=keras.regularizers.l2(l2)",
        "tf.one_hot(labels, depth=3)": "tf.one_hot(labels, depth=int(np.max(labels)) + 1)",
        'return keras.models.load_model(path + ".keras")': "return model",
    }, tmp_path, student="first")
    # relu, a fixed L2 factor, Keras's default batch size, no early stopping
    variant("iris", {
        'activation="tanh"': 'activation="relu"',
        "keras.regularizers.l2(l2)": "keras.regularizers.l2(0.001)",
        "batch_size=20, ": "",
        "callbacks=[stop], ": "",
    }, tmp_path, student="second")
    results = grade_class(tmp_path / "class")

    first = checks_by_name(results["first"])
    assert "n − 1" in first["normalise"].message and "n − 1" in first["normalise_hidden"].message
    assert "bias_regularizer" in first["architecture"].message
    assert "on the biases" in first["l2_penalty_hidden"].message
    assert first["regularisation_narrows_gap"].status == "failed"
    assert "depth must always be 3" in first["one_hot_hidden"].message
    assert "returned the model it was given" in first["save_and_reload"].message
    assert "stopped after 2 epochs, before 2 epochs without a better" in first["early_stopping"].message
    assert {"one_hot", "forward_hidden", "fit_configuration"}.isdisjoint(failing(results["first"]))

    second = checks_by_name(results["second"])
    assert "relu" in second["architecture"].message and "uses the factor 0.001" in second["architecture"].message
    assert "relu" in second["forward_hidden"].message
    assert "ignores build_model's l2 argument (it uses 0.001)" in second["l2_penalty_hidden"].message
    assert "batch_size is not set" in second["fit_configuration"].message
    assert "ran all 15 epochs" in second["early_stopping"].message
    assert {"normalise", "normalise_hidden", "one_hot", "one_hot_hidden", "save_and_reload"}.isdisjoint(
        failing(results["second"]))


@pytest.mark.slow
def test_faked_history_earns_nothing(tmp_path):
    # no training at all, a History-like object with perfect figures
    variant("iris", {
        "    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),":
            "    class Fake:\n"
            "        history = {k: [0.0 if 'loss' in k else 1.0] * epochs\n"
            "                   for k in ('loss', 'accuracy', 'val_loss', 'val_accuracy')}\n"
            "    return Fake()\n"
            "    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),",
    }, tmp_path, student="faker")
    # real training, then the validation accuracy "polished" to 1.0
    variant("iris", {
        "    return model.fit(x_train": "    history = model.fit(x_train",
        "callbacks=[stop], verbose=0)": "callbacks=[stop], verbose=0)\n"
                                        "    history.history['val_accuracy'] = [1.0] * len(history.history['loss'])\n"
                                        "    return history",
    }, tmp_path, student="polisher")
    results = grade_class(tmp_path / "class", public_only=True)

    faker = checks_by_name(results["faker"])
    assert "ran no training step" in faker["fit_configuration"].message
    assert faker["learns_iris"].status == "failed" and faker["early_stopping"].status == "failed"
    assert faker["learns_iris"].score == faker["fit_configuration"].score == 0

    polisher = checks_by_name(results["polisher"])
    assert "never shows the validation accuracy" in polisher["fit_configuration"].message
    assert polisher["learns_iris"].status == "passed"  # the real training still counts


def test_examples_lose_exactly_their_mistakes(tmp_path):
    copy_to_class(EXAMPLES / "ben" / "iris.ipynb", tmp_path, "ben")
    copy_to_class(EXAMPLES / "cy" / "iris.ipynb", tmp_path, "cy")
    results = grade_class(tmp_path / "class")

    ben = results["ben"]
    assert failing(ben) == {"normalise", "normalise_hidden"} and ben.score == 20
    assert "axis=1" in checks_by_name(ben)["normalise"].message

    cy = results["cy"]
    checks = checks_by_name(cy)
    # the notes' Keras 2 save is explained once, at the cell where it failed; the check points there
    assert ".keras" in checks["save_and_reload"].message and "see the hint there" in checks["save_and_reload"].message
    assert sum("Keras 2" in c.hint for c in cy.cells) == 1
    assert "SyntaxError" in checks["fit_configuration"].message
    assert failing(cy) == {"fit_configuration", "learns_iris", "early_stopping", "regularisation_narrows_gap",
                           "save_and_reload"}
    assert cy.score == 13  # the notes' in-place normalisation and the model itself still earn their points
    assert any(c.error_type == "SyntaxError" for c in cy.cells)
