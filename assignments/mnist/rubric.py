"""Assignment mnist: MNIST with a 1-layer, 10-node softmax network (lecture 2, 'MNIST Problem').

Each part is observed on its own, with inputs the grader makes, so one mistake costs its own points
once: preprocess() on random uint8 images; run_network, calc_loss and train_step with weights the
grader injects into W (784, 10) and b (10,); accuracy() with injected weights. Training quality is
verified, not trusted: the grader calls train() on the training images (preprocessed by the grader),
from its own starting weights and with its own budget, and computes the accuracy of the weights train()
leaves behind on the 10000 test images itself. The digits are renamed for this (digit d is called
relabel[d]) so that only weights trained on the labels given to train() can score. What train()
reports about its own losses is plotted and is scored only as far as the grader's recomputation
confirms it.
"""

import numpy as np

from grader.judge.compare import matches_reference
from grader.rubric import Check, Limits, Probe, Rubric

from . import judges, training_judges

F32 = np.float32

# The grader's training budget: 300 iterations of mini-batches of 100 at η = 0.5, in 5 calls of train().
TRAINING = {"iterations": 300, "batch_size": 100, "eta": 0.5, "chunks": 5}

# How far below the reference's test accuracy (same budget, same run seed, same starting weights and
# digit renaming) a submission may land. Measured by grading reference/mnist.py, test accuracy (%) of the
# weights its train() reached, for 18 grading seeds:
#     seed (probe `training` / `training_hidden`)
#      1: 90.7 / 90.7    2: 91.0 / 90.7    3: 90.7 / 90.6    4: 90.9 / 90.7    5: 90.8 / 90.7
#      6: 91.0 / 90.6    7: 90.5 / 90.3    8: 90.4 / 90.8   11: 90.6 / 91.0   12: 91.0 / 90.7
#     13: 90.7 / 90.5   14: 90.7 / 91.1   15: 90.8 / 90.4   21: 91.0 / 90.7   22: 91.1 / 90.2
#     23: 91.0 / 91.1   24: 90.8 / 91.1   25: 91.3 / 90.7
# i.e. 90.2-91.3 %, spread 1.1 points. Five differently written correct loops (examples/submissions/ada:
# np.random.permutation epochs and a hand-written cross entropy; ben's loop with Keras SGD; tf.random
# indices with tf.gather on tensors; consecutive batches without shuffling; SGD.apply_gradients), graded
# with seeds 1-6, 11-15 and 21-25, landed between 89.8 and 91.3 %, at most 1.0 point below the reference
# of the same seed. The margin is 2.5 points (2.5x that gap; 87.7-88.8 % needed), so a correct submission
# passes whatever the seed. Untrained weights score about 10 % on the renamed digits and weights that
# learnt the true digits (labels argument ignored, or trained earlier) about 1 %. A loss summed over the
# batch (steps 100x too large) reaches 82-89 % (NumPy replica, 5 seeds), so that mistake is named by the
# cross_entropy, training_step and loss_history checks rather than left to this threshold.
ACCURACY_MARGIN = 0.025


def images(rng, n):
    """Sparse 'pen strokes' of random brightness; image 0 reaches 255, the others need not."""
    peak = rng.integers(90, 256, size=(n, 1, 1))
    peak[0] = 255
    strokes = rng.random((n, 28, 28)) < 0.3
    values = (np.floor(rng.random((n, 28, 28)) * (peak + 1)).clip(0, 255) * strokes).astype(np.uint8)
    values[0, 14, 14] = 255
    return values


def pixels(rng, n):
    return (images(rng, n).reshape(n, 784) / 255).astype(F32)


def network_weights(rng, scale=0.05):
    return [rng.normal(0, scale, size=(784, 10)).astype(F32), rng.normal(0, 0.5, size=10).astype(F32)]


def batch(rng, n, scale=0.05):
    return {"weights": network_weights(rng, scale), "inputs": pixels(rng, n),
            "labels": rng.integers(0, 10, size=n).astype(np.uint8)}


def step_inputs(eta):
    def make(rng):
        return {**batch(rng, 32, scale=0.01), "eta": eta(rng) if callable(eta) else eta, "steps": 3}
    return make


def renaming(rng):
    """A shuffle of the ten digit names in which no digit keeps its own."""
    while True:
        relabel = rng.permutation(10)
        if np.all(relabel != np.arange(10)):
            return relabel.astype(np.int64)


