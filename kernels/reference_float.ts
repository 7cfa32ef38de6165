/**
 * Pure-TS float kernels with the semantics of the Zig ones (kernels_zig/
 * sgemm.zig, conv2d_f32.zig, depthwise_f32.zig, pool2d.zig, …: the same
 * loops; results differ from the native ones only by float rounding: FMA and
 * summation order). Arguments are validated by float_kernels.ts.
 * @module
 */
import type { KernelBackend, StructValues } from "./abi.ts";
import * as bin from "./reference_kernels.ts";
import { optimizerStep } from "./reference_optim.ts";
import * as train from "./reference_train.ts";
import { CHANNEL_BLOCK, im2colRows } from "./reference_kernels.ts";
import { POOL_KINDS, RESIZE_METHODS, RHS_LAYOUTS, STRIDED_OPS, UNARY_OPS } from "./_abi_generated.ts";

export function packedRhsFloats(channelsOut: number, depth: number): number {
  return Math.ceil(channelsOut / CHANNEL_BLOCK) * depth * CHANNEL_BLOCK;
}

/** [channels_out, depth] -> [blocks, depth, 32], zero for missing channels. */
export function packRhs(p: StructValues<"SpackParams">, rhs: Float32Array, out: Float32Array): void {
  const blocks = Math.ceil(p.channels_out / CHANNEL_BLOCK);
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < p.depth; k++) {
      for (let j = 0; j < CHANNEL_BLOCK; j++) {
        const c = b * CHANNEL_BLOCK + j;
        const at = RHS_LAYOUTS[p.rhs_layout] === "io" ? k * p.channels_out + c : c * p.depth + k;
        out[(b * p.depth + k) * CHANNEL_BLOCK + j] = c < p.channels_out ? rhs[at] : 0;
      }
    }
  }
}

export function sgemm(
  p: StructValues<"SgemmParams">,
  lhs: Float32Array,
  rhs: Float32Array,
  bias: Float32Array,
  out: Float32Array,
): void {
  const n = p.channels_out, depth = p.depth;
  const acc = new Float32Array(CHANNEL_BLOCK);
  for (let r = 0; r < p.rows; r++) {
    for (let b = 0; b * CHANNEL_BLOCK < n; b++) {
      acc.fill(0);
      const panel = b * depth * CHANNEL_BLOCK;
      for (let k = 0; k < depth; k++) {
        const x = lhs[r * depth + k];
        const w = panel + k * CHANNEL_BLOCK;
        for (let j = 0; j < CHANNEL_BLOCK; j++) acc[j] += x * rhs[w + j];
      }
      for (let j = 0; j < CHANNEL_BLOCK && b * CHANNEL_BLOCK + j < n; j++) {
        const c = b * CHANNEL_BLOCK + j;
        out[r * n + c] = Math.min(Math.max(Math.fround(acc[j] + bias[c]), p.clamp_min), p.clamp_max);
      }
    }
  }
}

export function isDirect(p: StructValues<"Conv2dF32Params">): boolean {
  return p.kernel_h === 1 && p.kernel_w === 1 && p.stride_h === 1 && p.stride_w === 1 &&
    p.pad_top === 0 && p.pad_left === 0 && p.out_h === p.in_h && p.out_w === p.in_w;
}

export function im2col(p: StructValues<"Conv2dF32Params">, input: Float32Array, out: Float32Array): void {
  im2colRows(p, p.channels_in, input, out);
}

export function conv2d(
  p: StructValues<"Conv2dF32Params">,
  input: Float32Array,
  filter: Float32Array,
  bias: Float32Array,
  workspace: Float32Array,
  out: Float32Array,
): void {
  let lhs = input;
  if (!isDirect(p)) {
    // The native kernel works tile by tile unless keep_cols; the reference builds the whole im2col either way.
    lhs = p.keep_cols === 1
      ? workspace
      : new Float32Array(p.batch * p.out_h * p.out_w * p.kernel_h * p.kernel_w * p.channels_in);
    im2col(p, input, lhs);
  }
  sgemm(
    {
      rows: p.batch * p.out_h * p.out_w,
      channels_out: p.channels_out,
      depth: p.kernel_h * p.kernel_w * p.channels_in,
      clamp_min: p.clamp_min,
      clamp_max: p.clamp_max,
      ukernel: p.ukernel,
      threads: p.threads,
    },
    lhs,
    filter,
    bias,
    out,
  );
}

