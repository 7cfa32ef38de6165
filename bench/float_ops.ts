/**
 * The interpreter's layout and float ops one at a time (PAD, CONCATENATION,
 * MEAN, broadcast MUL/ADD, TRANSPOSE_CONV, grouped CONV_2D, QUANTIZE,
 * DEQUANTIZE) on QuickNet-sized tensors: single-op .tflite files run by
 * the interpreter on the native kernels (1 and 2 threads) and on the pure-TS
 * reference, interleaved; medians of the op's own time (the interpreter's
 * profile, without invoke's input/output copies) in µs, and ratios.
 *
 *   deno run -A bench/float_ops.ts [--runs 200] [--json]
 *
 * Uses only the interpreter and the file writer, so the same script also
 * times an older checkout (before/after of a change).
 */
import { parseArgs } from "node:util";
import { Interpreter } from "../runtime/interpreter.ts";
import type { OptionValue, Tensor } from "../tflite/model.ts";
import { Builtin, BUILTIN_OPTIONS, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";

const { values } = parseArgs({ options: { runs: { type: "string" }, json: { type: "boolean" } } });
const runs = Number(values.runs ?? 200);

interface Spec {
  name: string;
  op: number;
  /** [shape, constant data or null, type]; inputs first, then the output last. */
  inputs: [number[], ArrayBufferView | null, number?][];
  output: [number[], number?];
  options?: Record<string, OptionValue>;
  quant?: { scale: number; zeroPoint: number };
}

const f32 = (n: number, seed = 1) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
const i32 = (v: number[]) => Int32Array.from(v);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

const specs: Spec[] = [
  {
    name: "PAD 56×56×64 by 1",
    op: Builtin.PAD,
    inputs: [[[1, 56, 56, 64], null], [[4, 2], i32([0, 0, 1, 1, 1, 1, 0, 0]), TensorType.INT32]],
    output: [[1, 58, 58, 64]],
  },
  {
    name: "CONCATENATION 2 × 28×28×128 on channels",
    op: Builtin.CONCATENATION,
    inputs: [[[1, 28, 28, 128], null], [[1, 28, 28, 128], null]],
    output: [[1, 28, 28, 256]],
    options: { axis: 3, fused_activation_function: 0 },
  },
  {
    name: "MEAN 7×7×1024 over H, W",
    op: Builtin.MEAN,
    inputs: [[[1, 7, 7, 1024], null], [[2], i32([1, 2]), TensorType.INT32]],
    output: [[1, 1024]],
    options: { keep_dims: false },
  },
  {
    name: "MUL 56×56×64 by a channel vector",
    op: Builtin.MUL,
    inputs: [[[1, 56, 56, 64], null], [[64], f32(64, 2)]],
    output: [[1, 56, 56, 64]],
    options: { fused_activation_function: 0 },
  },
  {
    name: "ADD 56×56×64 + 1×56×1×64",
    op: Builtin.ADD,
    inputs: [[[1, 56, 56, 64], null], [[1, 56, 1, 64], f32(56 * 64, 3)]],
    output: [[1, 56, 56, 64]],
    options: { fused_activation_function: 0 },
  },
  {
    name: "TRANSPOSE_CONV 16×16×64 → 32×32×32, 3×3/2",
    op: Builtin.TRANSPOSE_CONV,
    inputs: [
      [[4], i32([1, 32, 32, 32]), TensorType.INT32],
      [[32, 3, 3, 64], f32(32 * 9 * 64, 4)],
      [[1, 16, 16, 64], null],
    ],
    output: [[1, 32, 32, 32]],
    options: { padding: 0, stride_w: 2, stride_h: 2, fused_activation_function: 0 },
  },
  {
    name: "CONV_2D grouped 28×28×64, 4 groups, 3×3",
    op: Builtin.CONV_2D,
    inputs: [[[1, 28, 28, 64], null], [[64, 3, 3, 16], f32(64 * 9 * 16, 5)], [[64], f32(64, 6)]],
    output: [[1, 28, 28, 64]],
    options: {
      padding: 0,
      stride_w: 1,
      stride_h: 1,
      dilation_w_factor: 1,
      dilation_h_factor: 1,
      fused_activation_function: 0,
    },
  },
  {
    name: "QUANTIZE 56×56×64 to int8",
    op: Builtin.QUANTIZE,
    inputs: [[[1, 56, 56, 64], null]],
    output: [[1, 56, 56, 64], TensorType.INT8],
    quant: { scale: 0.02, zeroPoint: -3 },
  },
  {
    name: "DEQUANTIZE 56×56×64 int8",
    op: Builtin.DEQUANTIZE,
    inputs: [[[1, 56, 56, 64], null, TensorType.INT8]],
    output: [[1, 56, 56, 64]],
    quant: { scale: 0.02, zeroPoint: -3 },
  },
];

function build(s: Spec): Uint8Array {
  const buffers: Uint8Array[] = [new Uint8Array(0)];
  const tensors: Tensor[] = [];
  const graphInputs: number[] = [];
  const tensor = (name: string, shape: number[], type: number, data: ArrayBufferView | null, quantized: boolean) => {
    let buffer = 0;
    if (data) {
      buffers.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
      buffer = buffers.length - 1;
    }
    tensors.push({
      name,
      shape,
      shapeSignature: null,
      type,
      buffer,
      quantization: quantized && s.quant
        ? { scale: [s.quant.scale], zeroPoint: [s.quant.zeroPoint], quantizedDimension: 0 }
        : null,
      isVariable: false,
    });
    return tensors.length - 1;
  };
  const ins = s.inputs.map(([shape, data, type], i) => {
    const t = tensor(`in${i}`, shape, type ?? TensorType.FLOAT32, data, type === TensorType.INT8);
    if (!data) graphInputs.push(t);
    return t;
  });
  const outType = s.output[1] ?? TensorType.FLOAT32;
  const out = tensor("out", s.output[0], outType, null, outType === TensorType.INT8);
  return writeModel({
    version: 3,
    description: s.name,
    operatorCodes: [{ builtinCode: s.op, customCode: null, version: 1 }],
    subgraphs: [{
      name: "main",
      tensors,
      inputs: graphInputs,
      outputs: [out],
      operators: [{
        opcodeIndex: 0,
        inputs: ins,
        outputs: [out],
        builtinOptionsType: BUILTIN_OPTIONS.get(s.op) ?? 0,
        builtinOptions: s.options ?? (BUILTIN_OPTIONS.get(s.op) ? {} : null),
        customOptions: null,
      }],
    }],
    buffers,
    signatureDefs: [],
    metadata: [],
  });
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const variants = [
  { label: "native 1T", options: { backend: "native" as const, numThreads: 1, profile: true } },
  { label: "native 2T", options: { backend: "native" as const, numThreads: 2, profile: true } },
  { label: "reference", options: { backend: "reference" as const, numThreads: 1, profile: true } },
];
const rows: Record<string, unknown>[] = [];
for (const s of specs) {
  const bytes = build(s);
  const its = variants.map((v) => Interpreter.fromBytes(bytes, v.options));
  const inputs = s.inputs.filter(([, d]) => !d).map(([shape, , type], i) =>
    type === TensorType.INT8 ? Int8Array.from(f32(size(shape), i), (v) => Math.round(v * 100)) : f32(size(shape), i)
  );
  const times = variants.map(() => [] as number[]);
  const rounds = 10, perRound = Math.max(1, Math.round(runs / rounds));
  for (const it of its) it.invoke(inputs);
  for (let r = 0; r < rounds; r++) {
    its.forEach((it, k) => {
      const n = k === 2 ? Math.max(1, Math.round(perRound / 10)) : perRound;
      for (let i = 0; i < n; i++) {
        // The op's own time (the interpreter's profile), without invoke's input and output copies.
        it.resetProfile();
        it.invoke(inputs);
        times[k].push(it.profile()[0].total_ms * 1000);
      }
    });
  }
  const [n1, n2, ref] = times.map(median);
  rows.push({ op: s.name, native1: n1, native2: n2, reference: ref });
  if (!values.json) {
    console.log(
      `${s.name.padEnd(44)} native ${n1.toFixed(1).padStart(7)} µs  2T ${n2.toFixed(1).padStart(7)} µs (${
        (n1 / n2).toFixed(2)
      }×)  TS reference ${ref.toFixed(0).padStart(7)} µs (${(ref / n1).toFixed(1)}× native)`,
    );
  }
}
if (values.json) console.log(JSON.stringify(rows));
