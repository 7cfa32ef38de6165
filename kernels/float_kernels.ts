/**
 * Float kernels around the binary ones (float convolution via im2col +
 * SGEMM, depthwise convolution, pooling, elementwise arithmetic), on the
 * native library (FMA/NEON micro-kernels picked at run time), its
 * WebAssembly build, or the pure-TS reference. Every argument is validated
 * here before it reaches compiled code.
 * @module
 */
import { stepFloat32 } from "./_step_buffers.ts";
import type { Encoded, KernelLibrary } from "./abi.ts";
import { checkArray, checkInt } from "./_check.ts";
import { planWindow, poolPlan, type WindowGeometry } from "./geometry.ts";
import { Scratch } from "./_scratch.ts";
import { describeUkernels, KernelSet, type UkernelDescription } from "./_ukernels.ts";
import { chooseLibrary, type LibraryOptions } from "./backend.ts";
import * as ref from "./reference_float.ts";
import { CHANNEL_BLOCK } from "./reference_kernels.ts";
import {
  CONV_TILE_ROWS,
  ELEMENTWISE_OPS,
  MAX_RANK,
  OPTIMIZER_OPS,
  POOL_KINDS,
  QUANTIZE_KINDS,
  RESIZE_METHODS,
  RHS_LAYOUTS,
  STRIDED_OPS,
  UNARY_OPS,
} from "./_abi_generated.ts";

/** Float weights in the blocked layout the SGEMM reads: [ceil(Cout/32), depth, 32]. */
export interface PackedF32 {
  /** The packed floats, `ceil(channelsOut / 32) · depth · 32`; padding channels are 0. */
  readonly data: Float32Array;
  /** Output channels (rows of the weights before packing). */
  readonly channelsOut: number;
  /** Input values per output channel (the GEMM's K). */
  readonly depth: number;
}

/** How a float kernel call runs: threads and micro-kernel. */
export interface FloatCallOptions {
  /** Threads, 1 to {@link MAX_THREADS} (default: the kernels' default, 1). */
  threads?: number;
  /** Float micro-kernel by name or index (native and wasm); default: the fastest supported. */
  ukernel?: number | string;
}

/** Clamp of a fused activation; default none. */
export interface Clamp {
  /** Lower bound of the output (a fused activation: 0 for RELU); default: none. */
  clampMin?: number;
  /** Upper bound of the output (6 for RELU6); default: none. */
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

export { type ExplicitPadding, planWindow, type WindowGeometry, type WindowPlan } from "./geometry.ts";

export { ELEMENTWISE_OPS, MAX_RANK, OPTIMIZER_OPS, POOL_KINDS, RESIZE_METHODS, STRIDED_OPS, UNARY_OPS };
/** The activations of {@link FloatKernels.bindUnary} (abi.zig's UnaryOp). */
export type UnaryOp = typeof UNARY_OPS[number];
/** An optimizer step of {@link FloatKernels.optimizerStep}. */
export type OptimizerOp = typeof OPTIMIZER_OPS[number];

/**
 * The hyperparameters of {@link FloatKernels.optimizerStep} (each op reads its own; float32 as the step computes)
 * and the weight's clip (larq's weight_clip: clampMin -c, clampMax c; default none).
 */
export interface OptimizerStepOptions extends Clamp {
  /** adam: this step's lr_t = lr·sqrt(1 - β2^t)/(1 - β1^t); sgd, momentum, nesterov: the learning rate. */
  learningRate?: number;
  /** adam: β1 and β2 (the step multiplies by 1 - β). */
  beta1?: number;
  /** adam: β2. */
  beta2?: number;
  /** adam: ε, added to √v. */
  epsilon?: number;
  /** momentum, nesterov: the momentum. */
  momentum?: number;
  /** bop: the threshold τ. */
  threshold?: number;
  /** bop: γ, the rate of the gradient average. */
  gamma?: number;
  /** Threads (default the set's). */
  threads?: number;
}
/** The ops of {@link FloatKernels.bindStrided} (abi.zig's StridedOp). */
export type StridedOp = typeof STRIDED_OPS[number];
/** The ops of {@link FloatKernels.bindElementwise} (abi.zig's ElementwiseOp). */
export type ElementwiseOp = typeof ELEMENTWISE_OPS[number];
/** The kinds of {@link FloatKernels.bindPool2d} (abi.zig's PoolKind). */
export type PoolKind = typeof POOL_KINDS[number];
/** The methods of {@link FloatKernels.bindResize} (abi.zig's ResizeMethod). */
export type ResizeMethod = typeof RESIZE_METHODS[number];

/** The ABI code of `name` in the generated list `names`, or a TypeError naming the choices. */
function codeOf<T extends string>(what: string, names: readonly T[], name: T): number {
  const code = names.indexOf(name);
  if (code < 0) throw new TypeError(`${what} must be one of ${names.join(", ")}, got ${JSON.stringify(name)}`);
  return code;
}

/** One operand of {@link FloatKernels.bindStrided}: a Float32Array of `length` values, element
 * `offset + Σ index[d]·strides[d]` at each index of the op's shape (stride 0: broadcast along d; negative:
 * backwards along d, as STRIDED_SLICE's negative strides). */
export interface StridedView {
  /** Elements in the array. */
  length: number;
  /** Index of the element at index 0 of every axis; default 0. */
  offset?: number;
  /** Elements to step per axis of the op's shape, one per axis. */
  strides: readonly number[];
}

/** Row-major strides of a contiguous `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
  return out;
}

/**
 * Drops dims of size 1 and merges neighbours that every operand walks as one (stride[d] = stride[d+1]·shape[d+1]):
 * the same elements in the same order, with fewer, longer rows.
 */
export function mergeDims(shape: readonly number[], strides: readonly (readonly number[])[]): {
  shape: number[];
  strides: number[][];
} {
  const keep = shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  const outShape: number[] = [], out: number[][] = strides.map(() => []);
  for (const d of keep) {
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, i) => out[i][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, i) => out[i][last] = s[d]);
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, i) => out[i].push(s[d]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: out };
}

