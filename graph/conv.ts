/**
 * Convolutions for training, NHWC with Keras kernel layouts: conv2d
 * (HWIO, groups), depthwiseConv2d ([kh, kw, C, multiplier]),
 * conv2dTranspose ([kh, kw, out, in]) and conv1d. One forward kernel and
 * its two backward kernels (to the input and to the filter) serve all of
 * them: depthwise is a grouped convolution, transposed convolution is the
 * input-gradient of a convolution.
 * @module
 */

import { stepFloat32 } from "../kernels/_step_buffers.ts";
import { isRecording, record, registerGradient } from "./tape.ts";
import { type Data, Tensor } from "./tensor.ts";
import * as ops from "./ops.ts";
import type { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels, type PackedF32 } from "../kernels/float_kernels.ts";
import { binaryKernelsFor, gemmNN, nativeFor, nativePasses, scratch, trainPassesFor, transpose2d } from "./native.ts";
import { SMALL_CIN_CHANNELS, SMALL_CIN_DEPTH } from "../kernels/_abi_generated.ts";
import { convMaxPoolRefusal, type MaxPoolWindow } from "../kernels/train_kernels.ts";
import { type Padding, paddingOf, tupleOf, windowAxis } from "./_window.ts";

export type { Padding };

/** Geometry of one 2-D convolution: input [N, H, W, C] → output [N, OH, OW, F] with an HWIO filter [KH, KW, C/groups, F]. */
interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
  f: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
  oh: number;
  ow: number;
  groups: number;
}

function alloc(n: number, like: Tensor): Data {
  return like.dtype === "float64" ? new Float64Array(n) : stepFloat32(n);
}

/** Options of conv2d (and depthwiseConv2d, without groups). */
export interface Conv2dOptions {
  /** Row and column strides; default 1. */
  strides?: number | [number, number];
  /** Row and column dilations; default 1. */
  dilations?: number | [number, number];
  /** Default "valid". */
  padding?: Padding;
  /** Channel groups: input channels and filters both divisible by it; default 1. */
  groups?: number;
  /**
   * The caller's promise that x and w hold only ±1 (both sign-quantized, as larq's ste_sign gives): the
   * forward pass may then run as a binary (XNOR-popcount) convolution, whose integer sums equal the float
   * ones exactly. Default false.
   */
  signs?: boolean;
}

function pair(v: number | [number, number] | undefined, name: string): [number, number] {
  return tupleOf(v, 2, name) as [number, number];
}

function geometry(x: readonly number[], w: readonly number[], o: Conv2dOptions): Geometry {
  if (x.length !== 4) throw new RangeError(`conv2d input must be [batch, height, width, channels], got [${x}]`);
  if (w.length !== 4) throw new RangeError(`conv2d kernel must be [kh, kw, in/groups, out], got [${w}]`);
  const [n, h, wd, c] = x;
  const [kh, kw, cg, f] = w;
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || f % groups !== 0 || cg !== c / groups) {
    throw new RangeError(
      `conv2d: input channels ${c}, kernel [${w}] and groups ${groups} disagree (kernel in = channels/groups, out divisible by groups)`,
    );
  }
  const [sh, sw] = pair(o.strides, "strides"), [dh, dw] = pair(o.dilations, "dilations");
  const padding = paddingOf(o.padding, "conv2d");
  const ay = windowAxis("height", h, kh, sh, dh, padding), ax = windowAxis("width", wd, kw, sw, dw, padding);
  return { n, h, w: wd, c, f, kh, kw, sh, sw, dh, dw, padTop: ay.pad, padLeft: ax.pad, oh: ay.out, ow: ax.out, groups };
}

/** Visits every (output pixel, tap) pair with an in-bounds input pixel. */
function forEachTap(g: Geometry, fn: (o: number, i: number, tap: number) => void): void {
  let o = 0;
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++, o++) {
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh + ky * g.dh - g.padTop;
          if (iy < 0 || iy >= g.h) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw + kx * g.dw - g.padLeft;
            if (ix < 0 || ix >= g.w) continue;
            fn(o, (b * g.h + iy) * g.w + ix, ky * g.kw + kx);
          }
        }
      }
    }
  }
}

function forward(x: Data, w: Data, g: Geometry, y: Data): void {
  const cg = g.c / g.groups, fg = g.f / g.groups;
  const acc = new Float64Array(g.f);
  let o = 0;
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++, o++) {
        acc.fill(0);
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh + ky * g.dh - g.padTop;
          if (iy < 0 || iy >= g.h) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw + kx * g.dw - g.padLeft;
            if (ix < 0 || ix >= g.w) continue;
            const i = (b * g.h + iy) * g.w + ix, tap = ky * g.kw + kx;
            for (let grp = 0; grp < g.groups; grp++) {
              for (let ci = 0; ci < cg; ci++) {
                const v = x[i * g.c + grp * cg + ci];
                if (v === 0) continue;
                const wRow = (tap * cg + ci) * g.f + grp * fg;
                for (let k = 0; k < fg; k++) acc[grp * fg + k] += v * w[wRow + k];
              }
            }
          }
        }
        for (let k = 0; k < g.f; k++) y[o * g.f + k] = acc[k];
      }
    }
  }
}

