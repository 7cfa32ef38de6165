"""Time per training batch on TensorFlow CPU of larq's introductory MNIST CNN
(batch 64) or larq-zoo's QuickNetSmall on 32x32x3 inputs with 10 classes
(batch 32), for bench/train.ts (which times onebit on the same model in the
same run).

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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--model", choices=sorted(MODELS), default="mnist")
    a = p.parse_args()
    build, shape, batch = MODELS[a.model]
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    times, cpu = [], []
    for i in range(a.warmup + a.batches):
        t0, c0 = time.perf_counter(), time.process_time()
        model.train_on_batch(x, y)
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({"ms_per_batch": times, "cpu_ms_per_batch": cpu, "threads": a.threads, "model": a.model,
                      "tensorflow": tf.__version__}))


if __name__ == "__main__":
    main()
