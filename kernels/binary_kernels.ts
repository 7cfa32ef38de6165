/**
 * Binary kernels: bitpacking, im2col, binary GEMM and binary convolution,
 * on the native Zig library (Deno FFI), its WebAssembly build, or the
 * pure-TS reference, with the same answers. Every argument is validated
 * here, before any pointer reaches compiled code.
 * @module
 */
import { stepFloat32, stepUint32 } from "./_step_buffers.ts";
import type { Encoded, KernelLibrary, StructValues } from "./abi.ts";
import { chooseLibrary, type LibraryOptions } from "./backend.ts";
import * as ref from "./reference_kernels.ts";
import { checkArray, checkInt } from "./_check.ts";
import { planWindow, poolPlan, type WindowGeometry } from "./geometry.ts";
import { Scratch } from "./_scratch.ts";
import { describeUkernels, KernelSet, MAX_THREADS, type UkernelDescription } from "./_ukernels.ts";

export { checkArray, checkInt, MAX_THREADS };
export type { UkernelDescription };

const { CHANNEL_BLOCK, wordsFor } = ref;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Weights in the blocked layout the GEMM reads: [ceil(Cout/32), depthWords, 32] words. */
export interface PackedRhs {
  /** The packed words, `ceil(channelsOut / 32) · depthWords · 32` of them; padding channels are 0 bits (+1). */
  readonly data: Uint32Array;
  /** Output channels (rows of the weights before packing). */
  readonly channelsOut: number;
  /** 32-bit words per output channel: `ceil(depth bits / 32)`. */
  readonly depthWords: number;
}

/** How a call runs. */
export interface CallOptions {
  /** Threads, 1..64 (default: the kernels' default, 1). */
  threads?: number;
  /** Micro-kernel by name or index (native and wasm); default: the fastest this CPU supports. */
  ukernel?: number | string;
}

/** The float output transform: `clamp(K - 2 acc, clampMin, clampMax) * multiplier + bias`. */
export interface FloatTransform {
  /** Per output channel; default 1. */
  multiplier?: Float32Array;
  /** Per output channel; default 0. */
  bias?: Float32Array;
  /** Clamp of the integer ±1 dot product (a fused activation); default: none. */
  clampMin?: number;
  /** Upper clamp of the integer ±1 dot product (a fused activation); default: none. */
  clampMax?: number;
}

/** Options of {@link BinaryKernels.bgemmF32}. */
export interface BgemmF32Options extends FloatTransform, CallOptions {
  /** Real depth K in bits (≤ 32·depthWords); default 32·depthWords. */
  depthBits?: number;
  /** Output storage, rows × channelsOut; default: a new array. */
  out?: Float32Array;
}

/** Options of {@link BinaryKernels.bgemmB32}. */
export interface BgemmB32Options extends CallOptions {
  /** Per output channel: output bit is acc > threshold. */
  threshold: Int32Array;
  /** Real depth K in bits (≤ 32·depthWords); default 32·depthWords. */
  depthBits?: number;
  /** Output storage, rows × ceil(channelsOut/32); default: a new array. */
  out?: Uint32Array;
}

/**
 * Geometry of a binary convolution over a bitpacked NHWC input; TensorFlow
 * SAME padding here pads with +1 ("same-one"), extra padding at the end.
 */
export type ConvGeometry = WindowGeometry;

/** Options of {@link BinaryKernels.bconv2dF32}. */
export interface Bconv2dF32Options extends ConvGeometry, FloatTransform, CallOptions {
  /** Output storage, NHWC floats, batch·outH·outW·channelsOut of them (see {@link planConv}); default: a new array. */
  out?: Float32Array;
  /** Scratch to reuse across calls, at least {@link bconv2dWorkspaceWords} words. */
  workspace?: Uint32Array;
}

/** Options of {@link BinaryKernels.bconv2dB32}. */
export interface Bconv2dB32Options extends ConvGeometry, CallOptions {
  /** Per output channel: the output bit is 1 (-1) when the accumulator `acc` (count of differing bits) exceeds it. */
  threshold: Int32Array;
  /** Output storage, bitpacked NHWC: batch·outH·outW·ceil(channelsOut/32) words; default: a new array. */
  out?: Uint32Array;
  /** Scratch to reuse across calls, at least {@link bconv2dWorkspaceWords} words; default: allocated per call. */
  workspace?: Uint32Array;
}