def training_inputs(rng):
    return {"start": [rng.normal(0, 0.01, size=(784, 10)).astype(F32), np.zeros(10, F32)],
            "relabel": renaming(rng), **TRAINING}


def accuracy_inputs(rng):
    inputs = batch(rng, 50)
    w, b = inputs["weights"]
    predicted = np.argmax(inputs["inputs"].astype(np.float64) @ w + b, axis=1)
    keep = rng.random(50) < 0.6  # about 60 % of the labels agree with the network
    inputs["labels"] = np.where(keep, predicted, inputs["labels"]).astype(np.uint8)
    return inputs


HINT_PREPROCESS = ("Lecture 2, 'MNIST Problem': reshape each image from a 28×28 matrix to a vector of 784 and "
                   "rescale from greyscale to float: images.reshape(len(images), 784).astype(np.float32) / 255.")
HINT_FORWARD = ("Lecture 2, 'Training Classification Networks' and 'In Tensorflow': y = tf.matmul(x, W) + b, "
                "then p = tf.keras.activations.softmax(y, axis=1), one row of 10 probabilities per image.")
HINT_LOSS = ("Lecture 2, 'Cross-entropy loss function' and 'In Tensorflow': "
             "cce = tf.keras.losses.SparseCategoricalCrossentropy(); "
             "tf.reduce_mean(cce(y_true=labels, y_pred=run_network(x))) with integer labels 0-9 (not one-hot).")
HINT_STEP = ("Lecture 2, 'In Tensorflow': the notes' optimizer.minimize(calc_loss, ...) is Keras 2. In Keras 3 "
             "compute the loss under `with tf.GradientTape() as tape:`, take tape.gradient(loss, [W, b]) and "
             "update W.assign_sub(eta * dW), b.assign_sub(eta * db) (or optimizer.apply_gradients).")
HINT_TRAIN = ("Lecture 2, 'MNIST Problem' and 'Using Mini-Batches': train(x, labels, iterations, batch_size, eta) "
              "continues from the current W and b; each iteration picks batch_size random examples of x and "
              "labels and calls train_step(x_batch, labels_batch, eta).")
HINT_HISTORY = ("Lecture 2, 'Using Matplotlib': plot loss vs iteration. train() returns the list of the "
                "mini-batch losses, one float per iteration (the value calc_loss / train_step returns).")
HINT_ACCURACY = ("Lecture 2, 'MNIST Problem', test against new data: the predicted digit is "
                 "tf.argmax(run_network(x), axis=1); accuracy is the fraction of images where it equals "
                 "the label.")

PROBES = (
    Probe("preprocess_public", "preprocessing", lambda rng: {"images": images(rng, 6)}),
    Probe("preprocess_hidden", "preprocessing", lambda rng: {"images": images(rng, int(rng.integers(5, 13)))},
          hidden=True),
    Probe("forward_public", "forward", lambda rng: {"weights": network_weights(rng), "inputs": pixels(rng, 16)}),
    Probe("forward_hidden", "forward",
          lambda rng: {"weights": network_weights(rng), "inputs": pixels(rng, int(rng.integers(8, 40)))},
          hidden=True),
    Probe("loss_public", "loss", lambda rng: batch(rng, 16)),
    Probe("loss_hidden", "loss", lambda rng: batch(rng, int(rng.integers(8, 40))), hidden=True),
    Probe("step_public", "trajectory", step_inputs(0.5)),
    Probe("step_hidden", "trajectory", step_inputs(lambda rng: round(float(rng.uniform(0.05, 0.3)), 3)),
          hidden=True),
    Probe("accuracy_hidden", "accuracy", accuracy_inputs, hidden=True),
    Probe("training", "training", training_inputs),
    Probe("training_hidden", "training", training_inputs, hidden=True),
)

