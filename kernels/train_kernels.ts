/**
 * The element-wise passes of training (kernels_zig/train_bn.zig,
 * train_sign.zig, train_pool.zig): BatchNormalization's training forward and
 * backward passes, the sign quantizers' forward pass and pseudo-gradients
 * and max pooling's gradient scatter, ReLU and its gradient, and the
 * plumbing of the convolutions' gradients (a transpose, bits gathered and
 * unpacked to ±1 floats, a depthwise convolution's two gradients), each one pass over float32 arrays, on the native library, its wasm build or
 * the TypeScript reference (kernels/reference_train.ts), with the same
 * results bit for bit. Every argument is checked here.
 * @module
 */
import { stepFloat32, stepInt32, stepUint32 } from "./_step_buffers.ts";
import type { Encoded, KernelLibrary } from "./abi.ts";
import { checkArray, checkInt } from "./_check.ts";
import { chooseLibrary, type LibraryOptions } from "./backend.ts";
import { KernelSet } from "./_ukernels.ts";
import { planWindow, poolPlan, type WindowGeometry, type WindowPlan } from "./geometry.ts";
import { CHANNEL_BLOCK, CONV_MAXPOOL_FLOATS, SMALL_CIN_CHANNELS, SMALL_CIN_DEPTH } from "./_abi_generated.ts";

/** Options of {@link TrainKernels}' constructors: which library, and the threads of every call. */
export interface TrainKernelsOptions extends LibraryOptions {
  /** Threads per call, 1 to MAX_THREADS (default 1). */
  threads?: number;
}

/** What {@link TrainKernels.bnForward} returns. */
export interface BnForward {
  /** The normalized output, x's shape. */
  y: Float32Array;
  /** [mean | variance | invStd] of the batch, `channels` each (the backward pass reads it). */
  stats: Float32Array;
}

/** What {@link TrainKernels.bnBackward} returns: dγ and dβ when the layer has them. */
export interface BnBackward {
  /** The input's gradient. */
  dx: Float32Array;
  /** Σdy·x̂ per channel (null without γ). */
  dgamma: Float32Array | null;
  /** Σdy per channel (null without β). */
  dbeta: Float32Array | null;
}

/** Where {@link TrainKernels.gatherSigns} reads each output word (see there). */
export interface GatherLayout {
  /** Blocks: the outermost run of output words; block b reads input word + b. */
  blocks: number;
  /** Taps, read in reverse order (default 1). */
  taps?: number;
  /** Rows per tap. */
  period: number;
  /** Input words between rows. */
  rowStride: number;
  /** Input words between taps (default 0). */
  tapStride?: number;
}

/** A depthwise convolution's window and channel multiplier (default 1). */
export interface DepthwiseGeometry extends WindowGeometry {
  /** Output channels per input channel (Keras's depth_multiplier); default 1. */
  multiplier?: number;
}

/** The max pooling after a convolution, in {@link TrainKernels.conv2dMaxPool}: its window on the convolution's output. */
export interface MaxPoolWindow {
  /** [poolH, poolW]. */
  kernelSize: readonly [number, number];
  /** [strideH, strideW], at least the pool size (windows that do not overlap); default the pool size. */
  strides?: readonly [number, number];
  /** "valid" or "same" (default "valid"); "same" only where it pads after the input, never before. */
  padding?: "valid" | "same";
}

/** What {@link TrainKernels.conv2dMaxPool} returns. */
export interface ConvMaxPool {
  /** The pooled values [batch, outH, outW, filters]. */
  y: Float32Array;
  /** For each, the index in the convolution's output of its window's first maximum. */
  argmax: Int32Array;
  /** The pooled shape. */
  shape: [number, number, number, number];
}

/**
 * Why a convolution and the max pooling of its output cannot run as one {@link TrainKernels.conv2dMaxPool}, or
 * null when they can: the convolution has few input channels (the direct path's limits), no padding before
 * the pool's windows, and windows that do not overlap; a task's rows fit CONV_MAXPOOL_FLOATS.
 */
