"""Time per training batch of larq's introductory MNIST CNN on TensorFlow CPU,
for bench/train.ts (which times onebit on the same model in the same run).

    .tools/venv/bin/python tools/py/larq_train_bench.py --threads 1 --batches 30 --warmup 5

Prints one JSON object: {"ms_per_batch": [...], "threads": N, "tensorflow": version}.
"""

import argparse
import json
import time

import zoo_shim  # noqa: F401
import numpy as np
import tensorflow as tf
import tf_keras as keras
from zoo_models import larq_mnist


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    a = p.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    model = larq_mnist()
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (a.batch_size, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, a.batch_size)
    times = []
    for i in range(a.warmup + a.batches):
        t0 = time.perf_counter()
        model.train_on_batch(x, y)
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms_per_batch": times, "threads": a.threads, "tensorflow": tf.__version__}))


if __name__ == "__main__":
    main()
