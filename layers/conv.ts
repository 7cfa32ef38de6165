/**
 * Conv2D and larq's QuantConv2D: quantize the input first, then pad with
 * pad_values for "same" padding (TF SAME amounts), then convolve the
 * quantized kernel (HWIO). @module
 */
import { conv2d, conv2dMaxPool, type Padding, steSignConv2d } from "../graph/conv.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import * as nn from "../graph/nn.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { tfAxis } from "../kernels/geometry.ts";
import { SMALL_CIN_CHANNELS } from "../kernels/_abi_generated.ts";
import { ConfigReader } from "./config_reader.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, perAxis, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

/** Keras Conv2D's options. */
export type Conv2DOptions = Omit<QuantConv2DOptions, "inputQuantizer" | "kernelQuantizer" | "padValues">;

/** larq QuantConv2D's options. */
export interface QuantConv2DOptions extends QuantLayerOptions, KernelOptions<"kernel"> {
  /** Keras's `strides`: one number or [rows, columns] (default 1). */
  strides?: number | [number, number];
  /** Keras's `padding`: "valid" (default) or "same" (TF SAME amounts). */
  padding?: Padding;
  /** Keras's `dilation_rate`: one number or [rows, columns] (default 1). */
  dilationRate?: number | [number, number];
  /** Keras's `groups`: input channels and filters split into this many groups (default 1; must divide both). */
  groups?: number;
  /** Value of "same" padding (larq): 0, or 1.0 for the "same-one" padding binary kernels do for free. */
  padValues?: number;
}

/**
 * larq's pad_values: pad an (already quantized) channels-last input with
 * `value` by TF SAME amounts on each spatial axis (1-D, 2-D or 3-D: one
 * kernel size, stride and dilation per axis), for a VALID convolution after it.
 */
export function padSame(
  x: Tensor,
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  value: number,
): Tensor {
  const spatial = kernel.map((k, i) => {
    const a = tfAxis(x.shape[1 + i], k, strides[i], dilations[i], "same");
    return [a.before, a.after] as [number, number];
  });
  return nn.pad(x, [[0, 0], ...spatial, [0, 0]], value);
}

/**
 * A 2-D convolution over NHWC inputs with an HWIO kernel; with quantizers,
 * larq's QuantConv2D: the input quantizer runs first, "same" padding pads with
 * `padValues`, the kernel is latent and the forward pass uses q(kernel).
 *
 * @example
 * ```ts
 * import { QuantConv2D } from "./conv.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const c = new QuantConv2D(8, 3, { padding: "same", padValues: 1, inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip", useBias: false });
 * console.log(c.apply(Tensor.fill([1, 5, 5, 4], 0.5)).shape); // [1, 5, 5, 8]
 * ```
 */
export class QuantConv2D extends QuantLayer {
  /** Keras's `filters`: output channels. */
  readonly filters: number;
  /** Keras's `kernel_size`: [rows, columns]. */
  readonly kernelSize: [number, number];
  /** Keras's `strides`: [rows, columns]. */
  readonly strides: [number, number];
  /** Keras's `dilation_rate`: [rows, columns]. */
  readonly dilations: [number, number];
  /** Keras's `padding`: "valid" or "same". */
  readonly padding: Padding;
  /** larq's `pad_values`: the value "same" padding pads with (0, or 1 for binary inputs). */
  readonly padValues: number;
  /** Keras's `groups` (1: an ordinary convolution). */
  readonly groups: number;
  /** The latent kernel [kh, kw, channels/groups, filters], once built. */
  kernel!: Variable;

  /**
   * `filters`, `kernelSize` and every size option are positive integers,
   * `padding` "same" or "valid" (else a RangeError).
   */
  constructor(filters: number, kernelSize: number | [number, number], options: QuantConv2DOptions = {}) {
    super(options as QuantConv2DOptions & Config, ["kernel"]);
    this.filters = positive("filters", filters);
    this.kernelSize = perAxis("kernel_size", kernelSize, 2);
    this.strides = perAxis("strides", options.strides, 2);
    this.dilations = perAxis("dilation_rate", options.dilationRate, 2);
    this.padding = checkPadding(options.padding ?? "valid");
    this.padValues = options.padValues ?? 0;
    this.groups = positive("groups", options.groups ?? 1);
  }

