/**
 * steSignConv2d (one op on the latent kernel: bits packed from it, larq's
 * ste_sign pseudo-gradient applied to the filter gradient in place) against
 * the two-op form conv2d(x, SteSign.call(w), { signs }) bit for bit: value
 * and both gradients, on native (1, 2 and 3 threads) and wasm, over a sweep of
 * shapes (batch 1, stride 2, dilation 2, 1×1, filters not a multiple of 32,
 * a 1-pixel output) with latent values beyond, inside and exactly at the
 * clip (and 0, NaN), clips 1, 0.5, 0.1 (rounded to float32 as the weights are) and null; and on a latent input
 * (`inputClipValue`) against the same op on SteSign's ±1 input. Where the binary forward pass does not apply it
 * returns null.
 */
import assert from "node:assert/strict";
import { conv2d, steSignConv2d } from "../graph/conv.ts";
import { setTrainingKernels } from "../graph/native.ts";
import * as ops from "../graph/ops.ts";
import { seededRandom } from "../graph/random.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import { compiledFloatKernels } from "../kernels/_test_train_backends.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { padSame } from "./conv.ts";

/** Native on 1-3 threads and wasm (a missing native library is an error under ONEBIT_REQUIRE_NATIVE=1). */
const compiled = compiledFloatKernels.map(([, k]) => k);

const CASES = [
  { x: [2, 13, 13, 32], w: [3, 3, 32, 64], strides: 1, dilations: 1 },
  { x: [3, 9, 9, 64], w: [3, 3, 64, 33], strides: 2, dilations: 1 },
  { x: [1, 12, 12, 32], w: [3, 2, 32, 7], strides: 1, dilations: 2 },
  { x: [2, 6, 6, 96], w: [1, 1, 96, 40], strides: 1, dilations: 1 },
  { x: [4, 3, 3, 64], w: [3, 3, 64, 64], strides: 1, dilations: 1 },
  { x: [1, 5, 5, 32], w: [3, 3, 32, 32], strides: 2, dilations: 1 },
] as const;

function tensor(shape: readonly number[], f: (i: number) => number): Tensor {
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)), [...shape]);
}

for (const kernels of compiled) {
  Deno.test(`steSignConv2d equals conv2d of SteSign's kernel bit for bit, ${kernels.backend}/t${kernels.threads}`, () => {
    setTrainingKernels(kernels);
    try {
      const r = seededRandom(11);
      for (const c of CASES) {
        for (const clipValue of [1, 0.5, 0.1, null]) {
          const x = tensor(c.x, () => r() < 0.5 ? -1 : 1);
          const edges = [0, -0, 1, -1, 0.5, -0.5, 0.1, -0.1, NaN]; // 0.1 in float32 exceeds the number 0.1
          const w = tensor(c.w, (i) => i < edges.length ? edges[i] : r() * 3 - 1.5);
          const o = { strides: c.strides, dilations: c.dilations, padding: "valid" as const };
          const probe = tensor(conv2d(x, ops.sign(w), o).shape, () => r() - 0.5);
          const fused = valueAndGrads(() => ops.sum(ops.mul(steSignConv2d(x, w, { ...o, clipValue })!, probe)), [x, w]);
          const q = new SteSign({ clipValue });
          const twoOps = valueAndGrads(() => ops.sum(ops.mul(conv2d(x, q.call(w), { ...o, signs: true }), probe)), [
            x,
            w,
          ]);
          const what = `x[${c.x}] w[${c.w}] s${c.strides} d${c.dilations} clip ${clipValue}`;
          assert.equal(fused.value.item(), twoOps.value.item(), `${what} value`);
          fused.grads.forEach((g, i) => assert.deepEqual(g.data, twoOps.grads[i].data, `${what} grad ${i}`));
          if (clipValue !== null) {
            assert.ok(fused.grads[1].data.some((v) => v === 0), `${what}: some latent gradient clipped`);
          }
        }
      }
    } finally {
      setTrainingKernels("auto");
    }
  });
}

for (const kernels of compiled) {
  Deno.test(`steSignConv2d on a latent input equals it on SteSign's input bit for bit, ${kernels.backend}/t${kernels.threads}`, () => {
    setTrainingKernels(kernels);
    try {
      const r = seededRandom(12);
      for (const c of CASES) {
        for (const [clipValue, inputClipValue] of [[1, 1], [0.5, 0.1], [null, 1.25], [1, null]] as const) {
          // Inputs beyond, inside and exactly at the clip, ±0 (both +1: bit = x < 0) and NaN (+1, gradient 0).
          const edges = [0, -0, 1, -1, 0.1, -0.1, 1.25, -1.25, NaN, 0.5];
          const x = tensor(c.x, (i) => i < edges.length ? edges[i] : r() * 3 - 1.5);
          const w = tensor(c.w, () => r() * 3 - 1.5);
          const o = { strides: c.strides, dilations: c.dilations, padding: "valid" as const };
          const probe = tensor(conv2d(ops.sign(x), ops.sign(w), o).shape, () => r() - 0.5);
          const latent = valueAndGrads(
            () => ops.sum(ops.mul(steSignConv2d(x, w, { ...o, clipValue, inputClipValue })!, probe)),
            [x, w],
          );
          const q = new SteSign({ clipValue: inputClipValue });
          const quantized = valueAndGrads(
            () => ops.sum(ops.mul(steSignConv2d(q.call(x), w, { ...o, clipValue })!, probe)),
            [x, w],
          );
          const what = `x[${c.x}] w[${c.w}] s${c.strides} clips ${clipValue}/${inputClipValue}`;
          assert.equal(latent.value.item(), quantized.value.item(), `${what} value`);
          latent.grads.forEach((g, i) => assert.deepEqual(g.data, quantized.grads[i].data, `${what} grad ${i}`));
          if (inputClipValue !== null) {
            assert.ok(latent.grads[0].data.some((v) => v === 0), `${what}: some input gradient clipped`);
          }
        }
      }
    } finally {
      setTrainingKernels("auto");
    }
  });
}