interface ConvCallPlan {
  params: StructValues<"Bconv2dParams">;
  filterData: Uint32Array;
  inputWords: number;
  pixels: number;
  workspaceWords: number;
}

/** A validated convolution (see {@link BinaryKernels.bindBconv2dF32}). */
export interface BoundConv<O> {
  /** Elements of the output. */
  readonly outputLength: number;
  /** Words of im2col workspace `run` needs. */
  readonly workspaceWords: number;
  /** Runs on these buffers (lengths checked; geometry and weights fixed at bind time). */
  run(input: Uint32Array, out: O, workspace: Uint32Array): void;
}

/** Output size and padding of a convolution (TensorFlow SAME/VALID). */
export interface ConvPlan {
  /** Output height in pixels. */
  outH: number;
  /** Output width in pixels. */
  outW: number;
  /** Rows of padding above the input (SAME puts any odd row at the bottom, as TensorFlow does). */
  padTop: number;
  /** Columns of padding left of the input (SAME puts any odd column at the right). */
  padLeft: number;
  /** The same geometry in the ABI's `Im2colParams` fields (snake_case, as `kernels_zig/abi.zig` names them). */
  params: StructValues<"Im2colParams">;
}

/** Validates a convolution's geometry and computes its output size and padding. */
export function planConv(g: ConvGeometry): ConvPlan {
  const w = planWindow(g, 1);
  const { batch, channels, kernel_h: kh, kernel_w: kw } = w;
  const y = { out: w.out_h, pad: w.pad_top }, x = { out: w.out_w, pad: w.pad_left };
  const params: StructValues<"Im2colParams"> = {
    batch,
    in_h: w.in_h,
    in_w: w.in_w,
    in_words: wordsFor(channels),
    kernel_h: kh,
    kernel_w: kw,
    stride_h: w.stride_h,
    stride_w: w.stride_w,
    dilation_h: w.dilation_h,
    dilation_w: w.dilation_w,
    pad_top: y.pad,
    pad_left: x.pad,
    out_h: y.out,
    out_w: x.out,
    threads: 1,
  };
  if (kh * kw * channels > INT32_MAX) {
    throw new RangeError(
      `kernelH·kernelW·channels (${kh * kw * channels}) exceeds 2^31 - 1 bits of depth; use a smaller kernel`,
    );
  }
  const words = batch * y.out * x.out * kh * kw * params.in_words;
  if (words > INT32_MAX) {
    throw new RangeError(`the convolution's im2col buffer (${words} words) exceeds 2^31 words; split the batch`);
  }
  return { outH: y.out, outW: x.out, padTop: y.pad, padLeft: x.pad, params };
}

function padChannels(name: string, v: Float32Array | undefined, n: number, fill: number): Float32Array {
  const out = new Float32Array(Math.ceil(n / CHANNEL_BLOCK) * CHANNEL_BLOCK).fill(fill);
  if (v !== undefined) out.set(checkArray(name, v, Float32Array, n));
  return out;
}

function padThreshold(v: unknown, n: number): Int32Array {
  const out = new Int32Array(Math.ceil(n / CHANNEL_BLOCK) * CHANNEL_BLOCK);
  out.set(checkArray("threshold", v, Int32Array, n));
  return out;
}

/**
 * Words of workspace a convolution needs, decided as kernels_zig/bconv2d.zig (`ConvLhs`) does: none when it reads its
 * input in place (a 1x1, stride-1, unpadded filter; or dilation_w = 1 with the windows inside the input), the
 * zero-padded rows and pixels its windows span when they leave the input (dilation_w = 1), else its im2col rows
 * (or when those are fewer). The library checks the buffer it gets against the same rule.
 */
export function bconv2dWorkspaceWords(p: Omit<StructValues<"Bconv2dParams">, "workspace_words">): number {
  if (ref.bconv2dDirect(p)) return 0;
  const words = wordsFor(p.channels_in);
  const im2col = p.batch * p.out_h * p.out_w * p.kernel_h * p.kernel_w * words;
  if (p.dilation_w !== 1) return im2col;
  const spanH = (p.out_h - 1) * p.stride_h + (p.kernel_h - 1) * p.dilation_h + 1;
  const spanW = (p.out_w - 1) * p.stride_w + p.kernel_w;
  if (p.pad_top === 0 && p.pad_left === 0 && spanH <= p.in_h && spanW <= p.in_w) return 0;
  return Math.min(p.batch * spanH * spanW * words, im2col);
}

