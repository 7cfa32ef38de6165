/**
 * Float kernels around the binary ones (float convolution via im2col +
 * SGEMM, depthwise convolution, pooling, elementwise arithmetic), on the
 * native library (FMA/NEON micro-kernels picked at run time) or the
 * pure-TS reference. Every argument is validated here before FFI.
 * @module
 */
import { encodeStruct, type StructValues } from "./abi.ts";
import { checkArray, checkInt, planWindow, type WindowGeometry } from "./binary_kernels.ts";
import { describeUkernels, KernelSet, tryOpenNative, type UkernelDescription } from "./_ukernels.ts";
import { type NativeSymbols, openNative, type OpenNativeOptions } from "./native.ts";
import * as ref from "./reference_float.ts";
import { CHANNEL_BLOCK } from "./reference_kernels.ts";

/** Float weights in the blocked layout the SGEMM reads: [ceil(Cout/32), depth, 32]. */
export interface PackedF32 {
  readonly data: Float32Array;
  readonly channelsOut: number;
  readonly depth: number;
}

export interface FloatCallOptions {
  threads?: number;
  /** Float micro-kernel by name or index (native only); default: the fastest supported. */
  ukernel?: number | string;
}

/** Clamp of a fused activation; default none. */
export interface Clamp {
  clampMin?: number;
  clampMax?: number;
}

function checkFloat(name: string, v: unknown): number {
  if (typeof v !== "number" || Number.isNaN(v)) throw new TypeError(`${name} must be a number, got ${String(v)}`);
  return v;
}

function clampOf(o: Clamp): { clamp_min: number; clamp_max: number } {
  const lo = checkFloat("clampMin", o.clampMin ?? -Infinity), hi = checkFloat("clampMax", o.clampMax ?? Infinity);
  if (lo > hi) throw new RangeError(`clampMin (${lo}) exceeds clampMax (${hi})`);
  return { clamp_min: lo, clamp_max: hi };
}

export { planWindow, type WindowGeometry, type WindowPlan } from "./binary_kernels.ts";
import { poolPlan } from "./binary_kernels.ts";

type StructName =
  | "SgemmParams"
  | "Conv2dF32Params"
  | "DepthwiseF32Params"
  | "Pool2dF32Params"
  | "ElementwiseF32Params"
  | "UnaryF32Params"
  | "SoftmaxF32Params";

/** Parameters of a call, with their encoding cached (a bound call encodes once). */
interface Encoded<S extends StructName> {
  readonly values: StructValues<S>;
  bytes?: Uint8Array<ArrayBuffer>;
}

interface Backend {
  packRhs(p: StructValues<"SpackParams">, rhs: Float32Array, out: Float32Array): void;
  sgemm(p: Encoded<"SgemmParams">, lhs: Float32Array, rhs: Float32Array, b: Float32Array, out: Float32Array): void;
  conv2d(
    p: Encoded<"Conv2dF32Params">,
    input: Float32Array,
    filter: Float32Array,
    b: Float32Array,
    workspace: Float32Array,
    out: Float32Array,
  ): void;
  depthwise(
    p: Encoded<"DepthwiseF32Params">,
    input: Float32Array,
    filter: Float32Array,
    b: Float32Array,
    out: Float32Array,
  ): void;
  pool2d(p: Encoded<"Pool2dF32Params">, input: Float32Array, out: Float32Array): void;
  elementwise(p: Encoded<"ElementwiseF32Params">, a: Float32Array, b: Float32Array, out: Float32Array): void;
  unary(p: Encoded<"UnaryF32Params">, input: Float32Array, out: Float32Array): void;
  softmax(p: Encoded<"SoftmaxF32Params">, input: Float32Array, out: Float32Array): void;
}

