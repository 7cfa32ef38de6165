"""Keras Conv2DTranspose with output_padding, as a fixture for onebit's layer and converter.

Writes tests/fixtures/larq/conv_transpose_output_padding.json: for SAME and VALID padding, strides 2 and 3, the
layer config (as Keras serialises it), weights, an input and Keras's output.

    PYTHONPATH=tools/py .tools/venv/bin/python tools/py/transpose_output_padding.py
"""
import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

cases = []
rng = np.random.default_rng(3)
for padding, strides, kernel, output_padding in [
    ("same", 2, 3, 1),
    ("valid", 2, 3, 1),
    ("same", 3, 4, (2, 1)),
    ("valid", 3, 2, (0, 2)),
]:
    layer = keras.layers.Conv2DTranspose(
        3, kernel, strides=strides, padding=padding, output_padding=output_padding
    )
    x = rng.standard_normal((1, 4, 5, 2)).astype(np.float32)
    y = layer(x).numpy()
    k, b = layer.get_weights()
    b = rng.standard_normal(b.shape).astype(np.float32)
    layer.set_weights([k, b])
    y = layer(x).numpy()
    cases.append(
        {
            "config": layer.get_config(),
            "kernel": k.ravel().tolist(),
            "kernel_shape": list(k.shape),
            "bias": b.tolist(),
            "input": x.ravel().tolist(),
            "input_shape": list(x.shape),
            "output": y.ravel().tolist(),
            "output_shape": list(y.shape),
        }
    )

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "larq", "conv_transpose_output_padding.json")
with open(out, "w") as f:
    json.dump({"generator": "tools/py/transpose_output_padding.py", "keras": keras.__version__, "cases": cases}, f)
print("wrote", os.path.normpath(out), [c["output_shape"] for c in cases])
