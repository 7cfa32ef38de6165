/**
 * The quantizer interface: a differentiable function with a precision
 * (bits) and a Keras-style config for round trips.
 * @module
 */
import type { Tensor } from "../graph/tensor.ts";

/** Keras-style serialised form: `{ class_name: "SteSign", config: { clip_value: 1 } }`. */
export interface QuantizerConfig {
  class_name: string;
  config: Record<string, unknown>;
}

export abstract class Quantizer {
  /** Bits of the output (1 for binary, 2 for ternary, k for DoReFa). */
  abstract readonly precision: number;
  /** larq's alias, e.g. `ste_sign`. */
  abstract readonly name: string;
  /** Forward pass with this quantizer's pseudo-gradient. */
  abstract call(x: Tensor): Tensor;
  /** Keras/larq class name, e.g. `SteSign`. */
  abstract readonly className: string;
  /** Constructor arguments, snake_case as larq's get_config. */
  abstract options(): Record<string, unknown>;

  /** larq's form: the constructor options (NoOp's and DoReFa's carry the precision as their own option). */
  getConfig(): QuantizerConfig {
    return { class_name: this.className, config: { ...this.options() } };
  }
}

/** Clip value: a positive number, or null (no clipping of the gradient). */
export function checkClip(name: string, v: unknown): number | null {
  if (v === null) return null;
  if (typeof v !== "number" || !(v > 0)) {
    throw new RangeError(`${name}: clip_value must be a positive number or null, got ${String(v)}`);
  }
  return v;
}
