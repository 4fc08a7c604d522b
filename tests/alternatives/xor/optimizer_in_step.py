# train_step(eta) builds tf.keras.optimizers.SGD(learning_rate=eta) and calls apply_gradients (as the template suggests); Keras model with keras.Input and activation="sigmoid" strings.
# %%
import keras
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
b1 = tf.Variable(tf.random.truncated_normal([1, 2], stddev=0.1))
W2 = tf.Variable(tf.random.truncated_normal([2, 1], stddev=0.1))
b2 = tf.Variable(tf.random.truncated_normal([1, 1], stddev=0.1))


def run_network(x):
    h1 = tf.sigmoid(tf.matmul(x, W1) + b1)
    y = tf.sigmoid(tf.matmul(h1, W2) + b2)
    return y


def calc_loss():
    return tf.reduce_sum(tf.square(run_network(x) - y_labels))


def train_step(eta):
    optimizer = tf.keras.optimizers.SGD(learning_rate=eta)
    variables = [W1, b1, W2, b2]
    with tf.GradientTape() as tape:
        loss = calc_loss()
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return loss


# %%
for i in range(ITERATIONS):
    loss = train_step(LEARNING_RATE)
    if i % 1000 == 0:
        print("iteration", i, "loss", float(loss))
print(run_network(x).numpy())


# %%
def build_model():
    return keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(2, activation="sigmoid"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


def train_model(model, epochs):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="mse")
    history = model.fit(x, y_labels, batch_size=4, epochs=epochs, verbose=0)
    return history


model = build_model()
history = train_model(model, EPOCHS)
print("trained outputs", model(x).numpy().ravel())
