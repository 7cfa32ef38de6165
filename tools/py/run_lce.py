"""Runs every model of a fixture manifest in LCE's interpreter (LceBconv2d
etc.) or LiteRT (builtins only) and compares with the manifest's outputs.

    .tools/venv/bin/python tools/py/run_lce.py DIR [MANIFEST]

DIR holds NAME.tflite files, e.g. the fixtures re-encoded by onebit's
writer; MANIFEST (default DIR/manifest.json) holds inputs and expected
outputs. Exits 1 if any output differs by more than 1e-3 (relative+absolute).
With --save OUT.json it also writes the interpreters' outputs there, keyed
by each model's description (or name), for CI checks without Python.
"""

import base64
import json
import sys
from pathlib import Path

import zoo_shim  # noqa: F401
import larq_compute_engine as lce
import numpy as np
from lce_fixtures import litert_run


def arr(d):
    return np.frombuffer(base64.b64decode(d["data"]), dtype="<f4").reshape(d["shape"])


def main(directory, manifest_path=None, save=None):
    directory = Path(directory)
    saved = {}
    manifest = json.loads(Path(manifest_path or directory / "manifest.json").read_text())
    failures = 0
    for name, entry in manifest["models"].items():
        flatbuffer = (directory / f"{name}.tflite").read_bytes()
        xs = [arr(d) for d in entry["inputs"]]
        if entry["runner"].startswith("LCE"):
            try:
                interp = lce.testing.Interpreter(flatbuffer, num_threads=1)
            except RuntimeError:
                interp = lce.testing.Interpreter(flatbuffer, num_threads=1, use_indirect_bgemm=True)
            x = xs[0]
            # predict() feeds the first axis one sample at a time; a model with batch > 1 takes it whole.
            ys = interp.interpreter.predict([x]) if x.shape[0] > 1 else interp.predict(x)
            ys = ys if isinstance(ys, list) else [ys]
        else:
            ys = litert_run(flatbuffer, xs)
        worst = max(
            float(np.max(np.abs(y - arr(d)) / (1e-3 + 1e-3 * np.abs(arr(d))))) for y, d in zip(ys, entry["outputs"])
        )
        saved[entry.get("description", name)] = {
            "runner": entry["runner"],
            "outputs": [{"shape": list(y.shape), "data": base64.b64encode(np.ascontiguousarray(y, dtype="<f4").tobytes()).decode()} for y in ys],
        }
        ok = worst <= 1.0
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {entry['runner']}, worst error {worst:.3f}x tolerance")
    if save:
        Path(save).write_text(json.dumps({"generator": "tools/py/run_lce.py", "lce": lce.__version__, "models": saved}, indent=1) + "\n")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    args = sys.argv[1:]
    save = None
    if "--save" in args:
        i = args.index("--save")
        save = args[i + 1]
        del args[i : i + 2]
    main(*args, save=save)
