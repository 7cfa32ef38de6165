/**
 * The passes behind training's gradients (train_unpack.zig, transpose.zig, train_relu.zig, ste_sign's
 * gradient in place, sign_gemm.zig and conv2d_backprop_input.zig): the TypeScript reference against loops written from each definition (bit by bit, value by
 * value), and the native library on 1, 2 and 3 threads and the wasm module against the reference bit for bit,
 * on odd sizes, sizes past each pass's thread split, and edge values (±0, NaN, ±Infinity).
 */
import assert from "node:assert/strict";
import { type GatherLayout, TrainKernels } from "./train_kernels.ts";
import { compiledFloatKernels, compiledTrainKernels } from "./_test_train_backends.ts";
import { FloatKernels } from "./float_kernels.ts";
import { planWindow, type WindowGeometry } from "./geometry.ts";

const reference = TrainKernels.reference();
const backends: [string, TrainKernels][] = [["reference", reference], ...compiledTrainKernels];

/** Deterministic words or values. */
function words(n: number, seed: number): Uint32Array {
  let s = seed >>> 0;
  return Uint32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0));
}
function values(n: number, seed: number): Float32Array {
  const v = Float32Array.from(words(n, seed), (w) => (w / 2 ** 32) * 4 - 2);
  v.set([NaN, 0, -0, Infinity, -Infinity, 1, -1].slice(0, n));
  return v;
}

/** Bit patterns: NaN equals NaN, -0 differs from +0. */
const bitsOf = (a: Float32Array) => new Uint32Array(a.map((v) => Number.isNaN(v) ? NaN : v).buffer);

function assertSameBits(got: Float32Array, want: Float32Array, at: string): void {
  const g = bitsOf(got), w = bitsOf(want), i = g.findIndex((b, j) => b !== w[j]);
  assert.equal(i, -1, `${at}: first difference at ${i}: ${got[i]} vs ${want[i]}`);
}

/** The layout's definition, one bit at a time. */
function gatherOracle(bits: Uint32Array, l: Required<GatherLayout>): Float32Array {
  const out = new Float32Array(32 * l.blocks * l.taps * l.period);
  for (let b = 0; b < l.blocks; b++) {
    for (let t = 0; t < l.taps; t++) {
      for (let q = 0; q < l.period; q++) {
        const word = bits[q * l.rowStride + (l.taps - 1 - t) * l.tapStride + b];
        const o = ((b * l.taps + t) * l.period + q) * 32;
        for (let j = 0; j < 32; j++) out[o + j] = (word >>> j) & 1 ? -1 : 1;
      }
    }
  }
  return out;
}

Deno.test("gatherSigns: plain, word-column blocks and flipped taps equal the per-bit definition on every backend", () => {
  const cases: Required<GatherLayout>[] = [
    { blocks: 1, taps: 1, period: 1, rowStride: 1, tapStride: 0 },
    { blocks: 1, taps: 1, period: 77, rowStride: 1, tapStride: 0 },
    { blocks: 3, taps: 1, period: 5, rowStride: 3, tapStride: 0 }, // [5 rows, 3 words] by word column
    { blocks: 9, taps: 1, period: 1031, rowStride: 9, tapStride: 0 }, // past the 2K-word thread split
    { blocks: 2, taps: 9, period: 33, rowStride: 18, tapStride: 2 }, // a flipped 3×3 kernel, 64 channels, 33 filters
    { blocks: 2, taps: 9, period: 200, rowStride: 18, tapStride: 2 },
  ];
  for (const l of cases) {
    const n = (l.period - 1) * l.rowStride + (l.taps - 1) * l.tapStride + l.blocks;
    const bits = words(n, n);
    bits[0] = 0xffffffff;
    const want = gatherOracle(bits, l);
    for (const [label, k] of backends) {
      const out = new Float32Array(want.length).fill(7);
      assertSameBits(k.gatherSigns(bits, l, out), want, `${label} ${JSON.stringify(l)}`);
    }
  }
});

Deno.test("gatherSigns: typed errors for a bad layout, a short output and a read past the bits", () => {
  const bits = new Uint32Array(4);
  assert.throws(
    () => reference.gatherSigns(bits, { blocks: 1, taps: 0, period: 1, rowStride: 1 }, new Float32Array(32)),
    RangeError,
  );
  assert.throws(
    () => reference.gatherSigns(bits, { blocks: 1, period: 2, rowStride: 1 }, new Float32Array(32)),
    /out must have 64 elements/,
  );
  assert.throws(
    () => reference.gatherSigns(bits, { blocks: 1, period: 2, rowStride: 4 }, new Float32Array(64)),
    /reads word 4, past the 4 words/,
  );
  assert.throws(
    () =>
      reference.gatherSigns([] as unknown as Uint32Array, { blocks: 0, period: 0, rowStride: 0 }, new Float32Array(0)),
    TypeError,
  );
});

