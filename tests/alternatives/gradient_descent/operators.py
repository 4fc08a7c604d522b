# Python operators (*, @, +) and tf.math.reduce_sum; x * x powers; .numpy() derivatives; assign_sub in the descent.
# %%
import tensorflow as tf

# %% tags=["parameters"]
STEPS = 50
ETA = 0.1
X0 = 10.0


# %%
def elementwise_product(a, b):
    return a * b


def matrix_product(a, b):
    return a @ b


def add_row_to_each_row(a, row):
    return a + row


def count_above(a, threshold):
    return tf.math.reduce_sum(tf.cast(a > threshold, tf.float32))


def column_sums(a):
    return tf.math.reduce_sum(a, 0)


def row_sums(a):
    return tf.math.reduce_sum(a, 1)


a = tf.constant([[1, 2], [3, 4]], tf.float32)
b = tf.constant([[1, 1], [1, 1]], tf.float32)
print(elementwise_product(a, b))
print(matrix_product(a, b))


# %%
def derivative_of_square(x_value):
    x = tf.Variable(x_value)
    with tf.GradientTape() as tape:
        y = x * x
    return tape.gradient(y, x).numpy()


def partials_of_3x2_plus_y(x_value, y_value):
    x = tf.Variable(x_value)
    y = tf.Variable(y_value)
    with tf.GradientTape() as tape:
        f = 3 * x * x + y
    grads = tape.gradient(f, [x, y])
    return [g.numpy() for g in grads]


def derivative_of_watched_cube(x_value):
    x = tf.constant(x_value)
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = x * x * x
    return tape.gradient(f, x).numpy()


print(derivative_of_square(3.0), partials_of_3x2_plus_y(4.0, 2.0), derivative_of_watched_cube(4.0))


# %%
def gradient_descent(x0, eta, steps):
    x = tf.Variable(x0, dtype=tf.float32)
    xs = []
    for i in range(steps):
        with tf.GradientTape() as tape:
            y = (x - 2) ** 2
        dydx = tape.gradient(y, x)
        x.assign_sub(eta * dydx)
        xs.append(float(x.numpy()))
    return xs


xs = gradient_descent(X0, ETA, STEPS)
print("x after", STEPS, "steps:", xs[-1] if xs else None)
