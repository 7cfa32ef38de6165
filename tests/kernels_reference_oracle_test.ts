/**
 * The TS reference kernels checked against an independent oracle: a plain
 * float convolution / matmul of the ±1 values (exact integers in float64),
 * with out-of-bounds taps padded with +1 like the kernels ("same-one").
 */
import assert from "node:assert/strict";
import { planConv } from "../kernels/binary_kernels.ts";
import { randomSigns, reference, rng } from "./_backends.ts";

const sign = (x: number) => (x < 0 ? -1 : 1);

Deno.test("bitpack: bit 1 = negative, LSB first, 0 and -0 and NaN pack as +1, padding bits 0", () => {
  const x = new Float32Array(35).fill(1);
  x[0] = -1;
  x[2] = -0;
  x[3] = 0;
  x[31] = -3;
  x[32] = -1e-30;
  x[34] = NaN;
  assert.deepEqual([...reference.bitpack(x, 35)], [0x80000001, 0x1]);
  assert.deepEqual([...reference.bitpack(new Float32Array([-1, -1, 1, -1, -1, -1]), 3)], [0b011, 0b111]);
});

/** Float oracle: NHWC ±1 input, OHWI ±1 filter, +1 padding, TF SAME/VALID geometry. */
function floatConv(
  x: Float32Array,
  w: Float32Array,
  shape: readonly [number, number, number, number],
  cout: number,
  g: ReturnType<typeof planConv>,
): Float64Array {
  const [n, h, wi, c] = shape;
  const p = g.params;
  const out = new Float64Array(n * g.outH * g.outW * cout);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let co = 0; co < cout; co++) {
          let s = 0;
          for (let ky = 0; ky < p.kernel_h; ky++) {
            for (let kx = 0; kx < p.kernel_w; kx++) {
              const iy = oy * p.stride_h + ky * p.dilation_h - g.padTop;
              const ix = ox * p.stride_w + kx * p.dilation_w - g.padLeft;
              const inside = iy >= 0 && iy < h && ix >= 0 && ix < wi;
              for (let ci = 0; ci < c; ci++) {
                const xv = inside ? sign(x[((b * h + iy) * wi + ix) * c + ci]) : 1;
                const wv = sign(w[((co * p.kernel_h + ky) * p.kernel_w + kx) * c + ci]);
                s += xv * wv;
              }
            }
          }
          out[o++] = s;
        }
      }
    }
  }
  return out;
}

Deno.test("reference bconv2d equals a float convolution of the ±1 values (and thresholds)", () => {
  const next = rng(7);
  let cases = 0;
  for (const c of [1, 3, 31, 32, 33, 70]) {
    for (const [kh, kw] of [[1, 1], [3, 3], [2, 3]]) {
      for (const padding of ["valid", "same"] as const) {
        for (const [s, d] of [[1, 1], [2, 1], [1, 2]]) {
          const shape = [2, 6, 5, c] as const;
          const cout = 1 + (cases % 40);
          const geometry = {
            inputShape: shape,
            kernelSize: [kh, kw] as const,
            strides: [s, s] as const,
            dilations: [d, d] as const,
            padding,
          };
          const plan = planConv(geometry);
          const x = randomSigns(2 * 6 * 5 * c, next);
          const w = randomSigns(cout * kh * kw * c, next);
          const want = floatConv(x, w, shape, cout, plan);
          const input = reference.bitpack(x, c);
          const filter = reference.packRhs(reference.bitpack(w, c), cout);
          const got = reference.bconv2dF32(input, filter, geometry);
          assert.deepEqual([...got], [...want], `c=${c} k=${kh}x${kw} ${padding} s=${s} d=${d}`);
          // acc = (K - dot) / 2; bitpacked output bit = acc > threshold.
          const K = kh * kw * c;
          const threshold = new Int32Array(cout).map((_, i) => (i * 7) % (K + 1));
          const bits = reference.bconv2dB32(input, filter, { ...geometry, threshold });
          const words = Math.ceil(cout / 32);
          for (let px = 0; px < want.length / cout; px++) {
            for (let co = 0; co < cout; co++) {
              const acc = (K - want[px * cout + co]) / 2;
              const bit = (bits[px * words + (co >> 5)] >>> (co & 31)) & 1;
              assert.equal(bit, acc > threshold[co] ? 1 : 0);
            }
          }
          cases++;
        }
      }
    }
  }
  assert.equal(cases, 6 * 3 * 2 * 3);
});

Deno.test("reference bgemm equals a float matmul with the output transform and clamps", () => {
  const next = rng(11);
  for (const [rows, cout, k] of [[1, 1, 1], [5, 33, 100], [9, 64, 577]]) {
    const a = randomSigns(rows * k, next);
    const b = randomSigns(cout * k, next);
    const multiplier = new Float32Array(cout).map(() => next() * 2 - 1);
    const bias = new Float32Array(cout).map(() => next() * 2 - 1);
    const got = reference.bgemmF32(reference.bitpack(a, k), reference.packRhs(reference.bitpack(b, k), cout), {
      depthBits: k,
      multiplier,
      bias,
      clampMin: -10,
      clampMax: 20,
    });
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cout; c++) {
        let dot = 0;
        for (let i = 0; i < k; i++) dot += sign(a[r * k + i]) * sign(b[c * k + i]);
        const y = Math.fround(Math.fround(Math.min(Math.max(dot, -10), 20) * multiplier[c]) + bias[c]);
        assert.equal(got[r * cout + c], y);
      }
    }
  }
});

Deno.test("planConv follows TensorFlow SAME/VALID (extra padding at the end)", () => {
  const p = (h: number, k: number, s: number, d: number, padding: "same" | "valid") =>
    planConv({ inputShape: [1, h, h, 1], kernelSize: [k, k], strides: [s, s], dilations: [d, d], padding });
  assert.deepEqual([p(5, 3, 1, 1, "same").outH, p(5, 3, 1, 1, "same").padTop], [5, 1]);
  assert.deepEqual([p(6, 3, 2, 1, "same").outH, p(6, 3, 2, 1, "same").padTop], [3, 0]); // total 1: 0 before, 1 after
  assert.deepEqual([p(7, 3, 2, 1, "same").outH, p(7, 3, 2, 1, "same").padTop], [4, 1]);
  assert.deepEqual([p(5, 3, 1, 2, "same").outH, p(5, 3, 1, 2, "same").padTop], [5, 2]);
  assert.deepEqual([p(4, 2, 1, 1, "same").outH, p(4, 2, 1, 1, "same").padTop], [4, 0]);
  assert.equal(p(5, 3, 1, 1, "valid").outH, 3);
  assert.equal(p(7, 3, 2, 2, "valid").outH, 2);
  assert.throws(() => p(3, 3, 1, 2, "valid"), RangeError);
});
