/** Layers that combine several inputs: Add, Concatenate. @module */
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer, type TensorRef } from "./layer.ts";

/** Elementwise sum of its inputs (same shapes). */
export class Add extends Layer {
  /** `options.name`: the layer name (default `add`, numbered). */
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  /** An Add from its Keras config. */
  static override fromConfig<T extends typeof Add>(this: T, c: Config): InstanceType<T> {
    return new this({ name: new ConfigReader(this.name, c).name }) as InstanceType<T>;
  }
  /** No weights to create. */
  protected build(): void {}
  /** One input: a RangeError (Add takes two or more). */
  protected call(): Tensor {
    throw new RangeError("Add needs at least two inputs");
  }
  /** The sum of the inputs (their shapes must agree, else a RangeError). */
  protected override callMany(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => {
      if (a.shape.join() !== b.shape.join()) throw new RangeError(`shapes [${a.shape}] and [${b.shape}] differ`);
      return ops.add(a, b);
    }, xs[0]);
  }
  /** Keras's keys: `name`. */
  getConfig(): Config {
    return { name: this.name };
  }
}

/**
 * `x + y` written as an operator in a Keras functional model: the same as
 * Add, named as Keras names such layers (tf.__operators__.add, _1, ...).
 */
export class OperatorAdd extends Add {
  /** Keras writes `x + y` in a functional model as a TFOpLambda layer. */
  static override className = "TFOpLambda";
  /** Keras's default name stem: `tf.__operators__.add`, numbered. */
  static override kerasName = "tf.__operators__.add";
  /** An OperatorAdd from a Keras TFOpLambda config (only `x + y`). */
  static override fromConfig<T extends typeof Add>(this: T, c: Config): InstanceType<T> {
    if (c.function !== "__operators__.add") {
      throw new RangeError(`TFOpLambda "${c.name}" computes ${c.function}; onebit reads only x + y`);
    }
    return new this({ name: new ConfigReader("TFOpLambda", c).name }) as InstanceType<T>;
  }
  /** x + y: two inputs of one shape (else a RangeError). */
  protected override callMany(xs: Tensor[]): Tensor {
    if (xs.length !== 2) throw new RangeError(`x + y takes two inputs, got ${xs.length}`);
    return super.callMany(xs);
  }
  /** Keras's TFOpLambda keys: `name`, `function` (`__operators__.add`). */
  override getConfig(): Config {
    return { name: this.name, function: "__operators__.add" };
  }
  /** `x + y` as Keras writes a TFOpLambda call: x's reference, with y in its keyword arguments. */
  override inboundNode([x, y]: readonly TensorRef[]): unknown[] {
    return [...x, { y, name: null }];
  }
}

/** Joins its inputs along `axis` (default: the channels). */
export class Concatenate extends Layer {
  /** Keras's `axis` (negative: from the end). */
  readonly axis: number;
  /** `axis`: an integer (default -1, the channels; else a RangeError). */
  constructor(options: { axis?: number; name?: string } = {}) {
    super(options.name);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new RangeError(`Concatenate axis must be an integer, got ${this.axis}`);
  }
  /** A Concatenate from its Keras config. */
  static override fromConfig(c: Config): Concatenate {
    const r = new ConfigReader("Concatenate", c);
    return new Concatenate({ name: r.name, axis: r.int("axis", -1) });
  }
  /** No weights to create. */
  protected build(): void {}
  /** One input: a RangeError (Concatenate takes two or more). */
  protected call(): Tensor {
    throw new RangeError("Concatenate needs at least two inputs");
  }
  /** The inputs joined along `axis`. */
  protected override callMany(xs: Tensor[]): Tensor {
    return nn.concat(xs, this.axis);
  }
  /** Keras's keys: `name`, `axis`. */
  getConfig(): Config {
    return { name: this.name, axis: this.axis };
  }
}

/** Keras's Multiply: the elementwise product of its inputs (broadcast as TF broadcasts, batch axes equal). */
export class Multiply extends Layer {
  /** A Multiply layer; `name` defaults to a unique one made from `multiply`, as Keras names layers. */
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  /** A Multiply from its Keras config. */
  static override fromConfig(c: Config): Multiply {
    return new Multiply({ name: new ConfigReader("Multiply", c).name });
  }
  /** Nothing to build: Multiply has no weights. */
  protected build(): void {}
  /** A single input cannot be multiplied: throws a RangeError. */
  protected call(): Tensor {
    throw new RangeError("Multiply needs at least two inputs");
  }
  /** The elementwise product of the inputs (ranks and batch sizes must agree: a RangeError names both shapes). */
  protected override callMany(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => {
      if (a.rank !== b.rank || a.shape[0] !== b.shape[0]) {
        throw new RangeError(`cannot multiply [${a.shape}] by [${b.shape}]: ranks and batch sizes must agree`);
      }
      return ops.mul(a, b);
    }, xs[0]);
  }
  /** Keras's keys: `name`. */
  getConfig(): Config {
    return { name: this.name };
  }
}
