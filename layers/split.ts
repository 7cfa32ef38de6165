/**
 * Split: one tensor into several along an axis, a layer with several
 * outputs (`tf.split` in a Keras Lambda, as larq-zoo's MeliusNet groups its
 * stem convolutions). Called with `applyOutputs`, which returns one tensor
 * per part. @module
 */
import * as nn from "../graph/nn.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer } from "./layer.ts";

/**
 * Splits its input along `axis` into `numOrSizeSplits` equal parts, or into
 * parts of the sizes listed (tf.split's `num_or_size_splits`).
 *
 * @example
 * ```ts
 * import { Split } from "./split.ts";
 * import { input } from "./symbolic.ts";
 * const parts = new Split(4).applyOutputs(input([8, 8, 32]));
 * console.log(parts.length, parts[0].shape); // 4 [ 8, 8, 8 ]
 * ```
 */
export class Split extends Layer {
  /** How many equal parts, or the size of each part. */
  readonly numOrSizeSplits: number | number[];
  /** The axis split (negative: from the end; never the batch axis). */
  readonly axis: number;

  /** A Split into `numOrSizeSplits` parts along `axis` (default -1, the channels). */
  constructor(numOrSizeSplits: number | readonly number[], options: { axis?: number; name?: string } = {}) {
    super(options.name);
    const valid = typeof numOrSizeSplits === "number"
      ? Number.isInteger(numOrSizeSplits) && numOrSizeSplits >= 1
      : Array.isArray(numOrSizeSplits) && numOrSizeSplits.length >= 1 &&
        numOrSizeSplits.every((n) => Number.isInteger(n) && n >= 1);
    if (!valid) {
      throw new RangeError(
        `Split num_or_size_splits must be a positive integer or a list of them, got ${JSON.stringify(numOrSizeSplits)}`,
      );
    }
    this.numOrSizeSplits = typeof numOrSizeSplits === "number" ? numOrSizeSplits : [...numOrSizeSplits];
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new RangeError(`Split axis must be an integer, got ${this.axis}`);
  }

  /** A Split from its config (`num_or_size_splits`, `axis`). */
  static override fromConfig(c: Config): Split {
    const r = new ConfigReader("Split", c);
    const n = r.raw("num_or_size_splits");
    if (!(typeof n === "number" || Array.isArray(n))) {
      throw new TypeError(
        `Split "${r.name}": num_or_size_splits must be an integer or a list of integers, got ${JSON.stringify(n)}`,
      );
    }
    return new Split(n as number | number[], { name: r.name, axis: r.int("axis", -1) });
  }

  /** The sizes of the parts for an axis of length `extent`. */
  sizes(extent: number): number[] {
    const n = this.numOrSizeSplits;
    if (typeof n === "number") {
      if (extent % n !== 0) throw new RangeError(`cannot split an axis of ${extent} into ${n} equal parts`);
      return Array(n).fill(extent / n);
    }
    const total = n.reduce((a, b) => a + b, 0);
    if (total !== extent) throw new RangeError(`split sizes [${n}] add up to ${total}, the axis has ${extent}`);
    return n;
  }

  /** No weights. */
  protected build(): void {}

  /** One output only: Split is called with `applyOutputs`. */
  protected call(): Tensor {
    throw new TypeError("Split has several outputs: call applyOutputs");
  }

  /** The parts, in order along the axis. */
  protected override callOutputs(xs: Tensor[]): Tensor[] {
    if (xs.length !== 1) throw new RangeError(`Split takes one input, got ${xs.length}`);
    const x = xs[0], axis = this.axis < 0 ? this.axis + x.rank : this.axis;
    if (axis < 1 || axis >= x.rank) throw new RangeError(`axis ${this.axis} is out of range for [${x.shape}]`);
    let at = 0;
    return this.sizes(x.shape[axis]).map((size) => {
      const begin = x.shape.map((_, d) => (d === axis ? at : 0));
      at += size;
      return nn.slice(x, begin, x.shape.map((e, d) => (d === axis ? size : e)));
    });
  }

  /** `{ name, num_or_size_splits, axis }`. */
  getConfig(): Config {
    return { name: this.name, num_or_size_splits: this.numOrSizeSplits, axis: this.axis };
  }
}
