/**
 * Differentiable ops on {@link Tensor}s (forward, then their gradients
 * registered at the end of this file). Elementwise ops broadcast like NumPy/TF. Results take the
 * dtype of the inputs (float64 only if every tensor input is float64).
 * `sign` is larq's: sign(0) = +1.
 * @module
 */
import { stepFloat32 } from "../kernels/_step_buffers.ts";
import { isRecording, record, registerGradient } from "./tape.ts";
import { markLogits } from "./logits.ts";
import { softmaxRow } from "./_softmax_row.ts";
import { type Data, type DType, sizeOf, Tensor } from "./tensor.ts";
import { gemmNN, gemmNT, nativeElementwise, nativeFor, nativePasses, transpose2d } from "./native.ts";
import { broadcastShape, broadcastStrides } from "../kernels/_shape.ts";

export { broadcastShape };

/** An output of n values; `dirty`: the caller writes every one (a step's pooled array is then not zeroed first). */
function alloc(n: number, dtype: DType, dirty = false): Data {
  return dtype === "float64" ? new Float64Array(n) : stepFloat32(n, dirty);
}

function dtypeOf(...ts: Tensor[]): DType {
  return ts.every((t) => t.dtype === "float64") ? "float64" : "float32";
}

function out(op: string, inputs: Tensor[], data: Data, shape: readonly number[], attrs?: unknown): Tensor {
  const t = new Tensor(data, shape);
  if (isRecording(inputs)) record(op, inputs, t, attrs);
  return t;
}

/** A tensor, or a number as a scalar of `dtype` (float32 scalars round the number, as TF converts constants). */
export function tensor(x: Tensor | number, dtype: DType = "float32"): Tensor {
  return x instanceof Tensor ? x : Tensor.from(dtype === "float32" ? Math.fround(x) : x, dtype);
}

/** Two operands as tensors; a number takes the other operand's dtype. */
function operands(a: Tensor | number, b: Tensor | number): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : "float32";
  return [tensor(a, dtype), tensor(b, dtype)];
}

// ---- broadcasting -------------------------------------------------------