function backInput(dy: Data, w: Data, g: Geometry, dx: Data): void {
  const cg = g.c / g.groups, fg = g.f / g.groups;
  forEachTap(g, (o, i, tap) => {
    for (let grp = 0; grp < g.groups; grp++) {
      for (let ci = 0; ci < cg; ci++) {
        const wRow = (tap * cg + ci) * g.f + grp * fg;
        let s = 0;
        for (let k = 0; k < fg; k++) s += dy[o * g.f + grp * fg + k] * w[wRow + k];
        dx[i * g.c + grp * cg + ci] += s;
      }
    }
  });
}

function backFilter(x: Data, dy: Data, g: Geometry, dw: Data): void {
  const cg = g.c / g.groups, fg = g.f / g.groups;
  forEachTap(g, (o, i, tap) => {
    for (let grp = 0; grp < g.groups; grp++) {
      for (let ci = 0; ci < cg; ci++) {
        const v = x[i * g.c + grp * cg + ci];
        if (v === 0) continue;
        const wRow = (tap * cg + ci) * g.f + grp * fg;
        for (let k = 0; k < fg; k++) dw[wRow + k] += v * dy[o * g.f + grp * fg + k];
      }
    }
  });
}

/** Whether the convolution is depthwise (one input channel per group): the native depthwise kernels run it. */
function isDepthwise(g: Geometry): boolean {
  return g.groups > 1 && g.groups === g.c;
}

/** The window of a depthwise convolution as the kernels take it (multiplier: filters per channel). */
function depthwiseGeometry(g: Geometry, o: Conv2dOptions) {
  return {
    inputShape: [g.n, g.h, g.w, g.c] as [number, number, number, number],
    kernelSize: [g.kh, g.kw] as [number, number],
    strides: [g.sh, g.sw] as [number, number],
    dilations: [g.dh, g.dw] as [number, number],
    padding: o.padding ?? "valid",
    multiplier: g.f / g.c,
  };
}

function macsOf(g: Geometry): number {
  return g.n * g.oh * g.ow * g.kh * g.kw * (g.c / g.groups) * g.f;
}

/**
 * The input gradient of a stride-1 convolution as one native convolution:
 * dx = conv(dy padded by (effective kernel - 1 - pad) before and after,
 * the kernel flipped in space with in and out swapped), VALID. It reads dy
 * in place, the padding given to the convolution explicitly. Null where {@link inputGradientByConv} says
 * no (strides above 1, or padding that adds more than a quarter to the products).
 */
function nativeInputGradient(
  k: FloatKernels,
  dy: Float32Array,
  w: Float32Array,
  g: Geometry,
  kept: Kept,
): Float32Array | null {
  if (!inputGradientByConv(g)) return null;
  const eh = (g.kh - 1) * g.dh + 1, ew = (g.kw - 1) * g.dw + 1;
  const top = eh - 1 - g.padTop, left = ew - 1 - g.padLeft;
  const bottom = eh - 1 - (g.oh - 1 + eh - g.h - g.padTop), right = ew - 1 - (g.ow - 1 + ew - g.w - g.padLeft);
  const kernel = kept.kernelBits ? packedFromBits(k, kept.kernelBits, g, "flipped") : k.packRhs(flippedRows(w, g), g.c);
  // dy is read in place: the convolution's im2col writes the zero padding (no padded copy of dy).
  return k.conv2d(dy, kernel, {
    inputShape: [g.n, g.oh, g.ow, g.f],
    kernelSize: [g.kh, g.kw],
    dilations: [g.dh, g.dw],
    padding: [[top, bottom], [left, right]],
  });
}

/**
 * Whether {@link nativeInputGradient} applies: stride 1, and the padding adds at most a quarter to the products.
 * Over a padded dy the convolution multiplies h·w/(oh·ow) times more than dy·Wᵀ does; dy·Wᵀ with its col2im in
 * one pass ({@link fusedInputGradient}) then wins: 2.5 against 3.6 ms on larq's MNIST CNN's 13×13×32 → 11×11×64
 * layer (1.4× the products; 1 thread, Intel Xeon). On SAME layers the two are within a few percent isolated, but
 * QuickNetSmall's step took 1.04× longer with every input gradient fused.
 */
function inputGradientByConv(g: Geometry): boolean {
  return g.sh === 1 && g.sw === 1 && 4 * g.h * g.w <= 5 * g.oh * g.ow;
}

/**
 * A backward pass's float kernel packed for the SGEMM ([blocks of 32 channels, depth, 32]) straight from the
 * forward pass's kernel bits (OHWI [f, K/32 words], bit 1: -1; c a multiple of 32), into a scratch buffer: one
 * word of bits is one run of 32 packed floats. `"flipped"`: the input gradient's convolution kernel ({@link
 * flippedRows} packed: channels c, depth taps·f, taps reversed); `"rows"`: the HWIO kernel as [K, f] rows for
 * dy·Wᵀ (channels K, depth f). No float kernel, transpose or pack per call.
 */
function packedFromBits(k: FloatKernels, bits: Uint32Array, g: Geometry, layout: "flipped" | "rows"): PackedF32 {
  const taps = g.kh * g.kw, cWords = g.c / 32, kWords = taps * cWords;
  const [channelsOut, depth] = layout === "flipped" ? [g.c, taps * g.f] : [taps * g.c, g.f];
  const data = scratch("packed kernel", channelsOut * depth);
  // flipped: block = input channel block, row (tap t, filter fo) reading tap taps-1-t; rows: block = word of K.
  const gather = layout === "flipped"
    ? { blocks: cWords, taps, period: g.f, rowStride: kWords, tapStride: cWords }
    : { blocks: kWords, period: g.f, rowStride: kWords };
  trainPassesFor(k).gatherSigns(bits, gather, data);
  return { data, channelsOut, depth };
}

