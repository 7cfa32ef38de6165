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


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def main(out):
    rng = np.random.default_rng(7)
    models = {"larq_mnist": larq_mnist(), "quicknet_block": quicknet_block((16, 16, 3)), "residual_operator": residual_operator()}
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
