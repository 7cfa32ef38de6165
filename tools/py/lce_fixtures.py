"""Writes LCE interop fixtures: small larq models converted by LCE's own
converter, with inputs and the outputs of LCE's own interpreter.

    .tools/venv/bin/python tools/py/lce_fixtures.py tests/fixtures/lce

For each model NAME it writes NAME.tflite and adds an entry to manifest.json
(input/output shapes, float32 data as base64, little-endian). CI reads these
without Python; `deno task test:interop` regenerates and re-checks them live.
"""

import base64
import json
import sys
from pathlib import Path

import zoo_shim  # noqa: F401  (Keras 2 under TF 2.16, before larq imports keras)
import larq as lq
import larq_compute_engine as lce
import numpy as np
import tensorflow as tf
import tf_keras as keras

SEED = 20261122


def quant(**kw):
    # Instances, not string aliases: larq 0.13.1 under tf-keras 2.16 resolves
    # an alias to the class, not an instance.
    base = dict(
        input_quantizer=lq.quantizers.SteSign(),
        kernel_quantizer=lq.quantizers.SteSign(),
        kernel_constraint=lq.constraints.WeightClip(1.0),
        use_bias=False,
    )
    base.update(kw)
    return base


def bn():
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)


def randomize(model, rng):
    """Random weights, BN statistics with some negative gammas, so every fusion is exercised."""
    for layer in model.layers:
        weights = []
        for w in layer.weights:
            name = w.name.split("/")[-1]
            shape = w.shape
            if "gamma" in name:
                v = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
            elif "moving_variance" in name:
                v = rng.uniform(0.5, 2.0, shape)
            elif "beta" in name or "moving_mean" in name or "bias" in name:
                v = rng.normal(0.0, 2.0, shape)
            else:
                v = rng.normal(0.0, 0.5, shape)
            weights.append(v.astype(np.float32))
        if weights:
            layer.set_weights(weights)


def seq(input_shape, layers):
    x = inp = keras.Input(input_shape, batch_size=1)
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x)


def quicknet_block(input_shape):
    inp = keras.Input(input_shape, batch_size=1)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(inp)
    x = bn()(x)
    x = keras.layers.Activation("relu")(x)
    for _ in range(2):
        y = lq.layers.QuantConv2D(32, 3, padding="same", pad_values=1.0, **quant())(x)
        y = keras.layers.Activation("relu")(y)
        y = bn()(y)
        x = keras.layers.Add()([x, y])
    x = keras.layers.MaxPool2D(2, strides=2)(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = bn()(x)
    x = keras.layers.Conv2D(64, 1, use_bias=False)(x)
    x = bn()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    # Logits, no softmax: random weights saturate it, and one-hot outputs agree trivially.
    x = keras.layers.Dense(10)(x)
    return keras.Model(inp, x)


def builtins_model():
    """Float builtins the LCE files above do not use, converted by TF's own converter."""
    inp = keras.Input((9, 9, 6), batch_size=1)
    a = keras.layers.ZeroPadding2D(((1, 2), (0, 1)))(inp)
    b = keras.layers.AveragePooling2D(3, strides=2, padding="same")(a)
    c = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(b)
    d = keras.layers.Activation("tanh")(c)
    e = keras.layers.Activation("sigmoid")(c)
    f = keras.layers.ReLU(6.0)(c)
    g = keras.layers.LeakyReLU(0.3)(c)
    h = keras.layers.Concatenate()([d, e, f, g])
    i = keras.layers.Subtract()([d, e])
    j = keras.layers.Multiply()([f, g])
    k = keras.layers.Add()([i, j])
    k = keras.layers.Lambda(lambda t: t * tf.constant([0.5, -1.0, 2.0, 0.25]))(k)
    k = keras.layers.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 0], [0, 1], [0, 0]], constant_values=1.5))(k)
    k = keras.layers.Lambda(lambda t: t * tf.nn.relu6(t + 3.0) / 6.0)(k)
    m = keras.layers.Reshape((-1, 4))(k)
    m = keras.layers.Dense(3)(m)
    out1 = keras.layers.Softmax()(m)
    out2 = keras.layers.GlobalAveragePooling2D()(h)
    out3 = keras.layers.AveragePooling2D(2, strides=2, padding="valid")(keras.layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="valid")(inp))
    return keras.Model(inp, [out1, out2, out3])


