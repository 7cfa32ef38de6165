/** Keras's Identity layer. @module */
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer } from "./layer.ts";

/**
 * Keras's Identity: returns its input. A named point in a graph (larq-zoo's
 * Real-to-Binary nets mark each block's output with one).
 *
 * @example
 * ```ts
 * import { Identity } from "./identity.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new Identity({ name: "block_out" }).apply(Tensor.from([1, 2])).toArray()); // [1, 2]
 * ```
 */
export class Identity extends Layer {
  /** An Identity, optionally named. */
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  /** An Identity from its Keras config. */
  static override fromConfig(c: Config): Identity {
    return new Identity({ name: new ConfigReader("Identity", c).name });
  }
  /** No weights. */
  protected build(): void {}
  /** x. */
  protected call(x: Tensor): Tensor {
    return x;
  }
  /** `{ name }`. */
  getConfig(): Config {
    return { name: this.name };
  }
}
