import { customGradient, stopGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { Quantizer } from "./quantizer.ts";

/**
 * k-bit DoReFa quantizer (Zhou et al. 2016, https://arxiv.org/abs/1606.06160).
 *
 * Forward, activations mode: x ← clip(x, 0, 1). Weights mode: t = tanh(w),
 * d = max|t| over the tensor (not differentiated), x = t/(2d) + 0.5 (0.5
 * when d = 0). Then q = round_half_even(x·n)/n with n = 2^k - 1; weights
 * mode returns 2q - 1.
 * Pseudo-gradient: identity through the rounding, the true gradient of the
 * clip (1 on [0, 1] inclusive) or of tanh and the division.
 *
 * @example
 * ```ts
 * import { DoReFa } from "./dorefa.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new DoReFa({ k_bit: 2 }).call(Tensor.from([-1, 0.5, 0.9])).toArray()); // [0, 0.6666666865348816, 1]
 * ```
 */
export class DoReFa extends Quantizer {
  readonly name = "dorefa_quantizer";
  readonly className = "DoReFa";
  readonly precision: number;
  readonly mode: "activations" | "weights";
  readonly #round: (x: Tensor) => Tensor;

  constructor(options: { k_bit?: number; mode?: "activations" | "weights" } = {}) {
    super();
    const k = options.k_bit ?? 2;
    if (!Number.isInteger(k) || k < 1 || k > 31) {
      throw new RangeError(`dorefa_quantizer: k_bit must be an integer in [1, 31], got ${k}`);
    }
    const mode = options.mode ?? "activations";
    if (mode !== "activations" && mode !== "weights") {
      throw new RangeError(`dorefa_quantizer: mode must be "activations" or "weights", got ${JSON.stringify(mode)}`);
    }
    this.precision = k;
    this.mode = mode;
    const n = 2 ** k - 1;
    this.#round = customGradient((x: Tensor) => ({
      value: ops.div(ops.roundHalfEven(ops.mul(x, n)), n),
      grad: (dy) => dy,
    }));
  }

  call(x: Tensor): Tensor {
    if (this.mode === "activations") return this.#round(ops.clipByValue(x, 0, 1));
    const t = ops.tanh(x);
    const d = stopGradient(ops.max(ops.abs(t)));
    // divide_no_nan: 0 where d = 0, so every weight becomes 0.5.
    const normed = d.item() === 0 ? ops.mul(t, 0) : ops.div(t, ops.mul(d, 2));
    return ops.sub(ops.mul(this.#round(ops.add(normed, 0.5)), 2), 1);
  }

  options(): Record<string, unknown> {
    return { k_bit: this.precision, mode: this.mode };
  }
}