/** Options of {@link BinaryKernels.native}, {@link BinaryKernels.wasm} and {@link BinaryKernels.auto}. */
export interface KernelsOptions extends LibraryOptions, CallOptions {}

/** Which copy of a bound op's constants its calls pass: a resident one (bind), or the array itself (one call). */
type Keep = <T extends Float32Array | Int32Array | Uint32Array>(a: T) => T;
const once: Keep = (a) => a;

/**
 * The binary kernels on one backend. Create with {@link BinaryKernels.auto}
 * (native when the library loads, else wasm, else reference; see backend.ts), `.native()`, `.wasm()` or
 * `.reference()`.
 *
 * @example
 * ```ts
 * import { BinaryKernels } from "./binary_kernels.ts";
 * const k = BinaryKernels.reference();
 * const a = k.bitpack(new Float32Array([1, -1, 0, -2]), 4); // 1 row of 4 channels
 * const w = k.packRhs(k.bitpack(new Float32Array([1, -1, 1, 1]), 4), 1); // 1 output channel
 * const y = k.bgemmF32(a, w, { depthBits: 4 });
 * console.log(y[0]); // 2 = (1)(1) + (-1)(-1) + (1)(1) + (-1)(1); 0 packs as +1
 * ```
 */
export class BinaryKernels extends KernelSet {
  /** The workspace of calls that pass none. */
  readonly #scratch = new Scratch((n) => new Uint32Array(n));

  private constructor(compiled: KernelLibrary | undefined, options: CallOptions) {
    super(compiled, options, "binary");
  }

  /** The pure-TypeScript kernels. */
  static reference(options: CallOptions = {}): BinaryKernels {
    return new BinaryKernels(undefined, options);
  }

  /** The native kernels; throws NativeLibraryError when the library is missing or stale. */
  static native(options: KernelsOptions = {}): BinaryKernels {
    return new BinaryKernels(chooseLibrary("native", options), options);
  }

  /** The WebAssembly kernels (one thread); throws WasmModuleError when the module did not load. */
  static wasm(options: KernelsOptions = {}): BinaryKernels {
    return new BinaryKernels(chooseLibrary("wasm", options), options);
  }

  /** Native kernels when the library loads, else wasm, else the reference (same results); see backend.ts. */
  static auto(options: KernelsOptions = {}): BinaryKernels {
    const lib = chooseLibrary("auto", options);
    return new BinaryKernels(lib, lib?.backend === "native" ? options : { threads: options.threads });
  }

  /** The same backend with other call options. */
  with(options: CallOptions): BinaryKernels {
    return new BinaryKernels(this.compiled, {
      threads: options.threads ?? this.threads,
      ukernel: options.ukernel ?? this.ukernel,
    });
  }

  /** The micro-kernels of the native library or wasm module ([] for the reference backend). */
  ukernels(): UkernelDescription[] {
    const lib = this.lib;
    return lib ? [...describeUkernels(lib, "binary")] : [];
  }

