# A fresh np.random.permutation per epoch, consumed batch by batch; log-space softmax; cross-entropy by tf.gather of the labels' probabilities; W and b updated with assign_sub in a loop.
# %%
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

# %% tags=["parameters"]
ITERATIONS = 1000
BATCH_SIZE = 100
LEARNING_RATE = 0.5


# %%
def preprocess(images):
    n = images.shape[0]
    return np.reshape(images, (n, 784)).astype(np.float32) / np.float32(255)


(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
x_train = preprocess(train_images)
x_test = preprocess(test_images)

plt.imshow(np.hstack(list(train_images[:8])), cmap="gray")
plt.title(" ".join(str(label) for label in train_labels[:8]))
plt.show()

# %%
W = tf.Variable(tf.random.truncated_normal([784, 10], stddev=0.01))
b = tf.Variable(tf.zeros([10]))


def run_network(x):
    y = tf.matmul(x, W) + b
    return tf.exp(y - tf.reduce_logsumexp(y, axis=1, keepdims=True))


def calc_loss(x, labels):
    p = run_network(x)
    p_label = tf.gather(p, tf.cast(labels, tf.int64), axis=1, batch_dims=1)
    return tf.reduce_mean(-tf.math.log(tf.clip_by_value(p_label, 1e-7, 1.0)))


def train_step(x, labels, eta):
    with tf.GradientTape() as tape:
        loss = calc_loss(x, labels)
    for variable, gradient in zip([W, b], tape.gradient(loss, [W, b])):
        variable.assign_sub(eta * gradient)
    return loss


def train(x, labels, iterations, batch_size, eta):
    history = []
    order, position = np.random.permutation(len(x)), 0
    for _ in range(iterations):
        if position + batch_size > len(x):  # a new epoch: a new permutation
            order, position = np.random.permutation(len(x)), 0
        batch = order[position:position + batch_size]
        position += batch_size
        history.append(float(train_step(x[batch], labels[batch], eta)))
    return history


def accuracy(x, labels):
    probabilities = run_network(x).numpy()
    return (probabilities.argmax(axis=1) == labels).mean()


# %%
history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)

plt.plot(range(1, len(history) + 1), history)
plt.yscale("log")
plt.xlabel("iteration")
plt.ylabel("mini-batch cross entropy")
plt.show()

print("test accuracy", accuracy(x_test, test_labels))
