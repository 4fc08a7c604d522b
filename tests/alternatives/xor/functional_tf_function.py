# @tf.function on run_network and train_step; Keras functional API (keras.Input -> named Dense layers -> keras.Model).
# %%
import keras
import tensorflow as tf

# %% tags=["parameters"]
ITERATIONS = 20000
EPOCHS = 10000
LEARNING_RATE = 0.5

# %%
x = tf.constant([[0, 0], [0, 1], [1, 0], [1, 1]], tf.float32)
y_labels = tf.constant([[0.0], [1.0], [1.0], [0.0]])

tf.random.set_seed(1)
W1 = tf.Variable(tf.random.truncated_normal([2, 2], stddev=0.1))
b1 = tf.Variable(tf.random.truncated_normal([1, 2], stddev=0.1))
W2 = tf.Variable(tf.random.truncated_normal([2, 1], stddev=0.1))
b2 = tf.Variable(tf.random.truncated_normal([1, 1], stddev=0.1))


@tf.function
def run_network(x):
    h1 = tf.sigmoid(x @ W1 + b1)
    return tf.sigmoid(h1 @ W2 + b2)


def calc_loss():
    return tf.reduce_sum(tf.math.squared_difference(run_network(x), y_labels))


@tf.function
def train_step(eta):
    with tf.GradientTape() as tape:
        loss = calc_loss()
    gradients = tape.gradient(loss, [W1, b1, W2, b2])
    for variable, gradient in zip([W1, b1, W2, b2], gradients):
        variable.assign_sub(eta * gradient)
    return loss


# %%
for i in range(ITERATIONS):
    loss = train_step(LEARNING_RATE)
    if i % 1000 == 0:
        print("iteration", i, "loss", float(loss))
print(run_network(x).numpy())


# %%
def build_model():
    inputs = keras.Input(shape=(2,), name="pattern")
    hidden = keras.layers.Dense(2, activation="sigmoid", name="hidden")(inputs)
    output = keras.layers.Dense(1, activation="sigmoid", name="output")(hidden)
    return keras.Model(inputs=inputs, outputs=output, name="xor")


def train_model(model, epochs):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="mean_squared_error")
    return model.fit(x, y_labels, epochs=epochs, batch_size=4, verbose=0)


model = build_model()
history = train_model(model, EPOCHS)
print("trained outputs", model(x).numpy().ravel())
