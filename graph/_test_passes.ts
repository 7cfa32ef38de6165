/** Test helpers of the training passes (graph/train_passes_test.ts, quantizers/native_passes_test.ts). @module */
import type { FloatKernels } from "../kernels/float_kernels.ts";
import { setTrainingKernels } from "./native.ts";
import * as ops from "./ops.ts";
import { seededRandom } from "./random.ts";
import { valueAndGrads } from "./tape.ts";
import { Tensor } from "./tensor.ts";

/** A float32 tensor of `shape`, uniform in ±`scale`. */
export function random(shape: readonly number[], seed: number, scale = 2): Tensor {
  const r = seededRandom(seed);
  return new Tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale),
    shape,
  );
}

/** Values and gradients of `f` at `xs` on the training kernels `k` . */
export function run(k: FloatKernels | "reference", f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): number[][] {
  setTrainingKernels(k);
  try {
    const w = random(f(...xs).shape, 99); // weights, so that each output gets its own gradient
    const { value, grads } = valueAndGrads(() => ops.sum(ops.mul(f(...xs), w)), xs);
    return [[value.item()], ...grads.map((g) => [...g.data])];
  } finally {
    setTrainingKernels("auto");
  }
}
