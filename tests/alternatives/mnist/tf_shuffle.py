# Mini-batches by tf.random.shuffle of the indices and tf.gather; a hand-written cross-entropy with a one-hot mask; @tf.function train_step with assign(W - eta * dW).
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
    """uint8 images of shape (n, 28, 28) -> float32 array of shape (n, 784) with values in [0, 1]."""
    return (np.asarray(images).astype("float32") / 255.0).reshape(-1, 784)


(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
x_train = preprocess(train_images)
x_test = preprocess(test_images)

fig, axes = plt.subplots(2, 3)
for ax, image, label in zip(axes.flat, train_images, train_labels):
    ax.imshow(image, cmap="gray")
    ax.set_title(f"label {label}")
plt.show()

# %%
W = tf.Variable(tf.zeros((784, 10)), name="W")
b = tf.Variable(tf.zeros((10,)), name="b")


def run_network(x):
    y = tf.matmul(x, W) + b
    e = tf.exp(y - tf.reduce_max(y, axis=1, keepdims=True))
    return e / tf.reduce_sum(e, axis=1, keepdims=True)


def calc_loss(x, labels):
    p = run_network(x)
    t = tf.one_hot(tf.cast(labels, tf.int32), 10)
    return -tf.reduce_mean(tf.reduce_sum(t * tf.math.log(tf.clip_by_value(p, 1e-7, 1.0)), axis=1))


@tf.function
def train_step(x, labels, eta):
    with tf.GradientTape() as tape:
        loss = calc_loss(x, labels)
    dW, db = tape.gradient(loss, [W, b])
    W.assign(W - eta * dW)
    b.assign(b - eta * db)
    return loss


def train(x, labels, iterations, batch_size, eta):
    x, labels = tf.convert_to_tensor(x), tf.convert_to_tensor(labels)  # once, not in every iteration
    n = int(tf.shape(labels)[0])
    history = []
    for _ in range(iterations):
        batch = tf.random.shuffle(tf.range(n))[:batch_size]
        loss = train_step(tf.gather(x, batch), tf.gather(labels, batch), eta)
        history.append(loss.numpy().item())
    return history


def accuracy(x, labels):
    predicted = tf.argmax(run_network(x), axis=1, output_type=tf.int32)
    correct = tf.equal(predicted, tf.cast(labels, tf.int32))
    return tf.reduce_mean(tf.cast(correct, tf.float32)).numpy()


# %%
history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)

plt.semilogy(history)
plt.xlabel("iteration")
plt.ylabel("loss")
plt.show()

print("test accuracy", accuracy(x_test, test_labels))
