import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { CLIP_VALUE, clippedGradient } from "./_common.ts";
import { optionsFromConfig, type OptionSpecs, resolveOptions } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/** Options of {@link SteTern}. */
export interface SteTernOptions {
  /** Δ: |x| < Δ gives 0. Default 0.05 (config key `threshold_value`). */
  thresholdValue?: number;
  /** Δ = 0.7·mean|x| over the tensor instead of thresholdValue. Default false (config key `ternary_weight_networks`). */
  ternaryWeightNetworks?: boolean;
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. Default 1 (config key `clip_value`). */
  clipValue?: number | null;
}

/**
 * Ternarization with a clipped straight-through estimator (Ternary Weight
 * Networks, Li et al. 2016, https://arxiv.org/abs/1605.04711).
 *
 * Forward: 0 where |x| < Δ, ±1 at and beyond ±Δ. Δ = thresholdValue, or
 * with ternaryWeightNetworks Δ = 0.7·mean|x| over the whole tensor.
 * Pseudo-gradient: dy where |x| ≤ clipValue, else 0.
 *
 * @example
 * ```ts
 * import { SteTern } from "./ste_tern.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SteTern({ thresholdValue: 0.05 }).call(Tensor.from([-0.5, 0.01, 0.05])).toArray()); // [-1, 0, 1]
 * ```
 */
export class SteTern extends Quantizer {
  /** larq's alias. */
  static readonly alias = "ste_tern";
  /** Keras/larq class names. */
  static readonly classNames = ["SteTern"] as const;
  /** Options: thresholdValue, ternaryWeightNetworks, clipValue (larq's order, as its config writes them). */
  static readonly optionSpecs: OptionSpecs<SteTernOptions> = {
    thresholdValue: {
      key: "threshold_value",
      default: 0.05,
      accepts: "a number ≥ 0",
      type: "number",
      valid: (v) => v >= 0,
    },
    ternaryWeightNetworks: {
      key: "ternary_weight_networks",
      default: false,
      accepts: "true or false",
      type: "boolean",
    },
    clipValue: CLIP_VALUE,
  };
  /** larq's alias, `"ste_tern"` (the string a layer option accepts). */
  readonly name: string = SteTern.alias;
  /** The class name `getConfig` writes, `"SteTern"` (what Keras/larq files call it). */
  readonly className: string = SteTern.classNames[0];
  /** Bits of the output: 2 (three levels, -1, 0 and +1). */
  readonly precision = 2;
  /** Ternary: no TFLite lowering on a layer's input. */
  override readonly binarizeMode: InputLowering = null;
  /** Δ: |x| < Δ gives 0 (unless ternaryWeightNetworks). */
  readonly thresholdValue: number;
  /** Δ = 0.7·mean|x| over the tensor instead of thresholdValue. */
  readonly ternaryWeightNetworks: boolean;
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. */
  readonly clipValue: number | null;
  readonly #f: (x: Tensor) => Tensor;

  /** A SteTern from camelCase options (each checked; see SteTernOptions). */
  constructor(options: SteTernOptions = {}) {
    super();
    const o = resolveOptions(SteTern, options);
    this.thresholdValue = o.thresholdValue;
    this.ternaryWeightNetworks = o.ternaryWeightNetworks;
    const clip = this.clipValue = o.clipValue;
    this.#f = customGradient((x: Tensor) => {
      // TWN: (0.7 · Σ|x|) / size, in the tensor's precision and in larq's order.
      const delta = this.ternaryWeightNetworks
        ? ops.div(ops.mul(0.7, ops.sum(ops.abs(x))), x.size)
        : this.thresholdValue; // a number takes x's dtype
      // sign(sign(x + Δ) + sign(x - Δ)) with TF's sign (0 at 0): ±1 at ±Δ, 0 inside.
      const value = ops.signZero(ops.add(ops.signZero(ops.add(x, delta)), ops.signZero(ops.sub(x, delta))));
      return { value, grad: (dy) => clippedGradient(x, dy, clip) };
    });
  }

  /** A SteTern from larq's config (`{ threshold_value: 0.25, ternary_weight_networks: false, clip_value: 1 }`). */
  static fromConfig(config: Record<string, unknown>): SteTern {
    return new SteTern(optionsFromConfig(SteTern, config));
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    return this.#f(x);
  }
}
