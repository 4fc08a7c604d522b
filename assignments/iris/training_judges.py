"""The Iris judges of training (trusted side): fit configuration, learning, early stopping, the
overfitting comparison and saving. Every figure is recomputed from the weights the submission's
training reached, with the NumPy network of ``judges``; the History is only checked for being the
true record of that training.
"""

from __future__ import annotations

import math

from grader.judge.compare import difference
from grader.results import Curve
from grader.rubric import Evidence, Verdict, failed, passed

from .judges import BATCH, HELDOUT_ROWS, HISTORY_KEYS, accuracy, cross_entropy, readable


# --- training ----------------------------------------------------------------------------------------------
def steps_per_epoch(rows: int, batch: int = BATCH) -> int:
    return math.ceil(rows / batch)


def history_curves(got, expected, title):
    series = {}
    for who, obs in (("yours", got), ("reference", expected)):
        history = obs.get("history", {}) if isinstance(obs, dict) else {}
        for key in ("loss", "val_loss"):
            if isinstance(history.get(key), list):
                series[f"{who}: {key}"] = history[key]
    return (Curve(title, "epoch", "loss as reported by history.history (not scored)", series),) if series else ()


def fit_configuration(evidence: Evidence) -> Verdict:
    got, inputs = evidence.got, evidence.inputs
    epochs, rows = inputs["epochs"], len(inputs["x_train"])
    history = got.get("history", {})
    keys = set(history)
    iterations = int(got.get("iterations", 0))
    if iterations == 0:
        return failed("train() did not train the model it was given: Keras ran no training step on it. Compile "
                      "and fit that model (do not build a new one) and return the History that fit returns")
    loss = str(got.get("loss") or "")
    if "categorical_crossentropy" not in loss or "sparse" in loss:
        return failed(f"the model is compiled with loss={loss or None!r}: classification with one-hot targets "
                      "and a softmax output uses loss='categorical_crossentropy'")
    if keys != HISTORY_KEYS:
        hints = []
        if not {"val_loss"} & keys:
            hints.append("no validation figures: pass validation_data=(x_val, t_val) to fit")
        if {"acc", "val_acc"} & keys:
            hints.append("metrics=['acc'] names the keys 'acc'/'val_acc': use metrics=['accuracy']")
        elif "accuracy" not in keys:
            hints.append("no accuracy: compile with metrics=['accuracy']")
        return failed(f"history.history has keys {sorted(keys)}; expected {sorted(HISTORY_KEYS)}"
                      + (f" ({'; '.join(hints)})" if hints else ""))
    lengths = {len(v) for v in history.values()}
    if lengths != {epochs}:
        return failed(f"train(model, ..., epochs={epochs}, patience={epochs}) recorded {sorted(lengths)} epoch(s): "
                      "pass the epochs argument to fit(epochs=epochs) and the patience argument to EarlyStopping "
                      "(without it Keras stops at the first epoch that does not improve)")
    if iterations != epochs * steps_per_epoch(rows):
        per_epoch = iterations / epochs
        if iterations == epochs * steps_per_epoch(rows, 32):
            why = "fit's batch_size is not set, so Keras uses 32"
        else:
            why = f"that is {per_epoch:g} steps per epoch"
        return failed(f"the optimizer took {iterations} steps for {epochs} epochs of {rows} rows; mini-batches "
                      f"of 20 take {steps_per_epoch(rows)} per epoch ({why}). The notes: batch_size=20")
    measured = accuracy(got["weights"], inputs["x_val"], inputs["t_val"]) if readable(got.get("weights")) else None
    tolerance = 0.5 / len(inputs["x_val"])
    if measured is None or not any(abs(v - measured) <= tolerance for v in history.get("val_accuracy", [])):
        return failed("history.history['val_accuracy'] never shows the validation accuracy the grader measures "
                      f"on the trained weights ({'unreadable' if measured is None else f'{measured:.3f}'}): "
                      "return the History that model.fit returns, "
                      "unchanged")
    return passed(f"compiled with categorical cross-entropy and accuracy; {epochs} epochs of mini-batches of 20 "
                  f"({iterations} optimizer steps) with validation data; history.history has "
                  f"{sorted(HISTORY_KEYS)} and agrees with the trained weights",
                  history_curves(got, evidence.expected, "Iris training (history.history, not scored)"))


