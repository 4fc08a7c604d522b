# normalise with scikit-learn's StandardScaler (ddof=0 like np.std); one_hot by comparing with np.arange(3); function activations and loss (keras.activations.tanh, keras.losses.categorical_crossentropy); pathlib for the .keras file.
# %%
from pathlib import Path

import numpy as np
import tensorflow as tf
import keras
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

# %% tags=["parameters"]
EPOCHS = 2000
PATIENCE = 100
LEARNING_RATE = 0.01


# %%
def normalise(inputs):
    scaler = StandardScaler()  # divides by np.std(inputs, axis=0), ddof=0
    normalised = scaler.fit_transform(inputs)
    return normalised, scaler.mean_, scaler.scale_


def one_hot(labels):
    return (np.asarray(labels)[:, np.newaxis] == np.arange(3)).astype(np.float32)


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
    def dense(units, activation):
        return keras.layers.Dense(units, activation=activation, kernel_regularizer=keras.regularizers.L2(l2=l2))

    return keras.Sequential([
        keras.layers.InputLayer(shape=(4,)),
        dense(20, keras.activations.tanh),
        keras.layers.Dropout(rate=dropout),
        dense(20, keras.activations.tanh),
        keras.layers.Dropout(rate=dropout),
        dense(3, keras.activations.softmax),
    ])


def train(model, x_train, t_train, x_val, t_val, epochs, patience=PATIENCE):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss=keras.losses.categorical_crossentropy, metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, verbose=0, start_from_epoch=0)
    return model.fit(x_train, t_train, epochs=epochs, batch_size=20, shuffle=True,
                     validation_data=(x_val, t_val), callbacks=[stop], verbose=0)


def save_and_reload(model, path):
    file = Path(path + ".keras")
    model.save(file)
    return keras.models.load_model(file)


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