export function convMaxPoolRefusal(geometry: WindowGeometry & { filters: number }, pool: MaxPoolWindow): string | null {
  const g = planWindow(geometry, 1), filters = checkInt("filters", geometry.filters, 1);
  const depth = g.kernel_h * g.kernel_w * g.channels;
  if (g.channels > SMALL_CIN_CHANNELS || depth > SMALL_CIN_DEPTH) {
    return `${g.channels} input channels and ${depth} taps exceed the direct path's ${SMALL_CIN_CHANNELS} and ${SMALL_CIN_DEPTH}`;
  }
  const [ph, pw] = pool.kernelSize, [sh, sw] = pool.strides ?? pool.kernelSize;
  if (sh < ph || sw < pw) return `pool windows overlap (strides [${sh}, ${sw}] < pool size [${ph}, ${pw}])`;
  const q = poolPlan(
    {
      inputShape: [g.batch, g.out_h, g.out_w, filters],
      kernelSize: [ph, pw],
      strides: [sh, sw],
      padding: pool.padding,
    },
    "max",
    { clamp_min: -Infinity, clamp_max: Infinity },
    1,
  ).params;
  if (q.pad_top !== 0 || q.pad_left !== 0) return "the pooling pads before its input";
  if (g.out_w * CHANNEL_BLOCK > CONV_MAXPOOL_FLOATS || ph * g.out_w * filters > CONV_MAXPOOL_FLOATS) {
    return `rows of ${g.out_w} pixels (${ph}×${g.out_w}×${filters} convolution values a pooled row, ` +
      `${g.out_w}×${CHANNEL_BLOCK} gradient values a row) pass the ${CONV_MAXPOOL_FLOATS} floats a task holds`;
  }
  if (g.batch * g.out_h * g.out_w * filters > 2 ** 31 - 1) return "the convolution's output passes 2³¹ values";
  return null;
}

const NONE = new Float32Array(1);

/**
 * Training's element-wise passes on one backend.
 *
 * @example
 * ```ts
 * import { TrainKernels } from "./train_kernels.ts";
 * const k = TrainKernels.reference();
 * console.log(k.sign(new Float32Array([-2, 0, 3]))); // Float32Array(3) [ -1, 1, 1 ]
 * console.log(k.steSignGrad(new Float32Array([-2, 0.5]), new Float32Array([1, 1]), 1)); // Float32Array(2) [ 0, 1 ]
 * ```
 */
export class TrainKernels extends KernelSet {
  private constructor(compiled: KernelLibrary | undefined, options: TrainKernelsOptions) {
    super(compiled, { threads: options.threads }, "float");
  }

  /** The pure-TypeScript passes. */
  static reference(options: TrainKernelsOptions = {}): TrainKernels {
    return new TrainKernels(undefined, options);
  }

  /** The native passes; throws NativeLibraryError when the library is missing or stale. */
  static native(options: TrainKernelsOptions = {}): TrainKernels {
    return new TrainKernels(chooseLibrary("native", options), options);
  }

  /** The WebAssembly passes (one thread); throws WasmModuleError when the module did not load. */
  static wasm(options: TrainKernelsOptions = {}): TrainKernels {
    return new TrainKernels(chooseLibrary("wasm", options), { ...options, threads: 1 });
  }

  /**
   * BatchNormalization's training forward pass over the last axis of `x` (`channels` values per row): batch
   * moments, then x·inv + (β - mean·inv), inv = γ/sqrt(var + ε) (γ, β: `channels` values each, or absent).
   */
  bnForward(
    x: Float32Array,
    channels: number,
    options: { gamma?: Float32Array | null; beta?: Float32Array | null; epsilon: number },
  ): BnForward {
    const p = this.#bnParams(x, channels, options.gamma ?? null, options.beta ?? null, options.epsilon);
    const y = stepFloat32(x.length, true), stats = new Float32Array(3 * channels);
    if (x.length > 0) {
      this.impl.onebit_bn_train_forward_f32(p, x, options.gamma ?? NONE, options.beta ?? NONE, y, stats);
    }
    return { y, stats };
  }

  /**
   * BatchNormalization's training backward pass: dx, dγ (with `gamma`) and dβ (with `hasBeta`) from the forward
   * pass's input `x`, its `stats` and the output's gradient `dy`.
   */
  bnBackward(
    x: Float32Array,
    dy: Float32Array,
    stats: Float32Array,
    options: { channels: number; gamma?: Float32Array | null; hasBeta: boolean; epsilon: number },
  ): BnBackward {
    const { channels, gamma = null, hasBeta } = options;
    const p = this.#bnParams(x, channels, gamma, hasBeta ? NONE : null, options.epsilon);
    checkArray("dy", dy, Float32Array, x.length);
    checkArray("stats", stats, Float32Array, 3 * channels);
    const dx = stepFloat32(x.length, true);
    const dgamma = gamma ? new Float32Array(channels) : null, dbeta = hasBeta ? new Float32Array(channels) : null;
    if (x.length > 0) {
      this.impl.onebit_bn_train_backward_f32(p, x, dy, gamma ?? NONE, stats, dx, dgamma ?? NONE, dbeta ?? NONE);
    }
    return { dx, dgamma, dbeta };
  }

