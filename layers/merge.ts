/** Layers that combine several inputs: Add, Concatenate. @module */
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { Layer } from "./layer.ts";

/** Elementwise sum of its inputs (same shapes). */
export class Add extends Layer {
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    return x;
  }
  /** Applied to several inputs (the functional API calls this). */
  applyMany(xs: Tensor[]): Tensor {
    if (xs.length < 2) throw new RangeError(`layer "${this.name}": Add needs at least two inputs`);
    return xs.slice(1).reduce((a, b) => {
      if (a.shape.join() !== b.shape.join()) {
        throw new RangeError(`layer "${this.name}": shapes [${a.shape}] and [${b.shape}] differ`);
      }
      return ops.add(a, b);
    }, xs[0]);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

/**
 * `x + y` written as an operator in a Keras functional model: the same as
 * Add, named as Keras names such layers (tf.__operators__.add, _1, ...).
 */
export class OperatorAdd extends Add {
  static override kerasName = "tf.__operators__.add";
}

/** Joins its inputs along `axis` (default: the channels). */
export class Concatenate extends Layer {
  readonly axis: number;
  constructor(options: { axis?: number; name?: string } = {}) {
    super(options.name);
    this.axis = options.axis ?? -1;
  }
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    return x;
  }
  applyMany(xs: Tensor[]): Tensor {
    return nn.concat(xs, this.axis);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: this.axis };
  }
}
