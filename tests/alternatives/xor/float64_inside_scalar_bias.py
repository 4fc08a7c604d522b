# run_network and calc_loss computed in float64 throughout (the variables stay float32); b2 a scalar bias, b1 a vector.
# %% [markdown]
# # Reference solution: the 2-2-1 XOR network (lecture 2)

# %%
import tensorflow as tf

# %% tags=["parameters"]
ITERATIONS = 20000
EPOCHS = 10000
LEARNING_RATE = 0.5

# %%
x = tf.constant([[0, 0], [0, 1], [1, 0], [1, 1]], tf.float32)
y_labels = tf.constant([[0], [1], [1], [0]], tf.float32)

tf.random.set_seed(1)
W1 = tf.Variable(tf.random.truncated_normal([2, 2], stddev=0.1))
b1 = tf.Variable(tf.random.truncated_normal([2], stddev=0.1))
W2 = tf.Variable(tf.random.truncated_normal([2, 1], stddev=0.1))
b2 = tf.Variable(tf.random.truncated_normal([], stddev=0.1))  # one output: a scalar bias


def run_network(x):
    """Computed in float64 throughout."""
    x = tf.cast(x, tf.float64)
    h1 = tf.sigmoid(tf.matmul(x, tf.cast(W1, tf.float64)) + tf.cast(b1, tf.float64))
    y = tf.sigmoid(tf.matmul(h1, tf.cast(W2, tf.float64)) + tf.cast(b2, tf.float64))
    return y


def calc_loss():
    y = run_network(x)
    deltas = y - tf.cast(y_labels, tf.float64)
    return tf.reduce_sum(tf.square(deltas))


def train_step(eta):
    with tf.GradientTape() as tape:
        loss = calc_loss()
    dW1, db1, dW2, db2 = tape.gradient(loss, [W1, b1, W2, b2])
    W1.assign(W1 - eta * dW1)
    b1.assign(b1 - eta * db1)
    W2.assign(W2 - eta * dW2)
    b2.assign(b2 - eta * db2)
    return loss


# %%
for i in range(ITERATIONS):
    loss = train_step(LEARNING_RATE)
    if i % 1000 == 0:
        print("iteration", i, "loss", loss.numpy())
print(run_network(x).numpy())


# %%
def build_model():
    return tf.keras.Sequential([
        tf.keras.layers.Dense(2, activation=tf.nn.sigmoid),
        tf.keras.layers.Dense(1, activation=tf.nn.sigmoid),
    ])


def train_model(model, epochs):
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="mse")
    return model.fit(x, y_labels, epochs=epochs, batch_size=4, verbose=0)


model = build_model()
history = train_model(model, EPOCHS)
print("trained outputs", model(x).numpy().ravel())
