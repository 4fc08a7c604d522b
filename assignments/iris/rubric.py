"""Assignment 5: the Iris classifier — pre-processing, a regularised 4-20-20-3 network, mini-batches,
early stopping and saving (lecture 2, "Example: Iris Dataset" to the end).

The grader gives every function its own inputs: pre-processing on fixed and on random matrices, the
model with injected weights, and training on splits of scikit-learn's bundled Iris data that the grader
chooses (normalised by the grader, so a pre-processing slip costs only the pre-processing points).
Every quality figure is recomputed by the grader in NumPy from the weights the student's `train`
reaches; the History is only checked for being the true record of that training.

The overfitting check trains the student's build_model(l2=0.01, dropout=0.5) and build_model(l2=0,
dropout=0) from the same start with the same seeds on 15 flowers and compares the gaps between
held-out and training cross-entropy; the held-out flowers never enter the sandbox.
"""

import numpy as np

from grader.rubric import ANY_BEHAVIOUR, Check, Limits, Probe, Rubric

from . import judges, training_judges

X, T = judges.X, judges.T  # Iris, normalised by the grader (ddof=0), one-hot targets
ALL = np.arange(len(X))

# 15 flowers of each class for the public training probes (the other 105 are the validation set)
TRAIN_ROWS = np.array([1, 4, 5, 6, 9, 11, 15, 18, 26, 32, 42, 43, 45, 47, 49, 50, 56, 58, 62, 65, 68, 70, 74,
                       77, 83, 87, 91, 94, 98, 99, 104, 110, 111, 118, 119, 121, 123, 128, 130, 132, 133, 139,
                       145, 148, 149])
VAL_ROWS = np.setdiff1d(ALL, TRAIN_ROWS)
# Of the other 105, train() gets 45 as its validation data; the grader measures on the last 60, which never
# enter the sandbox (private inputs): a train() that fits its validation data gains nothing on them
GIVEN_VAL_ROWS, HELD_OUT_ROWS = VAL_ROWS[::2][:45], np.setdiff1d(VAL_ROWS, VAL_ROWS[::2][:45])


def disguised(rng):
    """The normalised Iris data as this run shows it: its four columns in another order with random signs,
    its three classes renamed, so that scikit-learn's copy in the sandbox does not stand in, as it is, for
    the flowers a check holds out; Glorot starts and Adam treat every order and sign alike, so training
    behaves the same. A deterrent, not a wall: the 4!·2⁴·3! = 2304 disguises can be searched by a train()
    that matches its rows against that copy (Iris is public and small; it cannot be kept out of a sandbox)."""
    columns, signs, classes = rng.permutation(4), rng.choice([-1.0, 1.0], size=4), rng.permutation(3)
    return (X[:, columns] * signs).astype(np.float32), T[:, classes]
# 5 flowers of each class for the overfitting probe, on which an unregularised network clearly overfits;
# the judge measures the gap on the other 135, which the sandbox never sees (see training_judges.gaps)
OVERFIT_ROWS = judges.OVERFIT_ROWS
OVERFIT_REPEAT = 80  # the 15 rows repeated: 60 mini-batches per epoch, so few epochs make many steps
# 4 × 60 = 240 Adam steps per run (480 before). Measured with benchmarks/iris_overfitting_budget.py (margin =
# the judge's threshold minus the ratio: > 0 passes), 240 steps / 480 steps:
#   reference gap ratio, seeds 1-15                              0.33-0.43 / 0.26-0.33
#   correct alternatives (activation_layers, functional_api: seeds 1-15; standard_scaler: 1-8), margin
#                                                                 ≥ +0.29  / ≥ +0.34
#   L2 on the biases (seeds 1-8 / 1-15): ratio 0.96-1.26 / 1.00-1.43, margin ≤ −0.28 / ≤ −0.37
#   L2 ignored = dropout alone (seeds 1-8 / 1-15): ratio 1.00-1.24 / 1.06-1.32, margin ≤ −0.33 / ≤ −0.43
#   the unregularised run's training cross-entropy (must stay under FITTED = 0.1): ≤ 0.002 / ≤ 0.001
# A correct solution's margin moves by 0.05 from seed to seed: both budgets separate correct from broken by
# far. The two training runs are most of this probe's time; half the steps take ~40 % off it.
OVERFIT_EPOCHS = 4
ON, OFF = (0.01, 0.5), (0.0, 0.0)  # the notes' k₂ = 0.01 and rate 0.5, against no regularisation
SHAPES = [(4, 20), (20,), (20, 20), (20,), (20, 3), (3,)]
LECTURE_INPUTS = np.array([[0.0, 0], [0, 10], [10, 0], [10, 1]])


def start_weights(rng):
    """Starting weights as Keras draws them (Glorot uniform kernels, zero biases), from the grader's rng."""
    return [(rng.uniform(-1, 1, size=s) * np.sqrt(6 / sum(s)) if len(s) == 2 else np.zeros(s)).astype(np.float32)
            for s in SHAPES]


