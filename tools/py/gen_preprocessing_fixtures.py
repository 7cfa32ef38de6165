"""Writes what tf-keras 2.16's image preprocessing layers and TensorFlow's
ImageProjectiveTransformV3 make of small images, for layers/preprocessing.ts
and graph/image.ts:

    TF_USE_LEGACY_KERAS=1 .tools/venv/bin/python tools/py/gen_preprocessing_fixtures.py \
        tests/fixtures/keras/preprocessing.json

The random layers are made deterministic by giving every factor as a
one-point range, e.g. RandomTranslation((0.2, 0.2), (-0.1, -0.1)) always
shifts by 0.2 · height and -0.1 · width; TensorFlow's random numbers
themselves cannot be reproduced (and are not needed). Arrays are base64
little-endian float32 with their shape.
"""

import base64
import json
import math
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
INTERPOLATIONS = ["bilinear", "nearest"]


def b64(a):
    a = np.asarray(a, dtype="<f4")
    return {"shape": list(a.shape), "data": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()}


def images(rng, shape):
    """Integer pixel values 0..255 as float32: exact in any format, distinct enough to see a wrong tap."""
    return rng.integers(0, 256, shape).astype(np.float32)


def projective_cases():
    """ImageProjectiveTransformV3 on a [2, 5, 6, 2] batch: translations (small and far beyond the
    image, reaching the modulo branches of reflect and wrap), zooms, a rotation, a projective
    transform, and a different transform per image."""
    c, s = math.cos(0.3), math.sin(0.3)
    transforms = {
        "shift_sub_pixel": [[1, 0, -1.4, 0, 1, 0.7, 0, 0]],
        "shift_whole_pixels": [[1, 0, 2, 0, 1, -3, 0, 0]],
        "shift_far": [[1, 0, 23.3, 0, 1, -17.6, 0, 0]],
        "shift_far_negative": [[1, 0, -31.7, 0, 1, 12.2, 0, 0]],
        "zoom_out": [[1.7, 0, -3.5, 0, 1.3, -1.2, 0, 0]],
        "zoom_in": [[0.6, 0, 1.0, 0, 0.55, 0.9, 0, 0]],
        "rotation": [[c, -s, 1.2, s, c, -0.8, 0, 0]],
        "projective": [[1.1, 0.2, -0.5, -0.1, 0.9, 0.3, 0.03, -0.05]],
        "per_image": [[1, 0, 0.5, 0, 1, -0.25, 0, 0], [0.8, 0.1, 0.3, 0, 1.2, -0.6, 0, 0]],
    }
    rng = np.random.default_rng(11)
    x = images(rng, (2, 5, 6, 2))
    cases = []
    for name, t in transforms.items():
        for fill_mode in FILL_MODES:
            for interpolation in INTERPOLATIONS:
                fill_value = 7.5 if fill_mode == "constant" else 0.0
                y = tf.raw_ops.ImageProjectiveTransformV3(
                    images=x,
                    transforms=tf.constant(t, tf.float32),
                    output_shape=tf.constant([5, 6], tf.int32),
                    fill_value=tf.constant(fill_value, tf.float32),
                    fill_mode=fill_mode.upper(),
                    interpolation=interpolation.upper(),
                )
                cases.append({
                    "name": name,
                    "transforms": t,
                    "fill_mode": fill_mode,
                    "interpolation": interpolation,
                    "fill_value": fill_value,
                    "output": b64(y.numpy()),
                })
    return {"input": b64(x), "cases": cases}


