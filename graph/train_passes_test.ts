/**
 * The element-wise training passes through the graph: batchNormTraining's
 * forward and gradients, sign, relu, same-shape add/sub/mul and max pooling's gradient give the same bits on the compiled kernels (native, and
 * wasm) as on the TypeScript path, on tensors past the size where the
 * compiled passes take over; the tape's op profile sees each op.
 */
import assert from "node:assert/strict";
import { FloatKernels } from "../kernels/float_kernels.ts";
import * as nn from "./nn.ts";
import * as ops from "./ops.ts";
import { TrainingProfile } from "./profile.ts";
import { valueAndGrads } from "./tape.ts";
import type { Tensor } from "./tensor.ts";
import { random, run } from "./_test_passes.ts";

const compiled: [string, () => FloatKernels][] = [["native", () => FloatKernels.native()], [
  "wasm",
  () => FloatKernels.wasm(),
]];
const CASES: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
  ["batchNormTraining", (x, g, b) => nn.batchNormTraining(x, g, b, 1e-3).y, [[6, 7, 9, 33], [33], [33]]],
  ["batchNormTraining without γ, β", (x) => nn.batchNormTraining(x, null, null, 1e-5).y, [[3, 5, 5, 65]]],
  ["sign", (x) => ops.mul(ops.sign(x), x), [[5, 9, 9, 20]]],
  // Overlapping windows: inputs that are the maximum of several windows sum their gradients.
  ["maxPool2d", (x) => nn.maxPool2d(x, { poolSize: 3, strides: 2, padding: "same" }), [[3, 11, 13, 40]]],
  ["maxPool2d 2×2", (x) => nn.maxPool2d(x), [[2, 26, 26, 9]]],
  ["relu", (x) => ops.mul(ops.relu(x), x), [[5, 9, 9, 20]]],
  ["add, sub, mul", (a, b) => ops.mul(ops.sub(ops.add(a, b), ops.relu(b)), a), [[4, 9, 9, 33], [4, 9, 9, 33]]],
];

for (const [label, make] of compiled) {
  Deno.test(`training passes on ${label} equal the TypeScript path bit for bit through the graph`, () => {
    let k: FloatKernels;
    try {
      k = make();
    } catch (e) {
      if (label === "wasm" || Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
      return;
    }
    for (const [name, f, shapes] of CASES) {
      const xs = shapes.map((s, i) => random(s, 10 + i, i === 0 ? 2 : 1));
      assert.deepEqual(run(k, f, xs), run("reference", f, xs), name);
    }
  });
}

Deno.test("the op profile times each recorded op forward and backward", () => {
  const x = random([2, 3, 3, 4], 1), profile = new TrainingProfile();
  profile.during(() => valueAndGrads(() => ops.sum(ops.relu(nn.batchNormTraining(x, null, null).y)), [x]));
  assert.deepEqual([...profile.ops.keys()], ["batchNormTraining", "relu", "sum"]);
  for (const t of profile.ops.values()) assert.ok(t.calls === 1 && t.forwardMs >= 0 && t.backwardMs >= 0);
  const rows = profile.table().split("\n");
  assert.equal(rows.length, 4);
  assert.ok(
    rows.slice(1).every((r) => /^(batchNormTraining|relu|sum) +[\d.]+ +[\d.]+ +1 [\d.]+%$/.test(r)),
    rows.join("\n"),
  );
});
