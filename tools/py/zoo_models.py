"""Benchmark models: larq-zoo architectures with random weights (as LCE
benchmarks them), converted by LCE's converter, plus float-equivalent files
(quantizers removed, converted by TF) for LiteRT and tfjs.

    .tools/venv/bin/python tools/py/zoo_models.py bench/models [NAME ...]

Writes NAME.tflite (LCE ops), NAME_float.tflite and NAME_weights.h5 (the
random weights, as `save_weights` writes larq-zoo's pretrained files, so
onebit's zoo builders can load them and convert the same network) for each
model of ZOO, and the op counts of each LCE file into
tests/fixtures/lce/zoo_ops.json (what convert/zoo_convert_test.ts compares
onebit's conversions with): larq-zoo's QuickNet family, Bi-Real Net,
BinaryResNetE18, the BinaryDenseNets, MeliusNet22, XNOR-Net, DoReFa-Net,
Binary AlexNet, Real-to-Binary Net, and larq's MNIST CNN. DoReFa-Net gets no
NAME.tflite (see NO_LCE). Each model's weights come from a generator seeded
by its name, so a file does not depend on which others were written with it.
"""

import json
import sys
import zlib
from pathlib import Path

import zoo_shim  # noqa: F401
import larq as lq
import larq_compute_engine as lce
import larq_zoo as lqz
import numpy as np
import tensorflow as tf
import tf_keras as keras
from tensorflow.lite.python import schema_py_generated as schema

OPS_FIXTURE = Path(__file__).resolve().parents[2] / "tests/fixtures/lce/zoo_ops.json"
BUILTIN_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}

ZOO = {
    "quicknet_small": lambda: lqz.sota.QuickNetSmall(weights=None),
    "quicknet": lambda: lqz.sota.QuickNet(weights=None),
    "quicknet_large": lambda: lqz.sota.QuickNetLarge(weights=None),
    "birealnet": lambda: lqz.literature.BiRealNet(weights=None),
    "binary_resnet_e18": lambda: lqz.literature.BinaryResNetE18(weights=None),
    "binary_densenet28": lambda: lqz.literature.BinaryDenseNet28(weights=None),
    "binary_densenet37": lambda: lqz.literature.BinaryDenseNet37(weights=None),
    "binary_densenet37_dilated": lambda: lqz.literature.BinaryDenseNet37Dilated(weights=None),
    "binary_densenet45": lambda: lqz.literature.BinaryDenseNet45(weights=None),
    "meliusnet22": lambda: lqz.literature.MeliusNet22(weights=None),
    "xnornet": lambda: lqz.literature.XNORNet(weights=None),
    "dorefanet": lambda: lqz.literature.DoReFaNet(weights=None),
    "binary_alexnet": lambda: lqz.literature.BinaryAlexNet(weights=None),
    "real_to_binary_net": lambda: lqz.literature.RealToBinaryNet(weights=None),
    "larq_mnist": lambda: larq_mnist(),
}


# Models LCE's converter cannot convert: only their float file and weights are written.
NO_LCE = {
    # The saved-model conversion fails and the graphdef fallback segfaults (the whole process); onebit's
    # converter refuses its 2-bit activations with a ConversionError.
    "dorefanet": "LCE's converter crashes on its 2-bit activations",
}


def larq_mnist():
    """larq's introductory MNIST CNN (docs.larq.dev), as zoo/larq_mnist.ts builds it."""
    clip = lq.constraints.WeightClip(1.0)
    kw = dict(input_quantizer=lq.quantizers.SteSign(), kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=clip, use_bias=False)
    bn = lambda: keras.layers.BatchNormalization(scale=False)  # noqa: E731
    return keras.Sequential([
        lq.layers.QuantConv2D(32, 3, kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=clip, use_bias=False, input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2), bn(),
        lq.layers.QuantConv2D(64, 3, **kw), keras.layers.MaxPooling2D(2), bn(),
        lq.layers.QuantConv2D(64, 3, **kw), bn(), keras.layers.Flatten(),
        lq.layers.QuantDense(64, **kw), bn(),
        lq.layers.QuantDense(10, **kw), bn(), keras.layers.Activation("softmax"),
    ])


def randomize(model, rng):
    for layer in model.layers:
        weights = []
        for w in layer.weights:
            name = w.name.split("/")[-1]
            if "moving_variance" in name:
                v = rng.uniform(0.5, 2.0, w.shape)
            elif "gamma" in name:
                v = rng.uniform(0.5, 1.5, w.shape)
            else:
                v = rng.normal(0.0, 0.1, w.shape)
            weights.append(v.astype(np.float32))
        if weights:
            layer.set_weights(weights)


def float_equivalent(model):
    """The same graph with every quantizer removed: what a float runtime would run."""

    def strip(layer):
        config = layer.get_config()
        for key in ("input_quantizer", "kernel_quantizer", "depthwise_quantizer", "pointwise_quantizer"):
            if key in config:
                config[key] = None
        for key in ("kernel_constraint", "depthwise_constraint", "pointwise_constraint"):
            if key in config:
                config[key] = None
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=strip)
    clone.set_weights(model.get_weights())
    return clone


def op_counts(flatbuffer):
    """Operators of a .tflite by builtin name or custom code, counted."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(flatbuffer, 0))
    counts = {}
    for op in model.subgraphs[0].operators:
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        name = code.customCode.decode() if builtin == schema.BuiltinOperator.CUSTOM else BUILTIN_NAMES[builtin]
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def main(out_dir, names):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ops = json.loads(OPS_FIXTURE.read_text()) if OPS_FIXTURE.exists() else {}
    for name in names or ZOO:
        model = ZOO[name]()
        randomize(model, np.random.default_rng(zlib.crc32(name.encode())))
        model.save_weights(out / f"{name}_weights.h5")
        if name in NO_LCE:
            print(f"{name}: no LCE file ({NO_LCE[name]})")
        else:
            flatbuffer = lce.convert_keras_model(model)
            (out / f"{name}.tflite").write_bytes(flatbuffer)
            ops[name] = op_counts(flatbuffer)
            OPS_FIXTURE.write_text(json.dumps(dict(sorted(ops.items())), indent=1) + "\n")
        converter = tf.lite.TFLiteConverter.from_keras_model(float_equivalent(model))
        (out / f"{name}_float.tflite").write_bytes(converter.convert())
        print(f"{name}: {model.count_params()} parameters")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/models", sys.argv[2:])
