"""OpenVINO as a benchmark peer: an LCE-converted .tflite file rebuilt in
OpenVINO's graph API with the same weights, binary convolutions as
FakeQuantize(levels=2) + BinaryConvolution (OpenVINO's x86 JIT binary kernel),
every other layer as the matching float OpenVINO op. For bench/compare.ts.

    .tools/venv/bin/python tools/py/openvino_models.py MODEL.tflite \
        [--threads 1 2] [--runs 20] [--warmup 3] [--input x.f32] [--output y.f32] [--logits] \
        [--check] [--layers] [--serve]

Prints one JSON object: {"openvino": {threads: [ms...]}, "version": ...}.
--output writes OpenVINO's output on --input (raw f32; with --logits the
model stops before its final SOFTMAX); --check also runs LCE's interpreter on
the same input and reports max |diff| / max |output|. --serve (for
bench/compare.ts, which interleaves it with onebit) prints that object
without timings as a ready line, then answers each stdin line
{"threads": T, "runs": N} with {"ms": [...]} (after --warmup calls).
Timing: CPU, INFERENCE_NUM_THREADS T, one stream, latency hint, f32, one
infer request whose input tensor is set once; each run is one infer() call.

The mapping (docs/lce-compat.md states LCE's side):
- LceQuantize -> FakeQuantize(levels=2, input_low = input_high = -FLT_MIN,
  output 0/1): OpenVINO's CPU plugin recognizes only output values 0/1 as
  binarization (u1 output, 1 = +1 in BinaryConvolution's xnor-popcount; a
  -1/+1 FakeQuantize stays float and its reorder to u1 is wrong). x > -FLT_MIN
  is +1, so 0.0 and -0.0 binarize to +1 as LCE's `x < 0` packer has it.
  Bitpacked tensors are these 0/1 floats in NCHW (LceDequantize: 2x - 1).
- LceBconv2d filter (INT32 words, OHWI, channel j in bit j%32 of word j/32,
  bit set = -1) -> u1 OIHW constant, bit set = +1, packed LSB first (the
  order the CPU plugin reads; Constant.get_vector() shows MSB first, checked
  against a float convolution). xnor-popcount gives K - 2·popcount(a xor w)
  as LCE does. Padding: SAME with pad_values=1 ("same-one": out-of-bounds
  taps are +1) -> pad_value=+1.0; SAME with pad_values=0 (same-zero: taps
  contribute 0) -> pad_value=0.0, which the CPU plugin implements by
  excluding padded taps (exclude_pad); VALID -> no pads. Float output: the
  fused activation clamps the raw result, then Multiply(multiplier) and
  Add(bias) (fused into the kernel as post-ops). Bitpacked output
  (thresholds): +1 iff K - 2·acc >= K - 2·τ, a FakeQuantize at K - 2·τ - 0.5.
- LceBMaxPool2d -> MaxPool on the 0/1 values (max of ±1 = max of 0/1).
- CONV_2D / DEPTHWISE_CONV_2D -> Convolution / GroupConvolution (+ bias,
  fused activation), pools (AveragePool excludes padding, as TFLite's),
  ADD, MUL, RESHAPE, MEAN, FULLY_CONNECTED (MatMul), SOFTMAX. TF SAME padding
  is explicit (the odd extra row/column at the end). Rank-4 activations are
  NCHW (OpenVINO's convention); the NHWC input is transposed once.

Checked against LCE's interpreter: the zoo models (bench/compare.ts prints
max |diff| / max |logit|; QuickNet's near-zero ties flip a bit now and then,
as between any two runtimes) and, with nchw_input=True, the fixtures
tests/fixtures/lce/{bconv_chain (thresholds), bconv_same_one, bconv_same_zero,
bconv_relu_bn, bconv_magnitude, quicknet_block} to <= 1e-6 of the largest
output. OpenVINO 2026.4's CPU plugin crashes (heap corruption) when a
binarizing FakeQuantize reads a Transpose of the model input (so those small
graphs need nchw_input=True), and refuses MaxPool of binarized values
(bmaxpool) and dilated binary convolutions (a u1 Reorder it lacks).
"""

import argparse
import json
import sys

import numpy as np
import openvino as ov
import openvino.opset1 as ops1
import openvino.opset8 as ops8
import openvino.opset13 as ops
from ai_edge_litert import schema_py_generated as tfl
from flatbuffers import flexbuffers
from timing import timed

