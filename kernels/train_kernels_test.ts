/**
 * The training passes (train_bn.zig, train_sign.zig, train_pool.zig) on the native library
 * (1, 2 and 3 threads) and the wasm module equal the TypeScript reference bit
 * for bit, on a sweep of shapes (one row, channel counts around 32 and 64,
 * the channel block of 64 and past it) and on the exact edge values of the
 * sign quantizers (±0, NaN, ±clip, ±1, ±Infinity). The reference itself is
 * checked against float64 oracles here and by graph/'s gradient checks.
 */
import assert from "node:assert/strict";
import { TrainKernels } from "./train_kernels.ts";
import { compiledTrainKernels } from "./_test_train_backends.ts";

/** `f` throws a `type` whose message contains `text`. */
function throws(f: () => unknown, type: ErrorConstructor, text: string): void {
  assert.throws(f, (e) => e instanceof type && (e as Error).message.includes(text));
}

const reference = TrainKernels.reference();
const compiled = compiledTrainKernels;

/** Deterministic values in [lo, hi). */
function rand(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

/** Bit patterns, so that NaN equals NaN and -0 differs from +0. */
const bits = (a: Float32Array | null) => a === null ? null : [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

/** Up to [130, 200]; then rows in 2, 4 and 4 chunks (BN_CHUNK_ROWS), split over threads in both phases. */
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 33],
  [2, 3],
  [7, 31],
  [5, 32],
  [3, 64],
  [9, 65],
  [4, 127],
  [130, 200],
  [2049, 33],
  [4500, 64],
  [10816, 32],
];

Deno.test("train passes: batch norm forward and backward equal the reference bit for bit", () => {
  for (const [label, k] of compiled) {
    for (const [rows, c] of SHAPES) {
      for (const affine of [false, true]) {
        const x = rand(rows * c, rows * 1000 + c, -3, 5), dy = rand(rows * c, c);
        const gamma = affine ? rand(c, 7, 0.5, 1.5) : null, beta = affine ? rand(c, 8) : null;
        const o = { gamma, beta, epsilon: 1e-3 };
        const want = reference.bnForward(x, c, o), got = k.bnForward(x, c, o);
        const at = `${label} [${rows}, ${c}] affine ${affine}`;
        assert.deepEqual(bits(got.y), bits(want.y), at);
        assert.deepEqual(bits(got.stats), bits(want.stats), at);
        const b = { channels: c, gamma, hasBeta: affine, epsilon: 1e-3 };
        const wantB = reference.bnBackward(x, dy, want.stats, b), gotB = k.bnBackward(x, dy, want.stats, b);
        assert.deepEqual(bits(gotB.dx), bits(wantB.dx), at);
        assert.deepEqual(bits(gotB.dgamma), bits(wantB.dgamma), at);
        assert.deepEqual(bits(gotB.dbeta), bits(wantB.dbeta), at);
      }
    }
  }
});

Deno.test("train passes: the batch norm reference against a float64 oracle", () => {
  const rows = 37, c = 5, x = rand(rows * c, 3, -3, 5), gamma = rand(c, 4, 0.5, 1.5), beta = rand(c, 5);
  const { y, stats } = reference.bnForward(x, c, { gamma, beta, epsilon: 1e-3 });
  for (let j = 0; j < c; j++) {
    let m = 0, v = 0;
    for (let r = 0; r < rows; r++) m += x[r * c + j] / rows;
    for (let r = 0; r < rows; r++) v += (x[r * c + j] - m) ** 2 / rows;
    assert(Math.abs(stats[j] - m) < 1e-5 && Math.abs(stats[c + j] - v) < 1e-4 * v, `moments of channel ${j}`);
    for (let r = 0; r < rows; r++) {
      const want = (x[r * c + j] - m) / Math.sqrt(v + 1e-3) * gamma[j] + beta[j];
      assert(Math.abs(y[r * c + j] - want) < 1e-5, `y[${r}, ${j}]: ${y[r * c + j]} vs ${want}`);
    }
  }
});