  /** larq's sign of each value: -1 below 0, else +1 (±0 and NaN give +1). */
  sign(x: Float32Array, out: Float32Array = stepFloat32(x.length, true)): Float32Array {
    const p = this.#signParams(x, 0);
    checkArray("out", out, Float32Array, x.length);
    if (x.length > 0) this.impl.onebit_sign_f32(p, x, out);
    return out;
  }

  /**
   * ste_sign's pseudo-gradient: `dy` where |x| ≤ `clip` (a number ≥ 0), else 0, into `out` when given (it may be
   * `dy` itself: a gradient clipped in place).
   */
  steSignGrad(
    x: Float32Array,
    dy: Float32Array,
    clip: number,
    out: Float32Array = stepFloat32(x.length, true),
  ): Float32Array {
    if (!(clip >= 0)) throw new RangeError(`steSignGrad: clip must be a number ≥ 0, got ${clip}`);
    const p = this.#signParams(x, clip);
    checkArray("dy", dy, Float32Array, x.length);
    checkArray("out", out, Float32Array, x.length);
    if (x.length > 0) this.impl.onebit_ste_sign_grad_f32(p, x, dy, out);
    return out;
  }

  /** approx_sign's pseudo-gradient: dy·(1 - |x|)·2 where |x| ≤ 1, else 0. */
  approxSignGrad(x: Float32Array, dy: Float32Array): Float32Array {
    const p = this.#signParams(x, 1);
    checkArray("dy", dy, Float32Array, x.length);
    const out = stepFloat32(x.length, true);
    if (x.length > 0) this.impl.onebit_approx_sign_grad_f32(p, x, dy, out);
    return out;
  }

  /**
   * Max pooling's backward pass: the input gradient (`inputLength` values), each `dy[o]` added at `argmax[o]`
   * (the forward pass's argmax, `FloatKernels.bindMaxPoolArgmax`), zero elsewhere. An index outside the
   * input is refused by the kernel (an Error) before anything is written past the input.
   */
  maxPoolGrad(dy: Float32Array, argmax: Int32Array, inputLength: number): Float32Array {
    checkArray("dy", dy, Float32Array, dy?.length);
    checkArray("argmax", argmax, Int32Array, dy.length);
    checkInt("inputLength", inputLength, 0);
    const dx = stepFloat32(inputLength);
    const p: Encoded<"MaxPoolGradParams"> = {
      values: { input_count: inputLength, output_count: dy.length, threads: this.threads },
    };
    if (dy.length > 0) this.impl.onebit_maxpool2d_argmax_grad_f32(p, dy, argmax, dx);
    return dx;
  }

  /**
   * {@link maxPoolGrad} for windows that do not overlap (strides ≥ pool size on both axes, as the common 2×2/2):
   * every input value written in one pass, `dy` of its window where it is the window's argmax (from
   * `FloatKernels.bindMaxPoolArgmax` on the same geometry), else 0; the same bits as maxPoolGrad.
   *
   * @example
   * ```ts
   * import { TrainKernels } from "./train_kernels.ts";
   * const k = TrainKernels.reference();
   * // a 2×2 input, one channel, one 2×2 window whose maximum is input 2
   * const dx = k.maxPoolGradWindows(new Float32Array([5]), new Int32Array([2]), {
   *   inputShape: [1, 2, 2, 1],
   *   kernelSize: [2, 2],
   *   strides: [2, 2],
   * });
   * console.log(dx); // Float32Array(4) [ 0, 0, 5, 0 ]
   * ```
   */
  maxPoolGradWindows(dy: Float32Array, argmax: Int32Array, geometry: WindowGeometry): Float32Array {
    const { params, size, inputLength } = poolPlan(geometry, "max", { clamp_min: 0, clamp_max: 0 }, this.threads);
    if (params.stride_h < params.kernel_h || params.stride_w < params.kernel_w) {
      throw new RangeError(
        `maxPoolGradWindows: strides [${params.stride_h}, ${params.stride_w}] must be at least the pool size ` +
          `[${params.kernel_h}, ${params.kernel_w}] (windows that overlap take maxPoolGrad)`,
      );
    }
    checkArray("maxPoolGradWindows: dy", dy, Float32Array, size);
    checkArray("maxPoolGradWindows: argmax", argmax, Int32Array, size);
    const dx = stepFloat32(inputLength, true);
    if (inputLength > 0) this.impl.onebit_maxpool2d_argmax_grad_windows_f32({ values: params }, dy, argmax, dx);
    return dx;
  }

