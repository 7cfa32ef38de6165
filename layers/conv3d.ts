/**
 * larq's QuantConv3D and QuantConv3DTranspose (Keras Conv3D /
 * Conv3DTranspose without quantizers): NDHWC inputs, kernels
 * [kd, kh, kw, C/groups, F] and [kd, kh, kw, F, C]. Trainable here; the
 * converter refuses them (TFLite and LCE have no binary 3-D convolution).
 * @module
 */
import { conv3d, conv3dTranspose, type Triple } from "../graph/conv3d.ts";
import type { Padding } from "../graph/conv.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { checkPadding, padSame } from "./conv.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, perAxis, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

const REFUSAL = "TFLite and Larq Compute Engine have no 3-D convolution to run it on; " +
  "keep 3-D layers out of models you convert (train them here, run them with fit/predict)";

/** larq QuantConv3D's options. */
export interface QuantConv3DOptions extends QuantLayerOptions, KernelOptions<"kernel"> {
  /** Keras's `strides`: one number or [depth, rows, columns] (default 1). */
  strides?: number | Triple;
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** Keras's `dilation_rate`: one number or [depth, rows, columns] (default 1; not with strides > 1). */
  dilationRate?: number | Triple;
  /** Keras's `groups`: input channels and filters split into this many groups (default 1). */
  groups?: number;
  /** Value of "same" padding (larq pad_values). */
  padValues?: number;
}

function expects5d(shape: readonly number[]): void {
  if (shape.length !== 5) throw new RangeError(`expects [batch, depth, height, width, channels], got [${shape}]`);
}

/**
 * larq's QuantConv3D.
 *
 * @example
 * ```ts
 * import { QuantConv3D } from "./conv3d.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const c = new QuantConv3D(4, 3, { padding: "same", inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" });
 * console.log(c.apply(Tensor.fill([1, 4, 5, 5, 2], 0.5)).shape); // [1, 4, 5, 5, 4]
 * ```
 */
export class QuantConv3D extends QuantLayer {
  /** The converter refuses 3-D convolutions: TFLite and LCE cannot run them. */
  static override conversionRefusal: string = REFUSAL;
  /** Keras's `filters`: output channels. */
  readonly filters: number;
  /** Keras's `kernel_size`: [depth, rows, columns]. */
  readonly kernelSize: Triple;
  /** Keras's `strides`: [depth, rows, columns]. */
  readonly strides: Triple;
  /** Keras's `dilation_rate`: [depth, rows, columns]. */
  readonly dilations: Triple;
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** larq's `pad_values`: the value "same" padding pads with. */
  readonly padValues: number;
  /** Keras's `groups` (1: an ordinary convolution). */
  readonly groups: number;
  /** The latent kernel [kd, kh, kw, channels/groups, filters], once built. */
  kernel!: Variable;

  /**
   * Sizes are positive integers, `padding` "same" or "valid"; strides > 1 with
   * dilations > 1 is a RangeError (as Keras).
   */
  constructor(filters: number, kernelSize: number | Triple, options: QuantConv3DOptions = {}) {
    super(options as QuantConv3DOptions & Config, ["kernel"]);
    this.filters = positive("filters", filters);
    this.kernelSize = perAxis("kernel_size", kernelSize, 3) as Triple;
    this.strides = perAxis("strides", options.strides, 3) as Triple;
    this.dilations = perAxis("dilation_rate", options.dilationRate, 3) as Triple;
    this.padding = checkPadding(options.padding ?? "valid");
    this.padValues = options.padValues ?? 0;
    this.groups = positive("groups", options.groups ?? 1);
    if (this.strides.some((s) => s > 1) && this.dilations.some((d) => d > 1)) {
      throw new RangeError("strides > 1 together with dilation_rate > 1 is not supported (as Keras)");
    }
  }

  /** A QuantConv3D (or Conv3D) from its Keras config. */
  static override fromConfig<T extends typeof QuantConv3D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("filters", 0), r.ints("kernel_size", 3, 0) as Triple, {
      ...QuantLayer.quantOptions(r, ["kernel"]),
      strides: r.ints("strides", 3, 1) as Triple,
      padding: r.padding(),
      padValues: r.number("pad_values", 0),
      dilationRate: r.ints("dilation_rate", 3, 1) as Triple,
      groups: r.int("groups", 1),
    }) as InstanceType<T>;
  }

  /**
   * Creates the kernel [kd, kh, kw, channels/groups, filters] and the bias for
   * [batch, depth, height, width, channels] inputs.
   */
  protected build(inputShape: readonly number[]): void {
    expects5d(inputShape);
    const cin = inputShape[4];
    if (cin % this.groups !== 0 || this.filters % this.groups !== 0) {
      throw new RangeError(
        `groups ${this.groups} must divide the input channels (${cin}) and filters (${this.filters})`,
      );
    }
    this.kernel = this.addKernel("kernel", [...this.kernelSize, cin / this.groups, this.filters]);
    this.addBias(this.filters);
  }

  /** q(input), padded with `padValues` for "same" when non-zero, convolved with q(kernel); then bias and activation. */
  protected call(x: Tensor): Tensor {
    let xi = this.quantizeInput(x);
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, this.kernelSize, this.strides, this.dilations, this.padValues);
      padding = "valid";
    }
    const k = this.quantizeKernel("kernel", this.kernel);
    return this.finish(
      conv3d(xi, k, { strides: this.strides, dilations: this.dilations, padding, groups: this.groups }),
    );
  }

  /** larq's summary does not count 3-D convolutions. */
  override macs(): null {
    return null;
  }

  /**
   * Keras's keys: `name`, `filters`, `kernel_size`, `strides`, `padding`,
   * `pad_values` (larq's layers), `dilation_rate`, `groups`, then the quantizers and
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
      groups: this.groups,
      ...this.quantConfig(),
    };
  }
}

/** Keras Conv3D: QuantConv3D without quantizers. */
export class Conv3D extends QuantConv3D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}

