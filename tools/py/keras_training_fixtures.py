"""Goldens from tf-keras 2.16 for onebit's training objects, one JSON file
each under tests/fixtures/keras/:

- losses.json: values and gradients of Keras's losses from logits, from the
  outputs of softmax/sigmoid (Keras then reads the logits they consumed) and
  from plain probabilities (clipped), with label smoothing; their configs.
- metrics.json: accuracy metrics over several batches (ties, non-finite
  scores), Mean with sample weights; their configs.
- optimizers.json: variables after each of a few steps of SGD, Adam, AdamW
  and RMSprop, with clipnorm / clipvalue / global_clipnorm, weight decay, a
  schedule and a learning rate changed between steps; their configs.
- regularizers.json: L1, L2, L1L2 values, gradients and configs.
- callbacks.json: CSVLogger's file text, ReduceLROnPlateau's learning rates.
- batch_norm_recalibration.json: a Conv2D/BN/Flatten/Dense/BN model's
  weights and inputs, and its moving statistics after bn_recalibrate.py's
  pass (Keras's own update with momentum k/(k+1)), batches of 8 in order.

    .tools/venv/bin/python tools/py/keras_training_fixtures.py tests/fixtures/keras [FILE ...]

(FILE names: only those are written.)
"""

import json
import os
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

F32 = np.float32

# Logits with confident rows: from probabilities, clipping at 1e-7 changes the result.
LOGITS = np.array(
    [[2.0, -1.0, 0.5, 0.0, 1.0], [-3.0, 20.0, 0.0, 1.5, -0.5], [0.3, 0.2, 0.1, -0.1, 0.0], [-25.0, 4.0, 3.0, 0.0, 1.0]],
    F32,
)
LABELS = np.array([0, 4, 2, 0], F32)
ONE_HOT = np.eye(5, dtype=F32)[LABELS.astype(int)]
SOFT = np.array(
    [[0.7, 0.1, 0.1, 0.1, 0.0], [0.0, 0.5, 0.0, 0.0, 0.5], [0.2, 0.2, 0.2, 0.2, 0.2], [1.0, 0.0, 0.0, 0.0, 0.0]], F32
)
# Probabilities not from a softmax: zeros, ones, rows not summing to 1.
PROBS = np.array(
    [[0.5, 0.2, 0.1, 0.2, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0], [0.25, 0.25, 0.25, 0.25, 0.0], [0.1, 0.3, 0.3, 0.2, 0.3]],
    F32,
)
BIN_LOGITS = np.array([[0.0, 2.0, -1.0], [5.0, -20.0, 0.5], [-0.3, 18.0, 1.0], [0.0, 0.0, -3.0]], F32)
BIN_TARGETS = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 1, 0]], F32)
BIN_SOFT = np.array([[0.9, 0.1, 0.3], [1.0, 0.5, 0.0], [0.2, 0.8, 1.0], [0.5, 0.5, 0.5]], F32)
BIN_PROBS = np.array([[0.5, 1.0, 0.0], [0.99, 1e-9, 0.6], [0.3, 1.0, 0.7], [0.5, 0.5, 0.05]], F32)


def num(x):
    """A JSON number, or for non-finite values the string JavaScript's Number() reads back."""
    x = float(x)
    return x if np.isfinite(x) else "NaN" if np.isnan(x) else "Infinity" if x > 0 else "-Infinity"


def arr(a):
    a = np.asarray(a, np.float64)
    return num(a) if a.ndim == 0 else [arr(v) for v in a]


def loss_case(loss, y_true, x, through, graph):
    """Loss and its gradient wrt x, where y_pred = through(x). Softmax and sigmoid outputs need a graph (Keras
    cannot mark an eager tensor with its logits); the rest runs eagerly, Keras's arithmetic as written (Grappler
    would fold 1 - p + ε into (1 + ε) - p, which moves clipped values by an ulp)."""

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = loss(tf.constant(y_true), through(x))
        return value, tape.gradient(value, x)

    value, grad = (tf.function(run) if graph else run)(tf.constant(x))
    return {"value": float(value), "grad": arr(grad)}