function nativeBackend(lib: NativeSymbols): Backend {
  const check = (fn: string, status: number) => {
    if (status !== 0) throw new Error(`libonebit ${fn} returned status ${status} after validation passed`);
  };
  const enc = <S extends StructName>(name: S, p: Encoded<S>) => p.bytes ??= encodeStruct(name, p.values);
  return {
    packRhs: (p, r, o) => check("sgemm_pack_rhs", lib.onebit_sgemm_pack_rhs_f32(encodeStruct("SpackParams", p), r, o)),
    sgemm: (p, l, r, b, o) => check("sgemm", lib.onebit_sgemm_f32(enc("SgemmParams", p), l, r, b, o)),
    conv2d: (p, i, f, b, w, o) => check("conv2d", lib.onebit_conv2d_f32(enc("Conv2dF32Params", p), i, f, b, w, o)),
    depthwise: (p, i, f, b, o) =>
      check("depthwise", lib.onebit_depthwise_conv2d_f32(enc("DepthwiseF32Params", p), i, f, b, o)),
    pool2d: (p, i, o) => check("pool2d", lib.onebit_pool2d_f32(enc("Pool2dF32Params", p), i, o)),
    elementwise: (p, a, b, o) =>
      check("elementwise", lib.onebit_elementwise_f32(enc("ElementwiseF32Params", p), a, b, o)),
    unary: (p, i, o) => check("unary", lib.onebit_unary_f32(enc("UnaryF32Params", p), i, o)),
    softmax: (p, i, o) => check("softmax", lib.onebit_softmax_f32(enc("SoftmaxF32Params", p), i, o)),
  };
}

const referenceBackend: Backend = {
  packRhs: ref.packRhs,
  sgemm: (p, l, r, b, o) => ref.sgemm(p.values, l, r, b, o),
  conv2d: (p, i, f, b, w, o) => ref.conv2d(p.values, i, f, b, w, o),
  depthwise: (p, i, f, b, o) => ref.depthwise(p.values, i, f, b, o),
  pool2d: (p, i, o) => ref.pool2d(p.values, i, o),
  elementwise: (p, a, b, o) => ref.elementwise(p.values, a, b, o),
  unary: (p, i, o) => ref.unary(p.values, i, o),
  softmax: (p, i, o) => ref.softmax(p.values, i, o),
};

/** The activations of {@link FloatKernels.bindUnary}, in the ABI's op order. */
export const UNARY_OPS = ["relu", "relu6", "relu_n1_to_1", "logistic", "tanh", "hard_swish", "leaky_relu"] as const;
export type UnaryOp = typeof UNARY_OPS[number];

/** A validated float op (see the `bind*` methods): buffers are checked by length only. */
export interface BoundFloatOp {
  /** Elements of the output. */
  readonly outputLength: number;
  /** Floats of workspace `run` needs (0: pass any array). */
  readonly workspaceFloats: number;
  run(input: Float32Array, out: Float32Array, workspace?: Float32Array): void;
}

/**
 * A copy of the bias padded to whole channel blocks (the micro-kernels read
 * nr entries). Accepts the unpadded (n) or an already padded length.
 */
export function padBias(v: Float32Array | undefined, n: number): Float32Array {
  const padded = Math.ceil(n / CHANNEL_BLOCK) * CHANNEL_BLOCK;
  if (v instanceof Float32Array && v.length === padded) return v.slice();
  const out = new Float32Array(padded);
  if (v !== undefined) out.set(checkArray("bias", v, Float32Array, n));
  return out;
}

export interface FloatKernelsOptions extends OpenNativeOptions, FloatCallOptions {}

/**
 * Float kernels on one backend.
 *
 * @example
 * ```ts
 * import { FloatKernels } from "./float_kernels.ts";
 * const k = FloatKernels.reference();
 * const w = k.packRhs(new Float32Array([1, 2, 3, 4, 5, 6]), 2); // 2 channels x depth 3
 * console.log(k.sgemm(new Float32Array([1, 1, 1]), w)); // Float32Array [6, 15]
 * ```
 */
export class FloatKernels extends KernelSet<Backend> {
  private constructor(lib: NativeSymbols | undefined, options: FloatCallOptions) {
    super(lib, options, "float", { native: nativeBackend, reference: referenceBackend });
  }

  static reference(options: FloatCallOptions = {}): FloatKernels {
    return new FloatKernels(undefined, options);
  }

  static native(options: FloatKernelsOptions = {}): FloatKernels {
    return new FloatKernels(openNative(options), options);
  }

  static auto(options: FloatKernelsOptions = {}): FloatKernels {
    const lib = tryOpenNative(options);
    return new FloatKernels(lib, lib ? options : { threads: options.threads });
  }

  with(options: FloatCallOptions): FloatKernels {
    return new FloatKernels(this.lib, {
      threads: options.threads ?? this.threads,
      ukernel: options.ukernel ?? this.ukernel,
    });
  }

  /** The float micro-kernels of the native library (empty for the reference). */
  ukernels(): readonly UkernelDescription[] {
    return this.lib ? describeUkernels(this.lib, "float") : [];
  }

