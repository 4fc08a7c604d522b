# Mini-batches from a shuffled, repeated tf.data.Dataset; @tf.function train_step with a global Keras SGD whose learning_rate variable is assigned eta; CategoricalCrossentropy on one-hot labels made inside calc_loss.
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
    flat = images.reshape((images.shape[0], 28 * 28))
    return np.divide(flat, 255.0, dtype=np.float32)


(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
x_train = preprocess(train_images)
x_test = preprocess(test_images)

plt.figure(figsize=(6, 2))
for i in range(6):
    plt.subplot(1, 6, i + 1)
    plt.imshow(train_images[i], cmap="gray")
    plt.title(train_labels[i])
    plt.axis("off")
plt.show()

# %%
W = tf.Variable(tf.random.truncated_normal([784, 10], stddev=0.01))
b = tf.Variable(tf.zeros([10]))
optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
categorical = tf.keras.losses.CategoricalCrossentropy()


def run_network(x):
    return tf.keras.activations.softmax(tf.matmul(x, W) + b)


def calc_loss(x, labels):
    t = tf.one_hot(tf.cast(labels, tf.int32), depth=10)
    return categorical(t, run_network(x))


@tf.function
def train_step(x, labels, eta):
    optimizer.learning_rate.assign(eta)
    with tf.GradientTape() as tape:
        loss = calc_loss(x, labels)
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    return loss


def train(x, labels, iterations, batch_size, eta):
    batches = (tf.data.Dataset.from_tensor_slices((x, labels))
               .shuffle(buffer_size=len(labels))
               .repeat()
               .batch(batch_size))
    history = []
    for x_batch, label_batch in batches.take(iterations):
        history.append(float(train_step(x_batch, label_batch, eta)))
    return history


def accuracy(x, labels):
    correct = tf.argmax(run_network(x), axis=1).numpy() == np.asarray(labels)
    return correct.sum() / correct.size


# %%
history = train(x_train, train_labels, ITERATIONS, BATCH_SIZE, LEARNING_RATE)

plt.plot(history)
plt.xlabel("iteration")
plt.ylabel("cross entropy")
plt.show()

print("test accuracy", accuracy(x_test, test_labels))