def losses():
    identity = lambda x: tf.identity(x)  # noqa: E731
    softmax, sigmoid = keras.activations.softmax, keras.activations.sigmoid
    L = keras.losses
    specs = [
        (L.SparseCategoricalCrossentropy(from_logits=True), LABELS, "logits", LOGITS, identity),
        (L.SparseCategoricalCrossentropy(), LABELS, "softmax", LOGITS, softmax),
        (L.SparseCategoricalCrossentropy(from_logits=True), LABELS, "softmax", LOGITS, softmax),
        (L.SparseCategoricalCrossentropy(), LABELS, "probabilities", PROBS, identity),
        (L.SparseCategoricalCrossentropy(), LABELS[:, None], "probabilities", PROBS, identity),
        (L.CategoricalCrossentropy(from_logits=True), ONE_HOT, "logits", LOGITS, identity),
        (L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), SOFT, "logits", LOGITS, identity),
        (L.CategoricalCrossentropy(), ONE_HOT, "softmax", LOGITS, softmax),
        (L.CategoricalCrossentropy(label_smoothing=0.2), SOFT, "softmax", LOGITS, softmax),
        (L.CategoricalCrossentropy(), ONE_HOT, "probabilities", PROBS, identity),
        (L.CategoricalCrossentropy(label_smoothing=0.1), SOFT, "probabilities", PROBS, identity),
        (L.BinaryCrossentropy(from_logits=True), BIN_TARGETS, "logits", BIN_LOGITS, identity),
        (L.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), BIN_SOFT, "logits", BIN_LOGITS, identity),
        (L.BinaryCrossentropy(), BIN_TARGETS, "sigmoid", BIN_LOGITS, sigmoid),
        (L.BinaryCrossentropy(label_smoothing=0.1), BIN_SOFT, "sigmoid", BIN_LOGITS, sigmoid),
        (L.BinaryCrossentropy(), BIN_TARGETS, "probabilities", BIN_PROBS, identity),
        (L.BinaryCrossentropy(label_smoothing=0.3), BIN_SOFT, "probabilities", BIN_PROBS, identity),
        (L.MeanSquaredError(), BIN_SOFT, "probabilities", BIN_LOGITS, identity),
    ]
    cases = []
    for loss, y_true, kind, x, through in specs:
        s = keras.losses.serialize(loss)
        case = {"loss": {"class_name": s["class_name"], "config": s["config"]}, "y_true": arr(y_true)}
        graph = kind in ("softmax", "sigmoid")
        case.update({"input": kind, "x": arr(x), **loss_case(loss, y_true, x, through, graph)})
        cases.append(case)
    return {"cases": cases}


def metric_batches():
    inf, nan = float("inf"), float("nan")
    # Ties (first index wins argmax; in_top_k counts only strictly larger scores), non-finite rows.
    scores = [
        [[0.2, 0.5, 0.5, 0.1], [0.9, 0.05, 0.03, 0.02], [0.1, 0.2, 0.3, 0.4]],
        [[0.25, 0.25, 0.25, 0.25], [0.1, inf, 0.0, 0.2], [nan, 0.2, 0.1, 0.0], [0.3, 0.1, 0.3, 0.3]],
    ]
    labels = [[2, 0, 1], [3, 1, 1, 3]]
    return scores, labels


def run_metric(metric, batches):
    results = []
    for y_true, y_pred in batches:
        metric.update_state(tf.constant(y_true, tf.float32), tf.constant(y_pred, tf.float32))
        results.append(float(metric.result()))
    return results


def metrics():
    M = keras.metrics
    scores, labels = metric_batches()
    sparse = list(zip(labels, scores))
    sparse_2d = [([[v] for v in y], p) for y, p in sparse]
    one_hot = [(np.eye(4, dtype=F32)[y].tolist(), p) for y, p in sparse]
    binary = [
        ([[1, 0], [0, 1], [1, 1]], [[0.5, 0.2], [0.51, 0.7], [0.9, 0.49]]),
        ([[0, 0], [1, 0.5], [1, 0]], [[0.7, 0.71], [0.8, 0.5], [1.0, 0.0]]),
    ]
    specs = [
        (M.SparseCategoricalAccuracy(), sparse),
        (M.SparseCategoricalAccuracy(name="acc"), sparse_2d),
        (M.CategoricalAccuracy(), one_hot),
        (M.SparseTopKCategoricalAccuracy(k=1), sparse),
        (M.SparseTopKCategoricalAccuracy(k=2), sparse_2d),
        (M.TopKCategoricalAccuracy(k=2), one_hot),
        (M.TopKCategoricalAccuracy(), one_hot),
        (M.BinaryAccuracy(), binary),
        (M.BinaryAccuracy(threshold=0.7), binary),
    ]
    cases = []
    for metric, batches in specs:
        s = M.serialize(metric)
        cases.append({
            "metric": {"class_name": s["class_name"], "config": s["config"]},
            "batches": [{"y_true": arr(y), "y_pred": arr(p)} for y, p in batches],
            "results": run_metric(metric, batches),
        })
    mean = M.Mean()
    steps = [(0.5, 4), (2.0, 2), ([1.0, 3.0], 1)]
    mean_results = []
    for value, weight in steps:
        mean.update_state(value, sample_weight=weight)
        mean_results.append(float(mean.result()))
    s = M.serialize(mean)
    mean_case = {
        "metric": {"class_name": s["class_name"], "config": s["config"]},
        "updates": [{"value": v, "sample_weight": w} for v, w in steps],
        "results": mean_results,
    }
    return {"cases": cases, "mean": mean_case}


