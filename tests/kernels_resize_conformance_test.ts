/**
 * RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR (FloatKernels.bindResize): on a
 * sweep of shapes (size-1 and odd dims, up- and downscales, out = 1, sizes
 * past the threading threshold) and every align_corners / half_pixel_centers
 * combination, the TS reference against a float64 oracle of TFLite's
 * formulas and hand-computed images, and the native library (1 and 2
 * threads) and both wasm modules bit for bit against the reference.
 */
import assert from "node:assert/strict";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { floatBackends, rng } from "./_backends.ts";

const reference = FloatKernels.reference();
/** Native on 1 and 2 threads, and each wasm module. */
const compiled = floatBackends();
const OPTIONS = [
  { alignCorners: false, halfPixelCenters: false },
  { alignCorners: true, halfPixelCenters: false },
  { alignCorners: false, halfPixelCenters: true },
];

/** TFLite's resize formulas: f32 sample positions (as TFLite), the interpolation in float64. */
function oracle(
  x: Float32Array,
  [n, h, w, c]: number[],
  [oh, ow]: number[],
  method: "bilinear" | "nearest",
  { alignCorners, halfPixelCenters }: { alignCorners: boolean; halfPixelCenters: boolean },
): Float64Array {
  // Sample positions in f32 as TFLite defines them (they pick the taps); the interpolation in float64.
  const f = Math.fround;
  const scale = (i: number, o: number) => f(alignCorners && o > 1 ? (i - 1) / (o - 1) : i / o);
  const sy = scale(h, oh), sx = scale(w, ow);
  const near = (o: number, s: number, size: number) => {
    const v = f((o + (halfPixelCenters ? 0.5 : 0)) * s);
    return Math.max(0, Math.min(alignCorners ? Math.round(v) : Math.floor(v), size - 1));
  };
  const lerp = (o: number, s: number, size: number): [number, number, number] => {
    const v = halfPixelCenters ? f(f((o + 0.5) * s) - 0.5) : f(o * s);
    const lo = Math.max(Math.floor(v), 0);
    return [lo, Math.min(Math.ceil(v), size - 1), v - lo];
  };
  const out = new Float64Array(n * oh * ow * c);
  const at = (b: number, y: number, xx: number, ch: number) => x[((b * h + y) * w + xx) * c + ch];
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          const i = ((b * oh + oy) * ow + ox) * c + ch;
          if (method === "nearest") {
            out[i] = at(b, near(oy, sy, h), near(ox, sx, w), ch);
            continue;
          }
          const [y0, y1, wy] = lerp(oy, sy, h), [x0, x1, wx] = lerp(ox, sx, w);
          out[i] = at(b, y0, x0, ch) * (1 - wy) * (1 - wx) + at(b, y1, x0, ch) * wy * (1 - wx) +
            at(b, y0, x1, ch) * (1 - wy) * wx + at(b, y1, x1, ch) * wy * wx;
        }
      }
    }
  }
  return out;
}

Deno.test("resize: reference = float64 oracle of TFLite's formulas, native = reference bit for bit", () => {
  const next = rng(31);
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 1], [1, 1]],
    [[1, 1, 1, 3], [4, 5]],
    [[1, 2, 2, 1], [3, 3]],
    [[1, 3, 4, 2], [7, 5]],
    [[2, 8, 9, 3], [3, 4]],
    [[1, 5, 7, 1], [1, 1]],
    [[1, 4, 3, 33], [8, 6]],
    [[3, 7, 1, 2], [2, 9]],
    [[1, 6, 6, 5], [6, 6]],
    [[2, 40, 50, 9], [80, 100]], // 144,000 values: split across threads
  ];
  for (const [shape, size] of cases) {
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround((next() - 0.5) * 8));
    for (const method of ["bilinear", "nearest"] as const) {
      for (const o of OPTIONS) {
        const label = `${method} [${shape}] -> [${size}] ${JSON.stringify(o)}`;
        const bound = reference.bindResize(shape, size, { method, ...o });
        const want = new Float32Array(bound.outputLength);
        bound.run(x, want);
        const exact = oracle(x, shape, size, method, o);
        for (let i = 0; i < want.length; i++) {
          const tol = method === "nearest" ? 0 : 4e-7 * 4; // f32 rounding of the weights and 4 products and sums
          if (!(Math.abs(want[i] - exact[i]) <= tol)) assert.fail(`${label} [${i}]: ${want[i]} vs ${exact[i]}`);
        }
        for (const { label: on, float: k } of compiled) {
          const got = new Float32Array(want.length);
          k.bindResize(shape, size, { method, ...o }).run(x, got);
          for (let i = 0; i < want.length; i++) {
            if (!Object.is(got[i], want[i])) assert.fail(`${label} ${on} [${i}]: ${got[i]} vs ${want[i]}`);
          }
        }
      }
    }
  }
});

