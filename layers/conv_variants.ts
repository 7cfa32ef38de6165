/**
 * The other convolutions of Keras and larq: Conv1D / QuantConv1D,
 * Conv2DTranspose / QuantConv2DTranspose, SeparableConv2D /
 * QuantSeparableConv2D. Same conventions as QuantConv2D: the input
 * quantizer runs first, "same" padding then pads with `pad_values`, kernels
 * are latent variables quantized in the forward pass.
 * @module
 */
import { conv1d, conv2d, conv2dTranspose, depthwiseConv2d, type Padding } from "../graph/conv.ts";
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import type { Quantizer, QuantizerConfig } from "../quantizers/quantizer.ts";
import { getQuantizer } from "../quantizers/registry.ts";
import { tfAxis } from "../kernels/geometry.ts";
import { padSame } from "./conv.ts";
import { activation, type ActivationName } from "./core.ts";
import type { Initializer } from "./initializers.ts";
import { type Constraint, Layer } from "./layer.ts";

type QuantizerLike = string | QuantizerConfig | Quantizer | null;

interface CommonOptions {
  activation?: ActivationName | null;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  kernelConstraint?: Constraint | null;
  inputQuantizer?: QuantizerLike;
  kernelQuantizer?: QuantizerLike;
  name?: string;
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function pair(v: number | [number, number] | undefined, d = 1): [number, number] {
  return v === undefined ? [d, d] : typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/** q(t), or t without a quantizer. */
function quantize(q: Quantizer | null, t: Tensor): Tensor {
  return q ? q.call(t) : t;
}

/** act(y + bias). */
function finish(y: Tensor, bias: Variable | null, act: ActivationName | null): Tensor {
  return activation(act)(bias ? ops.add(y, bias) : y);
}

/** larq's warning: a binary kernel quantizer without a constraint lets latent weights grow past the clip. */
function warnStarved(layer: string, q: Quantizer | null, c: Constraint | null | undefined, what = "kernel"): void {
  if (q?.precision === 1 && !c) {
    console.warn(
      `layer "${layer}": a binary ${what} quantizer without a ${what} constraint may give starved weights; ` +
        `add ${what}Constraint: weightClip()`,
    );
  }
}

/**
 * What QuantConv1D and QuantConv2DTranspose share: one quantized kernel (latent variable, constraint, quantizer),
 * an input quantizer, an optional bias and an activation, and their part of the Keras config.
 */
abstract class QuantKernelLayer extends Layer {
  readonly filters: number;
  readonly activationName: ActivationName | null;
  readonly inputQuantizer: Quantizer | null;
  readonly kernelQuantizer: Quantizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly #init: Initializer;
  readonly #useBias: boolean;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(filters: number, o: CommonOptions) {
    super(o.name);
    this.filters = positive("filters", filters);
    this.activationName = o.activation ?? null;
    this.inputQuantizer = getQuantizer(o.inputQuantizer ?? null);
    this.kernelQuantizer = getQuantizer(o.kernelQuantizer ?? null);
    this.kernelConstraint = o.kernelConstraint ?? null;
    this.#init = o.kernelInitializer ?? "glorot_uniform";
    this.#useBias = o.useBias ?? true;
    warnStarved(this.name, this.kernelQuantizer, this.kernelConstraint);
  }

  /** Adds the kernel of this shape and the bias (with use_bias). */
  protected addKernel(shape: number[]): void {
    this.kernel = this.addWeight("kernel", shape, this.#init, {
      constraint: this.kernelConstraint,
      quantizer: this.kernelQuantizer,
    });
    if (this.#useBias) this.bias = this.addWeight("bias", [this.filters], "zeros");
  }

  /** The quantized input and kernel of a call. */
  protected quantized(x: Tensor): { x: Tensor; kernel: Tensor } {
    return { x: quantize(this.inputQuantizer, x), kernel: quantize(this.kernelQuantizer, this.kernel) };
  }

  /** act(y + bias). */
  protected finish(y: Tensor): Tensor {
    return finish(y, this.bias, this.activationName);
  }

  protected commonConfig(): Record<string, unknown> {
    return {
      activation: this.activationName,
      use_bias: this.bias !== null,
      input_quantizer: this.inputQuantizer?.getConfig() ?? null,
      kernel_quantizer: this.kernelQuantizer?.getConfig() ?? null,
      kernel_constraint: this.kernelConstraint?.getConfig() ?? null,
    };
  }
}

export interface QuantConv1DOptions extends CommonOptions {
  strides?: number;
  padding?: Padding;
  dilationRate?: number;
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
export class QuantConv1D extends QuantKernelLayer {
  readonly kernelSize: number;
  readonly strides: number;
  readonly dilationRate: number;
  readonly padding: Padding;
  readonly padValues: number;
  readonly groups: number;

