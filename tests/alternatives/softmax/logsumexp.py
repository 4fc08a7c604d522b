# Log-space softmax exp(y - reduce_logsumexp(y)); cross-entropy by tf.gather of each row's target probability; one_hot via np.eye; the function form of the sparse Keras loss.
# %%
import numpy as np
import tensorflow as tf


# %%
def softmax(y):
    log_p = y - tf.reduce_logsumexp(y, axis=1, keepdims=True)
    return tf.exp(log_p)


y = tf.constant([[-0.2, 0.5, 0.1, 0.1], [1000.0, 1001.0, 1002.0, 0.0]])
print(softmax(y))
print(tf.keras.activations.softmax(y, axis=1))

# %%
chair_table_door_bed_probabilities = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]]))[0]
table_loss = -tf.math.log(chair_table_door_bed_probabilities[1])
print(chair_table_door_bed_probabilities, table_loss)


# %%
def cross_entropy(p, t):
    targets = tf.argmax(t, axis=1)  # t is one-hot: the position of its 1
    p_target = tf.gather(p, targets, axis=1, batch_dims=1)
    return -tf.reduce_mean(tf.math.log(tf.clip_by_value(p_target, 1e-7, 1.0)))


# %%
def one_hot(labels, depth):
    return tf.constant(np.eye(depth, dtype=np.float32)[np.asarray(labels)])


def labels_from_one_hot(t):
    return tf.math.argmax(t, axis=1, output_type=tf.int32)


t = one_hot(tf.constant([1, 0, 3, 1, 2]), 4)
print(t)
print(labels_from_one_hot(t))


# %%
def keras_cross_entropy(labels, p):
    return tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, p))


labels = tf.constant([1, 0, 2])
p = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1], [2.0, 1.0, 0.0, -1.0], [0.3, -0.4, 1.2, 0.0]]))
print(cross_entropy(p, one_hot(labels, 4)), keras_cross_entropy(labels, p))