export function depthwise(
  p: StructValues<"DepthwiseF32Params">,
  input: Float32Array,
  filter: Float32Array,
  bias: Float32Array,
  out: Float32Array,
): void {
  const cin = p.channels_in, mult = p.multiplier, cout = cin * mult;
  for (let n = 0; n < p.batch; n++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      for (let ox = 0; ox < p.out_w; ox++) {
        const o = ((n * p.out_h + oy) * p.out_w + ox) * cout;
        out.set(bias.subarray(0, cout), o);
        for (let ky = 0; ky < p.kernel_h; ky++) {
          const iy = oy * p.stride_h + ky * p.dilation_h - p.pad_top;
          if (iy < 0 || iy >= p.in_h) continue;
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const ix = ox * p.stride_w + kx * p.dilation_w - p.pad_left;
            if (ix < 0 || ix >= p.in_w) continue;
            const x = ((n * p.in_h + iy) * p.in_w + ix) * cin;
            const w = (ky * p.kernel_w + kx) * cout;
            for (let c = 0; c < cout; c++) out[o + c] += input[x + ((c / mult) | 0)] * filter[w + c];
          }
        }
        for (let c = 0; c < cout; c++) out[o + c] = Math.min(Math.max(out[o + c], p.clamp_min), p.clamp_max);
      }
    }
  }
}

export function pool2d(p: StructValues<"Pool2dF32Params">, input: Float32Array, out: Float32Array): void {
  const c = p.channels, max = POOL_KINDS[p.kind] === "max";
  for (let n = 0; n < p.batch; n++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      const y0 = Math.max(0, oy * p.stride_h - p.pad_top),
        y1 = Math.min(p.in_h, oy * p.stride_h - p.pad_top + p.kernel_h);
      for (let ox = 0; ox < p.out_w; ox++) {
        const x0 = Math.max(0, ox * p.stride_w - p.pad_left);
        const x1 = Math.min(p.in_w, ox * p.stride_w - p.pad_left + p.kernel_w);
        const o = ((n * p.out_h + oy) * p.out_w + ox) * c;
        out.fill(max ? -Infinity : 0, o, o + c);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const x = ((n * p.in_h + iy) * p.in_w + ix) * c;
            if (max) {
              for (let ch = 0; ch < c; ch++) if (input[x + ch] > out[o + ch]) out[o + ch] = input[x + ch];
            } else {
              for (let ch = 0; ch < c; ch++) out[o + ch] += input[x + ch];
            }
          }
        }
        const scale = max ? 1 : Math.fround(1 / ((y1 - y0) * (x1 - x0)));
        for (let ch = 0; ch < c; ch++) {
          out[o + ch] = Math.min(Math.max(Math.fround(out[o + ch] * scale), p.clamp_min), p.clamp_max);
        }
      }
    }
  }
}

export function elementwise(
  p: StructValues<"ElementwiseF32Params">,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
): void {
  const lo = p.clamp_min, hi = p.clamp_max;
  if (p.op === 0) { for (let i = 0; i < p.count; i++) out[i] = Math.min(Math.max(a[i] + b[i], lo), hi); }
  else if (p.op === 1) { for (let i = 0; i < p.count; i++) out[i] = Math.min(Math.max(a[i] - b[i], lo), hi); }
  else for (let i = 0; i < p.count; i++) out[i] = Math.min(Math.max(a[i] * b[i], lo), hi);
}

/** Each activation of onebit_unary_f32 by its abi.zig UnaryOp name (`a`: LEAKY_RELU's slope). */
const UNARY: Record<typeof UNARY_OPS[number], (v: number, a: number) => number> = {
  relu: (v) => Math.max(v, 0),
  relu6: (v) => Math.min(Math.max(v, 0), 6),
  relu_n1_to_1: (v) => Math.min(Math.max(v, -1), 1),
  logistic: (v) => 1 / (1 + Math.exp(-v)),
  tanh: (v) => Math.tanh(v),
  hard_swish: (v) => v * Math.min(Math.max(v + 3, 0), 6) / 6,
  leaky_relu: (v, a) => (v >= 0 ? v : v * a),
  abs: (v) => Math.abs(v),
  neg: (v) => -v,
  square: (v) => v * v,
  sqrt: (v) => Math.sqrt(v),
  rsqrt: (v) => 1 / Math.fround(Math.sqrt(v)),
  exp: (v) => Math.exp(v),
  log: (v) => Math.log(v),
};

