import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { clippedGradient } from "./_common.ts";
import { checkClip, Quantizer } from "./quantizer.ts";

/**
 * Heaviside step with a clipped straight-through estimator: {0, 1}
 * activations (e.g. for binary networks with {0,1} inputs).
 *
 * Forward: 1 for x > 0, 0 for x ≤ 0.
 * Pseudo-gradient: dy where |x| ≤ clip_value, else 0.
 *
 * @example
 * ```ts
 * import { SteHeaviside } from "./ste_heaviside.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SteHeaviside().call(Tensor.from([-1, 0, 0.5])).toArray()); // [0, 0, 1]
 * ```
 */
export class SteHeaviside extends Quantizer {
  readonly name = "ste_heaviside";
  readonly className = "SteHeaviside";
  readonly precision = 1;
  readonly clipValue: number | null;
  readonly #f: (x: Tensor) => Tensor;

  constructor(options: { clip_value?: number | null } = {}) {
    super();
    this.clipValue = checkClip("ste_heaviside", options.clip_value === undefined ? 1.0 : options.clip_value);
    const clip = this.clipValue;
    this.#f = customGradient((x: Tensor) => ({ value: ops.heaviside(x), grad: (dy) => clippedGradient(x, dy, clip) }));
  }

  call(x: Tensor): Tensor {
    return this.#f(x);
  }

  options(): Record<string, unknown> {
    return { clip_value: this.clipValue };
  }
}
