"""The MNIST judges of train(): the accuracy and loss it reaches, recomputed by the grader (trusted side).

The test accuracy is computed from the weights the submission's train() produced, on the 10000 MNIST
test images the grader loads itself; the loss history a submission reports is only checked for being
the record of that training.
"""

from __future__ import annotations

import math

import numpy as np

from grader.errors import BrokenReference
from grader.judge.compare import same_weights
from grader.results import Curve
from grader.rubric import Evidence, Verdict, failed, passed

from .judges import SHAPES, finite, sample_loss, test_accuracy, test_loss


# --- training quality ---------------------------------------------------------------------------
def read_training(observation) -> tuple[list, list] | str:
    """(weights after each part, reported histories), or a message saying what is wrong."""
    if not isinstance(observation, dict) or not isinstance(observation.get("weights"), list):
        return "the training probe did not return the weights train() reached"
    weights = []
    for pair in observation["weights"]:
        if not isinstance(pair, list) or len(pair) != 2:
            return "train() did not leave W and b the grader could read"
        w, b = (np.asarray(v) for v in pair)
        if (w.shape, b.shape) != SHAPES or w.dtype.kind != "f" or b.dtype.kind != "f":
            return f"train() left W and b of shapes {w.shape} and {b.shape}, not (784, 10) and (10,)"
        weights.append([w, b])
    histories = observation.get("histories")
    return weights, histories if isinstance(histories, list) else []


def budget(inputs: dict) -> str:
    return (f"{inputs['iterations']} iterations of mini-batches of {inputs['batch_size']} with "
            f"η = {inputs['eta']:g}")


def training_quality(evidence: Evidence, margin: float, curves_wanted: bool) -> Verdict:
    inputs = evidence.inputs
    relabel = np.asarray(inputs["relabel"])
    mine, theirs = read_training(evidence.got), read_training(evidence.expected)
    if isinstance(theirs, str):
        raise BrokenReference(f"reference observation unreadable: {theirs}")
    if isinstance(mine, str):
        return failed(mine)
    (weights, _), (reference, _) = mine, theirs
    final, start = weights[-1], inputs["start"]
    curves = ()
    if curves_wanted:  # drawn for a failed training too: it shows where it went wrong
        every = inputs["iterations"] // len(weights)

        def series(measure):
            return {"your train()": finite(measure(w, relabel) for w in [start] + weights),
                    "reference": finite(measure(w, relabel) for w in [start] + reference)}

        x = [every * k for k in range(len(weights) + 1)]
        curves = (
            Curve("Cross entropy on the 10000 test images, recomputed by the grader from the weights train() left",
                  "iterations of train() (mini-batches)", "test cross entropy", series(test_loss), log_y=True, x=x),
            Curve("Test accuracy, recomputed by the grader", "iterations of train() (mini-batches)",
                  "test accuracy", series(test_accuracy), x=x),
        )
    if not all(np.all(np.isfinite(v)) for v in final):
        return failed("after training, W or b contains NaN or inf: the loss overflowed. Compute the cross "
                      "entropy with SparseCategoricalCrossentropy on the softmax output (or clip before the "
                      "log), and check that the loss is averaged over the batch", curves=curves)
    if same_weights(final, start):
        return failed("train() did not change W and b: not implemented yet, or it does not update the existing "
                      "tf.Variables (W.assign_sub(eta * dW) or optimizer.apply_gradients)", curves=curves)
    accuracy, reference_accuracy = test_accuracy(final, relabel), test_accuracy(reference[-1], relabel)
    needed = reference_accuracy - margin
    text = (f"after {budget(inputs)} from the grader's starting weights, with the digits renamed by the grader, "
            f"your weights classify {accuracy:.1%} of the 10000 test images correctly (computed by the "
            f"grader); the reference reaches {reference_accuracy:.1%} under the same budget, "
            f"{needed:.1%} needed")
    if accuracy >= needed:
        return passed(text, curves)
    if test_accuracy(final) > 0.5:
        return failed(text + ". Your weights recognise the true digits, not the labels passed to train(): "
                      "train must learn from its x and labels arguments (the grader renames the digits), "
                      "not from the global train_labels or weights trained earlier", curves=curves)
    return failed(text + ". Check the mini-batch loop: each iteration takes batch_size random examples of "
                  "x and labels and calls train_step on them with eta", curves=curves)