Deno.test("resize: hand-computed images", () => {
  const x = new Float32Array([0, 2, 4, 6]); // [1, 2, 2, 1]
  for (const k of [reference, ...compiled.map((c) => c.float)]) {
    const run = (size: number[], o: object) => {
      const b = k.bindResize([1, 2, 2, 1], size, o as { method: "bilinear" });
      const out = new Float32Array(b.outputLength);
      b.run(x, out);
      return Array.from(out);
    };
    assert.deepEqual(run([3, 3], { method: "bilinear", alignCorners: true }), [0, 1, 2, 2, 3, 4, 4, 5, 6]);
    assert.deepEqual(run([4, 4], { method: "bilinear" }), [
      ...[0, 1, 2, 2],
      ...[2, 3, 4, 4],
      ...[4, 5, 6, 6],
      ...[4, 5, 6, 6],
    ]);
    assert.deepEqual(run([4, 4], { method: "bilinear", halfPixelCenters: true }), [
      ...[0, 0.5, 1.5, 2],
      ...[1, 1.5, 2.5, 3],
      ...[3, 3.5, 4.5, 5],
      ...[4, 4.5, 5.5, 6],
    ]);
    assert.deepEqual(run([4, 4], { method: "nearest", halfPixelCenters: true }), [
      ...[0, 0, 2, 2],
      ...[0, 0, 2, 2],
      ...[4, 4, 6, 6],
      ...[4, 4, 6, 6],
    ]);
    assert.deepEqual(run([3, 3], { method: "nearest", alignCorners: true }), [0, 2, 2, 4, 6, 6, 4, 6, 6]);
    assert.deepEqual(run([1, 1], { method: "nearest" }), [0]);
  }
});

Deno.test("resize refuses bad shapes, sizes, options and arrays before native code", () => {
  const k = reference;
  assert.throws(() => k.bindResize([1, 2, 2], [2, 2], { method: "nearest" }), /inputShape/);
  assert.throws(() => k.bindResize([1, 0, 2, 1], [2, 2], { method: "nearest" }), /inputShape\[1\]/);
  assert.throws(() => k.bindResize([1, 2, 2, 1], [0, 2], { method: "nearest" }), /size\[0\]/);
  assert.throws(() => k.bindResize([1, 2, 2, 1], [2], { method: "nearest" }), /size must be/);
  assert.throws(() => k.bindResize([1, 2, 2, 1], [2, 2], { method: "cubic" as "nearest" }), /method/);
  assert.throws(
    () => k.bindResize([1, 2, 2, 1], [2, 2], { method: "bilinear", alignCorners: true, halfPixelCenters: true }),
    /cannot both/,
  );
  assert.throws(() => k.bindResize([1, 2, 2, 1], [65536, 65536], { method: "nearest" }), /element count/);
  const b = (compiled[0]?.float ?? k).bindResize([1, 2, 2, 1], [3, 3], { method: "bilinear" });
  assert.throws(() => b.run(new Float32Array(3), new Float32Array(9)), /input must have 4/);
  assert.throws(() => b.run(new Float32Array(4), new Float32Array(8)), /out must have 9/);
});
