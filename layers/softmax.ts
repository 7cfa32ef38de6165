/** Keras's Softmax layer (over the last axis). @module */
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer } from "./layer.ts";

/**
 * Keras's Softmax layer: exp(x) / Σ exp(x) over the last axis (the only
 * axis onebit supports; Keras's default).
 *
 * @example
 * ```ts
 * import { Softmax } from "./softmax.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new Softmax().apply(Tensor.from([[0, 0]])).toArray()); // [[0.5, 0.5]]
 * ```
 */
export class Softmax extends Layer {
  /** The axis normalised: always -1. */
  readonly axis: number = -1;
  /** A Softmax over the last axis (`axis` may only be -1). */
  constructor(options: { axis?: number; name?: string } = {}) {
    super(options.name);
    if (options.axis !== undefined && options.axis !== -1) {
      throw new RangeError(`Softmax axis must be -1 (the last axis), got ${JSON.stringify(options.axis)}`);
    }
  }
  /** A Softmax from its Keras config (axis -1 only). */
  static override fromConfig(c: Config): Softmax {
    const r = new ConfigReader("Softmax", c);
    return new Softmax({ name: r.name, axis: r.int("axis", -1) });
  }
  /** No weights. */
  protected build(): void {}
  /** softmax(x) over the last axis. */
  protected call(x: Tensor): Tensor {
    return ops.softmax(x);
  }
  /** `{ name, axis }`. */
  getConfig(): Config {
    return { name: this.name, axis: this.axis };
  }
}
