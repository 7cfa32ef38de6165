import { customGradient, stopGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { Quantizer } from "./quantizer.ts";

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
  readonly name = "magnitude_aware_sign_unclipped";
  readonly className = "magnitude_aware_sign_unclipped";
  readonly precision = 1;

  call(x: Tensor): Tensor {
    const scale = stopGradient(ops.mean(ops.abs(x)));
    return customGradient((v: Tensor) => ({ value: ops.mul(ops.sign(v), scale), grad: (dy) => dy }))(x);
  }

  options(): Record<string, unknown> {
    return {};
  }
}