function binary(op: string, x: Tensor | number, z: Tensor | number, f: (x: number, y: number) => number): Tensor {
  const [a, b] = operands(x, z);
  const shape = broadcastShape(a.shape, b.shape);
  const n = sizeOf(shape);
  const y = alloc(n, dtypeOf(a, b), true); // every branch below writes all n
  const A = a.data, B = b.data;
  const kernelOp = op === "add" || op === "sub" || op === "mul" ? op : null;
  const native = kernelOp && a.size === n && b.size === n ? nativeElementwise(n, A, B) : null;
  if (native) {
    native.elementwise(A as Float32Array, B as Float32Array, kernelOp!, { out: y as Float32Array });
  } else if (a.size === n && b.size === n) {
    const loop = SAME_SHAPE[op];
    if (loop) loop(A, B, y);
    else for (let i = 0; i < n; i++) y[i] = f(A[i], B[i]);
  } else if (b.size === 1 && a.size === n) {
    const v = B[0];
    for (let i = 0; i < n; i++) y[i] = f(A[i], v);
  } else if (a.size === n && isChannelVector(b.shape, shape)) {
    // The common case in training: a per-channel vector (bias, BatchNorm) against a full tensor.
    const c = shape[shape.length - 1];
    for (let i = 0; i < n; i += c) for (let j = 0; j < c; j++) y[i + j] = f(A[i + j], B[j]);
  } else if (b.size === n && isChannelVector(a.shape, shape)) {
    const c = shape[shape.length - 1];
    for (let i = 0; i < n; i += c) for (let j = 0; j < c; j++) y[i + j] = f(A[j], B[i + j]);
  } else {
    const sa = broadcastStrides(a.shape, shape), sb = broadcastStrides(b.shape, shape);
    const idx = new Array<number>(shape.length).fill(0);
    let ia = 0, ib = 0;
    for (let i = 0; i < n; i++) {
      y[i] = f(A[ia], B[ib]);
      for (let d = shape.length - 1; d >= 0; d--) {
        ia += sa[d];
        ib += sb[d];
        if (++idx[d] < shape[d]) break;
        ia -= sa[d] * shape[d];
        ib -= sb[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
  return out(op, [a, b], y, shape);
}

/**
 * Same-shape loops of the commonest ops, each its own function: through `binary`'s shared callback every element
 * was a call V8 could not inline (the residual adds and the gradients' products of every training step).
 */
const SAME_SHAPE: Record<string, (a: Data, b: Data, y: Data) => void> = {
  add: (a, b, y) => {
    for (let i = 0; i < y.length; i++) y[i] = a[i] + b[i];
  },
  sub: (a, b, y) => {
    for (let i = 0; i < y.length; i++) y[i] = a[i] - b[i];
  },
  mul: (a, b, y) => {
    for (let i = 0; i < y.length; i++) y[i] = a[i] * b[i];
  },
};

/** True when `shape` is [C] or [1, ..., 1, C] with C the last axis of `full` (and `full` has more elements). */
function isChannelVector(shape: readonly number[], full: readonly number[]): boolean {
  const c = full[full.length - 1];
  return shape.length >= 1 && shape[shape.length - 1] === c && sizeOf(shape) === c && sizeOf(full) > c;
}

/** Sums `x` down to `shape` (the inverse of broadcasting it), for gradients. */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const y = alloc(sizeOf(shape), x.dtype);
  if (isChannelVector(shape, x.shape) && shape.length <= x.shape.length) {
    const c = y.length, X = x.data;
    for (let i = 0; i < x.size; i += c) for (let j = 0; j < c; j++) y[j] += X[i + j];
    return new Tensor(y, shape);
  }
  const s = broadcastStrides(shape, x.shape);
  const idx = new Array<number>(x.shape.length).fill(0);
  let iy = 0;
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) {
    y[iy] += xd[i];
    for (let d = x.shape.length - 1; d >= 0; d--) {
      iy += s[d];
      if (++idx[d] < x.shape[d]) break;
      iy -= s[d] * x.shape[d];
      idx[d] = 0;
    }
  }
  return new Tensor(y, shape);
}

/** a + b elementwise, with NumPy broadcasting (a number is a scalar). */
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary("add", a, b, (x, y) => x + y);
/** a - b elementwise, with NumPy broadcasting. */
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary("sub", a, b, (x, y) => x - y);
/** a · b elementwise, with NumPy broadcasting. */
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary("mul", a, b, (x, y) => x * y);
/** a / b elementwise, with NumPy broadcasting (IEEE division: x/0 is ±Infinity or NaN). */
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary("div", a, b, (x, y) => x / y);
/** The larger of a and b elementwise; the gradient goes to a where a ≥ b, else to b. */
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary("maximum", a, b, (x, y) => (x >= y ? x : y));
/** The smaller of a and b elementwise; the gradient goes to a where a ≤ b, else to b. */
export const minimum = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary("minimum", a, b, (x, y) => (x <= y ? x : y));
/** 1 where a > b, else 0 (not differentiable). */
export const greater = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary("greater", a, b, (x, y) => (x > y ? 1 : 0));
/** 1 where a ≥ b, else 0 (not differentiable). */
export const greaterEqual = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary("greaterEqual", a, b, (x, y) => (x >= y ? 1 : 0));

// ---- elementwise unary ---------------------------------------------------

function unary(op: string, x: Tensor, f: (v: number) => number, attrs?: unknown): Tensor {
  const xd = x.data, y = alloc(xd.length, x.dtype, true);
  for (let i = 0; i < xd.length; i++) y[i] = f(xd[i]);
  return out(op, [x], y, x.shape, attrs);
}

/** -x elementwise. */
export const neg = (x: Tensor): Tensor => unary("neg", x, (v) => -v);
/** |x| elementwise (gradient sign(x), 0 at 0 as TF). */
export const abs = (x: Tensor): Tensor => unary("abs", x, Math.abs);
/** e^x elementwise. */
export const exp = (x: Tensor): Tensor => unary("exp", x, Math.exp);
/** Natural logarithm elementwise (-Infinity at 0, NaN below). */
export const log = (x: Tensor): Tensor => unary("log", x, Math.log);
/** √x elementwise (gradient 1/(2√x)). */
export const sqrt = (x: Tensor): Tensor => unary("sqrt", x, Math.sqrt);
/** x² elementwise. */
export const square = (x: Tensor): Tensor => unary("square", x, (v) => v * v);
/** tanh(x) elementwise (gradient 1 - tanh²). */
export const tanh = (x: Tensor): Tensor => unary("tanh", x, Math.tanh);
/** cosh(x) elementwise (SwishSign's gradient uses it). */
export const cosh = (x: Tensor): Tensor => unary("cosh", x, Math.cosh);
/**
 * 1 / (1 + e^-x) elementwise; marks its output as coming from logits `x`, so a cross-entropy loss on it can use the
 * logits as Keras does.
 */
export const sigmoid = (x: Tensor): Tensor => {
  const y = unary("sigmoid", x, (v) => 1 / (1 + Math.exp(-v)));
  markLogits(y, x, "sigmoid");
  return y;
};
/** max(x, 0) elementwise (gradient 1 where x > 0, else 0). */
export const relu = (x: Tensor): Tensor => {
  // The activation of most layers, every step: one pass (native when compiled), else a plain loop.
  const native = nativePasses(x.size, x.data);
  if (native) return out("relu", [x], native.relu(x.data as Float32Array), x.shape);
  const y = alloc(x.size, x.dtype), X = x.data;
  for (let i = 0; i < y.length; i++) y[i] = X[i] > 0 ? X[i] : 0;
  return out("relu", [x], y, x.shape);
};
/** larq's sign: -1 for x < 0, +1 otherwise (also for ±0). Gradient 0. */
export const sign = (x: Tensor): Tensor => {
  // One pass (native when compiled): this runs on every binarized activation and kernel of every step.
  const native = nativePasses(x.size, x.data);
  if (native) return out("sign", [x], native.sign(x.data as Float32Array), x.shape);
  const y = alloc(x.size, x.dtype), X = x.data;
  for (let i = 0; i < y.length; i++) y[i] = X[i] < 0 ? -1 : 1;
  return out("sign", [x], y, x.shape);
};
/** TF's sign: -1, 0 or +1. Gradient 0. */
export const signZero = (x: Tensor): Tensor => unary("signZero", x, (v) => (v < 0 ? -1 : v > 0 ? 1 : 0));
/** 1 for x > 0, 0 for x ≤ 0. Gradient 0. */
export const heaviside = (x: Tensor): Tensor => unary("heaviside", x, (v) => (v > 0 ? 1 : 0));
/** Round half to even (as TF and larq's DoReFa). Gradient 0. */
export const roundHalfEven = (x: Tensor): Tensor =>
  unary("roundHalfEven", x, (v) => {
    const r = Math.round(v);
    return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  });

/** Clip to [lo, hi]; gradient 1 on the closed interval, as tf.clip_by_value. */
export function clipByValue(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new RangeError(`clipByValue: lo (${lo}) must not exceed hi (${hi})`);
  // A plain loop: weight_clip runs this on every binary kernel after every step.
  const y = alloc(x.size, x.dtype), X = x.data;
  for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(X[i], lo), hi);
  return out("clipByValue", [x], y, x.shape, { lo, hi });
}

/** cond ? a : b, elementwise (cond: non-zero = true, not differentiated). */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const [A, B] = operands(a, b);
  const shape = broadcastShape(broadcastShape(cond.shape, A.shape), B.shape);
  const c = broadcastTo(cond, shape), aa = broadcastTo(A, shape), bb = broadcastTo(B, shape);
  const y = alloc(sizeOf(shape), dtypeOf(A, B));
  for (let i = 0; i < y.length; i++) y[i] = c.data[i] !== 0 ? aa.data[i] : bb.data[i];
  return out("where", [cond, A, B], y, shape);
}

