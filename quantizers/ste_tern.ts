import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { clippedGradient } from "./_common.ts";
import { checkClip, Quantizer } from "./quantizer.ts";

/**
 * Ternarization with a clipped straight-through estimator (Ternary Weight
 * Networks, Li et al. 2016, https://arxiv.org/abs/1605.04711).
 *
 * Forward: 0 where |x| < Δ, ±1 at and beyond ±Δ. Δ = threshold_value, or
 * with ternary_weight_networks Δ = 0.7·mean|x| over the whole tensor.
 * Pseudo-gradient: dy where |x| ≤ clip_value, else 0.
 *
 * @example
 * ```ts
 * import { SteTern } from "./ste_tern.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SteTern().call(Tensor.from([-0.5, 0.01, 0.05])).toArray()); // [-1, 0, 1]
 * ```
 */
export class SteTern extends Quantizer {
  readonly name = "ste_tern";
  readonly className = "SteTern";
  readonly precision = 2;
  readonly thresholdValue: number;
  readonly ternaryWeightNetworks: boolean;
  readonly clipValue: number | null;
  readonly #f: (x: Tensor) => Tensor;

  constructor(
    options: { threshold_value?: number; ternary_weight_networks?: boolean; clip_value?: number | null } = {},
  ) {
    super();
    this.thresholdValue = options.threshold_value ?? 0.05;
    if (!(this.thresholdValue >= 0)) {
      throw new RangeError(`ste_tern: threshold_value must be ≥ 0, got ${this.thresholdValue}`);
    }
    this.ternaryWeightNetworks = options.ternary_weight_networks ?? false;
    this.clipValue = checkClip("ste_tern", options.clip_value === undefined ? 1.0 : options.clip_value);
    const clip = this.clipValue;
    this.#f = customGradient((x: Tensor) => {
      // TWN: (0.7 · Σ|x|) / size, in the tensor's precision and in larq's order.
      const delta = this.ternaryWeightNetworks
        ? ops.div(ops.mul(0.7, ops.sum(ops.abs(x))), x.size)
        : this.thresholdValue; // a number takes x's dtype
      // sign(sign(x + Δ) + sign(x - Δ)) with TF's sign (0 at 0): ±1 at ±Δ, 0 inside.
      const value = ops.signZero(ops.add(ops.signZero(ops.add(x, delta)), ops.signZero(ops.sub(x, delta))));
      return { value, grad: (dy) => clippedGradient(x, dy, clip) };
    });
  }

  call(x: Tensor): Tensor {
    return this.#f(x);
  }

  options(): Record<string, unknown> {
    return {
      threshold_value: this.thresholdValue,
      ternary_weight_networks: this.ternaryWeightNetworks,
      clip_value: this.clipValue,
    };
  }
}
