"""Writes Keras JSON configs (model.to_json()) of larq models, with their
parameter counts and one input/output pair, for onebit's config import
(layers/serialize.ts) and weight loading:

    .tools/venv/bin/python tools/py/keras_configs.py tests/fixtures/larq/keras_configs.json
"""

import base64
import json
import sys

import zoo_shim  # noqa: F401
import larq as lq
import numpy as np
import tf_keras as keras
from lce_fixtures import quicknet_block, randomize
from zoo_models import larq_mnist


def residual_operator():
    """x + y written as an operator (TFOpLambda), a larq-zoo habit."""
    inp = keras.Input((6, 6, 32), batch_size=1)
    kw = dict(input_quantizer=lq.quantizers.SteSign(), kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.25), use_bias=False)
    y = lq.layers.QuantConv2D(32, 3, padding="same", pad_values=1.0, **kw)(inp)
    y = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(y)
    x = y + inp
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = lq.layers.QuantDense(10, input_quantizer=lq.quantizers.ApproxSign(), kernel_quantizer=lq.quantizers.MagnitudeAwareSign(), kernel_constraint=lq.constraints.WeightClip(1.0))(x)
    return keras.Model(inp, x)


def more_layers():
    """Keras/larq layers beyond the zoo's: padding, separable, transposed, ReLU variants, 1-D convolutions."""
    inp = keras.Input((8, 7, 4), batch_size=1)
    x = keras.layers.ZeroPadding2D(((1, 2), (0, 1)))(inp)
    x = lq.layers.QuantSeparableConv2D(8, 3, depth_multiplier=2, input_quantizer=lq.quantizers.SteSign(), depthwise_quantizer=lq.quantizers.SteSign(), pointwise_quantizer=lq.quantizers.SteSign(), padding="same", pad_values=1.0)(x)
    x = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = keras.layers.ReLU(negative_slope=0.1)(x)
    x = lq.layers.QuantConv2DTranspose(3, 2, strides=2, kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.0))(x)
    x = keras.layers.ReLU(max_value=6.0)(x)
    x = keras.layers.Reshape((-1, 3))(x)
    x = lq.layers.QuantConv1D(6, 3, padding="same", pad_values=1.0, input_quantizer=lq.quantizers.SteSign(), kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.0))(x)
    x = keras.layers.Conv1D(2, 5, strides=2, dilation_rate=1)(x)
    return keras.Model(inp, x)


def two_inputs_two_outputs():
    """A functional model with two inputs (image, vector) and two outputs."""
    img = keras.Input((6, 6, 3), batch_size=1, name="image")
    vec = keras.Input((5,), batch_size=1, name="vector")
    x = lq.layers.QuantConv2D(8, 3, kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.0))(img)
    x = keras.layers.GlobalAveragePooling2D()(x)
    v = keras.layers.Dense(8, activation="relu")(vec)
    h = keras.layers.Concatenate()([x, v])
    out1 = keras.layers.Dense(4, activation="softmax", name="classes")(h)
    out2 = lq.layers.QuantDense(2, input_quantizer=lq.quantizers.SteSign(), kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.0), name="aux")(h)
    return keras.Model([img, vec], [out1, out2])


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def main(out):
    rng = np.random.default_rng(7)
    models = {
        "larq_mnist": larq_mnist(),
        "quicknet_block": quicknet_block((16, 16, 3)),
        "residual_operator": residual_operator(),
        "more_layers": more_layers(),
        "two_inputs_two_outputs": two_inputs_two_outputs(),
    }
    entries = {}
    for name, model in models.items():
        randomize(model, rng)
        xs = [rng.normal(0, 1, (1, *t.shape[1:])).astype(np.float32) for t in model.inputs]
        ys = model(xs if len(xs) > 1 else xs[0], training=False)
        ys = [y.numpy() for y in (ys if isinstance(ys, list) else [ys])]
        lines = []
        lq.models.summary(model, print_fn=lines.append)
        entries[name] = {
            "json": model.to_json(),
            "summary": "\n".join(lines),
            "params": int(model.count_params()),
            "weights": {w.name: {"shape": list(w.shape), "data": b64(w.numpy())} for w in model.weights},
            "inputs": [{"shape": list(x.shape), "data": b64(x)} for x in xs],
            "outputs": [{"shape": list(y.shape), "data": b64(y)} for y in ys],
        }
        print(f"{name}: {model.count_params()} parameters")
    with open(out, "w") as f:
        json.dump({"generator": "tools/py/keras_configs.py", "models": entries}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/larq/keras_configs.json")