B = tfl.BuiltinOperator
BUILTIN_NAMES = {v: k for k, v in vars(B).items() if not k.startswith("_")}
FLT_MIN = float(np.finfo(np.float32).tiny)


def same_pads(size, k, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def pads_2d(padding, hw, kernel, stride, dilation=(1, 1)):
    """TFLite padding enum (SAME=0, VALID=1) -> (begin [t, l], end [b, r])."""
    if padding == tfl.Padding.VALID:
        return [0, 0], [0, 0]
    (t, b), (l, r) = (same_pads(hw[i], kernel[i], stride[i], dilation[i]) for i in range(2))
    return [t, l], [b, r]


def activation(x, fused):
    if fused == tfl.ActivationFunctionType.NONE:
        return x
    if fused == tfl.ActivationFunctionType.RELU:
        return ops.relu(x)
    if fused == tfl.ActivationFunctionType.RELU_N1_TO_1:
        return ops.clamp(x, -1.0, 1.0)
    if fused == tfl.ActivationFunctionType.RELU6:
        return ops.clamp(x, 0.0, 6.0)
    raise NotImplementedError(f"fused activation {fused}")


def binarize(x, threshold=-FLT_MIN):
    """OpenVINO's binarization: 1 (= +1 for BinaryConvolution) where x > threshold, else 0 (= -1)."""
    t = ops.constant(np.asarray(threshold, np.float32))
    return ops.fake_quantize(x, t, t, ops.constant(np.float32(0)), ops.constant(np.float32(1)), 2)


def unpack_lce_bits(words, channels):
    """INT32 bitpacked along the last axis (bit 0 = +1, LSB first) -> bool 'is -1', last axis = channels."""
    bits = np.unpackbits(words.astype("<i4").view(np.uint8), axis=-1, bitorder="little")
    return bits[..., :channels].astype(bool)


def u1_constant(plus_one):
    """bool array (True = +1) -> OpenVINO u1 constant of the same shape."""
    t = ov.Tensor(ov.Type.u1, ov.Shape(list(plus_one.shape)))
    packed = np.packbits(plus_one.reshape(-1).astype(np.uint8), bitorder="little")
    t.data[:] = packed
    return ov.op.Constant(t, shared_memory=False)


def per_channel(v):
    return ops.constant(np.asarray(v, np.float32).reshape(1, -1, 1, 1))


class Builder:
    def __init__(self, data, logits=False, nchw_input=False):
        self.m = tfl.ModelT.InitFromPackedBuf(data, 0)
        self.g = self.m.subgraphs[0]
        self.logits = logits
        self.nchw_input = nchw_input
        self.values = {}  # tensor index -> (ov output, layout) with layout "nchw" for rank-4 activations

    def tensor(self, i):
        return self.g.tensors[i]

    def shape(self, i):
        return [int(s) for s in self.tensor(i).shape]

    def const(self, i):
        t = self.tensor(i)
        buf = self.m.buffers[t.buffer].data
        if buf is None:
            return None
        dt = {tfl.TensorType.FLOAT32: "<f4", tfl.TensorType.INT32: "<i4", tfl.TensorType.INT64: "<i8"}[t.type]
        return np.frombuffer(np.asarray(buf, np.uint8).tobytes(), dt).reshape(self.shape(i))

    def get(self, i, want="nchw"):
        """An activation in the layout wanted: 'nchw' (rank 4) or 'tf' (TFLite's own order)."""
        if i not in self.values:
            c = self.const(i)
            if c is None:
                raise KeyError(f"tensor {i} has no producer")
            return ops.constant(c.transpose(0, 3, 1, 2) if want == "nchw" and c.ndim == 4 else c)
        v, layout = self.values[i]
        if layout == want or layout == "tf" and len(self.shape(i)) != 4:
            return v
        perm = [0, 2, 3, 1] if want == "tf" else [0, 3, 1, 2]
        return ops.transpose(v, ops.constant(np.array(perm, np.int64)))

    def set(self, i, v, layout="nchw"):
        if len(self.shape(i)) != 4:
            layout = "tf"
        self.values[i] = (v.output(0) if hasattr(v, "output") else v, layout)

    def build(self):
        g = self.g
        params = []
        for i in g.inputs:
            shape, layout = self.shape(i), "tf"
            if self.nchw_input and len(shape) == 4:
                shape, layout = [shape[0], shape[3], shape[1], shape[2]], "nchw"
            p = ops.parameter(shape, ov.Type.f32, name=self.tensor(i).name.decode())
            params.append(p)
            self.set(i, p, layout)
        operators = list(g.operators)
        outputs = list(g.outputs)
        last = operators[-1]
        if self.logits and self.m.operatorCodes[last.opcodeIndex].builtinCode == B.SOFTMAX:
            operators.pop()
            outputs = [last.inputs[0]]
        for op in operators:
            code = self.m.operatorCodes[op.opcodeIndex]
            name = code.customCode.decode() if code.builtinCode == B.CUSTOM else BUILTIN_NAMES[code.builtinCode]
            getattr(self, "op_" + name)(op)
        results = [ops.result(self.get(i, "tf")) for i in outputs]
        return ov.Model(results, params, "onebit_ov")

    def custom_options(self, op):
        return flexbuffers.Loads(bytes(np.asarray(op.customOptions, np.uint8)))

    # LCE ops
    def op_LceQuantize(self, op):
        x = self.get(op.inputs[0])
        self.set(op.outputs[0], binarize(x))

    def op_LceDequantize(self, op):  # 0/1 -> -1/+1
        x = self.get(op.inputs[0])
        self.set(op.outputs[0], ops.subtract(ops.multiply(x, ops.constant(np.float32(2))), ops.constant(np.float32(1))))

    def op_LceBMaxPool2d(self, op):
        o = self.custom_options(op)
        kernel, stride = (o["filter_height"], o["filter_width"]), (o["stride_height"], o["stride_width"])
        self.set(op.outputs[0], self.pool(op, "max", o["padding"], kernel, stride))

    def op_LceBconv2d(self, op):
        o = self.custom_options(op)
        x = self.get(op.inputs[0])
        cin = o["channels_in"]
        words = self.const(op.inputs[1])  # [Cout, KH, KW, ceil(Cin/32)]
        cout, kh, kw, _ = words.shape
        if -(-cin // 32) != words.shape[3]:
            raise NotImplementedError("grouped LceBconv2d")
        if cin % 32:  # tests/fixtures/lce/bconv_valid_odd (33 channels) disagrees with LCE: not investigated
            raise NotImplementedError(f"LceBconv2d with {cin} input channels (not a multiple of 32)")
        minus = unpack_lce_bits(words, cin)  # OHWI
        w = u1_constant(~minus.transpose(0, 3, 1, 2))
        hw = self.shape(op.inputs[0])[1:3]
        stride = (o["stride_height"], o["stride_width"])
        dil = (o["dilation_height_factor"], o["dilation_width_factor"])
        begin, end = pads_2d(o["padding"], hw, (kh, kw), stride, dil)
        pad_value = 1.0 if o["padding"] == tfl.Padding.VALID or o["pad_values"] == 1 else 0.0
        y = ops1.binary_convolution(x, w, list(stride), begin, end, list(dil), "xnor-popcount", pad_value)
        thresholds = op.inputs[4] if len(op.inputs) > 4 else -1
        if thresholds >= 0:  # the converter folded any activation into the thresholds
            k = kh * kw * cin
            tau = self.const(thresholds).astype(np.float64)
            y = binarize(y, (k - 2 * tau - 0.5).reshape(1, -1, 1, 1))
        else:
            y = activation(y, o["fused_activation_function"])
            if op.inputs[2] >= 0:
                y = ops.multiply(y, per_channel(self.const(op.inputs[2])))
            if op.inputs[3] >= 0:
                y = ops.add(y, per_channel(self.const(op.inputs[3])))
        self.set(op.outputs[0], y)

    # builtins
    def options(self, op):
        return op.builtinOptions

    def op_CONV_2D(self, op):
        o = self.options(op)
        x = self.get(op.inputs[0])
        w = self.const(op.inputs[1])  # OHWI
        _, kh, kw, _ = w.shape
        stride, dil = (o.strideH, o.strideW), (o.dilationHFactor, o.dilationWFactor)
        begin, end = pads_2d(o.padding, self.shape(op.inputs[0])[1:3], (kh, kw), stride, dil)
        y = ops.convolution(x, ops.constant(w.transpose(0, 3, 1, 2).copy()), list(stride), begin, end, list(dil))
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            y = ops.add(y, per_channel(self.const(op.inputs[2])))
        self.set(op.outputs[0], activation(y, o.fusedActivationFunction))

    def op_DEPTHWISE_CONV_2D(self, op):
        o = self.options(op)
        x = self.get(op.inputs[0])
        w = self.const(op.inputs[1])  # [1, KH, KW, Cin*mult]
        _, kh, kw, cout = w.shape
        cin = self.shape(op.inputs[0])[3]
        mult = cout // cin
        # GroupConvolution weights [G, Cout/G, Cin/G, KH, KW]; output channel c*mult+m reads input c.
        gw = w.reshape(kh, kw, cin, mult).transpose(2, 3, 0, 1).reshape(cin, mult, 1, kh, kw).copy()
        stride, dil = (o.strideH, o.strideW), (o.dilationHFactor, o.dilationWFactor)
        begin, end = pads_2d(o.padding, self.shape(op.inputs[0])[1:3], (kh, kw), stride, dil)
        y = ops.group_convolution(x, ops.constant(gw), list(stride), begin, end, list(dil))
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            y = ops.add(y, per_channel(self.const(op.inputs[2])))
        self.set(op.outputs[0], activation(y, o.fusedActivationFunction))

    def pool(self, op, kind, padding, kernel, stride):
        x = self.get(op.inputs[0])
        begin, end = pads_2d(padding, self.shape(op.inputs[0])[1:3], kernel, stride)
        if kind == "max":
            y = ops8.max_pool(x, list(stride), [1, 1], begin, end, list(kernel)).output(0)
        else:
            y = ops1.avg_pool(x, list(stride), begin, end, list(kernel), exclude_pad=True)
        return y

    def op_MAX_POOL_2D(self, op):
        o = self.options(op)
        y = self.pool(op, "max", o.padding, (o.filterHeight, o.filterWidth), (o.strideH, o.strideW))
        self.set(op.outputs[0], activation(y, o.fusedActivationFunction))

    def op_AVERAGE_POOL_2D(self, op):
        o = self.options(op)
        y = self.pool(op, "avg", o.padding, (o.filterHeight, o.filterWidth), (o.strideH, o.strideW))
        self.set(op.outputs[0], activation(y, o.fusedActivationFunction))

    def binary(self, op, fn):
        a, b = (self.shape(i) for i in op.inputs[:2])
        four = len(a) == 4 and len(b) == 4
        want = "nchw" if four else "tf"
        x, y = self.get(op.inputs[0], want), self.get(op.inputs[1], want)
        self.set(op.outputs[0], activation(fn(x, y), self.options(op).fusedActivationFunction), want)

    def op_ADD(self, op):
        self.binary(op, ops.add)

    def op_MUL(self, op):
        self.binary(op, ops.multiply)

    def op_RESHAPE(self, op):
        x = self.get(op.inputs[0], "tf")
        shape = np.array(self.shape(op.outputs[0]), np.int64)
        self.set(op.outputs[0], ops.reshape(x, ops.constant(shape), False), "tf")

    def op_MEAN(self, op):
        axes = sorted(int(a) % len(self.shape(op.inputs[0])) for a in self.const(op.inputs[1]).reshape(-1))
        keep = bool(self.options(op).keepDims)
        if len(self.shape(op.inputs[0])) == 4 and axes == [1, 2]:  # global pooling: NCHW axes 2, 3
            y = ops.reduce_mean(self.get(op.inputs[0]), ops.constant(np.array([2, 3], np.int64)), keep)
            self.set(op.outputs[0], y, "nchw" if keep else "tf")
        else:
            x = self.get(op.inputs[0], "tf")
            self.set(op.outputs[0], ops.reduce_mean(x, ops.constant(np.array(axes, np.int64)), keep), "tf")

    def op_FULLY_CONNECTED(self, op):
        x = self.get(op.inputs[0], "tf")
        w = self.const(op.inputs[1])  # [out, in]
        x = ops.reshape(x, ops.constant(np.array([-1, w.shape[1]], np.int64)), False)
        y = ops.matmul(x, ops.constant(w.copy()), False, True)
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            y = ops.add(y, ops.constant(self.const(op.inputs[2]).reshape(1, -1)))
        self.set(op.outputs[0], activation(y, self.options(op).fusedActivationFunction), "tf")

    def op_SOFTMAX(self, op):
        x = self.get(op.inputs[0], "tf")
        beta = self.options(op).beta
        if beta != 1.0:
            x = ops.multiply(x, ops.constant(np.float32(beta)))
        self.set(op.outputs[0], ops.softmax(x, -1), "tf")


def build(data, logits=False):
    return Builder(data, logits).build()


def compile_model(model, threads, precision="f32", extra=None):
    """CPU, `threads` inference threads, one stream (one infer request at a time), latency hint."""
    config = {
        "INFERENCE_NUM_THREADS": threads,
        "PERFORMANCE_HINT": "LATENCY",
        "NUM_STREAMS": 1,
        "INFERENCE_PRECISION_HINT": precision,
    }
    return ov.Core().compile_model(model, "CPU", {**config, **(extra or {})})


def layer_types(compiled):
    """Execution-graph node types, counted (which kernels OpenVINO chose)."""
    counts = {}
    for n in compiled.get_runtime_model().get_ops():
        info = n.get_rt_info()
        t = info["layerType"].astype(str) if "layerType" in info else n.get_type_name()
        impl = info["primitiveType"].astype(str) if "primitiveType" in info else ""
        key = f"{t}:{impl}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--threads", type=int, nargs="+", default=[1])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--input", help="raw little-endian f32 input (else uniform [-1, 1) from seed 1)")
    p.add_argument("--output", help="write OpenVINO's output for that input here (raw f32)")
    p.add_argument("--logits", action="store_true", help="--output/--check stop before the final SOFTMAX")
    p.add_argument("--check", action="store_true", help="compare with LCE's interpreter on the same input")
    p.add_argument("--precision", default="f32", help="INFERENCE_PRECISION_HINT (f32; bf16 where the CPU has it)")
    p.add_argument("--layers", action="store_true", help="print the execution graph's node types to stderr")
    p.add_argument("--serve", action="store_true",
                   help='after the ready line, answer each stdin line {"threads": T, "runs": N} with {"ms": [...]}')
    a = p.parse_args()
    data = open(a.model, "rb").read()
    model = build(data)
    shape = list(model.inputs[0].get_shape())
    if a.input:
        x = np.fromfile(a.input, dtype="<f4").reshape(shape)
    else:
        x = np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32)
    result = {"version": ov.__version__}
    if a.output or a.check:
        y = compile_model(build(data, logits=a.logits), 1, a.precision).create_infer_request().infer({0: x})[0]
        y = np.asarray(y, dtype="<f4")
        if a.output:
            y.tofile(a.output)
        if a.check:
            import zoo_shim  # noqa: F401
            import larq_compute_engine as lce
            lce_data = logits_file(data) if a.logits else data
            ref = np.asarray(lce.testing.Interpreter(lce_data, num_threads=1).predict(x), np.float32).reshape(y.shape)
            result["max_abs_diff_vs_lce"] = float(np.max(np.abs(y - ref)))
            result["max_rel_diff_vs_lce"] = float(np.max(np.abs(y - ref)) / np.max(np.abs(ref)))
            result["argmax_equal"] = bool(np.argmax(y) == np.argmax(ref))
    requests = {}
    for t in a.threads:
        compiled = compile_model(model, t, a.precision)
        if a.layers and t == a.threads[0]:
            print(json.dumps(layer_types(compiled), indent=1), file=sys.stderr)
        req = compiled.create_infer_request()
        req.set_input_tensor(ov.Tensor(x))
        requests[t] = req
    if a.serve:
        print(json.dumps({"ready": True, **result}), flush=True)
        for line in sys.stdin:
            r = json.loads(line)
            print(json.dumps({"ms": timed(requests[r["threads"]].infer, r["runs"], a.warmup)}), flush=True)
        return
    result["openvino"] = {t: timed(req.infer, a.runs, a.warmup) for t, req in requests.items()}
    print(json.dumps(result))


def logits_file(data):
    """The .tflite file without its final SOFTMAX (the SOFTMAX's input becomes the output)."""
    m = tfl.ModelT.InitFromPackedBuf(data, 0)
    g = m.subgraphs[0]
    last = g.operators[-1]
    if m.operatorCodes[last.opcodeIndex].builtinCode != B.SOFTMAX:
        return data
    g.operators.pop()
    g.outputs = [last.inputs[0]]
    m.signatureDefs = None
    import flatbuffers
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


if __name__ == "__main__":
    main()
