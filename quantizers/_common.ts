/** Shared pieces of the quantizers: the clipped straight-through gradient. @module */
import * as ops from "../graph/ops.ts";
import { Tensor } from "../graph/tensor.ts";

/** dy where |x| ≤ clip (inclusive, clip in x's precision), else 0; clip null passes dy through (larq's _clipped_gradient). */
export function clippedGradient(x: Tensor, dy: Tensor, clip: number | null): Tensor {
  if (clip === null) return dy;
  if (x.size !== dy.size || x.dtype !== dy.dtype) return ops.where(ops.greaterEqual(clip, ops.abs(x)), dy, 0);
  // One pass (this runs on every activation of every binary layer in each backward pass).
  const c = x.dtype === "float32" ? Math.fround(clip) : clip;
  const X = x.data, D = dy.data;
  const y = dy.dtype === "float64" ? new Float64Array(dy.size) : new Float32Array(dy.size);
  for (let i = 0; i < y.length; i++) y[i] = Math.abs(X[i]) <= c ? D[i] : 0;
  return new Tensor(y, dy.shape);
}