  /**
   * Packs float32 rows of `channels` values into 32-bit words along the
   * channel axis: bit 1 for x < 0 (+0, -0 and NaN give +1), LSB first,
   * padding bits 0. Returns rows × ceil(channels/32) words.
   */
  bitpack(input: Float32Array, channels: number, options: { out?: Uint32Array; threads?: number } = {}): Uint32Array {
    return this.#packRows(
      input,
      Float32Array,
      channels,
      options,
      (p, out) => this.impl.onebit_bitpack_f32_b32({ values: p }, input, out),
    );
  }

  /** Validates rows of `channels` values and their output words, then packs them with `pack`. */
  #packRows<T extends Float32Array | Int8Array>(
    input: T,
    ctor: { new (n: number): T; name: string },
    channels: number,
    options: { out?: Uint32Array; threads?: number },
    pack: (p: StructValues<"BitpackParams">, out: Uint32Array) => void,
  ): Uint32Array {
    checkInt("channels", channels, 1);
    if (!(input instanceof ctor)) throw new TypeError(`input must be a ${ctor.name}`);
    if (input.length % channels !== 0) {
      throw new RangeError(`input length ${input.length} is not a multiple of channels (${channels})`);
    }
    const rows = input.length / channels;
    const words = rows * wordsFor(channels);
    // Every word is written (padding bits 0): a step's pooled array as it is.
    const out = options.out === undefined
      ? stepUint32(words, true)
      : checkArray("out", options.out, Uint32Array, words);
    if (rows > 0) pack({ rows, channels, threads: this.call(options).threads }, out);
    return out;
  }

  /**
   * {@link bitpack} for int8 rows (LceQuantize of an int8 tensor): bit 1 for a value below the tensor's zero point.
   */
  bitpackInt8(
    input: Int8Array,
    channels: number,
    zeroPoint: number,
    options: { out?: Uint32Array; threads?: number } = {},
  ): Uint32Array {
    checkInt("zeroPoint", zeroPoint, -128, 127);
    return this.#packRows(
      input,
      Int8Array,
      channels,
      options,
      (p, out) => this.impl.onebit_bitpack_i8_b32({ values: p }, zeroPoint, input, out),
    );
  }

  /**
   * im2col of a bitpacked NHWC input: one row of kH·kW·ceil(C/32) words per output pixel, the pixels split over
   * `threads` (default: this set's) from 32K output words on (the same words on any count).
   */
  im2col(input: Uint32Array, geometry: ConvGeometry, options: { threads?: number } = {}): Uint32Array {
    const p = { ...planConv(geometry).params, threads: this.call(options).threads };
    checkArray("input", input, Uint32Array, p.batch * p.in_h * p.in_w * p.in_words);
    // Every word is written (zero words outside the input): a step's pooled array as it is.
    const out = stepUint32(p.batch * p.out_h * p.out_w * p.kernel_h * p.kernel_w * p.in_words, true);
    this.impl.onebit_im2col_b32({ values: p }, input, out);
    return out;
  }

  /**
   * Validates once a per-channel `y = x·scale[c] + shift[c]` on rows of `channels` floats (BatchNormalization
   * as MUL + ADD), rounded after the product and after the sum as the two ops are; `run` writes y to `values`
   * and/or its signs, packed as {@link bitpack}, to `bits` (which `out` names), in one pass over `input`. With
   * `valuesStride` / `bitsStride`, `out`'s arrays are slices of wider rows (a concatenation's), viewed from their
   * first element to their last: (rows - 1) · stride + channels floats, (rows - 1) · stride + ceil(channels/32) words.
   *
   * @example
   * ```ts
   * import { BinaryKernels } from "./binary_kernels.ts";
   * const k = BinaryKernels.reference();
   * const affine = k.bindChannelAffine(1, 2, { scale: new Float32Array([2, 1]), shift: new Float32Array([0, -3]) });
   * const values = new Float32Array(2), bits = new Uint32Array(1);
   * affine.run(new Float32Array([1, 1]), { values, bits });
   * console.log(values, bits[0]); // Float32Array [2, -2] 2
   * ```
   */
  bindChannelAffine(
    rows: number,
    channels: number,
    options: {
      scale: Float32Array;
      shift: Float32Array;
      threads?: number;
      /** Row strides of `values` (floats) and `bits` (words) when they are slices of wider rows; default contiguous. */
      valuesStride?: number;
      bitsStride?: number;
      /** Write x itself to `values` (a concatenation's copy), not y. */
      copyInput?: boolean;
    },
  ): { run(input: Float32Array, out: { values?: Float32Array; bits?: Uint32Array }): void } {
    checkInt("rows", rows, 0);
    checkInt("channels", channels, 1);
    const scale = Float32Array.from(checkArray("scale", options.scale, Float32Array, channels));
    const shift = Float32Array.from(checkArray("shift", options.shift, Float32Array, channels));
    const words = Math.ceil(channels / 32);
    const vs = checkInt("valuesStride", options.valuesStride ?? channels, channels, 2 ** 31 - 1);
    const bs = checkInt("bitsStride", options.bitsStride ?? words, words, 2 ** 31 - 1);
    const threads = this.call(options).threads, impl = this.impl;
    const n = rows * channels;
    // A slice of wider rows is passed as the view from its first value to its last (a whole stride short).
    const reach = (stride: number, width: number) => rows === 0 ? 0 : (rows - 1) * stride + width;
    const unusedValues = new Float32Array(1), unusedBits = new Uint32Array(1);
    return {
      run(input, { values, bits }) {
        checkArray("input", input, Float32Array, n);
        if (values === undefined && bits === undefined) throw new TypeError("run needs out.values or out.bits");
        if (values !== undefined) checkArray("out.values", values, Float32Array, reach(vs, channels));
        if (bits !== undefined) checkArray("out.bits", bits, Uint32Array, reach(bs, words));
        const outputs = (values ? 1 : 0) | (bits ? 2 : 0) | (values && options.copyInput ? 4 : 0);
        const p: Encoded<"ChannelAffineParams"> = {
          values: { rows, channels, outputs, threads, values_stride: vs, bits_stride: bs },
        };
        if (rows > 0) {
          impl.onebit_channel_affine_f32(p, scale, shift, input, values ?? unusedValues, bits ?? unusedBits);
        }
      },
    };
  }

  /** Packs weights [channelsOut, depthWords] (bitpacked rows, e.g. OHWI) for the GEMM. */
  /** Validates an LceDequantize once: rows of `channels` packed values → ±1 floats (bit 1 = -1). */
  bindUnpack(rows: number, channels: number): { run(input: Uint32Array, out: Float32Array): void } {
    checkInt("rows", rows, 0);
    checkInt("channels", channels, 1);
    const words = rows * Math.ceil(channels / 32), values = rows * channels;
    const p: Encoded<"BitpackParams"> = { values: { rows, channels, threads: 1 } };
    const impl = this.impl;
    return {
      run(input, out) {
        checkArray("input", input, Uint32Array, words);
        checkArray("out", out, Float32Array, values);
        if (rows > 0) impl.onebit_unpack_b32_f32(p, input, out);
      },
    };
  }

  /**
   * Validates an LceBMaxPool2d once: windows over bitpacked NHWC words
   * (`inputShape[3]` counts words), clamped at the border; `run(input, out)`
   * ANDs each window's words (the max of ±1 values).
   */
  bindBMaxPool2d(options: WindowGeometry & { threads?: number }): {
    outputLength: number;
    run(input: Uint32Array, out: Uint32Array): void;
  } {
    const { params, size, inputLength } = poolPlan(
      options,
      "max",
      { clamp_min: 0, clamp_max: 0 },
      this.call(options).threads,
    );
    const p: Encoded<"Pool2dF32Params"> = { values: params };
    const impl = this.impl;
    return {
      outputLength: size,
      run(input, out) {
        checkArray("input", input, Uint32Array, inputLength);
        checkArray("out", out, Uint32Array, size);
        if (size > 0) impl.onebit_bmaxpool2d_b32(p, input, out);
      },
    };
  }

  /**
   * Rearranges bitpacked weights — `channelsOut` rows of depth words each, one output channel per row (OI, as {@link
   * BinaryKernels.bitpack} writes them) — into the blocked layout the GEMM and convolutions read. Throws a TypeError
   * for a non-Uint32Array and a RangeError when `rhs.length` is not a positive multiple of `channelsOut`.
   */
  packRhs(rhs: Uint32Array, channelsOut: number): PackedRhs {
    checkInt("channelsOut", channelsOut, 1);
    if (!(rhs instanceof Uint32Array)) throw new TypeError("rhs must be a Uint32Array");
    if (rhs.length === 0 || rhs.length % channelsOut !== 0) {
      throw new RangeError(`rhs length ${rhs.length} is not a positive multiple of channelsOut (${channelsOut})`);
    }
    const depthWords = rhs.length / channelsOut;
    const data = new Uint32Array(ref.packedRhsWords(channelsOut, depthWords));
    this.impl.onebit_bgemm_pack_rhs_b32({ values: { channels_out: channelsOut, depth_words: depthWords } }, rhs, data);
    return { data, channelsOut, depthWords };
  }

  #gemmParams(
    lhs: Uint32Array,
    rhs: PackedRhs,
    depthBits: number | undefined,
    clampMin: number,
    clampMax: number,
    options: CallOptions,
  ): StructValues<"BgemmParams"> {
    if (!rhs || !(rhs.data instanceof Uint32Array)) throw new TypeError("rhs must be a PackedRhs from packRhs()");
    checkInt("rhs.channelsOut", rhs.channelsOut, 1);
    checkInt("rhs.depthWords", rhs.depthWords, 1);
    checkArray("rhs.data", rhs.data, Uint32Array, ref.packedRhsWords(rhs.channelsOut, rhs.depthWords));
    if (!(lhs instanceof Uint32Array)) throw new TypeError("lhs must be a Uint32Array");
    if (lhs.length % rhs.depthWords !== 0) {
      throw new RangeError(`lhs length ${lhs.length} is not a multiple of the depth (${rhs.depthWords} words)`);
    }
    const bits = checkInt("depthBits", depthBits ?? rhs.depthWords * 32, 1, rhs.depthWords * 32);
    checkInt("clampMin", clampMin, INT32_MIN);
    checkInt("clampMax", clampMax, clampMin);
    const call = this.call(options);
    return {
      rows: checkInt("rows", lhs.length / rhs.depthWords, 0),
      channels_out: rhs.channelsOut,
      depth_words: rhs.depthWords,
      depth_bits: bits,
      clamp_min: clampMin,
      clamp_max: clampMax,
      ukernel: call.ukernel,
      threads: call.threads,
    };
  }

  /**
   * Binary GEMM with float output:
   * `out[r, c] = clamp(K - 2·Σ popcount(lhs[r] ^ rhs[c]), clampMin, clampMax) · multiplier[c] + bias[c]`.
   */
  bgemmF32(lhs: Uint32Array, rhs: PackedRhs, options: BgemmF32Options = {}): Float32Array {
    const p = this.#gemmParams(
      lhs,
      rhs,
      options.depthBits,
      options.clampMin ?? INT32_MIN,
      options.clampMax ?? INT32_MAX,
      options,
    );
    const n = p.channels_out;
    const m = padChannels("multiplier", options.multiplier, n, 1);
    const b = padChannels("bias", options.bias, n, 0);
    const out = options.out === undefined
      ? stepFloat32(p.rows * n, true)
      : checkArray("out", options.out, Float32Array, p.rows * n);
    if (p.rows > 0) this.impl.onebit_bgemm_b32_f32({ values: p }, lhs, rhs.data, m, b, out);
    return out;
  }

  /** Binary GEMM with bitpacked output: bit c of row r is `acc[r, c] > threshold[c]`. */
  bgemmB32(lhs: Uint32Array, rhs: PackedRhs, options: BgemmB32Options): Uint32Array {
    const p = this.#gemmParams(lhs, rhs, options?.depthBits, INT32_MIN, INT32_MAX, options ?? {});
    const t = padThreshold(options.threshold, p.channels_out);
    const words = wordsFor(p.channels_out);
    const out = options.out === undefined
      ? new Uint32Array(p.rows * words)
      : checkArray("out", options.out, Uint32Array, p.rows * words);
    if (p.rows > 0) this.impl.onebit_bgemm_b32_b32({ values: p }, lhs, rhs.data, t, out);
    return out;
  }

  #convPlan(
    filter: PackedRhs,
    g: ConvGeometry,
    clampMin: number,
    clampMax: number,
    options: CallOptions,
  ): ConvCallPlan {
    const plan = planConv(g);
    const p = plan.params;
    if (!filter || !(filter.data instanceof Uint32Array)) {
      throw new TypeError("filter must be a PackedRhs from packRhs()");
    }
    const depthWords = p.kernel_h * p.kernel_w * p.in_words;
    if (filter.depthWords !== depthWords) {
      throw new RangeError(
        `filter depth (${filter.depthWords} words) must be kernelH·kernelW·ceil(channels/32) = ${depthWords}`,
      );
    }
    checkInt("filter.channelsOut", filter.channelsOut, 1);
    checkArray("filter.data", filter.data, Uint32Array, ref.packedRhsWords(filter.channelsOut, depthWords));
    checkInt("clampMin", clampMin, INT32_MIN);
    checkInt("clampMax", clampMax, clampMin);
    const call = this.call(options);
    const { in_words: _inWords, ...geometry } = p;
    const conv = {
      ...geometry,
      channels_in: g.inputShape[3],
      channels_out: filter.channelsOut,
      clamp_min: clampMin,
      clamp_max: clampMax,
      ukernel: call.ukernel,
      threads: call.threads,
    };
    // At least one word: the library never reads it when reading the input in place, but takes no null pointer.
    const workspaceWords = Math.max(1, bconv2dWorkspaceWords(conv));
    return {
      params: { ...conv, workspace_words: workspaceWords },
      filterData: filter.data,
      inputWords: p.batch * p.in_h * p.in_w * p.in_words,
      pixels: p.batch * p.out_h * p.out_w,
      workspaceWords,
    };
  }

  #bindConv<O extends Float32Array | Uint32Array>(
    plan: ConvCallPlan,
    outCtor: { new (n: number): O; name: string },
    outLength: number,
    call: (p: Encoded<"Bconv2dParams">, input: Uint32Array, workspace: Uint32Array, out: O) => void,
  ): BoundConv<O> {
    const encoded: Encoded<"Bconv2dParams"> = { values: plan.params };
    const { inputWords, workspaceWords, filterData } = plan;
    const filterWords = filterData.length;
    return {
      outputLength: outLength,
      workspaceWords,
      run(input, out, workspace) {
        // The filter is the caller's array: it must not have been detached or shrunk since bind.
        if (filterData.length !== filterWords) {
          throw new RangeError("the bound filter's buffer changed size after bind");
        }
        checkArray("input", input, Uint32Array, inputWords);
        checkArray("out", out, outCtor, outLength);
        if (!(workspace instanceof Uint32Array) || workspace.length < workspaceWords) {
          throw new RangeError(`workspace must be a Uint32Array of at least ${workspaceWords} words`);
        }
        call(encoded, input, workspace, out);
      },
    };
  }

  /**
   * Validates a float-output binary convolution once (geometry, filter,
   * transform) and returns a call that only checks buffer lengths: for
   * running the same layer many times (the interpreter does).
   */
  bindBconv2dF32(filter: PackedRhs, options: Omit<Bconv2dF32Options, "out" | "workspace">): BoundConv<Float32Array> {
    return this.#bindF32(filter, options, (a) => this.resident(a));
  }

  #bindF32(
    filter: PackedRhs,
    options: Omit<Bconv2dF32Options, "out" | "workspace">,
    keep: Keep,
  ): BoundConv<Float32Array> {
    const plan = this.#convPlan(filter, options, options.clampMin ?? INT32_MIN, options.clampMax ?? INT32_MAX, options);
    const n = filter.channelsOut;
    const m = keep(padChannels("multiplier", options.multiplier, n, 1));
    const b = keep(padChannels("bias", options.bias, n, 0));
    const filterData = keep(plan.filterData);
    return this.#bindConv(plan, Float32Array, plan.pixels * n, (p, input, workspace, out) => {
      this.impl.onebit_bconv2d_b32_f32(p, input, filterData, m, b, workspace, out);
    });
  }

  /**
   * {@link bindBconv2dF32} with an ADD fused after the output transform: `out = clamp(conv + residual)`
   * (`addClampMin`/`addClampMax`: the ADD's activation), and with `pack` the bitpacked sum too (the LceQuantize
   * of the next binary layer), all written while each task's rows are in cache. `border`: same-zero padding's
   * correction, taken from the border pixels before the add (`slots`: an image's out_h·out_w pixels, each its
   * row of `fix` or -1; `fix`: channelsOut values a row), as a separate `out -= fix` pass would.
   */
  bindBconv2dF32Add(
    filter: PackedRhs,
    options: Omit<Bconv2dF32Options, "out" | "workspace"> & {
      addClampMin?: number;
      addClampMax?: number;
      pack?: boolean;
      border?: { slots: Int32Array; fix: Float32Array };
    },
  ): {
    readonly outputLength: number;
    readonly packedLength: number;
    readonly workspaceWords: number;
    run(
      input: Uint32Array,
      residual: Float32Array,
      out: Float32Array,
      workspace: Uint32Array,
      packed?: Uint32Array,
    ): void;
  } {
    const plan = this.#convPlan(filter, options, options.clampMin ?? INT32_MIN, options.clampMax ?? INT32_MAX, options);
    const n = filter.channelsOut;
    const m = this.resident(padChannels("multiplier", options.multiplier, n, 1));
    const b = this.resident(padChannels("bias", options.bias, n, 0));
    const lo = options.addClampMin ?? -Infinity, hi = options.addClampMax ?? Infinity;
    if (typeof lo !== "number" || typeof hi !== "number" || Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
      throw new RangeError(`addClampMin (${lo}) and addClampMax (${hi}) must be numbers with min <= max`);
    }
    const pack = options.pack === true;
    const e: Encoded<"EpilogueParams"> = { values: { clamp_min: lo, clamp_max: hi, pack: pack ? 1 : 0 } };
    const outputLength = plan.pixels * n, packedLength = pack ? plan.pixels * wordsFor(n) : 0;
    const conv: BoundConv<Float32Array> = this.#bindConv(plan, Float32Array, outputLength, () => {});
    const encoded: Encoded<"Bconv2dParams"> = { values: plan.params };
    const filterData = this.resident(plan.filterData);
    const border = options.border === undefined ? undefined : this.#border(options.border, plan.params, n);
    const impl = this.impl;
    return {
      outputLength,
      packedLength,
      workspaceWords: plan.workspaceWords,
      run(input, residual, out, workspace, packed) {
        conv.run(input, out, workspace); // checks input, out, workspace and the filter (its call does nothing)
        checkArray("residual", residual, Float32Array, outputLength);
        // The library writes no packed words without `pack`, but takes no null pointer: any word array will do.
        const q = pack ? checkArray("packed", packed, Uint32Array, packedLength) : input;
        if (border === undefined) {
          impl.onebit_bconv2d_b32_f32_add(encoded, e, input, filterData, m, b, residual, workspace, out, q);
        } else {
          const [slots, fix] = border;
          impl.onebit_bconv2d_b32_f32_add_border(
            encoded,
            e,
            input,
            filterData,
            m,
            b,
            residual,
            slots,
            fix,
            workspace,
            out,
            q,
          );
        }
      },
    };
  }

  /** A same-zero border for bindBconv2dF32Add, checked: one slot per output pixel of an image, rows of `fix` in range. */
  #border(
    border: { slots: Int32Array; fix: Float32Array },
    p: { out_h: number; out_w: number },
    channels: number,
  ): [Int32Array, Float32Array] {
    const slots = checkArray("border.slots", border.slots, Int32Array, p.out_h * p.out_w);
    if (!(border.fix instanceof Float32Array) || border.fix.length % channels !== 0) {
      throw new TypeError(`border.fix must be a Float32Array of rows of ${channels} values (channelsOut)`);
    }
    const rows = border.fix.length / channels;
    const bad = slots.findIndex((s) => s < -1 || s >= rows);
    if (bad >= 0) {
      throw new RangeError(`border.slots[${bad}] is ${slots[bad]}, outside [-1, ${rows}) (rows of border.fix)`);
    }
    return [this.resident(slots.slice()), this.resident(border.fix.slice())];
  }

  /** {@link bindBconv2dF32} for bitpacked output. */
  bindBconv2dB32(filter: PackedRhs, options: Omit<Bconv2dB32Options, "out" | "workspace">): BoundConv<Uint32Array> {
    return this.#bindB32(filter, options, (a) => this.resident(a));
  }

  #bindB32(
    filter: PackedRhs,
    options: Omit<Bconv2dB32Options, "out" | "workspace">,
    keep: Keep,
  ): BoundConv<Uint32Array> {
    const plan = this.#convPlan(filter, options, INT32_MIN, INT32_MAX, options);
    const t = keep(padThreshold(options.threshold, filter.channelsOut));
    const filterData = keep(plan.filterData);
    return this.#bindConv(plan, Uint32Array, plan.pixels * wordsFor(filter.channelsOut), (p, input, workspace, out) => {
      this.impl.onebit_bconv2d_b32_b32(p, input, filterData, t, workspace, out);
    });
  }

  /**
   * Binary 2-D convolution (NHWC, bitpacked input and OHWI filter packed by
   * packRhs) with float output [batch, outH, outW, channelsOut].
   */
  bconv2dF32(input: Uint32Array, filter: PackedRhs, options: Bconv2dF32Options): Float32Array {
    const bound = this.#bindF32(filter, options, once);
    const out = options.out ?? stepFloat32(bound.outputLength, true);
    bound.run(input, out, options.workspace ?? this.#scratch.get(bound.workspaceWords));
    return out;
  }

  /** Binary 2-D convolution with bitpacked output [batch, outH, outW, ceil(channelsOut/32)]. */
  bconv2dB32(input: Uint32Array, filter: PackedRhs, options: Bconv2dB32Options): Uint32Array {
    const bound = this.#bindB32(filter, options, once);
    const out = options.out ?? new Uint32Array(bound.outputLength);
    bound.run(input, out, options.workspace ?? this.#scratch.get(bound.workspaceWords));
    return out;
  }
}