/** `x` repeated along broadcast axes to `shape` (not recorded: for where() and backward passes). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.rank > shape.length || broadcastShape(x.shape, shape).some((d, i) => d !== shape[i])) {
    throw new RangeError(`[${x.shape}] does not broadcast to [${shape}]`);
  }
  if (x.size === sizeOf(shape)) return new Tensor(x.data, shape);
  const y = alloc(sizeOf(shape), x.dtype);
  if (isChannelVector(x.shape, shape)) {
    for (let i = 0; i < y.length; i += x.size) y.set(x.data, i);
    return new Tensor(y, shape);
  }
  const s = broadcastStrides(x.shape, shape);
  const idx = new Array<number>(shape.length).fill(0);
  let ix = 0;
  const xd = x.data;
  for (let i = 0; i < y.length; i++) {
    y[i] = xd[ix];
    for (let d = shape.length - 1; d >= 0; d--) {
      ix += s[d];
      if (++idx[d] < shape[d]) break;
      ix -= s[d] * shape[d];
      idx[d] = 0;
    }
  }
  return new Tensor(y, shape);
}

// ---- reductions and shapes -------------------------------------------------

function normAxes(x: Tensor, axes?: number | number[]): number[] {
  const list = axes === undefined ? x.shape.map((_, i) => i) : Array.isArray(axes) ? axes : [axes];
  return [
    ...new Set(list.map((a) => {
      if (!Number.isInteger(a) || a < -x.rank || a >= x.rank) {
        throw new RangeError(`axis ${a} is out of range for rank ${x.rank}`);
      }
      return a < 0 ? a + x.rank : a;
    })),
  ];
}

/** Sum over `axes` (default: all). */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = normAxes(x, axes);
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const reduced = sumTo(x, kept);
  const shape = keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i));
  return out("sum", [x], reduced.data, shape, { kept });
}

