"""Assignment 2: the 2-2-1 XOR network, by hand and with Keras (lecture 2).

The grader injects its own weights into the student's W1, b1, W2, b2 (or Keras model) and compares
outputs, loss, gradients and training steps with the reference on the same weights. Training quality
is judged from the weights the student's training reaches, recomputed by the grader in NumPy.
"""

import numpy as np

from grader.judge.compare import matches_reference
from grader.rubric import ANY_BEHAVIOUR, Check, Limits, Probe, Rubric

from . import judges

XOR = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
HAND_SHAPES = [(2, 2), (1, 2), (2, 1), (1, 1)]
# The notebook's own training loops are not scored (the probes train from the grader's weights): a small
# budget, whose numbers differ from the probes' so that a train_model that trains for the global EPOCHS
# instead of its argument still shows. Measured (CPU s, reference): the cells take 2.4 s with
# ITERATIONS 200 / EPOCHS 20 and 0.95 s with 50 / 5.
NOTEBOOK_BUDGET = {"ITERATIONS": 50, "EPOCHS": 5}
# train_model(model, KERAS_EPOCHS) is judged on the weights it reaches, within rtol 1e-3 / atol 1e-4 of the
# reference's. Measured (grading seeds 1-5, largest |diff| / (atol + rtol·|ref|), pass < 1): the six correct
# alternatives in tests/alternatives/xor 0-0.0002 after both 20 and 40 epochs; learning_rate 0.45 instead of
# 0.5: 142 after 20, 35 after 40; loss "mae": 3600 / 3500; batch_size=2: 490 / 320; SGD momentum 0.5:
# 560 / 300. 20 epochs separate as well as 40 did, at half the fit's per-epoch cost.
KERAS_EPOCHS = 20
# A student's self-check (`grader check`, public checks) waits for the answer: it runs the notebook with a
# smaller budget, train_model for 5 epochs and 3 of the 6 convergence starts, the reference's run the same.
# Measured at 5 epochs (grading seeds 1-5, same unit): learning_rate 0.45 is 3.7-35 units off, loss "mae"
# 19-345, batch_size=2 35-344, momentum 0.5 23-208: every mistake that fails graded also fails the check.
SELF_CHECK_BUDGET = {"ITERATIONS": 10, "EPOCHS": 1}
SELF_CHECK_EPOCHS = 5
SELF_CHECK_STARTS = 3
KERAS_SHAPES = [(2, 2), (2,), (2, 1), (1,)]


def weights(rng, shapes=HAND_SHAPES, scale=1.0):
    return [np.clip(rng.normal(scale=scale, size=s), -2 * scale, 2 * scale).astype(np.float32) for s in shapes]


def points(rng, n=16):
    return rng.uniform(-0.5, 1.5, size=(n, 2)).astype(np.float32)


HINT_FORWARD = ("Lecture 2, 'Exercise: Build a 2-2-1 feedforward network': h1 = tf.sigmoid(tf.matmul(x, W1) + b1), "
                "y = tf.sigmoid(tf.matmul(h1, W2) + b2).")
HINT_LOSS = ("Lecture 2, 'Defining our loss Function': L = ‖y − t‖², i.e. tf.reduce_sum(tf.square(y - y_labels)) "
             "with y_labels of shape (4, 1) and dtype float32.")
HINT_STEP = ("Lecture 2, the expanded training loop: under a GradientTape compute L = calc_loss(), take "
             "tape.gradient(L, [W1, b1, W2, b2]) and assign W ← W − eta·dL/dW for all four. Keras 3 "
             "optimizers have no .minimize().")
HINT_KERAS = ("Lecture 2, 'Introducing keras layers': tf.keras.Sequential([Dense(2, activation=tf.nn.sigmoid), "
              "Dense(1, activation=tf.nn.sigmoid)]); compile with tf.keras.optimizers.SGD(learning_rate=...) "
              "(Keras 3 has no lr=) and loss='mse'.")

PROBES = (
    Probe("parameters", "parameters"),
    Probe("forward_lecture", "forward", lambda rng: {"weights": weights(rng), "inputs": XOR}),
    Probe("forward_hidden", "forward", lambda rng: {"weights": weights(rng), "inputs": points(rng)}, hidden=True),
    Probe("loss_lecture", "loss_and_gradients", lambda rng: {"weights": weights(rng)}),
    Probe("loss_hidden", "loss_and_gradients", lambda rng: {"weights": weights(rng)}, hidden=True),
    Probe("step_lecture", "trajectory", lambda rng: {"weights": weights(rng), "eta": 0.5, "steps": 5}),
    Probe("step_hidden", "trajectory",
          lambda rng: {"weights": weights(rng), "eta": round(float(rng.uniform(0.1, 2.0)), 3), "steps": 5},
          hidden=True),
    Probe("convergence", "convergence",
          lambda rng: {"starts": [weights(rng, scale=0.5) for _ in range(6)], "eta": 2.0, "steps": 600,
                       "every": 25},
          self_check=lambda inputs: {**inputs, "starts": inputs["starts"][:SELF_CHECK_STARTS]}),
    Probe("keras_forward", "keras_forward",
          lambda rng: {"weights": weights(rng, KERAS_SHAPES), "inputs": points(rng)}, hidden=True),
    Probe("keras_training", "keras_training",
          lambda rng: {"weights": weights(rng, KERAS_SHAPES), "epochs": KERAS_EPOCHS},
          self_check=lambda inputs: {**inputs, "epochs": SELF_CHECK_EPOCHS}),
)

