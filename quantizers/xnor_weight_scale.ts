import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { SteSign } from "./ste_sign.ts";
import { Quantizer } from "./quantizer.ts";

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
  readonly name = "xnor_weight_scale";
  readonly className = "xnor_weight_scale";
  readonly precision = 1;
  readonly #sign = new SteSign();

  call(x: Tensor): Tensor {
    const c = ops.clipByValue(x, -1, 1);
    const alpha = ops.mean(ops.abs(c), x.shape.slice(0, -1).map((_, i) => i), true);
    return ops.mul(alpha, this.#sign.call(c));
  }

  options(): Record<string, unknown> {
    return {};
  }
}
