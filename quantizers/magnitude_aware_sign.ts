import { stopGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { SteSign } from "./ste_sign.ts";
import { checkClip, Quantizer } from "./quantizer.ts";

/**
 * Scaled sign for weights (Bi-Real Net, Liu et al. 2018,
 * https://arxiv.org/abs/1808.00278).
 *
 * Forward: s·sign(x), s = mean |x| over every axis but the last (one scale
 * per output channel), not differentiated.
 * Pseudo-gradient: s·dy where |x| ≤ clip_value, else 0.
 *
 * @example
 * ```ts
 * import { MagnitudeAwareSign } from "./magnitude_aware_sign.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new MagnitudeAwareSign().call(Tensor.from([[0.5], [-1.5]])).toArray()); // [[1], [-1]]
 * ```
 */
export class MagnitudeAwareSign extends Quantizer {
  readonly name = "magnitude_aware_sign";
  readonly className = "MagnitudeAwareSign";
  readonly precision = 1;
  readonly clipValue: number | null;
  readonly #sign: SteSign;

  constructor(options: { clip_value?: number | null } = {}) {
    super();
    this.clipValue = checkClip("magnitude_aware_sign", options.clip_value === undefined ? 1.0 : options.clip_value);
    this.#sign = new SteSign({ clip_value: this.clipValue });
  }

  call(x: Tensor): Tensor {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const scale = stopGradient(ops.mean(ops.abs(x), axes));
    return ops.mul(scale, this.#sign.call(x));
  }

  options(): Record<string, unknown> {
    return { clip_value: this.clipValue };
  }
}
