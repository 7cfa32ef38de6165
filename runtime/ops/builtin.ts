/**
 * TFLite builtin float ops that converted larq / zoo models use, as
 * pure-TS kernels with TFLite's semantics (TF SAME/VALID padding, average
 * pooling over the valid taps only, fused activations after the bias).
 * @module
 */
import { Builtin, TensorType } from "../../tflite/schema.ts";
import { padBias, type UnaryOp } from "../float_kernels.ts";
import { broadcastShape, broadcastStrides } from "../_shape.ts";
import type { OpContext, OpKernel, PreparedOp, TensorData, TensorInfo } from "./_types.ts";
import {
  activationRange,
  arity,
  constant,
  convAxis,
  input,
  output,
  paddingOf,
  positive,
  product,
  shapeText,
} from "./_util.ts";

const F32 = [TensorType.FLOAT32];

function clampAll(y: Float32Array, lo: number, hi: number): void {
  if (lo === -Infinity && hi === Infinity) return;
  for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(y[i], lo), hi);
}

function optionalBias(ctx: OpContext, i: number, channels: number): Float32Array | null {
  const b = ctx.inputs[i];
  if (b === null || b === undefined) return null;
  input(ctx, i, "bias", F32, 1);
  if (b.shape[0] !== channels) ctx.invalid(`bias has ${b.shape[0]} values, expected ${channels}`);
  return constant(ctx, b, "bias") as Float32Array;
}

// ---- convolutions --------------------------------------------------------

/** CONV_2D: filter OHWI [Cout, KH, KW, Cin/groups], optional bias. */
const conv2d: OpKernel = {
  prepare(ctx) {
    arity(ctx, 2, 3);
    const x = input(ctx, 0, "input", F32, 4);
    const f = input(ctx, 1, "filter", F32, 4);
    output(ctx, 0, F32, 4);
    const w = constant(ctx, f, "filter") as Float32Array;
    const o = ctx.options ?? {};
    const [n, h, wd, cin] = x.shape;
    const [cout, kh, kw, cinG] = f.shape;
    if (cinG < 1 || cin % cinG !== 0 || cout % (cin / cinG) !== 0) {
      ctx.invalid(`filter ${shapeText(f.shape)} does not fit input ${shapeText(x.shape)}`);
    }
    const groups = cin / cinG, coutG = cout / groups;
    const sh = positive(ctx, "stride_h", o.stride_h), sw = positive(ctx, "stride_w", o.stride_w);
    const dh = positive(ctx, "dilation_h_factor", o.dilation_h_factor);
    const dw = positive(ctx, "dilation_w_factor", o.dilation_w_factor);
    const padding = paddingOf(ctx, o.padding);
    const ay = convAxis(ctx, "height", h, kh, sh, dh, padding);
    const ax = convAxis(ctx, "width", wd, kw, sw, dw, padding);
    const bias = optionalBias(ctx, 2, cout);
    const [lo, hi] = activationRange(ctx, o.fused_activation_function);
    if (groups === 1) {
      const packed = ctx.float.packRhs(w, cout);
      const geometry = {
        inputShape: [n, h, wd, cin] as const,
        kernelSize: [kh, kw] as const,
        strides: [sh, sw] as const,
        dilations: [dh, dw] as const,
        padding,
      };
      const bound = ctx.float.bindConv2d(packed, {
        ...geometry,
        bias: padBias(bias ?? undefined, cout),
        clampMin: lo,
        clampMax: hi,
        threads: ctx.threads,
      });
      const workspace = Math.max(1, bound.workspaceFloats);
      return {
        outputShapes: [[n, ay.out, ax.out, cout]],
        scratchBytes: 4 * workspace,
        packedInputs: [1, 2],
        ownedBytes: packed.data.byteLength + 4 * Math.ceil(cout / 32) * 32,
        run: ({ inputs, outputs, scratch }) => {
          bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array, new Float32Array(scratch, 0, workspace));
        },
      };
    }
    // Grouped: direct loops, HWIO per group so the innermost loop walks output channels contiguously.
    const hwio = new Float32Array(w.length);
    for (let g = 0; g < groups; g++) {
      for (let co = 0; co < coutG; co++) {
        for (let k = 0; k < kh * kw; k++) {
          for (let ci = 0; ci < cinG; ci++) {
            hwio[((g * kh * kw + k) * cinG + ci) * coutG + co] = w[((g * coutG + co) * kh * kw + k) * cinG + ci];
          }
        }
      }
    }
    return {
      outputShapes: [[n, ay.out, ax.out, cout]],
      run: ({ inputs, outputs }) => {
        const src = inputs[0] as Float32Array, dst = outputs[0] as Float32Array;
        const acc = new Float64Array(coutG);
        let p = 0;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < ay.out; oy++) {
            for (let ox = 0; ox < ax.out; ox++, p++) {
              for (let g = 0; g < groups; g++) {
                acc.fill(0);
                for (let ky = 0; ky < kh; ky++) {
                  const iy = oy * sh + ky * dh - ay.pad;
                  if (iy < 0 || iy >= h) continue;
                  for (let kx = 0; kx < kw; kx++) {
                    const ix = ox * sw + kx * dw - ax.pad;
                    if (ix < 0 || ix >= wd) continue;
                    const xBase = ((b * h + iy) * wd + ix) * cin + g * cinG;
                    const wBase = (g * kh * kw + ky * kw + kx) * cinG * coutG;
                    for (let ci = 0; ci < cinG; ci++) {
                      const v = src[xBase + ci];
                      if (v === 0) continue;
                      const wRow = wBase + ci * coutG;
                      for (let co = 0; co < coutG; co++) acc[co] += v * hwio[wRow + co];
                    }
                  }
                }
                for (let co = 0; co < coutG; co++) {
                  const c = g * coutG + co;
                  dst[p * cout + c] = Math.min(Math.max(acc[co] + (bias ? bias[c] : 0), lo), hi);
                }
              }
            }
          }
        }
      },
    };
  },
};

