/**
 * Splitting work over threads never changes a result: every op whose work the
 * thread pool splits gives bit-identical outputs on 1, 2 and 3 threads (each
 * output element is computed by the same code on the same inputs whichever
 * thread runs it), on shape sweeps that include sizes below the thread count
 * and layers of few output pixels (cut by channel blocks too). Correctness
 * against float64 oracles is kernels_float_conformance_test.ts's.
 */
import assert from "node:assert/strict";
import { FloatKernels, type WindowGeometry } from "../kernels/float_kernels.ts";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { TrainKernels } from "../kernels/train_kernels.ts";
import { planWindow } from "../kernels/geometry.ts";

let native: FloatKernels | undefined;
try {
  native = FloatKernels.native();
} catch (e) {
  if (Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
}

/**
 * `n` values in [-1, 1)·scale from `seed`. Plain loops here and in the comparison below: under qemu (the aarch64 CI
 * run) `Float32Array.from` with a function and `findIndex` took 26 and 3.6 s on a 2.2M-value array, loops 0.6 and 0.5.
 */
function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1) * scale;
  return out;
}

/** The first index where the words differ, or -1. */
function firstDifference(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** `run` on 1 thread, then on 2 and 3: the same bits (NaN-safe: compared as words). */
function sameOnEveryThreadCount(label: string, run: (k: FloatKernels, threads: number) => Float32Array): void {
  const want = new Uint32Array(run(native!.with({ threads: 1 }), 1).slice().buffer);
  for (const threads of [2, 3]) {
    const got = new Uint32Array(run(native!.with({ threads }), threads).slice().buffer);
    assert.equal(got.length, want.length, `${label}: length on ${threads} threads`);
    const i = firstDifference(got, want);
    assert.equal(i, -1, `${label}: element ${i} differs on ${threads} threads from 1 thread`);
  }
}

/** The arrays one after another. */
function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

Deno.test({
  name: "float conv2d: 1, 2 and 3 threads give the same bits, down to 1 output pixel and many channel blocks",
  ignore: native === undefined,
  fn() {
    const geos: WindowGeometry[] = [
      // XNORNet's 6x6 layer in small: one output pixel, many channel blocks.
      { inputShape: [1, 6, 6, 8], kernelSize: [6, 6], padding: "valid" },
      { inputShape: [1, 3, 3, 5], kernelSize: [3, 3], padding: "valid" },
      // 2 and 4 output pixels (below and at the thread counts), padded borders.
      { inputShape: [1, 2, 1, 7], kernelSize: [3, 3], padding: "same" },
      { inputShape: [1, 3, 3, 4], kernelSize: [2, 2], strides: [2, 2], padding: "same" },
      // 7x7 layers: 49 pixels, a few row chunks; a dilation (im2col rows, not in place).
      { inputShape: [1, 7, 7, 16], kernelSize: [3, 3], padding: "same" },
      { inputShape: [1, 7, 7, 9], kernelSize: [3, 3], dilations: [2, 2], padding: "same" },
      // Many row chunks: no block groups.
      { inputShape: [2, 23, 21, 3], kernelSize: [3, 3], padding: "same" },
    ];
    for (const g of geos) {
      const cin = g.inputShape[3], kh = g.kernelSize[0], kw = g.kernelSize[1];
      for (const cout of [1, 31, 33, 96, 257]) {
        const x = rand(size(g.inputShape), cin + cout), w = rand(cout * kh * kw * cin, cout), bias = rand(cout, 5);
        sameOnEveryThreadCount(`conv2d ${JSON.stringify(g)}→${cout}`, (k) => {
          const workspace = new Float32Array(Math.max(1, k.conv2dWorkspaceFloats(g)));
          return k.conv2d(x, k.packRhs(w, cout), { ...g, bias, clampMin: -1, clampMax: 1, workspace });
        });
      }
    }
  },
});

Deno.test({
  name: "depthwise conv2d: 1, 2 and 3 threads give the same bits, few rows cut into channel groups",
  ignore: native === undefined,
  fn() {
    const geos: WindowGeometry[] = [
      // QuickNet's last transition (7 output rows, 256 channels: row × channel-group tasks), a 1-row layer past
      // the one-thread floor, a SAME border with a channel tail past the vectors, many rows (rows only).
      { inputShape: [1, 13, 13, 256], kernelSize: [3, 3], strides: [2, 2], padding: "same" },
      { inputShape: [1, 3, 40, 600], kernelSize: [3, 3], padding: "valid" },
      { inputShape: [1, 7, 7, 200], kernelSize: [3, 3], padding: "same" },
      { inputShape: [2, 9, 11, 37], kernelSize: [3, 2], dilations: [2, 1], padding: "same" },
      { inputShape: [1, 3, 3, 5], kernelSize: [3, 3], padding: "same" },
    ];
    for (const g of geos) {
      for (const multiplier of [1, 2]) {
        const c = g.inputShape[3], cout = c * multiplier;
        const x = rand(size(g.inputShape), c + multiplier), w = rand(g.kernelSize[0] * g.kernelSize[1] * cout, 3);
        const bias = rand(cout, 7);
        sameOnEveryThreadCount(
          `depthwise ${JSON.stringify(g)} x${multiplier}`,
          (k) => k.depthwise(x, w, { ...g, multiplier, bias, clampMin: -1, clampMax: 1 }),
        );
      }
    }
  },
});

Deno.test({
  name: "pooling (max, average, max with argmax, binary max): 1, 2 and 3 threads give the same bits, down to one row",
  ignore: native === undefined,
  fn() {
    const binary = BinaryKernels.native();
    const geos: WindowGeometry[] = [
      // Global pools (one output row: channel groups only), 7x7 outputs (few rows), a padded SAME pool.
      { inputShape: [1, 56, 56, 64], kernelSize: [56, 56], strides: [56, 56], padding: "valid" },
      { inputShape: [1, 7, 7, 100], kernelSize: [7, 7], padding: "valid" },
      { inputShape: [1, 14, 14, 33], kernelSize: [2, 2], strides: [2, 2], padding: "valid" },
      { inputShape: [2, 13, 13, 96], kernelSize: [3, 3], strides: [2, 2], padding: "same" },
      { inputShape: [1, 3, 3, 1], kernelSize: [3, 3], padding: "same" },
      // Past the one-thread limit (64K taps) with few rows: one row and seven rows cut into channel groups.
      { inputShape: [1, 7, 7, 1400], kernelSize: [7, 7], padding: "valid" },
      { inputShape: [1, 14, 14, 700], kernelSize: [2, 2], strides: [2, 2], padding: "valid" },
    ];
    for (const g of geos) {
      const x = rand(size(g.inputShape), size(g.inputShape));
      for (const kind of ["max", "avg"] as const) {
        sameOnEveryThreadCount(`${kind} pool ${JSON.stringify(g)}`, (k) => k.pool2d(x, { ...g, kind, clampMax: 0.9 }));
      }
      const arg = (k: FloatKernels) => {
        const bound = k.bindMaxPoolArgmax(g);
        const out = new Float32Array(bound.outputLength), argmax = new Int32Array(bound.outputLength);
        bound.run(x, out, argmax);
        return { out, argmax };
      };
      sameOnEveryThreadCount(`max pool with argmax ${JSON.stringify(g)}`, (k) => arg(k).out);
      sameOnEveryThreadCount(`argmax ${JSON.stringify(g)}`, (k) => new Float32Array(arg(k).argmax.buffer));
      // Binary: inputShape[3] counts words.
      const words = new Uint32Array(x.buffer);
      sameOnEveryThreadCount(`binary max pool ${JSON.stringify(g)}`, (_, threads) => {
        const bound = binary.with({ threads }).bindBMaxPool2d(g);
        const out = new Uint32Array(bound.outputLength);
        bound.run(words, out);
        return new Float32Array(out.buffer);
      });
    }
  },
});

Deno.test({
  name: "strided ops: 1, 2 and 3 threads give the same bits, rank 1 (operands that merge into one dim) included",
  ignore: native === undefined,
  fn() {
    for (const n of [1, 2, 65535, 65536, 200001]) {
      const a = rand(n, n), b = rand(n, n + 1);
      const flat = { length: n, strides: [1] };
      for (const op of ["prelu", "max", "add", "copy"] as const) {
        sameOnEveryThreadCount(`${op} over ${n} values`, (k) => {
          const out = new Float32Array(n);
          k.bindStrided([n], op, { a: flat, b: flat, out: flat }, { clampMin: -0.5 }).run(a, b, out);
          return out;
        });
      }
      // Every other value of a into the first half of out (strides 2 and 1), and a scalar broadcast.
      const half = n >> 1;
      if (half > 0) {
        sameOnEveryThreadCount(`strided copy of ${half} values`, (k) => {
          const out = new Float32Array(half);
          k.bindStrided([half], "copy", { a: { length: n, strides: [2] }, out: { length: half, strides: [1] } })
            .run(a, undefined, out);
          return out;
        });
        sameOnEveryThreadCount(`scalar mul over ${half} values`, (k) => {
          const out = new Float32Array(half);
          k.bindStrided([half], "mul", {
            a: { length: half, strides: [1] },
            b: { length: 1, strides: [0] },
            out: { length: half, strides: [1] },
          })
            .run(a.subarray(0, half), b.subarray(0, 1), out);
          return out;
        });
      }
    }
  },
});

Deno.test({
  name: "bitpack (LceQuantize): 1, 2 and 3 threads give the same words, from 1 row to QuickNet's 56x56x64",
  ignore: native === undefined,
  fn() {
    const binary = BinaryKernels.native();
    for (const [rows, channels] of [[1, 64], [2, 33], [1025, 64], [3136, 64], [784, 128], [196, 256], [3, 70000]]) {
      const x = rand(rows * channels, rows + channels);
      x[5] = 0, x[6] = -0, x[7] = NaN; // pack as +1 (x < 0 is false)
      sameOnEveryThreadCount(`bitpack ${rows}x${channels}`, (_, threads) => {
        const words = binary.with({ threads }).bitpack(x, channels, { threads });
        return new Float32Array(words.buffer);
      });
    }
  },
});

Deno.test({
  name: "binary im2col: 1, 2 and 3 threads give the same words, below and above the split (32K words)",
  ignore: native === undefined,
  fn() {
    const binary = BinaryKernels.native();
    const cases = [
      { inputShape: [64, 13, 13, 32], kernelSize: [3, 3] }, // larq's MNIST CNN, second convolution
      { inputShape: [2, 56, 56, 64], kernelSize: [3, 3], padding: "same" }, // QuickNet's first blocks
      { inputShape: [3, 15, 17, 96], kernelSize: [3, 2], strides: [2, 1], dilations: [1, 2], padding: "same" },
      { inputShape: [1, 5, 5, 32], kernelSize: [3, 3] }, // one thread
    ] as const;
    for (const g of cases) {
      const [n, h, w, c] = g.inputShape;
      const bits = binary.bitpack(rand(n * h * w * c, h + c), c);
      sameOnEveryThreadCount(`im2col ${JSON.stringify(g)}`, (_, threads) => {
        const words = binary.with({ threads }).im2col(bits, g);
        return new Float32Array(words.buffer, words.byteOffset, words.length);
      });
    }
  },
});

Deno.test({
  name: "elementwise and unary ops: 1, 2 and 3 threads give the same bits around the split threshold",
  ignore: native === undefined,
  fn() {
    for (const n of [32767, 32768, 50000, 200003]) {
      const a = rand(n, n), b = rand(n, n + 2);
      for (const op of ["add", "mul"] as const) {
        sameOnEveryThreadCount(`${op} over ${n}`, (k) => {
          const out = new Float32Array(n);
          k.bindElementwise(n, op, { clampMax: 0.5 }).run(a, b, out);
          return out;
        });
      }
      for (const op of ["logistic", "tanh", "relu"] as const) {
        sameOnEveryThreadCount(`${op} over ${n}`, (k) => {
          const out = new Float32Array(n);
          k.bindUnary(n, op).run(a, out);
          return out;
        });
      }
    }
  },
});

Deno.test({
  name: "float sgemm (FULLY_CONNECTED): 1, 2 and 3 threads give the same bits, below and above the split threshold",
  ignore: native === undefined,
  fn() {
    for (
      const [rows, depth, cout] of [[1, 64, 8], [1, 512, 32], [1, 32, 512], [1, 4096, 1000], [3, 100, 300], [
        49,
        512,
        64,
      ]]
    ) {
      const x = rand(rows * depth, rows + depth), w = rand(cout * depth, cout), bias = rand(cout, 3);
      sameOnEveryThreadCount(`sgemm ${rows}x${depth}→${cout}`, (k) => k.sgemm(x, k.packRhs(w, cout), { bias }));
    }
  },
});

Deno.test({
  name: "float sgemm split by row groups (channels ≤ rows: a filter gradient's shape): 1, 2 and 3 threads, same bits",
  ignore: native === undefined,
  fn() {
    // Rows past the channels, with uneven row chunks per group and a partial last tile and block.
    for (
      const [rows, depth, cout] of [[600, 32, 96], [1001, 17, 33], [257, 40, 64], [4608, 32, 512], [3136, 32, 64], [
        997,
        33,
        65,
      ], [250, 64, 31]]
    ) {
      const x = rand(rows * depth, rows + depth), w = rand(cout * depth, cout), bias = rand(cout, 3);
      sameOnEveryThreadCount(`sgemm ${rows}x${depth}→${cout}`, (k) => k.sgemm(x, k.packRhs(w, cout), { bias }));
    }
  },
});

Deno.test({
  name: "float sgemm of large depth (a filter gradient over a batch): 1, 2 and 3 threads, same bits",
  ignore: native === undefined,
  fn() {
    // MNIST's filter gradient, rows past one chunk, one row, few channels and many.
    for (const [rows, depth, cout] of [[64, 7744, 288], [200, 2100, 40], [1, 2048, 27], [9, 3073, 100]]) {
      const x = rand(rows * depth, rows + depth), w = rand(cout * depth, cout), bias = rand(cout, 3);
      sameOnEveryThreadCount(`sgemm ${rows}x${depth}→${cout}`, (k) => k.sgemm(x, k.packRhs(w, cout), { bias }));
    }
  },
});

Deno.test({
  name: "float weight packing (packRhs, packRhsKN): 1, 2 and 3 threads give the same floats, below and above the split",
  ignore: native === undefined,
  fn() {
    for (const [depth, cout] of [[100, 33], [1000, 100], [9000, 33], [7744, 288]]) {
      const w = rand(depth * cout, depth + cout);
      sameOnEveryThreadCount(`packRhs ${cout}x${depth}`, (k) => k.packRhs(w, cout).data);
      sameOnEveryThreadCount(`packRhsKN ${depth}x${cout}`, (k) => k.packRhsKN(w, cout).data);
    }
  },
});

Deno.test({
  name: "softmax: 1, 2 and 3 threads give the same bits (rows split from 32K values, each row on one thread)",
  ignore: native === undefined,
  fn() {
    for (const [rows, depth] of [[1, 1000], [3, 10], [40, 1000], [4099, 9]]) {
      const x = rand(rows * depth, rows + depth, 30);
      sameOnEveryThreadCount(`softmax ${rows}x${depth}`, (k) => {
        const out = new Float32Array(rows * depth);
        k.bindSoftmax(rows, depth, { beta: 0.7 }).run(x, out);
        return out;
      });
    }
  },
});

Deno.test({
  name:
    "training BatchNormalization (one phase, and sums by channels then outputs by rows): 1, 2 and 3 threads, same bits",
  ignore: native === undefined,
  fn() {
    // MNIST's 32 and 64 channels (two phases on 2 and 3 threads), channels not a multiple of 16, QuickNet's 512
    // (64-channel blocks on every thread count), and a layer below the split threshold.
    for (const [rows, channels] of [[43264, 32], [7744, 64], [1001, 70], [600, 129], [128, 512], [64, 64], [3, 700]]) {
      const x = rand(rows * channels, rows + channels), dy = rand(rows * channels, channels);
      const gamma = rand(channels, 3).map((v) => v + 2), beta = rand(channels, 4);
      const forward = (threads: number) =>
        TrainKernels.native({ threads }).bnForward(x, channels, { gamma, beta, epsilon: 1e-3 });
      const stats = forward(1).stats;
      sameOnEveryThreadCount(`bnForward ${rows}x${channels}`, (_, threads) => {
        const { y, stats } = forward(threads);
        return concat(stats, y);
      });
      sameOnEveryThreadCount(`bnBackward ${rows}x${channels}`, (_, threads) => {
        const g = TrainKernels.native({ threads }).bnBackward(x, dy, stats, {
          channels,
          gamma,
          hasBeta: true,
          epsilon: 1e-3,
        });
        return concat(g.dgamma!, g.dbeta!, g.dx);
      });
    }
  },
});

Deno.test({
  name: "sign, ste_sign and approx_sign passes (16 lanes and a tail): 1, 2 and 3 threads give the same bits",
  ignore: native === undefined,
  fn() {
    for (const n of [37, 65535, 65536, 200003]) {
      const x = rand(n, n, 2), dy = rand(n, n + 1);
      x[3] = NaN, x[4] = -0;
      sameOnEveryThreadCount(`sign ${n}`, (_, threads) => TrainKernels.native({ threads }).sign(x));
      sameOnEveryThreadCount(
        `steSignGrad ${n}`,
        (_, threads) => TrainKernels.native({ threads }).steSignGrad(x, dy, 1),
      );
      sameOnEveryThreadCount(
        `approxSignGrad ${n}`,
        (_, threads) => TrainKernels.native({ threads }).approxSignGrad(x, dy),
      );
    }
  },
});

Deno.test({
  name: "small-cin filter gradient (chunks of output rows, added in order): 1, 2 and 3 threads give the same bits",
  ignore: native === undefined,
  fn() {
    // MNIST's first layer (16 chunks of 104 rows), a 3x3 RGB stem of 27 taps in three groups (9 chunks: the
    // partial sums' bound), 2 images of 7 rows (fewer rows than chunks); two channel blocks and a tail.
    const cases: (WindowGeometry & { filters: number })[] = [
      { inputShape: [64, 28, 28, 1], kernelSize: [3, 3], filters: 32 },
      { inputShape: [3, 30, 20, 3], kernelSize: [3, 3], strides: [2, 1], padding: "same", filters: 70 },
      { inputShape: [2, 7, 9, 2], kernelSize: [4, 4], padding: "same", filters: 33 },
    ];
    for (const g of cases) {
      const p = planWindow(g);
      const x = rand(size(g.inputShape), p.channels + g.filters);
      const dy = rand(p.batch * p.out_h * p.out_w * g.filters, g.filters);
      sameOnEveryThreadCount(
        `conv2dBackFilter ${JSON.stringify(g)}`,
        (_, threads) => TrainKernels.native({ threads }).conv2dBackFilter(x, dy, g),
      );
    }
  },
});