  constructor(filters: number, kernelSize: number, options: QuantConv1DOptions = {}) {
    super(filters, options);
    this.kernelSize = positive("kernel_size", kernelSize);
    this.strides = positive("strides", options.strides ?? 1);
    this.dilationRate = positive("dilation_rate", options.dilationRate ?? 1);
    this.padding = options.padding ?? "valid";
    this.padValues = options.padValues ?? 0;
    this.groups = positive("groups", options.groups ?? 1);
  }

  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 3) throw new RangeError(`expects [batch, steps, channels], got [${inputShape}]`);
    if (inputShape[2] % this.groups !== 0 || this.filters % this.groups !== 0) {
      throw new RangeError(`groups ${this.groups} must divide the channels (${inputShape[2]}) and filters`);
    }
    this.addKernel([this.kernelSize, inputShape[2] / this.groups, this.filters]);
  }

  protected call(x: Tensor): Tensor {
    const q = this.quantized(x), k = q.kernel;
    let xi = q.x;
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      const a = tfAxis(xi.shape[1], this.kernelSize, this.strides, this.dilationRate, "same");
      xi = nn.pad(xi, [[0, 0], [a.before, a.after], [0, 0]], this.padValues);
      padding = "valid";
    }
    return this.finish(
      conv1d(xi, k, { stride: this.strides, dilation: this.dilationRate, padding, groups: this.groups }),
    );
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      pad_values: this.padValues,
      dilation_rate: [this.dilationRate],
      groups: this.groups,
      ...this.commonConfig(),
    };
  }
}

/** Keras Conv1D: QuantConv1D without quantizers. */
export class Conv1D extends QuantConv1D {}

export interface QuantConv2DTransposeOptions extends CommonOptions {
  strides?: number | [number, number];
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
export class QuantConv2DTranspose extends QuantKernelLayer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly outputPadding: [number, number] | null;

  constructor(filters: number, kernelSize: number | [number, number], options: QuantConv2DTransposeOptions = {}) {
    super(filters, options);
    this.kernelSize = pair(kernelSize);
    this.strides = pair(options.strides);
    this.padding = options.padding ?? "valid";
    this.outputPadding = options.outputPadding == null ? null : pair(options.outputPadding);
    this.outputPadding?.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || p >= this.strides[i]) {
        throw new RangeError(
          `output_padding ${p} must be an integer in [0, stride ${this.strides[i]}) (Keras: stride > output padding)`,
        );
      }
    });
  }

  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    this.addKernel([...this.kernelSize, this.filters, inputShape[3]]);
  }

  protected call(x: Tensor): Tensor {
    const { x: xi, kernel: k } = this.quantized(x);
    // Keras's deconv_output_length with output_padding: (in - 1)·stride + k - 2·pad + output_padding.
    const op = this.outputPadding;
    const outputSize = op === null ? undefined : [0, 1].map((i) => {
      const k = this.kernelSize[i], pad = this.padding === "same" ? Math.floor(k / 2) : 0;
      return (x.shape[1 + i] - 1) * this.strides[i] + k - 2 * pad + op[i];
    }) as [number, number];
    return this.finish(conv2dTranspose(xi, k, { strides: this.strides, padding: this.padding, outputSize }));
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      output_padding: this.outputPadding,
      ...this.commonConfig(),
    };
  }
}

/** Keras Conv2DTranspose: QuantConv2DTranspose without quantizers. */
export class Conv2DTranspose extends QuantConv2DTranspose {}

