/** DepthwiseConv2D and larq's QuantDepthwiseConv2D: kernel [kh, kw, C, multiplier]. @module */
import { depthwiseConv2d, type Padding } from "../graph/conv.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import type { Quantizer, QuantizerConfig } from "../quantizers/quantizer.ts";
import { getQuantizer } from "../quantizers/registry.ts";
import { activation, type ActivationName } from "./core.ts";
import { padSame } from "./conv.ts";
import type { Initializer } from "./initializers.ts";
import { type Constraint, Layer } from "./layer.ts";

export interface QuantDepthwiseConv2DOptions {
  strides?: number | [number, number];
  padding?: Padding;
  depthMultiplier?: number;
  activation?: ActivationName | null;
  useBias?: boolean;
  /** A Keras initializer, or a function of the kernel shape (e.g. a fixed blur-pool kernel). */
  depthwiseInitializer?: Initializer | ((shape: readonly number[]) => Tensor);
  depthwiseConstraint?: Constraint | null;
  inputQuantizer?: string | QuantizerConfig | Quantizer | null;
  depthwiseQuantizer?: string | QuantizerConfig | Quantizer | null;
  padValues?: number;
  trainable?: boolean;
  name?: string;
}

export class QuantDepthwiseConv2D extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly multiplier: number;
  readonly inputQuantizer: Quantizer | null;
  readonly depthwiseQuantizer: Quantizer | null;
  /** Value of "same" padding (larq pad_values). */
  readonly padValues: number;
  readonly activation: ActivationName | null;
  readonly #o: QuantDepthwiseConv2DOptions;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(kernelSize: number | [number, number], options: QuantDepthwiseConv2DOptions = {}) {
    super(options.name);
    this.kernelSize = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const s = options.strides ?? 1;
    this.strides = typeof s === "number" ? [s, s] : s;
    this.padding = options.padding ?? "valid";
    this.multiplier = options.depthMultiplier ?? 1;
    this.inputQuantizer = getQuantizer(options.inputQuantizer ?? null);
    this.depthwiseQuantizer = getQuantizer(options.depthwiseQuantizer ?? null);
    this.trainable = options.trainable ?? true;
    this.padValues = options.padValues ?? 0;
    this.activation = options.activation ?? null;
    this.#o = options;
  }

  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    const shape = [...this.kernelSize, inputShape[3], this.multiplier];
    const init = this.#o.depthwiseInitializer ?? "glorot_uniform";
    this.kernel = this.addWeight("depthwise_kernel", shape, typeof init === "function" ? "zeros" : init, {
      constraint: this.#o.depthwiseConstraint ?? null,
      quantizer: this.depthwiseQuantizer,
    });
    if (typeof init === "function") this.kernel.assign(init(shape));
    if (this.#o.useBias ?? true) this.bias = this.addWeight("bias", [inputShape[3] * this.multiplier], "zeros");
  }

  protected call(x: Tensor): Tensor {
    let xi = this.inputQuantizer ? this.inputQuantizer.call(x) : x;
    const k = this.depthwiseQuantizer ? this.depthwiseQuantizer.call(this.kernel) : this.kernel;
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, this.kernelSize, this.strides, [1, 1], this.padValues);
      padding = "valid";
    }
    let y = depthwiseConv2d(xi, k, { strides: this.strides, padding });
    if (this.bias) y = ops.add(y, this.bias);
    return activation(this.activation)(y);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      depth_multiplier: this.multiplier,
      use_bias: this.#o.useBias ?? true,
      trainable: this.trainable,
      input_quantizer: this.inputQuantizer?.getConfig() ?? null,
      depthwise_quantizer: this.depthwiseQuantizer?.getConfig() ?? null,
      depthwise_constraint: this.#o.depthwiseConstraint?.getConfig() ?? null,
      pad_values: this.padValues,
      activation: this.activation,
    };
  }
}

/** Keras DepthwiseConv2D: QuantDepthwiseConv2D without quantizers. */
export class DepthwiseConv2D extends QuantDepthwiseConv2D {}
