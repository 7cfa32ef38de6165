/**
 * The training passes of kernels_zig/train_bn.zig, train_sign.zig and train_pool.zig in
 * TypeScript: the spec the native ones equal bit for bit on float32, and
 * (the same loops on Float64Array) graph/'s float64 path for gradient
 * checks. Float32 data is rounded where the Zig code rounds (`Math.fround`
 * inline: a rounding function in a variable would cost a call per element).
 * @module
 */
import type { StructValues } from "./abi.ts";
import {
  BN_CHUNK_ROWS,
  BN_MAX_CHUNKS,
  CHANNEL_BLOCK,
  SMALL_CIN_FILTER_CHUNKS,
  SMALL_CIN_FILTER_PARTIALS,
} from "./_abi_generated.ts";

/** Float32Array or Float64Array: every array of one call has the input's type. */
export type Data = Float32Array | Float64Array;

function like(x: Data, n: number): Data {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/**
 * The row chunks of BatchNormalization's training sums (kernels_zig/train_bn.zig `Chunks`): ceil(rows /
 * BN_CHUNK_ROWS) of them, at most BN_MAX_CHUNKS, of ceil(rows / count) rows, the last fewer; as [begin, end) rows.
 */
export function bnChunks(rows: number): [number, number][] {
  const count = Math.max(1, Math.min(BN_MAX_CHUNKS, Math.ceil(rows / BN_CHUNK_ROWS)));
  const size = Math.max(1, Math.ceil(rows / count));
  return Array.from({ length: count }, (_, i) => {
    const begin = Math.min(rows, i * size);
    return [begin, Math.min(rows, begin + size)];
  });
}

/**
 * Per channel j, from 0: each row chunk's (bnChunks) sum of x[r·c + j], or of (x - mean[j])² with `mean`, over its
 * rows in order in x's precision, added in chunk order. The loops are written out (no callback per value: the
 * reference runs small layers inside native training steps).
 */
function momentSums(x: Data, rows: number, c: number, mean: Data | null): Data {
  const sums = like(x, c), part = like(x, c), f64 = x instanceof Float64Array;
  for (const [begin, end] of bnChunks(rows)) {
    part.fill(0);
    if (mean === null) {
      for (let i = begin * c; i < end * c; i += c) for (let j = 0; j < c; j++) part[j] += x[i + j];
    } else if (f64) {
      for (let i = begin * c; i < end * c; i += c) for (let j = 0; j < c; j++) part[j] += (x[i + j] - mean[j]) ** 2;
    } else {
      for (let i = begin * c; i < end * c; i += c) {
        for (let j = 0; j < c; j++) {
          const d = Math.fround(x[i + j] - mean[j]);
          part[j] += Math.fround(d * d);
        }
      }
    }
    for (let j = 0; j < c; j++) sums[j] += part[j];
  }
  return sums;
}

/**
 * BatchNormalization's training forward pass over [rows, channels]: `stats` = [mean | variance | invStd] of the
 * batch (each `channels` long), `out` = x·inv + (β - mean·inv) with inv = γ·invStd, invStd = 1/sqrt(var + ε), the
 * moments summed by row chunks (bnChunks; rows in order within a chunk, in x's precision), as TF's moments and
 * batch_normalization.
 */
export function bnTrainForward(
  p: StructValues<"BnTrainParams">,
  x: Data,
  gamma: Data,
  beta: Data,
  out: Data,
  stats: Data,
): void {
  const c = p.channels, size = p.rows * c, f64 = x instanceof Float64Array;
  const r = f64 ? (v: number) => v : Math.fround;
  const count = r(p.rows), plain = momentSums(x, p.rows, c, null);
  for (let j = 0; j < c; j++) stats[j] = plain[j] / count;
  const sums = momentSums(x, p.rows, c, stats);
  const inv = like(x, c), shift = like(x, c), eps = r(p.epsilon);
  for (let j = 0; j < c; j++) {
    // Read back what was stored (an assignment's value is the unrounded one).
    stats[c + j] = sums[j] / count;
    const invStd = stats[2 * c + j] = r(1 / r(Math.sqrt(r(stats[c + j] + eps))));
    inv[j] = p.has_gamma ? invStd * gamma[j] : invStd;
    const m = r(stats[j] * inv[j]);
    shift[j] = p.has_beta ? beta[j] - m : -m;
  }
  if (f64) { for (let i = 0; i < size; i += c) for (let j = 0; j < c; j++) out[i + j] = x[i + j] * inv[j] + shift[j]; }
  else {
    for (let i = 0; i < size; i += c) {
      for (let j = 0; j < c; j++) out[i + j] = Math.fround(x[i + j] * inv[j]) + shift[j];
    }
  }
}

/**
 * BatchNormalization's training backward pass from the forward pass's `stats`, in float64: with
 * x̂ = (x - μ)·invStd and n rows, dβ = Σdy, dγ = Σdy·x̂ (summed by row chunks, as the forward pass's moments),
 * dx = γ·invStd/n · (n·dy - Σdy - x̂·Σdy·x̂).
 * `dgamma` / `dbeta` are written when the params say the layer has γ / β.
 */
export function bnTrainBackward(
  p: StructValues<"BnTrainParams">,
  x: Data,
  dy: Data,
  gamma: Data,
  stats: Data,
  dx: Data,
  dgamma: Data,
  dbeta: Data,
): void {
  const c = p.channels, n = p.rows, size = n * c;
  const sumDy = new Float64Array(c), sumDyXhat = new Float64Array(c);
  const part = new Float64Array(c), partXhat = new Float64Array(c);
  for (const [begin, end] of bnChunks(n)) {
    part.fill(0);
    partXhat.fill(0);
    for (let i = begin * c; i < end * c; i += c) {
      for (let j = 0; j < c; j++) {
        part[j] += dy[i + j];
        partXhat[j] += dy[i + j] * (x[i + j] - stats[j]) * stats[2 * c + j];
      }
    }
    for (let j = 0; j < c; j++) {
      sumDy[j] += part[j];
      sumDyXhat[j] += partXhat[j];
    }
  }
  for (let j = 0; j < c; j++) {
    if (p.has_gamma) dgamma[j] = sumDyXhat[j];
    if (p.has_beta) dbeta[j] = sumDy[j];
  }
  for (let i = 0; i < size; i += c) {
    for (let j = 0; j < c; j++) {
      const g = p.has_gamma ? gamma[j] : 1, invStd = stats[2 * c + j];
      const xhat = (x[i + j] - stats[j]) * invStd;
      dx[i + j] = (g * invStd / n) * (n * dy[i + j] - sumDy[j] - xhat * sumDyXhat[j]);
    }
  }
}

/** larq's sign: -1 for x < 0, else +1 (±0 and NaN give +1). */
export function sign(p: StructValues<"SignPassParams">, x: Data, out: Data): void {
  for (let i = 0; i < p.count; i++) out[i] = x[i] < 0 ? -1 : 1;
}

/** ste_sign's pseudo-gradient: dy where |x| ≤ clip (in x's precision), else 0. */
export function steSignGrad(p: StructValues<"SignPassParams">, x: Data, dy: Data, out: Data): void {
  const clip = x instanceof Float64Array ? p.clip : Math.fround(p.clip);
  for (let i = 0; i < p.count; i++) out[i] = Math.abs(x[i]) <= clip ? dy[i] : 0;
}

/** approx_sign's pseudo-gradient: dy·(1 - |x|)·2 where |x| ≤ 1, else 0 (each product rounded to x's precision). */
export function approxSignGrad(p: StructValues<"SignPassParams">, x: Data, dy: Data, out: Data): void {
  const f64 = x instanceof Float64Array;
  for (let i = 0; i < p.count; i++) {
    const a = Math.abs(x[i]);
    out[i] = a <= 1 ? (f64 ? (1 - a) * 2 * dy[i] : Math.fround(Math.fround(1 - a) * 2) * dy[i]) : 0;
  }
}

/**
 * Max pooling's backward pass: `dx` zeroed, then each `dy[o]` added at `argmax[o]` (in output order). An index
 * outside dx is a RangeError naming it.
 */
export function maxPoolGrad(p: StructValues<"MaxPoolGradParams">, dy: Data, argmax: Int32Array, dx: Data): void {
  dx.fill(0);
  for (let o = 0; o < p.output_count; o++) {
    const i = argmax[o];
    if (!(i >= 0 && i < p.input_count)) {
      throw new RangeError(`maxPoolGrad: argmax[${o}] = ${i} is outside the input's ${p.input_count} values`);
    }
    dx[i] += dy[o];
  }
}

/**
 * Max pooling's backward pass for windows that do not overlap (stride ≥ kernel on both axes): every input value
 * written once, 0 + dy of the window holding it where it is that window's argmax, else 0 (the bits of
 * {@link maxPoolGrad}: a sum of one gradient onto +0).
 */
export function maxPoolGradWindows(p: StructValues<"Pool2dF32Params">, dy: Data, argmax: Int32Array, dx: Data): void {
  const c = p.channels;
  const windowOf = (i: number, pad: number, stride: number, kernel: number, out: number) => {
    const o = Math.floor((i + pad) / stride);
    return o < out && i + pad - o * stride < kernel ? o : -1;
  };
  for (let n = 0; n < p.batch; n++) {
    for (let iy = 0; iy < p.in_h; iy++) {
      const oy = windowOf(iy, p.pad_top, p.stride_h, p.kernel_h, p.out_h);
      for (let ix = 0; ix < p.in_w; ix++) {
        const ox = oy < 0 ? -1 : windowOf(ix, p.pad_left, p.stride_w, p.kernel_w, p.out_w);
        const i = ((n * p.in_h + iy) * p.in_w + ix) * c, o = ((n * p.out_h + oy) * p.out_w + ox) * c;
        for (let ch = 0; ch < c; ch++) dx[i + ch] = ox >= 0 && argmax[o + ch] === i + ch ? 0 + dy[o + ch] : 0;
      }
    }
  }
}

/** The ±1 value of each bit of each byte (bit 1: -1), 8 floats per byte value. */
const SIGNS_OF_BYTE = Float32Array.from({ length: 256 * 8 }, (_, i) => (((i >> 3) >>> (i & 7)) & 1 ? -1 : 1));

/**
 * The 32 bits of `v` as ±1 (bit 1: -1, LSB first) into out[o, o + 32): a byte at a time from a table (8 times
 * faster than a branch on every bit).
 */
function unpackWord(v: number, out: Float32Array, o: number): void {
  for (let shift = 0; shift < 32; shift += 8, o += 8) {
    const t = ((v >>> shift) & 255) * 8;
    for (let j = 0; j < 8; j++) out[o + j] = SIGNS_OF_BYTE[t + j];
  }
}

/**
 * Words of `bits` gathered and unpacked to ±1 floats (bit 1: -1, LSB first): output word (block b, tap t, row q),
 * at ((b·taps + t)·period + q)·32, is input word q·row_stride + (taps - 1 - t)·tap_stride + b.
 */
export function gatherSigns(p: StructValues<"GatherSignsParams">, bits: Uint32Array, out: Float32Array): void {
  const { blocks, taps, period, row_stride: rowStride, tap_stride: tapStride } = p;
  let o = 0;
  for (let b = 0; b < blocks; b++) {
    for (let t = 0; t < taps; t++) {
      const base = (taps - 1 - t) * tapStride + b;
      for (let q = 0; q < period; q++, o += 32) unpackWord(bits[q * rowStride + base], out, o);
    }
  }
}

/**
 * out[r, c] = +0 + Σ_d lhs[r·rowStride + d·depthStride]·s(d, c) in depth order, s(d, c) = -1 where bit c % 32 of
 * word d·words + c / 32 is set, else +1 (kernels_zig/sign_gemm.zig: each product exact, one rounding per add).
 */
export function signGemm(
  p: StructValues<"SignGemmParams">,
  lhs: Float32Array,
  bits: Uint32Array,
  out: Float32Array,
): void {
  const { rows, columns, depth, row_stride: rowStride, depth_stride: depthStride, words } = p;
  const acc = new Float32Array(1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const w = c >>> 5, bit = 1 << (c & 31);
      acc[0] = 0;
      for (let d = 0; d < depth; d++) {
        const x = lhs[r * rowStride + d * depthStride];
        acc[0] += (bits[d * words + w] & bit) !== 0 ? -x : x;
      }
      out[r * columns + c] = acc[0] + 0;
    }
  }
}

