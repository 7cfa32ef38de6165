/** Dense and QuantDense (larq): y = act(q_in(x) · q_k(W) + b). @module */
import { steSignConv2d } from "../graph/conv.ts";
import * as ops from "../graph/ops.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

/** Keras Dense's options. */
export type DenseOptions = Omit<QuantDenseOptions, "inputQuantizer" | "kernelQuantizer">;

/** larq QuantDense's options. */
export interface QuantDenseOptions extends QuantLayerOptions, KernelOptions<"kernel"> {}

/**
 * A fully connected layer over the last axis; with quantizers, larq's
 * QuantDense (the latent kernel is the variable; the forward pass uses q(kernel)).
 *
 * @example
 * ```ts
 * import { QuantDense } from "./dense.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const d = new QuantDense(4, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" });
 * console.log(d.apply(Tensor.fill([2, 3], 0.5)).shape); // [2, 4]
 * ```
 */
export class QuantDense extends QuantLayer {
  /** Keras's `units`: output features. */
  readonly units: number;
  /** The latent kernel [input features, units], once built. */
  kernel!: Variable;

  /** `units`: a positive integer (else a RangeError). */
  constructor(units: number, options: QuantDenseOptions = {}) {
    super(options as QuantDenseOptions & Config, ["kernel"]);
    this.units = positive("units", units);
  }

  /** A QuantDense (or Dense) from its Keras config. */
  static override fromConfig<T extends typeof QuantDense>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("units", 0), QuantLayer.quantOptions(r, ["kernel"])) as InstanceType<T>;
  }

  /** Creates the kernel [features, units] and the bias for inputs [..., features]. */
  protected build(inputShape: readonly number[]): void {
    const depth = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || !(depth >= 1)) throw new RangeError(`input shape [${inputShape}] has no feature axis`);
    this.kernel = this.addKernel("kernel", [depth, this.units]);
    this.addBias(this.units);
  }

  /** q(input) · q(kernel) over the last axis (other axes kept); then bias and activation. */
  protected call(x: Tensor): Tensor {
    const depth = this.kernel.shape[0];
    if (x.shape[x.rank - 1] !== depth) throw new RangeError(`expects ${depth} input features, got [${x.shape}]`);
    const q = this.quantizerOf("kernel"), iq = this.inputQuantizer;
    if (q?.constructor === SteSign && iq?.constructor === SteSign && depth % 32 === 0) {
      // ste_sign on both sides: a 1×1 sign convolution of the latent rows and kernel (graph/conv.ts
      // steSignConv2d), bitpacked and XNOR-popcounted where the native kernels run, neither ±1 copy made; the
      // same values, the gradients the same products. Null (small or no native kernels): the ops below.
      const clips = { clipValue: (q as SteSign).clipValue, inputClipValue: (iq as SteSign).clipValue };
      const y = steSignConv2d(
        ops.reshape(x, [-1, 1, 1, depth]),
        ops.reshape(this.kernel, [1, 1, depth, this.units]),
        clips,
      );
      if (y) return ops.reshape(this.finish(ops.reshape(y, [-1, this.units])), [...x.shape.slice(0, -1), this.units]);
    }
    const rows = ops.reshape(this.quantizeInput(x), [-1, depth]);
    const y = this.finish(ops.matmul(rows, this.quantizeKernel("kernel", this.kernel)));
    return ops.reshape(y, [...x.shape.slice(0, -1), this.units]);
  }

  /** Keras's keys: `name`, `units`, then the activation, bias use, quantizers and constraints. */
  getConfig(): Config {
    return { name: this.name, units: this.units, ...this.quantConfig() };
  }
}

/** Keras Dense: QuantDense without quantizers. */
export class Dense extends QuantDense {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
  /** As QuantDense, without the quantizer options. */
  constructor(units: number, options: DenseOptions = {}) {
    super(units, options);
  }
}
