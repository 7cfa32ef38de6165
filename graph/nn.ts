/**
 * Neural-network ops for training: pooling, padding, slicing,
 * concatenation, transposition, activations with Keras's exact gradients at
 * their kinks, batch normalization, dropout, and the losses. NHWC.
 * @module
 */
import { stepFloat32, stepInt32 } from "../kernels/_step_buffers.ts";
import { isRecording, record, registerGradient } from "./tape.ts";
import { type Data, sizeOf, Tensor } from "./tensor.ts";
import * as ops from "./ops.ts";
import { softmaxRow } from "./_softmax_row.ts";
import { poolPlan, tfAxis, type WindowGeometry } from "../kernels/geometry.ts";
import { maxPoolArgmax } from "../kernels/reference_float.ts";
import { nativeFor, nativePasses } from "./native.ts";
import { bnTrainBackward, bnTrainForward, maxPoolGrad } from "../kernels/reference_train.ts";
import type { Padding } from "./conv.ts";

/** `n` values of `like`'s dtype; `dirty`: the caller writes every one (a reused step buffer is not zeroed). */
function alloc(n: number, like: Tensor, dirty = false): Data {
  return like.dtype === "float64" ? new Float64Array(n) : stepFloat32(n, dirty);
}

function emit(op: string, inputs: Tensor[], data: Data, shape: readonly number[], attrs?: unknown): Tensor {
  const t = new Tensor(data, shape);
  if (isRecording(inputs)) record(op, inputs, t, attrs);
  return t;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

// ---- pooling ---------------------------------------------------------------

/** Options of the 2-D pooling ops (Keras's argument names): window, strides, padding. */
export interface PoolOptions {
  /** Window [height, width], or one number for both; default 2 (Keras). */
  poolSize?: number | [number, number];
  /** Default: the pool size (Keras). */
  strides?: number | [number, number];
  /** `"valid"` (default) or `"same"` (TensorFlow's: any odd padding at the end; padded taps are ignored). */
  padding?: Padding;
}

interface PoolGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
}

function poolGeometry(x: Tensor, o: PoolOptions): PoolGeometry {
  if (x.rank !== 4) throw new RangeError(`pooling takes [batch, height, width, channels], got [${x.shape}]`);
  const p = o.poolSize ?? 2;
  const [ph, pw] = typeof p === "number" ? [p, p] : p;
  const s = o.strides ?? [ph, pw];
  const [sh, sw] = typeof s === "number" ? [s, s] : s;
  if (![ph, pw, sh, sw].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new RangeError(`pool size and strides must be positive integers, got ${JSON.stringify([p, s])}`);
  }
  const [n, h, w, c] = x.shape;
  const size = (len: number, k: number, st: number) => {
    const a = tfAxis(len, k, st, 1, o.padding ?? "valid");
    if (!a.fits) throw new RangeError(`pool size ${k} exceeds the input (${len}) with "valid" padding`);
    return { out: a.out, pad: a.before };
  };
  const y = size(h, ph, sh), xx = size(w, pw, sw);
  return { n, h, w, c, ph, pw, sh, sw, oh: y.out, ow: xx.out, top: y.pad, left: xx.pad };
}

/** Max pooling; the gradient goes to the first maximum of each window (as TF). */
export function maxPool2d(x: Tensor, options: PoolOptions = {}): Tensor {
  const g = poolGeometry(x, options);
  // Both paths write every output and its argmax (each window has an in-bounds tap).
  const y = alloc(g.n * g.oh * g.ow * g.c, x, true);
  const arg = stepInt32(y.length, true);
  const geometry = {
    inputShape: [g.n, g.h, g.w, g.c] as [number, number, number, number],
    kernelSize: [g.ph, g.pw] as [number, number],
    strides: [g.sh, g.sw] as [number, number],
    padding: options.padding ?? "valid",
  };
  const native = nativeFor(y.length * g.ph * g.pw, x.data);
  if (native) {
    native.bindMaxPoolArgmax(geometry).run(x.data as Float32Array, y as Float32Array, arg);
  } else {
    // The reference kernel's loop, on float32 or float64 data (gradient checks).
    const { params } = poolPlan(geometry, "max", { clamp_min: -Infinity, clamp_max: Infinity }, 1);
    maxPoolArgmax(params, x.data as Float32Array, y as Float32Array, arg);
  }
  return emit("maxPool2d", [x], y, [g.n, g.oh, g.ow, g.c], { arg, geometry });
}

