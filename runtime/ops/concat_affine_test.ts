/**
 * The CONCATENATION + BatchNorm (MUL + ADD) + LceQuantize fusion (fuse.ts's `concatAffineFusion`, DenseNets and
 * MeliusNet): on a hand-built dense block (x ‖ y → concat → MUL → ADD → LceQuantize, concat also read by a second
 * concatenation), the concatenation and the packed signs equal the float64 oracle rounded op by op and the bits of
 * `fuse: false`, on every backend and 1 and 2 threads; not fused when an input but the last is not a whole number
 * of 32-channel words, or when another op reads the sum.
 */
import assert from "node:assert/strict";
import { native } from "../../tests/_backends.ts";
import type { TfliteModel } from "../../tflite/model.ts";
import { op, tensor } from "../_test_model.ts";
import { Builtin, TensorType } from "../../tflite/schema.ts";
import { writeModel } from "../../tflite/writer.ts";
import { Interpreter } from "../interpreter.ts";

const [H, W] = [5, 7];

interface Variant {
  /** Channels of x and y. */
  cx: number;
  cy: number;
  /** The sum is a model output too. */
  exposeSum?: boolean;
}

/**
 * Inputs x 0, y 1; concat 2 = x ‖ y; scale 3, shift 4; product 5; sum 6; bits 7; wider 8 = concat ‖ y (a second
 * reader of the concatenation).
 */
function model(v: Variant): TfliteModel {
  const c = v.cx + v.cy, words = Math.ceil(c / 32);
  const scale = Float32Array.from({ length: c }, (_, i) => i === 3 ? 0 : Math.cos(0.7 * i) * 1.5);
  const shift = Float32Array.from({ length: c }, (_, i) => i === 4 ? -0 : Math.sin(0.3 * i) * 0.5);
  const none = { fused_activation_function: 0 };
  return {
    version: 3,
    description: "",
    buffers: [new Uint8Array(0), new Uint8Array(scale.buffer), new Uint8Array(shift.buffer)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: [
      { builtinCode: Builtin.CONCATENATION, customCode: null, version: 1 },
      { builtinCode: Builtin.MUL, customCode: null, version: 1 },
      { builtinCode: Builtin.ADD, customCode: null, version: 1 },
      { builtinCode: Builtin.CUSTOM, customCode: "LceQuantize", version: 1 },
    ],
    subgraphs: [{
      name: "main",
      tensors: [
        tensor("x", [1, H, W, v.cx]),
        tensor("y", [1, H, W, v.cy]),
        tensor("concat", [1, H, W, c]),
        tensor("scale", [c], 1),
        tensor("shift", [c], 2),
        tensor("product", [1, H, W, c]),
        tensor("sum", [1, H, W, c]),
        tensor("bits", [1, H, W, words], 0, TensorType.INT32),
        tensor("wider", [1, H, W, c + v.cy]),
      ],
      inputs: [0, 1],
      outputs: v.exposeSum ? [7, 8, 6] : [7, 8],
      operators: [
        op(Builtin.CONCATENATION, 0, [0, 1], 2, { axis: 3, fused_activation_function: 0 }),
        op(Builtin.MUL, 1, [2, 3], 5, none),
        op(Builtin.ADD, 2, [5, 4], 6, none),
        op(Builtin.CUSTOM, 3, [6], 7),
        op(Builtin.CONCATENATION, 0, [2, 1], 8, { axis: -1, fused_activation_function: 0 }),
      ],
    }],
  };
}

function inputs(v: Variant): Float32Array[] {
  return [
    Float32Array.from({ length: H * W * v.cx }, (_, i) => i % 10 === 0 ? -0 : Math.sin(0.45 * i) * 2),
    Float32Array.from({ length: H * W * v.cy }, (_, i) => Math.cos(0.8 * i)),
  ];
}

/** The packed signs of the sum (rounded as MUL, then ADD) and the wider concatenation. */
function oracle(v: Variant, [x, y]: Float32Array[]): { bits: Int32Array; wider: Float32Array } {
  const m = model(v), c = v.cx + v.cy, words = Math.ceil(c / 32), px = H * W;
  const scale = new Float32Array(m.buffers[1].slice().buffer), shift = new Float32Array(m.buffers[2].slice().buffer);
  const bits = new Int32Array(px * words), wider = new Float32Array(px * (c + v.cy));
  for (let p = 0; p < px; p++) {
    for (let i = 0; i < c; i++) {
      const value = i < v.cx ? x[p * v.cx + i] : y[p * v.cy + i - v.cx];
      wider[p * (c + v.cy) + i] = value;
      if (Math.fround(Math.fround(value * scale[i]) + shift[i]) < 0) bits[p * words + (i >>> 5)] |= 1 << (i & 31);
    }
    for (let i = 0; i < v.cy; i++) wider[p * (c + v.cy) + c + i] = y[p * v.cy + i];
  }
  return { bits, wider };
}

const BACKENDS = ["reference", "wasm", ...(native ? ["native" as const] : [])] as const;
const words = (a: ArrayLike<number>) =>
  Array.from(a instanceof Float32Array ? new Uint32Array(a.slice().buffer) : a as Int32Array);

function check(v: Variant, fused: boolean): void {
  const xs = inputs(v), want = oracle(v, xs);
  for (const backend of BACKENDS) {
    for (const numThreads of [1, 2]) {
      const what = `${JSON.stringify(v)} ${backend}/t${numThreads}`;
      const it = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, profile: true });
      const plain = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, fuse: false });
      const got = it.invoke(xs), unfused = plain.invoke(xs);
      const ops = it.profile().map((p) => p.op);
      assert.equal(ops.includes("CONCATENATION+MUL+ADD+LceQuantize"), fused, `${what}: ${ops}`);
      got.forEach((t, k) =>
        assert.deepEqual(words(t as Float32Array), words(unfused[k] as Float32Array), `output ${k}: ${what}`)
      );
      assert.deepEqual(words(got[0] as Int32Array), words(want.bits), `bits vs the oracle: ${what}`);
      assert.deepEqual(words(got[1] as Float32Array), words(want.wider), `wider vs the oracle: ${what}`);
    }
  }
}

Deno.test("CONCATENATION + MUL + ADD + LceQuantize run as one op: the concatenation and the signs of the sum", () => {
  check({ cx: 64, cy: 40 }, true); // a whole-word first input, a tail in the last
  check({ cx: 32, cy: 64 }, true);
});

Deno.test("no concatenation fusion for a first input of a partial word, or when the sum is read elsewhere", () => {
  check({ cx: 40, cy: 64 }, false);
  check({ cx: 64, cy: 64, exposeSum: true }, false);
});
