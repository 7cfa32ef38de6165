/**
 * A float CONV_2D of LceDequantize's ±1 output by a sign-times-scale filter
 * (runtime/binarize.ts) runs as a binary convolution: outputs of a float64
 * loop on every backend and geometry (channels 33: two words; VALID, SAME
 * with zero padding, stride 2), the LceDequantize gone when nothing else
 * reads it, and the pattern left float when a channel's magnitudes differ,
 * when an activation is fused, or with `fuse: false`.
 */
import assert from "node:assert/strict";
import { assertClose } from "../graph/_test_util.ts";
import { native } from "../tests/_backends.ts";
import type { TfliteModel } from "../tflite/model.ts";
import { op, tensor } from "./_test_model.ts";
import { Activation, Builtin, Padding, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";
import { BINARIZED_CONV_LABEL, channelScales } from "./binarize.ts";
import { Interpreter } from "./interpreter.ts";

const [H, W, C, K, O] = [5, 6, 33, 3, 4]; // input height, width, channels; kernel size; output channels
const WORDS = Math.ceil(C / 32);

const scales = Float32Array.from({ length: O }, (_, o) => 0.1 + 0.37 * o);
/** OHWI: channel o is ±scales[o]; `spoil` makes one value of channel 1 differ in magnitude. */
function filter(spoil = false): Float32Array {
  const depth = K * K * C;
  const f = Float32Array.from(
    { length: O * depth },
    (_, i) => (Math.sin(2.3 * i + 1) < 0 ? -1 : 1) * scales[Math.floor(i / depth)],
  );
  if (spoil) f[depth + 5] *= 1.5;
  return f;
}
const bias = Float32Array.from({ length: O }, (_, o) => 0.25 - 0.5 * o);
// Some exact zeros: sign(0) = +1 on both sides.
const x = Float32Array.from({ length: H * W * C }, (_, i) => i % 7 === 0 ? 0 : Math.cos(0.9 * i));

interface Geometry {
  padding: number;
  stride: number;
  activation?: number;
  /** The dequantized tensor is also a model output. */
  exposeDequantized?: boolean;
  spoil?: boolean;
}

const outSize = (n: number, { padding, stride }: Geometry) =>
  padding === Padding.SAME ? Math.ceil(n / stride) : Math.floor((n - K) / stride) + 1;

/** x → LceQuantize → LceDequantize → CONV_2D(filter, bias) → y. */
function model(g: Geometry): TfliteModel {
  const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer);
  return {
    version: 3,
    description: "",
    buffers: [new Uint8Array(0), bytesOf(filter(g.spoil)), bytesOf(bias)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: [
      { builtinCode: Builtin.CUSTOM, customCode: "LceQuantize", version: 1 },
      { builtinCode: Builtin.CUSTOM, customCode: "LceDequantize", version: 1 },
      { builtinCode: Builtin.CONV_2D, customCode: null, version: 1 },
    ],
    subgraphs: [{
      name: "main",
      tensors: [
        tensor("x", [1, H, W, C]),
        tensor("packed", [1, H, W, WORDS], 0, TensorType.INT32),
        tensor("signs", [1, H, W, C]),
        tensor("filter", [O, K, K, C], 1),
        tensor("bias", [O], 2),
        tensor("y", [1, outSize(H, g), outSize(W, g), O]),
      ],
      inputs: [0],
      outputs: g.exposeDequantized ? [5, 2] : [5],
      operators: [
        op(Builtin.CUSTOM, 0, [0], 1),
        op(Builtin.CUSTOM, 1, [1], 2),
        op(Builtin.CONV_2D, 2, [2, 3, 4], 5, {
          padding: g.padding,
          stride_w: g.stride,
          stride_h: g.stride,
          dilation_w_factor: 1,
          dilation_h_factor: 1,
          fused_activation_function: g.activation ?? Activation.NONE,
        }),
      ],
    }],
  };
}

/** The float64 convolution of sign(x) (zeros outside the input), clamped by a ReLU when asked. */
function oracle(g: Geometry): number[] {
  const f = filter(g.spoil);
  const [oh, ow] = [outSize(H, g), outSize(W, g)];
  const pad = (n: number, out: number) =>
    g.padding === Padding.SAME ? Math.max(0, (out - 1) * g.stride + K - n) >> 1 : 0;
  const [py, px] = [pad(H, oh), pad(W, ow)];
  const y: number[] = [];
  for (let p = 0; p < oh; p++) {
    for (let q = 0; q < ow; q++) {
      for (let o = 0; o < O; o++) {
        let s = bias[o];
        for (let i = 0; i < K; i++) {
          for (let j = 0; j < K; j++) {
            const [iy, ix] = [p * g.stride + i - py, q * g.stride + j - px];
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (let c = 0; c < C; c++) {
              s += (x[(iy * W + ix) * C + c] < 0 ? -1 : 1) * f[((o * K + i) * K + j) * C + c];
            }
          }
        }
        y.push(g.activation === Activation.RELU ? Math.max(0, s) : s);
      }
    }
  }
  return y;
}

const BACKENDS = ["reference", "wasm", ...(native ? ["native" as const] : [])] as const;
const GEOMETRIES: Geometry[] = [
  { padding: Padding.VALID, stride: 1 },
  { padding: Padding.SAME, stride: 1 },
  { padding: Padding.SAME, stride: 2 },
  { padding: Padding.VALID, stride: 2 },
];

Deno.test("a float convolution of ±1 inputs by sign × scale filters runs binary, with the float64 outputs", () => {
  for (const backend of BACKENDS) {
    for (const g of GEOMETRIES) {
      const what = `${backend}, padding ${g.padding}, stride ${g.stride}`;
      for (const threads of [1, 2]) {
        const it = Interpreter.fromBytes(writeModel(model(g)), { backend, profile: true, numThreads: threads });
        const [y] = it.invoke([x]);
        assertClose(`y (${what}, ${threads} threads)`, y as Float32Array, oracle(g), 1e-5);
        assert.deepEqual(it.profile().map((p) => p.op), ["LceQuantize", BINARIZED_CONV_LABEL], what);
      }
      const unfused = Interpreter.fromBytes(writeModel(model(g)), { backend, fuse: false, profile: true });
      assertClose(`y unfused (${what})`, unfused.invoke([x])[0] as Float32Array, oracle(g), 1e-5);
      assert.deepEqual(unfused.profile().map((p) => p.op), ["LceQuantize", "LceDequantize", "CONV_2D"], what);
    }
  }
});

Deno.test("a dequantized tensor that is also a model output keeps its LceDequantize", () => {
  const g = { padding: Padding.SAME, stride: 1, exposeDequantized: true };
  const it = Interpreter.fromBytes(writeModel(model(g)), { backend: "reference", profile: true });
  const [y, signs] = it.invoke([x]);
  assertClose("y", y as Float32Array, oracle(g), 1e-5);
  assert.deepEqual(Array.from(signs as Float32Array), Array.from(x, (v) => (v < 0 ? -1 : 1)));
  assert.deepEqual(it.profile().map((p) => p.op), ["LceQuantize", "LceDequantize", BINARIZED_CONV_LABEL]);
});

Deno.test("a filter of unequal magnitudes, or a fused activation, stays a float convolution", () => {
  for (
    const g of [{ padding: Padding.VALID, stride: 1, spoil: true }, {
      padding: Padding.SAME,
      stride: 1,
      activation: Activation.RELU,
    }]
  ) {
    const it = Interpreter.fromBytes(writeModel(model(g)), { backend: "reference", profile: true });
    assertClose("y", it.invoke([x])[0] as Float32Array, oracle(g), 1e-5);
    assert.deepEqual(it.profile().map((p) => p.op), ["LceQuantize", "LceDequantize", "CONV_2D"]);
  }
});

Deno.test("channelScales: one magnitude per channel, else null (also for NaN and infinities)", () => {
  assert.deepEqual(channelScales(new Float32Array([0.5, -0.5, -2, 2]), 2), new Float32Array([0.5, 2]));
  assert.deepEqual(channelScales(new Float32Array([0, -0, 3, 3]), 2), new Float32Array([0, 3]));
  assert.equal(channelScales(new Float32Array([0.5, -0.5, -2, 2.5]), 2), null);
  assert.equal(channelScales(new Float32Array([NaN, NaN]), 1), null);
  assert.equal(channelScales(new Float32Array([Infinity, -Infinity]), 1), null);
});
