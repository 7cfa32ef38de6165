import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import { nativePasses } from "../graph/native.ts";
import { Tensor } from "../graph/tensor.ts";
import { NO_OPTIONS, optionsFromConfig, type OptionSpecs } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/**
 * Sign with a piecewise-linear "approximate sign" gradient (Bi-Real Net,
 * Liu et al. 2018, https://arxiv.org/abs/1808.00278).
 *
 * Forward: sign(x) (sign(0) = +1).
 * Pseudo-gradient: dy·(2 - 2|x|) where |x| ≤ 1, else 0.
 *
 * @example
 * ```ts
 * import { ApproxSign } from "./approx_sign.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new ApproxSign().call(Tensor.from([-0.3, 0])).toArray()); // [-1, 1]
 * ```
 */
export class ApproxSign extends Quantizer {
  /** larq's alias. */
  static readonly alias = "approx_sign";
  /** Keras/larq class names. */
  static readonly classNames = ["ApproxSign"] as const;
  /** No options (larq's clip is fixed at 1). */
  static readonly optionSpecs: OptionSpecs<Record<never, never>> = NO_OPTIONS;
  /** larq's alias, `"approx_sign"` (the string a layer option accepts). */
  readonly name: string = ApproxSign.alias;
  /** The class name `getConfig` writes, `"ApproxSign"` (what Keras/larq files call it). */
  readonly className: string = ApproxSign.classNames[0];
  /** Bits of the output: 1 (two levels). */
  readonly precision = 1;
  /** Lowers to a sign binarize node (sign(0) = +1). */
  override readonly binarizeMode: InputLowering = "sign";
  readonly #f = customGradient((x: Tensor) => ({
    value: ops.sign(x),
    grad: (dy) => {
      const native = nativePasses(x.size, x.data, dy.data);
      if (native && x.size === dy.size) {
        return new Tensor(native.approxSignGrad(x.data as Float32Array, dy.data as Float32Array), dy.shape);
      }
      const a = ops.abs(x);
      return ops.where(ops.greaterEqual(1, a), ops.mul(ops.mul(ops.sub(1, a), 2), dy), 0);
    },
  }));

  /** An ApproxSign from larq's config (no options). */
  static fromConfig(config: Record<string, unknown>): ApproxSign {
    optionsFromConfig(ApproxSign, config);
    return new ApproxSign();
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    return this.#f(x);
  }
}