  /** ReLU: x where x > 0, else +0 (NaN and -0 give +0), into `out` when given. */
  relu(x: Float32Array, out: Float32Array = stepFloat32(x.length, true)): Float32Array {
    const p = this.#reluParams(x);
    checkArray("out", out, Float32Array, x.length);
    if (x.length > 0) this.impl.onebit_relu_f32(p, x, out);
    return out;
  }

  /** ReLU's gradient: `dy` where x > 0, else dy·0 (keeping dy's -0 and NaN). */
  reluGrad(x: Float32Array, dy: Float32Array): Float32Array {
    const p = this.#reluParams(x);
    checkArray("dy", dy, Float32Array, x.length);
    const out = stepFloat32(x.length, true);
    if (x.length > 0) this.impl.onebit_relu_grad_f32(p, x, dy, out);
    return out;
  }

  /**
   * [rows, cols] row-major → [cols, rows], into `out` when given (cache-tiled, split over threads by bands of
   * output rows). With `mask`, ste_sign's clip in the same pass: 0 where !(|latent| ≤ clip), `latent` in the
   * output's layout (a latent kernel's gradient transposed and clipped at once).
   */
  transpose(
    a: Float32Array,
    rows: number,
    cols: number,
    out?: Float32Array,
    mask?: { latent: Float32Array; clip: number },
  ): Float32Array {
    checkInt("transpose: rows", rows, 0);
    checkInt("transpose: cols", cols, 0);
    checkArray("transpose: a", a, Float32Array, rows * cols);
    const o = out ?? stepFloat32(rows * cols, true);
    checkArray("transpose: out", o, Float32Array, rows * cols);
    if (mask !== undefined) {
      checkArray("transpose: mask.latent", mask.latent, Float32Array, rows * cols);
      if (typeof mask.clip !== "number" || Number.isNaN(mask.clip)) {
        throw new TypeError(`transpose: mask.clip must be a number, got ${String(mask.clip)}`);
      }
    }
    const values = { rows, cols, masked: mask ? 1 : 0, clip: mask?.clip ?? 0, threads: this.threads };
    if (o.length > 0) this.impl.onebit_transpose_f32({ values }, a, mask?.latent ?? a, o);
    return o;
  }

  /**
   * A GEMM whose right-hand side is ±1 read from bits: out [rows, columns] = lhs [rows, depth] · S [depth, columns],
   * S[d, c] = -1 where bit c % 32 of `bits[d·words + c / 32]` is set, else +1 (a sign convolution's kept binary
   * im2col is S with `words` = K/32). lhs[r, d] is at `lhs[r·rowStride + d·depthStride]`: a row-major [rows, depth]
   * matrix has strides (depth, 1), the transpose of a [depth, rows] one (1, rows), read without transposing.
   * Each output is +0 plus its products summed in depth order: the bits of the unpacked ±1 floats through
   * {@link FloatKernels.sgemm}, with no unpacked matrix.
   *
   * @example
   * ```ts
   * import { TrainKernels } from "./train_kernels.ts";
   * const k = TrainKernels.reference();
   * // [1, 2] · [[+1, -1], [-1, -1]]: bits 0b10 (column 1 is -1) then 0b11
   * const out = k.signGemm(new Float32Array([1, 2]), new Uint32Array([0b10, 0b11]), {
   *   rows: 1, columns: 2, depth: 2, rowStride: 2, depthStride: 1, words: 1,
   * });
   * console.log(out); // Float32Array(2) [ -1, -3 ]
   * ```
   */
  signGemm(
    lhs: Float32Array,
    bits: Uint32Array,
    shape: { rows: number; columns: number; depth: number; rowStride: number; depthStride: number; words: number },
    out?: Float32Array,
  ): Float32Array {
    const rows = checkInt("signGemm: rows", shape.rows, 0);
    const columns = checkInt("signGemm: columns", shape.columns, 0);
    const depth = checkInt("signGemm: depth", shape.depth, 0);
    const rowStride = checkInt("signGemm: rowStride", shape.rowStride, 0);
    const depthStride = checkInt("signGemm: depthStride", shape.depthStride, 0);
    const words = checkInt("signGemm: words", shape.words, Math.ceil(columns / 32));
    checkArray("signGemm: lhs", lhs, Float32Array, lhs?.length);
    checkArray("signGemm: bits", bits, Uint32Array, bits?.length);
    const o = out ?? stepFloat32(rows * columns, true);
    checkArray("signGemm: out", o, Float32Array, rows * columns);
    if (rows === 0 || columns === 0) return o;
    const lastLhs = (rows - 1) * rowStride + (depth - 1) * depthStride;
    if (depth > 0 && lastLhs >= lhs.length) {
      throw new RangeError(`signGemm: lhs has ${lhs.length} values; the strides read value ${lastLhs}`);
    }
    if (depth * words > bits.length) {
      throw new RangeError(
        `signGemm: bits has ${bits.length} words; ${depth} rows of ${words} words need ${depth * words}`,
      );
    }
    const values = {
      rows,
      columns,
      depth,
      row_stride: rowStride,
      depth_stride: depthStride,
      words,
      threads: this.threads,
    };
    this.impl.onebit_sign_gemm_f32({ values }, lhs, bits, o);
    return o;
  }

