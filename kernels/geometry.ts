/**
 * Window geometry stated once: TensorFlow's SAME/VALID arithmetic for one
 * spatial axis, and the validated plan of a convolution or pooling window
 * over an NHWC input, for the kernels, the interpreter, the training ops,
 * the layers and the converter.
 * @module
 */
import type { StructValues } from "./abi.ts";
import { checkInt } from "./_check.ts";
import { POOL_KINDS } from "./_abi_generated.ts";

export interface AxisPlan {
  /** Output size (0 when VALID does not fit). */
  out: number;
  /** Padding before and after (SAME puts the odd one at the end). */
  before: number;
  after: number;
  /** The dilated kernel extent, (kernel - 1)·dilation + 1. */
  effective: number;
  /** False when VALID padding leaves no room for the dilated kernel. */
  fits: boolean;
}

/**
 * @example
 * ```ts
 * import { tfAxis } from "./geometry.ts";
 * console.log(tfAxis(6, 3, 2, 1, "same")); // { out: 3, before: 0, after: 1, effective: 3, fits: true }
 * ```
 */
export function tfAxis(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: "same" | "valid",
): AxisPlan {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === "same") {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + effective - size, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before, effective, fits: true };
  }
  const fits = effective <= size;
  return { out: fits ? Math.floor((size - effective) / stride) + 1 : 0, before: 0, after: 0, effective, fits };
}

/** TensorFlow SAME/VALID output size and leading padding of one spatial axis (RangeError if VALID does not fit). */
function outputSize(
  name: string,
  input: number,
  kernel: number,
  stride: number,
  dilation: number,
  same: boolean,
) {
  const a = tfAxis(input, kernel, stride, dilation, same ? "same" : "valid");
  if (!a.fits) {
    throw new RangeError(
      `${name}: the dilated kernel (${a.effective}) is larger than the input (${input}) with VALID padding; use padding "same" or a smaller kernel`,
    );
  }
  return { out: a.out, pad: a.before };
}

/** Spatial geometry of a convolution or pooling window over an NHWC input. */
export interface WindowGeometry {
  /** [batch, height, width, channels] of the (unpacked) input. */
  inputShape: readonly [number, number, number, number];
  /** [kernelH, kernelW]. */
  kernelSize: readonly [number, number];
  /** [strideH, strideW]; default [1, 1]. */
  strides?: readonly [number, number];
  /** [dilationH, dilationW]; default [1, 1]. */
  dilations?: readonly [number, number];
  /**
   * TensorFlow's padding: `"valid"` (none), `"same"` (output = ceil(input / stride), any odd pad at the end), or
   * explicit zero rows and columns `[[top, bottom], [left, right]]` (as TF's explicit padding); default `"valid"`.
   */
  padding?: "valid" | "same" | ExplicitPadding;
}

/** Explicit padding of a window's input, `[[top, bottom], [left, right]]` (see {@link WindowGeometry.padding}). */
export type ExplicitPadding = readonly [readonly [number, number], readonly [number, number]];

/** One axis of explicit padding: its output size and leading pad (RangeError if the kernel does not fit). */
function explicitAxis(name: string, input: number, kernel: number, stride: number, dilation: number, pads: unknown) {
  if (!Array.isArray(pads) || pads.length !== 2) {
    throw new TypeError(`padding (${name}) must be [before, after], got ${JSON.stringify(pads)}`);
  }
  const before = checkInt(`padding (${name}) before`, pads[0], 0, 1 << 20);
  const after = checkInt(`padding (${name}) after`, pads[1], 0, 1 << 20);
  const effective = (kernel - 1) * dilation + 1, size = input + before + after;
  if (effective > size) {
    throw new RangeError(
      `${name}: the dilated kernel (${effective}) is larger than the padded input (${input} + ${before} + ${after})`,
    );
  }
  return { out: Math.floor((size - effective) / stride) + 1, pad: before };
}

