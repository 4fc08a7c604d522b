# Every Part A function under @tf.function (tf.linalg.matmul, tf.math.multiply, tf.add, tf.greater); a @tf.function update step in the descent.
# %%
import tensorflow as tf

# %% tags=["parameters"]
STEPS = 50
ETA = 0.1
X0 = 10.0


# %%
@tf.function
def elementwise_product(a, b):
    return tf.math.multiply(a, b)


@tf.function
def matrix_product(a, b):
    return tf.linalg.matmul(a, b)


@tf.function
def add_row_to_each_row(a, row):
    return tf.add(a, row)


@tf.function
def count_above(a, threshold):
    return tf.reduce_sum(tf.cast(tf.greater(a, threshold), tf.int64))


@tf.function
def column_sums(a):
    return tf.reduce_sum(a, axis=0)


@tf.function
def row_sums(a):
    return tf.reduce_sum(a, axis=-1)


a = tf.constant([[1, 2], [3, 4]], tf.float32)
b = tf.constant([[1, 1], [1, 1]], tf.float32)
print(elementwise_product(a, b))
print(matrix_product(a, b))


# %%
def derivative_of_square(x_value):
    x = tf.Variable(x_value, dtype=tf.float32)
    with tf.GradientTape() as tape:
        y = tf.square(x)
    return tape.gradient(y, x)


def partials_of_3x2_plus_y(x_value, y_value):
    x = tf.Variable(x_value, dtype=tf.float32)
    y = tf.Variable(y_value, dtype=tf.float32)
    with tf.GradientTape() as tape:
        f = tf.add(tf.multiply(3.0, tf.square(x)), y)
    return tape.gradient(f, [x, y])


def derivative_of_watched_cube(x_value):
    x = tf.constant(x_value, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = x ** 3
    return tape.gradient(f, x)


print(derivative_of_square(3.0), partials_of_3x2_plus_y(4.0, 2.0), derivative_of_watched_cube(4.0))


# %%
def gradient_descent(x0, eta, steps):
    x = tf.Variable(x0, dtype=tf.float32)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            y = x**2 - 4.0 * x + 4.0
        dydx = tape.gradient(y, x)
        x.assign(x - eta * dydx)

    xs = []
    for i in range(steps):
        step()
        xs.append(float(x.numpy()))
    return xs


xs = gradient_descent(X0, ETA, STEPS)
print("x after", STEPS, "steps:", xs[-1] if xs else None)
