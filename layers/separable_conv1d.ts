/**
 * larq's QuantSeparableConv1D (Keras SeparableConv1D without quantizers):
 * a depthwise 1-D conv [k, C, multiplier], then a pointwise one
 * [1, C·multiplier, filters], then bias and activation; the input quantizer
 * runs once, before the depthwise step.
 * @module
 */
import { conv1d, depthwiseConv1d, type Padding } from "../graph/conv.ts";
import * as nn from "../graph/nn.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { tfAxis } from "../kernels/geometry.ts";
import { ConfigReader } from "./config_reader.ts";
import { checkPadding } from "./conv.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

/** larq QuantSeparableConv1D's options. */
export interface QuantSeparableConv1DOptions
  extends QuantLayerOptions, KernelOptions<"depthwise">, KernelOptions<"pointwise"> {
  strides?: number;
  padding?: Padding;
  dilationRate?: number;
  depthMultiplier?: number;
  padValues?: number;
}

/**
 * @example
 * ```ts
 * import { QuantSeparableConv1D } from "./separable_conv1d.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const c = new QuantSeparableConv1D(6, 3, { padding: "same", depthwiseQuantizer: "ste_sign", depthwiseConstraint: "weight_clip" });
 * console.log(c.apply(Tensor.fill([2, 7, 4], 1)).shape); // [2, 7, 6]
 * ```
 */
export class QuantSeparableConv1D extends QuantLayer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly dilationRate: number;
  readonly padding: Padding;
  readonly padValues: number;
  readonly depthMultiplier: number;
  depthwiseKernel!: Variable;
  pointwiseKernel!: Variable;

  constructor(filters: number, kernelSize: number, options: QuantSeparableConv1DOptions = {}) {
    super(options as QuantSeparableConv1DOptions & Config, ["depthwise", "pointwise"]);
    this.filters = positive("filters", filters);
    this.kernelSize = positive("kernel_size", kernelSize);
    this.strides = positive("strides", options.strides ?? 1);
    this.dilationRate = positive("dilation_rate", options.dilationRate ?? 1);
    this.padding = checkPadding(options.padding ?? "valid");
    this.padValues = options.padValues ?? 0;
    this.depthMultiplier = positive("depth_multiplier", options.depthMultiplier ?? 1);
  }

  /** A QuantSeparableConv1D (or SeparableConv1D) from its Keras config. */
  static override fromConfig<T extends typeof QuantSeparableConv1D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("filters", 0), r.int("kernel_size", 0), {
      ...QuantLayer.quantOptions(r, ["depthwise", "pointwise"]),
      strides: r.int("strides", 1),
      padding: r.padding(),
      padValues: r.number("pad_values", 0),
      dilationRate: r.int("dilation_rate", 1),
      depthMultiplier: r.int("depth_multiplier", 1),
    }) as InstanceType<T>;
  }

  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 3) throw new RangeError(`expects [batch, steps, channels], got [${inputShape}]`);
    const c = inputShape[2];
    this.depthwiseKernel = this.addKernel("depthwise", [this.kernelSize, c, this.depthMultiplier]);
    this.pointwiseKernel = this.addKernel("pointwise", [1, c * this.depthMultiplier, this.filters]);
    this.addBias(this.filters);
  }

  protected call(x: Tensor): Tensor {
    let xi = this.quantizeInput(x);
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      const a = tfAxis(xi.shape[1], this.kernelSize, this.strides, this.dilationRate, "same");
      xi = nn.pad(xi, [[0, 0], [a.before, a.after], [0, 0]], this.padValues);
      padding = "valid";
    }
    const dk = this.quantizeKernel("depthwise", this.depthwiseKernel);
    const pk = this.quantizeKernel("pointwise", this.pointwiseKernel);
    const d = depthwiseConv1d(xi, dk, { stride: this.strides, dilation: this.dilationRate, padding });
    return this.finish(conv1d(d, pk));
  }

  getConfig(): Config {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      pad_values: this.padValues,
      dilation_rate: [this.dilationRate],
      depth_multiplier: this.depthMultiplier,
      ...this.quantConfig(),
    };
  }
}

/** Keras SeparableConv1D: QuantSeparableConv1D without quantizers. */
export class SeparableConv1D extends QuantSeparableConv1D {}
