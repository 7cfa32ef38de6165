"""Golden values of larq's quantizers (and the zoo's), computed by larq itself:
forward q(x) and the pseudo-gradient d(sum(q(x) * dy))/dx on inputs that
include exact zeros, clip boundaries and rounding ties.

    .tools/venv/bin/python tools/py/larq_goldens.py tests/fixtures/larq/quantizers.json
"""

import json
import sys

import zoo_shim  # noqa: F401
import larq as lq
import numpy as np
import tensorflow as tf
from larq_zoo.literature.dorefanet import magnitude_aware_sign_unclipped
from larq_zoo.literature.xnornet import xnor_weight_scale

EDGES = [0.0, -0.0, 1.0, -1.0, 1.25, -1.25, 0.5, -0.5, 0.05, -0.05, 0.999, 1.001, -1.001, 2.0, -3.0, 1e-7, -1e-7,
         0.25, 0.1, 1.0 / 6.0, 0.75, 0.3, -0.7]

CASES = [
    ("ste_sign", {}, lambda: lq.quantizers.SteSign()),
    ("ste_sign", {"clip_value": 1.25}, lambda: lq.quantizers.SteSign(clip_value=1.25)),
    ("ste_sign", {"clip_value": None}, lambda: lq.quantizers.SteSign(clip_value=None)),
    ("approx_sign", {}, lambda: lq.quantizers.ApproxSign()),
    ("swish_sign", {}, lambda: lq.quantizers.SwishSign()),
    ("swish_sign", {"beta": 2.5}, lambda: lq.quantizers.SwishSign(beta=2.5)),
    ("magnitude_aware_sign", {}, lambda: lq.quantizers.MagnitudeAwareSign()),
    ("ste_heaviside", {}, lambda: lq.quantizers.SteHeaviside()),
    ("ste_heaviside", {"clip_value": 0.5}, lambda: lq.quantizers.SteHeaviside(clip_value=0.5)),
    ("ste_tern", {}, lambda: lq.quantizers.SteTern()),
    ("ste_tern", {"threshold_value": 0.25}, lambda: lq.quantizers.SteTern(threshold_value=0.25)),
    ("ste_tern", {"ternary_weight_networks": True}, lambda: lq.quantizers.SteTern(ternary_weight_networks=True)),
    ("dorefa_quantizer", {"k_bit": 1}, lambda: lq.quantizers.DoReFa(k_bit=1)),
    ("dorefa_quantizer", {"k_bit": 2}, lambda: lq.quantizers.DoReFa(k_bit=2)),
    ("dorefa_quantizer", {"k_bit": 2, "mode": "weights"}, lambda: lq.quantizers.DoReFa(k_bit=2, mode="weights")),
    ("dorefa_quantizer", {"k_bit": 1, "mode": "weights"}, lambda: lq.quantizers.DoReFa(k_bit=1, mode="weights")),
    ("dorefa_quantizer", {"k_bit": 4}, lambda: lq.quantizers.DoReFa(k_bit=4)),
    ("noop", {"precision": 1}, lambda: lq.quantizers.NoOp(precision=1)),
    ("xnor_weight_scale", {}, lambda: xnor_weight_scale),
    ("magnitude_aware_sign_unclipped", {}, lambda: magnitude_aware_sign_unclipped),
]


def main(path):
    rng = np.random.default_rng(20261122)
    edges = np.array(EDGES, dtype=np.float32)
    out = {"generator": "tools/py/larq_goldens.py", "larq": lq.__version__ if hasattr(lq, "__version__") else "0.13.1",
           "tensorflow": tf.__version__, "cases": []}
    for name, config, make in CASES:
        # A 4-D kernel-like tensor [kh, kw, cin, cout] so per-channel scales (magnitude_aware_sign,
        # xnor_weight_scale) have something to reduce over; edge values first.
        shape = [2, 2, 3, 4]
        x = rng.normal(0, 1, size=int(np.prod(shape))).astype(np.float32)
        x[: len(edges)] = edges
        x = x.reshape(shape)
        dy = rng.normal(0, 1, size=shape).astype(np.float32)
        q = make()
        xv = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xv)
            y = q(xv)
            loss = tf.reduce_sum(y * dy)
        dx = tape.gradient(loss, xv)
        dx = np.zeros_like(x) if dx is None else dx.numpy()
        out["cases"].append({
            "quantizer": name,
            "config": config,
            "shape": shape,
            "x": [float(v) for v in x.ravel()],
            "dy": [float(v) for v in dy.ravel()],
            "y": [float(v) for v in y.numpy().ravel()],
            "dx": [float(v) for v in dx.ravel()],
        })
        print(f"{name} {config}: ok")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/larq/quantizers.json")
