import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { Quantizer } from "./quantizer.ts";

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
  readonly name = "swish_sign";
  readonly className = "SwishSign";
  readonly precision = 1;
  readonly beta: number;
  readonly #f: (x: Tensor) => Tensor;

  constructor(options: { beta?: number } = {}) {
    super();
    const beta = options.beta ?? 5.0;
    if (typeof beta !== "number" || !Number.isFinite(beta)) {
      throw new RangeError(`swish_sign: beta must be a finite number, got ${beta}`);
    }
    this.beta = beta;
    this.#f = customGradient((x: Tensor) => ({
      value: ops.sign(x),
      grad: (dy) => {
        const bx = ops.mul(x, beta);
        const num = ops.sub(2, ops.mul(bx, ops.tanh(ops.mul(bx, 0.5))));
        return ops.div(ops.mul(ops.mul(dy, beta), num), ops.add(1, ops.cosh(bx)));
      },
    }));
  }

  call(x: Tensor): Tensor {
    return this.#f(x);
  }

  options(): Record<string, unknown> {
    return { beta: this.beta };
  }
}
