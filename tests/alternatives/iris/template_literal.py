# Exactly the template's EarlyStopping (no restore_best_weights); normalise with keepdims=True statistics; one_hot via np.eye; Sequential from a list with keras.Input.
# %%
import numpy as np
import tensorflow as tf
import keras
from sklearn.datasets import load_iris

# %% tags=["parameters"]
EPOCHS = 2000
PATIENCE = 100
LEARNING_RATE = 0.01


# %%
def normalise(inputs):
    """Return (normalised inputs, column means, column standard deviations); np.std with ddof=0."""
    column_means = np.mean(inputs, axis=0, keepdims=True)
    column_stds = np.std(inputs, axis=0, keepdims=True)
    return (inputs - column_means) / column_stds, column_means, column_stds


def one_hot(labels):
    """Labels 0, 1, 2 of shape (n,) → a float (n, 3) one-hot matrix."""
    return np.eye(3)[labels]


iris = load_iris()
inputs, column_means, column_stds = normalise(iris.data)
labels = one_hot(iris.target)

rng = np.random.default_rng(0)
order = rng.permutation(len(iris.data))
train_rows, test_rows = order[:100], order[100:]
inputs_train, labels_train = inputs[train_rows], labels[train_rows]
inputs_test, labels_test = inputs[test_rows], labels[test_rows]


# %%
def build_model(l2=0.001, dropout=0.5):
    """The 4-20-20-3 tanh/softmax network with L2 on every kernel and Dropout after each hidden layer."""
    return keras.Sequential([
        keras.Input(shape=(4,)),
        keras.layers.Dense(20, activation="tanh", kernel_regularizer=keras.regularizers.l2(l2)),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(20, activation="tanh", kernel_regularizer=keras.regularizers.l2(l2)),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.l2(l2)),
    ])


def train(model, x_train, t_train, x_val, t_val, epochs, patience=PATIENCE):
    """Compile and fit `model` (mini-batches of 20, validation data, early stopping); return the History."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x_train, t_train, batch_size=20, epochs=epochs, validation_data=(x_val, t_val),
                     callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)], verbose=0)


def save_and_reload(model, path):
    """Save the whole model to path + '.keras' and return the model loaded back from that file."""
    model.save(path + ".keras")
    return keras.models.load_model(path + ".keras")


# %%
model = build_model()
history = train(model, inputs_train, labels_train, inputs_test, labels_test, EPOCHS, PATIENCE)
print(sorted(history.history))
print("epochs run", len(history.history["loss"]),
      "final validation accuracy", history.history["val_accuracy"][-1])

# %%
import matplotlib.pyplot as plt

plt.plot(history.history["loss"], label="training loss")
plt.plot(history.history["val_loss"], label="validation loss")
plt.xlabel("epoch")
plt.legend()
plt.show()

# %%
model2 = save_and_reload(model, "IrisModel")
same = np.allclose(model(inputs_test).numpy(), model2(inputs_test).numpy())
print("reloaded model gives identical predictions:", same)
