# Keras functional API with named layers and the keras.regularizers.L2 class; EarlyStopping("val_loss", ...) positional; keras.utils.to_categorical; keras.saving.save_model/load_model.
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
    inputs = np.asarray(inputs, dtype=float)
    means = inputs.mean(axis=0)
    stds = inputs.std(axis=0)
    return (inputs - means) / stds, means, stds


def one_hot(labels):
    return keras.utils.to_categorical(labels, num_classes=3)


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
    flower = keras.Input(shape=(4,), name="measurements")
    h = keras.layers.Dense(20, activation="tanh", kernel_regularizer=keras.regularizers.L2(l2), name="hidden1")(flower)
    h = keras.layers.Dropout(rate=dropout, name="dropout1")(h)
    h = keras.layers.Dense(20, activation="tanh", kernel_regularizer=keras.regularizers.L2(l2), name="hidden2")(h)
    h = keras.layers.Dropout(rate=dropout, name="dropout2")(h)
    species = keras.layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.L2(l2),
                                 name="species")(h)
    return keras.Model(inputs=flower, outputs=species, name="iris")


def train(model, x_train, t_train, x_val, t_val, epochs, patience=PATIENCE):
    early_stopping = keras.callbacks.EarlyStopping("val_loss", patience=patience)
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  metrics=["accuracy"])
    history = model.fit(x=x_train, y=t_train, epochs=epochs, batch_size=20, verbose=0,
                        validation_data=(x_val, t_val), callbacks=[early_stopping])
    return history


def save_and_reload(model, path):
    filename = f"{path}.keras"
    keras.saving.save_model(model, filename)
    return keras.saving.load_model(filename)


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
