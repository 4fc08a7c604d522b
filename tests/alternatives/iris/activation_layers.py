# Linear Dense layers followed by Activation("tanh") / Softmax() layers, Dropout added only when dropout > 0; tf.keras spellings; a CategoricalCrossentropy loss object; EarlyStopping with its default monitor.
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
    column_means = inputs.mean(0)
    centred = inputs - column_means
    column_stds = np.sqrt((centred**2).mean(0))  # np.std with ddof=0
    return centred / column_stds, column_means, column_stds


def one_hot(labels):
    return tf.one_hot(labels, depth=3).numpy()


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
    model = tf.keras.Sequential()
    model.add(tf.keras.Input(shape=(4,)))
    for units in (20, 20):
        model.add(tf.keras.layers.Dense(units, kernel_regularizer=tf.keras.regularizers.l2(l2)))
        model.add(tf.keras.layers.Activation("tanh"))
        if dropout > 0:
            model.add(tf.keras.layers.Dropout(dropout))
    model.add(tf.keras.layers.Dense(3, kernel_regularizer=tf.keras.regularizers.l2(l2)))
    model.add(tf.keras.layers.Softmax())
    return model


def train(model, x_train, t_train, x_val, t_val, epochs, patience=PATIENCE):
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss=tf.keras.losses.CategoricalCrossentropy(), metrics=["accuracy"])
    callbacks = [tf.keras.callbacks.EarlyStopping(patience=patience)]  # monitor="val_loss" is the default
    return model.fit(x_train, t_train, validation_data=(x_val, t_val), epochs=epochs, batch_size=20,
                     callbacks=callbacks, verbose=0)


def save_and_reload(model, path):
    model.save(f"{path}.keras")
    return tf.keras.models.load_model(f"{path}.keras")


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
