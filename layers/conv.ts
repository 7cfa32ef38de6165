/**
 * Conv2D and larq's QuantConv2D: quantize the input first, then pad with
 * pad_values for "same" padding (TF SAME amounts), then convolve the
 * quantized kernel (HWIO). @module
 */
import { conv2d, type Padding } from "../graph/conv.ts";
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import type { Quantizer, QuantizerConfig } from "../quantizers/quantizer.ts";
import { getQuantizer } from "../quantizers/registry.ts";
import { tfAxis } from "../kernels/geometry.ts";
import { activation, type ActivationName } from "./core.ts";
import type { Initializer } from "./initializers.ts";
import { type Constraint, Layer } from "./layer.ts";

export interface Conv2DOptions {
  strides?: number | [number, number];
  padding?: Padding;
  dilationRate?: number | [number, number];
  groups?: number;
  activation?: ActivationName | null;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  kernelConstraint?: Constraint | null;
  name?: string;
}

export interface QuantConv2DOptions extends Conv2DOptions {
  inputQuantizer?: string | QuantizerConfig | Quantizer | null;
  kernelQuantizer?: string | QuantizerConfig | Quantizer | null;
  /** Value of "same" padding (larq): 0, or 1.0 for the "same-one" padding binary kernels do for free. */
  padValues?: number;
}

/**
 * larq's pad_values: pad an (already quantized) NHWC input with `value` by
 * TF SAME amounts, for a VALID convolution after it.
 */
export function padSame(
  x: Tensor,
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilations: readonly [number, number],
  value: number,
): Tensor {
  const [h, w] = [1, 2].map((axis, i) => {
    const a = tfAxis(x.shape[axis], kernel[i], strides[i], dilations[i], "same");
    return [a.before, a.after] as [number, number];
  });
  return nn.pad(x, [[0, 0], h, w, [0, 0]], value);
}

function pair(v: number | [number, number] | undefined): [number, number] {
  return v === undefined ? [1, 1] : typeof v === "number" ? [v, v] : v;
}

/**
 * @example
 * ```ts
 * import { QuantConv2D } from "./conv.ts";
 * import { weightClip } from "./layer.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const c = new QuantConv2D(8, 3, { padding: "same", padValues: 1, inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false });
 * console.log(c.apply(Tensor.fill([1, 5, 5, 4], 0.5)).shape); // [1, 5, 5, 8]
 * ```
 */
export class QuantConv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilations: [number, number];
  readonly padding: Padding;
  readonly padValues: number;
  readonly groups: number;
  readonly inputQuantizer: Quantizer | null;
  readonly kernelQuantizer: Quantizer | null;
  readonly #o: Conv2DOptions;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(filters: number, kernelSize: number | [number, number], options: QuantConv2DOptions = {}) {
    super(options.name);
    if (!Number.isInteger(filters) || filters < 1) {
      throw new RangeError(`filters must be a positive integer, got ${filters}`);
    }
    this.filters = filters;
    this.kernelSize = pair(kernelSize);
    this.strides = pair(options.strides);
    this.dilations = pair(options.dilationRate);
    this.padding = options.padding ?? "valid";
    this.padValues = options.padValues ?? 0;
    this.groups = options.groups ?? 1;
    this.inputQuantizer = getQuantizer(options.inputQuantizer ?? null);
    this.kernelQuantizer = getQuantizer(options.kernelQuantizer ?? null);
    this.#o = options;
    if (this.kernelQuantizer?.precision === 1 && !options.kernelConstraint) {
      console.warn(
        `layer "${this.name}": a binary kernel quantizer without a kernel constraint may give starved weights; ` +
          "add kernelConstraint: weightClip()",
      );
    }
  }

  protected build(inputShape: readonly number[]): void {
    if (inputShape.length !== 4) throw new RangeError(`expects [batch, height, width, channels], got [${inputShape}]`);
    const cin = inputShape[3];
    if (cin % this.groups !== 0 || this.filters % this.groups !== 0) {
      throw new RangeError(
        `groups ${this.groups} must divide the input channels (${cin}) and filters (${this.filters})`,
      );
    }
    this.kernel = this.addWeight(
      "kernel",
      [...this.kernelSize, cin / this.groups, this.filters],
      this.#o.kernelInitializer ?? "glorot_uniform",
      {
        constraint: this.#o.kernelConstraint ?? null,
        quantizer: this.kernelQuantizer,
      },
    );
    if (this.#o.useBias ?? true) this.bias = this.addWeight("bias", [this.filters], this.#o.biasInitializer ?? "zeros");
  }

  protected call(x: Tensor): Tensor {
    let xi = this.inputQuantizer ? this.inputQuantizer.call(x) : x;
    const k = this.kernelQuantizer ? this.kernelQuantizer.call(this.kernel) : this.kernel;
    let padding = this.padding;
    if (padding === "same" && this.padValues !== 0) {
      xi = padSame(xi, this.kernelSize, this.strides, this.dilations, this.padValues);
      padding = "valid";
    }
    let y = conv2d(xi, k, { strides: this.strides, dilations: this.dilations, padding, groups: this.groups });
    if (this.bias) y = ops.add(y, this.bias);
    return activation(this.#o.activation)(y);
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
      groups: this.groups,
      activation: this.#o.activation ?? null,
      use_bias: this.#o.useBias ?? true,
      input_quantizer: this.inputQuantizer?.getConfig() ?? null,
      kernel_quantizer: this.kernelQuantizer?.getConfig() ?? null,
      kernel_constraint: this.#o.kernelConstraint?.getConfig() ?? null,
    };
  }
}

/** Keras Conv2D: QuantConv2D without quantizers. */
export class Conv2D extends QuantConv2D {
  constructor(filters: number, kernelSize: number | [number, number], options: Conv2DOptions = {}) {
    super(filters, kernelSize, options);
  }
}