/** A validated float op (see the `bind*` methods): buffers are checked by length only. */
export interface BoundFloatOp {
  /** Elements of the output. */
  readonly outputLength: number;
  /** Floats of workspace `run` needs (0: pass any array). */
  readonly workspaceFloats: number;
  /**
   * Runs on these buffers: `input`, `out` (`outputLength` elements) and, when `workspaceFloats` > 0, a workspace of at
   * least that many floats. Lengths are checked (RangeError naming the buffer).
   */
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

/**
 * Options of {@link FloatKernels.native}, {@link FloatKernels.wasm} and {@link FloatKernels.auto}: which library, and
 * the default threads and micro-kernel of every call.
 */
export interface FloatKernelsOptions extends LibraryOptions, FloatCallOptions {}

/** Which copy of a bound op's constants its calls pass: a resident one (bind), or the array itself (one call). */
type Keep = <T extends Float32Array>(a: T) => T;
const once: Keep = (a) => a;

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
export class FloatKernels extends KernelSet {
  /** The workspace of calls that pass none. */
  readonly #scratch = new Scratch((n) => new Float32Array(n));

  private constructor(compiled: KernelLibrary | undefined, options: FloatCallOptions) {
    super(compiled, options, "float");
  }

  /** The pure-TypeScript kernels. */
  static reference(options: FloatCallOptions = {}): FloatKernels {
    return new FloatKernels(undefined, options);
  }

  /** The native kernels; throws NativeLibraryError when the library is missing or stale. */
  static native(options: FloatKernelsOptions = {}): FloatKernels {
    return new FloatKernels(chooseLibrary("native", options), options);
  }

  /** The WebAssembly kernels (one thread); throws WasmModuleError when the module did not load. */
  static wasm(options: FloatKernelsOptions = {}): FloatKernels {
    return new FloatKernels(chooseLibrary("wasm", options), options);
  }

  /** Native kernels when the library loads, else wasm, else the reference; see backend.ts. */
  static auto(options: FloatKernelsOptions = {}): FloatKernels {
    const lib = chooseLibrary("auto", options);
    return new FloatKernels(lib, lib?.backend === "native" ? options : { threads: options.threads });
  }

  /** The same backend with other call options. */
  with(options: FloatCallOptions): FloatKernels {
    return new FloatKernels(this.compiled, {
      threads: options.threads ?? this.threads,
      ukernel: options.ukernel ?? this.ukernel,
    });
  }

  /** The float micro-kernels of the native library or wasm module (empty for the reference). */
  ukernels(): readonly UkernelDescription[] {
    return this.lib ? describeUkernels(this.lib, "float") : [];
  }

  /** Packs weights [channelsOut, depth] (row-major, e.g. OHWI) for the SGEMM, on this set's threads. */
  packRhs(rhs: Float32Array, channelsOut: number): PackedF32 {
    return this.#pack(rhs, channelsOut, "oi");
  }

