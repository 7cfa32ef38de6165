"""Trains larq's introductory BNN on Fashion-MNIST with larq/TensorFlow: the
twin of `examples/fashion_mnist.ts` (same model, split file, seed, epochs,
batch size, optimizer and learning-rate schedule: Keras's CosineDecay from
0.001 to 0 over the whole run, or a constant 0.001 with --lr constant), on 1
thread by default.

The split file is the one `examples/fashion_mnist_data.ts` writes (it is made
first when missing); its SHA-256 is printed so the two sides can be seen to
read identical bytes.

    .tools/venv/bin/python tools/py/fashion_mnist_larq.py [--seed 1] [--epochs 5] [--train 60000]
        [--test 10000] [--batch-size 64] [--lr cosine|constant] [--recalibrate pass|none] [--threads 1]
        [--data PATH] [--json]

After training, as the TS side's `recalibrateBatchNorm`, each BatchNormalization's
moving statistics are recomputed from one shuffled pass over the training data
with the weights frozen: Keras's own training-mode update with the momentum set
to k/(k+1) before the k-th batch (0-based), which makes the moving statistics
the mean of the batches' (`--recalibrate none` skips it).

Each epoch prints its training time, wall and CPU (process_time: every thread
of the process), test scoring excluded; `--json` adds one
last line with the results for `bench/fashion.ts`.
"""

import argparse
import hashlib
import json
import os
import subprocess
import time

import zoo_shim  # noqa: F401
from bn_recalibrate import recalibrate
import numpy as np
import tensorflow as tf
import tf_keras as keras
from zoo_models import larq_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N_TRAIN, N_TEST, PIXELS = 60000, 10000, 784


def split_file(path):
    """The split file's bytes, made by examples/fashion_mnist_data.ts when missing."""
    if path is None or not os.path.exists(path):
        script = os.path.join(ROOT, "examples", "fashion_mnist_data.ts")
        out = subprocess.run(["deno", "run", "-A", script] + ([path] if path else []), check=True, capture_output=True, text=True)
        path = out.stdout.splitlines()[0]
    with open(path, "rb") as f:
        return path, f.read()


def load(data, n_train, n_test):
    """Inputs scaled to [-1, 1] (as the TS side) and labels, from the split file's layout."""
    raw = np.frombuffer(data, dtype=np.uint8)
    at = 0

    def take(n):
        nonlocal at
        at += n
        return raw[at - n : at]

    xtr, ytr = take(N_TRAIN * PIXELS).reshape(N_TRAIN, 28, 28, 1), take(N_TRAIN)
    xte, yte = take(N_TEST * PIXELS).reshape(N_TEST, 28, 28, 1), take(N_TEST)
    scale = lambda x: x.astype(np.float64) / 127.5 - 1  # noqa: E731  (float64 then float32, as the TS side rounds)
    return scale(xtr[:n_train]).astype(np.float32), ytr[:n_train], scale(xte[:n_test]).astype(np.float32), yte[:n_test]


class EpochLog(keras.callbacks.Callback):
    """Times each epoch's training, then scores the test set (outside the timing)."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y, self.seconds, self.cpu_seconds, self.accuracy = x, y, [], [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.t0, self.cpu0 = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.t0)
        self.cpu_seconds.append(time.process_time() - self.cpu0)
        self.accuracy.append(float(self.model.evaluate(self.x, self.y, batch_size=256, verbose=0)[1]))
        print(
            f"epoch {epoch + 1}: loss {logs['loss']:.4f}, train accuracy {100 * logs['accuracy']:.2f}%, "
            f"test accuracy {100 * self.accuracy[-1]:.2f}%, {self.seconds[-1]:.1f} s ({self.cpu_seconds[-1]:.1f} s CPU)",
            flush=True,
        )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--train", type=int, default=N_TRAIN)
    p.add_argument("--test", type=int, default=N_TEST)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", choices=["cosine", "constant"], default="cosine")
    p.add_argument("--recalibrate", choices=["pass", "none"], default="pass")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data", default=None)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    keras.utils.set_random_seed(a.seed)
    path, data = split_file(a.data)
    sha256 = hashlib.sha256(data).hexdigest()
    print(f"split {path}: sha256 {sha256}", flush=True)
    xtr, ytr, xte, yte = load(data, a.train, a.test)
    model = larq_mnist()
    steps = a.epochs * -(-a.train // a.batch_size)
    rate = keras.optimizers.schedules.CosineDecay(0.001, steps) if a.lr == "cosine" else 0.001
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    log = EpochLog(xte, yte)
    model.fit(xtr, ytr, batch_size=a.batch_size, epochs=a.epochs, shuffle=True, verbose=0, callbacks=[log])
    recalibrated, recal_seconds = None, 0.0
    if a.recalibrate == "pass":
        t0 = time.perf_counter()
        recalibrate(model, xtr, a.batch_size, np.random.default_rng(a.seed).permutation(len(xtr)))
        recal_seconds = time.perf_counter() - t0
        recalibrated = float(model.evaluate(xte, yte, batch_size=256, verbose=0)[1])
        print(f"batch norms recalibrated on the {len(xtr)} training images ({recal_seconds:.1f} s): test accuracy {100 * recalibrated:.2f}%", flush=True)
    if a.json:
        result = {"framework": "larq", "seed": a.seed, "epochs": a.epochs, "lr": a.lr, "testAccuracy": log.accuracy, "recalibratedAccuracy": recalibrated, "recalibrationSeconds": recal_seconds, "epochSeconds": log.seconds, "epochCpuSeconds": log.cpu_seconds}
        print(json.dumps({**result, "sha256": sha256, "threads": a.threads, "tensorflow": tf.__version__}))


if __name__ == "__main__":
    main()