  /**
   * Words of `bits` gathered and unpacked to ±1 floats (bit 1: -1, LSB first), 32 per word, into `out` (its
   * length 32·blocks·taps·period): output word (block b, tap t, row q), at ((b·taps + t)·period + q)·32, holds
   * input word q·rowStride + (taps - 1 - t)·tapStride + b. Plain unpacking is one block, one tap, rowStride 1;
   * a word-column-major copy of [rows, words] bits is `blocks` = words, `rowStride` = words.
   */
  gatherSigns(bits: Uint32Array, layout: GatherLayout, out: Float32Array): Float32Array {
    const blocks = checkInt("gatherSigns: blocks", layout.blocks, 0);
    const taps = checkInt("gatherSigns: taps", layout.taps ?? 1, 1);
    const period = checkInt("gatherSigns: period", layout.period, 0);
    const rowStride = checkInt("gatherSigns: rowStride", layout.rowStride, 0);
    const tapStride = checkInt("gatherSigns: tapStride", layout.tapStride ?? 0, 0);
    const words = blocks * taps * period;
    checkArray("gatherSigns: bits", bits, Uint32Array, bits?.length);
    checkArray("gatherSigns: out", out, Float32Array, 32 * words);
    if (words === 0) return out;
    const last = (period - 1) * rowStride + (taps - 1) * tapStride + blocks - 1;
    if (last >= bits.length) {
      throw new RangeError(`gatherSigns: the layout reads word ${last}, past the ${bits.length} words of bits`);
    }
    const values = { blocks, taps, period, row_stride: rowStride, tap_stride: tapStride, threads: this.threads };
    this.impl.onebit_gather_signs_b32_f32({ values }, bits, out);
    return out;
  }

  /**
   * A depthwise convolution's input gradient (filter [kh, kw, channels·multiplier], zero padding): dx of
   * `geometry.inputShape` from the output's gradient `dy`, each value summed over taps in order (float32).
   */
  depthwiseBackInput(dy: Float32Array, filter: Float32Array, geometry: DepthwiseGeometry): Float32Array {
    const { p, inputLength, outputLength, filterLength } = this.#depthwiseParams(geometry);
    checkArray("depthwiseBackInput: dy", dy, Float32Array, outputLength);
    checkArray("depthwiseBackInput: filter", filter, Float32Array, filterLength);
    const dx = stepFloat32(inputLength);
    if (inputLength > 0) this.impl.onebit_depthwise_backprop_input_f32(p, dy, filter, dx);
    return dx;
  }

  /**
   * A depthwise convolution's filter gradient ([kh, kw, channels·multiplier]) from its input `x` and the output's
   * gradient `dy`, each value summed over the batch's output pixels in order (float32).
   */
  depthwiseBackFilter(x: Float32Array, dy: Float32Array, geometry: DepthwiseGeometry): Float32Array {
    const { p, inputLength, outputLength, filterLength } = this.#depthwiseParams(geometry);
    checkArray("depthwiseBackFilter: x", x, Float32Array, inputLength);
    checkArray("depthwiseBackFilter: dy", dy, Float32Array, outputLength);
    const dw = stepFloat32(filterLength);
    if (inputLength > 0) this.impl.onebit_depthwise_backprop_filter_f32(p, x, dy, dw);
    return dw;
  }

