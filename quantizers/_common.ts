/** Shared pieces of the quantizers: the clipped straight-through gradient. @module */
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";

/** dy where |x| ≤ clip (inclusive), else 0; clip null passes dy through (larq's _clipped_gradient). */
export function clippedGradient(x: Tensor, dy: Tensor, clip: number | null): Tensor {
  if (clip === null) return dy;
  return ops.where(ops.greaterEqual(clip, ops.abs(x)), dy, 0);
}
