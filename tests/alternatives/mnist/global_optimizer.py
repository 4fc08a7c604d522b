# One global Keras SGD optimizer whose learning rate train_step sets to eta; NumPy-2 float32 division by np.float32(255); np.random.default_rng batches; @tf.function run_network.
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
    return images.reshape(-1, 784) / np.float32(255.0)  # uint8 / float32 scalar: float32 in NumPy 2


(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
x_train = preprocess(train_images)
x_test = preprocess(test_images)

for k in range(3):
    plt.subplot(1, 3, k + 1)
    plt.imshow(train_images[k], cmap="gray")
    plt.xlabel(train_labels[k])
plt.show()

# %%
W = tf.Variable(tf.random.truncated_normal([784, 10], stddev=0.01))
b = tf.Variable(tf.zeros([10]))
optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
loss_function = tf.keras.losses.SparseCategoricalCrossentropy()
rng = np.random.default_rng()


@tf.function
def run_network(x):
    return tf.keras.activations.softmax(tf.matmul(x, W) + b, axis=1)


def calc_loss(x, labels):
    return tf.reduce_mean(loss_function(y_true=labels, y_pred=run_network(x)))


def train_step(x, labels, eta):
    optimizer.learning_rate = eta
    with tf.GradientTape() as tape:
        loss = calc_loss(x, labels)
    optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
    return loss


def train(x, labels, iterations, batch_size, eta):
    history = []
    for i in range(iterations):
        batch = rng.integers(0, len(x), size=batch_size)
        history.append(float(train_step(x[batch], labels[batch], eta)))
    return history


def accuracy(x, labels):
    predicted = np.argmax(run_network(x), axis=1)
    return float(np.count_nonzero(predicted == labels) / len(labels))


# %%
history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)

plt.plot(history, label="training loss")
plt.legend()
plt.show()

print("test accuracy", accuracy(x_test, test_labels))