  /** Packs weights [channelsOut, depth] (row-major, e.g. OHWI) for the SGEMM. */
  packRhs(rhs: Float32Array, channelsOut: number): PackedF32 {
    return this.#pack(rhs, channelsOut, 0);
  }

  /**
   * Packs weights given as [depth, channelsOut] (row-major: an HWIO kernel, a Keras Dense kernel, a matrix
   * B of A·B): the panels' own row order, so the native library copies 32-float runs (no transpose).
   */
  packRhsKN(rhs: Float32Array, channelsOut: number): PackedF32 {
    return this.#pack(rhs, channelsOut, 1);
  }

  #pack(rhs: Float32Array, channelsOut: number, layout: 0 | 1): PackedF32 {
    checkInt("channelsOut", channelsOut, 1);
    if (!(rhs instanceof Float32Array)) throw new TypeError("rhs must be a Float32Array");
    if (rhs.length === 0 || rhs.length % channelsOut !== 0) {
      throw new RangeError(`rhs length ${rhs.length} is not a positive multiple of channelsOut (${channelsOut})`);
    }
    const depth = checkInt("depth", rhs.length / channelsOut, 1);
    const data = new Float32Array(ref.packedRhsFloats(channelsOut, depth));
    this.impl.packRhs({ channels_out: channelsOut, depth, rhs_layout: layout }, rhs, data);
    return { data, channelsOut, depth };
  }

  #checkPacked(w: PackedF32, name: string): void {
    if (!w || !(w.data instanceof Float32Array)) throw new TypeError(`${name} must be a PackedF32 from packRhs()`);
    checkInt(`${name}.channelsOut`, w.channelsOut, 1);
    checkInt(`${name}.depth`, w.depth, 1);
    checkArray(`${name}.data`, w.data, Float32Array, ref.packedRhsFloats(w.channelsOut, w.depth));
  }

  /** Validates an SGEMM once; `run(lhs, out)` then checks lengths only. */
  bindSgemm(
    w: PackedF32,
    options: Clamp & FloatCallOptions & { rows: number; bias?: Float32Array },
  ): BoundFloatOp {
    this.#checkPacked(w, "w");
    const rows = checkInt("rows", options.rows, 0);
    // Snapshot: w is the caller's object; its fields and array must not change what run() trusts.
    const n = w.channelsOut, depth = w.depth, data = w.data, words = data.length;
    const bias = padBias(options.bias, n);
    const p: Encoded<"SgemmParams"> = {
      values: { rows, channels_out: n, depth, ...clampOf(options), ...this.call(options) },
    };
    const impl = this.impl;
    return {
      outputLength: rows * n,
      workspaceFloats: 0,
      run(lhs, out) {
        if (data.length !== words) throw new RangeError("the bound weights' buffer changed size after bind");
        checkArray("lhs", lhs, Float32Array, rows * depth);
        checkArray("out", out, Float32Array, rows * n);
        if (rows > 0) impl.sgemm(p, lhs, data, bias, out);
      },
    };
  }

  /** `out[r, c] = clamp(Σ_k lhs[r, k]·w[c, k] + bias[c])` for lhs rows of `w.depth` values. */
  sgemm(
    lhs: Float32Array,
    w: PackedF32,
    options: Clamp & FloatCallOptions & { bias?: Float32Array; out?: Float32Array } = {},
  ): Float32Array {
    this.#checkPacked(w, "w");
    if (!(lhs instanceof Float32Array)) throw new TypeError("lhs must be a Float32Array");
    if (lhs.length % w.depth !== 0) throw new RangeError(`lhs length ${lhs.length} is not a multiple of ${w.depth}`);
    const bound = this.bindSgemm(w, { ...options, rows: lhs.length / w.depth });
    const out = options.out ?? new Float32Array(bound.outputLength);
    bound.run(lhs, out);
    return out;
  }

  /** Floats of im2col workspace a convolution needs (0 for 1x1, stride 1, unpadded). */
  conv2dWorkspaceFloats(geometry: WindowGeometry): number {
    const g = planWindow(geometry);
    const p = { ...g, channels_in: g.channels, channels_out: 1, clamp_min: 0, clamp_max: 0, ukernel: -1, threads: 1 };
    return ref.isDirect(p) ? 0 : g.batch * g.out_h * g.out_w * g.kernel_h * g.kernel_w * g.channels;
  }

  /** Validates a float convolution once (see {@link conv2d}). */
  bindConv2d(
    filter: PackedF32,
    options: WindowGeometry & Clamp & FloatCallOptions & { bias?: Float32Array },
  ): BoundFloatOp {
    const g = planWindow(options);
    this.#checkPacked(filter, "filter");
    const depth = g.kernel_h * g.kernel_w * g.channels;
    if (filter.depth !== depth) {
      throw new RangeError(`filter depth ${filter.depth} must be kernelH·kernelW·channels = ${depth}`);
    }
    const pixels = g.batch * g.out_h * g.out_w;
    if (pixels * depth > 2 ** 31 - 1) {
      throw new RangeError(`im2col of ${pixels}×${depth} floats is too large; split the batch`);
    }
    const n = filter.channelsOut, data = filter.data, words = data.length;
    const inputLength = g.batch * g.in_h * g.in_w * g.channels;
    const workspaceFloats = this.conv2dWorkspaceFloats(options);
    const bias = padBias(options.bias, n);
    const { channels, ...geo } = g;
    const p: Encoded<"Conv2dF32Params"> = {
      values: { ...geo, channels_in: channels, channels_out: n, ...clampOf(options), ...this.call(options) },
    };
    const impl = this.impl;
    return {
      outputLength: pixels * n,
      workspaceFloats,
      run(input, out, workspace) {
        if (data.length !== words) throw new RangeError("the bound filter's buffer changed size after bind");
        checkArray("input", input, Float32Array, inputLength);
        checkArray("out", out, Float32Array, pixels * n);
        if (!(workspace instanceof Float32Array) || workspace.length < Math.max(1, workspaceFloats)) {
          throw new RangeError(`workspace must be a Float32Array of at least ${Math.max(1, workspaceFloats)} floats`);
        }
        if (pixels > 0) impl.conv2d(p, input, data, bias, workspace, out);
      },
    };
  }

  /** Float 2-D convolution, NHWC input, filter packed from OHWI [Cout, KH·KW·Cin], zero padding. */
  conv2d(
    input: Float32Array,
    filter: PackedF32,
    options: WindowGeometry & Clamp & FloatCallOptions & {
      bias?: Float32Array;
      out?: Float32Array;
      workspace?: Float32Array;
    },
  ): Float32Array {
    const bound = this.bindConv2d(filter, options);
    const out = options.out ?? new Float32Array(bound.outputLength);
    bound.run(input, out, options.workspace ?? new Float32Array(Math.max(1, bound.workspaceFloats)));
    return out;
  }

  /** Validates a depthwise convolution once (see {@link depthwise}). */
  bindDepthwise(
    filter: Float32Array,
    options: WindowGeometry & Clamp & { multiplier?: number; bias?: Float32Array; threads?: number },
  ): BoundFloatOp {
    const g = planWindow(options);
    const mult = checkInt("multiplier", options.multiplier ?? 1, 1, 4096);
    const cout = g.channels * mult;
    // Copies: run() must not depend on arrays the caller can still change or detach.
    const w = checkArray("filter", filter, Float32Array, g.kernel_h * g.kernel_w * cout).slice();
    const bias = options.bias === undefined
      ? new Float32Array(cout)
      : checkArray("bias", options.bias, Float32Array, cout).slice();
    const size = g.batch * g.out_h * g.out_w * cout, inputLength = g.batch * g.in_h * g.in_w * g.channels;
    const { channels, ...geo } = g;
    const p: Encoded<"DepthwiseF32Params"> = {
      values: {
        ...geo,
        channels_in: channels,
        multiplier: mult,
        ...clampOf(options),
        threads: this.call(options).threads,
      },
    };
    const impl = this.impl;
    return {
      outputLength: size,
      workspaceFloats: 0,
      run(input, out) {
        checkArray("input", input, Float32Array, inputLength);
        checkArray("out", out, Float32Array, size);
        if (size > 0) impl.depthwise(p, input, w, bias, out);
      },
    };
  }

  /** Depthwise convolution; filter [KH, KW, Cin·multiplier] (TFLite [1, KH, KW, C]), zero padding. */
  depthwise(
    input: Float32Array,
    filter: Float32Array,
    options: WindowGeometry & Clamp & {
      multiplier?: number;
      bias?: Float32Array;
      out?: Float32Array;
      threads?: number;
    },
  ): Float32Array {
    const bound = this.bindDepthwise(filter, options);
    const out = options.out ?? new Float32Array(bound.outputLength);
    bound.run(input, out);
    return out;
  }

  /** Validates a pooling once (see {@link pool2d}). */
  bindPool2d(options: WindowGeometry & Clamp & { kind: "max" | "avg"; threads?: number }): BoundFloatOp {
    if (options.kind !== "max" && options.kind !== "avg") throw new TypeError(`kind must be "max" or "avg"`);
    const { params, size, inputLength } = poolPlan(
      options,
      options.kind === "max" ? 0 : 1,
      clampOf(options),
      this.call(options).threads,
    );
    const p: Encoded<"Pool2dF32Params"> = { values: params };
    const impl = this.impl;
    return {
      outputLength: size,
      workspaceFloats: 0,
      run(input, out) {
        checkArray("input", input, Float32Array, inputLength);
        checkArray("out", out, Float32Array, size);
        if (size > 0) impl.pool2d(p, input, out);
      },
    };
  }

  /** Max or average pooling (average over in-bounds taps, as TFLite). */
  pool2d(
    input: Float32Array,
    options: WindowGeometry & Clamp & { kind: "max" | "avg"; out?: Float32Array; threads?: number },
  ): Float32Array {
    const bound = this.bindPool2d(options);
    const out = options.out ?? new Float32Array(bound.outputLength);
    bound.run(input, out);
    return out;
  }

  /** Validates an elementwise op over `count` values once: `run(a, b, out)` computes `out = clamp(a op b)`. */
  bindElementwise(count: number, op: "add" | "sub" | "mul", options: Clamp & { threads?: number } = {}): {
    run(a: Float32Array, b: Float32Array, out: Float32Array): void;
  } {
    const code = ["add", "sub", "mul"].indexOf(op);
    if (code < 0) throw new TypeError(`op must be "add", "sub" or "mul", got ${JSON.stringify(op)}`);
    checkInt("count", count, 0);
    const p: Encoded<"ElementwiseF32Params"> = {
      values: { count, op: code, ...clampOf(options), threads: this.call(options).threads },
    };
    const impl = this.impl;
    return {
      run(a, b, out) {
        checkArray("a", a, Float32Array, count);
        checkArray("b", b, Float32Array, count);
        checkArray("out", out, Float32Array, count);
        if (count > 0) impl.elementwise(p, a, b, out);
      },
    };
  }

  /** Validates an activation over `count` values once (`alpha`: LEAKY_RELU's slope below zero). */
  bindUnary(count: number, op: UnaryOp, options: { alpha?: number; threads?: number } = {}): {
    run(input: Float32Array, out: Float32Array): void;
  } {
    const code = UNARY_OPS.indexOf(op);
    if (code < 0) throw new TypeError(`op must be one of ${UNARY_OPS.join(", ")}, got ${JSON.stringify(op)}`);
    checkInt("count", count, 0);
    const alpha = options.alpha ?? 0.2;
    if (!Number.isFinite(alpha)) throw new RangeError(`alpha must be a finite number, got ${alpha}`);
    const p: Encoded<"UnaryF32Params"> = {
      values: { count, op: code, alpha, threads: this.call(options).threads },
    };
    const impl = this.impl;
    return {
      run(input, out) {
        checkArray("input", input, Float32Array, count);
        checkArray("out", out, Float32Array, count);
        if (count > 0) impl.unary(p, input, out);
      },
    };
  }

  /** Validates a softmax over the last axis of [rows, depth] once. */
  bindSoftmax(rows: number, depth: number, options: { beta?: number; threads?: number } = {}): {
    run(input: Float32Array, out: Float32Array): void;
  } {
    checkInt("rows", rows, 0);
    checkInt("depth", depth, 1);
    const beta = options.beta ?? 1;
    if (!Number.isFinite(beta)) throw new RangeError(`beta must be a finite number, got ${beta}`);
    const p: Encoded<"SoftmaxF32Params"> = { values: { rows, depth, beta, threads: this.call(options).threads } };
    const impl = this.impl;
    return {
      run(input, out) {
        checkArray("input", input, Float32Array, rows * depth);
        checkArray("out", out, Float32Array, rows * depth);
        if (rows > 0) impl.softmax(p, input, out);
      },
    };
  }

  /** `out = clamp(a op b)` elementwise over arrays of equal length. */
  elementwise(
    a: Float32Array,
    b: Float32Array,
    op: "add" | "sub" | "mul",
    options: Clamp & { out?: Float32Array; threads?: number } = {},
  ): Float32Array {
    if (!(a instanceof Float32Array)) throw new TypeError("a must be a Float32Array");
    const bound = this.bindElementwise(a.length, op, options);
    const out = options.out ?? new Float32Array(a.length);
    bound.run(a, b, out);
    return out;
  }
}