export function unary(p: StructValues<"UnaryF32Params">, x: Float32Array, out: Float32Array): void {
  const a = Math.fround(p.alpha), fn = UNARY[UNARY_OPS[p.op]];
  for (let i = 0; i < p.count; i++) out[i] = fn(x[i], a);
}

/** Softmax per row: exp in f64 rounded to f32, summed in f64, each value divided and rounded once. */
export function softmax(p: StructValues<"SoftmaxF32Params">, x: Float32Array, out: Float32Array): void {
  const depth = p.depth, beta = Math.fround(p.beta);
  for (let r = 0; r < p.rows; r++) {
    let max = -Infinity;
    for (let i = 0; i < depth; i++) max = Math.max(max, x[r * depth + i]);
    let sum = 0;
    for (let i = 0; i < depth; i++) sum += out[r * depth + i] = Math.exp((x[r * depth + i] - max) * beta);
    for (let i = 0; i < depth; i++) out[r * depth + i] /= sum;
  }
}

/** Max pooling with each window's first-maximum input index (kernels_zig/pool2d.zig `maxpool2dArgmax`). */
export function maxPoolArgmax(
  p: StructValues<"Pool2dF32Params">,
  x: Float32Array,
  y: Float32Array,
  arg: Int32Array,
): void {
  const c = p.channels;
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      for (let ox = 0; ox < p.out_w; ox++, o += c) {
        let first = true;
        for (let ky = 0; ky < p.kernel_h; ky++) {
          const iy = oy * p.stride_h + ky - p.pad_top;
          if (iy < 0 || iy >= p.in_h) continue;
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const ix = ox * p.stride_w + kx - p.pad_left;
            if (ix < 0 || ix >= p.in_w) continue;
            const base = ((b * p.in_h + iy) * p.in_w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              // The first in-bounds tap sets every channel (NaN too); later ones replace only a larger value.
              if (first || v > y[o + ch]) {
                y[o + ch] = v;
                arg[o + ch] = base + ch;
              }
            }
            first = false;
          }
        }
      }
    }
  }
}

/** One value of each strided op by its abi.zig StridedOp name (MAXIMUM / MINIMUM as TFLite's reference: a NaN on
 * the left loses, on the right wins). */
const STRIDED: Record<typeof STRIDED_OPS[number], (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  copy: (x) => x,
  max: (x, y) => x > y ? x : y,
  min: (x, y) => x < y ? x : y,
  prelu: (x, y) => x >= 0 ? x : x * y,
  div: (x, y) => x / y,
  squared_difference: (x, y) => Math.fround(x - y) * Math.fround(x - y),
};

