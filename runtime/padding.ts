/**
 * TensorFlow's SAME/VALID arithmetic for one spatial axis, stated once for
 * the kernels, the interpreter, the training ops and the layers.
 * @module
 */

export interface AxisPlan {
  /** Output size (0 when VALID does not fit). */
  out: number;
  /** Padding before and after (SAME puts the odd one at the end). */
  before: number;
  after: number;
  /** The dilated kernel extent, (kernel - 1)·dilation + 1. */
  effective: number;
  /** False when VALID padding leaves no room for the dilated kernel. */
  fits: boolean;
}

/**
 * @example
 * ```ts
 * import { tfAxis } from "./padding.ts";
 * console.log(tfAxis(6, 3, 2, 1, "same")); // { out: 3, before: 0, after: 1, effective: 3, fits: true }
 * ```
 */
export function tfAxis(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: "same" | "valid",
): AxisPlan {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === "same") {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + effective - size, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before, effective, fits: true };
  }
  const fits = effective <= size;
  return { out: fits ? Math.floor((size - effective) / stride) + 1 : 0, before: 0, after: 0, effective, fits };
}