  /**
   * A float convolution's filter gradient (HWIO [kh, kw, channels, filters]) from its input `x` and the output's
   * gradient `dy`, straight from x (no im2col), for inputs of few channels (a network's first layer: channels
   * ≤ SMALL_CIN_CHANNELS and kh·kw·channels ≤ SMALL_CIN_DEPTH). Each value is summed over chunks of the batch's
   * output rows (at most SMALL_CIN_FILTER_CHUNKS), each chunk's pixels in order, then the chunks in order, taps
   * outside the input skipped, each product rounded (float32): the same bits on any thread count.
   *
   * @example
   * ```ts
   * import { TrainKernels } from "./train_kernels.ts";
   * const k = TrainKernels.reference();
   * const x = new Float32Array([1, 2, 3, 4]), dy = new Float32Array([1, 1, 1, 1]);
   * // a 2x2 input of one channel, a 1x1 kernel, one filter: dw = Σ x·dy
   * console.log(k.conv2dBackFilter(x, dy, { inputShape: [1, 2, 2, 1], kernelSize: [1, 1], filters: 1 })); // Float32Array(1) [ 10 ]
   * ```
   */
  conv2dBackFilter(x: Float32Array, dy: Float32Array, geometry: WindowGeometry & { filters: number }): Float32Array {
    const g = planWindow(geometry, 1), { channels, ...window } = g;
    const filters = checkInt("conv2dBackFilter: filters", geometry.filters, 1);
    const depth = g.kernel_h * g.kernel_w * channels;
    if (channels > SMALL_CIN_CHANNELS || depth > SMALL_CIN_DEPTH) {
      throw new RangeError(
        `conv2dBackFilter: ${channels} channels and ${depth} taps (kernelH·kernelW·channels) exceed the direct ` +
          `path's ${SMALL_CIN_CHANNELS} and ${SMALL_CIN_DEPTH}: use the im2col and a GEMM`,
      );
    }
    checkArray("conv2dBackFilter: x", x, Float32Array, g.batch * g.in_h * g.in_w * channels);
    checkArray("conv2dBackFilter: dy", dy, Float32Array, g.batch * g.out_h * g.out_w * filters);
    const p = this.#convParams(window, channels, filters);
    const dw = stepFloat32(depth * filters);
    if (g.batch > 0) this.impl.onebit_conv2d_backprop_filter_small_cin_f32(p, x, dy, dw);
    return dw;
  }

  /**
   * A convolution of few input channels (a network's first layer) and the max pooling of its output, in one
   * pass that never writes the convolution's output: each pooled row's convolution rows are made in cache and
   * pooled there. `filter` is the kernel packed for the SGEMM (`FloatKernels.packRhsKN(hwio, filters)`), no
   * bias. The same bits as `FloatKernels.conv2d` then `bindMaxPoolArgmax` (argmax indices into the
   * convolution's output), on any thread count. A RangeError names what {@link convMaxPoolRefusal} refuses.
   *
   * @example
   * ```ts
   * import { FloatKernels } from "./float_kernels.ts";
   * import { TrainKernels } from "./train_kernels.ts";
   * // a 1×4 image, a 1×1 kernel of weight 2, pooled in windows of 1×2
   * const w = FloatKernels.reference().packRhsKN(new Float32Array([2]), 1);
   * const r = TrainKernels.reference().conv2dMaxPool(new Float32Array([1, 3, 5, 4]), w, {
   *   inputShape: [1, 1, 4, 1], kernelSize: [1, 1], filters: 1,
   * }, { kernelSize: [1, 2] });
   * console.log(r.y, r.argmax); // Float32Array(2) [ 6, 10 ] Int32Array(2) [ 1, 2 ]
   * ```
   */
  conv2dMaxPool(
    x: Float32Array,
    filter: { data: Float32Array; channelsOut: number; depth: number },
    geometry: WindowGeometry & { filters: number },
    pool: MaxPoolWindow,
  ): ConvMaxPool {
    const { p, q, depth } = this.#convPool("conv2dMaxPool", geometry, pool);
    if (filter?.channelsOut !== geometry.filters || filter.depth !== depth) {
      throw new RangeError(
        `conv2dMaxPool: filter must be packed with ${geometry.filters} channels and depth ${depth}, got ` +
          `${filter?.channelsOut} and ${filter?.depth}`,
      );
    }
    const blocks = Math.ceil(geometry.filters / CHANNEL_BLOCK);
    checkArray("conv2dMaxPool: filter.data", filter.data, Float32Array, blocks * CHANNEL_BLOCK * depth);
    checkArray(
      "conv2dMaxPool: x",
      x,
      Float32Array,
      p.values.batch * p.values.in_h * p.values.in_w * p.values.channels_in,
    );
    const v = q.values, size = v.batch * v.out_h * v.out_w * v.channels;
    const y = stepFloat32(size, true), argmax = stepInt32(size, true); // every value written
    this.impl.onebit_conv2d_maxpool_f32(p, q, x, filter.data, new Float32Array(blocks * CHANNEL_BLOCK), y, argmax);
    return { y, argmax, shape: [v.batch, v.out_h, v.out_w, v.channels] };
  }

