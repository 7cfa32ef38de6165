/**
 * Keras's PReLU: max(x, 0) + α·min(x, 0) with a learned α per position and
 * channel, shared along `sharedAxes` (larq-zoo's Real-to-Binary nets share
 * it over height and width: one α per channel). @module
 */
import * as ops from "../graph/ops.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import type { Initializer } from "./initializers.ts";
import { type Config, type Constraint, type ConstraintLike, getConstraint, Layer } from "./layer.ts";
import type { RegularizerLike } from "./quant_layer.ts";
import { getRegularizer, type Regularizer } from "./regularizers.ts";

/** PReLU's options (Keras's alpha_initializer, alpha_regularizer, alpha_constraint, shared_axes). */
export interface PReLUOptions {
  /** How α starts (Keras's default: zeros). */
  alphaInitializer?: Initializer;
  /** A penalty on α added to the training loss. */
  alphaRegularizer?: RegularizerLike;
  /** A constraint applied to α after each update. */
  alphaConstraint?: ConstraintLike;
  /** Axes (1 = the first after the batch axis) along which α is shared. */
  sharedAxes?: readonly number[] | null;
  /** The layer's name (default p_re_lu, p_re_lu_1, … as Keras). */
  name?: string;
}

/**
 * Parametric ReLU (He et al. 2015), computed as Keras does:
 * relu(x) - α·relu(-x).
 *
 * @example
 * ```ts
 * import { PReLU } from "./prelu.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const p = new PReLU({ alphaInitializer: { constant: 0.25 }, sharedAxes: [1, 2] });
 * console.log(p.apply(Tensor.from([[[[-4, 2]]]])).toArray()); // [[[[-1, 2]]]]
 * ```
 */
export class PReLU extends Layer {
  /** How α starts. */
  readonly alphaInitializer: Initializer;
  /** α's penalty, or null. */
  readonly alphaRegularizer: Regularizer | null;
  /** α's constraint, or null. */
  readonly alphaConstraint: Constraint | null;
  /** Axes along which α is shared (null: one α per input position and channel). */
  readonly sharedAxes: number[] | null;
  /** The slopes below zero: the input shape without the batch axis, 1 along the shared axes. */
  alpha!: Variable;

  /** A PReLU (options as Keras's, camelCase). */
  constructor(options: PReLUOptions = {}) {
    super(options.name);
    this.alphaRegularizer = getRegularizer(options.alphaRegularizer ?? null);
    this.alphaConstraint = getConstraint(options.alphaConstraint);
    this.alphaInitializer = options.alphaInitializer ?? "zeros";
    const axes = options.sharedAxes ?? null;
    if (axes !== null && !(Array.isArray(axes) && axes.every((a) => Number.isInteger(a) && a >= 1))) {
      throw new RangeError(
        `PReLU shared_axes must be axes ≥ 1 (the batch axis is 0), got ${JSON.stringify(axes)}`,
      );
    }
    this.sharedAxes = axes === null ? null : [...axes];
  }

  /** A PReLU from its Keras config. */
  static override fromConfig(c: Config): PReLU {
    const r = new ConfigReader("PReLU", c);
    const axes = r.raw("shared_axes");
    return new PReLU({
      name: r.name,
      alphaInitializer: (r.raw("alpha_initializer") ?? "zeros") as Initializer,
      alphaRegularizer: r.raw("alpha_regularizer") as RegularizerLike,
      alphaConstraint: r.raw("alpha_constraint") as ConstraintLike,
      sharedAxes: axes === null ? null : Array.isArray(axes) ? axes as number[] : [axes as number],
    });
  }

  /** Creates α for this input shape. */
  protected build(inputShape: readonly number[]): void {
    const shape = inputShape.slice(1);
    for (const a of this.sharedAxes ?? []) {
      if (a > shape.length) throw new RangeError(`shared axis ${a} is out of range for input [${inputShape}]`);
      shape[a - 1] = 1;
    }
    this.alpha = this.addWeight("alpha", shape, this.alphaInitializer, {
      constraint: this.alphaConstraint,
      regularizer: this.alphaRegularizer,
    });
  }

  /** relu(x) - α·relu(-x), as Keras computes it. */
  protected call(x: Tensor): Tensor {
    return ops.sub(ops.relu(x), ops.mul(this.alpha, ops.relu(ops.neg(x))));
  }

  /** Keras's PReLU config. */
  getConfig(): Config {
    return {
      name: this.name,
      alpha_initializer: this.alphaInitializer,
      alpha_regularizer: this.alphaRegularizer?.getConfig() ?? null,
      alpha_constraint: this.alphaConstraint?.getConfig() ?? null,
      shared_axes: this.sharedAxes,
    };
  }
}