export interface QuantSeparableConv2DOptions extends Omit<CommonOptions, "kernelQuantizer" | "kernelConstraint"> {
  strides?: number | [number, number];
  padding?: Padding;
  dilationRate?: number | [number, number];
  depthMultiplier?: number;
  depthwiseQuantizer?: QuantizerLike;
  pointwiseQuantizer?: QuantizerLike;
  depthwiseConstraint?: Constraint | null;
  pointwiseConstraint?: Constraint | null;
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
export class QuantSeparableConv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilations: [number, number];
  readonly padding: Padding;
  readonly padValues: number;
  readonly depthMultiplier: number;
  readonly activationName: ActivationName | null;
  readonly inputQuantizer: Quantizer | null;
  readonly depthwiseQuantizer: Quantizer | null;
  readonly pointwiseQuantizer: Quantizer | null;
  readonly #o: QuantSeparableConv2DOptions;
  depthwiseKernel!: Variable;
  pointwiseKernel!: Variable;
  bias: Variable | null = null;

  constructor(filters: number, kernelSize: number | [number, number], options: QuantSeparableConv2DOptions = {}) {
    super(options.name);
    this.filters = positive("filters", filters);
    this.kernelSize = pair(kernelSize);
    this.strides = pair(options.strides);
    this.dilations = pair(options.dilationRate);
    this.padding = options.padding ?? "valid";
    this.padValues = options.padValues ?? 0;
    this.depthMultiplier = positive("depth_multiplier", options.depthMultiplier ?? 1);
    this.activationName = options.activation ?? null;
    this.inputQuantizer = getQuantizer(options.inputQuantizer ?? null);
    this.depthwiseQuantizer = getQuantizer(options.depthwiseQuantizer ?? null);
    this.pointwiseQuantizer = getQuantizer(options.pointwiseQuantizer ?? null);
    this.#o = options;
    warnStarved(this.name, this.depthwiseQuantizer, options.depthwiseConstraint, "depthwise");
    warnStarved(this.name, this.pointwiseQuantizer, options.pointwiseConstraint, "pointwise");
  }

  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    const c = inputShape[3], init = this.#o.kernelInitializer ?? "glorot_uniform";
    this.depthwiseKernel = this.addWeight("depthwise_kernel", [...this.kernelSize, c, this.depthMultiplier], init, {
      constraint: this.#o.depthwiseConstraint ?? null,
      quantizer: this.depthwiseQuantizer,
    });
    this.pointwiseKernel = this.addWeight("pointwise_kernel", [1, 1, c * this.depthMultiplier, this.filters], init, {
      constraint: this.#o.pointwiseConstraint ?? null,
      quantizer: this.pointwiseQuantizer,
    });
    if (this.#o.useBias ?? true) this.bias = this.addWeight("bias", [this.filters], "zeros");
  }

  protected call(x: Tensor): Tensor {
    let xi = quantize(this.inputQuantizer, x);
    const dk = quantize(this.depthwiseQuantizer, this.depthwiseKernel);
    const pk = quantize(this.pointwiseQuantizer, this.pointwiseKernel);
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, this.kernelSize, this.strides, this.dilations, this.padValues);
      padding = "valid";
    }
    const d = depthwiseConv2d(xi, dk, { strides: this.strides, dilations: this.dilations, padding });
    return finish(conv2d(d, pk), this.bias, this.activationName);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      pad_values: this.padValues,
      dilation_rate: this.dilations,
      depth_multiplier: this.depthMultiplier,
      activation: this.activationName,
      use_bias: this.bias !== null,
      input_quantizer: this.inputQuantizer?.getConfig() ?? null,
      depthwise_quantizer: this.depthwiseQuantizer?.getConfig() ?? null,
      pointwise_quantizer: this.pointwiseQuantizer?.getConfig() ?? null,
      depthwise_constraint: this.#o.depthwiseConstraint?.getConfig() ?? null,
      pointwise_constraint: this.#o.pointwiseConstraint?.getConfig() ?? null,
    };
  }
}

/** Keras SeparableConv2D: QuantSeparableConv2D without quantizers. */
export class SeparableConv2D extends QuantSeparableConv2D {}
