"""Writes Keras model files, as Keras itself saves them, for onebit's reader
(keras/): small larq models saved by tf-keras 2.16 (what larq runs on) as
weights-only .h5 (`save_weights`), legacy full-model .h5 and .keras, and
float models saved by Keras 3 as .keras, legacy .h5 and .weights.h5; with
seeded random weights, a batch of inputs and Keras's outputs:

    .tools/venv/bin/python tools/py/keras_files_fixtures.py tests/fixtures/keras_files
    .tools/venv/bin/python tools/py/keras_files_fixtures.py --zoo DIR   # larq-zoo's QuickNetSmall, BiRealNet (too big to commit)

Writes NAME_weights.h5, NAME.h5 and NAME.keras for the tf-keras models,
k3_NAME.weights.h5, k3_NAME.h5 and k3_NAME.keras for the Keras 3 ones,
not_keras.h5 (an HDF5 file of no Keras kind), and manifest.json (inputs and outputs as little-endian float32 in base64). The
Keras 3 models are written by this script run again in a second process,
without TF_USE_LEGACY_KERAS.
"""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SEED = 20261206


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def record(model, rng, batch, files, writer):
    """Keras's outputs on a batch of random inputs, as a manifest entry."""
    xs = [rng.normal(0, 1, (batch, *t.shape[1:])).astype(np.float32) for t in model.inputs]
    ys = model(xs if len(xs) > 1 else xs[0], training=False)
    ys = [np.asarray(y) for y in (ys if isinstance(ys, (list, tuple)) else [ys])]
    return {
        "writer": writer,
        "files": files,
        "params": int(model.count_params()),
        "inputs": [{"shape": list(x.shape), "data": b64(x)} for x in xs],
        "outputs": [{"shape": list(y.shape), "data": b64(y)} for y in ys],
    }


# ---------------------------------------------------------------- tf-keras 2.16 (larq)


def quicknet_style(keras, lq, bn):
    """QuickNet's pieces at a small size: the stem, residual blocks (binary 3x3 conv with same-one
    padding and ReLU, BN, `x + residual` as larq-zoo writes it), a transition with the fixed
    blur-pool depthwise conv (not trainable), and the head (logits: no softmax)."""
    binary = dict(
        input_quantizer=lq.quantizers.SteSign(clip_value=1.25),
        kernel_quantizer=lq.quantizers.SteSign(clip_value=1.25),
        kernel_constraint=lq.constraints.WeightClip(1.25),
        use_bias=False,
    )

    def block(x, filters):
        y = lq.layers.QuantConv2D(filters, 3, padding="same", pad_values=1.0, activation="relu", **binary)(x)
        y = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(y)
        return y + x

    inp = keras.Input((16, 16, 3))
    x = lq.layers.QuantConv2D(4, 3, strides=2, padding="same", use_bias=False)(inp)
    x = bn()(x)
    x = keras.layers.Activation("relu")(x)
    x = lq.layers.QuantDepthwiseConv2D(3, padding="same", strides=2, use_bias=False)(x)
    x = keras.layers.BatchNormalization(scale=False, center=False)(x)
    x = lq.layers.QuantConv2D(8, 1, use_bias=False)(x)
    x = bn()(x)
    x = block(x, 8)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.MaxPool2D(2, strides=1)(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", strides=2, use_bias=False, trainable=False)(x)
    x = lq.layers.QuantConv2D(16, 1, use_bias=False)(x)
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x)
    x = block(x, 16)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.AveragePooling2D(pool_size=(x.shape[1], x.shape[2]))(x)
    x = keras.layers.Flatten()(x)
    x = lq.layers.QuantDense(10)(x)
    return keras.Model(inp, x, name="quicknet_style")


def two_inputs(keras, lq, bn):
    """A functional model with two inputs (an image and a vector) and two outputs."""
    img = keras.Input((8, 8, 3), name="image")
    vec = keras.Input((5,), name="vector")
    # The constraint by its alias: larq then writes class_name "weight_clip".
    x = lq.layers.QuantConv2D(8, 3, kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint="weight_clip")(img)
    x = bn()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    binary = dict(input_quantizer=lq.quantizers.SteSign(), kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.0))
    v = lq.layers.QuantDense(8, **binary)(vec)
    h = keras.layers.Concatenate()([x, v])
    out1 = keras.layers.Dense(4, activation="softmax", name="classes")(h)
    out2 = lq.layers.QuantDense(2, name="aux", **binary)(h)
    return keras.Model([img, vec], [out1, out2], name="two_inputs")


