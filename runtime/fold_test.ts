/**
 * Constant folding at load (runtime/fold.ts): a convolution whose filter
 * is computed from a constant by RELU_N1_TO_1 → ABS → TRANSPOSE (the shape
 * of LCE's XNOR-Net file) runs, on every backend, with the outputs of a
 * float64 loop; the folded ops are not run per invoke; a folded tensor that
 * is also a model output is returned.
 */
import assert from "node:assert/strict";
import { assertClose } from "../graph/_test_util.ts";
import { native } from "../tests/_backends.ts";
import type { TfliteModel } from "../tflite/model.ts";
import { op, tensor } from "./_test_model.ts";
import { Builtin, Padding, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";
import { Interpreter } from "./interpreter.ts";

const [H, W, C, K, O] = [5, 6, 3, 3, 2]; // input height, width, channels; kernel size; output channels

const bytesOf = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer);

/** Latent HWIO weights in (-2, 2): some clip, some are negative. */
const latent = Float32Array.from({ length: K * K * C * O }, (_, i) => Math.sin(1.7 * i + 0.3) * 2);
const bias = Float32Array.from([0.25, -0.5]);
const x = Float32Array.from({ length: H * W * C }, (_, i) => Math.cos(0.9 * i));

/** x → CONV_2D(VALID) with filter TRANSPOSE(ABS(RELU_N1_TO_1(latent)), OHWI) and a bias; outputs y and the ABS. */
function model(): TfliteModel {
  const codes = [Builtin.RELU_N1_TO_1, Builtin.ABS, Builtin.TRANSPOSE, Builtin.CONV_2D];
  return {
    version: 3,
    description: "",
    buffers: [new Uint8Array(0), bytesOf(latent), bytesOf(Int32Array.from([3, 0, 1, 2])), bytesOf(bias)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: codes.map((c) => ({ builtinCode: c, customCode: null, version: 1 })),
    subgraphs: [{
      name: "main",
      tensors: [
        tensor("x", [1, H, W, C]),
        tensor("latent", [K, K, C, O], 1),
        tensor("clipped", [K, K, C, O]),
        tensor("abs", [K, K, C, O]),
        tensor("perm", [4], 2, TensorType.INT32),
        tensor("filter", [O, K, K, C]),
        tensor("bias", [O], 3),
        tensor("y", [1, H - K + 1, W - K + 1, O]),
      ],
      inputs: [0],
      outputs: [7, 3],
      operators: [
        op(Builtin.RELU_N1_TO_1, 0, [1], 2),
        op(Builtin.ABS, 1, [2], 3),
        op(Builtin.TRANSPOSE, 2, [3, 4], 5),
        op(Builtin.CONV_2D, 3, [0, 5, 6], 7, {
          padding: Padding.VALID,
          stride_w: 1,
          stride_h: 1,
          dilation_w_factor: 1,
          dilation_h_factor: 1,
          fused_activation_function: 0,
        }),
      ],
    }],
  };
}

/** The float64 oracle: |clip(latent)| and the VALID convolution with it. */
function oracle(): { y: number[]; abs: number[] } {
  const abs = Array.from(latent, (v) => Math.abs(Math.min(1, Math.max(-1, v))));
  const y: number[] = [];
  for (let p = 0; p <= H - K; p++) {
    for (let q = 0; q <= W - K; q++) {
      for (let o = 0; o < O; o++) {
        let s = bias[o];
        for (let i = 0; i < K; i++) {
          for (let j = 0; j < K; j++) {
            for (let c = 0; c < C; c++) s += x[((p + i) * W + q + j) * C + c] * abs[((i * K + j) * C + c) * O + o];
          }
        }
        y.push(s);
      }
    }
  }
  return { y, abs };
}

const BACKENDS = ["reference", "wasm", ...(native ? ["native" as const] : [])] as const;

Deno.test("a filter computed from constants is folded at load: the convolution gives the float64 outputs", () => {
  const want = oracle();
  for (const backend of BACKENDS) {
    const it = Interpreter.fromBytes(writeModel(model()), { backend, profile: true });
    const [y, abs] = it.invoke([x]);
    assertClose(`y (${backend})`, y as Float32Array, want.y, 1e-5);
    assert.deepEqual(
      Array.from(abs as Float32Array),
      want.abs.map(Math.fround),
      `the folded ABS as a model output (${backend})`,
    );
    assert.deepEqual(it.profile().map((p) => p.op), ["CONV_2D"], `only the convolution runs per invoke (${backend})`);
  }
});

Deno.test("an op that reads a model input is not folded, even beside constants", () => {
  const m = model();
  // CONV_2D reads x and two constants (after folding): it must stay; and a second invoke sees a new input.
  const it = Interpreter.fromBytes(writeModel(m), { backend: "reference" });
  const first = it.invoke([x])[0] as Float32Array;
  const second = it.invoke([x.map((v) => -v)])[0] as Float32Array;
  const b = [bias[0], bias[1]];
  // conv(-x) + b = -(conv(x) + b) + 2b: the convolution ran again on the new input.
  assertClose("conv(-x)", second, Array.from(first, (v, i) => 2 * b[i % O] - v), 1e-5);
});
