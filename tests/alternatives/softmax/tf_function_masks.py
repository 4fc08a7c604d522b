# @tf.function softmax with tf.math.* names; cross-entropy through a boolean one-hot mask; one_hot by comparing with tf.range; CategoricalCrossentropy on one-hot rows.
# %%
import tensorflow as tf


# %%
@tf.function
def softmax(y):
    row_max = tf.math.reduce_max(y, axis=1)
    e = tf.math.exp(tf.math.subtract(y, row_max[:, tf.newaxis]))
    return tf.math.divide(e, tf.math.reduce_sum(e, axis=1)[:, tf.newaxis])


y = tf.constant([[-0.2, 0.5, 0.1, 0.1], [1000.0, 1001.0, 1002.0, 0.0]])
print(softmax(y))
print(tf.keras.activations.softmax(y, axis=1))

# %%
chair_table_door_bed_probabilities = tf.reshape(softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]])), [-1])
table_loss = -tf.math.log(chair_table_door_bed_probabilities[1])
print(chair_table_door_bed_probabilities, table_loss)


# %%
def cross_entropy(p, t):
    p_target = tf.boolean_mask(p, t > 0.5)  # one entry per row: the probability of the target
    return tf.reduce_mean(-tf.math.log(tf.maximum(p_target, 1e-7)))


# %%
def one_hot(labels, depth):
    return tf.cast(tf.equal(tf.reshape(labels, (-1, 1)), tf.range(depth, dtype=labels.dtype)), tf.float32)


def labels_from_one_hot(t):
    return tf.argmax(t, axis=-1)


t = one_hot(tf.constant([1, 0, 3, 1, 2]), 4)
print(t)
print(labels_from_one_hot(t))


# %%
def keras_cross_entropy(labels, p):
    cce = tf.keras.losses.CategoricalCrossentropy()
    depth = tf.shape(p)[1]
    return tf.reduce_mean(cce(tf.one_hot(labels, depth), p))


labels = tf.constant([1, 0, 2])
p = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1], [2.0, 1.0, 0.0, -1.0], [0.3, -0.4, 1.2, 0.0]]))
print(cross_entropy(p, one_hot(labels, 4)), keras_cross_entropy(labels, p))