Deno.test("transpose: odd shapes, one row or column, and past the thread split equal the definition on every backend", () => {
  for (const [rows, cols] of [[1, 1], [1, 37], [37, 1], [33, 17], [129, 300], [300, 129], [64, 1025]]) {
    const a = values(rows * cols, rows + cols), want = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c * rows + r] = a[r * cols + c];
    for (const [label, k] of backends) {
      assertSameBits(k.transpose(a, rows, cols), want, `${label} [${rows}, ${cols}]`);
      const out = new Float32Array(rows * cols).fill(5);
      assert.equal(k.transpose(a, rows, cols, out), out);
      assertSameBits(out, want, `${label} [${rows}, ${cols}] into out`);
    }
  }
  assert.throws(() => reference.transpose(new Float32Array(5), 2, 3), /transpose: a must have 6 elements/);
  assert.throws(
    () => reference.transpose(new Float32Array(6), 2, 3, undefined, { latent: new Float32Array(6), clip: NaN }),
    /mask.clip must be a number/,
  );
});

Deno.test("transpose with a latent mask: 0 where !(|latent| ≤ clip), NaN latents and ±clip exactly, every backend", () => {
  for (const [rows, cols] of [[3, 5], [64, 1025], [1030, 40]]) {
    const a = values(rows * cols, rows * cols), latent = values(rows * cols, 7).map((v) => v * 0.75);
    latent.set([Math.fround(0.3), -Math.fround(0.3), NaN], 3);
    for (const clip of [0.3, 1, 0]) {
      const c = Math.fround(clip), want = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < cols; k++) {
          const o = k * rows + r;
          want[o] = Math.abs(latent[o]) <= c ? a[r * cols + k] : 0;
        }
      }
      for (const [label, k] of backends) {
        assertSameBits(
          k.transpose(a, rows, cols, undefined, { latent, clip }),
          want,
          `${label} [${rows}, ${cols}] clip ${clip}`,
        );
      }
    }
  }
  assert.throws(() => reference.transpose(new Float32Array(6), 2.5, 3), TypeError);
});

Deno.test("relu and its gradient: the definition (+0 at -0 and NaN; dy·0 keeps -0 and NaN) on every backend", () => {
  for (const n of [1, 7, 4099, (1 << 16) + 5]) {
    const x = values(n, n), dy = values(n, n + 1);
    if (n >= 7) dy.set([-3, 2, Infinity], 4); // x: -∞, 1, -1
    const want = x.map((v) => v > 0 ? v : 0), wantGrad = x.map((v, i) => v > 0 ? dy[i] : dy[i] * 0);
    if (n >= 7) {
      assert.ok(Object.is(want[2], 0) && Object.is(wantGrad[4], -0) && Number.isNaN(wantGrad[6]), "the edges");
    }
    for (const [label, k] of backends) {
      assertSameBits(k.relu(x), want, `${label} relu n ${n}`);
      assertSameBits(k.reluGrad(x, dy), wantGrad, `${label} reluGrad n ${n}`);
    }
  }
  assert.throws(() => reference.reluGrad(new Float32Array(2), new Float32Array(3)), /dy must have 2 elements/);
});

Deno.test("steSignGrad into dy itself: a gradient clipped in place, as into a fresh array, on every backend", () => {
  for (const n of [3, (1 << 16) + 9]) {
    const x = values(n, 2 * n), dy = values(n, 3 * n);
    const want = x.map((v, i) => Math.abs(v) <= 1 ? dy[i] : 0);
    for (const [label, k] of backends) {
      const g = dy.slice();
      assert.equal(k.steSignGrad(x, g, 1, g), g);
      assertSameBits(g, want, `${label} n ${n}`);
    }
  }
});