  /**
   * Packs weights given as [depth, channelsOut] (row-major: an HWIO kernel, a Keras Dense kernel, a matrix
   * B of A·B): the panels' own row order, so the native library copies 32-float runs (no transpose), on this
   * set's threads.
   */
  packRhsKN(rhs: Float32Array, channelsOut: number): PackedF32 {
    return this.#pack(rhs, channelsOut, "io");
  }

  #pack(rhs: Float32Array, channelsOut: number, layout: typeof RHS_LAYOUTS[number]): PackedF32 {
    checkInt("channelsOut", channelsOut, 1);
    if (!(rhs instanceof Float32Array)) throw new TypeError("rhs must be a Float32Array");
    if (rhs.length === 0 || rhs.length % channelsOut !== 0) {
      throw new RangeError(`rhs length ${rhs.length} is not a positive multiple of channelsOut (${channelsOut})`);
    }
    const depth = checkInt("depth", rhs.length / channelsOut, 1);
    const data = stepFloat32(ref.packedRhsFloats(channelsOut, depth), true); // every float written (padding 0)
    this.impl.onebit_sgemm_pack_rhs_f32(
      { values: { channels_out: channelsOut, depth, rhs_layout: RHS_LAYOUTS.indexOf(layout), threads: this.threads } },
      rhs,
      data,
    );
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
    return this.#bindSgemm(w, options, (a) => this.resident(a));
  }

