/** Activations by name, and the shape-only layers: Flatten, Reshape, Activation, Dropout. @module */
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer } from "./layer.ts";

/** The activations onebit has, by Keras/larq name (`hard_tanh` and `leaky_tanh` are larq's). */
export type ActivationName =
  | "linear"
  | "relu"
  | "relu6"
  | "sigmoid"
  | "tanh"
  | "softmax"
  | "hard_tanh"
  | "leaky_tanh"
  | "clip_by_value_activation";

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu: ops.relu,
  relu6: nn.relu6,
  sigmoid: ops.sigmoid,
  tanh: ops.tanh,
  softmax: ops.softmax,
  hard_tanh: nn.hardTanh,
  leaky_tanh: (x) => nn.leakyTanh(x),
  // larq-zoo's DoReFaNet registers it: clip to [0, 1] (gradient 1 on the closed interval).
  clip_by_value_activation: (x) => ops.clipByValue(x, 0, 1),
};

/** The activation function of a Keras/larq name (null: identity). */
export function activation(name: ActivationName | null | undefined): (x: Tensor) => Tensor {
  if (name === null || name === undefined) return ACTIVATIONS.linear;
  const f = ACTIVATIONS[name];
  if (!f) {
    throw new RangeError(
      `unknown activation ${JSON.stringify(name)}; use one of ${Object.keys(ACTIVATIONS).join(", ")}`,
    );
  }
  return f;
}

/** Keras's Activation layer: an activation by name. */
export class Activation extends Layer {
  /** Keras's `activation`: the function's name. */
  readonly activation: ActivationName;
  readonly #f: (x: Tensor) => Tensor;
  /** `name`: an {@link ActivationName} (else a RangeError listing them). */
  constructor(name: ActivationName, options: { name?: string } = {}) {
    super(options.name);
    this.#f = activation(name);
    this.activation = name;
  }
  /** An Activation from its Keras config. */
  static override fromConfig(c: Config): Activation {
    const r = new ConfigReader("Activation", c);
    return new Activation((r.activation() ?? "linear") as ActivationName, { name: r.name });
  }
  /** No weights to create. */
  protected build(): void {}
  /** The activation of `x`. */
  protected call(x: Tensor): Tensor {
    return this.#f(x);
  }
  /** Keras's keys: `name`, `activation`. */
  getConfig(): Config {
    return { name: this.name, activation: this.activation };
  }
}

/** Keras's Flatten: every sample to one axis. */
export class Flatten extends Layer {
  /** `options.name`: the layer name (default `flatten`, numbered). */
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  /** A Flatten from its Keras config. */
  static override fromConfig(c: Config): Flatten {
    return new Flatten({ name: new ConfigReader("Flatten", c).name });
  }
  /** larq counts Flatten (no MACs). */
  override macs(): Map<number, number> {
    return new Map();
  }
  /** No weights to create. */
  protected build(): void {}
  /** [batch, ...] to [batch, product of the rest]. */
  protected call(x: Tensor): Tensor {
    return nn.flatten(x);
  }
  /** Keras's keys: `name`. */
  getConfig(): Config {
    return { name: this.name };
  }
}

/** Reshapes every sample to `targetShape` (batch axis kept). */
export class Reshape extends Layer {
  /** Keras's `target_shape`: the shape of each sample (one entry may be -1: inferred). */
  readonly targetShape: number[];
  /** `targetShape`: positive integers, or one -1 (else a RangeError). */
  constructor(targetShape: number[], options: { name?: string } = {}) {
    super(options.name);
    if (!Array.isArray(targetShape) || !targetShape.every((d) => Number.isInteger(d) && (d >= 1 || d === -1))) {
      throw new RangeError(
        `Reshape target_shape must be positive integers (or one -1), got ${JSON.stringify(targetShape)}`,
      );
    }
    this.targetShape = targetShape;
  }
  /** A Reshape from its Keras config. */
  static override fromConfig(c: Config): Reshape {
    const r = new ConfigReader("Reshape", c);
    const shape = r.raw("target_shape");
    if (!Array.isArray(shape)) throw new TypeError(`Reshape "${r.name}": target_shape must be a list of integers`);
    return new Reshape(shape.map(Number), { name: r.name });
  }
  /** No weights to create. */
  protected build(): void {}
  /** `x` reshaped to [batch, ...targetShape]. */
  protected call(x: Tensor): Tensor {
    return ops.reshape(x, [x.shape[0], ...this.targetShape]);
  }
  /** Keras's keys: `name`, `target_shape`. */
  getConfig(): Config {
    return { name: this.name, target_shape: this.targetShape };
  }
}