/** Mean over `axes` (default: all). */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = normAxes(x, axes);
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  // sum / count, rounded once, as tf.reduce_mean.
  return div(sum(x, ax, keepDims), count);
}

/** Max over `axes` (default: all); the gradient goes to every maximal element. */
export function max(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = normAxes(x, axes);
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const y = alloc(sizeOf(kept), x.dtype).fill(-Infinity);
  const s = broadcastStrides(kept, x.shape);
  const idx = new Array<number>(x.rank).fill(0);
  let iy = 0;
  for (let i = 0; i < x.size; i++) {
    if (x.data[i] > y[iy]) y[iy] = x.data[i];
    for (let d = x.rank - 1; d >= 0; d--) {
      iy += s[d];
      if (++idx[d] < x.shape[d]) break;
      iy -= s[d] * x.shape[d];
      idx[d] = 0;
    }
  }
  return out("max", [x], y, keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i)), { kept });
}

/** Same data, new shape (one -1 entry is inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  if (shape.filter((d) => d === -1).length > 1) throw new RangeError("reshape: at most one -1");
  const inferred = shape.map((d) => (d === -1 ? x.size / Math.max(1, sizeOf(known)) : d));
  if (sizeOf(inferred) !== x.size || inferred.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`cannot reshape [${x.shape}] (${x.size} values) to [${shape}]`);
  }
  return out("reshape", [x], x.data, inferred);
}

/** 2-D matrix product, optionally transposing either side. */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new RangeError(`matmul takes 2-D tensors, got [${a.shape}] and [${b.shape}]`);
  const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = transposeB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== k2) throw new RangeError(`matmul: inner dimensions differ ([${a.shape}] × [${b.shape}])`);
  const A = a.data, B = b.data;
  const native = nativeFor(m * k * n, A, B);
  if (native) {
    // The SGEMM computes A·Bᵀ with both operands row-major: transpose what is not in that form.
    const lhs = transposeA ? transpose2d(A as Float32Array, k, m) : A as Float32Array;
    const y = transposeB ? gemmNT(native, lhs, B as Float32Array, n) : gemmNN(native, lhs, B as Float32Array, n);
    return out("matmul", [a, b], y, [m, n], { transposeA, transposeB });
  }
  const y = alloc(m * n, dtypeOf(a, b));
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = transposeA ? A[p * m + i] : A[i * k + p];
      if (av === 0) continue;
      for (let j = 0; j < n; j++) y[i * n + j] += av * (transposeB ? B[j * k + p] : B[p * n + j]);
    }
  }
  return out("matmul", [a, b], y, [m, n], { transposeA, transposeB });
}

