/**
 * The other convolutions of Keras and larq: Conv1D / QuantConv1D,
 * Conv2DTranspose / QuantConv2DTranspose, SeparableConv2D /
 * QuantSeparableConv2D. Same conventions as QuantConv2D: the input
 * quantizer runs first, "same" padding then pads with `pad_values`, kernels
 * are latent variables quantized in the forward pass.
 * @module
 */
import { conv1d, conv2d, conv2dTranspose, depthwiseConv2d, type Padding } from "../graph/conv.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { checkPadding, padSame } from "./conv.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, perAxis, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

/**
 * The options of a layer with one quantized `kernel`: QuantLayerOptions and
 * `kernelQuantizer`, `kernelConstraint`, `kernelRegularizer`,
 * `kernelInitializer`.
 */
export type FilterLayerOptions = QuantLayerOptions & KernelOptions<"kernel">;

/** A kernel layer with `filters` outputs and one quantized kernel. */
export abstract class FilterLayer extends QuantLayer {
  /** Keras's `filters`: output channels. */
  readonly filters: number;
  /** The latent kernel, once built. */
  kernel!: Variable;
  /** `filters`: a positive integer (else a RangeError). */
  constructor(filters: number, options: FilterLayerOptions) {
    super(options as FilterLayerOptions & Config, ["kernel"]);
    this.filters = positive("filters", filters);
  }
}

/** larq QuantConv1D's options. */
export interface QuantConv1DOptions extends FilterLayerOptions {
  /** Keras's `strides` (default 1). */
  strides?: number;
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** Keras's `dilation_rate` (default 1). */
  dilationRate?: number;
  /** Keras's `groups`: input channels and filters split into this many groups (default 1). */
  groups?: number;
  /** Value of "same" padding (larq): 0, or 1 for the "same-one" padding binary kernels do for free. */
  padValues?: number;
}

/**
 * larq's QuantConv1D (Keras Conv1D without quantizers): input [batch, steps,
 * channels], kernel [k, channels/groups, filters].
 *
 * @example
 * ```ts
 * import { QuantConv1D } from "./conv_variants.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new QuantConv1D(4, 3, { padding: "same" }).apply(Tensor.fill([2, 10, 3], 1)).shape); // [2, 10, 4]
 * ```
 */
export class QuantConv1D extends FilterLayer {
  /** Keras's `kernel_size`: the window length. */
  readonly kernelSize: number;
  /** Keras's `strides`. */
  readonly strides: number;
  /** Keras's `dilation_rate`. */
  readonly dilationRate: number;
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** larq's `pad_values`: the value "same" padding pads with. */
  readonly padValues: number;
  /** Keras's `groups` (1: an ordinary convolution). */
  readonly groups: number;

  /** Sizes are positive integers, `padding` "same" or "valid" (else a RangeError). */
  constructor(filters: number, kernelSize: number, options: QuantConv1DOptions = {}) {
    super(filters, options);
    this.kernelSize = positive("kernel_size", kernelSize);
    this.strides = positive("strides", options.strides ?? 1);
    this.dilationRate = positive("dilation_rate", options.dilationRate ?? 1);
    this.padding = checkPadding(options.padding ?? "valid");
    this.padValues = options.padValues ?? 0;
    this.groups = positive("groups", options.groups ?? 1);
  }

  /** A QuantConv1D (or Conv1D) from its Keras config. */
  static override fromConfig<T extends typeof QuantConv1D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("filters", 0), r.int("kernel_size", 0), {
      ...QuantLayer.quantOptions(r, ["kernel"]),
      strides: r.int("strides", 1),
      padding: r.padding(),
      padValues: r.number("pad_values", 0),
      dilationRate: r.int("dilation_rate", 1),
      groups: r.int("groups", 1),
    }) as InstanceType<T>;
  }

  /** Creates the kernel [k, channels/groups, filters] and the bias for [batch, steps, channels] inputs. */
  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 3) throw new RangeError(`expects [batch, steps, channels], got [${inputShape}]`);
    if (inputShape[2] % this.groups !== 0 || this.filters % this.groups !== 0) {
      throw new RangeError(`groups ${this.groups} must divide the channels (${inputShape[2]}) and filters`);
    }
    this.kernel = this.addKernel("kernel", [this.kernelSize, inputShape[2] / this.groups, this.filters]);
    this.addBias(this.filters);
  }

  /** q(input), padded with `padValues` for "same" when non-zero, convolved with q(kernel); then bias and activation. */
  protected call(x: Tensor): Tensor {
    const k = this.quantizeKernel("kernel", this.kernel);
    let xi = this.quantizeInput(x);
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, [this.kernelSize], [this.strides], [this.dilationRate], this.padValues);
      padding = "valid";
    }
    return this.finish(
      conv1d(xi, k, { stride: this.strides, dilation: this.dilationRate, padding, groups: this.groups }),
    );
  }

  /**
   * Keras's keys (sizes as one-element lists): `name`, `filters`,
   * `kernel_size`, `strides`, `padding`, `pad_values` (larq's layers), `dilation_rate`,
   * `groups`, then the quantizers and constraints.
   */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      ...this.larqKeys({ pad_values: this.padValues }),
      dilation_rate: [this.dilationRate],
      groups: this.groups,
      ...this.quantConfig(),
    };
  }
}