  /** A QuantConv2D (or Conv2D) from its Keras config. */
  static override fromConfig<T extends typeof QuantConv2D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("filters", 0), r.pair("kernel_size", 0), {
      ...QuantLayer.quantOptions(r, ["kernel"]),
      strides: r.pair("strides", 1),
      padding: r.padding(),
      padValues: r.number("pad_values", 0),
      dilationRate: r.pair("dilation_rate", 1),
      groups: r.int("groups", 1),
    }) as InstanceType<T>;
  }

  /**
   * Creates the kernel [kh, kw, channels/groups, filters] and the bias for
   * [batch, height, width, channels] inputs (else a RangeError).
   */
  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    const cin = inputShape[3];
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
    const q = this.quantizerOf("kernel"), iq = this.inputQuantizer;
    // larq's "same" with pad_values ±1 pads the signs with signs: padding the latent input gives the same bits.
    const padded = this.padding === "same" && Math.abs(this.padValues) === 1;
    if (
      q?.constructor === SteSign && iq?.constructor === SteSign && this.groups === 1 && x.shape[3] % 32 === 0 &&
      (this.padding === "valid" || padded)
    ) {
      // ste_sign on both sides: one op on the latent input and kernel, neither ±1 copy made (the same bits; the
      // padding's own gradient is dropped by padSame's, as it is before the sign's). Padding with +1 is the binary
      // kernels' own SAME: no padded copy either.
      const o = { strides: this.strides, dilations: this.dilations };
      const clips = { clipValue: (q as SteSign).clipValue, inputClipValue: (iq as SteSign).clipValue };
      const same = padded && this.padValues === 1
        ? steSignConv2d(x, this.kernel, { ...o, ...clips, padding: "same", padValues: 1 })
        : null;
      if (same) return this.finish(same);
      const xp = padded ? padSame(x, this.kernelSize, this.strides, this.dilations, this.padValues) : x;
      const y = steSignConv2d(xp, this.kernel, { ...o, ...clips, padding: "valid" });
      if (y) return this.finish(y);
    }
    const { xi, padding } = this.#quantizedInput(x);
    // Both sign-quantized: the forward pass may run as a binary convolution (equal bit for bit); with larq's
    // ste_sign on the kernel, as one op on the latent kernel (no ±1 kernel, no second weight-sized gradient).
    const signs = this.inputQuantizer?.binarizeMode === "sign" && q?.binarizeMode === "sign";
    const o = { strides: this.strides, dilations: this.dilations, padding };
    const fused = signs && this.groups === 1 && q?.constructor === SteSign
      ? steSignConv2d(xi, this.kernel, { ...o, clipValue: (q as SteSign).clipValue })
      : null;
    const k = fused ? null : this.quantizeKernel("kernel", this.kernel);
    return this.finish(fused ?? conv2d(xi, k!, { ...o, groups: this.groups, signs }));
  }

  /** q(input), padded with `padValues` (then convolved "valid") for "same" when they are non-zero. */
  #quantizedInput(x: Tensor): { xi: Tensor; padding: Padding } {
    const xi = this.quantizeInput(x);
    if (this.padding !== "same" || this.padValues === 0) return { xi, padding: this.padding };
    return { xi: padSame(xi, this.kernelSize, this.strides, this.dilations, this.padValues), padding: "valid" };
  }

  /**
   * This layer, then a max pooling of its output (a MaxPooling2D's window), as one op (graph/conv.ts
   * conv2dMaxPool: the convolution's output never made), with the same values and gradients as the two layers;
   * null where that does not apply: not built yet, a bias or an activation, both sides sign-quantized, groups,
   * an input that is not [batch, h, w, channels] of the built kernel, or the op's own limits. A Sequential model
   * calls it on each such pair of layers.
   */
  applyWithMaxPool(
    x: Tensor,
    pool: { poolSize: [number, number]; strides: [number, number]; padding: Padding },
  ): Tensor | null {
    const linear = this.activationName === null || this.activationName === "linear";
    if (!this.built || this.bias || !linear || this.groups !== 1) return null;
    if (pool.padding !== "valid" && pool.padding !== "same") return null;
    if (x.rank !== 4 || x.shape[3] !== this.kernel.shape[2] || x.shape[3] > SMALL_CIN_CHANNELS) return null;
    if (this.inputQuantizer?.binarizeMode === "sign" && this.quantizerOf("kernel")?.binarizeMode === "sign") {
      return null;
    }
    try {
      const { xi, padding } = this.#quantizedInput(x);
      const o = { strides: this.strides, dilations: this.dilations, padding };
      const k = this.quantizeKernel("kernel", this.kernel);
      return conv2dMaxPool(xi, k, o, { poolSize: pool.poolSize, strides: pool.strides, padding: pool.padding });
    } catch {
      // An input the layer refuses (too small for its kernel, say): the two layers run and name the problem.
      return null;
    }
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

/** Keras Conv2D: QuantConv2D without quantizers. */
export class Conv2D extends QuantConv2D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
  /** As QuantConv2D, without the quantizer options. */
  constructor(filters: number, kernelSize: number | [number, number], options: Conv2DOptions = {}) {
    super(filters, kernelSize, options);
  }
}

/** "same" or "valid", checked. */
export function checkPadding(p: unknown): Padding {
  if (p !== "same" && p !== "valid") {
    throw new RangeError(`padding must be "same" or "valid", got ${JSON.stringify(p)}`);
  }
  return p;
}