/** Validated window geometry in the ABI's field names. */
export interface WindowPlan {
  batch: number;
  in_h: number;
  in_w: number;
  channels: number;
  kernel_h: number;
  kernel_w: number;
  stride_h: number;
  stride_w: number;
  dilation_h: number;
  dilation_w: number;
  pad_top: number;
  pad_left: number;
  out_h: number;
  out_w: number;
}

/** Output size and leading padding under TF SAME/VALID; validates the geometry (batch ≥ minBatch). */
export function planWindow(g: WindowGeometry, minBatch = 0): WindowPlan {
  if (!Array.isArray(g.inputShape) || g.inputShape.length !== 4) {
    throw new TypeError(`inputShape must be [batch, height, width, channels], got ${JSON.stringify(g.inputShape)}`);
  }
  const [batch, inH, inW, channels] = g.inputShape;
  checkInt("inputShape[0] (batch)", batch, minBatch);
  checkInt("inputShape[1] (height)", inH, 1);
  checkInt("inputShape[2] (width)", inW, 1);
  checkInt("inputShape[3] (channels)", channels, 1);
  const [kh, kw] = g.kernelSize ?? [];
  checkInt("kernelSize[0]", kh, 1, 4096);
  checkInt("kernelSize[1]", kw, 1, 4096);
  const [sh, sw] = g.strides ?? [1, 1];
  checkInt("strides[0]", sh, 1, 4096);
  checkInt("strides[1]", sw, 1, 4096);
  const [dh, dw] = g.dilations ?? [1, 1];
  checkInt("dilations[0]", dh, 1, 4096);
  checkInt("dilations[1]", dw, 1, 4096);
  const padding = g.padding ?? "valid";
  const explicit = Array.isArray(padding);
  if (!explicit && padding !== "valid" && padding !== "same") {
    throw new TypeError(
      `padding must be "valid", "same" or [[top, bottom], [left, right]], got ${JSON.stringify(padding)}`,
    );
  }
  if (explicit && padding.length !== 2) {
    throw new TypeError(`padding must be [[top, bottom], [left, right]], got ${JSON.stringify(padding)}`);
  }
  const y = explicit
    ? explicitAxis("height", inH, kh, sh, dh, padding[0])
    : outputSize("height", inH, kh, sh, dh, padding === "same");
  const x = explicit
    ? explicitAxis("width", inW, kw, sw, dw, padding[1])
    : outputSize("width", inW, kw, sw, dw, padding === "same");
  return {
    batch,
    in_h: inH,
    in_w: inW,
    channels,
    kernel_h: kh,
    kernel_w: kw,
    stride_h: sh,
    stride_w: sw,
    dilation_h: dh,
    dilation_w: dw,
    pad_top: y.pad,
    pad_left: x.pad,
    out_h: y.out,
    out_w: x.out,
  };
}

/**
 * A pooling window's Pool2dF32Params (float pools and LceBMaxPool2d share
 * the struct), with the element counts of its input and output.
 */
export function poolPlan(
  options: WindowGeometry,
  kind: typeof POOL_KINDS[number],
  clamp: { clamp_min: number; clamp_max: number },
  threads: number,
): { params: StructValues<"Pool2dF32Params">; size: number; inputLength: number } {
  if (options.dilations !== undefined && (options.dilations[0] !== 1 || options.dilations[1] !== 1)) {
    throw new RangeError("pooling takes no dilation");
  }
  const g = planWindow(options);
  return {
    params: {
      batch: g.batch,
      in_h: g.in_h,
      in_w: g.in_w,
      channels: g.channels,
      kernel_h: g.kernel_h,
      kernel_w: g.kernel_w,
      stride_h: g.stride_h,
      stride_w: g.stride_w,
      pad_top: g.pad_top,
      pad_left: g.pad_left,
      out_h: g.out_h,
      out_w: g.out_w,
      kind: POOL_KINDS.indexOf(kind),
      ...clamp,
      threads,
    },
    size: g.batch * g.out_h * g.out_w * g.channels,
    inputLength: g.batch * g.in_h * g.in_w * g.channels,
  };
}
