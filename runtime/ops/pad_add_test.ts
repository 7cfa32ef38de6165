/**
 * The PAD + ADD fusion (fuse.ts's `padAddFusion`, MeliusNet's merge): z = x + PAD(y) on hand-built graphs gives
 * the float64 oracle and the bits of `fuse: false` (-0 in x becomes +0, as the ADD of a padded zero makes it),
 * on every backend and 1 and 2 threads, for leading, trailing and both-sided channel padding, swapped operands
 * and a ReLU; no fusion when the padding touches another axis or the padded tensor is a model output.
 */
import assert from "node:assert/strict";
import { native } from "../../tests/_backends.ts";
import type { Operator, TfliteModel } from "../../tflite/model.ts";
import { tensor } from "../_test_model.ts";
import { Activation, Builtin, BUILTIN_OPTIONS, TensorType } from "../../tflite/schema.ts";
import { writeModel } from "../../tflite/writer.ts";
import { Interpreter } from "../interpreter.ts";

const [H, W, C] = [3, 5, 40];

interface Variant {
  /** Channels padded before and after y. */
  before: number;
  after: number;
  /** Rows padded at the top (not fusable). */
  rows?: number;
  swapped?: boolean;
  relu?: boolean;
  /** The padded tensor is a model output too (not fusable). */
  exposePadded?: boolean;
}

const yChannels = (v: Variant) => C - v.before - v.after;

/** Inputs x [1, H, W, C] and y; PAD(y) → p; ADD(x, p) → z. Tensors: x 0, y 1, paddings 2, p 3, z 4. */
function model(v: Variant): TfliteModel {
  const pads = Int32Array.from([0, 0, v.rows ?? 0, 0, 0, 0, v.before, v.after]);
  const add: Operator = {
    opcodeIndex: 1,
    inputs: v.swapped ? [3, 0] : [0, 3],
    outputs: [4],
    builtinOptionsType: BUILTIN_OPTIONS.get(Builtin.ADD)!,
    builtinOptions: { fused_activation_function: v.relu ? Activation.RELU : Activation.NONE },
    customOptions: null,
  };
  return {
    version: 3,
    description: "",
    buffers: [new Uint8Array(0), new Uint8Array(pads.buffer)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: [Builtin.PAD, Builtin.ADD].map((c) => ({ builtinCode: c, customCode: null, version: 1 })),
    subgraphs: [{
      name: "main",
      tensors: [
        tensor("x", [1, H + (v.rows ?? 0), W, C]),
        tensor("y", [1, H, W, yChannels(v)]),
        tensor("paddings", [4, 2], 1, TensorType.INT32),
        tensor("padded", [1, H + (v.rows ?? 0), W, C]),
        tensor("z", [1, H + (v.rows ?? 0), W, C]),
      ],
      inputs: [0, 1],
      outputs: v.exposePadded ? [4, 3] : [4],
      operators: [
        {
          opcodeIndex: 0,
          inputs: [1, 2],
          outputs: [3],
          builtinOptionsType: 0,
          builtinOptions: null,
          customOptions: null,
        },
        add,
      ],
    }],
  };
}

function data(v: Variant) {
  const x = Float32Array.from({ length: (H + (v.rows ?? 0)) * W * C }, (_, i) => i % 9 === 0 ? -0 : Math.sin(0.3 * i));
  const y = Float32Array.from({ length: H * W * yChannels(v) }, (_, i) => Math.cos(0.7 * i) * 2);
  return { x, y };
}

function oracle(v: Variant, x: Float32Array, y: Float32Array): Float32Array {
  const cy = yChannels(v), top = (v.rows ?? 0) * W;
  return Float32Array.from(x, (xv, i) => {
    const p = Math.floor(i / C) - top, c = i % C - v.before;
    const pv = p >= 0 && c >= 0 && c < cy ? y[p * cy + c] : 0;
    const z = Math.fround(xv + pv);
    return v.relu ? Math.max(z, 0) : z;
  });
}

const BACKENDS = ["reference", "wasm", ...(native ? ["native" as const] : [])] as const;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

function check(v: Variant, wantOps: string[]): void {
  const { x, y } = data(v);
  const want = oracle(v, x, y);
  for (const backend of BACKENDS) {
    for (const numThreads of [1, 2]) {
      const what = `${JSON.stringify(v)} ${backend}/t${numThreads}`;
      const it = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, profile: true });
      const plain = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, fuse: false });
      const z = it.invoke([x, y])[0] as Float32Array;
      assert.deepEqual(it.profile().map((p) => p.op), wantOps, what);
      assert.deepEqual(bits(z), bits(plain.invoke([x, y])[0] as Float32Array), `fused vs unfused: ${what}`);
      assert.deepEqual(bits(z), bits(want), `vs the oracle: ${what}`);
    }
  }
}

Deno.test("PAD of the channels + ADD run as one op: the ADD's bits", () => {
  check({ before: 24, after: 0 }, ["PAD+ADD"]);
  check({ before: 0, after: 7 }, ["PAD+ADD"]);
  check({ before: 5, after: 3, swapped: true }, ["PAD+ADD"]);
  check({ before: 16, after: 0, relu: true }, ["PAD+ADD"]);
});

Deno.test("no PAD + ADD fusion when rows are padded or the padded tensor is a model output", () => {
  check({ before: 8, after: 0, rows: 1 }, ["PAD", "ADD"]);
  const v = { before: 8, after: 0, exposePadded: true };
  const { x, y } = data(v);
  const it = Interpreter.fromBytes(writeModel(model(v)), { backend: "reference", profile: true });
  it.invoke([x, y]);
  assert.deepEqual(it.profile().map((p) => p.op), ["PAD", "ADD"]);
});
