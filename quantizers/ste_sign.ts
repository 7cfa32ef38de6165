import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { clippedGradient } from "./_common.ts";
import { checkClip, Quantizer } from "./quantizer.ts";

/**
 * Sign with a clipped straight-through estimator (Hubara et al. 2016,
 * "Binarized Neural Networks", https://arxiv.org/abs/1602.02830).
 *
 * Forward: sign(x) = -1 for x < 0, +1 otherwise (sign(0) = +1).
 * Pseudo-gradient: dy where |x| ≤ clip_value, else 0 (clip_value null: dy).
 *
 * @example
 * ```ts
 * import { SteSign } from "./ste_sign.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SteSign().call(Tensor.from([-0.3, 0, 2])).toArray()); // [-1, 1, 1]
 * ```
 */
export class SteSign extends Quantizer {
  readonly name = "ste_sign";
  readonly className = "SteSign";
  readonly precision = 1;
  readonly clipValue: number | null;
  readonly #f: (x: Tensor) => Tensor;

  constructor(options: { clip_value?: number | null } = {}) {
    super();
    this.clipValue = checkClip("ste_sign", options.clip_value === undefined ? 1.0 : options.clip_value);
    const clip = this.clipValue;
    this.#f = customGradient((x: Tensor) => ({ value: ops.sign(x), grad: (dy) => clippedGradient(x, dy, clip) }));
  }

  call(x: Tensor): Tensor {
    return this.#f(x);
  }

  options(): Record<string, unknown> {
    return { clip_value: this.clipValue };
  }
}
