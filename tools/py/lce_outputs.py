"""Every output of a model in LCE's interpreter (1 thread), for
bench/_lce_diff.ts, which makes every op's output a model output and finds
where onebit first parts from LCE.

    .tools/venv/bin/python tools/py/lce_outputs.py MODEL.tflite X.f32 OUT_DIR

X.f32 is the raw little-endian float32 input. Writes OUT_DIR/out{i}.bin
(raw, little-endian) for each output and OUT_DIR/meta.json with their
shapes and dtypes.
"""

import json
import sys
from pathlib import Path

import zoo_shim  # noqa: F401
import larq_compute_engine as lce
import numpy as np


def main(model_path, input_path, out_dir):
    it = lce.testing.Interpreter(Path(model_path).read_bytes(), num_threads=1)
    x = np.fromfile(input_path, dtype="<f4").reshape(it.input_shapes[0])
    ys = it.predict(x)
    ys = ys if isinstance(ys, list) else [ys]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = []
    for i, y in enumerate(ys):
        y = np.ascontiguousarray(y).reshape(it.output_shapes[i])
        y.astype(y.dtype.newbyteorder("<")).tofile(out / f"out{i}.bin")
        meta.append({"shape": list(y.shape), "dtype": str(y.dtype)})
    (out / "meta.json").write_text(json.dumps(meta))


if __name__ == "__main__":
    main(*sys.argv[1:4])
