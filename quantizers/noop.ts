import type { Tensor } from "../graph/tensor.ts";
import { Quantizer } from "./quantizer.ts";

/**
 * Identity with a declared precision: marks a layer's values as already
 * quantized (for the model summary and the converter).
 *
 * Forward: x. Gradient: dy.
 *
 * @example
 * ```ts
 * import { NoOp } from "./noop.ts";
 * console.log(new NoOp({ precision: 1 }).precision); // 1
 * ```
 */
export class NoOp extends Quantizer {
  readonly name = "noop";
  readonly className = "NoOp";
  readonly precision: number;

  constructor(options: { precision?: number } = {}) {
    super();
    if (!Number.isInteger(options.precision) || options.precision! < 1) {
      throw new RangeError(`NoOp needs an integer precision ≥ 1, got ${String(options.precision)}`);
    }
    this.precision = options.precision!;
  }

  call(x: Tensor): Tensor {
    return x;
  }

  options(): Record<string, unknown> {
    return { precision: this.precision };
  }
}
