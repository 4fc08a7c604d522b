# Keras model with separate Activation("sigmoid") layers after linear Dense layers, named; hand-built loop over zip(variables, grads) with assign(v - eta * g) and a tf.norm loss.
# %%
import tensorflow as tf

# %% tags=["parameters"]
ITERATIONS = 20000
EPOCHS = 10000
LEARNING_RATE = 0.5

# %%
x = tf.constant([[0, 0], [0, 1], [1, 0], [1, 1]], tf.float32)
y_labels = tf.reshape(tf.constant([0.0, 1.0, 1.0, 0.0]), (4, 1))

tf.random.set_seed(1)
W1 = tf.Variable(tf.random.truncated_normal([2, 2], stddev=0.1))
b1 = tf.Variable(tf.random.truncated_normal([1, 2], stddev=0.1))
W2 = tf.Variable(tf.random.truncated_normal([2, 1], stddev=0.1))
b2 = tf.Variable(tf.random.truncated_normal([1, 1], stddev=0.1))
weights = [W1, b1, W2, b2]


def run_network(x):
    h1 = tf.math.sigmoid(tf.add(tf.matmul(x, W1), b1))
    y = tf.math.sigmoid(tf.add(tf.matmul(h1, W2), b2))
    return y


def calc_loss():
    return tf.norm(run_network(x) - y_labels) ** 2


def train_step(eta):
    with tf.GradientTape() as tape:
        loss = calc_loss()
    grads = tape.gradient(loss, weights)
    for w, g in zip(weights, grads):
        w.assign(w - eta * g)
    return loss


# %%
for i in range(ITERATIONS):
    loss = train_step(LEARNING_RATE)
    if i % 1000 == 0:
        print("iteration", i, "loss", float(loss))
print(run_network(x).numpy())


# %%
def build_model():
    return tf.keras.Sequential([
        tf.keras.layers.Dense(2, name="hidden"),
        tf.keras.layers.Activation("sigmoid", name="hidden_sigmoid"),
        tf.keras.layers.Dense(1, name="output"),
        tf.keras.layers.Activation("sigmoid", name="output_sigmoid"),
    ], name="xor")


def train_model(model, epochs):
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="mse")
    return model.fit(x, y_labels, epochs=epochs, batch_size=4, verbose=0, shuffle=False)


model = build_model()
history = train_model(model, EPOCHS)
print("trained outputs", model(x).numpy().ravel())