/**
 * [rows, cols] row-major → [cols, rows] into `out`, in 32×32 tiles (a naive loop misses the cache on every
 * write); with `masked` 1, 0 instead where !(|latent[o]| ≤ clip) (o the output index; clip rounded to float32).
 */
export function transpose(p: StructValues<"TransposeF32Params">, a: Data, latent: Data, out: Data): void {
  const { rows, cols } = p, B = 32, clip = Math.fround(p.clip), masked = p.masked === 1;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const o = c * rows + r;
          out[o] = masked && !(Math.abs(latent[o]) <= clip) ? 0 : a[r * cols + c];
        }
      }
    }
  }
}

/** ReLU: x where x > 0, else +0 (NaN and -0 give +0). */
export function relu(p: StructValues<"ReluPassParams">, x: Data, out: Data): void {
  for (let i = 0; i < p.count; i++) out[i] = x[i] > 0 ? x[i] : 0;
}

/** ReLU's gradient: dy where x > 0, else dy·0 (keeping dy's -0 and NaN). */
export function reluGrad(p: StructValues<"ReluPassParams">, x: Data, dy: Data, out: Data): void {
  for (let i = 0; i < p.count; i++) out[i] = x[i] > 0 ? dy[i] : dy[i] * 0;
}

/** The output index along one axis whose tap `k` reads input index `i`, or -1. */
function outputAt(i: number, k: number, pad: number, stride: number, dilation: number, out: number): number {
  const d = i + pad - k * dilation;
  return d < 0 || d % stride !== 0 || d / stride >= out ? -1 : d / stride;
}