  /**
   * The filter gradient of {@link conv2dMaxPool}'s convolution from the pooling's output gradient `dy` and the
   * argmax it returned, the convolution's output gradient made a row at a time in cache (never in memory): the
   * same bits as {@link maxPoolGradWindows} then {@link conv2dBackFilter}, on any thread count. As there, an
   * index outside its window drops that gradient (the indices are compared, never used as addresses).
   */
  conv2dMaxPoolBackFilter(
    x: Float32Array,
    dy: Float32Array,
    argmax: Int32Array,
    geometry: WindowGeometry & { filters: number },
    pool: MaxPoolWindow,
  ): Float32Array {
    const { p, q, depth } = this.#convPool("conv2dMaxPoolBackFilter", geometry, pool);
    const v = q.values, size = v.batch * v.out_h * v.out_w * v.channels;
    checkArray(
      "conv2dMaxPoolBackFilter: x",
      x,
      Float32Array,
      p.values.batch * p.values.in_h * p.values.in_w * p.values.channels_in,
    );
    checkArray("conv2dMaxPoolBackFilter: dy", dy, Float32Array, size);
    checkArray("conv2dMaxPoolBackFilter: argmax", argmax, Int32Array, size);
    const dw = stepFloat32(depth * geometry.filters);
    this.impl.onebit_conv2d_maxpool_backprop_filter_f32(p, q, x, dy, argmax, dw);
    return dw;
  }

