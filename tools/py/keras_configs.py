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


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def main(out):
    rng = np.random.default_rng(7)
    models = {
        "larq_mnist": larq_mnist(),
        "quicknet_block": quicknet_block((16, 16, 3)),
        "residual_operator": residual_operator(),
        "more_layers": more_layers(),
    }
    entries = {}
    for name, model in models.items():
        randomize(model, rng)
        x = rng.normal(0, 1, (1, *model.input_shape[1:])).astype(np.float32)
        y = model(x, training=False).numpy()
        entries[name] = {
            "json": model.to_json(),
            "params": int(model.count_params()),
            "weights": {w.name: {"shape": list(w.shape), "data": b64(w.numpy())} for w in model.weights},
            "input": {"shape": list(x.shape), "data": b64(x)},
            "output": {"shape": list(y.shape), "data": b64(y)},
        }
        print(f"{name}: {model.count_params()} parameters")
    with open(out, "w") as f:
        json.dump({"generator": "tools/py/keras_configs.py", "models": entries}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/larq/keras_configs.json")