/** DEPTHWISE_CONV_2D: filter [1, KH, KW, Cin·multiplier]. */
const depthwiseConv2d: OpKernel = {
  prepare(ctx) {
    arity(ctx, 2, 3);
    const x = input(ctx, 0, "input", F32, 4);
    const f = input(ctx, 1, "filter", F32, 4);
    output(ctx, 0, F32, 4);
    const w = constant(ctx, f, "filter") as Float32Array;
    const o = ctx.options ?? {};
    const [n, h, wd, cin] = x.shape;
    const [one, kh, kw, cout] = f.shape;
    if (one !== 1 || cout % cin !== 0) {
      ctx.invalid(`filter ${shapeText(f.shape)} does not fit input ${shapeText(x.shape)}`);
    }
    const mult = cout / cin;
    const sh = positive(ctx, "stride_h", o.stride_h), sw = positive(ctx, "stride_w", o.stride_w);
    const dh = positive(ctx, "dilation_h_factor", o.dilation_h_factor);
    const dw = positive(ctx, "dilation_w_factor", o.dilation_w_factor);
    const padding = paddingOf(ctx, o.padding);
    const ay = convAxis(ctx, "height", h, kh, sh, dh, padding);
    const ax = convAxis(ctx, "width", wd, kw, sw, dw, padding);
    const bias = optionalBias(ctx, 2, cout) ?? new Float32Array(cout);
    const [lo, hi] = activationRange(ctx, o.fused_activation_function);
    const geometry = {
      inputShape: [n, h, wd, cin] as const,
      kernelSize: [kh, kw] as const,
      strides: [sh, sw] as const,
      dilations: [dh, dw] as const,
      padding,
    };
    const bound = ctx.float.bindDepthwise(w, {
      ...geometry,
      multiplier: mult,
      bias,
      clampMin: lo,
      clampMax: hi,
      threads: ctx.threads,
    });
    return {
      outputShapes: [[n, ay.out, ax.out, cout]],
      run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array),
    };
  },
};

