# %% [markdown]
# # Reference solution: TensorFlow basics and gradient descent (lecture 1)

# %%
import tensorflow as tf

# %% tags=["parameters"]
STEPS = 50
ETA = 0.1
X0 = 10.0


# %%
def elementwise_product(a, b):
    return tf.multiply(a, b)


def matrix_product(a, b):
    return tf.matmul(a, b)


def add_row_to_each_row(a, row):
    return a + row


def count_above(a, threshold):
    return tf.reduce_sum(tf.cast(a > threshold, tf.int32))


def column_sums(a):
    return tf.reduce_sum(a, axis=0)


def row_sums(a):
    return tf.reduce_sum(a, axis=1)


# %%
def derivative_of_square(x_value):
    x = tf.Variable(x_value, dtype=tf.float32)
    with tf.GradientTape() as tape:
        y = tf.pow(x, 2.0)
    return tape.gradient(y, x)


def partials_of_3x2_plus_y(x_value, y_value):
    x = tf.Variable(x_value, dtype=tf.float32)
    y = tf.Variable(y_value, dtype=tf.float32)
    with tf.GradientTape() as tape:
        f = tf.pow(x, 2.0) * 3.0 + y
    dfdx, dfdy = tape.gradient(f, [x, y])
    return [dfdx, dfdy]


def derivative_of_watched_cube(x_value):
    x = tf.constant(x_value, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = tf.pow(x, 3.0)
    return tape.gradient(f, x)


# %%
def gradient_descent(x0, eta, steps):
    x = tf.Variable(x0, dtype=tf.float32)
    xs = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            y = x**2 - 4 * x + 4
        dydx = tape.gradient(y, x)
        x.assign(x - eta * dydx)
        xs.append(float(x.numpy()))
    return xs


xs = gradient_descent(X0, ETA, STEPS)
print("x after", STEPS, "steps:", xs[-1])