/**
 * Softmax over the last axis as TF computes it: e = exp(x − max) per row, y = e / Σe (each e in float64, y rounded
 * once to the dtype); the gradient is y·(dy − Σ dy·y) per row.
 */
export function softmax(x: Tensor): Tensor {
  const depth = x.shape[x.rank - 1] ?? 1;
  const xd = x.data, y = alloc(xd.length, x.dtype, true);
  const p = new Float64Array(depth);
  for (let o = 0; o < xd.length; o += depth) {
    softmaxRow(xd, o, depth, p, 0);
    for (let i = 0; i < depth; i++) y[o + i] = p[i];
  }
  const t = out("softmax", [x], y, x.shape);
  markLogits(t, x, "softmax");
  return t;
}

/** log(softmax(x)) over the last axis, computed stably. */
export function logSoftmax(x: Tensor): Tensor {
  const depth = x.shape[x.rank - 1] ?? 1;
  const xd = x.data, y = alloc(xd.length, x.dtype);
  for (let r = 0; r < xd.length / depth; r++) {
    let m = -Infinity;
    for (let i = 0; i < depth; i++) m = Math.max(m, xd[r * depth + i]);
    let s = 0;
    for (let i = 0; i < depth; i++) s += Math.exp(xd[r * depth + i] - m);
    const lse = m + Math.log(s);
    for (let i = 0; i < depth; i++) y[r * depth + i] = xd[r * depth + i] - lse;
  }
  return out("logSoftmax", [x], y, x.shape);
}

/** Float64 copy (for gradient checks); not differentiated. */
export function toFloat64(x: Tensor): Tensor {
  return new Tensor(Float64Array.from(x.data), x.shape);
}

// The gradients of the ops above, registered by op name as everywhere else (nn.ts, conv.ts): each gets dy
// (the output's shape) and returns one gradient per input, summed back over broadcast axes.
const same = (dy: Tensor, x: Tensor) => sumTo(dy, x.shape);

registerGradient("add", (dy, { inputs: [a, b] }) => [same(dy, a), same(dy, b)]);
registerGradient("sub", (dy, { inputs: [a, b] }) => [same(dy, a), same(neg(dy), b)]);
registerGradient("mul", (dy, { inputs: [a, b] }) => [same(mul(dy, b), a), same(mul(dy, a), b)]);
registerGradient("div", (dy, { inputs: [a, b] }) => [
  same(div(dy, b), a),
  same(neg(div(mul(dy, a), mul(b, b))), b),
]);
// Ties send the gradient to the first argument, as TF's maximum/minimum gradients do (x >= y).
registerGradient("maximum", (dy, { inputs: [a, b] }) => {
  const m = greaterEqual(a, b);
  return [same(mul(dy, m), a), same(mul(dy, sub(1, m)), b)];
});
registerGradient("minimum", (dy, { inputs: [a, b] }) => {
  const m = greaterEqual(b, a);
  return [same(mul(dy, m), a), same(mul(dy, sub(1, m)), b)];
});
registerGradient("greater", () => [null, null]);
registerGradient("greaterEqual", () => [null, null]);