/** TRANSPOSE_CONV: inputs (output_shape, filter OHWI, input[, bias]). */
const transposeConv: OpKernel = {
  prepare(ctx) {
    arity(ctx, 3, 4);
    const shapeT = input(ctx, 0, "output_shape", [TensorType.INT32], 1);
    const f = input(ctx, 1, "filter", F32, 4);
    const x = input(ctx, 2, "input", F32, 4);
    output(ctx, 0, F32, 4);
    const outShape = Array.from(constant(ctx, shapeT, "output_shape") as Int32Array);
    const w = constant(ctx, f, "filter") as Float32Array;
    const o = ctx.options ?? {};
    const [n, h, wd, cin] = x.shape;
    const [cout, kh, kw, cinF] = f.shape;
    if (outShape.length !== 4 || outShape[0] !== n || outShape[3] !== cout || cinF !== cin) {
      ctx.invalid(
        `output_shape ${shapeText(outShape)}, filter ${shapeText(f.shape)} and input ${shapeText(x.shape)} disagree`,
      );
    }
    const [, oh, ow] = outShape;
    const sh = positive(ctx, "stride_h", o.stride_h), sw = positive(ctx, "stride_w", o.stride_w);
    const padding = paddingOf(ctx, o.padding);
    // The forward conv from the output back to the input decides the padding.
    const ay = convAxis(ctx, "height", oh, kh, sh, 1, padding);
    const ax = convAxis(ctx, "width", ow, kw, sw, 1, padding);
    if (ay.out !== h || ax.out !== wd) {
      ctx.invalid(`output_shape ${shapeText(outShape)} does not map back to input ${shapeText(x.shape)}`);
    }
    const bias = optionalBias(ctx, 3, cout);
    const [lo, hi] = activationRange(ctx, o.fused_activation_function);
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) => {
        const src = inputs[2] as Float32Array, dst = outputs[0] as Float32Array;
        dst.fill(0);
        for (let b = 0; b < n; b++) {
          for (let iy = 0; iy < h; iy++) {
            for (let ix = 0; ix < wd; ix++) {
              const xBase = ((b * h + iy) * wd + ix) * cin;
              for (let ky = 0; ky < kh; ky++) {
                const oy = iy * sh + ky - ay.pad;
                if (oy < 0 || oy >= oh) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ox = ix * sw + kx - ax.pad;
                  if (ox < 0 || ox >= ow) continue;
                  const oBase = ((b * oh + oy) * ow + ox) * cout;
                  for (let co = 0; co < cout; co++) {
                    let s = 0;
                    const wBase = ((co * kh + ky) * kw + kx) * cin;
                    for (let ci = 0; ci < cin; ci++) s += src[xBase + ci] * w[wBase + ci];
                    dst[oBase + co] += s;
                  }
                }
              }
            }
          }
        }
        for (let i = 0; i < dst.length; i++) {
          dst[i] = Math.min(Math.max(dst[i] + (bias ? bias[i % cout] : 0), lo), hi);
        }
      },
    };
  },
};

/** FULLY_CONNECTED: weights [Cout, K], input flattened to rows of K. */
const fullyConnected: OpKernel = {
  prepare(ctx) {
    arity(ctx, 2, 3);
    const x = input(ctx, 0, "input", F32);
    const f = input(ctx, 1, "weights", F32, 2);
    output(ctx, 0, F32);
    const w = constant(ctx, f, "weights") as Float32Array;
    const o = ctx.options ?? {};
    if (o.weights_format !== undefined && o.weights_format !== 0) ctx.unsupported("only DEFAULT weights_format");
    const [cout, depth] = f.shape;
    const total = product(x.shape);
    if (depth < 1 || total % depth !== 0) ctx.invalid(`input ${shapeText(x.shape)} is not rows of ${depth} values`);
    const rows = total / depth;
    const bias = optionalBias(ctx, 2, cout);
    const [lo, hi] = activationRange(ctx, o.fused_activation_function);
    if (o.keep_num_dims && x.shape[x.shape.length - 1] !== depth) {
      ctx.invalid(
        `keep_num_dims needs the input's last dimension (${
          x.shape[x.shape.length - 1]
        }) to equal the weights' ${depth}`,
      );
    }
    const outShape = o.keep_num_dims ? [...x.shape.slice(0, -1), cout] : [rows, cout];
    const packed = ctx.float.packRhs(w, cout);
    const bound = ctx.float.bindSgemm(packed, {
      rows,
      bias: padBias(bias ?? undefined, cout),
      clampMin: lo,
      clampMax: hi,
      threads: ctx.threads,
    });
    return {
      outputShapes: [outShape],
      packedInputs: [1, 2],
      ownedBytes: packed.data.byteLength + 4 * Math.ceil(cout / 32) * 32,
      run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array),
    };
  },
};

