import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { Quantizer } from "./quantizer.ts";

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
  readonly name = "approx_sign";
  readonly className = "ApproxSign";
  readonly precision = 1;
  readonly #f = customGradient((x: Tensor) => ({
    value: ops.sign(x),
    grad: (dy) => {
      const a = ops.abs(x);
      return ops.where(ops.greaterEqual(1, a), ops.mul(ops.mul(ops.sub(1, a), 2), dy), 0);
    },
  }));

  call(x: Tensor): Tensor {
    return this.#f(x);
  }

  options(): Record<string, unknown> {
    return {};
  }
}
