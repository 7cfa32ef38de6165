/** Activations by name, and the shape-only layers: Flatten, Reshape, Activation, Dropout. @module */
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer } from "./layer.ts";

export type ActivationName =
  | "linear"
  | "relu"
  | "relu6"
  | "sigmoid"
  | "tanh"
  | "softmax"
  | "hard_tanh"
  | "leaky_tanh";

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu: ops.relu,
  relu6: nn.relu6,
  sigmoid: ops.sigmoid,
  tanh: ops.tanh,
  softmax: ops.softmax,
  hard_tanh: nn.hardTanh,
  leaky_tanh: (x) => nn.leakyTanh(x),
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
  readonly activation: ActivationName;
  readonly #f: (x: Tensor) => Tensor;
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
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    return this.#f(x);
  }
  getConfig(): Config {
    return { name: this.name, activation: this.activation };
  }
}

/** Keras's Flatten: every sample to one axis. */
export class Flatten extends Layer {
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
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    return nn.flatten(x);
  }
  getConfig(): Config {
    return { name: this.name };
  }
}

/** Reshapes every sample to `targetShape` (batch axis kept). */
export class Reshape extends Layer {
  readonly targetShape: number[];
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
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    return ops.reshape(x, [x.shape[0], ...this.targetShape]);
  }
  getConfig(): Config {
    return { name: this.name, target_shape: this.targetShape };
  }
}

/** Inverted dropout while training; identity at inference. */
export class Dropout extends Layer {
  readonly rate: number;
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
  protected build(): void {}
  protected call(x: Tensor, training: boolean): Tensor {
    return training ? nn.dropout(x, this.rate, this.random) : x;
  }
  getConfig(): Config {
    return { name: this.name, rate: this.rate };
  }
}

/**
 * Keras's ReLU layer: max(x, 0), capped at `maxValue` when given (ReLU6 for
 * 6), with `negativeSlope`·x below zero (leaky).
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
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
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    let y = this.negativeSlope === 0 ? ops.relu(x) : nn.leakyRelu(x, this.negativeSlope);
    if (this.maxValue !== null) y = ops.minimum(y, this.maxValue);
    return y;
  }
  getConfig(): Config {
    return { name: this.name, max_value: this.maxValue, negative_slope: this.negativeSlope, threshold: 0 };
  }
}

/** Keras's ZeroPadding2D: zeros around height and width ([[top, bottom], [left, right]], or symmetric). */
export class ZeroPadding2D extends Layer {
  static override kerasName = "zero_padding2d";
  readonly padding: [[number, number], [number, number]];
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
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    if (x.rank !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${x.shape}]`);
    return nn.pad(x, [[0, 0], this.padding[0], this.padding[1], [0, 0]], 0);
  }
  getConfig(): Config {
    return { name: this.name, padding: this.padding };
  }
}
