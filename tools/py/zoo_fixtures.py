"""Fixtures for onebit's rebuilds of larq-zoo (zoo/*.ts), written by
TensorFlow/Keras/larq-zoo themselves:

    .tools/venv/bin/python tools/py/zoo_fixtures.py [OUT_DIR]

OUT_DIR/zoo_layers.json: the layers larq-zoo's models brought to onebit
(PReLU, Softmax, Multiply, tf.split, MeliusNet's pad-and-add merge,
DoReFaNet's clip_by_value_activation) on small inputs with exact zeros and
clip edges: Keras's configs, outputs, and the gradients of sum(y * r) for a
fixed r from tf.GradientTape.

OUT_DIR/zoo_outputs.json: each larq-zoo model (small inputs where larq-zoo
takes them) with weights and inputs set by a formula exact in float64 (so
neither needs storing), and its outputs at inference. The formula, which
zoo/zoo_outputs_test.ts repeats:
  weight j (in model.weights order), element i (row-major):
    u = ((i * 7919 + j * 104729) mod 2001 - 1000) / 1000        (in [-1, 1])
    moving_variance, gamma: 1 + u / 2;  moving_mean, beta, bias, alpha: u / 10
    kernels: u / sqrt(fan_in), fan_in = product of all axes but the last
  input element i: ((i * 31 + 17) mod 255) / 127.5 - 1
"""

import json
import sys

import zoo_shim  # noqa: F401
import larq_zoo as lqz
import numpy as np
import tensorflow as tf
import tf_keras as keras
from larq_zoo.literature.dorefanet import clip_by_value_activation

R = np.random.default_rng(16)


def rand(*shape):
    return R.uniform(-2, 2, shape).astype(np.float32)


