"""The road to a cluster: trains onebit-exported .keras files a few steps
with larq under tf.distribute.MirroredStrategy and saves them, for onebit
to import, convert and run (tools/keras_cluster_demo.ts):

    deno run -A tools/keras_cluster_demo.ts export DIR
    .tools/venv/bin/python tools/py/cluster_roundtrip.py DIR
    deno run -A tools/keras_cluster_demo.ts check DIR

For each model of DIR/manifest.json (NAME.keras, written by onebit): loads
it with tf-keras 2.16 and larq's custom objects inside the strategy's scope,
trains it STEPS steps with Adam on seeded synthetic data (a global batch
split over the replicas), checks the replicas agree (every mirrored
variable equal on each device; each replica's BatchNormalization moving
statistics, which are synchronized on read, averaged into what is saved)
and that training changed the weights, then saves NAME.trained.keras.
Reloaded from that file without the strategy, the model's outputs on a
seeded batch go to DIR/cluster.json with everything checked.

The two "devices" are logical CPU devices (tf.config's
set_logical_device_configuration): MirroredStrategy all-reduces the
gradients of both replicas exactly as it does across GPUs.
"""

import base64
import json
import os
import sys
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ notes on CPU features and iterators
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # AutoGraph's notes on larq's QuantizedVariable

REPLICAS = 2
# Before anything starts TensorFlow's runtime: one physical CPU as two logical devices.
_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS)

sys.path.insert(0, str(Path(__file__).parent))
import zoo_shim  # noqa: E402,F401  (tf-keras as keras, before larq imports it)
import larq  # noqa: E402  (registers larq's layers, quantizers and constraints)
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

SEED = 20261206
STEPS = 4
GLOBAL_BATCH = 16  # 8 per replica
CHECK_BATCH = 4


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def synthetic(model, rng, n):
    """n seeded inputs of the model's input shape and labels for its classes."""
    x = rng.normal(0, 1, (n, *model.input_shape[1:])).astype(np.float32)
    y = rng.integers(0, model.output_shape[-1], n).astype(np.int32)
    return x, y


def replica_values(v):
    """A distributed variable's value on each replica's device."""
    return [np.asarray(c) for c in v.values]


def check_replicas(model, strategy):
    """Mirrored variables equal on every replica; sync-on-read ones (BN moving statistics) read as their mean,
    and differ between replicas (each saw its own part of every batch)."""
    mirrored, on_read, differ = 0, 0, 0
    for v in model.variables:
        values = replica_values(v)
        if len(values) != strategy.num_replicas_in_sync:
            raise AssertionError(f"{v.name}: {len(values)} copies for {strategy.num_replicas_in_sync} replicas")
        if v.synchronization == tf.VariableSynchronization.ON_READ:
            mean = np.mean(values, axis=0)
            if not np.allclose(np.asarray(v.read_value()), mean, rtol=1e-6, atol=1e-7):
                raise AssertionError(f"{v.name}: does not read as the mean of its replicas")
            on_read += 1
            differ += not all(np.array_equal(value, values[0]) for value in values[1:])
        else:
            for k, value in enumerate(values[1:], 1):
                if not np.array_equal(value, values[0]):
                    raise AssertionError(f"{v.name}: replica {k} differs from replica 0")
            mirrored += 1
    if on_read and not differ:
        raise AssertionError("every replica has the same moving statistics: did they see the same data?")
    return {"mirrored_equal": mirrored, "sync_on_read_averaged": on_read, "sync_on_read_differing": differ}


def train(folder, name, entry, strategy, rng):
    with strategy.scope():
        model = keras.models.load_model(folder / entry["file"])
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy())
    before = [np.array(w) for w in model.get_weights()]
    x, y = synthetic(model, rng, STEPS * GLOBAL_BATCH)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH).repeat()
    history = model.fit(data, epochs=1, steps_per_epoch=STEPS, verbose=0)
    losses = [float(v) for v in history.history["loss"]]
    if not all(np.isfinite(losses)):
        raise AssertionError(f"{name}: loss {losses}")
    replicas = check_replicas(model, strategy)
    changed = sum(not np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.get_weights()))
    if changed == 0:
        raise AssertionError(f"{name}: training changed no weight")
    trained = f"{name}.trained.keras"
    model.save(folder / trained)
    # What onebit gets: the file, reloaded without the strategy, gives the trained model's outputs.
    again = keras.models.load_model(folder / trained)
    xs, _ = synthetic(again, rng, CHECK_BATCH)
    want = np.asarray(again(xs, training=False))
    live = np.asarray(model(xs, training=False))
    if not np.allclose(want, live, rtol=1e-5, atol=1e-6):
        raise AssertionError(f"{name}: the saved file's outputs differ from the trained model's")
    print(f"{name}: {STEPS} steps on {strategy.num_replicas_in_sync} replicas, loss {losses[-1]:.4f}, "
          f"{changed} of {len(before)} weights changed, {replicas['mirrored_equal']} mirrored variables equal "
          f"on every replica, {replicas['sync_on_read_averaged']} moving statistics averaged "
          f"({replicas['sync_on_read_differing']} differed between replicas); saved {trained}")
    return {
        "file": entry["file"],
        "trained": trained,
        "steps": STEPS,
        "global_batch": GLOBAL_BATCH,
        "loss": losses[-1],
        "weights_changed": changed,
        "weights": len(before),
        **replicas,
        "inputs": [{"shape": list(xs.shape), "data": b64(xs)}],
        "outputs": [{"shape": list(want.shape), "data": b64(want)}],
    }


def main(folder):
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)
    if strategy.num_replicas_in_sync != REPLICAS:
        raise AssertionError(f"{strategy.num_replicas_in_sync} replicas on {devices}, not {REPLICAS}")
    rng = np.random.default_rng(SEED)
    models = {name: train(folder, name, entry, strategy, rng) for name, entry in manifest["models"].items()}
    out = {
        "generator": "tools/py/cluster_roundtrip.py",
        "tensorflow": tf.__version__,
        "tf_keras": keras.__version__,
        "larq": larq.__version__,
        "strategy": "MirroredStrategy",
        "devices": devices,
        "models": models,
    }
    (folder / "cluster.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
