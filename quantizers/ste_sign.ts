import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { CLIP_VALUE, clippedGradient } from "./_common.ts";
import { optionsFromConfig, type OptionSpecs, resolveOptions } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/** Options of {@link SteSign}. */
export interface SteSignOptions {
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. Default 1 (config key `clip_value`). */
  clipValue?: number | null;
}

/**
 * Sign with a clipped straight-through estimator (Hubara et al. 2016,
 * "Binarized Neural Networks", https://arxiv.org/abs/1602.02830).
 *
 * Forward: sign(x) = -1 for x < 0, +1 otherwise (sign(0) = +1).
 * Pseudo-gradient: dy where |x| ≤ clipValue, else 0 (clipValue null: dy).
 *
 * @example
 * ```ts
 * import { SteSign } from "./ste_sign.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SteSign({ clipValue: 1.25 }).call(Tensor.from([-0.3, 0, 2])).toArray()); // [-1, 1, 1]
 * ```
 */
export class SteSign extends Quantizer {
  /** larq's alias. */
  static readonly alias = "ste_sign";
  /** Keras/larq class names. */
  static readonly classNames = ["SteSign"] as const;
  /** Options: clipValue (`clip_value`). */
  static readonly optionSpecs: OptionSpecs<SteSignOptions> = { clipValue: CLIP_VALUE };
  /** larq's alias, `"ste_sign"` (the string a layer option accepts). */
  readonly name: string = SteSign.alias;
  /** The class name `getConfig` writes, `"SteSign"` (what Keras/larq files call it). */
  readonly className: string = SteSign.classNames[0];
  /** Bits of the output: 1 (two levels). */
  readonly precision = 1;
  /** Lowers to a sign binarize node (sign(0) = +1). */
  override readonly binarizeMode: InputLowering = "sign";
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. */
  readonly clipValue: number | null;
  readonly #f: (x: Tensor) => Tensor;

  /** A SteSign from camelCase options (each checked; see SteSignOptions). */
  constructor(options: SteSignOptions = {}) {
    super();
    const clip = this.clipValue = resolveOptions(SteSign, options).clipValue;
    this.#f = customGradient((x: Tensor) => ({ value: ops.sign(x), grad: (dy) => clippedGradient(x, dy, clip) }));
  }

  /** A SteSign from larq's config (`{ clip_value: 1.25 }`). */
  static fromConfig(config: Record<string, unknown>): SteSign {
    return new SteSign(optionsFromConfig(SteSign, config));
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    return this.#f(x);
  }
}