for (const kernels of compiled) {
  Deno.test(`steSignConv2d with "same" and padValues 1 equals the padded input's "valid" form, ${kernels.backend}/t${kernels.threads}`, () => {
    setTrainingKernels(kernels);
    try {
      const r = seededRandom(13);
      for (const c of CASES) {
        for (const [clipValue, inputClipValue] of [[1, 1], [0.5, 0.1], [null, 1.25]] as const) {
          const x = tensor(c.x, () => r() * 3 - 1.5), w = tensor(c.w, () => r() * 3 - 1.5);
          const o = { strides: c.strides, dilations: c.dilations, clipValue, inputClipValue };
          const kernel = [c.w[0], c.w[1]], strides = [c.strides, c.strides], dilations = [c.dilations, c.dilations];
          const y = steSignConv2d(x, w, { ...o, padding: "same", padValues: 1 })!;
          const probe = tensor(y.shape, () => r() - 0.5);
          const same = valueAndGrads(
            () => ops.sum(ops.mul(steSignConv2d(x, w, { ...o, padding: "same", padValues: 1 })!, probe)),
            [x, w],
          );
          const padded = valueAndGrads(
            () => ops.sum(ops.mul(steSignConv2d(padSame(x, kernel, strides, dilations, 1), w, { ...o })!, probe)),
            [x, w],
          );
          const what = `x[${c.x}] w[${c.w}] s${c.strides} d${c.dilations} clips ${clipValue}/${inputClipValue}`;
          assert.equal(same.value.item(), padded.value.item(), `${what} value`);
          // The filter gradient from the same bits (the binary im2col pads with +1 as the pad op did): bit for bit.
          assert.deepEqual(same.grads[1].data, padded.grads[1].data, `${what} kernel gradient`);
          // The input gradient: the same products, summed in the order of the route the geometry takes.
          assertClose(same.grads[0].data, padded.grads[0].data, `${what} input gradient`);
          // Its gradient where the kernels were switched off after the forward pass: the TS loops on +1 padding.
          const fallback = valueAndGrads(() => {
            const out = ops.sum(ops.mul(steSignConv2d(x, w, { ...o, padding: "same", padValues: 1 })!, probe));
            setTrainingKernels("reference");
            return out;
          }, [x, w]);
          setTrainingKernels(kernels);
          fallback.grads.forEach((g, i) => assertClose(g.data, same.grads[i].data, `${what} reference gradient ${i}`));
        }
      }
    } finally {
      setTrainingKernels("auto");
    }
  });
}

/** Equal to within float32 rounding of sums of a few hundred terms (relative to the largest value). */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * scale, `${what} [${i}]: ${got[i]} vs ${want[i]}`);
  }
}

Deno.test("steSignConv2d is null where the binary forward pass does not apply", () => {
  const x = Tensor.fill([1, 6, 6, 32], 1), w = Tensor.fill([3, 3, 32, 8], 0.5);
  setTrainingKernels("reference");
  try {
    assert.equal(steSignConv2d(x, w, { clipValue: 1 }), null, "no compiled kernels");
  } finally {
    setTrainingKernels("auto");
  }
  if (compiled.length === 0) return;
  setTrainingKernels(compiled[0]);
  try {
    assert.notEqual(steSignConv2d(x, w, { clipValue: 1 }), null, "applies");
    assert.equal(steSignConv2d(x, w, { clipValue: 1, padding: "same" }), null, "zero padding");
    assert.equal(steSignConv2d(x, w, { clipValue: 1, padding: "same", padValues: -1 }), null, "-1 padding");
    assert.notEqual(steSignConv2d(x, w, { clipValue: 1, padding: "same", padValues: 1 }), null, "+1 padding");
    assert.equal(steSignConv2d(Tensor.fill([1, 6, 6, 3], 1), Tensor.fill([3, 3, 3, 8], 1), { clipValue: 1 }), null);
    const x64 = Tensor.fill([1, 6, 6, 32], 1, "float64");
    assert.equal(steSignConv2d(x64, Tensor.fill([3, 3, 32, 8], 1, "float64"), { clipValue: 1 }), null, "float64");
  } finally {
    setTrainingKernels("auto");
  }
});
