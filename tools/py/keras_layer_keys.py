"""Writes the config keys Keras's own layer classes have, for onebit's
config checks (layers/keras_keys_test.ts, keras/keras3_export_test.ts):
for each Keras/larq class name onebit registers, the keys of `get_config()`
of a default instance in tf-keras 2.16 with larq (what larq users load
with) and in Keras 3 (null where that Keras has no such class), and the
activation names each Keras knows:

    .tools/venv/bin/python tools/py/keras_layer_keys.py tests/fixtures/keras/layer_keys.json

The Keras 3 half runs in a second process, without TF_USE_LEGACY_KERAS.
"""

import json
import os
import subprocess
import sys

# Class name -> constructor arguments of a default instance.
CLASSES = {
    "Dense": (1,),
    "Conv1D": (1, 1),
    "Conv2D": (1, 1),
    "Conv3D": (1, 1),
    "Conv2DTranspose": (1, 1),
    "Conv3DTranspose": (1, 1),
    "DepthwiseConv2D": (1,),
    "SeparableConv1D": (1, 1),
    "SeparableConv2D": (1, 1),
    "LocallyConnected1D": (1, 1),
    "LocallyConnected2D": (1, 1),
    "BatchNormalization": (),
    "MaxPooling2D": (2,),
    "AveragePooling2D": (2,),
    "GlobalAveragePooling2D": (),
    "Activation": ("relu",),
    "Flatten": (),
    "Reshape": ((1,),),
    "Dropout": (0.5,),
    "ReLU": (),
    "ZeroPadding2D": (),
    "Add": (),
    "Concatenate": (),
    "Multiply": (),
    "Rescaling": (1.0,),
    "RandomFlip": (),
    "RandomTranslation": (0.1, 0.1),
    "RandomZoom": (0.1,),
    "RandomCrop": (1, 1),
    "PReLU": (),
    "Softmax": (),
    "Identity": (),
}
LARQ = ["QuantDense", "QuantConv1D", "QuantConv2D", "QuantConv3D", "QuantConv2DTranspose", "QuantConv3DTranspose",
        "QuantDepthwiseConv2D", "QuantSeparableConv1D", "QuantSeparableConv2D", "QuantLocallyConnected1D",
        "QuantLocallyConnected2D"]
ACTIVATIONS = ["linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "hard_tanh", "leaky_tanh",
               "clip_by_value_activation"]


def keys(module, name, args):
    cls = getattr(module, name, None)
    return None if cls is None else sorted(cls(*args).get_config())


def known(activations, name):
    try:
        activations.get(name)
        return True
    except (ValueError, TypeError):
        return False


def tf_keras_keys():
    sys.path.insert(0, os.path.dirname(__file__))
    import zoo_shim  # noqa: F401  (tf-keras as keras, before larq imports it)
    import larq
    import tf_keras as keras

    layers = {name: keys(keras.layers, name, args) for name, args in CLASSES.items()}
    for name in LARQ:
        layers[name] = keys(larq.layers, name, CLASSES[name[len("Quant"):]])
    return {"version": keras.__version__, "larq": larq.__version__, "layers": layers,
            "activations": [a for a in ACTIVATIONS if known(keras.activations, a)]}


def keras3_keys():
    import keras

    layers = {name: keys(keras.layers, name, args) for name, args in CLASSES.items()}
    layers.update({name: None for name in LARQ})
    return {"version": keras.__version__, "layers": layers,
            "activations": [a for a in ACTIVATIONS if known(keras.activations, a)]}


def main(argv):
    if argv[:1] == ["--keras3"]:
        print(json.dumps(keras3_keys()))
        return
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    run = subprocess.run([sys.executable, __file__, "--keras3"], env=env, check=True, stdout=subprocess.PIPE, text=True)
    keras3 = json.loads(run.stdout.strip().splitlines()[-1])
    out = {"generator": "tools/py/keras_layer_keys.py", "tf_keras": tf_keras_keys(), "keras3": keras3}
    with open(argv[0], "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
