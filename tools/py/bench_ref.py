"""Latency of the reference runtimes, for bench/compare.ts (which runs onebit
in the same session): LCE's interpreter on the LCE file, LiteRT (XNNPACK,
its default CPU delegate) on the float-equivalent file.

    .tools/venv/bin/python tools/py/bench_ref.py MODEL.tflite MODEL_float.tflite \
        --threads 1 2 --runs 20 --warmup 3

Prints one JSON object: {"lce": {threads: [ms...]}, "litert": {threads: [ms...]}}.
MODEL.tflite "-" times LiteRT alone (a model LCE's converter cannot convert).
"""

import argparse
import json

import zoo_shim  # noqa: F401
import larq_compute_engine as lce
import numpy as np
from ai_edge_litert.interpreter import Interpreter
from timing import timed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("lce_file")
    p.add_argument("float_file")
    p.add_argument("--threads", type=int, nargs="+", default=[1])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--input", help="raw little-endian f32 input (else uniform [-1, 1) from seed 1)")
    p.add_argument("--output", help="write LCE's output for that input here (raw f32)")
    p.add_argument("--check", help="LCE file to produce --output with (default: lce_file)")
    p.add_argument("--float-check", help="float file whose LiteRT output (1 thread) to write to --float-output")
    p.add_argument("--float-output", help="where to write it (raw f32)")
    a = p.parse_args()
    result = {"lce": {}, "litert": {}}
    lce_bytes = None if a.lce_file == "-" else open(a.lce_file, "rb").read()
    float_bytes = open(a.float_file, "rb").read()
    for t in a.threads:
        lt = Interpreter(model_content=float_bytes, num_threads=t)
        lt.allocate_tensors()
        d = lt.get_input_details()[0]
        if a.input:
            x = np.fromfile(a.input, dtype="<f4").reshape(d["shape"])
        else:
            x = np.random.default_rng(1).uniform(-1, 1, d["shape"]).astype(np.float32)
        if lce_bytes is not None:
            it = lce.testing.Interpreter(lce_bytes, num_threads=t)
            if a.output and t == a.threads[0]:
                check = lce.testing.Interpreter(open(a.check, "rb").read(), num_threads=1) if a.check else it
                np.asarray(check.predict(x), dtype="<f4").tofile(a.output)
            result["lce"][t] = timed(lambda: it.predict(x), a.runs, a.warmup)
        lt.set_tensor(d["index"], x)
        result["litert"][t] = timed(lt.invoke, a.runs, a.warmup)
        if a.float_check and t == a.threads[0]:
            check = Interpreter(model_path=a.float_check, num_threads=1)
            check.allocate_tensors()
            check.set_tensor(check.get_input_details()[0]["index"], x)
            check.invoke()
            check.get_tensor(check.get_output_details()[0]["index"]).astype("<f4").tofile(a.float_output)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
