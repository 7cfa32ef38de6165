import { customGradient, stopGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { NO_OPTIONS, optionsFromConfig, type OptionSpecs } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/**
 * Scaled sign with an identity gradient, larq-zoo's DoReFaNet weights
 * quantizer (Zhou et al. 2016, https://arxiv.org/abs/1606.06160).
 *
 * Forward: s·sign(x), s = mean |x| over the whole tensor (not differentiated).
 * Pseudo-gradient: dy (identity, unclipped, unscaled).
 *
 * @example
 * ```ts
 * import { MagnitudeAwareSignUnclipped } from "./magnitude_aware_sign_unclipped.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new MagnitudeAwareSignUnclipped().call(Tensor.from([1, -3])).toArray()); // [2, -2]
 * ```
 */
export class MagnitudeAwareSignUnclipped extends Quantizer {
  /** larq-zoo's alias. */
  static readonly alias = "magnitude_aware_sign_unclipped";
  /** Its name in configs (larq-zoo registers the function, not a class). */
  static readonly classNames = ["magnitude_aware_sign_unclipped"] as const;
  /** No options. */
  static readonly optionSpecs: OptionSpecs<Record<never, never>> = NO_OPTIONS;
  /** larq's alias, `"magnitude_aware_sign_unclipped"` (the string a layer option accepts). */
  readonly name: string = MagnitudeAwareSignUnclipped.alias;
  /** The class name `getConfig` writes, `"magnitude_aware_sign_unclipped"` (what Keras/larq files call it). */
  readonly className: string = MagnitudeAwareSignUnclipped.classNames[0];
  /** Bits of the output: 1 (two levels). */
  readonly precision = 1;
  /** A scaled sign: no TFLite lowering on a layer's input (it quantizes weights). */
  override readonly binarizeMode: InputLowering = null;

  /** A MagnitudeAwareSignUnclipped from its config (no options). */
  static fromConfig(config: Record<string, unknown>): MagnitudeAwareSignUnclipped {
    optionsFromConfig(MagnitudeAwareSignUnclipped, config);
    return new MagnitudeAwareSignUnclipped();
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    const scale = stopGradient(ops.mean(ops.abs(x)));
    return customGradient((v: Tensor) => ({ value: ops.mul(ops.sign(v), scale), grad: (dy) => dy }))(x);
  }
}
