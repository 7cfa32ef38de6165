/**
 * AddToLastChannels: x + w on the last channels of x, MeliusNet's
 * "improvement" merge (larq-zoo writes it as a Keras Lambda,
 * `x + tf.pad(w, [[0, 0], [0, 0], [0, 0], [C - c, 0]])`). @module
 */
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer } from "./layer.ts";

/**
 * Adds its second input (c channels) to the last c channels of its first
 * (C ≥ c channels, the other axes equal); the first C - c channels pass
 * through. MeliusNet's improvement block (Bethge et al. 2020,
 * https://arxiv.org/abs/2001.05936).
 *
 * @example
 * ```ts
 * import { AddToLastChannels } from "./add_to_last_channels.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const y = new AddToLastChannels().apply([Tensor.from([[1, 2, 3]]), Tensor.from([[10, 20]])]);
 * console.log(y.toArray()); // [[1, 12, 23]]
 * ```
 */
export class AddToLastChannels extends Layer {
  /** An AddToLastChannels, optionally named. */
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  /** An AddToLastChannels from its config. */
  static override fromConfig(c: Config): AddToLastChannels {
    return new AddToLastChannels({ name: new ConfigReader("AddToLastChannels", c).name });
  }
  /** No weights. */
  protected build(): void {}
  /** Two inputs only: a single one is an error. */
  protected call(): Tensor {
    throw new RangeError("AddToLastChannels takes two inputs: [x, w]");
  }
  /** x + w padded with zeros in front along the channels. */
  protected override callMany(xs: Tensor[]): Tensor {
    if (xs.length !== 2) throw new RangeError(`AddToLastChannels takes two inputs: [x, w], got ${xs.length}`);
    const [x, w] = xs, big = x.shape.at(-1)!, small = w.shape.at(-1)!;
    if (x.rank !== w.rank || x.shape.slice(0, -1).join() !== w.shape.slice(0, -1).join() || small > big) {
      throw new RangeError(
        `cannot add [${w.shape}] to the last channels of [${x.shape}]: the other axes must agree and w have ≤ channels`,
      );
    }
    const paddings = x.shape.map((_, d) => (d === x.rank - 1 ? [big - small, 0] : [0, 0]) as [number, number]);
    return ops.add(x, nn.pad(w, paddings));
  }
  /** `{ name }`. */
  getConfig(): Config {
    return { name: this.name };
  }
}
