# %% [markdown]
# # Reference solution: MNIST with a 1-layer softmax network (lecture 2)

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
    """uint8 images of shape (n, 28, 28) -> float32 vectors of shape (n, 784) in [0, 1]."""
    images = np.asarray(images)
    return images.reshape(len(images), 28 * 28).astype(np.float32) / 255.0


(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
x_train = preprocess(train_images)
x_test = preprocess(test_images)
print(x_train.shape, x_train.dtype, x_train.min(), x_train.max())

figure, axes = plt.subplots(1, 5, figsize=(8, 2))
for axis, image, label in zip(axes, train_images[:5], train_labels[:5]):
    axis.imshow(image, cmap="gray")
    axis.set_title(int(label))
    axis.axis("off")
plt.show()

# %%
W = tf.Variable(tf.random.truncated_normal([784, 10], stddev=0.01))
b = tf.Variable(tf.zeros([10]))
cce = tf.keras.losses.SparseCategoricalCrossentropy()


def run_network(x):
    """(n, 784) images -> (n, 10) probabilities, one row per image."""
    y = tf.matmul(x, W) + b
    return tf.keras.activations.softmax(y, axis=1)


def calc_loss(x, labels):
    """Mean cross entropy of the network's outputs for integer labels 0-9."""
    return tf.reduce_mean(cce(y_true=labels, y_pred=run_network(x)))


@tf.function
def train_step(x, labels, eta):
    """One step of gradient descent on the batch (x, labels) with learning rate eta; returns the loss."""
    with tf.GradientTape() as tape:
        loss = calc_loss(x, labels)
    dW, db = tape.gradient(loss, [W, b])
    W.assign_sub(eta * dW)
    b.assign_sub(eta * db)
    return loss


def train(x, labels, iterations, batch_size, eta):
    """Stochastic gradient descent from the current W, b: one random mini-batch per iteration."""
    history = []
    for _ in range(iterations):
        batch = np.random.randint(0, len(x), batch_size)
        history.append(float(train_step(x[batch], labels[batch], eta)))
    return history


def accuracy(x, labels):
    """Fraction of the images whose most probable class is their label."""
    predicted = tf.argmax(run_network(x), axis=1)
    return float(tf.reduce_mean(tf.cast(predicted == tf.cast(labels, predicted.dtype), tf.float32)))


# %%
history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)

plt.plot(history, label="train (one mini-batch per iteration)")
plt.title("Model Loss")
plt.yscale("log")
plt.ylabel("Cross Entropy")
plt.xlabel("Iteration")
plt.grid()
plt.legend()
plt.show()

print("test accuracy", accuracy(x_test, test_labels))