/** Keras Conv1D: QuantConv1D without quantizers. */
export class Conv1D extends QuantConv1D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}

/** larq QuantConv2DTranspose's options. */
export interface QuantConv2DTransposeOptions extends FilterLayerOptions {
  /** Keras's `strides`: one number or [rows, columns] (default 1), the upsampling factors. */
  strides?: number | [number, number];
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** Keras `output_padding`: extra output rows and columns (below each stride); default none. */
  outputPadding?: number | [number, number] | null;
}

/**
 * larq's QuantConv2DTranspose (Keras Conv2DTranspose without quantizers):
 * kernel [kh, kw, filters, channels].
 *
 * @example
 * ```ts
 * import { Conv2DTranspose } from "./conv_variants.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new Conv2DTranspose(2, 3, { strides: 2, padding: "same" }).apply(Tensor.fill([1, 4, 4, 3], 1)).shape); // [1, 8, 8, 2]
 * ```
 */
export class QuantConv2DTranspose extends FilterLayer {
  /** Keras's `kernel_size`: [rows, columns]. */
  readonly kernelSize: [number, number];
  /** Keras's `strides`: [rows, columns]. */
  readonly strides: [number, number];
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** Keras's `output_padding`: [rows, columns] (null: none). */
  readonly outputPadding: [number, number] | null;

  /** Sizes are positive integers; each output padding an integer below its stride (else a RangeError). */
  constructor(filters: number, kernelSize: number | [number, number], options: QuantConv2DTransposeOptions = {}) {
    super(filters, options);
    this.kernelSize = perAxis("kernel_size", kernelSize, 2);
    this.strides = perAxis("strides", options.strides, 2);
    this.padding = checkPadding(options.padding ?? "valid");
    this.outputPadding = options.outputPadding == null
      ? null
      : typeof options.outputPadding === "number"
      ? [options.outputPadding, options.outputPadding]
      : [...options.outputPadding];
    this.outputPadding?.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || p >= this.strides[i]) {
        throw new RangeError(
          `output_padding ${p} must be an integer in [0, stride ${this.strides[i]}) (Keras: stride > output padding)`,
        );
      }
    });
  }

  /** A QuantConv2DTranspose (or Conv2DTranspose) from its Keras config. */
  static override fromConfig<T extends typeof QuantConv2DTranspose>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    const op = r.raw("output_padding");
    return new this(r.int("filters", 0), r.pair("kernel_size", 0), {
      ...QuantLayer.quantOptions(r, ["kernel"]),
      strides: r.pair("strides", 1),
      padding: r.padding(),
      outputPadding: op === null ? null : r.ints("output_padding", 2, 0) as [number, number],
    }) as InstanceType<T>;
  }

  /** Creates the kernel [kh, kw, filters, channels] and the bias for [batch, height, width, channels] inputs. */
  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    this.kernel = this.addKernel("kernel", [...this.kernelSize, this.filters, inputShape[3]]);
    this.addBias(this.filters);
  }

  /**
   * The transposed convolution of q(input) with q(kernel) (output size as
   * Keras's with `outputPadding`); then bias and activation.
   */
  protected call(x: Tensor): Tensor {
    const xi = this.quantizeInput(x), k = this.quantizeKernel("kernel", this.kernel);
    // Keras's deconv_output_length with output_padding: (in - 1)·stride + k - 2·pad + output_padding.
    const op = this.outputPadding;
    const outputSize = op === null ? undefined : [0, 1].map((i) => {
      const k = this.kernelSize[i], pad = this.padding === "same" ? Math.floor(k / 2) : 0;
      return (x.shape[1 + i] - 1) * this.strides[i] + k - 2 * pad + op[i];
    }) as [number, number];
    return this.finish(conv2dTranspose(xi, k, { strides: this.strides, padding: this.padding, outputSize }));
  }

  /**
   * Keras's keys: `name`, `filters`, `kernel_size`, `strides`, `padding`,
   * `output_padding`, then the quantizers and constraints.
   */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      output_padding: this.outputPadding,
      ...this.quantConfig(),
    };
  }
}

/** Keras Conv2DTranspose: QuantConv2DTranspose without quantizers. */
export class Conv2DTranspose extends QuantConv2DTranspose {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}