def tf_keras_models(out):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    sys.path.insert(0, str(Path(__file__).parent))
    import zoo_shim  # noqa: F401
    import larq as lq
    import tf_keras as keras
    from lce_fixtures import bn, randomize
    from zoo_models import larq_mnist

    rng = np.random.default_rng(SEED)
    models = {
        "larq_mnist": (larq_mnist(), 2),
        "quicknet_style": (quicknet_style(keras, lq, bn), 3),
        "two_inputs": (two_inputs(keras, lq, bn), 3),
    }
    entries = {}
    for name, (model, batch) in models.items():
        randomize(model, rng)  # BN scales of both signs
        model.save_weights(out / f"{name}_weights.h5")
        model.save(out / f"{name}.h5")
        model.save(out / f"{name}.keras")
        files = [f"{name}_weights.h5", f"{name}.h5", f"{name}.keras"]
        entries[name] = record(model, rng, batch, files, f"tf-keras {keras.__version__}")
        print(f"{name}: {model.count_params()} parameters")
    return entries


# ---------------------------------------------------------------- Keras 3 (float models)


def keras3_models(out):
    import keras

    rng = np.random.default_rng(SEED + 3)
    keras.utils.set_random_seed(SEED)

    cnn = keras.Sequential([
        keras.Input((12, 12, 3)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(2),
        keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
        keras.layers.SeparableConv2D(8, 3, strides=2),
        keras.layers.BatchNormalization(center=False),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ], name="cnn")

    a, b = keras.Input((6,), name="a"), keras.Input((4, 4, 2), name="b")
    h = keras.layers.Dense(8, activation="relu")(a)
    g = keras.layers.Conv2D(8, 2, padding="valid")(b)
    g = keras.layers.Flatten()(keras.layers.AveragePooling2D(3)(g))
    s = keras.layers.Add()([h, g])
    c = keras.layers.Concatenate()([s, h])
    functional = keras.Model([a, b], [keras.layers.Dense(3, name="head")(c), s], name="functional")

    entries = {}
    for name, model in {"cnn": cnn, "functional": functional}.items():
        for w in model.weights:
            v = rng.uniform(0.5, 2.0, w.shape) if "variance" in w.path else rng.normal(0, 0.5, w.shape)
            w.assign(v.astype(np.float32))
        stem = f"k3_{name}"
        model.save_weights(out / f"{stem}.weights.h5")
        model.save(out / f"{stem}.h5")
        model.save(out / f"{stem}.keras")
        files = [f"{stem}.weights.h5", f"{stem}.h5", f"{stem}.keras"]
        entries[stem] = record(model, rng, 3, files, f"keras {keras.__version__}")
        print(f"{stem}: {model.count_params()} parameters")
    return entries


# ---------------------------------------------------------------- larq-zoo (live check only)


def zoo(out):
    """larq-zoo's QuickNetSmall and BiRealNet by larq-zoo's own code, seeded random weights, saved as
    larq-zoo's pretrained files are (save_weights to .h5)."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    sys.path.insert(0, str(Path(__file__).parent))
    import zoo_shim  # noqa: F401
    import larq_zoo as lqz
    from lce_fixtures import randomize

    rng = np.random.default_rng(SEED)
    entries = {}
    for name, make in {"quicknet_small": lqz.sota.QuickNetSmall, "birealnet": lqz.literature.BiRealNet}.items():
        model = make(weights=None, input_shape=(64, 64, 3), num_classes=10)
        randomize(model, rng)
        model.save_weights(out / f"{name}_weights.h5")
        entries[name] = record(model, rng, 2, [f"{name}_weights.h5"], "larq-zoo")
        print(f"{name}: {model.count_params()} parameters")
    return entries


def main(argv):
    if argv[:1] == ["--keras3"]:
        print(json.dumps(keras3_models(Path(argv[1]))))
        return
    zoo_mode = argv[:1] == ["--zoo"]
    args = argv[1:] if zoo_mode else argv
    out = Path(args[0] if args else "tests/fixtures/keras_files")
    out.mkdir(parents=True, exist_ok=True)
    if zoo_mode:
        entries = zoo(out)
    else:
        # Keras 3 in a process of its own: tf-keras replaces `keras` in this one.
        env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
        run = subprocess.run([sys.executable, __file__, "--keras3", str(out)], env=env, check=True, stdout=subprocess.PIPE, text=True)
        keras3 = json.loads(run.stdout.strip().splitlines()[-1])
        entries = {**tf_keras_models(out), **keras3}
        # An HDF5 file that is no Keras file, for the reader's error.
        import h5py

        with h5py.File(out / "not_keras.h5", "w") as f:
            f["x"] = np.arange(3, dtype=np.float32)
    with open(out / "manifest.json", "w") as f:
        json.dump({"generator": "tools/py/keras_files_fixtures.py", "models": entries}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
