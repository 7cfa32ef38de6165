"""Exports a larq/Keras model as a onebit checkpoint (safetensors: the Keras
JSON config in the metadata, every weight by name), so onebit can load,
fine-tune or convert it without Python:

    .tools/venv/bin/python tools/py/export_larq.py MODEL.h5|MODEL.keras|zoo:quicknet OUT.safetensors
    deno task convert OUT.safetensors -o model.tflite --report

zoo:NAME builds a larq-zoo model with random weights (quicknet_small,
quicknet, quicknet_large, birealnet) or larq's MNIST CNN (larq_mnist).
"""

import json
import struct
import sys

import zoo_shim  # noqa: F401
import larq as lq
import numpy as np
import tf_keras as keras
from zoo_models import ZOO


def save(model, path):
    header, blobs, offset = {}, [], 0
    for w in sorted(model.weights, key=lambda w: w.name):
        data = np.ascontiguousarray(w.numpy(), dtype="<f4").tobytes()
        name = w.name[:-2] if w.name.endswith(":0") else w.name
        header[name] = {"dtype": "F32", "shape": list(w.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "onebit-checkpoint-1", "model": model.to_json(), "source": "tools/py/export_larq.py"}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main(source, out):
    if source.startswith("zoo:"):
        model = ZOO[source[4:]]()
    else:
        model = keras.models.load_model(source, custom_objects=lq.custom_objects if hasattr(lq, "custom_objects") else None)
    save(model, out)
    print(f"{out}: {model.count_params()} parameters, {len(model.weights)} weights")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
