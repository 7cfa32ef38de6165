/** MaxPool2D, AveragePooling2D, GlobalAveragePooling2D (Keras defaults: strides = pool size, "valid"). @module */
import type { Padding } from "../graph/conv.ts";
import * as nn from "../graph/nn.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { checkPadding } from "./conv.ts";
import { perAxis } from "./quant_layer.ts";
import { type Config, Layer } from "./layer.ts";

/** The options of the 2-D pooling layers (Keras's MaxPooling2D and AveragePooling2D). */
export interface Pool2DOptions {
  /** Keras's `strides`: one number or [rows, columns]; null or absent: the pool size. */
  strides?: number | [number, number] | null;
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** The layer name (default: the Keras name stem, numbered). */
  name?: string;
}

/** The base of MaxPool2D and AveragePooling2D: a window of `poolSize` moved by `strides`, with Keras's config. */
export abstract class Pool2D extends Layer {
  /** Keras's `pool_size`: [rows, columns]. */
  readonly poolSize: [number, number];
  /** Strides (Keras's default: the pool size). */
  readonly strides: [number, number];
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  readonly #stridesGiven: boolean;
  /** `poolSize` (default 2) and `strides`: positive integers, `padding` "same" or "valid" (else a RangeError). */
  constructor(poolSize: number | [number, number] = 2, options: Pool2DOptions = {}) {
    super(options.name);
    this.poolSize = perAxis("pool_size", poolSize, 2);
    this.strides = options.strides === undefined || options.strides === null
      ? this.poolSize
      : perAxis("strides", options.strides, 2);
    this.#stridesGiven = options.strides !== undefined && options.strides !== null;
    this.padding = checkPadding(options.padding ?? "valid");
  }
  /** A pooling layer from its Keras config. */
  static override fromConfig<T extends typeof MaxPool2D>(this: T, c: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, c);
    return new this(r.pair("pool_size", 2), {
      name: r.name,
      strides: r.raw("strides") === null ? undefined : r.pair("strides", 1),
      padding: r.padding(),
    }) as InstanceType<T>;
  }
  /** No weights to create. */
  protected build(): void {}
  /** larq counts pooling layers (no MACs). */
  override macs(): Map<number, number> {
    return new Map();
  }
  /** Keras's keys: `name`, `pool_size`, `strides` (null unless given), `padding`. */
  getConfig(): Config {
    return {
      name: this.name,
      pool_size: this.poolSize,
      strides: this.#stridesGiven ? this.strides : null,
      padding: this.padding,
    };
  }
  /** The window of the pooling op: pool size, strides, padding. */
  protected window(): { poolSize: [number, number]; strides: [number, number]; padding: Padding } {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** Keras's MaxPooling2D. */
export class MaxPool2D extends Pool2D {
  /** Keras's class name. */
  static override className = "MaxPooling2D";
  /** The alias Keras also registers. */
  static override aliases = ["MaxPool2D"];
  /** Keras's default name stem. */
  static override kerasName = "max_pooling2d";
  /** The maximum of each window. */
  protected call(x: Tensor): Tensor {
    return nn.maxPool2d(x, this.window());
  }
}

/** Keras's AveragePooling2D. */
export class AveragePooling2D extends Pool2D {
  /** The alias Keras also registers. */
  static override aliases = ["AvgPool2D"];
  /** Keras's default name stem. */
  static override kerasName = "average_pooling2d";
  /** The mean of each window (padding not counted, as TF). */
  protected call(x: Tensor): Tensor {
    return nn.avgPool2d(x, this.window());
  }
}

/** Keras's GlobalAveragePooling2D (keepdims false). */
export class GlobalAveragePooling2D extends Layer {
  /** Keras's default name stem. */
  static override kerasName = "global_average_pooling2d";
  /** `options.name`: the layer name (default `global_average_pooling2d`, numbered). */
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  /** A GlobalAveragePooling2D from its Keras config. */
  static override fromConfig(c: Config): GlobalAveragePooling2D {
    const r = new ConfigReader("GlobalAveragePooling2D", c);
    if (r.bool("keepdims", false)) {
      throw new RangeError(`GlobalAveragePooling2D "${r.name}": keepdims is not supported`);
    }
    return new GlobalAveragePooling2D({ name: r.name });
  }
  /** No weights to create. */
  protected build(): void {}
  /** [batch, height, width, channels] to the per-channel means [batch, channels]. */
  protected call(x: Tensor): Tensor {
    return nn.globalAvgPool2d(x);
  }
  /** Keras's keys: `name`. */
  getConfig(): Config {
    return { name: this.name };
  }
}