/**
 * A depthwise convolution's input gradient (filter [kh, kw, channels_in·multiplier]): dx[n, iy, ix, c] = Σ over
 * taps (ky, kx) in order, then j < multiplier, of dy[n, oy, ox, c·m + j]·w[ky, kx, c·m + j], in float32.
 */
export function depthwiseBackInput(
  p: StructValues<"DepthwiseF32Params">,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
): void {
  const cin = p.channels_in, m = p.multiplier, cout = cin * m, f = Math.fround;
  dx.fill(0, 0, p.batch * p.in_h * p.in_w * cin);
  for (let n = 0; n < p.batch; n++) {
    for (let iy = 0; iy < p.in_h; iy++) {
      for (let ix = 0; ix < p.in_w; ix++) {
        const o = ((n * p.in_h + iy) * p.in_w + ix) * cin;
        for (let ky = 0; ky < p.kernel_h; ky++) {
          const oy = outputAt(iy, ky, p.pad_top, p.stride_h, p.dilation_h, p.out_h);
          if (oy < 0) continue;
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const ox = outputAt(ix, kx, p.pad_left, p.stride_w, p.dilation_w, p.out_w);
            if (ox < 0) continue;
            const d = ((n * p.out_h + oy) * p.out_w + ox) * cout, t = (ky * p.kernel_w + kx) * cout;
            for (let c = 0; c < cin; c++) {
              for (let j = 0; j < m; j++) dx[o + c] = dx[o + c] + f(dy[d + c * m + j] * w[t + c * m + j]);
            }
          }
        }
      }
    }
  }
}

