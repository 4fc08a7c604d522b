# normalise with tf.math.reduce_mean / reduce_std on a tf.constant, one_hot via tf.one_hot and .numpy(); hids loop with layers.Input and function activations (tf.nn.tanh, keras.activations.softmax); EarlyStopping(restore_best_weights=True, mode="min"); Adam with a positional learning rate.
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
    x = tf.constant(inputs)  # float64, as NumPy gives it
    column_means = tf.math.reduce_mean(x, axis=0)
    column_stds = tf.math.reduce_std(x, axis=0)  # divides by n, like np.std
    normalised = (x - column_means) / column_stds
    return normalised.numpy(), column_means.numpy(), column_stds.numpy()


def one_hot(labels):
    return tf.one_hot(tf.cast(labels, tf.int32), 3, dtype=tf.float32).numpy()


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
    hids = [4, 20, 20, 3]
    layers = [keras.layers.Input(shape=(hids[0],))]
    for width in hids[1:-1]:
        layers.append(keras.layers.Dense(width, activation=tf.nn.tanh,
                                         kernel_regularizer=keras.regularizers.l2(l2)))
        layers.append(keras.layers.Dropout(rate=dropout))
    layers.append(keras.layers.Dense(hids[-1], activation=keras.activations.softmax,
                                     kernel_regularizer=keras.regularizers.l2(l2)))
    return keras.Sequential(layers)


def train(model, x_train, t_train, x_val, t_val, epochs, patience=PATIENCE):
    model.compile(keras.optimizers.Adam(LEARNING_RATE), "categorical_crossentropy", metrics=["accuracy"])
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=patience,
                                            restore_best_weights=True)
    return model.fit(x_train, t_train, batch_size=20, epochs=epochs, verbose=0,
                     validation_data=(x_val, t_val), callbacks=[stopper])


def save_and_reload(model, path):
    path = path + ".keras"
    model.save(path)
    return keras.models.load_model(path)


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