# Tolerances. Forward pass and loss: rtol 1e-4, as 784-term float32 dot products differ between
# summation orders by ~√784·ε ≈ 3e-6 relatively, more where terms cancel. Training steps: rtol 1e-4 /
# atol 1e-6 per step (judges.trajectory). accuracy(): atol 1e-6, the fraction k/n is exact in any method.
# Trained accuracy: the reference's minus ACCURACY_MARGIN, measured (see above).
CHECKS = (
    # --- Preprocessing (4 points) -----------------------------------------------------------------
    Check("preprocess_shape", 1, "preprocess_public", judges.preprocess_shape,
          "preprocess(images) turns uint8 images (n, 28, 28) into a float32 array (n, 784)", HINT_PREPROCESS),
    Check("preprocess_scaling", 1, "preprocess_public", judges.preprocess_scaling,
          "preprocess(images) rescales the pixels from 0–255 to [0, 1]: pixel / 255", HINT_PREPROCESS),
    Check("preprocess_hidden", 2, "preprocess_hidden", judges.preprocess_all,
          "shape, dtype and values of preprocess() on random batches of images", HINT_PREPROCESS, hidden=True),
    # --- The network (5 points) -------------------------------------------------------------------
    Check("forward_pass", 2, "forward_public",
          matches_reference(rtol=1e-4, what="run_network(x) on 16 images with the grader's W and b",
                            mistakes=judges.forward_mistakes()),
          "run_network with injected W (784, 10) and b (10,) matches the reference", HINT_FORWARD),
    Check("outputs_are_probabilities", 1, "forward_public", judges.probabilities,
          "each row of run_network's output is a probability vector over the 10 digits", HINT_FORWARD),
    Check("forward_pass_hidden", 2, "forward_hidden",
          matches_reference(rtol=1e-4, what="run_network on random images with random W and b",
                            mistakes=judges.forward_mistakes()),
          "run_network with random injected weights on random images", HINT_FORWARD, hidden=True),
    # --- Cross entropy (2 points) -----------------------------------------------------------------
    Check("cross_entropy", 1, "loss_public",
          matches_reference(rtol=1e-4, what="calc_loss(x, labels) with the grader's W and b",
                            mistakes=judges.loss_mistakes(), check_dtype=False),
          "mean cross entropy of a batch with integer labels", HINT_LOSS),
    Check("cross_entropy_hidden", 1, "loss_hidden",
          matches_reference(rtol=1e-4, what="calc_loss on a random batch with random W and b",
                            mistakes=judges.loss_mistakes(), check_dtype=False),
          "mean cross entropy with random weights, images and labels", HINT_LOSS, hidden=True),
    # --- Gradient descent (3 points) --------------------------------------------------------------
    Check("training_step", 2, "step_public", judges.trajectory,
          "3 calls of train_step(x, labels, 0.5) from injected weights, compared step by step", HINT_STEP),
    Check("training_step_hidden", 1, "step_hidden", judges.trajectory,
          "3 calls of train_step with a random eta from random weights", HINT_STEP, hidden=True),
    # --- Training and testing (7 points) ------------------------------------------------------------
    Check("test_accuracy", 3, "training",
          training_judges.trained_accuracy(ACCURACY_MARGIN, curves=True),
          f"train() with the grader's budget ({TRAINING['iterations']} iterations, batches of "
          f"{TRAINING['batch_size']}, η = {TRAINING['eta']}) reaches, on the 10000 test images, at least the "
          f"reference's accuracy minus {100 * ACCURACY_MARGIN:g} percentage points (accuracy computed by the "
          "grader from the trained weights)", HINT_TRAIN),
    Check("loss_history", 1, "training", training_judges.loss_history,
          "train() returns one loss per iteration, consistent with the grader's recomputation; plotted",
          HINT_HISTORY),
    Check("learns_hidden_labels", 2, "training_hidden",
          training_judges.trained_accuracy(ACCURACY_MARGIN, curves=False),
          "the same training from other starting weights with the digits renamed at random: train() "
          "must learn from the data it is given", HINT_TRAIN, hidden=True),
    Check("accuracy_function", 1, "accuracy_hidden",
          matches_reference(atol=1e-6, what="accuracy(x, labels) with random W and b",
                            mistakes=judges.accuracy_mistakes(), check_dtype=False),
          "accuracy() is the fraction of images whose most probable digit is their label", HINT_ACCURACY,
          hidden=True),
)

RUBRIC = Rubric(
    assignment="mnist",
    title="MNIST with a 1-layer softmax network",
    lecture="Lecture 2",
    probes=PROBES,
    checks=CHECKS,
    # the notebook's own training cell is not scored (the probes train with their own budget): keep it short
    parameters={"ITERATIONS": 50, "BATCH_SIZE": 100, "LEARNING_RATE": judges.LEARNING_RATE},
    # measured: a submission takes 3-10 s in all, a training probe 1-3 s. The slowest plausible loop seen,
    # tf.gather on the whole NumPy training set in every iteration (~0.2 s each), needs ~60 s per probe.
    limits=Limits(total_s=300, cell_s=60, probe_s=90),
    data_files=("mnist",),
)