def case(layer, inputs, weights=None):
    """Output and gradients of sum(layer(inputs) * r) wrt each input and weight."""
    xs = [tf.constant(x) for x in inputs]
    with tf.GradientTape(persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        y = layer(xs if len(xs) > 1 else xs[0])
        if weights is not None:
            layer.set_weights(weights)
            y = layer(xs if len(xs) > 1 else xs[0])
        ys = y if isinstance(y, (list, tuple)) else [y]
        rs = [R.uniform(0.5, 1.5, t.shape).astype(np.float32) for t in ys]
        loss = tf.add_n([tf.reduce_sum(t * r) for t, r in zip(ys, rs)])
    wrt = xs + list(getattr(layer, "trainable_weights", []))
    grads = tape.gradient(loss, wrt)
    return {
        "config": None if isinstance(layer, Fn) else layer.get_config(),
        "inputs": [x.tolist() for x in inputs],
        "weights": [w.numpy().tolist() for w in getattr(layer, "weights", [])],
        "outputs": [t.numpy().tolist() for t in ys],
        "r": [r.tolist() for r in rs],
        "grads": [g.numpy().tolist() for g in grads],
    }


class Fn(keras.layers.Layer):
    """A function as a layer (what larq-zoo's Lambdas compute), without weights."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def call(self, x):
        return self.fn(x)


def merge(xs):
    """larq-zoo's MeliusNet improvement merge."""
    x, w = xs
    f_in = int(x.shape[-1])
    return x + tf.pad(w, [[0, 0], [0, 0], [0, 0], [f_in - int(w.shape[-1]), 0]])


def layers():
    x = rand(2, 3, 2, 4)
    x[0, 0, 0, :] = 0.0  # exact zeros: relu's gradient there
    clip = rand(3, 5)
    clip[0, :4] = [0.0, 1.0, -0.0, 0.5]  # clip edges: tf.clip_by_value passes the gradient on [0, 1]
    return {
        "prelu_shared": case(
            keras.layers.PReLU(shared_axes=[1, 2]), [x], [R.uniform(-0.5, 0.5, (1, 1, 4)).astype(np.float32)]
        ),
        "prelu": case(keras.layers.PReLU(alpha_initializer="ones"), [x], [R.uniform(-0.5, 0.5, (3, 2, 4)).astype(np.float32)]),
        "softmax": case(keras.layers.Softmax(), [rand(3, 5)]),
        "multiply": case(keras.layers.Multiply(), [rand(2, 3, 3, 4), rand(2, 1, 1, 4)]),
        "split": case(Fn(lambda t: tf.split(t, 4, axis=-1)), [rand(2, 3, 3, 8)]),
        "add_to_last_channels": case(Fn(merge), [rand(2, 2, 3, 5), rand(2, 2, 3, 2)]),
        "clip_by_value_activation": case(Fn(clip_by_value_activation), [clip]),
    }


def formula_weights(model):
    out = []
    for j, w in enumerate(model.weights):
        shape = tuple(w.shape)
        i = np.arange(int(np.prod(shape)), dtype=np.int64)
        u = ((i * 7919 + j * 104729) % 2001 - 1000) / 1000.0
        name = w.name.split("/")[-1].split(":")[0]
        if name in ("moving_variance", "gamma"):
            v = 1 + u / 2
        elif name in ("moving_mean", "beta", "bias", "alpha"):
            v = u / 10
        else:
            v = u / np.sqrt(np.prod(shape[:-1]))
        out.append(v.reshape(shape).astype(np.float32))
    return out


def formula_input(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return (((i * 31 + 17) % 255) / 127.5 - 1).reshape(shape).astype(np.float32)


lit, sota = lqz.literature, lqz.sota
# name → (larq-zoo model, its arguments, batch); the same list as zoo/zoo_outputs_test.ts.
MODELS = {
    "quicknet_small": (sota.QuickNetSmall, {"input_shape": (64, 64, 3), "num_classes": 10}, 2),
    "birealnet": (lit.BiRealNet, {"input_shape": (64, 64, 3), "num_classes": 10}, 2),
    "binary_resnet_e18": (lit.BinaryResNetE18, {"input_shape": (64, 64, 3), "num_classes": 10}, 2),
    "binary_resnet_e18_32px": (lit.BinaryResNetE18, {"input_shape": (32, 32, 3), "num_classes": 10}, 2),
    "binary_densenet28": (lit.BinaryDenseNet28, {"input_shape": (64, 64, 3), "num_classes": 10}, 2),
    "binary_densenet37_dilated": (lit.BinaryDenseNet37Dilated, {"input_shape": (64, 64, 3), "num_classes": 10}, 2),
    "meliusnet22": (lit.MeliusNet22, {"input_shape": (64, 64, 3), "num_classes": 10}, 2),
    "xnornet": (lit.XNORNet, {"input_shape": (224, 224, 3), "num_classes": 10}, 1),
    "dorefanet": (lit.DoReFaNet, {"input_shape": (96, 96, 3), "num_classes": 10}, 2),
    "binary_alexnet": (lit.BinaryAlexNet, {"input_shape": (96, 96, 3), "num_classes": 10}, 2),
    "real_to_binary_net": (lit.RealToBinaryNet, {"input_shape": (64, 64, 3), "num_classes": 10}, 2),
}


def outputs():
    result = {}
    for name, (make, kwargs, batch) in MODELS.items():
        keras.backend.clear_session()
        model = make(weights=None, **kwargs)
        model.set_weights(formula_weights(model))
        x = formula_input((batch, *kwargs["input_shape"]))
        y = model(x, training=False).numpy()
        result[name] = {"input_shape": list(kwargs["input_shape"]), "batch": batch, "output": y.tolist()}
        print(f"{name}: output {y.shape}")
    return result


def main(out_dir):
    with open(f"{out_dir}/zoo_layers.json", "w") as f:
        json.dump(layers(), f)
    with open(f"{out_dir}/zoo_outputs.json", "w") as f:
        json.dump(outputs(), f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/larq")