def trained_accuracy(margin: float, curves: bool):
    def judge(evidence: Evidence) -> Verdict:
        return training_quality(evidence, margin, curves)
    return judge


IDENTITY = np.arange(10)  # the digits as they are, not renamed


def within(start_loss: float, end_loss: float) -> tuple[float, float]:
    """The range a mean of honest mini-batch losses falls in, given the loss on training images at the start
    and the end of those iterations (mini-batches are noisy samples of it; generous on both sides)."""
    return 0.6 * min(start_loss, end_loss) - 0.05, 1.4 * max(start_loss, end_loss) + 0.05


def inside(mean: float, start_loss: float, end_loss: float) -> bool:
    low, high = within(start_loss, end_loss)
    return low <= mean <= high


def loss_history(evidence: Evidence) -> Verdict:
    """The reported history is plotted; it scores only if it agrees with the grader's recomputation."""
    inputs = evidence.inputs
    relabel = np.asarray(inputs["relabel"])
    mine, theirs = read_training(evidence.got), read_training(evidence.expected)
    if isinstance(mine, str):
        return failed(mine)
    (weights, histories), (_, reference_histories) = mine, theirs
    every = inputs["iterations"] // len(weights)
    reported = [v for h in histories if isinstance(h, list) for v in h][: inputs["iterations"]]
    ref_reported = [v for h in reference_histories for v in h]
    curves = (Curve("Loss per iteration, as train() returned it", "iterations of train() (mini-batches)",
                    "cross entropy of the mini-batch", {"your history": finite(reported),
                                                        "reference history": finite(ref_reported)},
                    log_y=True, reported=True),)
    odd = next((h for h in histories if not isinstance(h, list)), None) if histories else "nothing"
    if odd is not None or len(histories) != len(weights):
        return failed(f"train() returned {odd if isinstance(odd, str) else 'something else'}: it must return "
                      "the list of its losses, one float per iteration, so that they can be plotted",
                      curves=curves)
    before = [inputs["start"]] + weights[:-1]
    if all(same_weights(w1, w0) for w0, w1 in zip(before, weights)):
        return failed("train() did not change W and b, so its losses are not those of a training: it must update "
                      "the existing tf.Variables (W.assign_sub(eta * dW)) in each iteration", curves=curves)
    for part, (history, w0, w1) in enumerate(zip(histories, before, weights), start=1):
        if len(history) != every:
            return failed(f"train() was asked for {every} iterations and reported {len(history)} losses: loop "
                          "over its iterations argument and record one loss per iteration", curves=curves)
        if not all(math.isfinite(v) for v in history):
            return failed("the reported losses contain NaN or inf", curves=curves)
        if not all(np.all(np.isfinite(v)) for v in w1):
            return failed("the weights became NaN or inf, so the reported losses cannot be confirmed",
                          curves=curves)
        start_loss, end_loss = sample_loss(w0, relabel), sample_loss(w1, relabel)
        mean = float(np.mean(history))
        low, high = within(start_loss, end_loss)
        if not low <= mean <= high and inside(mean, sample_loss(w0, IDENTITY), sample_loss(w1, IDENTITY)):
            return failed(f"iterations {(part - 1) * every + 1}–{part * every}: the losses train() reported are "
                          "those of the true digits, not of the labels it was given (the grader renames the "
                          "digits): train must learn from its x and labels arguments, not from the notebook's "
                          "x_train and train_labels", curves=curves)
        if not low <= mean <= high:
            text = (f"iterations {(part - 1) * every + 1}–{part * every}: the losses train() reported average "
                    f"{mean:.4g}, but the cross entropy the grader recomputed from your weights on the training "
                    f"images went from {start_loss:.3f} to {end_loss:.3f}")
            if mean > high and low <= mean / inputs["batch_size"] <= high:
                text += ": the reported loss is summed over the batch; report the mean (tf.reduce_mean)"
            elif mean < low:
                text += (": losses that much lower than on the training data come from fitting the same few "
                         "images again and again. Does train() draw a new random mini-batch (batch_size random "
                         "rows of x and labels) in every iteration?")
            else:
                text += ": report the mean cross entropy of each mini-batch, as calc_loss returns it"
            return failed(text, curves=curves)
    return passed("train() reported one loss per iteration, consistent with the cross entropy the grader "
                  "recomputed from its weights", curves)
