"""Second half of tools/lce_bisect.ts: runs LCE's interpreter on each truncated
model and prints, per op, how onebit's output differs."""

import json
import sys

import zoo_shim  # noqa: F401
import larq_compute_engine as lce
import numpy as np

d = sys.argv[1]
meta = json.load(open(f"{d}/meta.json"))
x = np.fromfile(f"{d}/x.f32", dtype="<f4").reshape(meta["input_shape"])
for k in range(meta["ops"]):
    it = lce.testing.Interpreter(open(f"{d}/op{k}.tflite", "rb").read(), num_threads=1)
    y = np.asarray(it.predict(x))
    ours = np.fromfile(f"{d}/ours{k}.bin", dtype=y.dtype).reshape(y.shape)
    if y.dtype == np.int32:
        bits = int(np.unpackbits(np.bitwise_xor(y, ours).view(np.uint8)).sum())
        print(f"op {k}: bitpacked {list(y.shape)}: {bits} differing bits")
    else:
        diff, scale = float(np.abs(y - ours).max()), float(np.abs(y).max())
        print(f"op {k}: {y.dtype} {list(y.shape)}: max |diff| {diff:.3g}, max |y| {scale:.3g}, relative {diff / max(scale, 1e-30):.2g}")
