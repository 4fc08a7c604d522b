# tf.einsum products and sums, counting the rows of tf.where, float64 Variables and constants in Part B, a float64 descent variable and a NumPy array of xs turned into a list.
# %%
import numpy as np
import tensorflow as tf

# %% tags=["parameters"]
STEPS = 50
ETA = 0.1
X0 = 10.0


# %%
def elementwise_product(a, b):
    return tf.einsum("ij,ij->ij", a, b)


def matrix_product(a, b):
    return tf.einsum("ij,jk->ik", a, b)


def add_row_to_each_row(a, row):
    return a + tf.reshape(row, (1, -1))


def count_above(a, threshold):
    return tf.shape(tf.where(a > threshold))[0]


def column_sums(a):
    return tf.einsum("ij->j", a)


def row_sums(a):
    return tf.einsum("ij->i", a)


a = tf.constant([[1, 2], [3, 4]], tf.float32)
b = tf.constant([[1, 1], [1, 1]], tf.float32)
print(elementwise_product(a, b))
print(matrix_product(a, b))


# %%
def derivative_of_square(x_value):
    x = tf.Variable(x_value, dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = x**2
    return float(tape.gradient(y, x))


def partials_of_3x2_plus_y(x_value, y_value):
    xy = tf.Variable([x_value, y_value], dtype=tf.float64)
    with tf.GradientTape() as tape:
        f = 3 * xy[0] ** 2 + xy[1]
    return tape.gradient(f, xy).numpy()


def derivative_of_watched_cube(x_value):
    x = tf.constant(x_value, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = x**3
    return float(tape.gradient(f, x))


print(derivative_of_square(3.0), partials_of_3x2_plus_y(4.0, 2.0), derivative_of_watched_cube(4.0))


# %%
def gradient_descent(x0, eta, steps):
    x = tf.Variable(x0, dtype=tf.float64)
    xs = np.zeros(steps)
    for i in range(steps):
        with tf.GradientTape() as tape:
            y = x**2 - 4 * x + 4
        dydx = tape.gradient(y, x)
        x.assign(x - eta * dydx)
        xs[i] = x.numpy()
    return list(xs)


xs = gradient_descent(X0, ETA, STEPS)
print("x after", STEPS, "steps:", xs[-1] if xs else None)
