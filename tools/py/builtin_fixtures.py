"""Writes fixtures for TFLite builtins that converted Keras models contain:
tiny TF functions using each op, converted by the TFLite converter (float, no
optimizations) and run by LiteRT's interpreter with its reference kernels
(BUILTIN_REF; its default XNNPACK/optimized kernels round bilinear resizes
differently, by the gap each case prints) on fixed random inputs.

    .tools/venv/bin/python tools/py/builtin_fixtures.py tests/fixtures/builtins

For each case NAME it writes NAME.tflite and an entry of manifest.json: the op
it checks, input/output shapes and float32 data (base64, little-endian).
tests/runtime_builtins_test.ts runs them without Python.
"""

import base64
import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras
from ai_edge_litert.interpreter import Interpreter, OpResolverType

SEED = 20261206


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def convert_fn(fn, shapes):
    specs = [tf.TensorSpec(s, tf.float32) for s in shapes]
    concrete = tf.function(fn).get_concrete_function(*specs)
    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete], tf.function(fn))
    return conv.convert()


def convert_keras(layer, shape):
    x = keras.Input(shape[1:], batch_size=shape[0])
    return tf.lite.TFLiteConverter.from_keras_model(keras.Model(x, layer(x))).convert()


def run(flat, inputs, resolver=OpResolverType.BUILTIN_REF):
    """LiteRT's reference kernels (the default resolver's XNNPACK/optimized kernels round differently)."""
    it = Interpreter(model_content=flat, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def cases(rng):
    r = lambda *s: rng.normal(0, 2, s).astype(np.float32)  # noqa: E731
    nan = np.float32("nan")

    # MAXIMUM / MINIMUM: same shape, broadcasts both ways, a scalar, NaN on either side.
    for op, f in (("MAXIMUM", tf.maximum), ("MINIMUM", tf.minimum)):
        low = op.lower()
        yield f"{low}_same", op, lambda a, b, f=f: f(a, b), [r(2, 3, 4), r(2, 3, 4)]
        yield f"{low}_channel", op, lambda a, b, f=f: f(a, b), [r(1, 4, 5, 3), r(3)]
        yield f"{low}_outer", op, lambda a, b, f=f: f(a, b), [r(4, 1, 3), r(1, 5, 1)]
        yield f"{low}_scalar_first", op, lambda a, f=f: f(0.25, a), [r(2, 7)]
        a, b = r(2, 5), r(2, 5)
        a[0, 0] = b[0, 1] = a[1, 2] = b[1, 2] = nan
        yield f"{low}_nan", op, lambda a, b, f=f: f(a, b), [a, b]

    # PRELU as Keras converts it: alpha over the non-batch dims, or shared over H and W.
    for name, shape, kw in (
        ("prelu_full", (2, 3, 4, 5), {}),
        ("prelu_shared_hw", (1, 4, 3, 6), {"shared_axes": [1, 2]}),
        ("prelu_rank2", (3, 7), {}),
    ):
        layer = keras.layers.PReLU(**kw)
        layer.build((None,) + shape[1:])
        layer.set_weights([rng.normal(0, 0.5, layer.weights[0].shape).astype(np.float32)])
        yield name, "PRELU", ("keras", layer, shape), [r(*shape)]

    # TRANSPOSE with constant perms, rank 1..6.
    for name, shape, perm in (
        ("transpose_2d", (3, 5), (1, 0)),
        ("transpose_nhwc_nchw", (2, 3, 4, 5), (0, 3, 1, 2)),
        ("transpose_3d", (4, 1, 3), (2, 0, 1)),
        ("transpose_5d", (2, 3, 1, 2, 3), (4, 2, 0, 3, 1)),
        ("transpose_6d", (2, 1, 3, 2, 2, 3), (5, 3, 1, 4, 0, 2)),
    ):
        yield name, "TRANSPOSE", lambda a, perm=perm: tf.transpose(a, perm), [r(*shape)]

    # RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR with a constant size: every align_corners / half_pixel_centers
    # combination TF allows; upscale, downscale, an exact 2x (LiteRT's optimized kernel special-cases it); Keras.
    v1 = tf.compat.v1.image
    sizes = (("up", (1, 3, 4, 2), (7, 5)), ("down", (2, 8, 9, 3), (3, 4)), ("x2", (1, 4, 3, 3), (8, 6)))
    for tag, shape, size in sizes:
        for align, half in ((False, False), (True, False), (False, True)):
            opt = "align" if align else "half" if half else "plain"
            for short, op, f in (
                ("bilinear", "RESIZE_BILINEAR", v1.resize_bilinear),
                ("nearest", "RESIZE_NEAREST_NEIGHBOR", v1.resize_nearest_neighbor),
            ):

                def fn(a, f=f, size=size, align=align, half=half):
                    return f(a, size, align_corners=align, half_pixel_centers=half)

                yield f"{short}_{tag}_{opt}", op, fn, [r(*shape)]
    yield "bilinear_tf_image_resize", "RESIZE_BILINEAR", lambda a: tf.image.resize(a, (5, 11)), [r(2, 3, 7, 1)]
    up = keras.layers.UpSampling2D(size=(2, 3), interpolation="nearest")
    yield "nearest_keras_upsampling", "RESIZE_NEAREST_NEIGHBOR", ("keras", up, (1, 3, 2, 4)), [r(1, 3, 2, 4)]
    up = keras.layers.UpSampling2D(size=2, interpolation="bilinear")
    yield "bilinear_keras_upsampling", "RESIZE_BILINEAR", ("keras", up, (1, 3, 2, 4)), [r(1, 3, 2, 4)]

    # STRIDED_SLICE with constant begin / end / strides: negative indices and strides, masks, shrink, clamping.
    for name, shape, fn in (
        ("slice_basic", (5, 4), lambda a: a[1:3]),
        ("slice_reverse", (6, 3), lambda a: a[::-1]),
        ("slice_negative_index", (2, 7, 3), lambda a: a[:, -3:-1]),
        ("slice_shrink", (3, 4, 5), lambda a: a[:, 1]),
        ("slice_shrink_negative", (2, 5, 6, 3), lambda a: a[:, -1, ::-2]),
        ("slice_negative_step", (7, 2), lambda a: a[5:1:-2]),
        ("slice_clamped", (4, 3), lambda a: a[-100:100, 1:]),
        ("slice_crop_4d", (1, 6, 7, 5), lambda a: a[:, 1:-1, ::2, 2:]),
        ("slice_5d", (2, 3, 4, 3, 2), lambda a: a[1:, ::-1, 1:4:2, :, -1]),
    ):
        yield name, "STRIDED_SLICE", fn, [r(*shape)]

    # DIV and SQUARED_DIFFERENCE: same shape and broadcast; a zero divisor (inf, nan) too.
    yield "div_same", "DIV", lambda a, b: tf.math.divide(a, b), [r(2, 3, 4), r(2, 3, 4)]
    # x / 0: TF and LiteRT's default kernels give +-inf, its reference kernels clamp to +-FLT_MAX (the NONE
    # activation's range): onebit follows TF, so this case records the default kernels' outputs.
    a, b = r(2, 3), r(2, 3)
    b[0, :2] = 0
    yield "div_by_zero", "DIV", lambda a, b: tf.math.divide(a, b), [a, b]
    yield "div_channel", "DIV", lambda a, b: tf.math.divide(a, b), [r(1, 3, 4, 5), r(5)]
    yield "squared_difference_same", "SQUARED_DIFFERENCE", tf.math.squared_difference, [r(3, 7), r(3, 7)]
    yield "squared_difference_outer", "SQUARED_DIFFERENCE", tf.math.squared_difference, [r(4, 1, 3), r(1, 5, 1)]

    # One-operand math: ABS, NEG, SQUARE, SQRT, RSQRT, EXP, LOG (positive inputs where the domain needs them).
    for name, op, fn, positive in (
        ("abs", "ABS", tf.abs, False),
        ("neg", "NEG", tf.negative, False),
        ("square", "SQUARE", tf.square, False),
        ("sqrt", "SQRT", tf.sqrt, True),
        ("rsqrt", "RSQRT", tf.math.rsqrt, True),
        ("exp", "EXP", tf.exp, False),
        ("log", "LOG", tf.math.log, True),
    ):
        x = r(3, 5, 7)
        if positive:
            x = np.abs(x) + np.float32(1e-3)
        yield f"{name}_math", op, lambda a, fn=fn: fn(a), [x]

    # DEPTH_TO_SPACE / SPACE_TO_DEPTH (NHWC, TF's DCR order), SLICE.
    yield "depth_to_space_2", "DEPTH_TO_SPACE", lambda a: tf.nn.depth_to_space(a, 2), [r(2, 3, 4, 12)]
    yield "depth_to_space_3", "DEPTH_TO_SPACE", lambda a: tf.nn.depth_to_space(a, 3), [r(1, 2, 2, 9)]
    yield "space_to_depth_2", "SPACE_TO_DEPTH", lambda a: tf.nn.space_to_depth(a, 2), [r(2, 4, 6, 3)]
    yield "slice_sizes", "SLICE", lambda a: tf.slice(a, [0, 1, 2], [-1, 2, 3]), [r(2, 4, 6)]
    yield "slice_4d", "SLICE", lambda a: tf.slice(a, [1, 0, 2, 1], [1, 3, -1, 2]), [r(2, 3, 5, 4)]

    # SPLIT into equal parts (several outputs): channels with a negative axis (MeliusNet's grouped stem), a middle
    # axis, the batch axis.
    yield "split_channels", "SPLIT", lambda a: tf.split(a, 3, axis=-1), [r(1, 4, 5, 12)]
    yield "split_middle", "SPLIT", lambda a: tf.split(a, 2, axis=1), [r(2, 6, 5)]
    yield "split_batch", "SPLIT", lambda a: tf.split(a, 4, axis=0), [r(4, 3, 2)]


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    manifest = {}
    for name, op, fn, inputs in cases(rng):
        if isinstance(fn, tuple):
            _, layer, shape = fn
            flat = convert_keras(layer, shape)
        else:
            flat = convert_fn(fn, [x.shape for x in inputs])
        try:
            if name == "div_by_zero":
                raise ValueError("recorded from the default kernels")
            outputs, runner = run(flat, inputs), "reference"
        except ValueError:  # the reference resolver lacks TRANSPOSE version 6 (rank 6); div_by_zero
            outputs, runner = run(flat, inputs, OpResolverType.AUTO), "default"
        # How far LiteRT's default kernels (XNNPACK / optimized) are from its reference ones, for the record.
        default = run(flat, inputs, OpResolverType.AUTO)
        scale = max(1e-30, max(float(np.nanmax(np.abs(x))) for x in inputs))
        gap = max(float(np.nanmax(np.abs(d - y))) for d, y in zip(default, outputs)) / scale
        (out / f"{name}.tflite").write_bytes(flat)
        manifest[name] = {
            "op": op,
            "runner": runner,
            "inputs": [{"shape": list(x.shape), "data": b64(x)} for x in inputs],
            "outputs": [{"shape": list(y.shape), "data": b64(y)} for y in outputs],
        }
        print(name, [y.shape for y in outputs], f"default-vs-reference |diff|/max|input| {gap:.2e}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/builtins")