/**
 * The kernel of the input gradient as [c, kh·kw·f] rows (packRhs's layout): row ci holds, tap by tap in
 * flipped order, the f weights W[tap, ci, :] — contiguous runs of the HWIO kernel, copied without a transpose.
 */
function flippedRows(w: Float32Array, g: Geometry): Float32Array {
  const taps = g.kh * g.kw, out = new Float32Array(w.length);
  for (let ci = 0; ci < g.c; ci++) {
    for (let t = 0; t < taps; t++) {
      const src = ((taps - 1 - t) * g.c + ci) * g.f;
      out.set(w.subarray(src, src + g.f), (ci * taps + t) * g.f);
    }
  }
  return out;
}

/**
 * dx = col2im(dy·Wᵀ) in one pass (TrainKernels.conv2dBackInput): each tile of the product is added into dx as it
 * is made. Wᵀ packed from the kept kernel bits, or from the HWIO kernel ([K, f] rows).
 */
function fusedInputGradient(
  k: FloatKernels,
  dy: Float32Array,
  w: Float32Array,
  g: Geometry,
  kept: Kept,
  padding: Conv2dOptions["padding"],
): Float32Array {
  const depth = g.kh * g.kw * g.c;
  const packed = kept.kernelBits ? packedFromBits(k, kept.kernelBits, g, "rows") : k.packRhs(w, depth);
  return trainPassesFor(k).conv2dBackInput(dy, packed, { ...nativeWindow(g, padding), filters: g.f });
}

/** The native kernels' window of a convolution's geometry. */
function nativeWindow(g: Geometry, padding: Conv2dOptions["padding"]) {
  return {
    inputShape: [g.n, g.h, g.w, g.c] as [number, number, number, number],
    kernelSize: [g.kh, g.kw] as [number, number],
    strides: [g.sh, g.sw] as [number, number],
    dilations: [g.dh, g.dw] as [number, number],
    padding: padding ?? "valid",
  };
}

/** Whether the filter gradient runs straight from x (TrainKernels.conv2dBackFilter): few input channels. */
function smallCin(g: Geometry): boolean {
  return g.groups === 1 && g.c <= SMALL_CIN_CHANNELS && g.kh * g.kw * g.c <= SMALL_CIN_DEPTH;
}

/**
 * Both conv2d gradients on the native SGEMM (groups = 1). With M output
 * pixels and K = kh·kw·c: dx by {@link nativeInputGradient} (stride 1) or
 * {@link inputGradientByCol2im}; dW[K, f] = colsᵀ·dy, as colsᵀ[K, M]·(dyᵀ[f, M])ᵀ, clipped by `mask` (a
 * latent kernel's ste_sign) as it is made.
 */
function nativeGradients(
  k: FloatKernels,
  x: Tensor,
  w: Tensor,
  dy: Float32Array,
  g: Geometry,
  needInput: boolean,
  kept: Kept,
  mask?: LatentMask,
  padding?: Conv2dOptions["padding"],
): (Tensor | null)[] {
  const depth = g.kh * g.kw * g.c, pixels = g.n * g.oh * g.ow;
  // No input gradient for data (the first layer): skip it.
  let dx: Float32Array | null = null;
  if (needInput) {
    dx = nativeInputGradient(k, dy, w.data as Float32Array, g, kept) ??
      fusedInputGradient(k, dy, w.data as Float32Array, g, kept, padding);
  }
  if (kept.bitCols) {
    const dw = filterGradientFromBits(k, kept.bitCols, dy, g, mask);
    return [dx ? new Tensor(dx, x.shape) : null, new Tensor(dw, w.shape)];
  }
  if (kept.cols === undefined && smallCin(g)) {
    const geometry = { ...nativeWindow(g, padding), filters: g.f };
    const dw = trainPassesFor(k).conv2dBackFilter(x.data as Float32Array, dy, geometry);
    if (mask) clipLatentGradient(dw, mask.latent, mask.clip);
    return [dx ? new Tensor(dx, x.shape) : null, new Tensor(dw, w.shape)];
  }
  // The forward pass's im2col when it kept one; a direct 1×1 conv's cols are x itself.
  const direct = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 &&
    g.oh === g.h && g.ow === g.w;
  const c = g.c;
  let cols = kept.cols ?? (direct ? x.data as Float32Array : undefined);
  if (cols === undefined) {
    // No im2col kept by the forward pass (it ran without recording cols): build it here.
    const built = stepFloat32(pixels * depth), xd = x.data as Float32Array;
    forEachTap(g, (o, i, tap) => built.set(xd.subarray(i * c, (i + 1) * c), o * depth + tap * c));
    cols = built;
  }
  return [dx ? new Tensor(dx, x.shape) : null, new Tensor(filterGradient(k, cols, dy, g, mask), w.shape)];
}

/**
 * Whether dW[K, f] = colsᵀ·dy moves fewer values computed as colsᵀ[K, M]·dy (cols [M, K] transposed, dy
 * packed as is) than as (dyᵀ[f, M]·cols)ᵀ (dy and the [f, K] product transposed, cols packed as is).
 */
