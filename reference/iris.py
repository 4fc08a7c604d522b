# %% [markdown]
# # Reference solution: the Iris classifier (lecture 2)
#
# Pre-processing, a 4-20-20-3 tanh network with L2 regularisation and dropout, mini-batches with
# validation data, early stopping, and saving/loading the trained model (Keras 3).

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
    """Columns to mean 0 and standard deviation 1 (np.std, ddof=0); also return the statistics."""
    inputs = np.asarray(inputs, dtype=np.float64)
    column_means = np.mean(inputs, axis=0)
    column_stds = np.std(inputs, axis=0)
    return (inputs - column_means) / column_stds, column_means, column_stds


def one_hot(labels):
    """Integer class labels 0, 1, 2 → rows of a 3-column one-hot matrix."""
    return tf.one_hot(labels, depth=3).numpy()


iris = load_iris()
inputs, column_means, column_stds = normalise(iris.data)
labels = one_hot(iris.target)

rng = np.random.default_rng(0)
order = rng.permutation(len(inputs))
train_rows, test_rows = order[:100], order[100:]
inputs_train, labels_train = inputs[train_rows], labels[train_rows]
inputs_test, labels_test = inputs[test_rows], labels[test_rows]
print("column means", column_means, "column s.d.s", column_stds)


# %%
def build_model(l2=0.001, dropout=0.5):
    """4-20-20-3: tanh hidden layers each followed by Dropout, softmax output, L2 on every kernel."""
    hids = [4, 20, 20, 3]
    model = keras.Sequential([keras.Input(shape=(hids[0],))])
    for units in hids[1:-1]:
        model.add(keras.layers.Dense(units, activation="tanh", kernel_regularizer=keras.regularizers.l2(l2)))
        model.add(keras.layers.Dropout(rate=dropout))
    model.add(keras.layers.Dense(hids[-1], activation="softmax", kernel_regularizer=keras.regularizers.l2(l2)))
    return model


def train(model, x_train, t_train, x_val, t_val, epochs, patience=PATIENCE):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    return model.fit(x_train, t_train, batch_size=20, epochs=epochs, validation_data=(x_val, t_val),
                     callbacks=[stop], verbose=0)


def save_and_reload(model, path):
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
