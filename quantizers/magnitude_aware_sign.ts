import { stopGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { CLIP_VALUE } from "./_common.ts";
import { optionsFromConfig, type OptionSpecs, resolveOptions } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";
import { SteSign } from "./ste_sign.ts";

/** Options of {@link MagnitudeAwareSign}. */
export interface MagnitudeAwareSignOptions {
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. Default 1 (config key `clip_value`). */
  clipValue?: number | null;
}

/**
 * Scaled sign for weights (Bi-Real Net, Liu et al. 2018,
 * https://arxiv.org/abs/1808.00278).
 *
 * Forward: s·sign(x), s = mean |x| over every axis but the last (one scale
 * per output channel), not differentiated.
 * Pseudo-gradient: s·dy where |x| ≤ clipValue, else 0.
 *
 * @example
 * ```ts
 * import { MagnitudeAwareSign } from "./magnitude_aware_sign.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new MagnitudeAwareSign().call(Tensor.from([[0.5], [-1.5]])).toArray()); // [[1], [-1]]
 * ```
 */
export class MagnitudeAwareSign extends Quantizer {
  /** larq's alias. */
  static readonly alias = "magnitude_aware_sign";
  /** Keras/larq class names. */
  static readonly classNames = ["MagnitudeAwareSign"] as const;
  /** Options: clipValue (`clip_value`). */
  static readonly optionSpecs: OptionSpecs<MagnitudeAwareSignOptions> = { clipValue: CLIP_VALUE };
  /** larq's alias, `"magnitude_aware_sign"` (the string a layer option accepts). */
  readonly name: string = MagnitudeAwareSign.alias;
  /** The class name `getConfig` writes, `"MagnitudeAwareSign"` (what Keras/larq files call it). */
  readonly className: string = MagnitudeAwareSign.classNames[0];
  /** Bits of the output: 1 (two levels). */
  readonly precision = 1;
  /** A scaled sign: no TFLite lowering on a layer's input (it quantizes weights). */
  override readonly binarizeMode: InputLowering = null;
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. */
  readonly clipValue: number | null;
  readonly #sign: SteSign;

  /** A MagnitudeAwareSign from camelCase options (each checked; see MagnitudeAwareSignOptions). */
  constructor(options: MagnitudeAwareSignOptions = {}) {
    super();
    this.clipValue = resolveOptions(MagnitudeAwareSign, options).clipValue;
    this.#sign = new SteSign({ clipValue: this.clipValue });
  }

  /** A MagnitudeAwareSign from larq's config (`{ clip_value: 1 }`). */
  static fromConfig(config: Record<string, unknown>): MagnitudeAwareSign {
    return new MagnitudeAwareSign(optionsFromConfig(MagnitudeAwareSign, config));
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const scale = stopGradient(ops.mean(ops.abs(x), axes));
    return ops.mul(scale, this.#sign.call(x));
  }
}