def learns_iris(evidence: Evidence, tolerance: float = 0.05) -> Verdict:
    got, expected, inputs = evidence.got, evidence.expected, evidence.inputs
    if not readable(got.get("weights")):
        return failed("train() did not leave a 4-20-20-3 model whose weights the grader could read")
    x_val, t_val = inputs["_x_held_out"], inputs["_t_held_out"]  # flowers that never entered the sandbox
    mine, theirs = accuracy(got["weights"], x_val, t_val), accuracy(expected["weights"], x_val, t_val)
    start = accuracy(inputs["weights"], x_val, t_val)
    needed = theirs - tolerance
    text = (f"after {inputs['epochs']} epochs from the grader's starting weights, the validation accuracy "
            f"recomputed by the grader from your weights on {len(x_val)} held-out flowers is {mine:.3f} "
            f"(start {start:.3f}, reference {theirs:.3f}, {needed:.3f} needed)")
    if mine >= needed - 1e-9:
        return passed(text)
    return failed(text + ": compile with keras.optimizers.Adam(learning_rate=LEARNING_RATE) and train on "
                  "the x_train/t_train you are given")


def early_stopping(evidence: Evidence) -> Verdict:
    got, expected, inputs = evidence.got, evidence.expected, evidence.inputs
    budget, patience = inputs["epochs"], inputs["patience"]
    history = got.get("history", {})
    runs = [len(v) for v in history.values()]
    if not runs:
        return failed("history.history is empty")
    ran, iterations = max(runs), int(got.get("iterations", 0))
    if iterations <= 0 or iterations % ran:
        return failed(f"the History lists {ran} epochs but the optimizer took {iterations} steps: "
                      "return the History of the fit that trained the model")
    reference = max(len(v) for v in expected["history"].values())
    setup = (f"validation labels that disagree with the training labels, so the validation loss rises from "
             f"the first epoch; budget {budget} epochs, patience={patience}")
    if ran >= budget:
        return failed(f"training ran all {budget} epochs although the validation loss only rose ({setup}): add "
                      "callbacks=[keras.callbacks.EarlyStopping(monitor='val_loss', patience=patience)] to fit")
    if ran > reference + 2:
        return failed(f"training stopped after {ran} epochs; with patience={patience} it stops after "
                      f"{reference} ({setup}): pass the patience argument to EarlyStopping")
    if ran < patience + 1:  # EarlyStopping(patience=p) cannot stop before epoch p + 1
        return failed(f"training stopped after {ran} epochs, before {patience} epochs without a better "
                      f"validation loss had passed; it stops after {reference} ({setup}): pass "
                      "patience=patience to EarlyStopping and do not cut epochs short")
    return passed(f"training stopped after {ran} of {budget} epochs (reference: {reference}; {setup})")


# --- overfitting: L2 + dropout against neither ------------------------------------------------------------------
def gaps(weights, inputs):
    x_tr, t_tr = inputs["x_monitor"], inputs["t_monitor"]
    x_va, t_va = inputs["_x_held_out"], inputs["_t_held_out"]  # never in the sandbox
    train, val = cross_entropy(weights, x_tr, t_tr), cross_entropy(weights, x_va, t_va)
    return {"train": train, "val": val, "gap": val - train,
            "train_acc": accuracy(weights, x_tr, t_tr), "val_acc": accuracy(weights, x_va, t_va)}


# The regularised model's gap as a fraction of the unregularised one's: ratio = gap(on) / gap(off).
# The student's regularisation must close at least SHARE of what the reference's closes on the same seed
# (same start, data order and seeds): 1 − ratio ≥ SHARE · (1 − reference ratio). Measured over 35 seeds,
# the reference's ratio lies in 0.21–0.36 and a differently written correct solution stays within 0.02
# of it, so the needed ratio (0.60–0.68) leaves a margin of more than 0.25 for correct solutions, while
# broken regularisation (L2 on the biases, L2 ignored, dropout alone) gives ratios of 1.03–1.57. (Those
# figures are for 480 steps per run; the probe now takes 240, measured again in rubric.OVERFIT_EPOCHS:
# reference 0.33–0.43, correct alternatives at least 0.29 under their threshold, broken 0.96–1.26.)
SHARE = 0.5
FITTED = 0.1  # the unregularised network must fit its 15 training flowers (train cross-entropy below this)


def ratio_threshold(reference_ratio: float) -> float:
    return 1.0 - SHARE * (1.0 - reference_ratio)


