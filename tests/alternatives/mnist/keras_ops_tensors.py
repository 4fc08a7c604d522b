# preprocess with TF ops (returns a tensor); keras.ops forward pass and loss; tf.random.uniform batch indices with tf.gather; a Keras metric for the accuracy.
# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

# %% tags=["parameters"]
ITERATIONS = 1000
BATCH_SIZE = 100
LEARNING_RATE = 0.5


# %%
def preprocess(images):
    images = tf.convert_to_tensor(images)
    return tf.reshape(tf.cast(images, tf.float32) / 255.0, [-1, 28 * 28])


(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
x_train = preprocess(train_images)
x_test = preprocess(test_images)

plt.imshow(train_images[0], cmap="gray")
plt.title(train_labels[0])
plt.show()

# %%
W = tf.Variable(tf.random.truncated_normal([784, 10], stddev=0.01))
b = tf.Variable(tf.zeros([10]))


def run_network(x):
    return keras.ops.softmax(keras.ops.matmul(x, W) + b, axis=-1)


def calc_loss(x, labels):
    return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, run_network(x)))


def train_step(x, labels, eta):
    with tf.GradientTape() as tape:
        loss = calc_loss(x, labels)
    dW, db = tape.gradient(loss, [W, b])
    W.assign_sub(eta * dW)
    b.assign_sub(eta * db)
    return loss


def train(x, labels, iterations, batch_size, eta):
    n = int(tf.shape(x)[0])
    losses = []
    for _ in range(iterations):
        indices = tf.random.uniform([batch_size], minval=0, maxval=n, dtype=tf.int32)
        losses.append(float(train_step(tf.gather(x, indices), tf.gather(labels, indices), eta)))
    return losses


def accuracy(x, labels):
    metric = keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(labels, run_network(x))
    return float(metric.result())


# %%
history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)

plt.plot(history)
plt.title("Model Loss")
plt.xlabel("Iteration")
plt.ylabel("Cross Entropy")
plt.show()

print("test accuracy", accuracy(x_test, test_labels))