registerGradient(
  "maxPool2d",
  (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { arg: Int32Array; geometry: WindowGeometry } }) => {
    const native = nativePasses(x.size, dy.data);
    const [kh, kw] = attrs.geometry.kernelSize, [sh, sw] = attrs.geometry.strides!;
    if (native && sh >= kh && sw >= kw) {
      // Windows that do not overlap: every input gradient written in one pass (no zeroing, no scatter).
      return [new Tensor(native.maxPoolGradWindows(dy.data as Float32Array, attrs.arg, attrs.geometry), x.shape)];
    }
    if (native) return [new Tensor(native.maxPoolGrad(dy.data as Float32Array, attrs.arg, x.size), x.shape)];
    const dx = alloc(x.size, x);
    maxPoolGrad({ input_count: x.size, output_count: dy.size, threads: 1 }, dy.data, attrs.arg, dx);
    return [new Tensor(dx, x.shape)];
  },
);

/** Average pooling over the in-bounds taps of each window (TF excludes SAME padding). */
export function avgPool2d(x: Tensor, options: PoolOptions = {}): Tensor {
  const g = poolGeometry(x, options);
  const y = alloc(g.n * g.oh * g.ow * g.c, x);
  const counts = new Float64Array(g.n * g.oh * g.ow), xd = x.data;
  forEachWindow(g, (o, i, count) => {
    counts[o] = count;
    for (let ch = 0; ch < g.c; ch++) y[o * g.c + ch] += xd[i * g.c + ch];
  });
  // The sum, then one division, as TF.
  for (let o = 0; o < counts.length; o++) for (let ch = 0; ch < g.c; ch++) y[o * g.c + ch] /= counts[o];
  return emit("avgPool2d", [x], y, [g.n, g.oh, g.ow, g.c], { ...options });
}

registerGradient("avgPool2d", (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: PoolOptions }) => {
  const g = poolGeometry(x, attrs);
  const dx = alloc(x.size, x), dyd = dy.data;
  forEachWindow(g, (o, i, count) => {
    for (let ch = 0; ch < g.c; ch++) dx[i * g.c + ch] += dyd[o * g.c + ch] / count;
  });
  return [new Tensor(dx, x.shape)];
});

function forEachWindow(g: PoolGeometry, fn: (o: number, i: number, count: number) => void): void {
  let o = 0;
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      const y0 = Math.max(0, oy * g.sh - g.top), y1 = Math.min(g.h, oy * g.sh - g.top + g.ph);
      for (let ox = 0; ox < g.ow; ox++, o++) {
        const x0 = Math.max(0, ox * g.sw - g.left), x1 = Math.min(g.w, ox * g.sw - g.left + g.pw);
        const count = (y1 - y0) * (x1 - x0);
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) fn(o, (b * g.h + iy) * g.w + ix, count);
      }
    }
  }
}

/** Mean over height and width: [N, H, W, C] → [N, C] (or [N, 1, 1, C] with keepDims). */
export function globalAvgPool2d(x: Tensor, keepDims = false): Tensor {
  if (x.rank !== 4) throw new RangeError(`globalAvgPool2d takes [batch, height, width, channels], got [${x.shape}]`);
  return ops.mean(x, [1, 2], keepDims);
}

// ---- shapes ------------------------------------------------------------------

/** Constant padding: `paddings[d] = [before, after]` per axis. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  if (
    paddings.length !== x.rank || paddings.some((p) => p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))
  ) {
    throw new RangeError(
      `pad: paddings must be ${x.rank} pairs of non-negative integers, got ${JSON.stringify(paddings)}`,
    );
  }
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const y = alloc(sizeOf(shape), x).fill(value);
  const xd = x.data;
  copyBlock(x.shape, shape, paddings.map((p) => p[0]), (i, o, n) => y.set(xd.subarray(i, i + n), o));
  return emit("pad", [x], y, shape, { paddings });
}

registerGradient(
  "pad",
  (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { paddings: [number, number][] } }) => [
    slice(dy, attrs.paddings.map((p) => p[0]), x.shape),
  ],
);

/**
 * Walks the contiguous runs of a block of shape `inner` placed at `offset` inside a row-major array of shape
 * `outer`: `copy(at, to, n)` for each, `at` the run's start in the block, `to` in the outer array, `n` its length.
 * Trailing axes the block spans whole join the run (a spatial pad of NHWC copies rows of W·C values, not C), so pad
 * and slice copy long runs, not one short row per index computation.
 */
