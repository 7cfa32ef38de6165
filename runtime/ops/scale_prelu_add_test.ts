/**
 * The MUL + PRELU + ADD fusion (fuse.ts's `scalePreluAddFusion`, Real-to-Binary Net's scaled residual): on
 * hand-built graphs (the scale a model input, as a computed vector is there), the float64 oracle rounded op by op
 * and the bits of `fuse: false`, on every backend and 1 and 2 threads, operands either way round; no fusion when
 * the PRELU's output is read elsewhere or the residual comes after the MUL.
 */
import assert from "node:assert/strict";
import { native } from "../../tests/_backends.ts";
import type { TfliteModel } from "../../tflite/model.ts";
import { op, tensor } from "../_test_model.ts";
import { Builtin } from "../../tflite/schema.ts";
import { writeModel } from "../../tflite/writer.ts";
import { Interpreter } from "../interpreter.ts";

const [H, W, C] = [6, 7, 21];

const alpha = Float32Array.from({ length: C }, (_, c) => 0.05 * c - 0.3);

interface Variant {
  swapped?: boolean;
  /** The PRELU's output is a model output too. */
  exposePrelu?: boolean;
  /** The residual is computed after the MUL (a RELU of x placed after it). */
  lateResidual?: boolean;
}

/** Inputs x 0, s 1, r 2; alpha 3; m 4 = MUL(x, s); p 5 = PRELU(m, alpha); z 6 = ADD(p, r'); r' 7 = RELU(r) when late. */
function model(v: Variant): TfliteModel {
  const residual = v.lateResidual ? 7 : 2;
  const none = { fused_activation_function: 0 };
  return {
    version: 3,
    description: "",
    buffers: [new Uint8Array(0), new Uint8Array(alpha.slice().buffer)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: [Builtin.MUL, Builtin.PRELU, Builtin.ADD, Builtin.RELU].map((c) => ({
      builtinCode: c,
      customCode: null,
      version: 1,
    })),
    subgraphs: [{
      name: "main",
      tensors: [
        tensor("x", [1, H, W, C]),
        tensor("s", [1, C]),
        tensor("r", [1, H, W, C]),
        tensor("alpha", [1, 1, C], 1),
        tensor("m", [1, H, W, C]),
        tensor("p", [1, H, W, C]),
        tensor("z", [1, H, W, C]),
        tensor("relu_r", [1, H, W, C]),
      ],
      inputs: [0, 1, 2],
      outputs: v.exposePrelu ? [6, 5] : [6],
      operators: [
        op(Builtin.MUL, 0, v.swapped ? [1, 0] : [0, 1], 4, none),
        ...(v.lateResidual ? [op(Builtin.RELU, 3, [2], 7)] : []),
        op(Builtin.PRELU, 1, [4, 3], 5),
        op(Builtin.ADD, 2, v.swapped ? [residual, 5] : [5, residual], 6, none),
      ],
    }],
  };
}

const x = Float32Array.from({ length: H * W * C }, (_, i) => i % 13 === 0 ? -0 : Math.sin(0.9 * i) * 2);
const s = Float32Array.from({ length: C }, (_, c) => Math.cos(0.8 * c));
const r = Float32Array.from({ length: H * W * C }, (_, i) => Math.cos(0.35 * i));

function oracle(v: Variant): Float32Array {
  return Float32Array.from(x, (xv, i) => {
    const m = Math.fround(xv * s[i % C]);
    const p = m >= 0 ? m : Math.fround(m * alpha[i % C]);
    return Math.fround(p + (v.lateResidual ? Math.max(r[i], 0) : r[i]));
  });
}

const BACKENDS = ["reference", "wasm", ...(native ? ["native" as const] : [])] as const;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

function check(v: Variant, wantOps: string[]): void {
  for (const backend of BACKENDS) {
    for (const numThreads of [1, 2]) {
      const what = `${JSON.stringify(v)} ${backend}/t${numThreads}`;
      const it = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, profile: true });
      const plain = Interpreter.fromBytes(writeModel(model(v)), { backend, numThreads, fuse: false });
      const z = it.invoke([x, s, r])[0] as Float32Array;
      assert.deepEqual(it.profile().map((p) => p.op), wantOps, what);
      assert.deepEqual(bits(z), bits(plain.invoke([x, s, r])[0] as Float32Array), `fused vs unfused: ${what}`);
      assert.deepEqual(bits(z), bits(oracle(v)), `vs the oracle: ${what}`);
    }
  }
}

Deno.test("MUL by a vector + PRELU + ADD run as one op: the three ops' bits", () => {
  check({}, ["MUL+PRELU+ADD"]);
  check({ swapped: true }, ["MUL+PRELU+ADD"]);
});

Deno.test("no MUL + PRELU + ADD fusion when the PRELU's output is read elsewhere or the residual comes later", () => {
  check({ lateResidual: true }, ["MUL", "RELU", "PRELU", "ADD"]);
  const it = Interpreter.fromBytes(writeModel(model({ exposePrelu: true })), { backend: "reference", profile: true });
  it.invoke([x, s, r]);
  assert.deepEqual(it.profile().map((p) => p.op), ["MUL", "PRELU", "ADD"]);
});