// ---- pooling and reductions ---------------------------------------------

function pool(kind: "max" | "avg"): OpKernel {
  return {
    prepare(ctx) {
      arity(ctx, 1, 1);
      const x = input(ctx, 0, "input", F32, 4);
      output(ctx, 0, F32, 4);
      const o = ctx.options ?? {};
      const [n, h, w, c] = x.shape;
      const sh = positive(ctx, "stride_h", o.stride_h), sw = positive(ctx, "stride_w", o.stride_w);
      const fh = positive(ctx, "filter_height", o.filter_height), fw = positive(ctx, "filter_width", o.filter_width);
      const padding = paddingOf(ctx, o.padding);
      const ay = convAxis(ctx, "height", h, fh, sh, 1, padding);
      const ax = convAxis(ctx, "width", w, fw, sw, 1, padding);
      const [lo, hi] = activationRange(ctx, o.fused_activation_function);
      const geometry = {
        inputShape: [n, h, w, c] as const,
        kernelSize: [fh, fw] as const,
        strides: [sh, sw] as const,
        padding,
      };
      const bound = ctx.float.bindPool2d({ ...geometry, kind, clampMin: lo, clampMax: hi, threads: ctx.threads });
      return {
        outputShapes: [[n, ay.out, ax.out, c]],
        run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array),
      };
    },
  };
}

/** MEAN over constant axes (keep_dims as the options say). */
const mean: OpKernel = {
  prepare(ctx) {
    arity(ctx, 2, 2);
    const x = input(ctx, 0, "input", F32);
    const a = input(ctx, 1, "axes", [TensorType.INT32]);
    output(ctx, 0, F32);
    const rank = x.shape.length;
    const axes = new Set<number>();
    for (const v of constant(ctx, a, "axes") as Int32Array) {
      if (v < -rank || v >= rank) ctx.invalid(`axis ${v} is out of range for rank ${rank}`);
      axes.add(v < 0 ? v + rank : v);
    }
    const keep = ctx.options?.keep_dims === true;
    const outShape = keep ? x.shape.map((d, i) => axes.has(i) ? 1 : d) : x.shape.filter((_, i) => !axes.has(i));
    const reduced = x.shape.map((d, i) => axes.has(i) ? 1 : d);
    const count = product(x.shape) / Math.max(1, product(reduced));
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) => {
        const src = inputs[0] as Float32Array, dst = outputs[0] as Float32Array;
        const acc = new Float64Array(dst.length);
        const idx = new Array<number>(rank).fill(0);
        for (let i = 0; i < src.length; i++) {
          let o = 0;
          for (let d = 0; d < rank; d++) o = o * reduced[d] + (axes.has(d) ? 0 : idx[d]);
          acc[o] += src[i];
          for (let d = rank - 1; d >= 0; d--) {
            if (++idx[d] < x.shape[d]) break;
            idx[d] = 0;
          }
        }
        for (let i = 0; i < dst.length; i++) dst[i] = acc[i] / count;
      },
    };
  },
};