Deno.test("depthwise gradients: the reference within float32 rounding of a float64 oracle, every backend its bits", () => {
  const cases = [
    {
      inputShape: [1, 5, 7, 3],
      kernelSize: [3, 3],
      strides: [1, 1],
      dilations: [1, 1],
      padding: "same",
      multiplier: 1,
    },
    {
      inputShape: [2, 9, 8, 5],
      kernelSize: [3, 2],
      strides: [2, 1],
      dilations: [1, 2],
      padding: "valid",
      multiplier: 3,
    },
    {
      inputShape: [3, 16, 16, 40],
      kernelSize: [3, 3],
      strides: [2, 2],
      dilations: [1, 1],
      padding: "same",
      multiplier: 1,
    },
    {
      inputShape: [2, 33, 17, 64],
      kernelSize: [5, 5],
      strides: [1, 1],
      dilations: [1, 1],
      padding: "same",
      multiplier: 2,
    },
  ] as const;
  for (const geo of cases) {
    const [n, h, w, c] = geo.inputShape, [kh, kw] = geo.kernelSize, m = geo.multiplier, cout = c * m;
    const [sh, sw] = geo.strides, [dh, dw] = geo.dilations;
    const same = geo.padding === "same";
    const oh = same ? Math.ceil(h / sh) : Math.ceil((h - (kh - 1) * dh) / sh);
    const ow = same ? Math.ceil(w / sw) : Math.ceil((w - (kw - 1) * dw) / sw);
    const padTop = same ? Math.floor(Math.max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - h) / 2) : 0;
    const padLeft = same ? Math.floor(Math.max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - w) / 2) : 0;
    const x = values(n * h * w * c, 1).map((v) => Number.isFinite(v) ? v : 0.5);
    const dy = values(n * oh * ow * cout, 2).map((v) => Number.isFinite(v) ? v : -0.25);
    const filter = values(kh * kw * cout, 3).map((v) => Number.isFinite(v) ? v : 1.5);
    // The float64 oracle: the convolution's scatter form, both gradients at once.
    const dx64 = new Float64Array(x.length), dw64 = new Float64Array(filter.length);
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh + ky * dh - padTop, ix = ox * sw + kx * dw - padLeft;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let co = 0; co < cout; co++) {
                const g = dy[((b * oh + oy) * ow + ox) * cout + co],
                  i = ((b * h + iy) * w + ix) * c + Math.floor(co / m);
                dx64[i] += g * filter[(ky * kw + kx) * cout + co];
                dw64[(ky * kw + kx) * cout + co] += g * x[i];
              }
            }
          }
        }
      }
    }
    const what = JSON.stringify(geo);
    const wantDx = reference.depthwiseBackInput(dy, filter, geo), wantDw = reference.depthwiseBackFilter(x, dy, geo);
    const near = (a: Float32Array, b: Float64Array, part: string) => {
      const scale = Math.max(1, ...[...b].map(Math.abs));
      const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      assert.ok(worst <= 1e-5 * scale, `${what} ${part}: off by ${worst}`);
    };
    near(wantDx, dx64, "dx");
    near(wantDw, dw64, "dw");
    for (const [label, k] of backends) {
      assertSameBits(k.depthwiseBackInput(dy, filter, geo), wantDx, `${label} ${what} dx`);
      assertSameBits(k.depthwiseBackFilter(x, dy, geo), wantDw, `${label} ${what} dw`);
    }
  }
  assert.throws(
    () =>
      reference.depthwiseBackInput(new Float32Array(3), new Float32Array(9), {
        inputShape: [1, 3, 3, 1],
        kernelSize: [3, 3],
      }),
    /depthwiseBackInput: dy must have 1 elements/,
  );
});

Deno.test("transposeBits: every bit at its transposed place, on every backend; rows not a multiple of 32 refused", () => {
  for (const [rows, nWords] of [[32, 1], [64, 3], [96, 16], [2304, 16]]) {
    const bits = words(rows * nWords, rows + nWords), outWords = rows / 32;
    const want = new Uint32Array(rows * nWords);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < nWords * 32; c++) {
        if ((bits[r * nWords + (c >>> 5)] >>> (c & 31)) & 1) want[c * outWords + (r >>> 5)] |= 1 << (r & 31);
      }
    }
    for (const [label, k] of backends) {
      assert.deepEqual(k.transposeBits(bits, rows, nWords), want, `${label} [${rows}, ${nWords} words]`);
    }
  }
  assert.throws(() => reference.transposeBits(new Uint32Array(33), 33, 1), /multiple of 32, got 33/);
});

