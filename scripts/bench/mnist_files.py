"""The MNIST IDX files (plain or gzip) as numpy arrays, for the Python side of the benchmarks and
checks (scripts/bench/*.py, scripts/export/*.py). Needs numpy only."""
import gzip
import os
import sys

import numpy as np


def read_idx(path):
    """An IDX file's array, shaped as its header says."""
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory, stem):
    """`stem` or `stem.gz` in `directory`; exits with one line when neither is there."""
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return read_idx(path)
    sys.exit(f"error: {stem} not found in {directory}")


def arrays(directory):
    """(train images [60000, 784] float32 / 255, train labels int64, test images, test labels)."""
    x_train = load(directory, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    y_train = load(directory, "train-labels-idx1-ubyte").astype(np.int64)
    x_test = load(directory, "t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    y_test = load(directory, "t10k-labels-idx1-ubyte").astype(np.int64)
    return x_train, y_train, x_test, y_test
