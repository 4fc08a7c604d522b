# keras.ops throughout (exp, max, sum, clip, log, one_hot, argmax) and the Keras loss object's own mean.
# %%
import keras
import tensorflow as tf


# %%
def softmax(y):
    e = keras.ops.exp(y - keras.ops.max(y, axis=1, keepdims=True))
    return e / keras.ops.sum(e, axis=1, keepdims=True)


y = tf.constant([[-0.2, 0.5, 0.1, 0.1], [1000.0, 1001.0, 1002.0, 0.0]])
print(softmax(y))
print(tf.keras.activations.softmax(y, axis=1))

# %%
probabilities = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1]]))
chair_table_door_bed_probabilities = probabilities  # one example: a (1, 4) batch
table_loss = -keras.ops.log(probabilities[0, 1])
print(chair_table_door_bed_probabilities, table_loss)


# %%
def cross_entropy(p, t):
    log_p = keras.ops.log(keras.ops.clip(p, 1e-7, 1.0))
    per_example = -keras.ops.sum(t * log_p, axis=1)
    return keras.ops.mean(per_example)


# %%
def one_hot(labels, depth):
    return keras.ops.one_hot(labels, depth)


def labels_from_one_hot(t):
    return keras.ops.argmax(t, axis=1)


t = one_hot(tf.constant([1, 0, 3, 1, 2]), 4)
print(t)
print(labels_from_one_hot(t))


# %%
cce = keras.losses.SparseCategoricalCrossentropy()


def keras_cross_entropy(labels, p):
    return cce(labels, p)  # the default reduction already averages over the examples


labels = tf.constant([1, 0, 2])
p = softmax(tf.constant([[-0.2, 0.5, 0.1, 0.1], [2.0, 1.0, 0.0, -1.0], [0.3, -0.4, 1.2, 0.0]]))
print(cross_entropy(p, one_hot(labels, 4)), keras_cross_entropy(labels, p))
