# %% [markdown]
# # Reference solution: softmax, cross-entropy and one-hot labels (lecture 2, classification)

# %%
import tensorflow as tf


# %%
def softmax(y):
    shifted = y - tf.reduce_max(y, axis=1, keepdims=True)  # softmax(y - c) = softmax(y): no overflow
    e = tf.exp(shifted)
    return e / tf.reduce_sum(e, axis=1, keepdims=True)


print(softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]])))
print(tf.keras.activations.softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]]), axis=1))

# %%
chair_table_door_bed_probabilities = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]]))[0]
table_loss = -tf.math.log(chair_table_door_bed_probabilities[1])
print(chair_table_door_bed_probabilities, table_loss)


# %%
def cross_entropy(p, t):
    log_p = tf.math.log(tf.clip_by_value(p, 1e-7, 1.0))  # 0·log 0 counts as 0, as in Keras
    return tf.reduce_mean(-tf.reduce_sum(t * log_p, axis=1))


# %%
def one_hot(labels, depth):
    return tf.one_hot(labels, depth)


def labels_from_one_hot(t):
    return tf.argmax(t, axis=1)


# %%
def keras_cross_entropy(labels, p):
    cce = tf.keras.losses.SparseCategoricalCrossentropy()
    return tf.reduce_mean(cce(y_true=labels, y_pred=p))


labels = tf.constant([1, 0])
p = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1], [2.0, 1.0, 0.0, -1.0]]))
print(cross_entropy(p, one_hot(labels, 4)), keras_cross_entropy(labels, p))
print(labels_from_one_hot(one_hot(labels, 4)))
