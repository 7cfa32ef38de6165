"""OpenVINO's x86 binary convolution on one layer shape, for bench/kernels.ts:
a float input -> FakeQuantize(levels=2, outputs 0/1: OpenVINO's
binarization, stored as u1) -> BinaryConvolution (xnor-popcount, 3x3, stride
1, same padding with pad_value +1 as LCE's same-one) -> float output. The
time includes the binarization of the float input and any layout reorder
the CPU plugin inserts; onebit's `bconv2d` starts from an already bitpacked
input, so this favours onebit by the (small) binarization cost.

    .tools/venv/bin/python tools/py/openvino_kernels.py --serve

reads JSON lines {"hw": 56, "cin": 64, "cout": 64, "threads": 1, "runs": 11}
on stdin and answers each with a JSON line {"ms": [...], "node_us": [...]}:
wall time of each infer() call (after one warm-up call), then the
BinaryConvolution node's own time from OpenVINO's performance counters (a
twin compiled with PERF_COUNT). Each shape and thread count is compiled once.
The input is NCHW (OpenVINO's default), so the graph also reorders it to
NHWC for the binarization; the output is returned NHWC (as the kernel
writes it, no reorder). Without --serve it times the four QuickNet shapes
and prints a table (--profile: every execution-graph node's time).
"""

import argparse
import json
import sys
import time

import numpy as np
import openvino as ov
import openvino.opset1 as ops1
import openvino.opset13 as ops

from openvino_models import binarize, compile_model, u1_constant

SHAPES = [(56, 64, 64), (28, 128, 128), (14, 256, 256), (7, 512, 512)]


def layer(hw, cin, cout, seed=1):
    rng = np.random.default_rng(seed)
    x = ops.parameter([1, cin, hw, hw], ov.Type.f32)
    w = u1_constant(rng.integers(0, 2, (cout, cin, 3, 3)).astype(bool))
    y = ops1.binary_convolution(binarize(x), w, [1, 1], [1, 1], [1, 1], [1, 1], "xnor-popcount", 1.0)
    out = ops.transpose(y, ops.constant(np.array([0, 2, 3, 1], np.int64)))
    model = ov.Model([ops.result(out)], [x], f"bconv_{hw}x{hw}x{cin}_{cout}")
    data = rng.uniform(-1, 1, (1, cin, hw, hw)).astype(np.float32)
    return model, data


class Bench:
    """Compiled layers by (shape, threads): one plain, one with PERF_COUNT for the BinaryConvolution node's own time."""

    def __init__(self):
        self.cache = {}

    def request(self, hw, cin, cout, threads, profiled=False):
        key = (hw, cin, cout, threads, profiled)
        if key not in self.cache:
            model, data = layer(hw, cin, cout)
            compiled = compile_model(model, threads, extra={"PERF_COUNT": True} if profiled else None)
            req = compiled.create_infer_request()
            req.set_input_tensor(ov.Tensor(data))
            self.cache[key] = req
        return self.cache[key]

    def time(self, hw, cin, cout, threads, runs):
        """Wall ms per infer() call, and the BinaryConvolution node's own µs (profiled twin), `runs` of each."""
        req = self.request(hw, cin, cout, threads)
        req.infer()
        ms = []
        for _ in range(runs):
            t0 = time.perf_counter()
            req.infer()
            ms.append((time.perf_counter() - t0) * 1000)
        prof = self.request(hw, cin, cout, threads, profiled=True)
        prof.infer()
        node_us = []
        for _ in range(runs):
            prof.infer()
            node_us.append(sum(i.real_time.total_seconds() * 1e6 for i in prof.get_profiling_info()
                               if i.node_type == "BinaryConvolution"))
        return ms, node_us


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--serve", action="store_true")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--profile", action="store_true", help="print every execution-graph node's time too")
    a = p.parse_args()
    bench = Bench()
    if a.serve:
        print(json.dumps({"ready": True, "version": ov.__version__}), flush=True)
        for line in sys.stdin:
            r = json.loads(line)
            ms, node_us = bench.time(r["hw"], r["cin"], r["cout"], r["threads"], r["runs"])
            print(json.dumps({"ms": ms, "node_us": node_us}), flush=True)
        return
    print(f"OpenVINO {ov.__version__}: FakeQuantize + BinaryConvolution 3x3 same-one, median of {a.runs} (µs):"
          " whole infer() call / the BinaryConvolution node alone")
    for hw, cin, cout in SHAPES:
        cells = []
        for t in (1, 2):
            ms, node_us = bench.time(hw, cin, cout, t, a.runs)
            cells.append(f"{t}T {1000 * np.median(ms):7.1f} / {np.median(node_us):6.1f}")
        print(f"  {hw}x{hw}x{cin}->{cout}".ljust(20) + "  ".join(cells))
        if a.profile:
            for i in bench.request(hw, cin, cout, 1, profiled=True).get_profiling_info():
                print(f"    {i.node_type:18} {i.exec_type:20} {i.real_time.total_seconds() * 1e6:8.1f}")


if __name__ == "__main__":
    main()
