/**
 * The strided kernel (broadcast ADD/SUB/MUL/MAXIMUM/MINIMUM/PRELU with NaN and
 * ±0, TRANSPOSE's permuted copies of rank 1..6, STRIDED_SLICE's gathers with
 * negative strides), MEAN, col2im and (de)quantize kernels: on a sweep
 * of shapes, the TS reference against independent oracles (direct index
 * arithmetic in float64, im2col's adjoint identity, TFLite's quantize
 * rules), and the native library (1 and 2 threads, sizes past the
 * threading thresholds) and both wasm modules bit for bit against the
 * reference.
 */
import assert from "node:assert/strict";
import { contiguousStrides, FloatKernels, mergeDims, STRIDED_OPS, type StridedOp } from "../kernels/float_kernels.ts";
import { broadcastShape, broadcastStrides } from "../kernels/_shape.ts";
import { floatBackends, native, rng, wasmModules } from "./_backends.ts";

const reference = FloatKernels.reference();
/** Native on 1 and 2 threads, and each wasm module. */
const compiled = floatBackends().map(({ label, float }) => ({ k: float, on: label }));
const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function randoms(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.fround((next() - 0.5) * 8));
}

function sameBits(label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${label}: [${i}] ${got[i]}, reference ${want[i]}`);
  }
}

/** Index tuples of `shape` in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  if (product(shape) === 0) return;
  const idx = shape.map(() => 0);
  for (;;) {
    yield idx.slice();
    let d = shape.length - 1;
    for (; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

Deno.test("mergeDims merges what every operand walks as one and drops size-1 dims", () => {
  assert.deepEqual(mergeDims([2, 3, 4], [[12, 4, 1], [0, 0, 1]]), { shape: [6, 4], strides: [[4, 1], [0, 1]] });
  assert.deepEqual(mergeDims([1, 5, 1], [[5, 1, 1]]), { shape: [5], strides: [[1]] });
  assert.deepEqual(mergeDims([1, 1], [[1, 1], [0, 0]]), { shape: [1], strides: [[0], [0]] });
  assert.deepEqual(mergeDims([2, 3], [[3, 1], [1, 2]]), { shape: [2, 3], strides: [[3, 1], [1, 2]] });
});

Deno.test("strided broadcast arithmetic: reference = direct float64 indexing, native = reference", () => {
  const next = rng(11);
  const cases: number[][][] = [
    [[5], [1]],
    [[2, 3, 4, 5], [5]],
    [[2, 3, 4, 5], [1, 3, 1, 1]],
    [[4, 1], [3]],
    [[2, 1, 4, 1, 3, 2], [1, 5, 1, 6, 3, 1]],
    [[7, 33], [7, 1]],
    [[3, 150, 160], [150, 1]], // 72,000 values: split across threads
    [[64, 32, 40], [64, 32, 40]],
  ];
  for (const [sa, sb] of cases) {
    const shape = broadcastShape(sa, sb);
    const a = randoms(product(sa), next), b = randoms(product(sb), next);
    // NaN, +0 and -0 on either side (MAXIMUM / MINIMUM keep TFLite's order: a NaN on the left loses).
    for (const [v, at] of [[NaN, 0], [-0, 1], [0, 2]]) {
      if (a.length > 3) a[(at * 7) % a.length] = v;
      if (b.length > 3) b[(at * 5 + 1) % b.length] = v;
    }
    const stA = broadcastStrides(sa, shape), stB = broadcastStrides(sb, shape);
    for (const op of STRIDED_OPS.filter((o) => o !== "copy")) {
      for (const clamp of [{}, { clampMin: -1, clampMax: 2.5 }]) {
        const views = {
          a: { length: a.length, strides: stA },
          b: { length: b.length, strides: stB },
          out: { length: product(shape), strides: contiguousStrides(shape) },
        };
        const want = new Float32Array(product(shape));
        reference.bindStrided(shape, op, views, clamp).run(a, b, want);
        let i = 0;
        for (const idx of indices(shape)) {
          const x = a[idx.reduce((s, v, d) => s + v * stA[d], 0)], y = b[idx.reduce((s, v, d) => s + v * stB[d], 0)];
          const v = Math.fround(ORACLE[op](x, y));
          const c = Math.min(Math.max(v, clamp.clampMin ?? -Infinity), clamp.clampMax ?? Infinity);
          if (!Object.is(want[i], c)) assert.fail(`${op} [${sa}]·[${sb}] at ${idx}: ${want[i]} vs ${c}`);
          i++;
        }
        for (const { k, on } of compiled) {
          const got = new Float32Array(want.length);
          k.bindStrided(shape, op, views, clamp).run(a, b, got);
          sameBits(`${op} [${sa}]·[${sb}] on ${on}`, got, want);
        }
      }
    }
  }
});

/** Each two-operand strided op on f32 operands, in f64 then rounded once by the caller (TFLite's definitions). */
const ORACLE: Record<Exclude<StridedOp, "copy">, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  max: (x, y) => x > y ? x : y,
  min: (x, y) => x < y ? x : y,
  prelu: (x, y) => x >= 0 ? x : x * y,
  div: (x, y) => x / y,
  squared_difference: (x, y) => Math.fround(x - y) ** 2,
};

Deno.test("strided copy through permuted strides (TRANSPOSE, rank 1..6): reference = direct indexing, native = reference", () => {
  const next = rng(13);
  const cases: [number[], number[]][] = [
    [[7], [0]],
    [[3, 5], [1, 0]],
    [[1, 4, 1], [2, 0, 1]],
    [[2, 3, 4, 5], [0, 3, 1, 2]],
    [[2, 3, 4, 5], [3, 2, 1, 0]],
    [[3, 1, 2, 5, 3], [4, 2, 0, 3, 1]],
    [[2, 3, 2, 1, 3, 2], [5, 3, 1, 4, 0, 2]],
    [[2, 3, 5, 2, 3, 2], [1, 0, 3, 2, 5, 4]],
    [[1, 300, 250], [0, 2, 1]], // 75,000 values: split across threads
  ];
  for (const [shape, perm] of cases) {
    const x = randoms(product(shape), next);
    const xs = contiguousStrides(shape), outShape = perm.map((d) => shape[d]);
    const views = {
      a: { length: x.length, strides: perm.map((d) => xs[d]) },
      out: { length: x.length, strides: contiguousStrides(outShape) },
    };
    const want = new Float32Array(x.length);
    reference.bindStrided(outShape, "copy", views).run(x, undefined, want);
    let i = 0;
    for (const idx of indices(outShape)) {
      const src = new Array<number>(shape.length);
      perm.forEach((d, j) => src[d] = idx[j]);
      if (!Object.is(want[i++], x[src.reduce((s, v, d) => s + v * xs[d], 0)])) {
        assert.fail(`transpose [${shape}] by [${perm}] at ${idx}`);
      }
    }
    for (const { k, on } of compiled) {
      const got = new Float32Array(x.length);
      k.bindStrided(outShape, "copy", views).run(x, undefined, got);
      sameBits(`transpose [${shape}] by [${perm}] on ${on}`, got, want);
    }
  }
});

Deno.test("strided gathers with negative and skipping strides (STRIDED_SLICE): reference = direct indexing, native = reference", () => {
  const next = rng(14);
  // [input shape, per dim [start, count, step]]
  const cases: [number[], [number, number, number][]][] = [
    [[9], [[8, 9, -1]]],
    [[9], [[7, 3, -3]]],
    [[5, 7], [[4, 5, -1], [0, 4, 2]]],
    [[4, 1, 6], [[1, 2, 2], [0, 1, 1], [5, 3, -2]]],
    [[2, 3, 4, 5], [[1, 1, 1], [2, 3, -1], [0, 4, 1], [4, 2, -3]]],
    [[3, 2, 3, 2, 3, 2], [[2, 2, -2], [0, 2, 1], [2, 3, -1], [1, 1, 1], [0, 2, 2], [1, 2, -1]]],
    [[2, 200, 300], [[0, 2, 1], [199, 200, -1], [0, 150, 2]]], // 60,000 values: split across threads
    [[1, 300, 250], [[0, 1, 1], [299, 300, -1], [249, 250, -1]]], // 75,000 values
  ];
  for (const [shape, dims] of cases) {
    const x = randoms(product(shape), next);
    const xs = contiguousStrides(shape), outShape = dims.map(([, n]) => n);
    const views = {
      a: {
        length: x.length,
        offset: dims.reduce((s, [start], d) => s + start * xs[d], 0),
        strides: dims.map(([, , step], d) => step * xs[d]),
      },
      out: { length: product(outShape), strides: contiguousStrides(outShape) },
    };
    const want = new Float32Array(product(outShape));
    reference.bindStrided(outShape, "copy", views).run(x, undefined, want);
    let i = 0;
    for (const idx of indices(outShape)) {
      const src = idx.reduce((s, v, d) => s + (dims[d][0] + v * dims[d][2]) * xs[d], 0);
      if (!Object.is(want[i++], x[src])) assert.fail(`gather [${shape}] by ${JSON.stringify(dims)} at ${idx}`);
    }
    for (const { k, on } of compiled) {
      const got = new Float32Array(want.length);
      k.bindStrided(outShape, "copy", views).run(x, undefined, got);
      sameBits(`gather [${shape}] by ${JSON.stringify(dims)} on ${on}`, got, want);
    }
  }
});

Deno.test("strided copy into an offset window (PAD's interior, a CONCATENATION slice, a channel group)", () => {
  const next = rng(12);
  // [n, h, w, c] into [n, h + 3, w + 1, c + 4] at (0, 1, 0, 2), and a channel slice out of [n, h, w, 3c].
  for (const [n, h, w, c] of [[1, 4, 5, 3], [2, 7, 1, 33], [3, 60, 60, 8]]) {
    const x = randoms(n * h * w * c, next);
    const outShape = [n, h + 3, w + 1, c + 4];
    const os = contiguousStrides(outShape);
    const views = {
      a: { length: x.length, strides: contiguousStrides([n, h, w, c]) },
      out: { length: product(outShape), offset: os[1] + 2, strides: os },
    };
    const want = new Float32Array(product(outShape)).fill(9);
    reference.bindStrided([n, h, w, c], "copy", views).run(x, undefined, want);
    let i = 0;
    for (const [a, b, cc, d] of indices([n, h, w, c])) {
      assert.equal(want[os[0] * a + os[1] * (b + 1) + os[2] * cc + d + 2], x[i++]);
    }
    assert.equal(want.filter((v) => v === 9).length, want.length - x.length);
    const wide = randoms(n * h * w * 3 * c, next);
    const slice = {
      a: { length: wide.length, offset: c, strides: [h * w * 3 * c, w * 3 * c, 3 * c, 1] },
      out: { length: x.length, strides: contiguousStrides([n, h, w, c]) },
    };
    const part = new Float32Array(x.length);
    reference.bindStrided([n, h, w, c], "copy", slice, { clampMax: 1 }).run(wide, undefined, part);
    for (let p = 0; p < n * h * w; p++) {
      for (let j = 0; j < c; j++) assert.equal(part[p * c + j], Math.min(wide[p * 3 * c + c + j], 1));
    }
    for (const { k, on } of compiled) {
      const got = new Float32Array(want.length).fill(9);
      k.bindStrided([n, h, w, c], "copy", views).run(x, undefined, got);
      sameBits(`copy ${[n, h, w, c]} on ${on}`, got, want);
      const gotPart = new Float32Array(x.length);
      k.bindStrided([n, h, w, c], "copy", slice, { clampMax: 1 }).run(wide, undefined, gotPart);
      sameBits(`slice ${[n, h, w, c]} on ${on}`, gotPart, part);
    }
  }
});

Deno.test("strided ops refuse views that reach past their arrays, and wrong arrays", () => {
  const v = (length: number, strides: number[], offset = 0) => ({ length, strides, offset });
  assert.throws(
    () => reference.bindStrided([2, 3], "copy", { a: v(6, [3, 1]), out: v(6, [3, 1], 1) }),
    /views.out reaches element 6, past its 6 values/,
  );
  assert.throws(() => reference.bindStrided([2, 3], "add", { a: v(6, [3, 1]), out: v(6, [3, 1]) }), /needs views.b/);
  assert.throws(() => reference.bindStrided([2, -3], "copy", { a: v(6, [3, 1]), out: v(6, [3, 1]) }), /shape\[1\]/);
  assert.throws(
    () => reference.bindStrided([2, 3], "copy", { a: v(6, [3, -1], 1), out: v(6, [3, 1]) }),
    /views.a reaches element -1, below its first/,
  );
  assert.throws(() => reference.bindStrided([2, 3], "copy", { a: v(6, [3, 1.5]), out: v(6, [3, 1]) }), /strides\[1\]/);
  // Seven dims that cannot merge: a skips every other one.
  const seven = { a: v(86, [64, 0, 16, 0, 4, 0, 1]), out: v(128, [64, 32, 16, 8, 4, 2, 1]) };
  assert.throws(() => reference.bindStrided([2, 2, 2, 2, 2, 2, 2], "copy", seven), /7 dims after merging; at most 6/);
  const ok = reference.bindStrided([2, 3], "copy", { a: v(6, [3, 1]), out: v(6, [3, 1]) });
  assert.throws(() => ok.run(new Float32Array(5), undefined, new Float32Array(6)), /a must have 6 elements/);
  assert.throws(
    () => ok.run(new Float32Array(6), undefined, new Float64Array(6) as never),
    /out must be a Float32Array/,
  );
});

Deno.test("MEAN over any axes: reference = float64 oracle, native = reference", () => {
  const next = rng(13);
  const cases: [number[], number[]][] = [
    [[1, 7, 7, 64], [1, 2]],
    [[2, 5, 6, 3], [-1]],
    [[2, 5, 6, 3], [0, 2]],
    [[2, 5, 6, 3], [1, 3]],
    [[4, 3, 2, 5, 2], [0, 2, 4]],
    [[3, 4], [0, 1]],
    [[6], [0]],
    [[3, 4], []],
    [[1, 300, 2, 520], [1, 2]], // 312,000 values, kept row of 520 > 256: chunks and threads
    [[2, 40, 1000], [2]],
  ];
  for (const [shape, axes] of cases) {
    const x = randoms(product(shape), next);
    const bound = reference.bindMean(shape, axes);
    const want = new Float32Array(bound.outputLength);
    bound.run(x, want);
    const red = new Set(axes.map((a) => a < 0 ? a + shape.length : a));
    const kept = shape.map((d, i) => red.has(i) ? 1 : d);
    const sums = new Float64Array(want.length), counts = new Float64Array(want.length);
    let i = 0;
    for (const idx of indices(shape)) {
      const o = idx.reduce((s, v, d) => s * kept[d] + (red.has(d) ? 0 : v), 0);
      sums[o] += x[i++];
      counts[o]++;
    }
    for (let o = 0; o < want.length; o++) {
      assert.ok(Math.abs(want[o] - sums[o] / counts[o]) <= 1e-6, `mean [${shape}] over [${axes}] at ${o}`);
    }
    for (const { k, on } of compiled) {
      const got = new Float32Array(want.length);
      k.bindMean(shape, axes).run(x, got);
      sameBits(`mean [${shape}] over [${axes}] on ${on}`, got, want);
    }
  }
  assert.throws(() => reference.bindMean([2, 3], [2]), /axis must be in \[-2, 1\]/);
});

/** im2col of an NHWC image as TFLite's convolution reads it (zero outside), float64. */
function im2col(
  x: Float32Array,
  [n, h, w, c]: number[],
  [kh, kw]: number[],
  [sh, sw]: number[],
  [dh, dw]: number[],
  [pt, pl]: number[],
  [ch, cw]: number[],
): Float64Array {
  const out = new Float64Array(n * ch * cw * kh * kw * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let cy = 0; cy < ch; cy++) {
      for (let cx = 0; cx < cw; cx++) {
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const y = cy * sh + ky * dh - pt, xx = cx * sw + kx * dw - pl;
            for (let j = 0; j < c; j++, o++) {
              out[o] = y < 0 || y >= h || xx < 0 || xx >= w ? 0 : x[((b * h + y) * w + xx) * c + j];
            }
          }
        }
      }
    }
  }
  return out;
}

Deno.test("col2im is im2col's adjoint (reference), bias and clamp after, native = reference", () => {
  const next = rng(14);
  const geometries = [
    { image: [1, 5, 5, 3], kernel: [3, 3], strides: [2, 2], dil: [1, 1], pads: [1, 1] },
    { image: [2, 6, 7, 5], kernel: [2, 3], strides: [1, 2], dil: [1, 1], pads: [0, 1] },
    { image: [1, 9, 9, 4], kernel: [3, 3], strides: [1, 1], dil: [2, 2], pads: [2, 2] },
    { image: [1, 8, 8, 37], kernel: [4, 4], strides: [2, 2], dil: [1, 1], pads: [1, 1] },
    { image: [1, 32, 32, 16], kernel: [3, 3], strides: [2, 2], dil: [1, 1], pads: [0, 0] },
    { image: [1, 4, 4, 2], kernel: [1, 1], strides: [3, 3], dil: [1, 1], pads: [0, 0] },
  ];
  for (const g of geometries) {
    const [n, h, w, c] = g.image;
    const colsSize = [0, 1].map((a) =>
      Math.floor((g.image[1 + a] + 2 * g.pads[a] - g.dil[a] * (g.kernel[a] - 1) - 1) / g.strides[a]) + 1
    ) as [number, number];
    const opts = {
      imageShape: [n, h, w, c] as [number, number, number, number],
      colsSize,
      kernelSize: g.kernel as [number, number],
      strides: g.strides as [number, number],
      dilations: g.dil as [number, number],
      pads: g.pads as [number, number],
    };
    const bound = reference.bindCol2im(opts);
    const cols = randoms(bound.colsLength, next), probe = randoms(bound.outputLength, next);
    const image = new Float32Array(bound.outputLength);
    bound.run(cols, image);
    // <im2col(probe), cols> = <probe, col2im(cols)>
    const lifted = im2col(probe, g.image, g.kernel, g.strides, g.dil, g.pads, colsSize);
    let lhs = 0, rhs = 0, mag = 0;
    for (let i = 0; i < cols.length; i++) (lhs += lifted[i] * cols[i]), (mag += Math.abs(lifted[i] * cols[i]));
    for (let i = 0; i < image.length; i++) rhs += probe[i] * image[i];
    assert.ok(Math.abs(lhs - rhs) <= 1e-5 * (1 + mag), `adjoint ${JSON.stringify(g)}: ${lhs} vs ${rhs}`);
    const bias = randoms(c, next);
    const clamped = { ...opts, bias, clampMin: -3, clampMax: 3 };
    const want = new Float32Array(bound.outputLength);
    reference.bindCol2im(clamped).run(cols, want);
    for (let i = 0; i < want.length; i++) {
      assert.equal(want[i], Math.min(Math.max(Math.fround(image[i] + bias[i % c]), -3), 3));
    }
    for (const { k, on } of compiled) {
      const got = new Float32Array(want.length);
      k.bindCol2im(clamped).run(cols, got);
      sameBits(`col2im ${JSON.stringify(g)} on ${on}`, got, want);
    }
  }
});

Deno.test("QUANTIZE / DEQUANTIZE: TFLite's rounding and clamping, float16 bits; native = reference", () => {
  const next = rng(15);
  const n = 70_000;
  const scale = 0.05;
  const x = Float32Array.from(
    { length: n },
    (_, i) =>
      i % 3 === 0 ? Math.fround((Math.floor(next() * 400) - 200 + 0.5) * scale) : Math.fround((next() - 0.5) * 20),
  );
  x.set([NaN, Infinity, -Infinity, 0, -0, 1e30, 0.025, -0.025, 0.075]);
  for (const [to, zp] of [["int8", -3], ["uint8", 128]] as const) {
    const q = to === "int8" ? new Int8Array(n) : new Uint8Array(n);
    reference.bindQuantize(n, to, scale, zp).run(x, q);
    const [lo, hi] = to === "int8" ? [-128, 127] : [0, 255];
    for (let i = 0; i < n; i++) {
      const r = Math.fround(x[i] / Math.fround(scale));
      const want = Number.isNaN(r) ? 0 : Math.min(Math.max(Math.sign(r) * Math.floor(Math.abs(r) + 0.5) + zp, lo), hi);
      if (q[i] !== want) assert.fail(`quantize ${to} ${x[i]}: ${q[i]} vs ${want}`);
    }
    assert.deepEqual([...q.slice(6, 9)], [1 + zp, -1 + zp, 2 + zp]); // 0.5 -> 1, -0.5 -> -1, 1.5 -> 2
    const back = new Float32Array(n);
    reference.bindDequantize(n, to, scale, zp).run(q, back);
    for (let i = 0; i < n; i++) assert.equal(back[i], Math.fround((q[i] - zp) * Math.fround(scale)));
    for (const { k, on } of compiled) {
      const got = to === "int8" ? new Int8Array(n) : new Uint8Array(n);
      k.bindQuantize(n, to, scale, zp).run(x, got);
      sameBits(`quantize ${to} on ${on}`, got, q);
      const gotBack = new Float32Array(n);
      k.bindDequantize(n, to, scale, zp).run(q, gotBack);
      sameBits(`dequantize ${to} on ${on}`, gotBack, back);
    }
  }
  const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const want = new Float32Array(65536);
  reference.bindDequantize(65536, "float16").run(halves, want);
  assert.deepEqual([want[0x3c00], want[0xc000], want[0x0001], want[0x7c00], want[0x7bff]], [
    1,
    -2,
    2 ** -24,
    Infinity,
    65504,
  ]);
  assert.ok(Number.isNaN(want[0x7e00]));
  for (const { k, on } of compiled) {
    const got = new Float32Array(65536);
    k.bindDequantize(65536, "float16").run(halves, got);
    sameBits(`float16 on ${on}`, got, want);
  }
  assert.throws(() => reference.bindQuantize(4, "int8", 0, 0), /scale must be a positive/);
  assert.throws(() => reference.bindQuantize(4, "uint8", 1, 300), /zeroPoint must be in \[0, 255\]/);
  assert.throws(() => reference.bindQuantize(4, "int8", 1, 0).run(new Float32Array(4), new Uint8Array(4)), /Int8Array/);
});

Deno.test("LceQuantize of int8 (bit = value below the zero point): reference = oracle, native = reference", async () => {
  const { BinaryKernels } = await import("../kernels/binary_kernels.ts");
  const ref = BinaryKernels.reference();
  const nat = [
    ...(native ? [native, native.with({ threads: 2 })] : []),
    ...wasmModules.map(({ wasm }) => BinaryKernels.wasm({ wasm })),
  ];
  const next = rng(16);
  for (const channels of [1, 31, 32, 33, 65, 100]) {
    const rows = channels === 65 ? 4100 : 7; // 266,500 values: split across threads
    const x = Int8Array.from({ length: rows * channels }, () => Math.floor(next() * 256) - 128);
    for (const zp of [-128, -3, 0, 127]) {
      const want = ref.bitpackInt8(x, channels, zp);
      const words = Math.ceil(channels / 32);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < channels; c++) {
          const bit = (want[r * words + (c >> 5)] >>> (c & 31)) & 1;
          if (bit !== (x[r * channels + c] < zp ? 1 : 0)) assert.fail(`int8 ${channels}/${zp} at ${r},${c}`);
        }
      }
      for (const k of nat) assert.deepEqual(k.bitpackInt8(x, channels, zp), want, `${k.backend} ${channels}/${zp}`);
    }
  }
  assert.throws(() => ref.bitpackInt8(new Int8Array(4), 4, 128), /zeroPoint must be in \[-128, 127\]/);
});
