# Softmax as p_i = 1 / sum_k e^(y_k - y_i) over pairwise differences (stable without a max); the notes' loss object called with keywords; table_loss through cross_entropy and one_hot.
# %%
import tensorflow as tf


# %%
def softmax(y):
    differences = y[:, tf.newaxis, :] - y[:, :, tf.newaxis]  # [n, i, k] = y_k - y_i
    return 1.0 / tf.reduce_sum(tf.exp(differences), axis=2)


y = tf.constant([[-0.2, 0.5, 0.1, 0.1], [1000.0, 1001.0, 1002.0, 0.0]])
print(softmax(y))
print(tf.keras.activations.softmax(y, axis=1))


# %%
def cross_entropy(p, t):
    log_p = tf.math.log(tf.clip_by_value(p, 1e-7, 1.0))
    return -tf.reduce_sum(t * log_p) / tf.cast(tf.shape(p)[0], p.dtype)


# %%
def one_hot(labels, depth):
    return tf.one_hot(labels, depth=depth, dtype=tf.float32)


def labels_from_one_hot(t):
    return tf.argmax(t, 1)


t = one_hot(tf.constant([1, 0, 3, 1, 2]), 4)
print(t)
print(labels_from_one_hot(t))

# %%
chair_table_door_bed_probabilities = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]]))
table_loss = cross_entropy(chair_table_door_bed_probabilities, one_hot([1], 4))
print(chair_table_door_bed_probabilities, table_loss)


# %%
def keras_cross_entropy(labels, p):
    cce = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=False)
    cross_entropy = tf.reduce_mean(cce(y_true=labels, y_pred=p))
    return cross_entropy


labels = tf.constant([1, 0, 2])
p = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1], [2.0, 1.0, 0.0, -1.0], [0.3, -0.4, 1.2, 0.0]]))
print(cross_entropy(p, one_hot(labels, 4)), keras_cross_entropy(labels, p))