VARIABLES = [np.array([0.5, -1.0, 2.0], F32), np.array([[0.1, -0.2], [0.3, 0.0]], F32)]
GRADIENTS = [
    [np.array([0.3, -0.1, 0.8], F32), np.array([[1.5, -2.0], [0.0, 0.25]], F32)],
    [np.array([-0.2, 0.05, 0.4], F32), np.array([[0.0, 0.0], [0.0, 0.0]], F32)],
    [np.array([1.0, 1.0, -1.0], F32), np.array([[-0.5, 0.1], [2.0, -3.0]], F32)],
    [np.array([0.01, -0.02, 0.0], F32), np.array([[0.2, 0.2], [-0.2, 0.1]], F32)],
]


def optimizers():
    O = keras.optimizers
    decay = O.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.5)
    specs = [
        (O.SGD(0.1), None),
        (O.SGD(0.1, momentum=0.9), None),
        (O.SGD(0.1, momentum=0.9, weight_decay=0.05, clipvalue=0.5), None),
        (O.SGD(0.05, momentum=0.5, nesterov=True), {2: 0.2}),
        (O.Adam(0.01), None),
        (O.Adam(0.01, clipnorm=0.5), None),
        (O.Adam(0.01, global_clipnorm=1.0), None),
        (O.Adam(0.01, clipvalue=0.3), {2: 0.05}),
        (O.AdamW(0.01, weight_decay=0.1), None),
        (O.AdamW(decay, weight_decay=0.1, beta_1=0.8, beta_2=0.99, epsilon=1e-5), None),
        (O.AdamW(0.02, global_clipnorm=0.7), {1: 0.001}),
        (O.RMSprop(0.01), None),
        (O.RMSprop(0.01, momentum=0.9), {3: 0.002}),
        (O.RMSprop(0.01, rho=0.8, centered=True), None),
        (O.RMSprop(0.01, momentum=0.5, centered=True, epsilon=1e-3, clipnorm=1.0), None),
    ]
    cases = []
    for opt, lr_changes in specs:
        s = O.serialize(opt)  # before the steps change the learning rate
        variables = [tf.Variable(v) for v in VARIABLES]
        steps = []
        for i, grads in enumerate(GRADIENTS):
            if lr_changes and i in lr_changes:
                opt.learning_rate = lr_changes[i]
            opt.apply_gradients(zip([tf.constant(g) for g in grads], variables))
            steps.append([arr(v.numpy()) for v in variables])
        cases.append({
            "optimizer": {"class_name": s["class_name"], "config": s["config"]},
            "learning_rate_changes": {str(k): v for k, v in (lr_changes or {}).items()},
            "steps": steps,
        })
    return {"variables": [arr(v) for v in VARIABLES], "gradients": [[arr(g) for g in gs] for gs in GRADIENTS], "cases": cases}


def regularizers():
    R = keras.regularizers
    w = np.array([[0.5, -1.5, 0.0], [2.0, -0.25, 1e-3]], F32)
    cases = []
    for reg in [R.L1(), R.L2(0.05), R.L1L2(l1=0.01, l2=0.02), R.L1L2(), R.get("l1_l2")]:
        x = tf.constant(w)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = reg(x)
        s = R.serialize(reg)
        cases.append({
            "regularizer": {"class_name": s["class_name"], "config": s["config"]},
            "value": float(value),
            # L1L2(0, 0) is a constant: TF says None (unconnected), i.e. zero.
            "grad": arr(tape.gradient(value, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)),
        })
    return {"w": arr(w), "cases": cases}