/** Inverted dropout while training; identity at inference. */
export class Dropout extends Layer {
  /** Keras's `rate`: the fraction of values zeroed while training. */
  readonly rate: number;
  /** `rate`: in [0, 1) (else a RangeError). */
  constructor(rate: number, options: { name?: string } = {}) {
    super(options.name);
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
    this.rate = rate;
  }
  /** A Dropout from its Keras config. */
  static override fromConfig(c: Config): Dropout {
    const r = new ConfigReader("Dropout", c);
    return new Dropout(r.number("rate", 0.5), { name: r.name });
  }
  /** No weights to create. */
  protected build(): void {}
  /** Training: zeros each value with probability `rate` and scales the rest by 1/(1 - rate); else `x`. */
  protected call(x: Tensor, training: boolean): Tensor {
    return training ? nn.dropout(x, this.rate, this.random) : x;
  }
  /** Keras's keys: `name`, `rate`. */
  getConfig(): Config {
    return { name: this.name, rate: this.rate };
  }
}

/**
 * Keras's ReLU layer: max(x, 0), capped at `maxValue` when given (ReLU6 for
 * 6), with `negativeSlope`·x below zero (leaky).
 */
export class ReLU extends Layer {
  /** Keras's `max_value`: the cap (null: none). */
  readonly maxValue: number | null;
  /** Keras's `negative_slope`: the slope below zero (0: plain ReLU). */
  readonly negativeSlope: number;
  /** `maxValue` positive or null, `negativeSlope` ≥ 0 (else a RangeError). */
  constructor(options: { maxValue?: number | null; negativeSlope?: number; name?: string } = {}) {
    super(options.name);
    this.maxValue = options.maxValue ?? null;
    this.negativeSlope = options.negativeSlope ?? 0;
    if (this.maxValue !== null && !(this.maxValue > 0)) {
      throw new RangeError(`ReLU max_value must be positive, got ${this.maxValue}`);
    }
    if (!(this.negativeSlope >= 0)) throw new RangeError(`ReLU negative_slope must be ≥ 0, got ${this.negativeSlope}`);
  }
  /** A ReLU from its Keras config (threshold must be 0). */
  static override fromConfig(c: Config): ReLU {
    const r = new ConfigReader("ReLU", c);
    if (r.number("threshold", 0) !== 0) throw new RangeError(`ReLU "${r.name}": threshold must be 0`);
    return new ReLU({
      name: r.name,
      maxValue: r.nullableNumber("max_value"),
      negativeSlope: r.number("negative_slope", 0),
    });
  }
  /** No weights to create. */
  protected build(): void {}
  /** max(x, 0) (or negativeSlope·x below zero), capped at maxValue. */
  protected call(x: Tensor): Tensor {
    let y = this.negativeSlope === 0 ? ops.relu(x) : nn.leakyRelu(x, this.negativeSlope);
    if (this.maxValue !== null) y = ops.minimum(y, this.maxValue);
    return y;
  }
  /** Keras's keys: `name`, `max_value`, `negative_slope`, `threshold` (always 0). */
  getConfig(): Config {
    return { name: this.name, max_value: this.maxValue, negative_slope: this.negativeSlope, threshold: 0 };
  }
}

/** Keras's ZeroPadding2D: zeros around height and width ([[top, bottom], [left, right]], or symmetric). */
export class ZeroPadding2D extends Layer {
  /** Keras's default name stem (`zero_padding2d`, not `zero_padding2_d`). */
  static override kerasName = "zero_padding2d";
  /** Keras's `padding`: [[top, bottom], [left, right]]. */
  readonly padding: [[number, number], [number, number]];
  /**
   * `padding`: one number for all four sides, [rows, columns] (symmetric) or
   * [[top, bottom], [left, right]]; non-negative integers (else a RangeError).
   */
  constructor(
    padding: number | [number, number] | [[number, number], [number, number]] = 1,
    options: { name?: string } = {},
  ) {
    super(options.name);
    const p: [[number, number], [number, number]] = typeof padding === "number"
      ? [[padding, padding], [padding, padding]]
      : typeof padding[0] === "number"
      ? [[padding[0] as number, padding[0] as number], [padding[1] as number, padding[1] as number]]
      : padding as [[number, number], [number, number]];
    if (p.flat().some((v) => !Number.isInteger(v) || v < 0)) {
      throw new RangeError(`ZeroPadding2D padding must be non-negative integers, got ${JSON.stringify(padding)}`);
    }
    this.padding = p;
  }
  /** A ZeroPadding2D from its Keras config. */
  static override fromConfig(c: Config): ZeroPadding2D {
    const r = new ConfigReader("ZeroPadding2D", c);
    return new ZeroPadding2D(
      r.raw("padding") as number | [number, number] | [[number, number], [number, number]] ?? 1,
      {
        name: r.name,
      },
    );
  }
  /** No weights to create. */
  protected build(): void {}
  /** [batch, height, width, channels] padded with zeros (other ranks: a RangeError). */
  protected call(x: Tensor): Tensor {
    if (x.rank !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${x.shape}]`);
    return nn.pad(x, [[0, 0], this.padding[0], this.padding[1], [0, 0]], 0);
  }
  /** Keras's keys: `name`, `padding`. */
  getConfig(): Config {
    return { name: this.name, padding: this.padding };
  }
}