function transposeCols(g: Geometry): boolean {
  const depth = g.kh * g.kw * g.c, pixels = g.n * g.oh * g.ow;
  return pixels * depth <= (pixels + depth) * g.f;
}

/** dW[K, f] = colsᵀ·dy, transposing the side that moves fewer values (see {@link transposeCols}). */
function filterGradient(
  k: FloatKernels,
  cols: Float32Array,
  dy: Float32Array,
  g: Geometry,
  mask?: LatentMask,
): Float32Array {
  const depth = g.kh * g.kw * g.c, pixels = g.n * g.oh * g.ow;
  if (transposeCols(g)) {
    const dw = gemmNN(k, transpose2d(cols, pixels, depth, scratch("colsT", pixels * depth)), dy, g.f);
    if (mask) clipLatentGradient(dw, mask.latent, mask.clip);
    return dw;
  }
  return transposeMasked(
    k,
    gemmNN(k, transpose2d(dy, pixels, g.f, scratch("dyT", pixels * g.f)), cols, depth),
    g,
    mask,
  );
}

/** ste_sign's clip of a latent kernel's gradient: 0 where !(|latent| ≤ clip) (see {@link clipLatentGradient}). */
interface LatentMask {
  latent: Float32Array;
  clip: number;
}

/** dW[K, f] from the product dWᵀ[f, K], clipped by `mask` in the same pass. */
function transposeMasked(k: FloatKernels, dwT: Float32Array, g: Geometry, mask?: LatentMask): Float32Array {
  const depth = g.kh * g.kw * g.c;
  return mask ? trainPassesFor(k).transpose(dwT, g.f, depth, undefined, mask) : transpose2d(dwT, g.f, depth);
}

/**
 * {@link filterGradient} from the binary im2col [M, K/32 words] a sign convolution kept (K a multiple of 32).
 * When cols is the side packed as is, the float im2col is never built: TrainKernels.signGemm reads the
 * bits.
 */
function filterGradientFromBits(
  k: FloatKernels,
  bitCols: Uint32Array,
  dy: Float32Array,
  g: Geometry,
  mask?: LatentMask,
): Float32Array {
  const depth = g.kh * g.kw * g.c, pixels = g.n * g.oh * g.ow, words = depth / 32, t = trainPassesFor(k);
  if (transposeCols(g)) {
    const cols = t.gatherSigns(
      bitCols,
      { blocks: 1, period: bitCols.length, rowStride: 1 },
      scratch("cols", pixels * depth),
    );
    return filterGradient(k, cols, dy, g, mask);
  }
  // dWᵀ[f, K] = dyᵀ·cols with cols the ±1 of the bits, unpacked inside the GEMM's tiles (no float im2col): the
  // bits of the unpacked floats through the SGEMM. dy is transposed first: read in place through its strides, a
  // tile's 8 values of a pixel fill half a cache line and the GEMM ran 2.1× slower (7744 pixels, K = 288, f = 64;
  // 16-row tiles reading whole lines, a pixel's 64 floats 256 bytes apart, were 1.8× slower than dyᵀ's).
  const dyT = transpose2d(dy, pixels, g.f, scratch("dyT", pixels * g.f));
  const dwT = t.signGemm(
    dyT,
    bitCols,
    { rows: g.f, columns: depth, depth: pixels, rowStride: pixels, depthStride: 1, words },
    scratch("dWT", g.f * depth),
  );
  return transposeMasked(k, dwT, g, mask);
}

/**
 * What a native forward pass keeps for the backward pass: the float im2col, or the binary one and the kernel's bits
 * (the input gradient's kernel is unpacked from them).
 */
interface Kept {
  cols?: Float32Array;
  bitCols?: Uint32Array;
  kernelBits?: Uint32Array;
}

/**
 * The signs of an HWIO kernel [K, f] as bitpacked OHWI rows [f, K/32 words] (bit 1: w < 0; K a multiple of
 * 32). With f a multiple of 32 the kernel is bitpacked along f and each 32×32 block of bits transposed
 * (20 times faster than transposing the floats of a 3×3×512×512 kernel); otherwise the floats are transposed.
 */
function kernelBits(k: FloatKernels, b: BinaryKernels, w: Float32Array, depth: number, f: number): Uint32Array {
  if (f % 32 !== 0) return b.bitpack(transpose2d(w, depth, f), depth);
  return trainPassesFor(k).transposeBits(b.bitpack(w, f), depth, f / 32);
}

/**
 * Whether {@link binaryForward} applies: no groups, channels a multiple of 32, and no padding (zeros are not ±1)
 * unless `padOne`: the padding then holds +1, as the binary kernels' SAME pads (larq's `pad_values=1`).
 */
