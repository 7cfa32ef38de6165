/**
 * larq's QuantSeparableConv1D (Keras SeparableConv1D without quantizers):
 * a depthwise 1-D conv [k, C, multiplier], then a pointwise one
 * [1, C·multiplier, filters], then bias and activation; the input quantizer
 * runs once, before the depthwise step.
 * @module
 */
import { conv1d, depthwiseConv1d, type Padding } from "../graph/conv.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { checkPadding, padSame } from "./conv.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

/** larq QuantSeparableConv1D's options. */
export interface QuantSeparableConv1DOptions
  extends QuantLayerOptions, KernelOptions<"depthwise">, KernelOptions<"pointwise"> {
  /** Keras's `strides` (default 1). */
  strides?: number;
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** Keras's `dilation_rate` of the depthwise step (default 1). */
  dilationRate?: number;
  /** Keras's `depth_multiplier`: depthwise outputs per input channel (default 1). */
  depthMultiplier?: number;
  /** larq's `pad_values`: the value "same" padding pads with (default 0). */
  padValues?: number;
}

/**
 * A depthwise 1-D convolution then a pointwise one (Keras's SeparableConv1D);
 * with quantizers, larq's QuantSeparableConv1D.
 *
 * @example
 * ```ts
 * import { QuantSeparableConv1D } from "./separable_conv1d.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const c = new QuantSeparableConv1D(6, 3, { padding: "same", depthwiseQuantizer: "ste_sign", depthwiseConstraint: "weight_clip" });
 * console.log(c.apply(Tensor.fill([2, 7, 4], 1)).shape); // [2, 7, 6]
 * ```
 */
export class QuantSeparableConv1D extends QuantLayer {
  /** Keras's `filters`: output channels of the pointwise step. */
  readonly filters: number;
  /** Keras's `kernel_size` of the depthwise step. */
  readonly kernelSize: number;
  /** Keras's `strides`. */
  readonly strides: number;
  /** Keras's `dilation_rate`. */
  readonly dilationRate: number;
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** larq's `pad_values`: the value "same" padding pads with. */
  readonly padValues: number;
  /** Keras's `depth_multiplier`. */
  readonly depthMultiplier: number;
  /** The latent depthwise kernel [k, channels, depthMultiplier], once built. */
  depthwiseKernel!: Variable;
  /** The latent pointwise kernel [1, channels·depthMultiplier, filters], once built. */
  pointwiseKernel!: Variable;

  /** Sizes are positive integers, `padding` "same" or "valid" (else a RangeError). */
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

  /** Creates both kernels and the bias for [batch, steps, channels] inputs. */
  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 3) throw new RangeError(`expects [batch, steps, channels], got [${inputShape}]`);
    const c = inputShape[2];
    this.depthwiseKernel = this.addKernel("depthwise", [this.kernelSize, c, this.depthMultiplier]);
    this.pointwiseKernel = this.addKernel("pointwise", [1, c * this.depthMultiplier, this.filters]);
    this.addBias(this.filters);
  }

  /**
   * q(input), padded with `padValues` for "same" when non-zero, the depthwise
   * conv with q(depthwise kernel), the 1-wide conv with q(pointwise kernel);
   * then bias and activation.
   */
  protected call(x: Tensor): Tensor {
    let xi = this.quantizeInput(x);
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, [this.kernelSize], [this.strides], [this.dilationRate], this.padValues);
      padding = "valid";
    }
    const dk = this.quantizeKernel("depthwise", this.depthwiseKernel);
    const pk = this.quantizeKernel("pointwise", this.pointwiseKernel);
    const d = depthwiseConv1d(xi, dk, { stride: this.strides, dilation: this.dilationRate, padding });
    return this.finish(conv1d(d, pk));
  }

  /**
   * Keras's keys (sizes as one-element lists): `name`, `filters`,
   * `kernel_size`, `strides`, `padding`, `pad_values` (larq's layers), `dilation_rate`,
   * `depth_multiplier`, then the quantizers and constraints.
   */
  getConfig(): Config {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      ...this.larqKeys({ pad_values: this.padValues }),
      dilation_rate: [this.dilationRate],
      depth_multiplier: this.depthMultiplier,
      ...this.quantConfig(),
    };
  }
}

/** Keras SeparableConv1D: QuantSeparableConv1D without quantizers. */
export class SeparableConv1D extends QuantSeparableConv1D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}
