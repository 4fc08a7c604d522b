# train_step builds tf.keras.optimizers.SGD(learning_rate=eta) and calls apply_gradients; mini-batches by np.random.choice without replacement; tf.nn.softmax.
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
    images = np.array(images, dtype=np.float32)
    return images.reshape(images.shape[0], -1) / 255.0


(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
x_train = preprocess(train_images)
x_test = preprocess(test_images)

for i in range(4):
    plt.subplot(1, 4, i + 1)
    plt.imshow(train_images[i], cmap="gray")
    plt.title(str(train_labels[i]))
plt.show()

# %%
W = tf.Variable(tf.random.normal([784, 10], stddev=0.01))
b = tf.Variable(tf.zeros([10]))


def run_network(x):
    return tf.nn.softmax(tf.matmul(x, W) + b, axis=1)


def calc_loss(x, labels):
    cce = tf.keras.losses.SparseCategoricalCrossentropy()
    return cce(labels, run_network(x))


def train_step(x, labels, eta):
    optimizer = tf.keras.optimizers.SGD(learning_rate=eta)
    with tf.GradientTape() as tape:
        loss = calc_loss(x, labels)
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    return loss


def train(x, labels, iterations, batch_size, eta):
    losses = []
    for i in range(iterations):
        rows = np.random.choice(len(x), size=batch_size, replace=False)
        loss = train_step(x[rows], labels[rows], eta)
        losses.append(float(loss.numpy()))
    return losses


def accuracy(x, labels):
    predictions = np.argmax(run_network(x).numpy(), axis=1)
    return float(np.mean(predictions == np.asarray(labels)))


# %%
history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)

plt.plot(history)
plt.xlabel("iteration")
plt.ylabel("cross entropy")
plt.show()

print("test accuracy", accuracy(x_test, test_labels))