def random_weights(rng):
    """Weights for the forward and saving probes: larger kernels and non-zero biases."""
    return [(rng.uniform(-1, 1, size=s) * np.sqrt(6 / sum(s)) * 2 if len(s) == 2 else
             rng.normal(scale=0.3, size=s)).astype(np.float32) for s in SHAPES]


def columns(rng, rows, cols):
    scales = 10 ** rng.uniform(-1, 2, size=cols)
    offsets = rng.uniform(-50, 50, size=cols)
    return (rng.normal(size=(rows, cols)) * scales + offsets).round(3)


def lecture_matrix(rng):
    """Like the notes' 4×2 example: whole numbers 0–10, no constant column."""
    while True:
        x = rng.integers(0, 11, size=(4, 2)).astype(np.float64)
        if np.all(x.std(axis=0) > 0):
            return {"cases": [x]}


def lecture_labels(rng):
    return {"cases": [rng.permutation(np.array([0, 1, 2, 0, 1, 2]))]}


def hidden_matrices(rng):
    return {"cases": [columns(rng, 9, 4), columns(rng, 7, 3)]}


def hidden_labels(rng):
    full = rng.permutation(np.concatenate([[0, 1, 2], rng.integers(0, 3, size=9)]))
    return {"cases": [full.astype(np.int64), rng.integers(0, 2, size=8).astype(np.int64)]}


def inference_inputs(rng):
    return {"weights": random_weights(rng), "inputs": rng.normal(size=(12, 4)).astype(np.float32),
            "l2": round(float(rng.uniform(0.002, 0.05)), 4), "dropout": 0.5}


def training_inputs(rng):
    x, t = disguised(rng)
    return {"weights": start_weights(rng), "x_train": x[TRAIN_ROWS], "t_train": t[TRAIN_ROWS],
            "x_val": x[GIVEN_VAL_ROWS], "t_val": t[GIVEN_VAL_ROWS], "epochs": 12, "seed": 4,
            "_x_held_out": x[HELD_OUT_ROWS], "_t_held_out": t[HELD_OUT_ROWS]}


def early_stopping_inputs(rng):
    # the same flowers as validation data, with every label moved to the next class: the better the
    # network learns the training labels, the worse the validation loss, from the first epoch on
    x, t = disguised(rng)
    return {"weights": start_weights(rng), "x_train": x[TRAIN_ROWS], "t_train": t[TRAIN_ROWS],
            "x_val": x[TRAIN_ROWS], "t_val": np.roll(t[TRAIN_ROWS], 1, axis=1), "epochs": 15, "patience": 2,
            "seed": 5}


def overfitting_inputs(rng):
    x, t = disguised(rng)
    order = rng.permutation(np.tile(OVERFIT_ROWS, OVERFIT_REPEAT))
    return {"weights": start_weights(rng), "x_train": x[order], "t_train": t[order],
            "x_monitor": x[OVERFIT_ROWS], "t_monitor": t[OVERFIT_ROWS],
            "settings": [ON, OFF], "epochs": OVERFIT_EPOCHS, "seed": int(rng.integers(2**31)),
            "_x_held_out": x[judges.HELDOUT_ROWS], "_t_held_out": t[judges.HELDOUT_ROWS]}


def saving_inputs(rng):
    return {"weights": random_weights(rng), "inputs": rng.normal(size=(8, 4)).astype(np.float32)}


HINT_NORMALISE = ("Lecture 2, 'Input Pre-Processing': column_means = np.mean(inputs, axis=0), "
                  "column_stds = np.std(inputs, axis=0) (ddof=0, as the template says), then "
                  "(inputs − column_means) / column_stds; return all three.")
HINT_ONE_HOT = ("Lecture 2, 'Categorical Inputs of One-hot encoding': tf.one_hot(labels, depth=3) "
                "(or np.eye(3)[labels]) gives one row per label with a single 1.")
HINT_MODEL = ("Lecture 2, 'L2 Regularisation' and 'Dropout': Dense(20, 'tanh', kernel_regularizer="
              "keras.regularizers.l2(l2)), Dropout(rate=dropout), Dense(20, 'tanh', kernel_regularizer=...), "
              "Dropout(rate=dropout), Dense(3, 'softmax', kernel_regularizer=...). Add `import keras` "
              "(the notes use keras.regularizers without importing it).")
HINT_FIT = ("Lecture 2, 'Using Mini-Batches': compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), "
            "loss='categorical_crossentropy', metrics=['accuracy']), then return model.fit(x_train, t_train, "
            "batch_size=20, epochs=epochs, validation_data=(x_val, t_val), callbacks=[...], verbose=0).")
HINT_EARLY = ("Lecture 2, 'Fighting Overfitting' ① early stopping: "
              "callbacks=[keras.callbacks.EarlyStopping(monitor='val_loss', patience=patience)].")
HINT_OVERFIT = ("Lecture 2, 'Fighting Overfitting', 'L2 Regularisation' and 'Dropout': with L2 on the kernels and "
                "dropout after the hidden layers the network cannot memorise its few training flowers as "
                "confidently, so its held-out loss stays closer to its training loss.")