/**
 * A depthwise convolution's filter gradient: dw[ky, kx, co] = Σ over output pixels (n, oy, ox) in order of
 * x[n, iy, ix, co / m]·dy[n, oy, ox, co], over the taps inside the input, in float32.
 */
export function depthwiseBackFilter(
  p: StructValues<"DepthwiseF32Params">,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
): void {
  const cin = p.channels_in, m = p.multiplier, cout = cin * m, f = Math.fround;
  dw.fill(0, 0, p.kernel_h * p.kernel_w * cout);
  for (let n = 0; n < p.batch; n++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      for (let ox = 0; ox < p.out_w; ox++) {
        const d = ((n * p.out_h + oy) * p.out_w + ox) * cout;
        for (let ky = 0; ky < p.kernel_h; ky++) {
          const iy = oy * p.stride_h + ky * p.dilation_h - p.pad_top;
          if (iy < 0 || iy >= p.in_h) continue;
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const ix = ox * p.stride_w + kx * p.dilation_w - p.pad_left;
            if (ix < 0 || ix >= p.in_w) continue;
            const i = ((n * p.in_h + iy) * p.in_w + ix) * cin, t = (ky * p.kernel_w + kx) * cout;
            for (let co = 0; co < cout; co++) dw[t + co] = dw[t + co] + f(x[i + Math.floor(co / m)] * dy[d + co]);
          }
        }
      }
    }
  }
}

