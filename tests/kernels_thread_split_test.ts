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

let native: FloatKernels | undefined;
try {
  native = FloatKernels.native();
} catch (e) {
  if (Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
}

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
}

/** `run` on 1 thread, then on 2 and 3: the same bits (NaN-safe: compared as words). */
function sameOnEveryThreadCount(label: string, run: (k: FloatKernels) => Float32Array): void {
  const want = new Uint32Array(run(native!.with({ threads: 1 })).slice().buffer);
  for (const threads of [2, 3]) {
    const got = new Uint32Array(run(native!.with({ threads })).slice().buffer);
    assert.equal(got.length, want.length, `${label}: length on ${threads} threads`);
    const i = got.findIndex((v, j) => v !== want[j]);
    assert.equal(i, -1, `${label}: element ${i} differs on ${threads} threads from 1 thread`);
  }
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