const softmax: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 1);
    const x = input(ctx, 0, "input", F32);
    output(ctx, 0, F32);
    const beta = Number(ctx.options?.beta ?? 1);
    const depth = x.shape[x.shape.length - 1] ?? 1;
    if (depth < 1) return ctx.invalid("softmax needs a non-empty last axis");
    const bound = ctx.float.bindSoftmax(product(x.shape) / depth, depth, { beta, threads: ctx.threads });
    return {
      outputShapes: [[...x.shape]],
      run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array),
    };
  },
};

// ---- elementwise ---------------------------------------------------------

/** dst[i, j] = clamp(f(full[i, j], vec[j])) over rows of c channels. */
function rowLoop(
  full: Float32Array,
  vec: Float32Array,
  dst: Float32Array,
  c: number,
  lo: number,
  hi: number,
  f: (u: number, v: number) => number,
): void {
  for (let i = 0; i < dst.length; i += c) {
    for (let j = 0; j < c; j++) dst[i + j] = Math.min(Math.max(f(full[i + j], vec[j]), lo), hi);
  }
}

function binary(op: "add" | "sub" | "mul", fn: (a: number, b: number) => number): OpKernel {
  return {
    prepare(ctx) {
      arity(ctx, 2, 2);
      const a = input(ctx, 0, "x", F32), b = input(ctx, 1, "y", F32);
      output(ctx, 0, F32);
      let outShape: number[];
      try {
        outShape = broadcastShape(a.shape, b.shape);
      } catch (e) {
        return ctx.invalid((e as Error).message);
      }
      const rank = outShape.length;
      const sa = broadcastStrides(a.shape, outShape), sb = broadcastStrides(b.shape, outShape);
      const [lo, hi] = activationRange(ctx, ctx.options?.fused_activation_function);
      const same = product(a.shape) === product(outShape) && product(b.shape) === product(outShape);
      const bound = same
        ? ctx.float.bindElementwise(product(outShape), op, { clampMin: lo, clampMax: hi, threads: ctx.threads })
        : null;
      // A per-channel vector against a full tensor (BatchNorm as MUL + ADD): a row loop without index bookkeeping.
      const c = outShape[rank - 1] ?? 1, n = product(outShape);
      const isVector = (s: readonly number[]) => n > c && product(s) === c && s[s.length - 1] === c;
      const vectorSide = product(a.shape) === n && isVector(b.shape)
        ? 1
        : product(b.shape) === n && isVector(a.shape)
        ? 0
        : -1;
      return {
        outputShapes: [outShape],
        run: ({ inputs, outputs }) => {
          const x = inputs[0] as Float32Array, y = inputs[1] as Float32Array, dst = outputs[0] as Float32Array;
          if (bound !== null) {
            bound.run(x, y, dst);
            return;
          }
          if (vectorSide >= 0) {
            const full = vectorSide === 1 ? x : y, vec = vectorSide === 1 ? y : x;
            if (op === "mul") rowLoop(full, vec, dst, c, lo, hi, (u, v) => u * v);
            else if (op === "add") rowLoop(full, vec, dst, c, lo, hi, (u, v) => u + v);
            else if (vectorSide === 1) rowLoop(full, vec, dst, c, lo, hi, (u, v) => u - v);
            else rowLoop(full, vec, dst, c, lo, hi, (u, v) => v - u);
            return;
          }
          const idx = new Array<number>(rank).fill(0);
          let ia = 0, ib = 0;
          for (let i = 0; i < dst.length; i++) {
            dst[i] = Math.min(Math.max(fn(x[ia], y[ib]), lo), hi);
            for (let d = rank - 1; d >= 0; d--) {
              ia += sa[d];
              ib += sb[d];
              if (++idx[d] < outShape[d]) break;
              ia -= sa[d] * outShape[d];
              ib -= sb[d] * outShape[d];
              idx[d] = 0;
            }
          }
        },
      };
    },
  };
}

