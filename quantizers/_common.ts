/** Shared pieces of the quantizers: the clipped straight-through gradient and its clip option. @module */
import { stepFloat32 } from "../kernels/_step_buffers.ts";
import * as ops from "../graph/ops.ts";
import { nativePasses } from "../graph/native.ts";
import { Tensor } from "../graph/tensor.ts";
import type { OptionSpec } from "./options.ts";

/** larq's `clip_value`: the gradient passes where |x| ≤ clip_value; null passes it everywhere. Default 1. */
export const CLIP_VALUE: OptionSpec<number | null> = {
  key: "clip_value",
  default: 1.0,
  accepts: "a positive number, or null (no clipping of the gradient)",
  type: "number",
  nullable: true,
  valid: (v) => v > 0,
};

/** dy where |x| ≤ clip (inclusive, clip in x's precision), else 0; clip null passes dy through (larq's _clipped_gradient). */
export function clippedGradient(x: Tensor, dy: Tensor, clip: number | null): Tensor {
  if (clip === null) return dy;
  if (x.size !== dy.size || x.dtype !== dy.dtype) return ops.where(ops.greaterEqual(clip, ops.abs(x)), dy, 0);
  // One pass, native when compiled (this runs on every activation and kernel of every binary layer in each
  // backward pass).
  const native = nativePasses(x.size, x.data, dy.data);
  if (native) return new Tensor(native.steSignGrad(x.data as Float32Array, dy.data as Float32Array, clip), dy.shape);
  const c = x.dtype === "float32" ? Math.fround(clip) : clip;
  const X = x.data, D = dy.data;
  const y = dy.dtype === "float64" ? new Float64Array(dy.size) : stepFloat32(dy.size, true);
  for (let i = 0; i < y.length; i++) y[i] = Math.abs(X[i]) <= c ? D[i] : 0;
  return new Tensor(y, dy.shape);
}
