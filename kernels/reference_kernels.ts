/**
 * Pure-TypeScript reference kernels with exactly the semantics of the Zig
 * kernels (kernels_zig/): the fallback where no native library loads, and
 * the implementation every native micro-kernel is tested against. Arguments
 * are validated by the caller (binary_kernels.ts); these take the ABI's
 * parameter structs as plain objects.
 * @module
 */
import type { StructValues } from "./abi.ts";
import { CHANNEL_BLOCK } from "./_abi_generated.ts";

export { CHANNEL_BLOCK };

/** 32-bit words that hold `channels` packed bits. */
export function wordsFor(channels: number): number {
  return (channels + 31) >>> 5;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** bit = 1 iff x < 0: +0, -0 and NaN pack as +1. */
export function bitpack(
  p: StructValues<"BitpackParams">,
  input: Float32Array | Int8Array,
  output: Uint32Array,
  threshold = 0,
): void {
  const words = wordsFor(p.channels);
  for (let r = 0; r < p.rows; r++) {
    const base = r * p.channels;
    for (let w = 0; w < words; w++) {
      let word = 0;
      const end = Math.min(32, p.channels - w * 32);
      for (let b = 0; b < end; b++) {
        if (input[base + w * 32 + b] < threshold) word |= 1 << b;
      }
      output[r * words + w] = word >>> 0;
    }
  }
}

/** The im2col geometry fields shared by the binary (Im2colParams) and float (Conv2dF32Params) structs. */
export type Im2colGeometry = Omit<StructValues<"Im2colParams">, "in_words" | "threads">;

/**
 * One row per output pixel, taps in (ky, kx) order, `perPixel` values per
 * tap; out-of-bounds taps are zeros (+1 words for bitpacked input, 0.0 for
 * floats). Serves the binary and the float reference convolutions.
 */
export function im2colRows<T extends Uint32Array | Float32Array>(
  p: Im2colGeometry,
  perPixel: number,
  input: T,
  output: T,
): void {
  let o = 0;
  for (let n = 0; n < p.batch; n++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      for (let ox = 0; ox < p.out_w; ox++) {
        for (let ky = 0; ky < p.kernel_h; ky++) {
          const iy = oy * p.stride_h + ky * p.dilation_h - p.pad_top;
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const ix = ox * p.stride_w + kx * p.dilation_w - p.pad_left;
            if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) {
              output.fill(0, o, o + perPixel);
            } else {
              const at = ((n * p.in_h + iy) * p.in_w + ix) * perPixel;
              output.set(input.subarray(at, at + perPixel), o);
            }
            o += perPixel;
          }
        }
      }
    }
  }
}

/** One row per output pixel, taps in (kh, kw) order; out-of-bounds taps are 0 words (+1). */
export function im2col(p: StructValues<"Im2colParams">, input: Uint32Array, output: Uint32Array): void {
  im2colRows(p, p.in_words, input, output);
}

/** Words of packed weights for `channels_out` x `depth_words`. */
export function packedRhsWords(channelsOut: number, depthWords: number): number {
  return Math.ceil(channelsOut / CHANNEL_BLOCK) * depthWords * CHANNEL_BLOCK;
}

/** [channels_out, depth] -> [blocks, depth, 32], zero for missing channels. */
export function packRhs(
  p: StructValues<"PackRhsParams">,
  rhs: Uint32Array,
  packed: Uint32Array,
): void {
  packed.fill(0);
  for (let c = 0; c < p.channels_out; c++) {
    const base = (c >>> 5) * p.depth_words * CHANNEL_BLOCK + (c & 31);
    for (let k = 0; k < p.depth_words; k++) {
      packed[base + k * CHANNEL_BLOCK] = rhs[c * p.depth_words + k];
    }
  }
}

function accumulate(
  lhs: Uint32Array,
  packed: Uint32Array,
  depthWords: number,
  r: number,
  c: number,
): number {
  const a = r * depthWords;
  const b = (c >>> 5) * depthWords * CHANNEL_BLOCK + (c & 31);
  let acc = 0;
  for (let k = 0; k < depthWords; k++) {
    acc += popcount32(lhs[a + k] ^ packed[b + k * CHANNEL_BLOCK]);
  }
  return acc;
}

/** out = clamp(depth_bits - 2 acc, min, max) * multiplier + bias, in float32. */
export function bgemmF32(
  p: StructValues<"BgemmParams">,
  lhs: Uint32Array,
  packed: Uint32Array,
  multiplier: Float32Array,
  bias: Float32Array,
  output: Float32Array,
): void {
  const n = p.channels_out;
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < n; c++) {
      const acc = accumulate(lhs, packed, p.depth_words, r, c);
      const dot = Math.min(Math.max(p.depth_bits - 2 * acc, p.clamp_min), p.clamp_max);
      // float32 multiply, then float32 add: exactly the kernel's two roundings.
      output[r * n + c] = Math.fround(Math.fround(dot * multiplier[c]) + bias[c]);
    }
  }
}

