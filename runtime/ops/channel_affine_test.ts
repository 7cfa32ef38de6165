/**
 * The BatchNorm fusion (MUL, ADD by per-channel constants, the LceQuantize of the sum; fuse.ts's
 * `channelAffineFusion`): on hand-built graphs, the fused op gives the float64-oracle values rounded as MUL then
 * ADD, the same bits as `fuse: false`, on every backend and 1 and 2 threads; it applies only where legal (the
 * MUL's output read by the ADD alone, per-channel constants), keeps the sum when another op or the model reads it.
 */
import assert from "node:assert/strict";
import { native } from "../../tests/_backends.ts";
import type { TfliteModel } from "../../tflite/model.ts";
import { op, tensor } from "../_test_model.ts";
import { Builtin, TensorType } from "../../tflite/schema.ts";
import { writeModel } from "../../tflite/writer.ts";
import { Interpreter } from "../interpreter.ts";

const [H, W, C] = [4, 5, 37];
const WORDS = Math.ceil(C / 32);

const x = Float32Array.from({ length: H * W * C }, (_, i) => i % 11 === 0 ? 0 : Math.sin(0.7 * i) * 3);
const scale = Float32Array.from({ length: C }, (_, c) => c === 2 ? 0 : Math.cos(1.3 * c) * 2);
const shift = Float32Array.from({ length: C }, (_, c) => c === 3 ? -0 : Math.sin(0.4 * c));

interface Variant {
  /** Model outputs among: "bits", "sum", "product". */
  outputs: ("bits" | "sum" | "product")[];
  /** No LceQuantize: the sum is the model's output. */
  noQuantize?: boolean;
  /** Operands swapped (constant first) and the scale shaped [1, 1, 1, C]. */
  swapped?: boolean;
  /** The shift is a whole [1, H, W, C] tensor, not per channel. */
  fullShift?: boolean;
}

/** x → MUL(scale) → ADD(shift) → LceQuantize. Tensors: x 0, scale 1, product 2, shift 3, sum 4, bits 5. */
function model(v: Variant): TfliteModel {
  const shiftData = v.fullShift ? Float32Array.from(x, (_, i) => shift[i % C]) : shift;
  const bytesOf = (a: Float32Array) => new Uint8Array(a.slice().buffer);
  const ids = { product: 2, sum: 4, bits: 5 };
  const none = { fused_activation_function: 0 };
  return {
    version: 3,
    description: "",
    buffers: [new Uint8Array(0), bytesOf(scale), bytesOf(shiftData)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: [
      { builtinCode: Builtin.MUL, customCode: null, version: 1 },
      { builtinCode: Builtin.ADD, customCode: null, version: 1 },
      { builtinCode: Builtin.CUSTOM, customCode: "LceQuantize", version: 1 },
    ],
    subgraphs: [{
      name: "main",
      tensors: [
        tensor("x", [1, H, W, C]),
        tensor("scale", v.swapped ? [1, 1, 1, C] : [C], 1),
        tensor("product", [1, H, W, C]),
        tensor("shift", v.fullShift ? [1, H, W, C] : [C], 2),
        tensor("sum", [1, H, W, C]),
        tensor("bits", [1, H, W, WORDS], 0, TensorType.INT32),
      ],
      inputs: [0],
      outputs: v.outputs.map((o) => ids[o]),
      operators: [
        op(Builtin.MUL, 0, v.swapped ? [1, 0] : [0, 1], 2, none),
        op(Builtin.ADD, 1, v.swapped ? [3, 2] : [2, 3], 4, none),
        ...(v.noQuantize ? [] : [op(Builtin.CUSTOM, 2, [4], 5)]),
      ],
    }],
  };
}

/** The sum rounded as MUL then ADD, and its packed signs. */
function oracle(): { sum: Float32Array; bits: Int32Array } {
  const sum = Float32Array.from(x, (v, i) => Math.fround(Math.fround(v * scale[i % C]) + shift[i % C]));
  const bits = new Int32Array(H * W * WORDS);
  sum.forEach((y, i) => {
    const p = Math.floor(i / C), c = i % C;
    if (y < 0) bits[p * WORDS + (c >>> 5)] |= 1 << (c & 31);
  });
  return { sum, bits };
}

const BACKENDS = ["reference", "wasm", ...(native ? ["native" as const] : [])] as const;
const asWords = (a: ArrayLike<number>) =>
  Array.from(a instanceof Float32Array ? new Uint32Array(a.slice().buffer) : a as Int32Array);

function check(v: Variant, wantOps: string[]): void {
  const want = oracle();
  for (const backend of BACKENDS) {
    for (const numThreads of [1, 2]) {
      const what = `${JSON.stringify(v)} ${backend}/t${numThreads}`;
      const it = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, profile: true });
      const plain = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, fuse: false });
      const got = it.invoke([x]), unfused = plain.invoke([x]);
      assert.deepEqual(it.profile().map((p) => p.op), wantOps, what);
      v.outputs.forEach((name, k) => {
        assert.deepEqual(asWords(got[k] as Float32Array), asWords(unfused[k] as Float32Array), `${name}: ${what}`);
        if (name !== "product") {
          assert.deepEqual(asWords(got[k] as Float32Array), asWords(want[name]), `${name} vs the oracle: ${what}`);
        }
      });
    }
  }
}

Deno.test("MUL + ADD + LceQuantize run as one op when only the LceQuantize reads the sum", () => {
  check({ outputs: ["bits"] }, ["MUL+ADD+LceQuantize"]);
  check({ outputs: ["bits"], swapped: true }, ["MUL+ADD+LceQuantize"]);
});

Deno.test("the fused op also writes the sum when the model (or another op) reads it", () => {
  check({ outputs: ["sum", "bits"] }, ["MUL+ADD+LceQuantize"]);
  check({ outputs: ["sum"], noQuantize: true }, ["MUL+ADD"]);
});

Deno.test("no fusion when the product is read elsewhere or the shift is not per channel", () => {
  check({ outputs: ["bits", "product"] }, ["MUL", "ADD", "LceQuantize"]);
  check({ outputs: ["sum", "bits"], fullShift: true }, ["MUL", "ADD", "LceQuantize"]);
});
