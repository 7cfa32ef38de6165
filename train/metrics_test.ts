import assert from "node:assert/strict";
import { Tensor } from "../graph/tensor.ts";
import { FlipRatio } from "./metrics.ts";

Deno.test("FlipRatio: larq's sequence [1,1] → [2,2] → [1,2] gives 0, 1, 0.75", () => {
  const m = new FlipRatio();
  const got = [[1, 1], [2, 2], [1, 2]].map((v) => {
    m.update(Tensor.from(v));
    return m.result();
  });
  assert.deepEqual(got, [0, 1, 0.75]);
  m.reset();
  assert.equal(m.result(), 0);
  m.update(Tensor.from([1]));
  assert.throws(() => m.update(Tensor.from([1, 2])), RangeError);
});