  #bindSgemm(
    w: PackedF32,
    options: Clamp & FloatCallOptions & { rows: number; bias?: Float32Array },
    keep: Keep,
  ): BoundFloatOp {
    this.#checkPacked(w, "w");
    const rows = checkInt("rows", options.rows, 0);
    // Snapshot: w is the caller's object; its fields and array must not change what run() trusts.
    const n = w.channelsOut, depth = w.depth, data = keep(w.data), words = data.length;
    const bias = keep(padBias(options.bias, n));
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
        if (rows > 0) impl.onebit_sgemm_f32(p, lhs, data, bias, out);
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
    const bound = this.#bindSgemm(w, { ...options, rows: lhs.length / w.depth }, once);
    const out = options.out ?? stepFloat32(bound.outputLength, true);
    bound.run(lhs, out);
    return out;
  }

  /**
   * Floats of im2col workspace a convolution needs: 0 for 1x1, stride 1, unpadded; with `keepCols` the whole
   * im2col (left in the workspace for a filter gradient); else one tile of at most CONV_TILE_ROWS rows per thread.
   */
  conv2dWorkspaceFloats(geometry: WindowGeometry, options: FloatCallOptions & { keepCols?: boolean } = {}): number {
    const g = planWindow(geometry);
    const threads = this.call(options).threads;
    const p = {
      ...g,
      channels_in: g.channels,
      channels_out: 1,
      clamp_min: 0,
      clamp_max: 0,
      ukernel: -1,
      threads,
      keep_cols: options.keepCols ? 1 : 0,
    };
    if (ref.isDirect(p)) return 0;
    const pixels = g.batch * g.out_h * g.out_w, depth = g.kernel_h * g.kernel_w * g.channels;
    return options.keepCols ? pixels * depth : threads * Math.min(pixels, CONV_TILE_ROWS) * depth;
  }

  /** Validates a float convolution once (see {@link conv2d}). */
  bindConv2d(
    filter: PackedF32,
    options: WindowGeometry & Clamp & FloatCallOptions & { bias?: Float32Array; keepCols?: boolean },
  ): BoundFloatOp {
    return this.#bindConv2d(filter, options, (a) => this.resident(a));
  }

  #bindConv2d(
    filter: PackedF32,
    options: WindowGeometry & Clamp & FloatCallOptions & { bias?: Float32Array; keepCols?: boolean },
    keep: Keep,
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
    const n = filter.channelsOut, data = keep(filter.data), words = data.length;
    const inputLength = g.batch * g.in_h * g.in_w * g.channels;
    const workspaceFloats = this.conv2dWorkspaceFloats(options, options);
    const bias = keep(padBias(options.bias, n));
    const { channels, ...geo } = g;
    const p: Encoded<"Conv2dF32Params"> = {
      values: {
        ...geo,
        channels_in: channels,
        channels_out: n,
        ...clampOf(options),
        ...this.call(options),
        keep_cols: options.keepCols ? 1 : 0,
      },
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
        if (pixels > 0) impl.onebit_conv2d_f32(p, input, data, bias, workspace, out);
      },
    };
  }

  /**
   * Float 2-D convolution, NHWC input, filter packed from OHWI [Cout, KH·KW·Cin], zero padding. With
   * `keepCols`, `workspace` holds the whole im2col afterwards.
   */
  conv2d(
    input: Float32Array,
    filter: PackedF32,
    options: WindowGeometry & Clamp & FloatCallOptions & {
      bias?: Float32Array;
      keepCols?: boolean;
      out?: Float32Array;
      workspace?: Float32Array;
    },
  ): Float32Array {
    const bound = this.#bindConv2d(filter, options, once);
    const out = options.out ?? stepFloat32(bound.outputLength, true);
    bound.run(input, out, options.workspace ?? this.#scratch.get(bound.workspaceFloats));
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
        if (size > 0) impl.onebit_depthwise_conv2d_f32(p, input, w, bias, out);
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
    const out = options.out ?? stepFloat32(bound.outputLength, true);
    bound.run(input, out);
    return out;
  }

  /** Validates a pooling once (see {@link pool2d}). */
  bindPool2d(options: WindowGeometry & Clamp & { kind: PoolKind; threads?: number }): BoundFloatOp {
    const { params, size, inputLength } = poolPlan(
      options,
      POOL_KINDS[codeOf("kind", POOL_KINDS, options.kind)],
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
        if (size > 0) impl.onebit_pool2d_f32(p, input, out);
      },
    };
  }

  /**
   * Validates a max pooling for training once: `run(input, out, argmax)` writes each window's maximum and the
   * input index of its first maximum (where the gradient goes, as TF's argmax; NaN in a window's first tap stays).
   */
  bindMaxPoolArgmax(options: WindowGeometry & { threads?: number }): {
    readonly outputLength: number;
    run(input: Float32Array, out: Float32Array, argmax: Int32Array): void;
  } {
    const { params, size, inputLength } = poolPlan(
      options,
      "max",
      { clamp_min: -Infinity, clamp_max: Infinity },
      this.call(options).threads,
    );
    checkInt("input length", inputLength, 0);
    const p: Encoded<"Pool2dF32Params"> = { values: params };
    const impl = this.impl;
    return {
      outputLength: size,
      run(input, out, argmax) {
        checkArray("input", input, Float32Array, inputLength);
        checkArray("out", out, Float32Array, size);
        checkArray("argmax", argmax, Int32Array, size);
        if (size > 0) impl.onebit_maxpool2d_argmax_f32(p, input, out, argmax);
      },
    };
  }

  /** Max or average pooling (average over in-bounds taps, as TFLite). */
  pool2d(
    input: Float32Array,
    options: WindowGeometry & Clamp & { kind: PoolKind; out?: Float32Array; threads?: number },
  ): Float32Array {
    const bound = this.bindPool2d(options);
    const out = options.out ?? stepFloat32(bound.outputLength, true);
    bound.run(input, out);
    return out;
  }

  /** Validates an elementwise op over `count` values once: `run(a, b, out)` computes `out = clamp(a op b)`. */
  bindElementwise(count: number, op: ElementwiseOp, options: Clamp & { threads?: number } = {}): {
    run(a: Float32Array, b: Float32Array, out: Float32Array): void;
  } {
    const code = codeOf("op", ELEMENTWISE_OPS, op);
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
        if (count > 0) impl.onebit_elementwise_f32(p, a, b, out);
      },
    };
  }

  /**
   * Validates once `z = prelu(x·scale[c], alpha[c]) + residual` on rows of `channels` values (MUL by a
   * per-channel vector, PRELU, ADD: Real-to-Binary Net's scaled residual blocks), each op's rounding kept;
   * `alpha` is bound, the scale and the residual are given per call (`out` may be the residual).
   *
   * @example
   * ```ts
   * import { FloatKernels } from "./float_kernels.ts";
   * const f = FloatKernels.reference();
   * const op = f.bindScalePreluAdd(1, 2, { alpha: new Float32Array([0.5, 0.5]) });
   * const out = new Float32Array(2);
   * op.run(new Float32Array([2, -2]), new Float32Array([1, 1]), new Float32Array([10, 10]), out);
   * console.log(out); // Float32Array [12, 9]
   * ```
   */
  bindScalePreluAdd(rows: number, channels: number, options: { alpha: Float32Array; threads?: number }): {
    run(input: Float32Array, scale: Float32Array, residual: Float32Array, out: Float32Array): void;
  } {
    checkInt("rows", rows, 0);
    checkInt("channels", channels, 1);
    const alpha = Float32Array.from(checkArray("alpha", options.alpha, Float32Array, channels));
    const n = rows * channels, impl = this.impl;
    const p: Encoded<"ChannelAffineParams"> = {
      values: { rows, channels, outputs: 1, threads: this.call(options).threads, values_stride: 0, bits_stride: 0 },
    };
    return {
      run(input, scale, residual, out) {
        checkArray("input", input, Float32Array, n);
        checkArray("scale", scale, Float32Array, channels);
        checkArray("residual", residual, Float32Array, n);
        checkArray("out", out, Float32Array, n);
        if (n > 0) impl.onebit_scale_prelu_add_f32(p, scale, alpha, residual, input, out);
      },
    };
  }

  /** Validates an activation over `count` values once (`alpha`: LEAKY_RELU's slope below zero). */
  bindUnary(count: number, op: UnaryOp, options: { alpha?: number; threads?: number } = {}): {
    run(input: Float32Array, out: Float32Array): void;
  } {
    const code = codeOf("op", UNARY_OPS, op);
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
        if (count > 0) impl.onebit_unary_f32(p, input, out);
      },
    };
  }

  /**
   * One optimizer step over a float32 weight in place, then its clip: `adam` (slots m, v), `sgd` (none),
   * `momentum` and `nesterov` (slot 1: the velocity), `bop` (slot 1: m; the weight becomes ±1). Float32 operations
   * in train/optimizers.ts's order: equal to its op-by-op form bit for bit on every backend.
   *
   * @example
   * ```ts
   * import { FloatKernels } from "./float_kernels.ts";
   * const w = Float32Array.of(0.5, 2), g = Float32Array.of(1, -1), none = new Float32Array(0);
   * FloatKernels.auto().optimizerStep("sgd", w, g, none, none, { learningRate: 0.25, clampMax: 1.5 });
   * console.log([...w]); // [0.25, 1.5]
   * ```
   */
  optimizerStep(
    op: OptimizerOp,
    weights: Float32Array,
    grads: Float32Array,
    slot1: Float32Array,
    slot2: Float32Array,
    options: OptimizerStepOptions,
  ): void {
    const code = codeOf("op", OPTIMIZER_OPS, op),
      count = checkArray("weights", weights, Float32Array, weights?.length).length;
    const slots = op === "adam" ? 2 : op === "sgd" ? 0 : 1;
    checkArray("grads", grads, Float32Array, count);
    checkArray("slot1", slot1, Float32Array, slots >= 1 ? count : slot1.length);
    checkArray("slot2", slot2, Float32Array, slots >= 2 ? count : slot2.length);
    const { clamp_min, clamp_max } = clampOf(options);
    const o = options, num = (name: string, v: number | undefined) => checkFloat(`${op}: ${name}`, v ?? 0);
    const values = op === "adam"
      ? { rate: num("learningRate", o.learningRate), a: 1 - num("beta1", o.beta1), b: 1 - num("beta2", o.beta2) }
      : op === "bop"
      ? { rate: num("gamma", o.gamma), a: num("threshold", o.threshold), b: 0 }
      : { rate: num("learningRate", o.learningRate), a: num("momentum", o.momentum), b: 0 };
    const p: Encoded<"OptimizerF32Params"> = {
      values: {
        count,
        op: code,
        ...values,
        epsilon: num("epsilon", o.epsilon),
        clamp_min,
        clamp_max,
        threads: this.call(options).threads,
      },
    };
    // The slots an op does not read may be empty (never dereferenced).
    if (count > 0) this.impl.onebit_optimizer_step_f32(p, weights, grads, slot1, slot2);
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
        if (rows > 0) impl.onebit_softmax_f32(p, input, out);
      },
    };
  }

  /**
   * Validates a strided op once: `out[v] = clamp(a[v] op b[v])` at every index v of `shape`, each operand read or
   * written through its {@link StridedView}; op "copy" reads a only (PAD's interior, CONCATENATION, TRANSPOSE,
   * channel slices), the others broadcast through zero strides ("max"/"min": TFLite's `a > b ? a : b` and
   * `a < b ? a : b`; "prelu": `a >= 0 ? a : a·b`). Dims are merged first; at most {@link MAX_RANK} may remain.
   */
  bindStrided(
    shape: readonly number[],
    op: StridedOp,
    views: { a: StridedView; b?: StridedView; out: StridedView },
    options: Clamp & { threads?: number } = {},
  ): { run(a: Float32Array, b: Float32Array | undefined, out: Float32Array): void } {
    const code = codeOf("op", STRIDED_OPS, op);
    if (!Array.isArray(shape)) throw new TypeError("shape must be an array");
    let total = 1;
    shape.forEach((d, i) => total *= checkInt(`shape[${i}]`, d, 0));
    checkInt("element count", total, 0);
    if (code !== 3 && views.b === undefined) throw new TypeError(`op "${op}" needs views.b`);
    const named = [["a", views.a], ["b", views.b ?? views.a], ["out", views.out]] as const;
    for (const [name, v] of named) {
      if (!v || !Array.isArray(v.strides) || v.strides.length !== shape.length) {
        throw new TypeError(`views.${name}.strides must be an array of ${shape.length} strides`);
      }
      checkInt(`views.${name}.length`, v.length, 0);
      const offset = checkInt(`views.${name}.offset`, v.offset ?? 0, 0);
      let reach = offset, low = offset;
      v.strides.forEach((st, d) => {
        const span = checkInt(`views.${name}.strides[${d}]`, st, 1 - 2 ** 31) * Math.max(0, shape[d] - 1);
        if (span > 0) reach += span;
        else low += span;
      });
      if (total > 0 && reach >= v.length) {
        throw new RangeError(`views.${name} reaches element ${reach}, past its ${v.length} values`);
      }
      if (total > 0 && low < 0) throw new RangeError(`views.${name} reaches element ${low}, below its first`);
    }
    const merged = mergeDims(shape, named.map(([, v]) => v.strides));
    if (merged.shape.length > MAX_RANK) {
      throw new RangeError(`shape [${shape}] needs ${merged.shape.length} dims after merging; at most ${MAX_RANK}`);
    }
    const [sa, sb, so] = merged.strides;
    const p: Encoded<"StridedF32Params"> = {
      values: {
        rank: merged.shape.length,
        op: code,
        shape: merged.shape,
        a_strides: sa,
        b_strides: sb,
        out_strides: so,
        a_offset: views.a.offset ?? 0,
        b_offset: (views.b ?? views.a).offset ?? 0,
        out_offset: views.out.offset ?? 0,
        ...clampOf(options),
        threads: this.call(options).threads,
      },
    };
    const impl = this.impl;
    const [la, lb, lo] = named.map(([, v]) => v.length);
    return {
      run(a, b, out) {
        checkArray("a", a, Float32Array, la);
        const bb = code === 3 ? a : checkArray("b", b, Float32Array, lb);
        checkArray("out", out, Float32Array, lo);
        if (total > 0) impl.onebit_strided_f32(p, a, bb, out);
      },
    };
  }

  /**
   * Validates a resize of NHWC `inputShape` to `size` ([outH, outW]) once, in TFLite's f32 arithmetic:
   * RESIZE_BILINEAR ("bilinear") or RESIZE_NEAREST_NEIGHBOR ("nearest"), with TFLite's `alignCorners` and
   * `halfPixelCenters` (not both).
   */
  bindResize(
    inputShape: readonly number[],
    size: readonly number[],
    options: { method: ResizeMethod; alignCorners?: boolean; halfPixelCenters?: boolean; threads?: number },
  ): { readonly outputLength: number; run(input: Float32Array, out: Float32Array): void } {
    if (!Array.isArray(inputShape) || inputShape.length !== 4) throw new TypeError("inputShape must be [n, h, w, c]");
    if (!Array.isArray(size) || size.length !== 2) throw new TypeError("size must be [height, width]");
    const method = codeOf("method", RESIZE_METHODS, options.method);
    const align = options.alignCorners === true, half = options.halfPixelCenters === true;
    if (align && half) throw new RangeError("alignCorners and halfPixelCenters cannot both be set");
    const [n, h, w, c] = inputShape.map((d, i) => checkInt(`inputShape[${i}]`, d, i === 1 || i === 2 ? 1 : 0));
    const [oh, ow] = size.map((d, i) => checkInt(`size[${i}]`, d, 1));
    const inputLength = checkInt("input element count", n * h * w * c, 0);
    const outputLength = checkInt("output element count", n * oh * ow * c, 0);
    const p: Encoded<"ResizeF32Params"> = {
      values: {
        batch: n,
        in_h: h,
        in_w: w,
        channels: c,
        out_h: oh,
        out_w: ow,
        method,
        align_corners: align ? 1 : 0,
        half_pixel_centers: half ? 1 : 0,
        threads: this.call(options).threads,
      },
    };
    const impl = this.impl;
    return {
      outputLength,
      run(input, out) {
        checkArray("input", input, Float32Array, inputLength);
        checkArray("out", out, Float32Array, outputLength);
        if (outputLength > 0) impl.onebit_resize_f32(p, input, out);
      },
    };
  }

  /** Validates a MEAN of a contiguous tensor `shape` over `axes` once (f64 sums, as the reference). */
  bindMean(shape: readonly number[], axes: readonly number[], options: { threads?: number } = {}): {
    readonly outputLength: number;
    run(input: Float32Array, out: Float32Array): void;
  } {
    if (!Array.isArray(shape)) throw new TypeError("shape must be an array");
    const rank = shape.length;
    let total = 1, outputs = 1;
    const reduce = new Set<number>();
    for (const a of axes) {
      checkInt("axis", a, -rank, rank - 1);
      reduce.add(a < 0 ? a + rank : a);
    }
    shape.forEach((d, i) => {
      total *= checkInt(`shape[${i}]`, d, 0);
      if (!reduce.has(i)) outputs *= d;
    });
    checkInt("element count", total, 0);
    // Merge neighbours of the same kind (size-1 dims go either way).
    const dims: number[] = [], kinds: boolean[] = [];
    shape.forEach((d, i) => {
      if (d === 1) return;
      const r = reduce.has(i), last = dims.length - 1;
      if (last >= 0 && kinds[last] === r) dims[last] *= d;
      else (dims.push(d), kinds.push(r));
    });
    if (dims.length === 0) (dims.push(1), kinds.push(false));
    if (dims.length > MAX_RANK) {
      throw new RangeError(`MEAN over [${axes}] of [${shape}] alternates more than ${MAX_RANK} times`);
    }
    const p: Encoded<"MeanF32Params"> = {
      values: {
        rank: dims.length,
        reduce_mask: kinds.reduce((m, r, d) => r ? m | (1 << d) : m, 0),
        shape: dims,
        threads: this.call(options).threads,
      },
    };
    const impl = this.impl;
    return {
      outputLength: outputs,
      run(input, out) {
        checkArray("input", input, Float32Array, total);
        checkArray("out", out, Float32Array, outputs);
        if (total > 0) impl.onebit_mean_f32(p, input, out);
      },
    };
  }

  /**
   * Validates a col2im once: cols [batch, colsH, colsW, KH, KW, C] summed into image [batch, H, W, C] where tap
   * (ky, kx) of cols pixel (cy, cx) lands on (cy·strideH + ky·dilationH - padTop, …), then bias and clamp. With a
   * SGEMM in front it is TRANSPOSE_CONV; it is also a convolution's input gradient.
   */
  bindCol2im(
    options: Clamp & {
      imageShape: readonly [number, number, number, number];
      colsSize: readonly [number, number];
      kernelSize: readonly [number, number];
      strides: readonly [number, number];
      dilations?: readonly [number, number];
      pads: readonly [number, number];
      bias?: Float32Array;
      threads?: number;
    },
  ): { readonly colsLength: number; readonly outputLength: number; run(cols: Float32Array, out: Float32Array): void } {
    const [n, h, w, c] = options.imageShape.map((d, i) => checkInt(`imageShape[${i}]`, d, i === 0 ? 0 : 1));
    const [ch, cw] = options.colsSize.map((d, i) => checkInt(`colsSize[${i}]`, d, 1));
    const [kh, kw] = options.kernelSize.map((d, i) => checkInt(`kernelSize[${i}]`, d, 1));
    const [sh, sw] = options.strides.map((d, i) => checkInt(`strides[${i}]`, d, 1));
    const [dh, dw] = (options.dilations ?? [1, 1]).map((d, i) => checkInt(`dilations[${i}]`, d, 1));
    const [pt, pl] = options.pads.map((d, i) => checkInt(`pads[${i}]`, d, 0));
    const colsLength = checkInt("cols length", n * ch * cw * kh * kw * c, 0);
    const outputLength = checkInt("image length", n * h * w * c, 0);
    const bias = options.bias === undefined
      ? new Float32Array(c)
      : checkArray("bias", options.bias, Float32Array, c).slice();
    const p: Encoded<"Col2imF32Params"> = {
      values: {
        batch: n,
        image_h: h,
        image_w: w,
        channels: c,
        kernel_h: kh,
        kernel_w: kw,
        stride_h: sh,
        stride_w: sw,
        dilation_h: dh,
        dilation_w: dw,
        pad_top: pt,
        pad_left: pl,
        cols_h: ch,
        cols_w: cw,
        ...clampOf(options),
        threads: this.call(options).threads,
      },
    };
    const impl = this.impl;
    return {
      colsLength,
      outputLength,
      run(cols, out) {
        checkArray("cols", cols, Float32Array, colsLength);
        checkArray("out", out, Float32Array, outputLength);
        if (outputLength > 0) impl.onebit_col2im_f32(p, cols, bias, out);
      },
    };
  }

  /** Validates a QUANTIZE of `count` float32 values to int8/uint8 once: clamp(round(x / scale) + zeroPoint). */
  bindQuantize(
    count: number,
    to: "int8" | "uint8",
    scale: number,
    zeroPoint: number,
    options: { threads?: number } = {},
  ): {
    run(input: Float32Array, out: Int8Array | Uint8Array): void;
  } {
    if (to !== "int8" && to !== "uint8") throw new TypeError(`to must be "int8" or "uint8", got ${JSON.stringify(to)}`);
    if (!(typeof scale === "number" && scale > 0 && Number.isFinite(scale) && Math.fround(scale) > 0)) {
      throw new RangeError(`scale must be a positive finite number, got ${scale}`);
    }
    const [lo, hi] = to === "int8" ? [-128, 127] : [0, 255];
    const bind = this.#bindQuant(
      count,
      to === "int8" ? "f32_to_i8" : "f32_to_u8",
      scale,
      checkInt("zeroPoint", zeroPoint, lo, hi),
      options,
    );
    const Out = to === "int8" ? Int8Array : Uint8Array;
    return {
      run(input, out) {
        checkArray("input", input, Float32Array, count);
        checkArray("out", out, Out as Int8ArrayConstructor, count);
        bind(input, out);
      },
    };
  }

  /**
   * Validates a DEQUANTIZE of `count` int8/uint8 values ((q - zeroPoint)·scale, zeroPoint in the type's range)
   * or float16 bits once.
   */
  bindDequantize(
    count: number,
    from: "int8" | "uint8" | "float16",
    scale = 1,
    zeroPoint = 0,
    options: { threads?: number } = {},
  ): { run(input: Int8Array | Uint8Array | Uint16Array, out: Float32Array): void } {
    const kind = ["int8", "uint8", "float16"].indexOf(from);
    if (kind < 0) throw new TypeError(`from must be "int8", "uint8" or "float16", got ${JSON.stringify(from)}`);
    if (!Number.isFinite(scale)) throw new RangeError(`scale must be finite, got ${scale}`);
    const [lo, hi] = from === "int8" ? [-128, 127] : [0, 255];
    const zp = from === "float16" ? 0 : checkInt("zeroPoint", zeroPoint, lo, hi);
    const bind = this.#bindQuant(count, (["i8_to_f32", "u8_to_f32", "f16_to_f32"] as const)[kind], scale, zp, options);
    const In = [Int8Array, Uint8Array, Uint16Array][kind] as Int8ArrayConstructor;
    return {
      run(input, out) {
        checkArray("input", input, In, count);
        checkArray("out", out, Float32Array, count);
        bind(input, out);
      },
    };
  }

  #bindQuant(
    count: number,
    kind: typeof QUANTIZE_KINDS[number],
    scale: number,
    zeroPoint: number,
    options: { threads?: number },
  ) {
    checkInt("count", count, 0);
    const p: Encoded<"QuantizeParams"> = {
      values: {
        count,
        kind: QUANTIZE_KINDS.indexOf(kind),
        scale,
        zero_point: zeroPoint,
        threads: this.call(options).threads,
      },
    };
    const impl = this.impl;
    return (input: ref.QuantArray, out: ref.QuantArray) => {
      if (count > 0) impl.onebit_quantize(p, input, out);
    };
  }

  /** `out = clamp(a op b)` elementwise over arrays of equal length. */
  elementwise(
    a: Float32Array,
    b: Float32Array,
    op: ElementwiseOp,
    options: Clamp & { out?: Float32Array; threads?: number } = {},
  ): Float32Array {
    if (!(a instanceof Float32Array)) throw new TypeError("a must be a Float32Array");
    const bound = this.bindElementwise(a.length, op, options);
    const out = options.out ?? stepFloat32(a.length, true);
    bound.run(a, b, out);
    return out;
  }
}
