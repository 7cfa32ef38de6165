import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { SteSign } from "./ste_sign.ts";
import { NO_OPTIONS, optionsFromConfig, type OptionSpecs } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/**
 * XNOR-Net's weight binarization with a per-filter scale, as larq-zoo's
 * XNORNet (Rastegari et al. 2016, https://arxiv.org/abs/1603.05279).
 *
 * Forward: c = clip(x, -1, 1); α = mean |c| over every axis but the last
 * (H, W, I of a kernel); α·sign(c).
 * Gradient: through α and a straight-through sign (both differentiated).
 *
 * @example
 * ```ts
 * import { XnorWeightScale } from "./xnor_weight_scale.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new XnorWeightScale().call(Tensor.from([[0.5], [-2]])).toArray()); // [[0.75], [-0.75]]
 * ```
 */
export class XnorWeightScale extends Quantizer {
  /** larq-zoo's alias. */
  static readonly alias = "xnor_weight_scale";
  /** Its name in configs (larq-zoo registers the function, not a class). */
  static readonly classNames = ["xnor_weight_scale"] as const;
  /** No options. */
  static readonly optionSpecs: OptionSpecs<Record<never, never>> = NO_OPTIONS;
  /** larq's alias, `"xnor_weight_scale"` (the string a layer option accepts). */
  readonly name: string = XnorWeightScale.alias;
  /** The class name `getConfig` writes, `"xnor_weight_scale"` (what Keras/larq files call it). */
  readonly className: string = XnorWeightScale.classNames[0];
  /** Bits of the output: 1 (two levels). */
  readonly precision = 1;
  /** A scaled sign: no TFLite lowering on a layer's input (it quantizes weights). */
  override readonly binarizeMode: InputLowering = null;
  readonly #sign = new SteSign();

  /** An XnorWeightScale from its config (no options). */
  static fromConfig(config: Record<string, unknown>): XnorWeightScale {
    optionsFromConfig(XnorWeightScale, config);
    return new XnorWeightScale();
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    const c = ops.clipByValue(x, -1, 1);
    const alpha = ops.mean(ops.abs(c), x.shape.slice(0, -1).map((_, i) => i), true);
    return ops.mul(alpha, this.#sign.call(c));
  }
}