/** out[i] = clamp(a[i] op b[i]) over a strided index space (kernels_zig/strided.zig). */
export function strided(
  p: StructValues<"StridedF32Params">,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
): void {
  const r = p.rank, shape = p.shape.slice(0, r);
  if (shape.some((d) => d === 0)) return;
  const idx = new Array<number>(r).fill(0);
  let ia = p.a_offset, ib = p.b_offset, io = p.out_offset;
  const lo = p.clamp_min, hi = p.clamp_max, op = STRIDED[STRIDED_OPS[p.op]];
  for (;;) {
    const v = op(a[ia], b[ib]);
    out[io] = Math.min(Math.max(Math.fround(v), lo), hi);
    let d = r - 1;
    for (; d >= 0; d--) {
      ia += p.a_strides[d];
      ib += p.b_strides[d];
      io += p.out_strides[d];
      if (++idx[d] < shape[d]) break;
      ia -= p.a_strides[d] * shape[d];
      ib -= p.b_strides[d] * shape[d];
      io -= p.out_strides[d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Input pixels per output pixel along one axis (TFLite's f32 arithmetic, as kernels_zig/resize.zig). */
function resizeScale(input: number, output: number, alignCorners: boolean): number {
  return alignCorners && output > 1 ? Math.fround(input - 1) / Math.fround(output - 1) : input / output;
}

/** RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR (`method`, abi.zig's ResizeMethod), NHWC, in TFLite's reference f32 arithmetic. */
export function resize(p: StructValues<"ResizeF32Params">, x: Float32Array, out: Float32Array): void {
  const { batch, in_h: ih, in_w: iw, channels: c, out_h: oh, out_w: ow } = p;
  const align = p.align_corners === 1, half = p.half_pixel_centers === 1, f = Math.fround;
  const nearestMethod = RESIZE_METHODS[p.method] === "nearest";
  const sy = f(resizeScale(ih, oh, align)), sx = f(resizeScale(iw, ow, align));
  const nearest = (o: number, s: number, size: number) => {
    const v = f(f(o + (half ? 0.5 : 0)) * s);
    const i = Math.min(align ? Math.round(v) : Math.floor(v), size - 1);
    return half ? Math.max(i, 0) : i;
  };
  const lerp = (o: number, s: number, size: number) => {
    const v = half ? f(f(f(o + 0.5) * s) - 0.5) : f(o * s);
    const lo = Math.max(Math.floor(v), 0);
    return { lo, hi: Math.min(Math.ceil(v), size - 1), w: f(v - lo) };
  };
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y = nearestMethod ? { lo: nearest(oy, sy, ih), hi: 0, w: 0 } : lerp(oy, sy, ih);
      const r0 = (b * ih + y.lo) * iw * c, r1 = (b * ih + y.hi) * iw * c, wy = f(1 - y.w);
      for (let ox = 0; ox < ow; ox++) {
        const o = ((b * oh + oy) * ow + ox) * c;
        if (nearestMethod) {
          const src = r0 + nearest(ox, sx, iw) * c;
          for (let ch = 0; ch < c; ch++) out[o + ch] = x[src + ch];
          continue;
        }
        const xs = lerp(ox, sx, iw), wx = f(1 - xs.w);
        // TFLite's reference expression and order: a·(1-wy)·(1-wx) + b·wy·(1-wx) + c·(1-wy)·wx + d·wy·wx.
        for (let ch = 0; ch < c; ch++) {
          const v00 = f(f(x[r0 + xs.lo * c + ch] * wy) * wx), v10 = f(f(x[r1 + xs.lo * c + ch] * y.w) * wx);
          const v01 = f(f(x[r0 + xs.hi * c + ch] * wy) * xs.w), v11 = f(f(x[r1 + xs.hi * c + ch] * y.w) * xs.w);
          out[o + ch] = f(f(f(v00 + v10) + v01) + v11);
        }
      }
    }
  }
}

/** MEAN over the dims of `reduce_mask`: f64 sums in the input's order, one division, one rounding. */
export function mean(p: StructValues<"MeanF32Params">, x: Float32Array, out: Float32Array): void {
  const r = p.rank, shape = p.shape.slice(0, r);
  const reduced = (d: number) => ((p.reduce_mask >> d) & 1) === 1;
  let count = 1;
  for (let d = 0; d < r; d++) if (reduced(d)) count *= shape[d];
  const acc = new Float64Array(out.length);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (let d = 0; d < r; d++) if (!reduced(d)) o = o * shape[d] + idx[d];
    acc[o] += x[i];
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = acc[i] / count;
}

/** The adjoint of im2col (kernels_zig/col2im.zig): scatter each cols pixel's taps, then bias and clamp. */
export function col2im(
  p: StructValues<"Col2imF32Params">,
  cols: Float32Array,
  bias: Float32Array,
  image: Float32Array,
): void {
  const c = p.channels, taps = p.kernel_h * p.kernel_w;
  image.fill(0, 0, p.batch * p.image_h * p.image_w * c);
  let src = 0;
  for (let n = 0; n < p.batch; n++) {
    for (let cy = 0; cy < p.cols_h; cy++) {
      for (let cx = 0; cx < p.cols_w; cx++, src += taps * c) {
        for (let ky = 0; ky < p.kernel_h; ky++) {
          const y = cy * p.stride_h + ky * p.dilation_h - p.pad_top;
          if (y < 0 || y >= p.image_h) continue;
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const x = cx * p.stride_w + kx * p.dilation_w - p.pad_left;
            if (x < 0 || x >= p.image_w) continue;
            const o = ((n * p.image_h + y) * p.image_w + x) * c, s = src + (ky * p.kernel_w + kx) * c;
            for (let ch = 0; ch < c; ch++) image[o + ch] += cols[s + ch];
          }
        }
      }
    }
  }
  const total = p.batch * p.image_h * p.image_w * c;
  for (let i = 0; i < total; i++) {
    image[i] = Math.min(Math.max(Math.fround(image[i] + bias[i % c]), p.clamp_min), p.clamp_max);
  }
}

/**
 * A convolution's input gradient (kernels_zig/conv2d_backprop_input.zig): the reference SGEMM of dy by the packed
 * Wᵀ, then the reference col2im, both with a zero bias and no clamp.
 */
export function conv2dBackInput(
  p: StructValues<"Conv2dF32Params">,
  dy: Float32Array,
  filter: Float32Array,
  dx: Float32Array,
): void {
  const k = p.kernel_h * p.kernel_w * p.channels_in, pixels = p.batch * p.out_h * p.out_w;
  const cols = new Float32Array(pixels * k), inf = Infinity;
  const unclamped = { clamp_min: -inf, clamp_max: inf, threads: 1 };
  sgemm(
    { rows: pixels, channels_out: k, depth: p.channels_out, ukernel: -1, ...unclamped },
    dy,
    filter,
    new Float32Array(Math.ceil(k / 32) * 32),
    cols,
  );
  col2im(
    {
      batch: p.batch,
      image_h: p.in_h,
      image_w: p.in_w,
      channels: p.channels_in,
      kernel_h: p.kernel_h,
      kernel_w: p.kernel_w,
      stride_h: p.stride_h,
      stride_w: p.stride_w,
      dilation_h: p.dilation_h,
      dilation_w: p.dilation_w,
      pad_top: p.pad_top,
      pad_left: p.pad_left,
      cols_h: p.out_h,
      cols_w: p.out_w,
      ...unclamped,
    },
    cols,
    new Float32Array(p.channels_in),
    dx,
  );
}

/** Typed arrays of QUANTIZE / DEQUANTIZE: float32, int8, uint8 or float16 bits. */
export type QuantArray = Float32Array | Int8Array | Uint8Array | Uint16Array;

/** QUANTIZE / DEQUANTIZE (kernels_zig/quantize.zig), by QuantizeKind code: 0/1 float32 -> int8/uint8, 2/3 back, 4 float16. */
export function quantize(p: StructValues<"QuantizeParams">, x: QuantArray, y: QuantArray): void {
  const n = p.count, zp = p.zero_point, scale = Math.fround(p.scale);
  if (p.kind <= 1) {
    const [lo, hi] = p.kind === 0 ? [-128, 127] : [0, 255];
    for (let i = 0; i < n; i++) {
      // TFLite: round(x / scale) in float, halves away from zero, plus the zero point, clamped; NaN -> 0.
      const q = Math.fround(x[i] / scale);
      const v = Math.sign(q) * Math.round(Math.abs(q)) + zp;
      y[i] = Number.isNaN(v) ? 0 : Math.min(Math.max(v, lo), hi);
    }
  } else if (p.kind <= 3) {
    for (let i = 0; i < n; i++) y[i] = (x[i] - zp) * scale;
  } else {
    for (let i = 0; i < n; i++) y[i] = halfToFloat(x[i]);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * The reference backend: every kernel of the ABI in TypeScript, by its C
 * name (the binary ones from reference_kernels.ts). The native library is
 * checked against it; a kernel added to the ABI must be added here to
 * compile.
 */
/** A fused ADD's epilogue on a convolution's float output `o`: o = clamp(o + r), then its bitpacked form into q. */
function addAndPack(
  p: StructValues<"Bconv2dParams">,
  e: StructValues<"EpilogueParams">,
  r: Float32Array,
  o: Float32Array,
  q: Uint32Array,
): void {
  const { clamp_min: lo, clamp_max: hi, pack } = e;
  for (let j = 0; j < o.length; j++) o[j] = Math.min(Math.max(Math.fround(o[j] + r[j]), lo), hi);
  const rows = p.batch * p.out_h * p.out_w;
  if (pack === 1) bin.bitpack({ rows, channels: p.channels_out, threads: 1 }, o, q);
}

/**
 * y = x·scale[c] + shift[c] (rounded after the product and after the sum) into `values` (or x itself, outputs
 * bit 2) and/or its signs into `bits`, at the given row strides.
 */
function channelAffine(
  p: StructValues<"ChannelAffineParams">,
  scale: Float32Array,
  shift: Float32Array,
  x: Float32Array,
  values: Float32Array,
  bits: Uint32Array,
): void {
  const { rows, channels, outputs } = p;
  const words = Math.ceil(channels / 32);
  const vs = p.values_stride || channels, bs = p.bits_stride || words;
  for (let r = 0; r < rows; r++) {
    const y = new Float32Array(channels);
    for (let c = 0; c < channels; c++) y[c] = Math.fround(Math.fround(x[r * channels + c] * scale[c]) + shift[c]);
    if (outputs & 1) values.set(outputs & 4 ? x.subarray(r * channels, (r + 1) * channels) : y, r * vs);
    if (outputs & 2) bin.bitpack({ rows: 1, channels, threads: 1 }, y, bits.subarray(r * bs, r * bs + words));
  }
}

/** z = prelu(x·scale[c], alpha[c]) + residual, rounded after each op. */
function scalePreluAdd(
  p: StructValues<"ChannelAffineParams">,
  scale: Float32Array,
  alpha: Float32Array,
  residual: Float32Array,
  x: Float32Array,
  out: Float32Array,
): void {
  const { rows, channels } = p;
  for (let j = 0; j < rows * channels; j++) {
    const c = j % channels, m = Math.fround(x[j] * scale[c]);
    out[j] = Math.fround((m >= 0 ? m : Math.fround(m * alpha[c])) + residual[j]);
  }
}

export const REFERENCE: KernelBackend = {
  onebit_scale_prelu_add_f32: (p, s, a, r, x, o) => scalePreluAdd(p.values, s, a, r, x, o),
  onebit_bitpack_f32_b32: (p, i, o) => bin.bitpack(p.values, i, o),
  onebit_channel_affine_f32: (p, s, b, x, v, q) => channelAffine(p.values, s, b, x, v, q),
  onebit_bitpack_i8_b32: (p, z, i, o) => bin.bitpack(p.values, i as Int8Array, o, z),
  onebit_im2col_b32: (p, i, o) => bin.im2col(p.values, i, o),
  onebit_bgemm_pack_rhs_b32: (p, r, o) => bin.packRhs(p.values, r, o),
  onebit_bgemm_b32_f32: (p, l, r, m, b, o) => bin.bgemmF32(p.values, l, r, m, b, o),
  onebit_bgemm_b32_b32: (p, l, r, t, o) => bin.bgemmB32(p.values, l, r, t, o),
  onebit_bconv2d_b32_f32: (p, i, f, m, b, w, o) => bin.bconv2dF32(p.values, i, f, m, b, w, o),
  onebit_bconv2d_b32_b32: (p, i, f, t, w, o) => bin.bconv2dB32(p.values, i, f, t, w, o),
  onebit_bconv2d_b32_f32_add: (p, e, i, f, m, b, r, w, o, q) => {
    bin.bconv2dF32(p.values, i, f, m, b, w, o);
    addAndPack(p.values, e.values, r, o, q);
  },
  onebit_bconv2d_b32_f32_add_border: (p, e, i, f, m, b, r, slots, fix, w, o, q) => {
    bin.bconv2dF32(p.values, i, f, m, b, w, o);
    const n = p.values.channels_out, image = p.values.out_h * p.values.out_w;
    for (let px = 0; px < o.length / n; px++) {
      const slot = slots[px % image];
      for (let c = 0; slot >= 0 && c < n; c++) o[px * n + c] -= fix[slot * n + c];
    }
    addAndPack(p.values, e.values, r, o, q);
  },
  onebit_bmaxpool2d_b32: (p, i, o) => bin.bmaxpool2d(p.values, i, o),
  onebit_unpack_b32_f32: (p, i, o) => bin.unpack(p.values, i, o),
  onebit_sgemm_pack_rhs_f32: (p, r, o) => packRhs(p.values, r, o),
  onebit_sgemm_f32: (p, l, r, b, o) => sgemm(p.values, l, r, b, o),
  onebit_conv2d_f32: (p, i, f, b, w, o) => conv2d(p.values, i, f, b, w, o),
  onebit_depthwise_conv2d_f32: (p, i, f, b, o) => depthwise(p.values, i, f, b, o),
  onebit_pool2d_f32: (p, i, o) => pool2d(p.values, i, o),
  onebit_maxpool2d_argmax_f32: (p, i, o, a) => maxPoolArgmax(p.values, i, o, a),
  onebit_elementwise_f32: (p, a, b, o) => elementwise(p.values, a, b, o),
  onebit_unary_f32: (p, i, o) => unary(p.values, i, o),
  onebit_optimizer_step_f32: (p, w, g, s1, s2) => optimizerStep(p.values, w, g, s1, s2),
  onebit_softmax_f32: (p, i, o) => softmax(p.values, i, o),
  onebit_strided_f32: (p, a, b, o) => strided(p.values, a, b, o),
  onebit_mean_f32: (p, i, o) => mean(p.values, i, o),
  onebit_col2im_f32: (p, c, b, o) => col2im(p.values, c, b, o),
  onebit_quantize: (p, i, o) => quantize(p.values, i, o),
  onebit_resize_f32: (p, i, o) => resize(p.values, i, o),
  onebit_bn_train_forward_f32: (p, i, g, b, o, s) => train.bnTrainForward(p.values, i, g, b, o, s),
  onebit_bn_train_backward_f32: (p, i, d, g, s, o, dg, db) => train.bnTrainBackward(p.values, i, d, g, s, o, dg, db),
  onebit_sign_f32: (p, i, o) => train.sign(p.values, i, o),
  onebit_ste_sign_grad_f32: (p, i, d, o) => train.steSignGrad(p.values, i, d, o),
  onebit_approx_sign_grad_f32: (p, i, d, o) => train.approxSignGrad(p.values, i, d, o),
  onebit_maxpool2d_argmax_grad_f32: (p, d, a, o) => train.maxPoolGrad(p.values, d, a, o),
  onebit_maxpool2d_argmax_grad_windows_f32: (p, d, a, o) => train.maxPoolGradWindows(p.values, d, a, o),
  onebit_gather_signs_b32_f32: (p, i, o) => train.gatherSigns(p.values, i, o),
  onebit_sign_gemm_f32: (p, l, b, o) => train.signGemm(p.values, l, b, o),
  onebit_conv2d_backprop_input_f32: (p, d, w, o) => conv2dBackInput(p.values, d, w, o),
  onebit_transpose_bits_b32: (p, i, o) => train.transposeBits(p.values, i, o),
  onebit_transpose_f32: (p, i, l, o) => train.transpose(p.values, i, l, o),
  onebit_relu_f32: (p, i, o) => train.relu(p.values, i, o),
  onebit_relu_grad_f32: (p, i, d, o) => train.reluGrad(p.values, i, d, o),
  onebit_depthwise_backprop_input_f32: (p, d, w, o) => train.depthwiseBackInput(p.values, d, w, o),
  onebit_depthwise_backprop_filter_f32: (p, x, d, o) => train.depthwiseBackFilter(p.values, x, d, o),
  onebit_conv2d_backprop_filter_small_cin_f32: (p, x, d, o) => train.conv2dBackFilter(p.values, x, d, o),
  // The fused first convolution and max pooling: the two ops it fuses, through the convolution's whole output.
  onebit_conv2d_maxpool_f32: (p, q, x, f, b, o, a) => {
    const v = p.values, out = new Float32Array(v.batch * v.out_h * v.out_w * v.channels_out);
    conv2d({ ...v, keep_cols: 0 }, x, f, b, new Float32Array(0), out);
    maxPoolArgmax(q.values, out, o, a);
  },
  onebit_conv2d_maxpool_backprop_filter_f32: (p, q, x, d, a, o) => {
    const v = p.values, dy = new Float32Array(v.batch * v.out_h * v.out_w * v.channels_out);
    train.maxPoolGradWindows(q.values, d, a, dy);
    train.conv2dBackFilter(v, x, dy, o);
  },
};
