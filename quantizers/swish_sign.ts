import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { optionsFromConfig, type OptionSpecs, resolveOptions } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/** Options of {@link SwishSign}. */
export interface SwishSignOptions {
  /** Steepness of the SignSwish gradient. Default 5 (config key `beta`). */
  beta?: number;
}

/**
 * Sign with the derivative of SignSwish as gradient (BNN+, Darabi et al.
 * 2018, https://arxiv.org/abs/1812.11800).
 *
 * Forward: sign(x) (sign(0) = +1).
 * Pseudo-gradient: dy·β(2 - βx·tanh(βx/2)) / (1 + cosh(βx)).
 *
 * @example
 * ```ts
 * import { SwishSign } from "./swish_sign.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SwishSign({ beta: 5 }).call(Tensor.from([0.1])).toArray()); // [1]
 * ```
 */
export class SwishSign extends Quantizer {
  /** larq's alias. */
  static readonly alias = "swish_sign";
  /** Keras/larq class names. */
  static readonly classNames = ["SwishSign"] as const;
  /** Options: beta (`beta`). */
  static readonly optionSpecs: OptionSpecs<SwishSignOptions> = {
    beta: { key: "beta", default: 5.0, accepts: "a finite number", type: "number", valid: Number.isFinite },
  };
  /** larq's alias, `"swish_sign"` (the string a layer option accepts). */
  readonly name: string = SwishSign.alias;
  /** The class name `getConfig` writes, `"SwishSign"` (what Keras/larq files call it). */
  readonly className: string = SwishSign.classNames[0];
  /** Bits of the output: 1 (two levels). */
  readonly precision = 1;
  /** Lowers to a sign binarize node (sign(0) = +1). */
  override readonly binarizeMode: InputLowering = "sign";
  /** Steepness of the SignSwish gradient. */
  readonly beta: number;
  readonly #f: (x: Tensor) => Tensor;

  /** A SwishSign from camelCase options (each checked; see SwishSignOptions). */
  constructor(options: SwishSignOptions = {}) {
    super();
    const beta = this.beta = resolveOptions(SwishSign, options).beta;
    this.#f = customGradient((x: Tensor) => ({
      value: ops.sign(x),
      grad: (dy) => {
        const bx = ops.mul(x, beta);
        const num = ops.sub(2, ops.mul(bx, ops.tanh(ops.mul(bx, 0.5))));
        return ops.div(ops.mul(ops.mul(dy, beta), num), ops.add(1, ops.cosh(bx)));
      },
    }));
  }

  /** A SwishSign from larq's config (`{ beta: 2.5 }`). */
  static fromConfig(config: Record<string, unknown>): SwishSign {
    return new SwishSign(optionsFromConfig(SwishSign, config));
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    return this.#f(x);
  }
}