def overfitting(evidence: Evidence) -> Verdict:
    got, expected, inputs = evidence.got, evidence.expected, evidence.inputs
    (l2_on, do_on), _ = inputs["settings"]
    if not isinstance(got, list) or len(got) != 2 or not all(readable(r.get("weights")) for r in got):
        return failed("training with and without regularisation did not leave two 4-20-20-3 models")
    on, off = (gaps(r["weights"], inputs) for r in got)
    ref_on, ref_off = (gaps(r["weights"], inputs) for r in expected)
    ref_ratio = ref_on["gap"] / ref_off["gap"]
    steps = inputs["epochs"] * steps_per_epoch(len(inputs["x_train"]))
    budget = (f"{len(inputs['x_monitor'])} training flowers, {steps} mini-batch steps, same start and seeds; "
              f"gap = held-out − training cross-entropy on {len(HELDOUT_ROWS)} held-out flowers")
    text = (f"gap with l2={l2_on:g}, dropout={do_on:g}: {on['gap']:.3f} (train {on['train']:.3f}, held-out "
            f"{on['val']:.3f}); without: {off['gap']:.3f} (train {off['train']:.3f}, held-out {off['val']:.3f})")
    for label, run in (("with", got[0]), ("without", got[1])):
        if run.get("iterations") != steps:
            return failed(f"training {label} regularisation took {run.get('iterations')} optimizer steps instead "
                          f"of {steps}: train() must train for the epochs and patience it is given")
    if on["train"] > max(1.5 * ref_on["train"], ref_on["train"] + 0.1):
        return failed(f"{text}: with regularisation the network did not learn its training flowers (the "
                      f"reference reaches a training cross-entropy of {ref_on['train']:.3f}); a narrow gap only "
                      "counts when the model has learnt something")
    if off["train"] > FITTED:
        return failed(f"{text}: without regularisation the network did not fit its training flowers "
                      f"(cross-entropy {off['train']:.3f} > {FITTED}) in the budget ({budget}); train() should "
                      "use Adam(learning_rate=LEARNING_RATE) on the data it is given")
    if ref_off["gap"] <= 0 or ref_ratio >= 1:  # never seen: the reference shows nothing to compare with
        return passed(f"{text} ({budget}; the reference's regularisation does not narrow the gap on this seed, "
                      "so there is nothing to compare with)")
    ratio = on["gap"] / off["gap"] if off["gap"] > 0 else math.inf
    threshold = ratio_threshold(ref_ratio)
    text += (f"; gap ratio {ratio:.2f} (reference {ref_ratio:.2f}; at most {threshold:.2f} needed: at least half "
             f"the reference's narrowing) ({budget})")
    if ratio <= threshold:
        return passed(text)
    return failed(f"{text}: your L2 and dropout do not narrow the gap between training and held-out loss "
                  "(lecture 'Fighting Overfitting'): L2 via kernel_regularizer on every Dense layer, "
                  "Dropout after each hidden layer, both taken from build_model's arguments")


# --- save and reload --------------------------------------------------------------------------------------------
def save_and_reload(evidence: Evidence) -> Verdict:
    got, inputs = evidence.got, evidence.inputs
    if got.get("same_object"):
        return failed("save_and_reload returned the model it was given: save it with "
                      "model.save(path + '.keras') and return keras.models.load_model(path + '.keras')")
    files = [f for f in got.get("files", []) if str(f).endswith((".keras", ".h5"))]
    if not files:
        return failed(f"no .keras file was written under the path given (found {got.get('files')}): save with "
                      "model.save(path + '.keras'); Keras 3 cannot save a whole model to a path without extension")
    from_files = got.get("from_files") if isinstance(got.get("from_files"), dict) else {}
    if not any(difference(p, got.get("original"), 0, 1e-6, True, check_dtype=False) is None
               for p in from_files.values()):
        return failed(f"the grader loaded {', '.join(map(str, from_files)) or 'the files written'} with "
                      "keras.models.load_model and got another model (or none) than the one given to "
                      "save_and_reload: save that model itself, model.save(path + '.keras')")
    found = difference(got.get("reloaded"), got.get("original"), 0, 1e-6, evidence.hidden, check_dtype=False)
    if found:
        return failed(f"the reloaded model's predictions differ from the saved model's: {found.text}. After "
                      "saving, the grader overwrote the original's weights: the reloaded model must be a copy "
                      "loaded from the file")
    return passed(f"saved to {files[0]} and reloaded: identical predictions on {len(inputs['inputs'])} inputs, "
                  "from a separate copy")