def models():
    q = lq.layers.QuantConv2D
    return {
        # same-one padding, float output, BN folded into multiplier/bias
        "bconv_same_one": seq((8, 8, 32), [q(32, 3, padding="same", pad_values=1.0, **quant()), bn()]),
        # same-zero padding: the border correction
        "bconv_same_zero": seq((7, 9, 64), [q(16, 3, padding="same", **quant()), bn()]),
        # odd channel counts, VALID, strides and dilation
        "bconv_valid_odd": seq((11, 10, 33), [q(40, 3, strides=2, **quant()), bn()]),
        "bconv_dilated": seq((12, 12, 3), [q(8, 3, dilation_rate=2, pad_values=1.0, padding="same", **quant()), bn()]),
        # ReLU fused (allowed with same-one), then BN
        "bconv_relu_bn": seq(
            (6, 6, 32), [q(24, 3, padding="same", pad_values=1.0, **quant()), keras.layers.Activation("relu"), bn()]
        ),
        # two binary convs in a row: bitpacked output (thresholds, flipped weights)
        "bconv_chain": seq(
            (8, 8, 32),
            [
                q(64, 3, padding="same", pad_values=1.0, **quant()),
                bn(),
                q(40, 3, padding="same", pad_values=1.0, **quant()),
                bn(),
            ],
        ),
        # MaxPool before a binary conv: LceBMaxPool2d
        "bmaxpool": seq(
            (8, 8, 32),
            [
                q(64, 3, padding="same", pad_values=1.0, **quant()),
                bn(),
                keras.layers.MaxPool2D(2),
                q(32, 3, padding="same", pad_values=1.0, **quant()),
                bn(),
            ],
        ),
        # grouped binary conv
        "bconv_grouped": seq((6, 6, 64), [q(32, 3, groups=2, padding="same", pad_values=1.0, **quant()), bn()]),
        # per-channel weight scale into the multiplier
        "bconv_magnitude": seq(
            (6, 6, 32), [q(16, 1, **quant(kernel_quantizer=lq.quantizers.MagnitudeAwareSign(), kernel_constraint=None))]
        ),
        "quicknet_block": quicknet_block((16, 16, 3)),
    }


def litert_run(flatbuffer, xs):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=flatbuffer)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), xs):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    manifest = {"generator": "tools/py/lce_fixtures.py", "lce": lce.__version__, "tensorflow": tf.__version__, "models": {}}
    entries = [(name, model, "lce") for name, model in models().items()] + [("builtins", builtins_model(), "litert")]
    weights = {}
    for name, model, runner in entries:
        randomize(model, rng)
        # Every layer's weights in Keras order, so onebit can rebuild the model and convert it itself.
        weights[name] = [
            {"layer": layer.__class__.__name__, "weights": [{"shape": list(w.shape), "data": b64(w)} for w in layer.get_weights()]}
            for layer in model.layers
            if layer.get_weights()
        ]
        if runner == "lce":
            flatbuffer = lce.convert_keras_model(model)
        else:
            flatbuffer = tf.lite.TFLiteConverter.from_keras_model(model).convert()
        (out / f"{name}.tflite").write_bytes(flatbuffer)
        x = rng.normal(0.0, 1.0, model.input_shape).astype(np.float32)
        x[x == 0] = 0.5  # no exact zeros: sign(0) ties are tested elsewhere
        if runner == "lce":
            try:
                interp = lce.testing.Interpreter(flatbuffer, num_threads=1)
            except RuntimeError:
                # LCE's default (im2col + ruy) kernel rejects groups; its indirect BGEMM runs them.
                interp = lce.testing.Interpreter(flatbuffer, num_threads=1, use_indirect_bgemm=True)
            ys = interp.predict(x)
            ys = ys if isinstance(ys, list) else [ys]
        else:
            ys = litert_run(flatbuffer, [x])
        manifest["models"][name] = {
            "runner": "LCE Interpreter" if runner == "lce" else "LiteRT Interpreter",
            "inputs": [{"shape": list(x.shape), "data": b64(x)}],
            "outputs": [{"shape": list(y.shape), "data": b64(y)} for y in ys],
        }
        print(f"{name}: {len(flatbuffer)} bytes, {len(ys)} output(s) from {manifest['models'][name]['runner']}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (out / "weights.json").write_text(json.dumps(weights, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/lce")
