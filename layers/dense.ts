/** Dense and QuantDense (larq): y = act(q_in(x) · q_k(W) + b). @module */
import * as ops from "../graph/ops.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { getQuantizer } from "../quantizers/registry.ts";
import type { QuantizerConfig } from "../quantizers/quantizer.ts";
import { activation, type ActivationName } from "./core.ts";
import type { Initializer } from "./initializers.ts";
import { type Constraint, Layer } from "./layer.ts";

export interface DenseOptions {
  activation?: ActivationName | null;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  kernelConstraint?: Constraint | null;
  name?: string;
}

export interface QuantDenseOptions extends DenseOptions {
  inputQuantizer?: string | QuantizerConfig | Quantizer | null;
  kernelQuantizer?: string | QuantizerConfig | Quantizer | null;
}

/**
 * A fully connected layer over the last axis; with quantizers, larq's
 * QuantDense (the latent kernel is the variable; the forward pass uses q(kernel)).
 *
 * @example
 * ```ts
 * import { QuantDense } from "./dense.ts";
 * import { weightClip } from "./layer.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const d = new QuantDense(4, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() });
 * console.log(d.apply(Tensor.fill([2, 3], 0.5)).shape); // [2, 4]
 * ```
 */
export class QuantDense extends Layer {
  readonly units: number;
  readonly options: Required<Omit<QuantDenseOptions, "name">>;
  readonly inputQuantizer: Quantizer | null;
  readonly kernelQuantizer: Quantizer | null;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(units: number, options: QuantDenseOptions = {}) {
    super(options.name);
    if (!Number.isInteger(units) || units < 1) throw new RangeError(`units must be a positive integer, got ${units}`);
    this.units = units;
    this.inputQuantizer = getQuantizer(options.inputQuantizer ?? null);
    this.kernelQuantizer = getQuantizer(options.kernelQuantizer ?? null);
    this.options = {
      activation: options.activation ?? null,
      useBias: options.useBias ?? true,
      kernelInitializer: options.kernelInitializer ?? "glorot_uniform",
      biasInitializer: options.biasInitializer ?? "zeros",
      kernelConstraint: options.kernelConstraint ?? null,
      inputQuantizer: options.inputQuantizer ?? null,
      kernelQuantizer: options.kernelQuantizer ?? null,
    };
    if (this.kernelQuantizer?.precision === 1 && this.options.kernelConstraint === null) {
      console.warn(
        `layer "${this.name}": a binary kernel quantizer without a kernel constraint may give starved weights ` +
          "(latent weights grow until their gradient is always zero); add kernelConstraint: weightClip()",
      );
    }
  }

  protected build(inputShape: readonly number[]): void {
    const depth = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || !(depth >= 1)) throw new RangeError(`input shape [${inputShape}] has no feature axis`);
    this.kernel = this.addWeight("kernel", [depth, this.units], this.options.kernelInitializer, {
      constraint: this.options.kernelConstraint,
      quantizer: this.kernelQuantizer,
    });
    if (this.options.useBias) this.bias = this.addWeight("bias", [this.units], this.options.biasInitializer);
  }

  protected call(x: Tensor): Tensor {
    return activation(this.options.activation)(this.linear(x));
  }

  /** The layer without its activation (the logits of a softmax layer); builds on first use. */
  linear(x: Tensor): Tensor {
    if (!this.built) {
      this.build(x.shape);
      this.built = true;
    }
    const depth = this.kernel.shape[0];
    if (x.shape[x.rank - 1] !== depth) throw new RangeError(`expects ${depth} input features, got [${x.shape}]`);
    const xi = this.inputQuantizer ? this.inputQuantizer.call(x) : x;
    const k = this.kernelQuantizer ? this.kernelQuantizer.call(this.kernel) : this.kernel;
    const rows = ops.reshape(xi, [-1, depth]);
    let y = ops.matmul(rows, k);
    if (this.bias) y = ops.add(y, this.bias);
    return ops.reshape(y, [...x.shape.slice(0, -1), this.units]);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      units: this.units,
      activation: this.options.activation,
      use_bias: this.options.useBias,
      input_quantizer: this.inputQuantizer?.getConfig() ?? null,
      kernel_quantizer: this.kernelQuantizer?.getConfig() ?? null,
      kernel_constraint: this.options.kernelConstraint?.getConfig() ?? null,
    };
  }
}

/** Keras Dense: QuantDense without quantizers. */
export class Dense extends QuantDense {
  constructor(units: number, options: DenseOptions = {}) {
    super(units, options);
  }
}
