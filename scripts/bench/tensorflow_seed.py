"""The original TensorFlow 1 tutorial's model (784-256-256-10 sigmoid, N(0,1) weights and
biases, softmax cross-entropy, SGD 0.1, batch 100), in tf.compat.v1 graph mode, timed per
epoch on the same MNIST files, for scripts/bench-frameworks.sh.

Usage: tensorflow_seed.py DATA_DIR THREADS EPOCHS  -> one JSON line
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_files import load  # noqa: E402


def main():
    directory, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    x_train = load(directory, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    y_train = np.eye(10, dtype=np.float32)[load(directory, "train-labels-idx1-ubyte")]
    x_test = load(directory, "t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    y_test = np.eye(10, dtype=np.float32)[load(directory, "t10k-labels-idx1-ubyte")]

    tf.set_random_seed(42)
    x = tf.placeholder(tf.float32, [None, 784])
    y = tf.placeholder(tf.float32, [None, 10])
    sizes = [784, 256, 256, 10]
    layer = x
    for i in range(3):
        w = tf.Variable(tf.random_normal([sizes[i], sizes[i + 1]]))
        b = tf.Variable(tf.random_normal([sizes[i + 1]]))
        layer = tf.matmul(layer, w) + b
        if i < 2:
            layer = tf.nn.sigmoid(layer)
    cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=layer, labels=y))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(cost)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(layer, 1), tf.argmax(y, 1)), tf.float32))

    config = tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
    seconds = []
    with tf.Session(config=config) as session:
        session.run(tf.global_variables_initializer())
        rng = np.random.default_rng(42)
        for _ in range(epochs):
            order = rng.permutation(len(x_train))
            start = time.perf_counter()
            for step in range(len(x_train) // 100):
                batch = order[step * 100:(step + 1) * 100]
                session.run(train, feed_dict={x: x_train[batch], y: y_train[batch]})
            seconds.append(time.perf_counter() - start)
        test_accuracy = float(session.run(accuracy, feed_dict={x: x_test, y: y_test}))
    print(json.dumps({"framework": "tensorflow", "version": tf.__version__, "threads": threads,
                      "epoch_seconds": seconds, "median_epoch_seconds": float(np.median(seconds)),
                      "test_accuracy": test_accuracy}))


if __name__ == "__main__":
    main()