/** larq QuantSeparableConv2D's options. */
export interface QuantSeparableConv2DOptions
  extends QuantLayerOptions, KernelOptions<"depthwise">, KernelOptions<"pointwise"> {
  /** Keras's `strides`: one number or [rows, columns] (default 1). */
  strides?: number | [number, number];
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** Keras's `dilation_rate` of the depthwise step (default 1). */
  dilationRate?: number | [number, number];
  /** Keras's `depth_multiplier`: depthwise outputs per input channel (default 1). */
  depthMultiplier?: number;
  /** larq's `pad_values`: the value "same" padding pads with (default 0). */
  padValues?: number;
}

/**
 * larq's QuantSeparableConv2D (Keras SeparableConv2D without quantizers):
 * a depthwise conv [kh, kw, C, multiplier], then a 1×1 pointwise conv
 * [1, 1, C·multiplier, filters], then bias and activation; the input
 * quantizer runs once, before the depthwise step.
 *
 * @example
 * ```ts
 * import { SeparableConv2D } from "./conv_variants.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SeparableConv2D(8, 3, { padding: "same" }).apply(Tensor.fill([1, 5, 5, 4], 1)).shape); // [1, 5, 5, 8]
 * ```
 */
export class QuantSeparableConv2D extends QuantLayer {
  /** Keras's `filters`: output channels of the pointwise step. */
  readonly filters: number;
  /** Keras's `kernel_size` of the depthwise step: [rows, columns]. */
  readonly kernelSize: [number, number];
  /** Keras's `strides`: [rows, columns]. */
  readonly strides: [number, number];
  /** Keras's `dilation_rate`: [rows, columns]. */
  readonly dilations: [number, number];
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** larq's `pad_values`: the value "same" padding pads with. */
  readonly padValues: number;
  /** Keras's `depth_multiplier`. */
  readonly depthMultiplier: number;
  /** The latent depthwise kernel [kh, kw, channels, depthMultiplier], once built. */
  depthwiseKernel!: Variable;
  /** The latent pointwise kernel [1, 1, channels·depthMultiplier, filters], once built. */
  pointwiseKernel!: Variable;

  /** Sizes are positive integers, `padding` "same" or "valid" (else a RangeError). */
  constructor(filters: number, kernelSize: number | [number, number], options: QuantSeparableConv2DOptions = {}) {
    super(options as QuantSeparableConv2DOptions & Config, ["depthwise", "pointwise"]);
    this.filters = positive("filters", filters);
    this.kernelSize = perAxis("kernel_size", kernelSize, 2);
    this.strides = perAxis("strides", options.strides, 2);
    this.dilations = perAxis("dilation_rate", options.dilationRate, 2);
    this.padding = checkPadding(options.padding ?? "valid");
    this.padValues = options.padValues ?? 0;
    this.depthMultiplier = positive("depth_multiplier", options.depthMultiplier ?? 1);
  }

  /** A QuantSeparableConv2D (or SeparableConv2D) from its Keras config. */
  static override fromConfig<T extends typeof QuantSeparableConv2D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("filters", 0), r.pair("kernel_size", 0), {
      ...QuantLayer.quantOptions(r, ["depthwise", "pointwise"]),
      strides: r.pair("strides", 1),
      padding: r.padding(),
      padValues: r.number("pad_values", 0),
      dilationRate: r.pair("dilation_rate", 1),
      depthMultiplier: r.int("depth_multiplier", 1),
    }) as InstanceType<T>;
  }

  /** Creates both kernels and the bias for [batch, height, width, channels] inputs. */
  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    const c = inputShape[3];
    this.depthwiseKernel = this.addKernel("depthwise", [...this.kernelSize, c, this.depthMultiplier]);
    this.pointwiseKernel = this.addKernel("pointwise", [1, 1, c * this.depthMultiplier, this.filters]);
    this.addBias(this.filters);
  }

  /**
   * q(input), padded with `padValues` for "same" when non-zero, the depthwise
   * conv with q(depthwise kernel), the 1×1 conv with q(pointwise kernel); then
   * bias and activation.
   */
  protected call(x: Tensor): Tensor {
    let xi = this.quantizeInput(x);
    const dk = this.quantizeKernel("depthwise", this.depthwiseKernel);
    const pk = this.quantizeKernel("pointwise", this.pointwiseKernel);
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, this.kernelSize, this.strides, this.dilations, this.padValues);
      padding = "valid";
    }
    const d = depthwiseConv2d(xi, dk, { strides: this.strides, dilations: this.dilations, padding });
    return this.finish(conv2d(d, pk));
  }

  /**
   * Keras's keys: `name`, `filters`, `kernel_size`, `strides`, `padding`,
   * `pad_values` (larq's layers), `dilation_rate`, `depth_multiplier`, then the quantizers and
   * constraints.
   */
  getConfig(): Config {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      ...this.larqKeys({ pad_values: this.padValues }),
      dilation_rate: this.dilations,
      depth_multiplier: this.depthMultiplier,
      ...this.quantConfig(),
    };
  }
}

/** Keras SeparableConv2D: QuantSeparableConv2D without quantizers. */
export class SeparableConv2D extends QuantSeparableConv2D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}
