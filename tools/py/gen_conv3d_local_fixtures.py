"""tf-keras's own Conv3D, Conv3DTranspose, LocallyConnected1D/2D and DepthwiseConv1D outputs, as a fixture for
onebit's training ops (graph/conv3d.ts, graph/locally_connected.ts, depthwiseConv1d in graph/conv.ts).

Each case builds the real tf_keras layer (no bias), sets its kernel explicitly (so the kernel layout is Keras's own),
and stores the layer's options, kernel, input and output. Inputs and kernels are multiples of 1/32 in [-2, 2) (exact in
float32, short in JSON); outputs are float32 in their shortest round-trip form.

Writes tests/fixtures/keras/conv3d_local.json:

    .tools/venv/bin/python tools/py/gen_conv3d_local_fixtures.py
"""
import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

L = keras.layers
# (layer class, input shape, positional args, keyword args)
CASES = [
    (L.Conv3D, (2, 5, 6, 4, 3), (4, (2, 3, 2)), {}),
    (L.Conv3D, (1, 7, 6, 5, 4), (6, 3), {"strides": 2, "padding": "same"}),
    (L.Conv3D, (1, 6, 5, 7, 2), (3, (3, 2, 2)), {"dilation_rate": (2, 1, 2), "padding": "same"}),
    (L.Conv3D, (1, 6, 6, 6, 2), (2, 2), {"dilation_rate": 2}),
    (L.Conv3D, (2, 5, 5, 4, 4), (6, (2, 2, 3)), {"strides": (1, 2, 1), "groups": 2}),
    (L.Conv3D, (1, 5, 6, 5, 6), (6, (2, 3, 2)), {"dilation_rate": 2, "groups": 3, "padding": "same"}),
    (L.Conv3DTranspose, (1, 3, 4, 2, 3), (2, 3), {"strides": 2, "padding": "same"}),
    (L.Conv3DTranspose, (2, 2, 3, 3, 2), (3, (2, 3, 2)), {"strides": (2, 1, 2)}),
    (L.Conv3DTranspose, (1, 3, 3, 3, 2), (2, 2), {}),
    (L.Conv3DTranspose, (1, 3, 3, 2, 2), (2, 3), {"strides": 2, "padding": "same", "output_padding": 1}),
    (L.Conv3DTranspose, (1, 2, 3, 2, 3), (2, (2, 2, 3)), {"strides": (2, 3, 1), "output_padding": (1, 2, 0)}),
    (L.LocallyConnected1D, (2, 7, 3), (4, 3), {"implementation": 1}),
    (L.LocallyConnected1D, (2, 8, 2), (3, 2), {"strides": 2, "implementation": 1}),
    (L.LocallyConnected1D, (1, 9, 4), (2, 4), {"strides": 3, "implementation": 1}),
    (L.LocallyConnected2D, (2, 5, 6, 3), (4, (2, 3)), {"strides": (1, 2), "implementation": 1}),
    (L.LocallyConnected2D, (1, 7, 7, 2), (3, 3), {"strides": 2, "implementation": 1}),
    (L.LocallyConnected2D, (2, 4, 5, 1), (2, (4, 1)), {"implementation": 1}),
    (L.DepthwiseConv1D, (2, 7, 3), (3,), {"strides": 2, "padding": "same", "depth_multiplier": 2}),
    (L.DepthwiseConv1D, (1, 9, 4), (2,), {"dilation_rate": 2}),
    (L.DepthwiseConv1D, (2, 6, 2), (4,), {"padding": "same", "depth_multiplier": 3}),
]
OPTIONS = ["kernel_size", "strides", "padding", "dilation_rate", "groups", "output_padding", "depth_multiplier"]


def grid(rng, shape):
    """Multiples of 1/32 in [-2, 2): exact in float32."""
    return (rng.integers(-64, 64, size=shape) / 32).astype(np.float32)


def short(a):
    """float32 values in their shortest round-trip decimal form."""
    return [float(str(v)) for v in np.asarray(a, np.float32).ravel()]


def case(rng, cls, input_shape, args, kwargs):
    layer = cls(*args, use_bias=False, **kwargs)
    x = grid(rng, input_shape)
    layer.build(input_shape)
    (kernel,) = layer.get_weights()
    kernel = grid(rng, kernel.shape)
    layer.set_weights([kernel])
    y = layer(x).numpy()
    config = layer.get_config()
    return {
        "layer": cls.__name__,
        "options": {k: config[k] for k in OPTIONS if k in config},
        "kernel_shape": list(kernel.shape),
        "kernel": short(kernel),
        "input_shape": list(x.shape),
        "input": short(x),
        "output_shape": list(y.shape),
        "output": short(y),
    }


def main():
    rng = np.random.default_rng(15)
    cases = [case(rng, *c) for c in CASES]
    out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "keras", "conv3d_local.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(
            {
                "generator": "tools/py/gen_conv3d_local_fixtures.py",
                "tf_keras": keras.__version__,
                "tensorflow": tf.__version__,
                "cases": cases,
            },
            f,
            separators=(",", ":"),
        )
        f.write("\n")
    print("wrote", os.path.normpath(out), len(cases), "cases")


if __name__ == "__main__":
    main()