def csv_logger(epochs, **kwargs):
    path = os.path.join(tempfile.mkdtemp(), "log.csv")
    for run in epochs:
        cb = keras.callbacks.CSVLogger(path, **kwargs)
        cb.on_train_begin()
        for epoch, logs in enumerate(run):
            cb.on_epoch_end(epoch, dict(logs))
        cb.on_train_end()
    with open(path, newline="") as f:
        return f.read()


def reduce_lr(values, monitor="val_loss", **kwargs):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    cb = keras.callbacks.ReduceLROnPlateau(monitor=monitor, **kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    lrs = []
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {monitor: v})
        lrs.append(float(model.optimizer.learning_rate.numpy()))
    return {"monitor": monitor, "options": kwargs, "values": values, "learning_rates": lrs}


def callbacks():
    logs = [
        {"loss": 0.6931471805599453, "accuracy": 0.5, "val_loss": 1e-05, "val_accuracy": 1.0, "lr": 0.0010000000474974513},
        {"loss": float("nan"), "accuracy": 0.25, "val_loss": 123.0, "val_accuracy": 1e16, "lr": 2.5e-07},
    ]
    no_val = [{"loss": 0.125, "sparse_top_k_categorical_accuracy": 0.75}, {"loss": float("inf")}]
    csv = {
        "default": {"runs": [logs], "options": {}, "text": csv_logger([logs])},
        "separator_append": {
            "runs": [logs, logs[:1]],
            "options": {"separator": ";", "append": True},
            "text": csv_logger([logs, logs[:1]], separator=";", append=True),
        },
        "no_validation": {"runs": [no_val], "options": {}, "text": csv_logger([no_val])},
    }
    for case in csv.values():
        case["runs"] = [[{k: num(v) for k, v in epoch.items()} for epoch in run] for run in case["runs"]]
    plateaus = [
        reduce_lr([1.0, 0.9, 0.9, 0.9, 0.8999, 0.95, 0.5, 0.6, 0.7, 0.8, 0.9], factor=0.5, patience=2),
        reduce_lr([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], factor=0.5, patience=1, cooldown=2, min_lr=0.2),
        reduce_lr([0.5, 0.6, 0.6, 0.605, 0.5, 0.7], monitor="val_accuracy", factor=0.1, patience=1, min_delta=0.01),
        reduce_lr([0.5, 0.6, 0.4, 0.3, 0.3], monitor="val_acc", mode="auto", factor=0.2, patience=1, min_delta=0),
        reduce_lr([3.0, 2.0, 4.0, 5.0, 1.0, 6.0], monitor="loss", mode="max", factor=0.3, patience=1, min_delta=0),
    ]
    return {"csv_logger": csv, "reduce_lr_on_plateau": plateaus}


def batch_norm_recalibration():
    from bn_recalibrate import recalibrate

    rng = np.random.default_rng(5)
    model = keras.Sequential(
        [
            keras.layers.Conv2D(4, 3, input_shape=(6, 6, 2)),
            keras.layers.BatchNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(5),
            keras.layers.BatchNormalization(),
        ]
    )
    weights = [rng.normal(0.3, 1.0, w.shape).astype(F32) for w in model.get_weights()]
    weights = [np.abs(w) + 0.5 if "variance" in v.name else w for w, v in zip(weights, model.weights)]
    model.set_weights(weights)
    x = rng.normal(0.5, 2.0, (20, 6, 6, 2)).astype(F32)
    recalibrate(model, x, 8)
    return {
        "batch_size": 8,
        "x": arr(x),
        "weights": [{"name": v.name, "shape": list(v.shape), "value": arr(w)} for v, w in zip(model.weights, weights)],
        "after": {v.name: arr(v.numpy()) for v in model.weights if "moving" in v.name},
    }


def main(out_dir, only=()):
    os.makedirs(out_dir, exist_ok=True)
    files = {
        "losses.json": losses,
        "metrics.json": metrics,
        "optimizers.json": optimizers,
        "regularizers.json": regularizers,
        "callbacks.json": callbacks,
        "batch_norm_recalibration.json": batch_norm_recalibration,
    }
    files = {name: make for name, make in files.items() if not only or name in only}
    for name, make in files.items():
        content = make()
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump({"generator": "tools/py/keras_training_fixtures.py", "tf_keras": keras.__version__, **content}, f, indent=1, allow_nan=False)
            f.write("\n")
        print(f"wrote {os.path.join(out_dir, name)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras", sys.argv[2:])
