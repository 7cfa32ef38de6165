/** DepthwiseConv2D and larq's QuantDepthwiseConv2D: kernel [kh, kw, C, multiplier]. @module */
import { depthwiseConv2d, type Padding } from "../graph/conv.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { ConfigReader } from "./config_reader.ts";
import { checkPadding, padSame } from "./conv.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, perAxis, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

/** larq QuantDepthwiseConv2D's options. */
export interface QuantDepthwiseConv2DOptions extends QuantLayerOptions, KernelOptions<"depthwise"> {
  /** Keras's `strides`: one number or [rows, columns] (default 1). */
  strides?: number | [number, number];
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** Keras's `depth_multiplier`: outputs per input channel (default 1). */
  depthMultiplier?: number;
  /** larq's `pad_values`: the value "same" padding pads with (default 0). */
  padValues?: number;
  /** Keras's `trainable` (default true). */
  trainable?: boolean;
}

/**
 * A depthwise 2-D convolution (each input channel its own `depthMultiplier`
 * filters); with quantizers, larq's QuantDepthwiseConv2D.
 *
 * @example
 * ```ts
 * import { QuantDepthwiseConv2D } from "./depthwise.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const d = new QuantDepthwiseConv2D(3, { padding: "same", depthMultiplier: 2 });
 * console.log(d.apply(Tensor.fill([1, 5, 5, 4], 1)).shape); // [1, 5, 5, 8]
 * ```
 */
export class QuantDepthwiseConv2D extends QuantLayer {
  /** Keras's `kernel_size`: [rows, columns]. */
  readonly kernelSize: [number, number];
  /** Keras's `strides`: [rows, columns]. */
  readonly strides: [number, number];
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** Keras's `depth_multiplier`: outputs per input channel. */
  readonly multiplier: number;
  /** Value of "same" padding (larq pad_values). */
  readonly padValues: number;
  /** The latent depthwise kernel [kh, kw, channels, multiplier], once built. */
  kernel!: Variable;

  /** Sizes are positive integers, `padding` "same" or "valid" (else a RangeError). */
  constructor(kernelSize: number | [number, number], options: QuantDepthwiseConv2DOptions = {}) {
    super(options as QuantDepthwiseConv2DOptions & Config, ["depthwise"]);
    this.kernelSize = perAxis("kernel_size", kernelSize, 2);
    this.strides = perAxis("strides", options.strides, 2);
    this.padding = checkPadding(options.padding ?? "valid");
    this.multiplier = positive("depth_multiplier", options.depthMultiplier ?? 1);
    this.trainable = options.trainable ?? true;
    this.padValues = options.padValues ?? 0;
  }

  /** A QuantDepthwiseConv2D (or DepthwiseConv2D) from its Keras config. */
  static override fromConfig<T extends typeof QuantDepthwiseConv2D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.pair("kernel_size", 0), {
      ...QuantLayer.quantOptions(r, ["depthwise"]),
      strides: r.pair("strides", 1),
      padding: r.padding(),
      depthMultiplier: r.int("depth_multiplier", 1),
      padValues: r.number("pad_values", 0),
      trainable: r.bool("trainable", true),
    }) as InstanceType<T>;
  }

  /** The quantizer of the depthwise kernel. */
  get depthwiseQuantizer(): Quantizer | null {
    return this.quantizerOf("depthwise");
  }

  /**
   * Creates the kernel [kh, kw, channels, multiplier] and a bias of
   * channels·multiplier for [batch, height, width, channels] inputs.
   */
  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    this.kernel = this.addKernel("depthwise", [...this.kernelSize, inputShape[3], this.multiplier]);
    this.addBias(inputShape[3] * this.multiplier);
  }

  /**
   * q(input), padded with `padValues` for "same" when non-zero, convolved with
   * q(kernel) per channel; then bias and activation.
   */
  protected call(x: Tensor): Tensor {
    let xi = this.quantizeInput(x);
    const k = this.quantizeKernel("depthwise", this.kernel);
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, this.kernelSize, this.strides, [1, 1], this.padValues);
      padding = "valid";
    }
    return this.finish(depthwiseConv2d(xi, k, { strides: this.strides, padding }));
  }

  /**
   * Keras's keys: `name`, `kernel_size`, `strides`, `padding`,
   * `depth_multiplier`, `pad_values` (larq's layers), then the quantizers and constraints.
   */
  getConfig(): Config {
    return {
      name: this.name,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      depth_multiplier: this.multiplier,
      ...this.larqKeys({ pad_values: this.padValues }),
      ...this.quantConfig(),
    };
  }
}

/** Keras DepthwiseConv2D: QuantDepthwiseConv2D without quantizers. */
export class DepthwiseConv2D extends QuantDepthwiseConv2D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}