registerGradient("neg", (dy) => [neg(dy)]);
registerGradient("abs", (dy, { inputs: [x] }) => [mul(dy, signZero(x))]);
registerGradient("exp", (dy, { output }) => [mul(dy, output)]);
registerGradient("log", (dy, { inputs: [x] }) => [div(dy, x)]);
registerGradient("sqrt", (dy, { output }) => [div(dy, mul(output, 2))]);
registerGradient("square", (dy, { inputs: [x] }) => [mul(dy, mul(x, 2))]);
registerGradient("tanh", (dy, { output }) => [mul(dy, sub(1, square(output)))]);
registerGradient("cosh", (dy, { inputs: [x] }) => [
  mul(dy, mul(sub(exp(x), exp(neg(x))), 0.5)),
]);
registerGradient("sigmoid", (dy, { output }) => [mul(dy, mul(output, sub(1, output)))]);
registerGradient("relu", (dy, { inputs: [x] }) => {
  if (dy.size !== x.size || dy.dtype !== x.dtype) return [mul(dy, greater(x, 0))];
  // dy·(x > 0) in one pass: dy·0 (not 0) where x ≤ 0 keeps the product's -0 and NaN.
  const native = nativePasses(x.size, x.data, dy.data);
  if (native) return [new Tensor(native.reluGrad(x.data as Float32Array, dy.data as Float32Array), x.shape)];
  const dx = alloc(x.size, x.dtype), X = x.data, D = dy.data;
  for (let i = 0; i < dx.length; i++) dx[i] = X[i] > 0 ? D[i] : D[i] * 0;
  return [new Tensor(dx, x.shape)];
});
registerGradient("sign", () => [null]);
registerGradient("signZero", () => [null]);
registerGradient("heaviside", () => [null]);
registerGradient("roundHalfEven", () => [null]);
registerGradient(
  "clipByValue",
  (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { lo: number; hi: number } }) => {
    const inside = mul(greaterEqual(x, attrs.lo), greaterEqual(attrs.hi, x));
    return [mul(dy, inside)];
  },
);
registerGradient("where", (dy, { inputs: [c, a, b] }) => [
  null,
  same(where(c, dy, 0), a),
  same(where(c, 0, dy), b),
]);

registerGradient("sum", (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { kept: number[] } }) => [
  broadcastTo(reshape(dy, attrs.kept), x.shape),
]);
// Ties share dy equally, as TF's _MinOrMaxGrad (±1 tensors tie all the time).
registerGradient(
  "max",
  (dy, { inputs: [x], output, attrs }: { inputs: readonly Tensor[]; output: Tensor; attrs: { kept: number[] } }) => {
    const hit = greaterEqual(x, reshape(output, attrs.kept));
    return [mul(div(hit, sumTo(hit, attrs.kept)), reshape(dy, attrs.kept))];
  },
);
registerGradient("reshape", (dy, { inputs: [x] }) => [reshape(dy, x.shape)]);
registerGradient("matmul", (dy, { inputs: [a, b], attrs }: {
  inputs: readonly Tensor[];
  attrs: { transposeA: boolean; transposeB: boolean };
}) => {
  const { transposeA: ta, transposeB: tb } = attrs;
  const da = ta ? matmul(b, dy, tb, true) : matmul(dy, b, false, !tb);
  const db = tb ? matmul(dy, a, true, ta) : matmul(a, dy, !ta, false);
  return [da, db];
});
registerGradient("softmax", (dy, { output }) => {
  const depth = output.shape[output.rank - 1] ?? 1;
  const y = output.data, g = dy.data, dx = alloc(y.length, output.dtype, true);
  for (let o = 0; o < y.length; o += depth) {
    let s = 0;
    for (let i = 0; i < depth; i++) s += g[o + i] * y[o + i];
    for (let i = 0; i < depth; i++) dx[o + i] = y[o + i] * (g[o + i] - s);
  }
  return [new Tensor(dx, output.shape)];
});
registerGradient("logSoftmax", (dy, { output }) => {
  // dx = dy - softmax(x) * sum(dy, last axis)
  const s = sum(dy, -1, true);
  return [sub(dy, mul(exp(output), s))];
});
