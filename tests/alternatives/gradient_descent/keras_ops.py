# keras.ops throughout Part A (multiply, matmul, add, sum, greater); persistent tapes and a stacked gradient in Part B; a while loop with .item() in the descent.
# %%
import keras
import tensorflow as tf

# %% tags=["parameters"]
STEPS = 50
ETA = 0.1
X0 = 10.0


# %%
def elementwise_product(a, b):
    return keras.ops.multiply(a, b)


def matrix_product(a, b):
    return keras.ops.matmul(a, b)


def add_row_to_each_row(a, row):
    return keras.ops.add(a, keras.ops.expand_dims(row, 0))


def count_above(a, threshold):
    return keras.ops.sum(keras.ops.cast(keras.ops.greater(a, threshold), "int32"))


def column_sums(a):
    return keras.ops.sum(a, axis=0)


def row_sums(a):
    return keras.ops.sum(a, axis=1)


a = tf.constant([[1, 2], [3, 4]], tf.float32)
b = tf.constant([[1, 1], [1, 1]], tf.float32)
print(elementwise_product(a, b))
print(matrix_product(a, b))


# %%
def derivative_of_square(x_value):
    x = tf.Variable(float(x_value))
    with tf.GradientTape(persistent=True) as tape:
        y = tf.pow(x, 2)
    dydx = tape.gradient(y, x)
    del tape
    return dydx


def partials_of_3x2_plus_y(x_value, y_value):
    x = tf.Variable(float(x_value))
    y = tf.Variable(float(y_value))
    with tf.GradientTape(persistent=True) as tape:
        f = 3.0 * tf.pow(x, 2) + y
    dfdx = tape.gradient(f, x)
    dfdy = tape.gradient(f, y)
    del tape
    return tf.stack([dfdx, dfdy])


def derivative_of_watched_cube(x_value):
    x = tf.constant(float(x_value))
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = tf.pow(x, 3)
    return tape.gradient(f, x)


print(derivative_of_square(3.0), partials_of_3x2_plus_y(4.0, 2.0), derivative_of_watched_cube(4.0))


# %%
def gradient_descent(x0, eta, steps):
    x = tf.Variable(x0, dtype=tf.float32)
    xs = []
    i = 0
    while i < steps:
        with tf.GradientTape() as tape:
            y = keras.ops.square(x) - 4 * x + 4
        x.assign(x - eta * tape.gradient(y, x))
        xs.append(x.numpy().item())
        i += 1
    return xs


xs = gradient_descent(X0, ETA, STEPS)
print("x after", STEPS, "steps:", xs[-1] if xs else None)