/** An activation op on the float kernels (native or reference), bound once at prepare. */
function unary(op: UnaryOp): OpKernel {
  return {
    prepare(ctx) {
      arity(ctx, 1, 1);
      const x = input(ctx, 0, "input", F32);
      output(ctx, 0, F32);
      const alpha = op === "leaky_relu" ? Number(ctx.options?.alpha ?? 0.2) : undefined;
      const bound = ctx.float.bindUnary(product(x.shape), op, { alpha, threads: ctx.threads });
      return {
        outputShapes: [[...x.shape]],
        run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array),
      };
    },
  };
}

// ---- shape and data movement --------------------------------------------

/** RESHAPE / SQUEEZE: the file's declared output shape, same element count; data copied. */
const reshape: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 2);
    const x = input(ctx, 0, "input", [TensorType.FLOAT32, TensorType.INT32, TensorType.INT8]);
    const y = output(ctx, 0, [x.type]);
    if (product(y.shape) !== product(x.shape)) {
      ctx.invalid(`cannot reshape ${shapeText(x.shape)} (${product(x.shape)} values) to ${shapeText(y.shape)}`);
    }
    return {
      outputShapes: [[...y.shape]],
      run: ({ inputs, outputs }) => (outputs[0] as Float32Array).set(inputs[0] as Float32Array),
    };
  },
};

const concatenation: OpKernel = {
  prepare(ctx) {
    if (ctx.inputs.length < 1) ctx.invalid("needs at least one input");
    arity(ctx, 1, ctx.inputs.length);
    const xs = ctx.inputs.map((_, i) => input(ctx, i, `value ${i}`, F32));
    output(ctx, 0, F32);
    const rank = xs[0].shape.length;
    let axis = Number(ctx.options?.axis ?? 0);
    if (axis < -rank || axis >= rank) ctx.invalid(`axis ${axis} is out of range for rank ${rank}`);
    if (axis < 0) axis += rank;
    for (const t of xs) {
      if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== xs[0].shape[i])) {
        ctx.invalid(
          `input "${t.name}" ${shapeText(t.shape)} does not match ${shapeText(xs[0].shape)} off axis ${axis}`,
        );
      }
    }
    const outShape = [...xs[0].shape];
    outShape[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
    const outer = product(outShape.slice(0, axis));
    const inner = product(outShape.slice(axis + 1));
    const [lo, hi] = activationRange(ctx, ctx.options?.fused_activation_function);
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) => {
        const dst = outputs[0] as Float32Array;
        let o = 0;
        for (let r = 0; r < outer; r++) {
          for (let i = 0; i < xs.length; i++) {
            const len = xs[i].shape[axis] * inner;
            dst.set((inputs[i] as Float32Array).subarray(r * len, (r + 1) * len), o);
            o += len;
          }
        }
        clampAll(dst, lo, hi);
      },
    };
  },
};

/** PAD / PADV2: constant padding (value 0, or PADV2's scalar). */
const pad: OpKernel = {
  prepare(ctx) {
    arity(ctx, 2, 3);
    const x = input(ctx, 0, "input", F32);
    const p = input(ctx, 1, "paddings", [TensorType.INT32], 2);
    output(ctx, 0, F32);
    const rank = x.shape.length;
    const pads = constant(ctx, p, "paddings") as Int32Array;
    if (p.shape[0] !== rank || p.shape[1] !== 2) ctx.invalid(`paddings ${shapeText(p.shape)} must be [${rank}, 2]`);
    if (pads.some((v) => v < 0 || v > 1 << 20)) ctx.invalid("paddings must be in [0, 2^20]");
    let value = 0;
    if (ctx.inputs.length === 3 && ctx.inputs[2] !== null) {
      const v = input(ctx, 2, "constant_values", F32);
      value = (constant(ctx, v, "constant_values") as Float32Array)[0] ?? 0;
    }
    const outShape = x.shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]);
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) => {
        const src = inputs[0] as Float32Array, dst = outputs[0] as Float32Array;
        dst.fill(value);
        const idx = new Array<number>(rank).fill(0);
        for (let i = 0; i < src.length; i++) {
          let o = 0;
          for (let d = 0; d < rank; d++) o = o * outShape[d] + idx[d] + pads[2 * d];
          dst[o] = src[i];
          for (let d = rank - 1; d >= 0; d--) {
            if (++idx[d] < x.shape[d]) break;
            idx[d] = 0;
          }
        }
      },
    };
  },
};