  /** The checked parameters of a convolution and the max pooling after it. */
  #convPool(name: string, geometry: WindowGeometry & { filters: number }, pool: MaxPoolWindow) {
    const why = convMaxPoolRefusal(geometry, pool);
    if (why !== null) throw new RangeError(`${name}: ${why}`);
    const g = planWindow(geometry, 1), { channels, ...window } = g;
    const [ph, pw] = pool.kernelSize, strides = pool.strides ?? pool.kernelSize;
    const q: Encoded<"Pool2dF32Params"> = {
      values: poolPlan(
        {
          inputShape: [g.batch, g.out_h, g.out_w, geometry.filters],
          kernelSize: [ph, pw],
          strides,
          padding: pool.padding,
        },
        "max",
        { clamp_min: -Infinity, clamp_max: Infinity },
        this.threads,
      ).params,
    };
    // No clamp on the convolution (the filter gradient ignores it).
    const base = this.#convParams(window, channels, geometry.filters).values;
    const p: Encoded<"Conv2dF32Params"> = { values: { ...base, clamp_min: -Infinity, clamp_max: Infinity } };
    return { p, q, depth: g.kernel_h * g.kernel_w * channels };
  }

  /**
   * A float convolution's input gradient, dx = col2im(dy · Wᵀ), in one pass: each tile of the product is added
   * into dx as it is made, so the [pixels, kh·kw·channels] product is never written whole. `filter` is Wᵀ
   * packed for the SGEMM, channels kh·kw·channels (HWIO's [K, filters] rows, `FloatKernels.packRhs(w, K)`)
   * by depth `geometry.filters`. The bits of `FloatKernels.sgemm` then `bindCol2im` (zero bias, no clamp), on
   * any thread count (threads take runs of images by groups of 32 input channels).
   *
   * @example
   * ```ts
   * import { FloatKernels } from "./float_kernels.ts";
   * import { TrainKernels } from "./train_kernels.ts";
   * // a 1x1 convolution of 2 channels into 1 filter, w = [[3], [5]] (HWIO): dx = dy · [3, 5]
   * const wT = FloatKernels.reference().packRhs(new Float32Array([3, 5]), 2);
   * const dx = TrainKernels.reference().conv2dBackInput(new Float32Array([2]), wT, {
   *   inputShape: [1, 1, 1, 2], kernelSize: [1, 1], filters: 1,
   * });
   * console.log(dx); // Float32Array(2) [ 6, 10 ]
   * ```
   */
  conv2dBackInput(
    dy: Float32Array,
    filter: { data: Float32Array; channelsOut: number; depth: number },
    geometry: WindowGeometry & { filters: number },
  ): Float32Array {
    const g = planWindow(geometry, 1), { channels, ...window } = g;
    const filters = checkInt("conv2dBackInput: filters", geometry.filters, 1);
    const depth = g.kernel_h * g.kernel_w * channels;
    if (filter?.channelsOut !== depth || filter.depth !== filters) {
      throw new RangeError(
        `conv2dBackInput: filter must be Wᵀ packed with ${depth} channels (kernelH·kernelW·channels) and depth ` +
          `${filters}, got ${filter?.channelsOut} and ${filter?.depth}`,
      );
    }
    checkArray("conv2dBackInput: filter.data", filter.data, Float32Array, Math.ceil(depth / 32) * 32 * filters);
    checkArray("conv2dBackInput: dy", dy, Float32Array, g.batch * g.out_h * g.out_w * filters);
    const p = this.#convParams(window, channels, filters);
    const dx = stepFloat32(g.batch * g.in_h * g.in_w * channels, true); // every value written
    if (g.batch > 0) this.impl.onebit_conv2d_backprop_input_f32(p, dy, filter.data, dx);
    return dx;
  }

  /** A convolution's parameters for the training kernels (no clamp, the default micro-kernel). */
  #convParams(window: Omit<WindowPlan, "channels">, channels: number, filters: number): Encoded<"Conv2dF32Params"> {
    return {
      values: {
        ...window,
        channels_in: channels,
        channels_out: filters,
        clamp_min: 0,
        clamp_max: 0,
        ukernel: -1,
        threads: this.threads,
        keep_cols: 0,
      },
    };
  }

  #depthwiseParams(geometry: DepthwiseGeometry) {
    const g = planWindow(geometry, 1), multiplier = checkInt("multiplier", geometry.multiplier ?? 1, 1, 4096);
    const { channels, ...window } = g, cout = channels * multiplier;
    const p: Encoded<"DepthwiseF32Params"> = {
      values: { ...window, channels_in: channels, multiplier, clamp_min: 0, clamp_max: 0, threads: this.threads },
    };
    return {
      p,
      inputLength: g.batch * g.in_h * g.in_w * channels,
      outputLength: g.batch * g.out_h * g.out_w * cout,
      filterLength: g.kernel_h * g.kernel_w * cout,
    };
  }

  /**
   * A bit matrix [rows, words·32] (row-major 32-bit words, bit j of word w: column 32w + j) transposed to
   * [words·32, rows/32 words], 32×32 bit block by block: an HWIO kernel's signs packed along the filters become
   * OHWI rows. `rows` a multiple of 32.
   */
  transposeBits(bits: Uint32Array, rows: number, words: number): Uint32Array {
    checkInt("transposeBits: rows", rows, 0);
    if (rows % 32 !== 0) throw new RangeError(`transposeBits: rows must be a multiple of 32, got ${rows}`);
    checkInt("transposeBits: words", words, 0);
    checkArray("transposeBits: bits", bits, Uint32Array, rows * words);
    const out = stepUint32(rows * words, true); // every word written
    if (out.length > 0) {
      this.impl.onebit_transpose_bits_b32({ values: { rows, words, threads: this.threads } }, bits, out);
    }
    return out;
  }

  #reluParams(x: Float32Array): Encoded<"ReluPassParams"> {
    checkArray("x", x, Float32Array, x?.length);
    return { values: { count: x.length, threads: this.threads } };
  }

  #signParams(x: Float32Array, clip: number): Encoded<"SignPassParams"> {
    checkArray("x", x, Float32Array, x?.length);
    return { values: { count: x.length, clip, threads: this.threads } };
  }

  #bnParams(
    x: Float32Array,
    channels: number,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    epsilon: number,
  ): Encoded<"BnTrainParams"> {
    checkArray("x", x, Float32Array, x?.length);
    checkInt("channels", channels, 1);
    if (x.length % channels !== 0) {
      throw new RangeError(`batch norm: x has ${x.length} values, not a multiple of its ${channels} channels`);
    }
    if (gamma !== null) checkArray("gamma", gamma, Float32Array, channels);
    if (beta !== null && beta !== NONE) checkArray("beta", beta, Float32Array, channels);
    if (!(Math.fround(epsilon) > 0)) {
      throw new RangeError(`batch norm: epsilon must be positive (in float32), got ${epsilon}`);
    }
    return {
      values: {
        rows: x.length / channels,
        channels,
        has_gamma: gamma ? 1 : 0,
        has_beta: beta ? 1 : 0,
        epsilon,
        threads: this.threads,
      },
    };
  }
}