function binaryApplies(g: Geometry, padOne = false): boolean {
  const padded = g.padTop > 0 || g.padLeft > 0 || (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 > g.h ||
    (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 > g.w;
  return g.groups === 1 && g.c % 32 === 0 && (padOne || !padded);
}

/**
 * The forward pass of a convolution of ±1 values (see {@link Conv2dOptions.signs}) on the binary kernels:
 * bitpack x and the OHWI kernel, XNOR-popcount, and K - 2·popcount as floats — exact integers, so equal to
 * the float convolution bit for bit. With `keepCols` it also keeps the binary im2col (the filter gradient's
 * input, 32 times smaller than the float one). Null where it does not apply: groups, any padding (zeros are not
 * ±1; with `padOne`, TF SAME padding of +1), or channels not a multiple of 32 (the unpacked im2col would have
 * padding bits).
 */
function binaryForward(
  k: FloatKernels,
  x: Float32Array,
  w: Float32Array,
  g: Geometry,
  keepCols: boolean,
  padOne?: "same",
): { y: Float32Array; kept: Kept } | null {
  if (!binaryApplies(g, padOne !== undefined)) return null;
  const b = binaryKernelsFor(k), depth = g.kh * g.kw * g.c;
  // SAME pads the bits with +1 (zero words), the binary im2col of the filter gradient too.
  const geometry = nativeWindow(g, padOne ?? "valid");
  const bits = b.bitpack(x, g.c), wBits = kernelBits(k, b, w, depth, g.f);
  const y = b.bconv2dF32(bits, b.packRhs(wBits, g.f), geometry);
  return { y, kept: keepCols ? { bitCols: b.im2col(bits, geometry), kernelBits: wBits } : {} };
}

/**
 * 2-D convolution, NHWC input, HWIO kernel [kh, kw, C/groups, F] (Keras),
 * TF SAME/VALID padding (zeros).
 *
 * @example
 * ```ts
 * import { conv2d } from "./conv.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.fill([1, 3, 3, 1], 1), w = Tensor.fill([2, 2, 1, 1], 1);
 * console.log(conv2d(x, w).toArray()); // [[[[4], [4]], [[4], [4]]]]
 * ```
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const g = geometry(x.shape, w.shape, options);
  const native = g.groups === 1 ? nativeFor(macsOf(g), x.data, w.data) : null;
  const depthwise = isDepthwise(g) ? nativeFor(macsOf(g), x.data, w.data) : null;
  let y: Data;
  let kept: Kept = {};
  const keepCols = isRecording([x, w]);
  const binary = native && options.signs
    ? binaryForward(native, x.data as Float32Array, w.data as Float32Array, g, keepCols)
    : null;
  if (binary) {
    ({ y, kept } = binary);
  } else if (depthwise) {
    y = depthwise.depthwise(x.data as Float32Array, w.data as Float32Array, depthwiseGeometry(g, options));
  } else if (native) {
    // Zig's im2col + SGEMM, with the HWIO kernel as OHWI rows.
    const ohwi = native.packRhsKN(w.data as Float32Array, g.f); // HWIO is [K, f]: packs without a transpose
    const geometry = nativeWindow(g, options.padding);
    // The im2col workspace is the filter gradient's input: keep it for the backward pass (0: a direct 1×1; not
    // for few input channels, whose filter gradient reads x itself).
    const keep = keepCols && !smallCin(g);
    const floats = native.conv2dWorkspaceFloats(geometry, { keepCols: keep });
    if (floats > 0 && keep) kept = { cols: stepFloat32(floats, true) };
    y = native.conv2d(x.data as Float32Array, ohwi, { ...geometry, workspace: kept.cols, keepCols: keep });
  } else {
    y = alloc(g.n * g.oh * g.ow * g.f, x);
    forward(x.data, w.data, g, y);
  }
  const out = new Tensor(y, [g.n, g.oh, g.ow, g.f]);
  if (keepCols) record("conv2d", [x, w], out, { ...options, kept });
  return out;
}

registerGradient("conv2d", (dy, { inputs: [x, w], attrs, needs }: {
  inputs: readonly Tensor[];
  attrs: Conv2dOptions & { kept?: Kept; steSignClip?: number | null; steSignInputClip?: number | null };
  needs?: readonly boolean[];
}) => {
  const g = geometry(x.shape, w.shape, attrs);
  const native = g.groups === 1 ? nativeFor(macsOf(g), x.data, w.data, dy.data) : null;
  const latent = attrs.steSignClip !== undefined;
  if (attrs.steSignInputClip !== undefined) {
    // steSignConv2d's latent input: the gradient of the convolution of its signs, then ste_sign's pseudo-gradient
    // (dx where |x| ≤ clip, else 0) in place.
    const [dx, dw] = latentKernelGradients(dy, x, w, attrs, needs, native, latent, () => ops.sign(x));
    if (dx) clipLatentGradient(dx.data as Float32Array, x.data, attrs.steSignInputClip);
    return [dx, dw];
  }
  return latentKernelGradients(dy, x, w, attrs, needs, native, latent, () => x);
});

/**
 * conv2d's two gradients; `signs()` is the input as it was convolved (x, or sign(x) for a latent x), made only
 * where it is read (not from the binary im2col the forward pass kept).
 */
function latentKernelGradients(
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  attrs: Conv2dOptions & { kept?: Kept; steSignClip?: number | null; padValues?: number },
  needs: readonly boolean[] | undefined,
  native: FloatKernels | null,
  latent: boolean,
  signs: () => Tensor,
): (Tensor | null)[] {
  const g = geometry(x.shape, w.shape, attrs);
  const depthwise = isDepthwise(g) && !latent ? nativeFor(macsOf(g), x.data, w.data, dy.data) : null;
  if (depthwise) {
    const t = trainPassesFor(depthwise), geo = depthwiseGeometry(g, attrs), dyData = dy.data as Float32Array;
    return [
      needs?.[0] === false ? null : new Tensor(t.depthwiseBackInput(dyData, w.data as Float32Array, geo), x.shape),
      new Tensor(t.depthwiseBackFilter(x.data as Float32Array, dyData, geo), w.shape),
    ];
  }
  if (native) {
    // A latent kernel's gradient is clipped as it is made (in the transpose of dWᵀ where there is one).
    const clip = latent ? attrs.steSignClip! : null;
    const mask = clip === null ? undefined : { latent: w.data as Float32Array, clip };
    const kept = attrs.kept ?? {};
    return nativeGradients(
      native,
      kept.bitCols ? x : signs(),
      w,
      dy.data as Float32Array,
      g,
      needs?.[0] !== false,
      kept,
      mask,
      attrs.padding,
    );
  }
  // steSignConv2d's latent kernel (the kernels changed since its forward pass): the loops on its signs.
  const kernel = latent ? ops.sign(w).data : w.data;
  const dx = alloc(x.size, x);
  const dw = alloc(w.size, w);
  backInput(dy.data, kernel, g, dx);
  if (attrs.padValues === 1) {
    // Padded with +1 (steSignConv2d's padValues): the padding's taps add dy to the filter gradient.
    const padded = padWithOnes(signs(), g);
    backFilter(padded.data, dy.data, geometry(padded.shape, w.shape, { ...attrs, padding: "valid" }), dw);
  } else {
    backFilter(signs().data, dy.data, g, dw);
  }
  if (latent) clipLatentGradient(dw as Float32Array, w.data, attrs.steSignClip!);
  return [new Tensor(dx, x.shape), new Tensor(dw, w.shape)];
}

/** x [n, h, w, c] inside +1s: the input of `g`'s padded convolution as "valid" reads it. */
function padWithOnes(x: Tensor, g: Geometry): Tensor {
  const ph = Math.max(g.h, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.padTop) + g.padTop;
  const pw = Math.max(g.w, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.padLeft) + g.padLeft;
  const out = alloc(g.n * ph * pw * g.c, x).fill(1), row = g.w * g.c;
  for (let n = 0; n < g.n; n++) {
    for (let y = 0; y < g.h; y++) {
      const from = (n * g.h + y) * row;
      out.set(x.data.subarray(from, from + row), ((n * ph + y + g.padTop) * pw + g.padLeft) * g.c);
    }
  }
  return new Tensor(out, [g.n, ph, pw, g.c]);
}

/**
 * maxPool2d(conv2d(x, w, options), pool) as one op where the native kernels fuse them
 * (TrainKernels.conv2dMaxPool): a network's first convolution (few input channels) and a max pooling whose
 * windows do not overlap. The convolution's output (MNIST's first layer: 5.5 MB a batch of 64) is never made,
 * in the forward pass nor in the filter gradient; the same values and gradients bit for bit as the two ops. Null
 * where it does not apply (no native kernels, float64, more input channels, overlapping or front-padded pool
 * windows): the caller then runs the two ops.
 *
 * @example
 * ```ts
 * import { conv2dMaxPool } from "./conv.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.fill([1, 5, 5, 1], 1), w = Tensor.fill([2, 2, 1, 1], 1);
 * const y = conv2dMaxPool(x, w, {}, { poolSize: [2, 2], strides: [2, 2] }); // [1, 2, 2, 1] of 4s, natively
 * console.log(y === null || [...y.data].every((v) => v === 4)); // true
 * ```
 */
export function conv2dMaxPool(
  x: Tensor,
  w: Tensor,
  options: Omit<Conv2dOptions, "groups" | "signs">,
  pool: { poolSize: [number, number]; strides: [number, number]; padding?: "valid" | "same" },
): Tensor | null {
  const g = geometry(x.shape, w.shape, options);
  if (g.groups !== 1 || !smallCin(g)) return null;
  const native = nativeFor(macsOf(g), x.data, w.data);
  if (!native) return null;
  const conv = { ...nativeWindow(g, options.padding), filters: g.f };
  const window: MaxPoolWindow = { kernelSize: pool.poolSize, strides: pool.strides, padding: pool.padding };
  if (convMaxPoolRefusal(conv, window) !== null) return null;
  const packed = native.packRhsKN(w.data as Float32Array, g.f); // HWIO is [K, f]
  const r = trainPassesFor(native).conv2dMaxPool(x.data as Float32Array, packed, conv, window);
  const out = new Tensor(r.y, r.shape);
  if (isRecording([x, w])) record("conv2dMaxPool", [x, w], out, { ...options, window, argmax: r.argmax });
  return out;
}

registerGradient("conv2dMaxPool", (dy, { inputs: [x, w], attrs, needs }: {
  inputs: readonly Tensor[];
  attrs: Conv2dOptions & { window: MaxPoolWindow; argmax: Int32Array };
  needs?: readonly boolean[];
}) => {
  const g = geometry(x.shape, w.shape, attrs);
  // The forward pass's kernels; if the training kernels were switched off since, the reference float kernels (with
  // the wasm training passes, trainPassesFor): the same bits.
  const native = nativeFor(macsOf(g), x.data, w.data) ?? FloatKernels.reference();
  const k = trainPassesFor(native), conv = { ...nativeWindow(g, attrs.padding), filters: g.f };
  if (needs?.[0] !== false) {
    // The input's gradient needs the convolution's whole: made, then conv2d's own gradients.
    const dConv = k.maxPoolGradWindows(dy.data as Float32Array, attrs.argmax, {
      inputShape: [g.n, g.oh, g.ow, g.f],
      kernelSize: attrs.window.kernelSize,
      strides: attrs.window.strides,
      padding: attrs.window.padding,
    });
    return nativeGradients(native, x, w, dConv, g, true, {}, undefined, attrs.padding);
  }
  const dw = k.conv2dMaxPoolBackFilter(
    x.data as Float32Array,
    dy.data as Float32Array,
    attrs.argmax,
    conv,
    attrs.window,
  );
  return [null, new Tensor(dw, w.shape)];
});

/**
 * larq's ste_sign gradient, applied in place to the gradient of the quantized kernel: it passes to the latent
 * weight where |w| ≤ clip (clip rounded to float32, as quantizers/_common.ts's clippedGradient), else 0; null:
 * everywhere.
 */
function clipLatentGradient(dw: Float32Array, latent: Data, clip: number | null): void {
  if (clip === null) return;
  const native = clip >= 0 ? nativePasses(dw.length, dw, latent) : null;
  if (native) {
    native.steSignGrad(latent as Float32Array, dw, clip, dw);
    return;
  }
  const c = Math.fround(clip);
  for (let i = 0; i < dw.length; i++) if (!(Math.abs(latent[i]) <= c)) dw[i] = 0;
}

/**
 * conv2d(x, ste_sign(w)) for ±1 inputs `x` (sign-quantized) and latent float32 weights `w`, in one op on the
 * binary kernels: the kernel's bits are packed from `w` itself (sign(w) < 0 exactly where w < 0) and the
 * pseudo-gradient (dW where |w| ≤ clipValue, else 0) is applied to the filter gradient in place, so neither the
 * ±1 kernel nor a second weight-sized gradient is made. With `inputClipValue` (a number or null), `x` is latent
 * too: conv2d(ste_sign(x), ste_sign(w)), its bits packed from x itself and ste_sign's pseudo-gradient applied to
 * the input's gradient in place, so no ±1 copy of the input is made. With `padding: "same"` and `padValues: 1`
 * (larq's `pad_values=1`), the padding holds +1: the binary kernels pad the bits themselves, so neither a padded
 * copy of x nor the pad's gradient is made. Equal to the two- or three-op form bit for bit (with the padding:
 * to a pad op then the "valid" form, up to the input gradient's order of summation). Null where the binary
 * forward pass does not apply (no native kernels, float64, padding of zeros or -1, groups, channels not a
 * multiple of 32): the caller then quantizes and calls {@link conv2d}.
 *
 * @example
 * ```ts
 * import { steSignConv2d } from "./conv.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.fill([1, 3, 3, 32], 1), w = Tensor.fill([3, 3, 32, 1], -0.25);
 * const y = steSignConv2d(x, w, { clipValue: 1 }); // -288 on the native kernels; null without them
 * console.log(y === null || y.data[0] === -288); // true
 * ```
 */
export function steSignConv2d(
  x: Tensor,
  w: Tensor,
  options: Omit<Conv2dOptions, "signs" | "groups"> & {
    clipValue: number | null;
    inputClipValue?: number | null;
    padValues?: number;
  },
): Tensor | null {
  const { clipValue, inputClipValue, padValues, ...conv } = options;
  const g = geometry(x.shape, w.shape, conv);
  const native = nativeFor(macsOf(g), x.data, w.data);
  // larq's "same" with pad_values=1 pads with +1, as the binary kernels' SAME does: no padded copy of x.
  const padOne = conv.padding === "same" && padValues === 1 ? "same" as const : undefined;
  if (!native || !binaryApplies(g, padOne !== undefined)) return null;
  const keepCols = isRecording([x, w]);
  // A latent input packs to the bits of its signs as it is (bit = x < 0, larq's sign: -1 below 0, else +1).
  const { y, kept } = binaryForward(native, x.data as Float32Array, w.data as Float32Array, g, keepCols, padOne)!;
  const out = new Tensor(y, [g.n, g.oh, g.ow, g.f]);
  if (keepCols) {
    const input = inputClipValue === undefined ? {} : { steSignInputClip: inputClipValue };
    const pad = padOne === undefined ? {} : { padValues: 1 };
    record("conv2d", [x, w], out, { ...conv, signs: true, kept, steSignClip: clipValue, ...input, ...pad });
  }
  return out;
}

/** Depthwise 2-D convolution, kernel [kh, kw, C, multiplier] (Keras), output channel c·multiplier + j. */
export function depthwiseConv2d(x: Tensor, w: Tensor, options: Omit<Conv2dOptions, "groups"> = {}): Tensor {
  if (w.rank !== 4 || x.rank !== 4 || w.shape[2] !== x.shape[3]) {
    throw new RangeError(`depthwiseConv2d: kernel [${w.shape}] must be [kh, kw, ${x.shape[3]}, multiplier]`);
  }
  // [kh, kw, C, m] has the memory order of a grouped HWIO kernel [kh, kw, 1, C·m] with C groups.
  const grouped = ops.reshape(w, [w.shape[0], w.shape[1], 1, w.shape[2] * w.shape[3]]);
  return conv2d(x, grouped, { ...options, groups: x.shape[3] });
}

/** Options of conv2dTranspose. */
export interface Conv2dTransposeOptions {
  /** Row and column strides; default 1. */
  strides?: number | [number, number];
  /** Padding of the convolution this transposes; default "valid". */
  padding?: Padding;
  /** Output height and width; default Keras's: in·stride (same) or in·stride + max(k - stride, 0) (valid). */
  outputSize?: [number, number];
}

function transposeGeometry(x: readonly number[], w: readonly number[], o: Conv2dTransposeOptions) {
  if (x.length !== 4 || w.length !== 4 || w[3] !== x[3]) {
    throw new RangeError(`conv2dTranspose: kernel [${w}] must be [kh, kw, filters, ${x[3]}] for input [${x}]`);
  }
  const [sh, sw] = pair(o.strides, "strides");
  const padding = o.padding ?? "valid";
  const [kh, kw, f] = w;
  const size = o.outputSize ??
    (padding === "same"
      ? [x[1] * sh, x[2] * sw]
      : [x[1] * sh + Math.max(kh - sh, 0), x[2] * sw + Math.max(kw - sw, 0)]);
  // The forward convolution this transposes: output-size input, f channels → x's shape.
  const g = geometry([x[0], size[0], size[1], f], [kh, kw, f, x[3]], { strides: [sh, sw], padding });
  if (g.oh !== x[1] || g.ow !== x[2]) {
    throw new RangeError(`conv2dTranspose: output size [${size}] does not map back to input [${x.slice(1, 3)}]`);
  }
  return g;
}

/** Transposed 2-D convolution, kernel [kh, kw, filters, C] (Keras Conv2DTranspose). */
export function conv2dTranspose(x: Tensor, w: Tensor, options: Conv2dTransposeOptions = {}): Tensor {
  const g = transposeGeometry(x.shape, w.shape, options);
  const y = alloc(g.n * g.h * g.w * g.c, x);
  backInput(x.data, w.data, g, y);
  const out = new Tensor(y, [g.n, g.h, g.w, g.c]);
  if (isRecording([x, w])) record("conv2dTranspose", [x, w], out, { ...options });
  return out;
}

registerGradient(
  "conv2dTranspose",
  (dy, { inputs: [x, w], attrs }: { inputs: readonly Tensor[]; attrs: Conv2dTransposeOptions }) => {
    const g = transposeGeometry(x.shape, w.shape, attrs);
    const dx = alloc(x.size, x), dw = alloc(w.size, w);
    forward(dy.data, w.data, g, dx);
    backFilter(dy.data, x.data, g, dw);
    return [new Tensor(dx, x.shape), new Tensor(dw, w.shape)];
  },
);

/** Options of conv1d and depthwiseConv1d (one axis: singular names). */
export interface Conv1dOptions {
  /** Step between windows; default 1. */
  stride?: number;
  /** Gap between kernel taps; default 1. */
  dilation?: number;
  /** Default "valid". */
  padding?: Padding;
  /** Channel groups (conv1d only); default 1. */
  groups?: number;
}

/** 1-D convolution, input [N, L, C], kernel [k, C/groups, F]. */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  if (x.rank !== 3 || w.rank !== 3) {
    throw new RangeError(`conv1d takes [batch, length, channels] and [k, in, out], got [${x.shape}], [${w.shape}]`);
  }
  const y = conv2d(ops.reshape(x, [x.shape[0], 1, x.shape[1], x.shape[2]]), ops.reshape(w, [1, ...w.shape]), {
    strides: [1, options.stride ?? 1],
    dilations: [1, options.dilation ?? 1],
    padding: options.padding,
    groups: options.groups,
  });
  return ops.reshape(y, [y.shape[0], y.shape[2], y.shape[3]]);
}

/**
 * Depthwise 1-D convolution, input [N, L, C], kernel [k, C, multiplier]
 * (Keras DepthwiseConv1D, the depthwise step of SeparableConv1D): output
 * channel c·multiplier + j, as depthwiseConv2d over a height of 1.
 *
 * @example
 * ```ts
 * import { depthwiseConv1d } from "./conv.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.from([[[1, 10], [2, 20], [3, 30]]]), w = Tensor.from([[[1], [-1]], [[1], [1]]]);
 * console.log(depthwiseConv1d(x, w).toArray()); // [[[3, 10], [5, 10]]]
 * ```
 */
export function depthwiseConv1d(x: Tensor, w: Tensor, options: Omit<Conv1dOptions, "groups"> = {}): Tensor {
  if (x.rank !== 3 || w.rank !== 3 || w.shape[1] !== x.shape[2]) {
    throw new RangeError(
      `depthwiseConv1d: input [${x.shape}] and kernel [${w.shape}] must be [batch, length, channels] and [k, channels, multiplier]`,
    );
  }
  const [stride] = tupleOf(options.stride, 1, "depthwiseConv1d: stride");
  const [dilation] = tupleOf(options.dilation, 1, "depthwiseConv1d: dilation");
  const y = depthwiseConv2d(ops.reshape(x, [x.shape[0], 1, x.shape[1], x.shape[2]]), ops.reshape(w, [1, ...w.shape]), {
    strides: [1, stride],
    dilations: [1, dilation],
    padding: options.padding,
  });
  return ops.reshape(y, [y.shape[0], y.shape[2], y.shape[3]]);
}