def layer_cases():
    """Keras's layers on a [2, 6, 7, 3] batch (and its images alone): each fill mode and interpolation,
    inference, RandomCrop's smart_resize, Rescaling. Inputs are stored once, by name."""
    rng = np.random.default_rng(5)
    x = images(rng, (2, 6, 7, 3))
    inputs = {"batch": x, "first": x[0], "second": x[1],
              "pixels": np.arange(256, dtype=np.float32).reshape(1, 4, 4, 16)}
    cases = []

    def case(name, layer, input_name, training):
        y = layer(inputs[input_name], training=training)
        cases.append({"name": name, "class_name": type(layer).__name__, "config": layer.get_config(),
                      "input": input_name, "training": training, "output": b64(y.numpy())})

    L = keras.layers
    for fill_mode in FILL_MODES:
        for interpolation in INTERPOLATIONS:
            fill_value = 0.5 if fill_mode == "constant" else 0.0
            kw = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=fill_value)
            tag = f"{fill_mode}_{interpolation}"
            case(f"translation_{tag}", L.RandomTranslation((0.2, 0.2), (-0.1, -0.1), **kw), "batch", True)
            case(f"translation_large_{tag}", L.RandomTranslation((-0.45, -0.45), (0.3, 0.3), **kw), "batch", True)
            case(f"zoom_out_{tag}", L.RandomZoom((0.3, 0.3), **kw), "batch", True)
            case(f"zoom_mixed_{tag}", L.RandomZoom((-0.25, -0.25), (0.4, 0.4), **kw), "batch", True)
    # Unbatched images ([height, width, channels]).
    case("translation_unbatched", L.RandomTranslation((0.2, 0.2), (-0.1, -0.1)), "first", True)
    case("zoom_in_unbatched", L.RandomZoom((-0.3, -0.3)), "second", True)
    # Inference: the random layers pass images through.
    case("translation_inference", L.RandomTranslation(0.3, 0.3), "batch", False)
    case("zoom_inference", L.RandomZoom(0.3), "batch", False)
    case("flip_inference", L.RandomFlip(), "batch", False)
    # RandomCrop: at inference (and in training when the image is smaller) it is smart_resize:
    # the largest centred crop of the target's aspect ratio, resized bilinearly.
    for h, w in [(4, 4), (5, 3), (6, 7), (3, 6), (2, 7)]:
        case(f"crop_inference_{h}x{w}", L.RandomCrop(h, w), "batch", False)
    case("crop_training_taller_9x5", L.RandomCrop(9, 5), "batch", True)
    case("crop_training_larger_10x12", L.RandomCrop(10, 12), "batch", True)
    case("crop_training_same_size", L.RandomCrop(6, 7), "batch", True)
    case("crop_inference_unbatched", L.RandomCrop(4, 5), "first", False)
    # Rescaling always applies.
    case("rescaling_minus1_1", L.Rescaling(1 / 127.5, offset=-1), "pixels", False)
    case("rescaling_0_1", L.Rescaling(1 / 255), "pixels", True)
    return {"inputs": {k: b64(v) for k, v in inputs.items()}, "cases": cases}


def configs():
    """get_config() with every argument set, for fromConfig."""
    L = keras.layers
    layers = [
        L.Rescaling(0.5, offset=0.25, name="rescale"),
        L.RandomFlip("vertical", seed=3, name="flip"),
        L.RandomTranslation(0.1, (-0.2, 0.3), fill_mode="constant", interpolation="nearest", seed=4,
                            fill_value=2.0, name="shift"),
        L.RandomCrop(24, 20, seed=5, name="crop"),
        L.RandomZoom((-0.2, 0.1), 0.3, fill_mode="wrap", interpolation="bilinear", seed=6, name="zoom"),
        L.RandomZoom(0.2),
    ]
    return [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in layers]


def main(out):
    assert keras.__version__.startswith("2.16"), f"expected tf-keras 2.16, got {keras.__version__}"
    fixture = {
        "generator": "tools/py/gen_preprocessing_fixtures.py",
        "versions": {"tensorflow": tf.__version__, "tf_keras": keras.__version__},
        "projective": projective_cases(),
        "layers": layer_cases(),
        "configs": configs(),
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"{out}: {len(fixture['projective']['cases'])} transforms, {len(fixture['layers']['cases'])} layer cases")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras/preprocessing.json")