function copyBlock(
  inner: readonly number[],
  outer: readonly number[],
  offset: readonly number[],
  copy: (at: number, to: number, n: number) => void,
): void {
  const total = sizeOf(inner);
  if (total === 0) return;
  if (inner.length === 0) return copy(0, 0, 1);
  let k = inner.length - 1;
  while (k > 0 && inner[k] === outer[k]) k--;
  const n = sizeOf(inner.slice(k)), st = strides(outer);
  let to = offset.reduce((o, v, d) => o + v * st[d], 0);
  const idx = new Array<number>(k).fill(0);
  for (let at = 0; at < total; at += n) {
    copy(at, to, n);
    for (let d = k - 1; d >= 0; d--) {
      to += st[d];
      if (++idx[d] < inner[d]) break;
      to -= st[d] * inner[d];
      idx[d] = 0;
    }
  }
}

/** The block starting at `begin` of extent `size` (-1: to the end). */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  if (begin.length !== x.rank || size.length !== x.rank) {
    throw new RangeError(`slice: begin and size need ${x.rank} entries`);
  }
  const ext = size.map((s, d) => (s === -1 ? x.shape[d] - begin[d] : s));
  if (ext.some((s, d) => !Number.isInteger(s) || s < 0 || begin[d] < 0 || begin[d] + s > x.shape[d])) {
    throw new RangeError(`slice [${begin}] + [${size}] is outside [${x.shape}]`);
  }
  const y = alloc(sizeOf(ext), x);
  const xd = x.data;
  copyBlock(ext, x.shape, begin, (o, i, n) => y.set(xd.subarray(i, i + n), o));
  return emit("slice", [x], y, ext, { begin });
}

registerGradient("slice", (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { begin: number[] } }) => [
  pad(dy, x.shape.map((d, i) => [attrs.begin[i], d - attrs.begin[i] - dy.shape[i]] as [number, number])),
]);

