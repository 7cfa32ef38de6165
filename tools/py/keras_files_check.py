"""Loads Keras files that onebit wrote (keras/save.ts: NAME.keras, NAME.h5
and NAME_weights.h5 for each model of DIR/manifest.json) with tf-keras 2.16
and larq, runs the manifest's inputs and checks Keras's outputs equal
onebit's (rtol 1e-4), so training can continue in larq; with --keras3, the
files written for Keras 3 (`keras3_files`: NAME.k3.keras, NAME.k3.h5) with
Keras 3 instead:

    deno run -A tools/keras_export.ts DIR
    .tools/venv/bin/python tools/py/keras_files_check.py DIR
    .tools/venv/bin/python tools/py/keras_files_check.py --keras3 DIR

Exits 1 naming each file whose outputs differ or that Keras cannot load.
"""

import base64
import json
import os
import sys
from pathlib import Path

import numpy as np

KERAS3 = sys.argv[1:2] == ["--keras3"]
if KERAS3:
    os.environ.pop("TF_USE_LEGACY_KERAS", None)
    import keras
else:
    import zoo_shim  # noqa: F401  (tf-keras as keras, before larq imports it)
    import larq  # noqa: F401  (registers larq's layers, quantizers and constraints)
    import tf_keras as keras


def array(a):
    return np.frombuffer(base64.b64decode(a["data"]), dtype="<f4").reshape(a["shape"])


def outputs(model, xs):
    ys = model(xs if len(xs) > 1 else xs[0], training=False)
    return [np.asarray(y) for y in (ys if isinstance(ys, (list, tuple)) else [ys])]


def load(folder, name, file):
    if not file.endswith("_weights.h5"):
        return keras.models.load_model(folder / file)
    # The weights-only file into the same architecture, its weights zeroed first.
    model = keras.models.load_model(folder / f"{name}.h5")
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(folder / file)
    return model


def main(folder):
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    failed = []
    for name, entry in manifest["models"].items():
        xs = [array(x) for x in entry["inputs"]]
        want = [array(y) for y in entry["outputs"]]
        for file in entry.get("keras3_files", []) if KERAS3 else entry["files"]:
            try:
                got = outputs(load(folder, name, file), xs)
                ok = len(got) == len(want) and all(np.allclose(g, w, rtol=1e-4, atol=1e-4) for g, w in zip(got, want))
                worst = max(float(np.max(np.abs(g - w) / (1 + np.abs(w)))) for g, w in zip(got, want))
                print(f"{file}: {'ok' if ok else 'OUTPUTS DIFFER'} (worst {worst:.1e})")
            except Exception as e:  # noqa: BLE001  (report every file, then fail)
                ok = False
                print(f"{file}: Keras cannot load it: {e!r}"[:600])
            if not ok:
                failed.append(file)
    if failed:
        print(f"keras_files_check: {len(failed)} files fail: {', '.join(failed)}")
        sys.exit(1)
    print(f"keras_files_check: every file loads in Keras {keras.__version__} with onebit's outputs")


if __name__ == "__main__":
    main(sys.argv[-1])
