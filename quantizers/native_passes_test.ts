/**
 * ste_sign's and approx_sign's forward pass and pseudo-gradient on the
 * compiled training passes (native, wasm) equal the TypeScript path bit for
 * bit through the graph, on tensors past the size where the compiled passes
 * take over.
 */
import assert from "node:assert/strict";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { random, run } from "../graph/_test_passes.ts";
import { ApproxSign } from "./approx_sign.ts";
import { SteSign } from "./ste_sign.ts";

for (const [label, make] of [["native", FloatKernels.native], ["wasm", FloatKernels.wasm]] as const) {
  Deno.test(`ste_sign and approx_sign on ${label} equal the TypeScript path bit for bit`, () => {
    let k: FloatKernels;
    try {
      k = make();
    } catch (e) {
      if (label === "wasm" || Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
      return;
    }
    for (const q of [new SteSign({ clipValue: 1.25 }), new SteSign(), new ApproxSign()]) {
      const x = [random([5, 9, 9, 20], 3)];
      assert.deepEqual(run(k, (v) => q.call(v), x), run("reference", (v) => q.call(v), x), q.name);
    }
  });
}