/** DEQUANTIZE (int8/uint8 with scale and zero point, or float16) and QUANTIZE (float to int8/uint8). */
const dequantize: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 1);
    const x = input(ctx, 0, "input", [TensorType.INT8, TensorType.UINT8, TensorType.FLOAT16]);
    output(ctx, 0, F32);
    if (x.type === TensorType.FLOAT16) {
      return {
        outputShapes: [[...x.shape]],
        run: ({ inputs, outputs }) => {
          const src = inputs[0] as Int16Array, dst = outputs[0] as Float32Array;
          for (let i = 0; i < dst.length; i++) dst[i] = halfToFloat(src[i] & 0xffff);
        },
      };
    }
    if (x.scale.length !== 1) ctx.unsupported("only per-tensor quantization parameters");
    const scale = x.scale[0], zp = x.zeroPoint[0] ?? 0;
    return {
      outputShapes: [[...x.shape]],
      run: ({ inputs, outputs }) => {
        const src = inputs[0] as Int8Array, dst = outputs[0] as Float32Array;
        for (let i = 0; i < dst.length; i++) dst[i] = (src[i] - zp) * scale;
      },
    };
  },
};

const quantize: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 1);
    const x = input(ctx, 0, "input", F32);
    const y = output(ctx, 0, [TensorType.INT8, TensorType.UINT8]);
    if (y.scale.length !== 1 || !(y.scale[0] > 0)) {
      ctx.unsupported("only per-tensor quantization with a positive scale");
    }
    const scale = y.scale[0], zp = y.zeroPoint[0] ?? 0;
    const [lo, hi] = y.type === TensorType.INT8 ? [-128, 127] : [0, 255];
    return {
      outputShapes: [[...x.shape]],
      run: ({ inputs, outputs }) => {
        const src = inputs[0] as Float32Array, dst = outputs[0] as Int8Array;
        for (let i = 0; i < src.length; i++) dst[i] = Math.min(Math.max(roundHalfAway(src[i] / scale) + zp, lo), hi);
      },
    };
  },
};

/** std::round, as TFLite's quantize kernel: halves away from zero. */
function roundHalfAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Builtin kernels by BuiltinOperator code. */
export const BUILTIN_KERNELS: ReadonlyMap<number, OpKernel> = new Map<number, OpKernel>([
  [Builtin.CONV_2D, conv2d],
  [Builtin.DEPTHWISE_CONV_2D, depthwiseConv2d],
  [Builtin.TRANSPOSE_CONV, transposeConv],
  [Builtin.FULLY_CONNECTED, fullyConnected],
  [Builtin.MAX_POOL_2D, pool("max")],
  [Builtin.AVERAGE_POOL_2D, pool("avg")],
  [Builtin.MEAN, mean],
  [Builtin.SOFTMAX, softmax],
  [Builtin.ADD, binary("add", (a, b) => a + b)],
  [Builtin.SUB, binary("sub", (a, b) => a - b)],
  [Builtin.MUL, binary("mul", (a, b) => a * b)],
  [Builtin.RELU, unary("relu")],
  [Builtin.RELU6, unary("relu6")],
  [Builtin.RELU_N1_TO_1, unary("relu_n1_to_1")],
  [Builtin.LOGISTIC, unary("logistic")],
  [Builtin.TANH, unary("tanh")],
  [Builtin.HARD_SWISH, unary("hard_swish")],
  [Builtin.LEAKY_RELU, unary("leaky_relu")],
  [Builtin.RESHAPE, reshape],
  [Builtin.SQUEEZE, reshape],
  [Builtin.CONCATENATION, concatenation],
  [Builtin.PAD, pad],
  [Builtin.PADV2, pad],
  [Builtin.DEQUANTIZE, dequantize],
  [Builtin.QUANTIZE, quantize],
]);

export type { PreparedOp, TensorData, TensorInfo };