/** Bit c of row r is acc > threshold[c]; padding bits are 0. */
export function bgemmB32(
  p: StructValues<"BgemmParams">,
  lhs: Uint32Array,
  packed: Uint32Array,
  threshold: Int32Array,
  output: Uint32Array,
): void {
  const n = p.channels_out;
  const words = wordsFor(n);
  for (let r = 0; r < p.rows; r++) {
    for (let w = 0; w < words; w++) {
      let word = 0;
      for (let b = 0; b < 32 && w * 32 + b < n; b++) {
        const c = w * 32 + b;
        if (accumulate(lhs, packed, p.depth_words, r, c) > threshold[c]) word |= 1 << b;
      }
      output[r * words + w] = word >>> 0;
    }
  }
}

/** A 1x1, stride-1, unpadded convolution reads the NHWC input as its GEMM lhs. */
export function bconv2dDirect(p: Omit<StructValues<"Bconv2dParams">, "workspace_words">): boolean {
  return p.kernel_h === 1 && p.kernel_w === 1 && p.stride_h === 1 && p.stride_w === 1 &&
    p.pad_top === 0 && p.pad_left === 0 && p.out_h === p.in_h && p.out_w === p.in_w;
}

function convGemm(p: StructValues<"Bconv2dParams">, input: Uint32Array, workspace: Uint32Array) {
  const inWords = wordsFor(p.channels_in);
  let lhs = input;
  if (!bconv2dDirect(p)) {
    // The library may need less workspace than the im2col rows (it reads the input in place): use the caller's
    // when it is big enough, else a buffer of our own. Bconv2dParams carries every Im2colParams field but the
    // packed width.
    const words = p.batch * p.out_h * p.out_w * p.kernel_h * p.kernel_w * inWords;
    lhs = workspace.length >= words ? workspace : new Uint32Array(words);
    im2col({ ...p, in_words: inWords }, input, lhs);
  }
  const gemm: StructValues<"BgemmParams"> = {
    rows: p.batch * p.out_h * p.out_w,
    channels_out: p.channels_out,
    depth_words: p.kernel_h * p.kernel_w * inWords,
    depth_bits: p.kernel_h * p.kernel_w * p.channels_in,
    clamp_min: p.clamp_min,
    clamp_max: p.clamp_max,
    ukernel: p.ukernel,
    threads: p.threads,
  };
  return { lhs, gemm };
}

/** im2col (unless direct) + bgemmF32: what kernels_zig/bconv2d.zig computes, reading its input in place or not. */
export function bconv2dF32(
  p: StructValues<"Bconv2dParams">,
  input: Uint32Array,
  filter: Uint32Array,
  multiplier: Float32Array,
  bias: Float32Array,
  workspace: Uint32Array,
  output: Float32Array,
): void {
  const { lhs, gemm } = convGemm(p, input, workspace);
  bgemmF32(gemm, lhs, filter, multiplier, bias, output);
}

/** im2col (unless direct) + bgemmB32: what kernels_zig/bconv2d.zig computes, reading its input in place or not. */
export function bconv2dB32(
  p: StructValues<"Bconv2dParams">,
  input: Uint32Array,
  filter: Uint32Array,
  threshold: Int32Array,
  workspace: Uint32Array,
  output: Uint32Array,
): void {
  const { lhs, gemm } = convGemm(p, input, workspace);
  bgemmB32(gemm, lhs, filter, threshold, output);
}

/** LceBMaxPool2d on words: each output word is the AND of its window's words, windows clamped at the border. */
export function bmaxpool2d(p: StructValues<"Pool2dF32Params">, input: Uint32Array, out: Uint32Array): void {
  const c = p.channels;
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      const y0 = Math.max(oy * p.stride_h - p.pad_top, 0),
        y1 = Math.min(oy * p.stride_h - p.pad_top + p.kernel_h, p.in_h);
      for (let ox = 0; ox < p.out_w; ox++) {
        const x0 = Math.max(ox * p.stride_w - p.pad_left, 0);
        const x1 = Math.min(ox * p.stride_w - p.pad_left + p.kernel_w, p.in_w);
        for (let ch = 0; ch < c; ch++) {
          let acc = 0xffffffff;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) acc &= input[((b * p.in_h + iy) * p.in_w + ix) * c + ch];
          }
          out[o++] = acc >>> 0;
        }
      }
    }
  }
}

/** LceDequantize: bit c of each row → -1 if set, else +1. */
export function unpack(p: StructValues<"BitpackParams">, input: Uint32Array, out: Float32Array): void {
  const c = p.channels, words = Math.ceil(c / 32);
  for (let r = 0; r < p.rows; r++) {
    for (let i = 0; i < c; i++) out[r * c + i] = (input[r * words + (i >>> 5)] >>> (i & 31)) & 1 ? -1 : 1;
  }
}