HINT_SAVE = ("Lecture 2, 'Save the final model': Keras 3 saves a whole model only to a .keras file: "
             "model.save(path + '.keras') and keras.models.load_model(path + '.keras') (the notes' "
             "save(\"IrisModel\") is Keras 2 and fails with 'Invalid filepath extension').")

PROBES = (
    Probe("normalise_lecture", "normalise", lecture_matrix, example={"cases": [LECTURE_INPUTS]}),
    Probe("normalise_hidden", "normalise", hidden_matrices, hidden=True),
    Probe("one_hot_lecture", "one_hot", lecture_labels, example={"cases": [np.array([0, 1, 2, 2, 1, 0])]}),
    Probe("one_hot_hidden", "one_hot", hidden_labels, hidden=True),
    Probe("architecture", "architecture", {"settings": [ON, OFF]}),
    Probe("inference", "inference", inference_inputs, hidden=True),
    Probe("training", "training", training_inputs),
    Probe("early_stopping", "early_stopping", early_stopping_inputs),
    Probe("overfitting", "overfitting", overfitting_inputs, hidden=True),
    Probe("saving", "save_and_reload", saving_inputs, hidden=True),
)

# Tolerances. normalise: rtol 1e-4 with an absolute tolerance of 16 float32 ulps at the inputs' scale
# (judges.normalised_atol), so a float32 TensorFlow version of x − mean is as right as float64 NumPy.
# Outputs with injected weights: rtol 1e-4 (tanh/softmax of float32 sums). The L2 penalty: rtol 1e-4.
# Trained accuracy: within 0.05 of the reference's (one flower in 105 is 0.0095), and the gap ratio at most
# half the reference's narrowing, both measured over seeds (see training_judges.SHARE and learns_iris).
CHECKS = (
    Check("normalise", 2, "normalise_lecture", judges.normalise,
          "normalise(inputs) on the notes' 4×2 example: normalised inputs, column means, column s.d.s",
          HINT_NORMALISE),
    Check("normalise_hidden", 3, "normalise_hidden", judges.normalise,
          "normalise on random matrices whose columns have very different scales (s.d. with ddof=0)",
          HINT_NORMALISE, hidden=True),
    Check("one_hot", 1, "one_hot_lecture", judges.one_hot, "one_hot(labels) for labels 0, 1, 2", HINT_ONE_HOT),
    Check("one_hot_hidden", 1, "one_hot_hidden", judges.one_hot,
          "one_hot on random labels, including a vector without class 2 (still 3 columns)", HINT_ONE_HOT,
          hidden=True),
    Check("forward_hidden", 2, "inference", judges.forward_check,
          "outputs of build_model() with the grader's random weights on random inputs (dropout off)",
          HINT_MODEL, hidden=True),
    Check("l2_penalty_hidden", 2, "inference", judges.l2_penalty,
          "the L2 penalty in model.losses equals k·Σw² over the three kernels, for a random k", HINT_MODEL,
          hidden=True),
    Check("fit_configuration", 2, "training", training_judges.fit_configuration,
          "train(): categorical cross-entropy, mini-batches of 20 (the training steps Keras runs, counted by the "
          "grader), validation data, history keys loss/accuracy/val_loss/val_accuracy agreeing with the trained "
          "weights (what a model says of its configuration counts once it learns: requires learns_iris)",
          HINT_FIT, requires=("learns_iris",)),
    Check("learns_iris", 3, "training", training_judges.learns_iris,
          "after 12 epochs on 45 flowers (45 more as validation data), the accuracy the grader recomputes from "
          "your weights on 60 flowers that train() never sees is within 0.05 of the reference's", HINT_FIT),
    Check("architecture", 2, "architecture", judges.architecture,
          "build_model(l2=0.01, dropout=0.5) and build_model(l2=0, dropout=0): 4-20-20-3, tanh/softmax, L2 on "
          "the kernels, Dropout after the hidden layers, both switched by the arguments (what a model says of its "
          "layers counts once some part of the notebook works on the grader's inputs)", HINT_MODEL,
          requires=(ANY_BEHAVIOUR,)),
    Check("early_stopping", 2, "early_stopping", training_judges.early_stopping,
          "train() stops early, as its patience argument says, when the validation loss keeps rising",
          HINT_EARLY),
    Check("regularisation_narrows_gap", 3, "overfitting", training_judges.overfitting,
          "with your L2 (0.01) and dropout (0.5) the held-out − training cross-entropy gap, recomputed by the "
          "grader, is smaller than without, by about as much as the reference's (same start, data and seeds)",
          HINT_OVERFIT, hidden=True),
    Check("save_and_reload", 2, "saving", training_judges.save_and_reload,
          "save_and_reload(model, path) writes a .keras file and returns a separate model with identical "
          "predictions on random inputs", HINT_SAVE, hidden=True),
)

RUBRIC = Rubric(
    assignment="iris",
    title="Iris: pre-processing, L2, dropout, mini-batches, early stopping and saving",
    lecture="Lecture 2",
    probes=PROBES,
    checks=CHECKS,
    parameters={"EPOCHS": 2, "PATIENCE": 2},
    limits=Limits(total_s=400, cell_s=60, probe_s=120),
)
