/**
 * Argument checks shared by the windowed training ops (conv.ts, conv3d.ts,
 * locally_connected.ts): per-axis tuples, padding names, and TF's
 * SAME/VALID arithmetic of one axis with the error when VALID does not fit.
 * @module
 */
import { tfAxis } from "../kernels/geometry.ts";

/** TensorFlow padding: "same" (zeros, the odd one at the end) or "valid" (none). */
export type Padding = "same" | "valid";

/** `v` as `rank` positive integers (a number stands for all axes; undefined: `fallback`). */
export function tupleOf(v: number | readonly number[] | undefined, rank: number, name: string, fallback = 1): number[] {
  const t = v === undefined ? Array(rank).fill(fallback) : typeof v === "number" ? Array(rank).fill(v) : [...v];
  if (t.length !== rank || !t.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new RangeError(
      `${name} must be ${rank === 1 ? "a positive integer" : `${rank} positive integers`}, got ${JSON.stringify(v)}`,
    );
  }
  return t;
}

/** The padding name, "valid" by default; anything else than "same"/"valid" is a TypeError. */
export function paddingOf(v: unknown, op: string): Padding {
  const padding = v ?? "valid";
  if (padding !== "same" && padding !== "valid") {
    throw new TypeError(`${op}: padding must be "same" or "valid", got ${JSON.stringify(v)}`);
  }
  return padding;
}

/** Output size and leading padding of one axis; a RangeError when VALID padding leaves no room for the kernel. */
export function windowAxis(
  where: string,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: Padding,
): { out: number; pad: number } {
  const a = tfAxis(size, kernel, stride, dilation, padding);
  if (!a.fits) {
    throw new RangeError(
      `${where}: the dilated kernel (${a.effective}) is larger than the input (${size}) with "valid" padding`,
    );
  }
  return { out: a.out, pad: a.before };
}
