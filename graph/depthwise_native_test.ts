/**
 * Depthwise convolutions (conv2d with one input channel per group) on the compiled kernels: the forward pass on
 * the depthwise kernel and both gradients on train_depthwise.zig equal the TypeScript path (float64 sums) within
 * float32 rounding, on a sweep of windows (multipliers 1-3, strides and dilations 1 and 2, SAME and VALID, batch 1,
 * odd sizes); 1, 2 and 3 threads and wasm give the same bits.
 */
import assert from "node:assert/strict";
import { compiledFloatKernels } from "../kernels/_test_train_backends.ts";
import { depthwiseConv2d } from "./conv.ts";
import type { Tensor } from "./tensor.ts";
import { random, run } from "./_test_passes.ts";

const CASES = [
  { x: [2, 11, 13, 32], w: [3, 3, 32, 1], strides: 2, dilations: 1, padding: "same" },
  { x: [1, 9, 9, 48], w: [3, 3, 48, 1], strides: 1, dilations: 1, padding: "same" },
  { x: [3, 10, 7, 17], w: [3, 2, 17, 2], strides: 1, dilations: 2, padding: "valid" },
  { x: [2, 12, 12, 8], w: [5, 5, 8, 3], strides: 2, dilations: 1, padding: "same" },
  { x: [4, 16, 16, 64], w: [3, 3, 64, 1], strides: 2, dilations: 1, padding: "valid" },
] as const;

Deno.test("depthwise conv on the compiled kernels equals the TS path within float32 rounding, same bits on any threads", () => {
  for (const c of CASES) {
    const what = `x[${c.x}] w[${c.w}] s${c.strides} d${c.dilations} ${c.padding}`;
    const f = (x: Tensor, w: Tensor) =>
      depthwiseConv2d(x, w, { strides: c.strides, dilations: c.dilations, padding: c.padding });
    const xs = [random(c.x, 1), random(c.w, 2)];
    const want = run("reference", f, xs);
    let first: number[][] | undefined;
    for (const [label, k] of compiledFloatKernels) {
      const got = run(k, f, xs);
      if (label !== "wasm") {
        if (first === undefined) first = got;
        else assert.deepEqual(got, first, `${what} ${label}: the bits of 1 thread`);
      }
      got.forEach((g, i) => {
        const scale = Math.max(1, ...want[i].map(Math.abs));
        const worst = Math.max(...g.map((v, j) => Math.abs(v - want[i][j])));
        assert.ok(worst <= 1e-5 * scale, `${what} ${label} part ${i}: off by ${worst} (scale ${scale})`);
      });
    }
  }
});