/**
 * Chunks of `rows` output rows (batch·out_h) whose filter gradient sums are taken apart for `depth` taps:
 * SMALL_CIN_FILTER_CHUNKS, fewer when there are fewer rows or one 32-channel block's partial sums would pass
 * SMALL_CIN_FILTER_PARTIALS floats (train_conv2d_small_cin.zig chunksFor: the same rule).
 */
export function filterChunks(rows: number, depth: number): number {
  const fit = Math.floor(SMALL_CIN_FILTER_PARTIALS / (depth * CHANNEL_BLOCK));
  return Math.max(1, Math.min(rows, SMALL_CIN_FILTER_CHUNKS, fit));
}

/**
 * A float convolution's filter gradient (HWIO [kh, kw, channels_in, channels_out]): dw[t, co] = Σ over chunks of
 * output rows (n, oy) in order ({@link filterChunks}; chunk j is rows [j·rows/chunks, (j+1)·rows/chunks)) of
 * (Σ over the chunk's output pixels in order of x[n, iy, ix, ci]·dy[n, oy, ox, co]) for tap t = (ky, kx, ci), taps
 * outside the input skipped, in float32: each product rounded, then added, each chunk's sum from 0, the chunks'
 * sums added to 0 in order (the native kernel's threads split the chunks).
 */
export function conv2dBackFilter(
  p: StructValues<"Conv2dF32Params">,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
): void {
  const cin = p.channels_in, cout = p.channels_out, f = Math.fround, size = p.kernel_h * p.kernel_w * cin * cout;
  const rows = p.batch * p.out_h, chunks = filterChunks(rows, p.kernel_h * p.kernel_w * cin);
  const part = new Float32Array(size);
  dw.fill(0, 0, size);
  for (let j = 0; j < chunks; j++) {
    part.fill(0);
    const end = Math.floor((j + 1) * rows / chunks);
    for (let r = Math.floor(j * rows / chunks); r < end; r++) {
      const n = Math.floor(r / p.out_h), oy = r % p.out_h;
      for (let ox = 0; ox < p.out_w; ox++) {
        const d = ((n * p.out_h + oy) * p.out_w + ox) * cout;
        for (let ky = 0; ky < p.kernel_h; ky++) {
          const iy = oy * p.stride_h + ky * p.dilation_h - p.pad_top;
          if (iy < 0 || iy >= p.in_h) continue;
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const ix = ox * p.stride_w + kx * p.dilation_w - p.pad_left;
            if (ix < 0 || ix >= p.in_w) continue;
            const i = ((n * p.in_h + iy) * p.in_w + ix) * cin, t = (ky * p.kernel_w + kx) * cin;
            for (let ci = 0; ci < cin; ci++) {
              const xv = x[i + ci], o = (t + ci) * cout;
              for (let co = 0; co < cout; co++) part[o + co] = part[o + co] + f(xv * dy[d + co]);
            }
          }
        }
      }
    }
    for (let k = 0; k < size; k++) dw[k] = dw[k] + part[k];
  }
}

/** Transposes a 32×32 bit matrix in place (row i = a[i], column j = bit j), in five rounds of block swaps. */
function transpose32(a: Uint32Array): void {
  for (let j = 16, m = 0x0000ffff; j !== 0; j >>>= 1, m ^= m << j) {
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((a[k] >>> j) ^ a[k + j]) & m;
      a[k] ^= t << j;
      a[k + j] ^= t;
    }
  }
}

/** A bit matrix [rows, words·32] transposed to [words·32, rows/32 words], 32×32 block by block. */
export function transposeBits(p: StructValues<"TransposeBitsParams">, bits: Uint32Array, out: Uint32Array): void {
  const { rows, words } = p, outWords = rows / 32, block = new Uint32Array(32);
  for (let rb = 0; rb < outWords; rb++) {
    for (let wb = 0; wb < words; wb++) {
      for (let i = 0; i < 32; i++) block[i] = bits[(rb * 32 + i) * words + wb];
      transpose32(block);
      for (let j = 0; j < 32; j++) out[(wb * 32 + j) * outWords + rb] = block[j];
    }
  }
}
