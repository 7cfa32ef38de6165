/**
 * The arithmetic of binary layers for the converter: per-channel weight
 * scales, output thresholds for bitpacked outputs, and bitpacking of ±1
 * filters (lce-compat.md).
 * @module
 */
import { bitpack, wordsFor } from "../kernels/reference_kernels.ts";
import type { FusedActivation } from "./graph.ts";

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * Splits an HWIO kernel [kh, kw, cin, cout] into ±1 signs (OHWI) and one
 * magnitude per output channel, or says why it cannot: every weight of a
 * channel must be ±s (a relative spread of 1e-6 is allowed for float noise).
 * sign(0) = +1; an all-zero channel has scale 0.
 */
export function splitSigns(
  filter: Float32Array,
  shape: readonly [number, number, number, number],
): { signs: Float32Array; scales: Float32Array } | { reason: string } {
  const [kh, kw, cin, cout] = shape, taps = kh * kw * cin;
  const signs = new Float32Array(cout * taps), scales = new Float32Array(cout);
  for (let c = 0; c < cout; c++) {
    let s = 0;
    for (let t = 0; t < taps; t++) s = Math.max(s, Math.abs(filter[t * cout + c]));
    for (let t = 0; t < taps; t++) {
      const w = filter[t * cout + c];
      if (Math.abs(Math.abs(w) - s) > 1e-6 * s) {
        return {
          reason: `its quantized kernel is not ±scale per output channel (channel ${c} has weights ${s} and ${w})`,
        };
      }
      signs[c * taps + t] = w < 0 ? -1 : 1;
    }
    scales[c] = s;
  }
  return { signs, scales };
}

/**
 * Packs ±1 rows of `channels` values along the last axis with the runtime's
 * own bitpacking rule (bit 1 for x < 0, LSB first, padding bits 0), as the
 * int32 words a TFLite tensor stores.
 */
export function packSigns(values: Float32Array, channels: number): Int32Array {
  const rows = values.length / channels;
  const out = new Uint32Array(rows * wordsFor(channels));
  bitpack({ rows, channels, threads: 1 }, values, out);
  return new Int32Array(out.buffer);
}

/** The clamp range a fused activation applies to the raw ±1 dot product. */
export function clampRange(act: FusedActivation): [number, number] {
  switch (act) {
    case "none":
      return [-Infinity, Infinity];
    case "relu":
      return [0, Infinity];
    case "relu_n1_to_1":
      return [-1, 1];
    case "relu6":
      return [0, 6];
  }
}

/**
 * Output thresholds of a bitpacked LceBconv2d: output bit c is 1 (value -1)
 * iff acc > threshold[c], where acc counts disagreeing bits, which says
 * `clamp(K - 2·acc)·γ + β < 0` for filters whose channels with γ < 0 are
 * sign-flipped (`flip[c]`). K is the real tap count kh·kw·cin_per_group.
 *
 * @example
 * ```ts
 * import { thresholds } from "./binary.ts";
 * const { threshold } = thresholds(
 *   Float32Array.from([-4, -3, -2, -1, 0, 1, 2, 3]),
 *   Float32Array.from([-10, 8, 0.4, 1, -0.01, 0.5, -1, 2.71]),
 *   4,
 *   "none",
 * );
 * console.log([...threshold]); // [0, 3, 2, 2, -2147483648, 2, 1, 2]
 * ```
 */
export function thresholds(
  multiplier: Float32Array,
  bias: Float32Array,
  depth: number,
  act: FusedActivation,
): { threshold: Int32Array; flip: boolean[] } {
  const n = multiplier.length, threshold = new Int32Array(n), flip: boolean[] = [];
  const [lo, hi] = clampRange(act);
  for (let c = 0; c < n; c++) {
    const g = multiplier[c], b = bias[c];
    flip.push(g < 0);
    // The output's sign when the raw value is pinned by the clamp, or by γ = 0.
    const always = (negative: boolean) => (threshold[c] = negative ? INT32_MIN : INT32_MAX);
    if (g === 0) {
      always(b < 0);
      continue;
    }
    // In terms of the flipped raw value r' = sign(γ)·raw, the clamp is [lo', hi'].
    const [rlo, rhi] = g > 0 ? [lo, hi] : [-hi, -lo];
    const cut = -b / Math.abs(g); // output < 0  ⇔  r' < cut
    if (rhi < cut) always(true);
    else if (rlo >= cut) always(false);
    else {
      // r' = K - 2·acc' < cut  ⇔  acc' > (K - cut) / 2.
      const t = Math.floor(0.5 * (depth - cut));
      threshold[c] = Math.max(INT32_MIN, Math.min(INT32_MAX, t));
    }
  }
  return { threshold, flip };
}