const EDGES = Float32Array.from([-0, 0, NaN, 1, -1, 1.25, -1.25, Math.fround(1.25) + 2 ** -22, Infinity, -Infinity]);

Deno.test("train passes: sign and the ste/approx pseudo-gradients, edge values and a sweep", () => {
  assert.deepEqual([...reference.sign(EDGES)], [1, 1, 1, 1, -1, 1, -1, 1, 1, -1]);
  const ones = new Float32Array(EDGES.length).fill(3);
  assert.deepEqual([...reference.steSignGrad(EDGES, ones, 1.25)], [3, 3, 0, 3, 3, 3, 3, 0, 0, 0]);
  assert.deepEqual([...reference.approxSignGrad(EDGES, ones)], [6, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
  for (const [label, k] of compiled) {
    for (const n of [EDGES.length, 1, 31, 4097, 70_001]) {
      const x = n === EDGES.length ? EDGES : rand(n, n, -2, 2), dy = rand(n, n + 1);
      assert.deepEqual(bits(k.sign(x)), bits(reference.sign(x)), `${label} sign of ${n}`);
      for (const clip of [1, 1.25, 0]) {
        assert.deepEqual(
          bits(k.steSignGrad(x, dy, clip)),
          bits(reference.steSignGrad(x, dy, clip)),
          `${label} ste ${n}`,
        );
      }
      assert.deepEqual(bits(k.approxSignGrad(x, dy)), bits(reference.approxSignGrad(x, dy)), `${label} approx ${n}`);
    }
  }
});

Deno.test("train passes: max pooling's gradient scatter equals the reference, repeated indices summed in order", () => {
  for (const [label, k] of compiled) {
    for (const [outputs, inputs] of [[1, 1], [37, 100], [5000, 4097], [20_000, 80_000], [600_000, 300_001]]) {
      // The last, past train_pool.zig's split: indices in any order (one thread), then sorted as a pooling's
      // windows give them (split by threads into ordered parts), about 2 gradients summed per input.
      const dy = rand(outputs, outputs), r = rand(outputs, inputs, 0, inputs);
      const scattered = Int32Array.from(r, (v) => Math.min(inputs - 1, Math.floor(v)));
      for (const argmax of [scattered, scattered.slice().sort()]) {
        const got = k.maxPoolGrad(dy, argmax, inputs), want = reference.maxPoolGrad(dy, argmax, inputs);
        assert.deepEqual(bits(got), bits(want), `${label} ${outputs} into ${inputs}`);
      }
    }
    assert.throws(() => k.maxPoolGrad(new Float32Array(2), Int32Array.from([0, 3]), 3), Error, label);
  }
  const dx = reference.maxPoolGrad(Float32Array.from([1, 2, 4]), Int32Array.from([3, 0, 3]), 5);
  assert.deepEqual([...dx], [2, 0, 0, 5, 0]);
  throws(() => reference.maxPoolGrad(Float32Array.from([1]), Int32Array.from([-1]), 2), RangeError, "argmax[0] = -1");
});

Deno.test("train passes: bad arguments are typed errors naming the value", () => {
  const x = new Float32Array(6);
  throws(() => reference.bnForward(x, 4, { epsilon: 1e-3 }), RangeError, "not a multiple of its 4 channels");
  throws(() => reference.bnForward(x, 3, { epsilon: 0 }), RangeError, "epsilon must be positive");
  throws(() => reference.bnForward(x, 3, { gamma: new Float32Array(2), epsilon: 1 }), RangeError, "gamma");
  throws(() => reference.bnForward(x, 0, { epsilon: 1 }), RangeError, "channels");
  throws(() => reference.sign(new Float64Array(2) as unknown as Float32Array), TypeError, "x must be");
  throws(() => reference.steSignGrad(x, new Float32Array(5), 1), RangeError, "dy must have 6");
  throws(() => reference.steSignGrad(x, x, -1), RangeError, "clip");
  throws(
    () => reference.bnBackward(x, x, new Float32Array(3), { channels: 3, hasBeta: false, epsilon: 1 }),
    RangeError,
    "stats must have 9",
  );
});