/** signGemm's definition, one product at a time (each exact: ±lhs), summed from +0 in depth order, then + 0. */
function signGemmOracle(
  lhs: Float32Array,
  bits: Uint32Array,
  s: { rows: number; columns: number; depth: number; rowStride: number; depthStride: number; words: number },
): Float32Array {
  const out = new Float32Array(s.rows * s.columns), acc = new Float32Array(1);
  for (let r = 0; r < s.rows; r++) {
    for (let c = 0; c < s.columns; c++) {
      acc[0] = 0;
      for (let d = 0; d < s.depth; d++) {
        const x = lhs[r * s.rowStride + d * s.depthStride];
        acc[0] = acc[0] + ((bits[d * s.words + (c >>> 5)] >>> (c & 31)) & 1 ? -x : x);
      }
      out[r * s.columns + c] = acc[0] + 0;
    }
  }
  return out;
}

Deno.test("signGemm: both lhs layouts, partial tiles and blocks, ±0 and NaN equal the definition on every backend", () => {
  for (const [rows, columns, depth] of [[1, 1, 1], [9, 40, 13], [64, 288, 300], [17, 96, 2]]) {
    const rowWords = Math.ceil(columns / 32) + 1, lhs = values(rows * depth, rows + depth);
    const bits = words(depth * rowWords, columns);
    for (const transposed of [false, true]) {
      const shape = {
        rows,
        columns,
        depth,
        rowStride: transposed ? 1 : depth,
        depthStride: transposed ? rows : 1,
        words: rowWords,
      };
      const want = signGemmOracle(lhs, bits, shape);
      for (const [label, k] of backends) {
        assertSameBits(k.signGemm(lhs, bits, shape), want, `${label} ${rows}x${columns}x${depth}`);
      }
    }
  }
});

Deno.test("signGemm: a short lhs, too few words of bits or a narrow row of words are RangeErrors", () => {
  const shape = { rows: 2, columns: 40, depth: 3, rowStride: 3, depthStride: 1, words: 2 };
  assert.throws(() => reference.signGemm(new Float32Array(5), new Uint32Array(6), shape), /lhs has 5 values/);
  assert.throws(() => reference.signGemm(new Float32Array(6), new Uint32Array(5), shape), /bits has 5 words/);
  assert.throws(
    () => reference.signGemm(new Float32Array(6), new Uint32Array(6), { ...shape, words: 1 }),
    /signGemm: words/,
  );
});

Deno.test("conv2dBackInput: the bits of the SGEMM then col2im on the same backend, every backend and thread count", () => {
  const floats: [string, FloatKernels][] = [["reference", FloatKernels.reference()], ...compiledFloatKernels];
  const cases: (WindowGeometry & { filters: number })[] = [
    { inputShape: [3, 13, 13, 32], kernelSize: [3, 3], filters: 64 }, // larq's MNIST CNN's second layer
    { inputShape: [2, 7, 6, 64], kernelSize: [3, 3], padding: "same", filters: 40 },
    { inputShape: [2, 9, 8, 5], kernelSize: [3, 2], strides: [2, 2], padding: "same", filters: 7 }, // blocks straddle taps
    { inputShape: [1, 8, 9, 33], kernelSize: [2, 3], dilations: [2, 2], padding: [[1, 0], [2, 1]], filters: 3 },
  ];
  for (const g of cases) {
    const p = planWindow(g), depth = p.kernel_h * p.kernel_w * p.channels;
    const dy = values(p.batch * p.out_h * p.out_w * g.filters, depth), w = values(depth * g.filters, g.filters);
    for (const [label, k] of backends) {
      const fk = floats.find(([l]) => l === label)![1];
      const packed = fk.packRhs(w, depth);
      const cols = fk.sgemm(dy, packed);
      const want = new Float32Array(p.batch * p.in_h * p.in_w * p.channels);
      fk.bindCol2im({
        imageShape: g.inputShape,
        colsSize: [p.out_h, p.out_w],
        kernelSize: g.kernelSize,
        strides: [p.stride_h, p.stride_w],
        dilations: [p.dilation_h, p.dilation_w],
        pads: [p.pad_top, p.pad_left],
      }).run(cols, want);
      assertSameBits(k.conv2dBackInput(dy, packed, g), want, `${label} ${JSON.stringify(g)}`);
    }
  }
  const packed = FloatKernels.reference().packRhs(new Float32Array(9 * 2 * 3), 18);
  const g = { inputShape: [1, 4, 4, 2] as const, kernelSize: [3, 3] as const, filters: 3 };
  assert.throws(
    () => reference.conv2dBackInput(new Float32Array(12), packed, { ...g, filters: 4 }),
    /filter must be Wᵀ/,
  );
  assert.throws(() => reference.conv2dBackInput(new Float32Array(11), packed, g), /dy/);
});
