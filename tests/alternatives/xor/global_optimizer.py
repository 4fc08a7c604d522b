# One global SGD optimizer whose learning rate train_step sets to eta before apply_gradients; Sequential built with .add() and a MeanSquaredError object.
# %%
import tensorflow as tf

# %% tags=["parameters"]
ITERATIONS = 20000
EPOCHS = 10000
LEARNING_RATE = 0.5

# %%
x = tf.constant([[0, 0], [0, 1], [1, 0], [1, 1]], tf.float32)
y_labels = tf.constant([0, 1, 1, 0], tf.float32)[:, tf.newaxis]

tf.random.set_seed(1)
W1 = tf.Variable(tf.random.truncated_normal([2, 2], stddev=0.1), name="W1")
b1 = tf.Variable(tf.random.truncated_normal([1, 2], stddev=0.1), name="b1")
W2 = tf.Variable(tf.random.truncated_normal([2, 1], stddev=0.1), name="W2")
b2 = tf.Variable(tf.random.truncated_normal([1, 1], stddev=0.1), name="b2")

optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)


def run_network(x):
    h1 = tf.nn.sigmoid(tf.linalg.matmul(x, W1) + b1)
    y = tf.nn.sigmoid(tf.linalg.matmul(h1, W2) + b2)
    return y


def calc_loss():
    deltas = run_network(x) - y_labels
    return tf.reduce_sum(deltas * deltas)


def train_step(eta):
    optimizer.learning_rate = eta
    with tf.GradientTape() as tape:
        loss = calc_loss()
    grads = tape.gradient(loss, [W1, b1, W2, b2])
    optimizer.apply_gradients(zip(grads, [W1, b1, W2, b2]))
    return loss


# %%
for i in range(ITERATIONS):
    loss = train_step(LEARNING_RATE)
    if i % 1000 == 0:
        print("iteration", i, "loss", float(loss))
print(run_network(x).numpy())


# %%
def build_model():
    model = tf.keras.models.Sequential()
    model.add(tf.keras.layers.Dense(2, activation=tf.nn.sigmoid))
    model.add(tf.keras.layers.Dense(1, activation=tf.nn.sigmoid))
    return model


def train_model(model, epochs):
    model.compile(optimizer=tf.keras.optimizers.SGD(LEARNING_RATE), loss=tf.keras.losses.MeanSquaredError())
    return model.fit(x=x, y=y_labels, epochs=epochs, batch_size=4, verbose=0)


model = build_model()
history = train_model(model, EPOCHS)
print("trained outputs", model(x).numpy().ravel())
