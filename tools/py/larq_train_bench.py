"""Time per training batch on TensorFlow CPU of larq's introductory MNIST CNN
(batch 64) or larq-zoo's QuickNetSmall on 32x32x3 inputs with 10 classes
(batch 32), for bench/train.ts (which times onebit on the same model in the
same run). The batches run inside one `model.fit` (Keras's own loop, as a
user trains: one traced step function, no per-call Python set-up), and a
batch's time is the time between consecutive batch ends (the step, the data
iterator and the callbacks; the first `--warmup` batches, which trace the
graph, are dropped).

    .tools/venv/bin/python tools/py/larq_train_bench.py --model mnist|quicknet_small --threads 1 --batches 30

Prints one JSON object: {"ms_per_batch": [...], "cpu_ms_per_batch": [...] (CPU time of all the process's threads),
"threads": N, "tensorflow": version}.
"""

import argparse
import json
import time

import zoo_shim  # noqa: F401
import numpy as np
import tensorflow as tf
import tf_keras as keras
import larq_zoo as lqz
from zoo_models import larq_mnist

MODELS = {
    "mnist": (larq_mnist, (28, 28, 1), 64),
    "quicknet_small": (lambda: lqz.sota.QuickNetSmall(weights=None, input_shape=(32, 32, 3), num_classes=10), (32, 32, 3), 32),
}


class BatchEnds(keras.callbacks.Callback):
    """Wall and CPU clock (process_time: every thread) at the end of each training batch."""

    def __init__(self):
        super().__init__()
        self.wall, self.cpu = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5, help="batches dropped before timing (at least 1)")
    p.add_argument("--model", choices=sorted(MODELS), default="mnist")
    a = p.parse_args()
    if a.warmup < 1:
        p.error("--warmup must be at least 1 (a batch's time is measured from the previous batch's end)")
    build, shape, batch = MODELS[a.model]
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    n = (a.warmup + a.batches) * batch
    x = rng.uniform(-1, 1, (n, *shape)).astype(np.float32)
    y = rng.integers(0, 10, n)
    ends = BatchEnds()
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0, callbacks=[ends])
    times = [(b - a_) * 1000 for a_, b in zip(ends.wall[a.warmup - 1:], ends.wall[a.warmup:])]
    cpu = [(b - a_) * 1000 for a_, b in zip(ends.cpu[a.warmup - 1:], ends.cpu[a.warmup:])]
    print(json.dumps({"ms_per_batch": times, "cpu_ms_per_batch": cpu, "threads": a.threads, "model": a.model,
                      "tensorflow": tf.__version__}))


if __name__ == "__main__":
    main()