/** Joins tensors along `axis` (their other dimensions must agree). */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  if (xs.length === 0) throw new RangeError("concat needs at least one tensor");
  const rank = xs[0].rank;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`concat: axis ${axis} is out of range for rank ${rank}`);
  for (const t of xs) {
    if (t.rank !== rank || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new RangeError(`concat: [${t.shape}] does not match [${xs[0].shape}] off axis ${a}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const outer = sizeOf(shape.slice(0, a)), inner = sizeOf(shape.slice(a + 1));
  const y = alloc(sizeOf(shape), xs[0]);
  let o = 0;
  for (let r = 0; r < outer; r++) {
    for (const t of xs) {
      const len = t.shape[a] * inner;
      y.set(t.data.subarray(r * len, (r + 1) * len), o);
      o += len;
    }
  }
  return emit("concat", [...xs], y, shape, { axis: a });
}

registerGradient("concat", (dy, { inputs, attrs }: { inputs: readonly Tensor[]; attrs: { axis: number } }) => {
  let at = 0;
  return inputs.map((t) => {
    const begin = t.shape.map((_, i) => (i === attrs.axis ? at : 0));
    at += t.shape[attrs.axis];
    return slice(dy, begin, t.shape);
  });
});

/** Permutes axes. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new RangeError(`transpose: perm ${JSON.stringify(perm)} is not a permutation of 0..${x.rank - 1}`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const sx = strides(x.shape), y = alloc(x.size, x), idx = new Array<number>(x.rank).fill(0);
  for (let o = 0; o < y.length; o++) {
    let i = 0;
    for (let d = 0; d < x.rank; d++) i += idx[d] * sx[perm[d]];
    y[o] = x.data[i];
    for (let d = x.rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return emit("transpose", [x], y, shape, { perm });
}

registerGradient("transpose", (dy, { attrs }: { attrs: { perm: number[] } }) => {
  const inverse = new Array<number>(attrs.perm.length);
  attrs.perm.forEach((p, i) => (inverse[p] = i));
  return [transpose(dy, inverse)];
});

/** [N, ...] → [N, product(...)]. */
export function flatten(x: Tensor): Tensor {
  return ops.reshape(x, [x.shape[0], -1]);
}

// ---- activations ---------------------------------------------------------------

/** min(max(x, 0), 6); gradient 1 strictly inside (0, 6), as TF's Relu6Grad. */
export function relu6(x: Tensor): Tensor {
  const y = alloc(x.size, x);
  for (let i = 0; i < x.size; i++) y[i] = Math.min(Math.max(x.data[i], 0), 6);
  return emit("relu6", [x], y, x.shape);
}

registerGradient("relu6", (dy, { inputs: [x] }) => [ops.mul(dy, ops.mul(ops.greater(x, 0), ops.greater(6, x)))]);

/** x for x > 0, alpha·x otherwise (gradient alpha at 0, as TF; Keras default alpha 0.3). */
export function leakyRelu(x: Tensor, alpha = 0.3): Tensor {
  return ops.where(ops.greater(x, 0), x, ops.mul(x, alpha));
}

/** larq's hard_tanh: clip(x, -1, 1) (gradient 1 on the closed interval). */
export function hardTanh(x: Tensor): Tensor {
  return ops.clipByValue(x, -1, 1);
}

/** larq's leaky_tanh: hard_tanh(x) + alpha·(x - 1) above 1 and alpha·(x + 1) below -1. */
export function leakyTanh(x: Tensor, alpha = 0.2): Tensor {
  return ops.add(
    ops.add(hardTanh(x), ops.mul(ops.sub(ops.maximum(x, 1), 1), alpha)),
    ops.mul(ops.add(ops.minimum(x, -1), 1), alpha),
  );
}

// ---- normalization and regularization ------------------------------------------

/**
 * Batch normalization with per-feature tensors, in TF's arithmetic order
 * (tf.nn.batch_normalization): inv = γ/sqrt(variance + ε); x·inv + (β - mean·inv).
 */
export function batchNorm(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  gamma: Tensor | null,
  beta: Tensor | null,
  epsilon = 1e-3,
): Tensor {
  let inv = ops.div(1, ops.sqrt(ops.add(variance, epsilon)));
  if (gamma) inv = ops.mul(inv, gamma);
  const shift = beta ? ops.sub(beta, ops.mul(mean, inv)) : ops.neg(ops.mul(mean, inv));
  return ops.add(ops.mul(x, inv), shift);
}

/**
 * Batch normalization in training mode as one op: batch moments over every
 * axis but the last, then {@link batchNorm}'s arithmetic, with the same
 * float rounding as `moments` followed by `batchNorm` (so results are
 * bit-identical), but one pass each way instead of a dozen elementwise ops
 * on the tape. Backward in closed form: with x̂ = (x - μ)/σ, N values per
 * channel, dβ = Σdy, dγ = Σdy·x̂, dx = γ/(σN)·(N·dy - Σdy - x̂·Σdy·x̂).
 * Both passes run natively on float32 when the training kernels are compiled
 * (kernels_zig/train_bn.zig, equal to the TypeScript passes bit for bit).
 * Returns the output and the batch moments (for moving averages).
 */
export function batchNormTraining(
  x: Tensor,
  gamma: Tensor | null,
  beta: Tensor | null,
  epsilon = 1e-3,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const c = x.shape[x.rank - 1];
  const native = nativePasses(x.size, x.data, gamma?.data ?? x.data, beta?.data ?? x.data);
  let y: Data, stats: Data;
  if (native) {
    ({ y, stats } = native.bnForward(x.data as Float32Array, c, {
      gamma: gamma?.data as Float32Array,
      beta: beta?.data as Float32Array,
      epsilon,
    }));
  } else {
    y = alloc(x.size, x);
    stats = alloc(3 * c, x);
    bnTrainForward(bnParams(x, gamma, beta, epsilon), x.data, gamma?.data ?? y, beta?.data ?? y, y, stats);
  }
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const out = emit("batchNormTraining", inputs, y, x.shape, {
    stats,
    epsilon,
    hasGamma: gamma !== null,
    hasBeta: beta !== null,
  });
  return { y: out, mean: new Tensor(stats.slice(0, c), [c]), variance: new Tensor(stats.slice(c, 2 * c), [c]) };
}

function bnParams(x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number) {
  const c = x.shape[x.rank - 1];
  return { rows: x.size / c, channels: c, has_gamma: gamma ? 1 : 0, has_beta: beta ? 1 : 0, epsilon, threads: 1 };
}

registerGradient("batchNormTraining", (dy, { inputs, attrs }: {
  inputs: readonly Tensor[];
  attrs: { stats: Data; epsilon: number; hasGamma: boolean; hasBeta: boolean };
}) => {
  const x = inputs[0], gamma = attrs.hasGamma ? inputs[1] : null, beta = attrs.hasBeta ? inputs.at(-1)! : null;
  const c = x.shape[x.rank - 1];
  const native = nativePasses(x.size, x.data, dy.data, attrs.stats, gamma?.data ?? x.data);
  let dx: Data, dgamma: Data | null, dbeta: Data | null;
  if (native) {
    ({ dx, dgamma, dbeta } = native.bnBackward(
      x.data as Float32Array,
      dy.data as Float32Array,
      attrs.stats as Float32Array,
      {
        channels: c,
        gamma: gamma?.data as Float32Array,
        hasBeta: beta !== null,
        epsilon: attrs.epsilon,
      },
    ));
  } else {
    dx = alloc(x.size, x);
    dgamma = gamma ? alloc(c, gamma) : null;
    dbeta = beta ? alloc(c, beta) : null;
    const p = bnParams(x, gamma, beta, attrs.epsilon);
    bnTrainBackward(p, x.data, dy.data, gamma?.data ?? dx, attrs.stats, dx, dgamma ?? dx, dbeta ?? dx);
  }
  const grads = [new Tensor(dx, x.shape)];
  if (gamma) grads.push(new Tensor(dgamma!, [c]));
  if (beta) grads.push(new Tensor(dbeta!, [c]));
  return grads;
});

/** Mean and (biased, as tf.nn.moments) variance over every axis but the last. */
export function moments(x: Tensor): { mean: Tensor; variance: Tensor } {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const mean = ops.mean(x, axes);
  const variance = ops.mean(ops.square(ops.sub(x, mean)), axes);
  return { mean, variance };
}

/** Inverted dropout: zeroes a `rate` fraction, scales the rest by 1/(1 - rate). `random()` in [0, 1). */
export function dropout(x: Tensor, rate: number, random: () => number): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  const mask = alloc(x.size, x);
  for (let i = 0; i < mask.length; i++) mask[i] = random() >= rate ? 1 / (1 - rate) : 0;
  return ops.mul(x, new Tensor(mask, x.shape));
}

// ---- losses ----------------------------------------------------------------------

const EPSILON = 1e-7; // Keras backend epsilon

function batchMean(perSample: Tensor): Tensor {
  return ops.mean(perSample);
}

/**
 * Keras sparse categorical cross-entropy, averaged over samples. `labels`
 * holds class indices (shape = prediction shape without its last axis).
 * From probabilities they are clipped to [ε, 1 - ε] (ε = 1e-7), as Keras.
 */
export function sparseCategoricalCrossentropy(
  labels: ArrayLike<number>,
  predictions: Tensor,
  { fromLogits = false } = {},
): Tensor {
  // Keras: from probabilities, clip to [ε, 1 - ε] first, then log_softmax(log p): renormalised after clipping
  // (the one-hot categorical loss renormalises first, then clips).
  const logits = fromLogits ? predictions : ops.log(ops.clipByValue(predictions, EPSILON, 1 - EPSILON));
  return batchMean(sparseSoftmaxCrossEntropy(labels, logits));
}

/**
 * Per row of `logits` (the last axis: classes), −log softmax(logits)[label]: TF's
 * sparse_softmax_cross_entropy_with_logits, which Keras's sparse categorical cross-entropy calls. One op, no one-hot
 * targets: each row's log-sum-exp in float64, its loss rounded once to the logits' dtype (the value
 * −logSoftmax(x)[label] has); the gradient is dy·(softmax(x) − one-hot), as TF's.
 *
 * @example
 * ```ts
 * import { sparseSoftmaxCrossEntropy } from "./nn.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(sparseSoftmaxCrossEntropy([1], Tensor.from([[0, 0]])).toArray()); // [0.6931471824645996]
 * ```
 */
export function sparseSoftmaxCrossEntropy(labels: ArrayLike<number>, logits: Tensor): Tensor {
  const classes = logits.shape[logits.rank - 1] ?? 1;
  const rows = logits.size / classes;
  if (labels.length !== rows) throw new RangeError(`${labels.length} labels for ${rows} predictions`);
  const at = new Int32Array(rows), x = logits.data;
  // The softmax in float64, kept for the gradient.
  const p = new Float64Array(logits.size), y = alloc(rows, logits, true);
  for (let r = 0; r < rows; r++) {
    const l = labels[r];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new RangeError(`label ${l} at ${r} is not a class in [0, ${classes})`);
    }
    at[r] = l;
    const o = r * classes;
    y[r] = softmaxRow(x, o, classes, p, o) - x[o + l];
  }
  return emit("sparseSoftmaxCrossEntropy", [logits], y, logits.shape.slice(0, -1), { labels: at, p });
}

registerGradient(
  "sparseSoftmaxCrossEntropy",
  (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { labels: Int32Array; p: Float64Array } }) => {
    const { labels, p } = attrs, classes = x.shape[x.rank - 1] ?? 1;
    const g = dy.data, dx = alloc(x.size, x, true);
    for (let r = 0; r < labels.length; r++) {
      const o = r * classes;
      for (let i = 0; i < classes; i++) dx[o + i] = g[r] * p[o + i];
      dx[o + labels[r]] = g[r] * (p[o + labels[r]] - 1);
    }
    return [new Tensor(dx, x.shape)];
  },
);

/** Keras categorical cross-entropy with one-hot (or soft) targets, averaged over samples. */
export function categoricalCrossentropy(targets: Tensor, predictions: Tensor, { fromLogits = false } = {}): Tensor {
  if (targets.size !== predictions.size) {
    throw new RangeError(`targets [${targets.shape}] and predictions [${predictions.shape}] differ`);
  }
  let logp: Tensor;
  if (fromLogits) {
    logp = ops.logSoftmax(predictions);
  } else {
    // Keras: normalise to sum 1, clip to [ε, 1 - ε], log.
    const p = ops.div(predictions, ops.sum(predictions, -1, true));
    logp = ops.log(ops.clipByValue(p, EPSILON, 1 - EPSILON));
  }
  return batchMean(ops.neg(ops.sum(ops.mul(targets, logp), -1)));
}

/**
 * Keras binary cross-entropy: per element, averaged over the last axis,
 * then over samples. From logits it is TF's
 * sigmoid_cross_entropy_with_logits, max(x, 0) - x·z + log(1 + e^-|x|),
 * written with TF's selects so the gradient at x = 0 is TF's, σ(x) - z.
 * From probabilities, as Keras: p clipped to [ε, 1 - ε], then
 * -(z·log(p + ε) + (1 - z)·log(1 - p + ε)).
 */
export function binaryCrossentropy(targets: Tensor, predictions: Tensor, { fromLogits = false } = {}): Tensor {
  if (targets.size !== predictions.size) {
    throw new RangeError(`targets [${targets.shape}] and predictions [${predictions.shape}] differ`);
  }
  const z = ops.reshape(targets, predictions.shape);
  let perElement: Tensor;
  if (fromLogits) {
    const x = predictions, positive = ops.greaterEqual(x, 0);
    const relu = ops.where(positive, x, 0), negAbs = ops.where(positive, ops.neg(x), x);
    perElement = ops.add(ops.sub(relu, ops.mul(x, z)), ops.log(ops.add(1, ops.exp(negAbs))));
  } else {
    const p = ops.clipByValue(predictions, EPSILON, 1 - EPSILON);
    const logP = ops.log(ops.add(p, EPSILON)), log1mP = ops.log(ops.add(ops.sub(1, p), EPSILON));
    perElement = ops.neg(ops.add(ops.mul(z, logP), ops.mul(ops.sub(1, z), log1mP)));
  }
  return batchMean(ops.mean(perElement, -1));
}

/** Mean squared error, averaged over every element. */
export function meanSquaredError(targets: Tensor, predictions: Tensor): Tensor {
  if (targets.size !== predictions.size) {
    throw new RangeError(`targets [${targets.shape}] and predictions [${predictions.shape}] differ`);
  }
  return ops.mean(ops.square(ops.sub(predictions, ops.reshape(targets, predictions.shape))));
}