/** larq QuantConv3DTranspose's options. */
export interface QuantConv3DTransposeOptions extends QuantLayerOptions, KernelOptions<"kernel"> {
  /** Keras's `strides`: one number or [depth, rows, columns] (default 1). */
  strides?: number | Triple;
  /** Keras's `padding`: "valid" (default) or "same". */
  padding?: Padding;
  /** Keras `output_padding`: extra output planes, rows and columns (below each stride); default none. */
  outputPadding?: number | Triple | null;
}

/**
 * larq's QuantConv3DTranspose.
 *
 * @example
 * ```ts
 * import { Conv3DTranspose } from "./conv3d.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new Conv3DTranspose(2, 3, { strides: 2, padding: "same" }).apply(Tensor.fill([1, 2, 3, 3, 1], 1)).shape); // [1, 4, 6, 6, 2]
 * ```
 */
export class QuantConv3DTranspose extends QuantLayer {
  /** The converter refuses 3-D convolutions: TFLite and LCE cannot run them. */
  static override conversionRefusal: string = REFUSAL;
  /** Keras's `filters`: output channels. */
  readonly filters: number;
  /** Keras's `kernel_size`: [depth, rows, columns]. */
  readonly kernelSize: Triple;
  /** Keras's `strides`: [depth, rows, columns] (the upsampling factors). */
  readonly strides: Triple;
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** Keras's `output_padding` per axis (null: none). */
  readonly outputPadding: Triple | null;
  /** The latent kernel [kd, kh, kw, filters, channels], once built. */
  kernel!: Variable;

  /** Sizes are positive integers; each output padding an integer below its stride (else a RangeError). */
  constructor(filters: number, kernelSize: number | Triple, options: QuantConv3DTransposeOptions = {}) {
    super(options as QuantConv3DTransposeOptions & Config, ["kernel"]);
    this.filters = positive("filters", filters);
    this.kernelSize = perAxis("kernel_size", kernelSize, 3) as Triple;
    this.strides = perAxis("strides", options.strides, 3) as Triple;
    this.padding = checkPadding(options.padding ?? "valid");
    const op = options.outputPadding;
    this.outputPadding = op == null ? null : (typeof op === "number" ? [op, op, op] : [...op]) as Triple;
    this.outputPadding?.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || p >= this.strides[i]) {
        throw new RangeError(`output_padding ${p} must be an integer in [0, stride ${this.strides[i]})`);
      }
    });
  }

  /** A QuantConv3DTranspose (or Conv3DTranspose) from its Keras config. */
  static override fromConfig<T extends typeof QuantConv3DTranspose>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    if (r.ints("dilation_rate", 3, 1).some((d) => d !== 1)) {
      throw new RangeError(`${this.name} "${r.name}": dilation_rate must be 1 (Keras ignores it for Conv3DTranspose)`);
    }
    return new this(r.int("filters", 0), r.ints("kernel_size", 3, 0) as Triple, {
      ...QuantLayer.quantOptions(r, ["kernel"]),
      strides: r.ints("strides", 3, 1) as Triple,
      padding: r.padding(),
      outputPadding: r.raw("output_padding") === null ? null : r.ints("output_padding", 3, 0) as Triple,
    }) as InstanceType<T>;
  }

  /**
   * Creates the kernel [kd, kh, kw, filters, channels] and the bias for [batch,
   * depth, height, width, channels] inputs.
   */
  protected build(inputShape: readonly number[]): void {
    expects5d(inputShape);
    this.kernel = this.addKernel("kernel", [...this.kernelSize, this.filters, inputShape[4]]);
    this.addBias(this.filters);
  }

  /**
   * The transposed convolution of q(input) with q(kernel) (output size as
   * Keras's with `outputPadding`); then bias and activation.
   */
  protected call(x: Tensor): Tensor {
    const op = this.outputPadding;
    // Keras's deconv_output_length with output_padding: (in - 1)·stride + k - 2·pad + output_padding.
    const outputSize = op === null ? undefined : [0, 1, 2].map((i) => {
      const k = this.kernelSize[i], pad = this.padding === "same" ? Math.floor(k / 2) : 0;
      return (x.shape[1 + i] - 1) * this.strides[i] + k - 2 * pad + op[i];
    }) as Triple;
    const k = this.quantizeKernel("kernel", this.kernel);
    return this.finish(
      conv3dTranspose(this.quantizeInput(x), k, { strides: this.strides, padding: this.padding, outputSize }),
    );
  }

  /** larq's summary does not count 3-D convolutions. */
  override macs(): null {
    return null;
  }

  /**
   * Keras's keys: `name`, `filters`, `kernel_size`, `strides`, `padding`,
   * `output_padding`, then the quantizers and constraints.
   */
  getConfig(): Config {
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

/** Keras Conv3DTranspose: QuantConv3DTranspose without quantizers. */
export class Conv3DTranspose extends QuantConv3DTranspose {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}