# Tolerances. Forward pass: rtol 1e-5 (two float32 sigmoids of small sums: a few ulps between methods).
# Loss and gradients: rtol 1e-4, as gradients through two sigmoids in float32 (or a float64 NumPy version)
# differ by ~1e-6 relatively and sums of four squares add their rounding. Training steps: rtol 1e-4 /
# atol 1e-6 per step for 5 steps (judges.trajectory). Convergence: each 25-step stretch must be within
# rtol 1e-2 / atol 1e-3 of the grader's float64 gradient descent from the same weights, which separates
# float32 rounding (1e-5 after 25 steps) from any other update rule by orders of magnitude — except where
# training leaves a plateau and 25 steps of η = 2 amplify rounding: there the allowance grows by the
# measured spread of descents from nudged starts (judges.window_matches; seen at seed 7, start 2).
CHECKS = (
    Check("forward_pass", 2, "forward_lecture",
          matches_reference(what="run_network(x) on the four XOR inputs with the grader's weights",
                            mistakes=judges.forward_mistakes()),
          "run_network with injected weights on the XOR inputs", HINT_FORWARD),
    Check("weight_shapes", 2, "parameters", judges.shapes,
          "W1, b1, W2, b2 are float32 tf.Variables of shapes (2, 2), (1, 2), (2, 1), (1, 1) (declared shapes count "
          "once some part of the notebook works on the grader's inputs)",
          "Lecture 2, 'Shape cheat': W1 is (inputs, hidden) = (2, 2), W2 is (hidden, outputs) = (2, 1). "
          "(The notes' table says W1 is [4, 3] for the 3-4-2 network; it is [3, 4].)",
          requires=(ANY_BEHAVIOUR,)),
    Check("forward_pass_hidden", 3, "forward_hidden",
          matches_reference(what="run_network on 16 hidden inputs with hidden weights",
                            mistakes=judges.forward_mistakes()),
          "run_network with random injected weights on random inputs", HINT_FORWARD, hidden=True),
    Check("loss_and_gradients", 2, "loss_lecture",
          matches_reference(rtol=1e-4, what="calc_loss() and its gradients", mistakes=judges.loss_mistakes()),
          "L = ‖y − t‖² and dL/dW for W1, b1, W2, b2 with injected weights", HINT_LOSS),
    Check("loss_and_gradients_hidden", 2, "loss_hidden",
          matches_reference(rtol=1e-4, what="calc_loss() and its gradients with hidden weights",
                            mistakes=judges.loss_mistakes()),
          "loss and gradients with random injected weights", HINT_LOSS, hidden=True),
    Check("training_step", 2, "step_lecture", judges.trajectory,
          "5 calls of train_step(0.5) from injected weights, compared step by step", HINT_STEP),
    Check("training_step_hidden", 2, "step_hidden", judges.trajectory,
          "5 calls of train_step(eta) with a random eta from random weights", HINT_STEP, hidden=True),
    Check("solves_xor", 3, "convergence", judges.convergence,
          "train_step solves XOR from at least as many of 6 random starts as the reference, minus one "
          "(600 steps of η = 2; some starts get stuck, as the lecture shows; a self-check tries 3)", HINT_STEP),
    Check("keras_model", 2, "keras_forward", judges.keras_forward,
          "build_model(): two sigmoid Dense layers; outputs with injected weights on hidden inputs",
          HINT_KERAS, hidden=True),
    Check("keras_training", 2, "keras_training", judges.keras_training,
          f"train_model(model, {KERAS_EPOCHS}) from injected weights reaches the reference's weights and MSE "
          f"({SELF_CHECK_EPOCHS} epochs in a self-check)",
          HINT_KERAS),
)

RUBRIC = Rubric(
    assignment="xor",
    title="The 2-2-1 XOR network",
    lecture="Lecture 2",
    probes=PROBES,
    checks=CHECKS,
    parameters=NOTEBOOK_BUDGET,
    self_check_parameters=SELF_CHECK_BUDGET,
    limits=Limits(total_s=400, cell_s=90, probe_s=150),
)
