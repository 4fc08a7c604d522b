# The lecture's layout: tape.gradient and x.assign inside the `with` block, a print per iteration, tf.math.count_nonzero, transposed sums, a tuple of partials.
# %%
import tensorflow as tf

# %% tags=["parameters"]
STEPS = 50
ETA = 0.1
X0 = 10.0


# %%
def elementwise_product(a, b):
    c = tf.multiply(a, b)
    return c


def matrix_product(a, b):
    return tf.matmul(a, b, transpose_a=False, transpose_b=False)


def add_row_to_each_row(a, row):
    return a + tf.broadcast_to(row, tf.shape(a))


def count_above(a, threshold):
    return tf.math.count_nonzero(tf.greater(a, threshold))


def column_sums(a):
    return tf.reduce_sum(tf.transpose(a), axis=1)


def row_sums(a):
    return tf.reduce_sum(tf.transpose(a), axis=0)


a = tf.constant([[1, 2], [3, 4]], tf.float32)
b = tf.constant([[1, 1], [1, 1]], tf.float32)
print(elementwise_product(a, b))
print(matrix_product(a, b))


# %%
def derivative_of_square(x_value):
    x = tf.Variable(x_value, tf.float32)
    with tf.GradientTape() as tape:
        y = tf.pow(x, 2.0)
        dydx = tape.gradient(y, x)
    return dydx


def partials_of_3x2_plus_y(x_value, y_value):
    x = tf.Variable(x_value, tf.float32)
    y = tf.Variable(y_value, tf.float32)
    with tf.GradientTape() as tape:
        f = tf.pow(x, 2.0) * 3.0 + y
    [dfdx, dfdy] = tape.gradient(f, [x, y])
    return dfdx, dfdy


def derivative_of_watched_cube(x_value):
    x = tf.constant(x_value, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = tf.pow(x, 3.0)
    dfdx = tape.gradient(f, x)
    return dfdx


print(derivative_of_square(3.0), partials_of_3x2_plus_y(4.0, 2.0), derivative_of_watched_cube(4.0))


# %%
def gradient_descent(x0, eta, steps):
    x = tf.Variable(x0, dtype=tf.float32)
    xs = []
    for i in range(steps):
        with tf.GradientTape() as tape:
            y = x * x - 4 * x + 4
            dydx = tape.gradient(y, x)
            x.assign(x - eta * dydx)
            print("iteration:", i, "x:", x.numpy(), "y:", y.numpy())
        xs.append(float(x.numpy()))
    return xs


xs = gradient_descent(X0, ETA, STEPS)
print("x after", STEPS, "steps:", xs[-1] if xs else None)
