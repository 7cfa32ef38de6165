/**
 * TFLite builtin float ops that converted larq / zoo models use, as
 * pure-TS kernels with TFLite's semantics (TF SAME/VALID padding, average
 * pooling over the valid taps only, fused activations after the bias).
 * @module
 */
import { Builtin, TensorType } from "../../tflite/schema.ts";
import {
  type BoundFloatOp,
  contiguousStrides,
  ELEMENTWISE_OPS,
  type ElementwiseOp,
  type FloatKernels,
  padBias,
  type PoolKind,
  type ResizeMethod,
  type StridedOp,
  type StridedView,
  type UnaryOp,
} from "../../kernels/float_kernels.ts";
import { broadcastShape, broadcastStrides } from "../../kernels/_shape.ts";
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
    const groups = cin / cinG;
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
    return groupedConv2d(ctx, w, bias, { n, h, wd, cin, cout, kh, kw, cinG, sh, sw, dh, dw, padding, ay, ax, lo, hi });
  },
};

/**
 * CONV_2D with groups: per group, the group's input channels are gathered (strided copy), convolved, and scattered
 * into the output's channel slice, all on the float kernels. A function of its own so that the filter and bias
 * (views of the file's bytes) are not in the scope of any run closure.
 */
function groupedConv2d(
  ctx: OpContext,
  w: Float32Array,
  bias: Float32Array | null,
  p: {
    n: number;
    h: number;
    wd: number;
    cin: number;
    cout: number;
    kh: number;
    kw: number;
    cinG: number;
    sh: number;
    sw: number;
    dh: number;
    dw: number;
    padding: "same" | "valid";
    ay: { out: number };
    ax: { out: number };
    lo: number;
    hi: number;
  },
): PreparedOp {
  const { n, h, wd, cin, cout, kh, kw, cinG, sh, sw, dh, dw, padding, ay, ax, lo, hi } = p;
  const groups = cin / cinG, coutG = cout / groups;
  const pixels = n * ay.out * ax.out;
  const sliceIn = [n, h, wd, cinG], sliceOut = [n, ay.out, ax.out, coutG];
  // A loop, not a callback: a closure reading w would keep it (and the file it views) in the run closure's scope.
  const groupsBound: {
    conv: BoundFloatOp;
    gather: ReturnType<FloatKernels["bindStrided"]>;
    scatter: ReturnType<FloatKernels["bindStrided"]>;
    bytes: number;
  }[] = [];
  for (let g = 0; g < groups; g++) {
    const packed = ctx.float.packRhs(w.subarray(g * coutG * kh * kw * cinG, (g + 1) * coutG * kh * kw * cinG), coutG);
    const conv = ctx.float.bindConv2d(packed, {
      inputShape: [n, h, wd, cinG],
      kernelSize: [kh, kw],
      strides: [sh, sw],
      dilations: [dh, dw],
      padding,
      bias: padBias(bias?.subarray(g * coutG, (g + 1) * coutG), coutG),
      clampMin: lo,
      clampMax: hi,
      threads: ctx.threads,
    });
    const gather = ctx.float.bindStrided(sliceIn, "copy", {
      a: { length: n * h * wd * cin, offset: g * cinG, strides: [h * wd * cin, wd * cin, cin, 1] },
      out: { length: product(sliceIn), strides: contiguousStrides(sliceIn) },
    }, { threads: ctx.threads });
    const scatter = ctx.float.bindStrided(sliceOut, "copy", {
      a: { length: pixels * coutG, strides: contiguousStrides(sliceOut) },
      out: { length: pixels * cout, offset: g * coutG, strides: [ay.out * ax.out * cout, ax.out * cout, cout, 1] },
    }, { threads: ctx.threads });
    groupsBound.push({ conv, gather, scatter, bytes: packed.data.byteLength });
  }
  const xFloats = product(sliceIn), yFloats = pixels * coutG;
  const wsFloats = Math.max(1, groupsBound[0].conv.workspaceFloats);
  return {
    outputShapes: [[n, ay.out, ax.out, cout]],
    scratchBytes: 4 * (xFloats + yFloats + wsFloats),
    packedInputs: [1, 2],
    ownedBytes: groupsBound.reduce((s, b) => s + b.bytes + 4 * Math.ceil(coutG / 32) * 32, 0),
    run: ({ inputs, outputs, scratch }) => {
      const xs = new Float32Array(scratch, 0, xFloats), ys = new Float32Array(scratch, 4 * xFloats, yFloats);
      const ws = new Float32Array(scratch, 4 * (xFloats + yFloats), wsFloats);
      const src = inputs[0] as Float32Array, dst = outputs[0] as Float32Array;
      for (const b of groupsBound) {
        b.gather.run(src, undefined, xs);
        b.conv.run(xs, ys, ws);
        b.scatter.run(ys, undefined, dst);
      }
    },
  };
}

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
    // SGEMM: every input pixel times the filter gives its KH·KW·Cout taps (rows (ky, kx, co) of Cin weights);
    // col2im then sums the taps into the output, adds the bias and clamps.
    const taps = new Float32Array(w.length);
    for (let co = 0; co < cout; co++) {
      for (let k = 0; k < kh * kw; k++) {
        taps.set(w.subarray((co * kh * kw + k) * cin, (co * kh * kw + k + 1) * cin), (k * cout + co) * cin);
      }
    }
    const packed = ctx.float.packRhs(taps, kh * kw * cout);
    const rows = n * h * wd;
    const gemm = ctx.float.bindSgemm(packed, { rows, threads: ctx.threads });
    const col2im = ctx.float.bindCol2im({
      imageShape: [n, oh, ow, cout],
      colsSize: [h, wd],
      kernelSize: [kh, kw],
      strides: [sh, sw],
      pads: [ay.pad, ax.pad],
      bias: bias ?? undefined,
      clampMin: lo,
      clampMax: hi,
      threads: ctx.threads,
    });
    return {
      outputShapes: [outShape],
      scratchBytes: 4 * col2im.colsLength,
      packedInputs: [1, 3],
      ownedBytes: packed.data.byteLength + 4 * cout,
      run: ({ inputs, outputs, scratch }) => {
        const cols = new Float32Array(scratch, 0, col2im.colsLength);
        gemm.run(inputs[2] as Float32Array, cols);
        col2im.run(cols, outputs[0] as Float32Array);
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

function pool(kind: PoolKind): OpKernel {
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
    let bound;
    try {
      bound = ctx.float.bindMean(x.shape, [...axes], { threads: ctx.threads });
    } catch (e) {
      return ctx.unsupported((e as Error).message);
    }
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array),
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

/** ADD, SUB, MUL, MAXIMUM, MINIMUM, PRELU (alpha as y), ...: a two-operand strided op, broadcasting as TFLite. */
function binary(op: Exclude<StridedOp, "copy">): OpKernel {
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
      const [lo, hi] = activationRange(ctx, ctx.options?.fused_activation_function);
      const n = product(outShape), clamp = { clampMin: lo, clampMax: hi, threads: ctx.threads };
      if (isElementwise(op) && product(a.shape) === n && product(b.shape) === n) {
        const same = ctx.float.bindElementwise(n, op, clamp);
        return {
          outputShapes: [outShape],
          run: ({ inputs, outputs }) =>
            same.run(inputs[0] as Float32Array, inputs[1] as Float32Array, outputs[0] as Float32Array),
        };
      }
      // Broadcasting (a per-channel vector: BatchNorm as MUL + ADD; any other pattern) and MAXIMUM / MINIMUM /
      // PRELU: zero strides.
      let bound;
      try {
        bound = ctx.float.bindStrided(outShape, op, {
          a: { length: product(a.shape), strides: broadcastStrides(a.shape, outShape) },
          b: { length: product(b.shape), strides: broadcastStrides(b.shape, outShape) },
          out: { length: n, strides: contiguousStrides(outShape) },
        }, clamp);
      } catch (e) {
        return ctx.unsupported((e as Error).message);
      }
      return {
        outputShapes: [outShape],
        run: ({ inputs, outputs }) =>
          bound.run(inputs[0] as Float32Array, inputs[1] as Float32Array, outputs[0] as Float32Array),
      };
    },
  };
}

function isElementwise(op: string): op is ElementwiseOp {
  return (ELEMENTWISE_OPS as readonly string[]).includes(op);
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
    // Each input is [outer, its axis·inner], copied into its column range of the output's [outer, axis·inner].
    const row = outShape[axis] * inner;
    let start = 0;
    const copies = xs.map((t) => {
      const len = t.shape[axis] * inner;
      const copy = ctx.float.bindStrided([outer, len], "copy", {
        a: { length: outer * len, strides: [len, 1] },
        out: { length: outer * row, offset: start, strides: [row, 1] },
      }, { clampMin: lo, clampMax: hi, threads: ctx.threads });
      start += len;
      return copy;
    });
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) => {
        const dst = outputs[0] as Float32Array;
        copies.forEach((c, i) => c.run(inputs[i] as Float32Array, undefined, dst));
      },
    };
  },
};

/** SPLIT (inputs: a constant axis, the value) into `num_splits` equal parts along the axis: CONCATENATION undone. */
const split: OpKernel = {
  prepare(ctx) {
    const parts = Number(ctx.options?.num_splits ?? 0);
    if (!Number.isInteger(parts) || parts < 1) ctx.invalid(`num_splits must be a positive integer, got ${parts}`);
    arity(ctx, 2, 2, parts);
    const axisData = constant(ctx, input(ctx, 0, "axis", [TensorType.INT32]), "axis");
    const x = input(ctx, 1, "value", F32);
    ctx.outputs.forEach((_, k) => output(ctx, k, F32));
    const rank = x.shape.length;
    if (axisData.length !== 1) ctx.invalid(`axis has ${axisData.length} values, expected 1`);
    let axis = Number(axisData[0]);
    if (axis < -rank || axis >= rank) ctx.invalid(`axis ${axis} is out of range for rank ${rank}`);
    if (axis < 0) axis += rank;
    if (x.shape[axis] % parts !== 0) {
      ctx.invalid(`dim ${axis} of ${shapeText(x.shape)} does not split into ${parts} equal parts`);
    }
    const outShape = x.shape.map((d, i) => i === axis ? d / parts : d);
    // The input as [outer, axis·inner]; part k is its column range [k·len, (k+1)·len).
    const outer = product(x.shape.slice(0, axis)), inner = product(x.shape.slice(axis + 1));
    const row = x.shape[axis] * inner, len = outShape[axis] * inner;
    const copies = Array.from({ length: parts }, (_, k) =>
      ctx.float.bindStrided([outer, len], "copy", {
        a: { length: outer * row, offset: outer * len === 0 ? 0 : k * len, strides: [row, 1] },
        out: { length: outer * len, strides: [len, 1] },
      }, { threads: ctx.threads }));
    return {
      outputShapes: copies.map(() => outShape),
      run: ({ inputs, outputs }) => {
        copies.forEach((c, k) => c.run(inputs[1] as Float32Array, undefined, outputs[k] as Float32Array));
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
    const os = contiguousStrides(outShape);
    const a = { length: product(x.shape), strides: contiguousStrides(x.shape) };
    const out = { length: product(outShape), offset: os.reduce((s, st, d) => s + st * pads[2 * d], 0), strides: os };
    return copyOp(ctx, [...x.shape], a, outShape, { out, fill: value });
  },
};

/** TRANSPOSE with a constant perm: a strided copy that reads the input through permuted strides. */
const transpose: OpKernel = {
  prepare(ctx) {
    arity(ctx, 2, 2);
    const x = input(ctx, 0, "input", F32);
    const p = input(ctx, 1, "perm", [TensorType.INT32], 1);
    output(ctx, 0, F32);
    const rank = x.shape.length;
    const perm = Array.from(constant(ctx, p, "perm") as Int32Array);
    if (perm.length !== rank || perm.some((d, i) => d < 0 || d >= rank || perm.indexOf(d) !== i)) {
      ctx.invalid(`perm [${perm}] is not a permutation of the input's ${rank} dims`);
    }
    const xs = contiguousStrides(x.shape);
    const outShape = perm.map((d) => x.shape[d]);
    return copyOp(ctx, outShape, { length: product(x.shape), strides: perm.map((d) => xs[d]) }, outShape);
  },
};

/**
 * An op that is one strided copy of its input: `shape` walked, `a` read, written contiguously or through `out`
 * (PAD's interior, after filling the output with `fill`). See FloatKernels.bindStrided.
 */
function copyOp(
  ctx: OpContext,
  shape: number[],
  a: StridedView,
  outShape: number[],
  options: { out?: StridedView; fill?: number } = {},
): PreparedOp {
  let copy;
  try {
    const out = options.out ?? { length: product(shape), strides: contiguousStrides(shape) };
    copy = ctx.float.bindStrided(shape, "copy", { a, out }, { threads: ctx.threads });
  } catch (e) {
    return ctx.unsupported((e as Error).message);
  }
  const fill = options.fill;
  return {
    outputShapes: [outShape],
    run: ({ inputs, outputs }) => {
      const dst = outputs[0] as Float32Array;
      if (fill !== undefined) dst.fill(fill);
      copy.run(inputs[0] as Float32Array, undefined, dst);
    },
  };
}

/** Where STRIDED_SLICE starts or stops on one dim: TFLite's StartForAxis / StopForAxis (mask, negative index, clamp). */
function sliceBound(index: number, masked: boolean, step: number, size: number, isStart: boolean): number {
  let v = masked ? (step > 0) === isStart ? -Infinity : Infinity : index;
  if (v < 0) v += size;
  return step > 0 ? Math.min(Math.max(v, 0), size) : Math.min(Math.max(v, -1), size - 1);
}

/** Inputs 1, 2, … (named `names`): constant integer vectors of one value per dim of a rank-`rank` input. */
function perDim(ctx: OpContext, names: readonly string[], rank: number, types: number[]): number[][] {
  return names.map((what, i) => {
    const t = input(ctx, i + 1, what, types, 1);
    const v = Array.from(constant(ctx, t, what) as Int32Array | BigInt64Array, Number);
    if (v.length !== rank) ctx.invalid(`${what} has ${v.length} values for an input of rank ${rank}`);
    return v;
  });
}

/** STRIDED_SLICE with constant begin / end / strides: a strided gather (negative strides read backwards). */
const stridedSlice: OpKernel = {
  prepare(ctx) {
    arity(ctx, 4, 4);
    const x = input(ctx, 0, "input", F32);
    output(ctx, 0, F32);
    const rank = x.shape.length;
    const [begin, end, strides] = perDim(ctx, ["begin", "end", "strides"], rank, [TensorType.INT32]);
    const o = ctx.options ?? {};
    for (const name of ["ellipsis_mask", "new_axis_mask"]) {
      if (Number(o[name] ?? 0) !== 0) {
        ctx.unsupported(`${name} is not supported (begin_mask, end_mask, shrink_axis_mask are)`);
      }
    }
    if (o.offset === true) ctx.unsupported("offset is not supported (begin_mask, end_mask, shrink_axis_mask are)");
    const bit = (mask: unknown, d: number) => ((Number(mask ?? 0) >> d) & 1) === 1;
    const xs = contiguousStrides(x.shape), shape: number[] = [], outShape: number[] = [], starts: number[] = [];
    for (let d = 0; d < rank; d++) {
      const size = x.shape[d], step = strides[d], shrink = bit(o.shrink_axis_mask, d);
      if (step === 0) ctx.invalid(`strides[${d}] is 0`);
      const start = size === 0 ? 0 : sliceBound(begin[d], bit(o.begin_mask, d), step, size, true);
      const stop = size === 0 ? 0 : shrink ? start + 1 : sliceBound(end[d], bit(o.end_mask, d), step, size, false);
      const n = Math.max(0, Math.ceil((stop - start) / step));
      if (shrink && (n !== 1 || start < 0 || start >= size)) {
        ctx.invalid(`shrink_axis_mask: begin[${d}] = ${begin[d]} selects no element of dim ${d} (size ${size})`);
      }
      shape.push(n);
      starts.push(start);
      if (!shrink) outShape.push(n);
    }
    const empty = shape.includes(0);
    const offset = empty ? 0 : starts.reduce((sum, v, d) => sum + v * xs[d], 0);
    return copyOp(
      ctx,
      shape,
      { length: product(x.shape), offset, strides: strides.map((st, d) => st * xs[d]) },
      outShape,
    );
  },
};

/** SLICE with constant begin and size (size -1: to the end of the dim): a strided copy. */
const slice: OpKernel = {
  prepare(ctx) {
    arity(ctx, 3, 3);
    const x = input(ctx, 0, "input", F32);
    output(ctx, 0, F32);
    const rank = x.shape.length;
    const [begin, size] = perDim(ctx, ["begin", "size"], rank, [TensorType.INT32, TensorType.INT64]);
    const shape = x.shape.map((dim, d) => {
      const n = size[d] === -1 ? dim - begin[d] : size[d];
      if (begin[d] < 0 || n < 0 || begin[d] + n > dim) {
        ctx.invalid(`begin[${d}] = ${begin[d]}, size[${d}] = ${size[d]} is outside dim ${d} (size ${dim})`);
      }
      return n;
    });
    const xs = contiguousStrides(x.shape);
    const offset = shape.includes(0) ? 0 : begin.reduce((sum, b, d) => sum + b * xs[d], 0);
    return copyOp(ctx, shape, { length: product(x.shape), offset, strides: xs }, shape);
  },
};

/**
 * DEPTH_TO_SPACE (TFLite's DCR order: channel (i·block + j)·C + c goes to pixel offset (i, j)) and SPACE_TO_DEPTH,
 * its inverse, NHWC: a strided copy over [N, H, block, W, block, C] of the spatial side.
 */
function blockShuffle(toSpace: boolean): OpKernel {
  return {
    prepare(ctx) {
      arity(ctx, 1, 1);
      const x = input(ctx, 0, "input", F32, 4);
      output(ctx, 0, F32, 4);
      const bs = Number(ctx.options?.block_size ?? 0);
      if (!Number.isInteger(bs) || bs < 1) ctx.invalid(`block_size must be a positive integer, got ${bs}`);
      const [n, h, w, c] = x.shape;
      if (toSpace ? c % (bs * bs) !== 0 : h % bs !== 0 || w % bs !== 0) {
        ctx.invalid(`input ${shapeText(x.shape)} does not divide into blocks of ${bs}×${bs}`);
      }
      // The spatial side [n, H, bs, W, bs, C] (contiguous) and the depth side [n, H, W, bs, bs, C] in its order.
      const [sh, sw, sc] = toSpace ? [h, w, c / (bs * bs)] : [h / bs, w / bs, c];
      const shape = [n, sh, bs, sw, bs, sc];
      const space = contiguousStrides(shape);
      const depth = [sh * sw * bs * bs * sc, sw * bs * bs * sc, bs * sc, bs * bs * sc, sc, 1];
      const [src, dst] = toSpace ? [depth, space] : [space, depth];
      const outShape = toSpace ? [n, h * bs, w * bs, sc] : [n, sh, sw, bs * bs * c];
      return copyOp(ctx, shape, { length: product(x.shape), strides: src }, outShape, {
        out: { length: product(x.shape), strides: dst },
      });
    },
  };
}

/** RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR to a constant size, with align_corners / half_pixel_centers. */
function resize(method: ResizeMethod): OpKernel {
  return {
    prepare(ctx) {
      arity(ctx, 2, 2);
      const x = input(ctx, 0, "input", F32, 4);
      const s = input(ctx, 1, "size", [TensorType.INT32], 1);
      output(ctx, 0, F32, 4);
      const size = Array.from(constant(ctx, s, "size") as Int32Array);
      if (size.length !== 2 || size.some((v) => v < 1 || v > 1 << 20)) {
        ctx.invalid(`size [${size}] must be 2 values in [1, 2^20]`);
      }
      const alignCorners = ctx.options?.align_corners === true;
      const halfPixelCenters = ctx.options?.half_pixel_centers === true;
      if (alignCorners && halfPixelCenters) ctx.invalid("align_corners and half_pixel_centers cannot both be set");
      const [n, h, w, c] = x.shape;
      if (h < 1 || w < 1) ctx.invalid(`input ${shapeText(x.shape)} has no pixels to resize`);
      let bound;
      try {
        bound = ctx.float.bindResize(x.shape, size, { method, alignCorners, halfPixelCenters, threads: ctx.threads });
      } catch (e) {
        return ctx.invalid((e as Error).message);
      }
      return {
        outputShapes: [[n, size[0], size[1], c]],
        run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Float32Array),
      };
    },
  };
}

/** DEQUANTIZE (int8/uint8 with scale and zero point, or float16) and QUANTIZE (float to int8/uint8). */
const dequantize: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 1);
    const x = input(ctx, 0, "input", [TensorType.INT8, TensorType.UINT8, TensorType.FLOAT16]);
    output(ctx, 0, F32);
    const count = product(x.shape);
    if (x.type === TensorType.FLOAT16) {
      const bound = ctx.float.bindDequantize(count, "float16", 1, 0, { threads: ctx.threads });
      return {
        outputShapes: [[...x.shape]],
        run: ({ inputs, outputs }) => {
          const h = inputs[0] as Int16Array;
          bound.run(new Uint16Array(h.buffer, h.byteOffset, h.length), outputs[0] as Float32Array);
        },
      };
    }
    if (x.scale.length !== 1) ctx.unsupported("only per-tensor quantization parameters");
    const from = x.type === TensorType.INT8 ? "int8" : "uint8";
    let bound;
    try {
      bound = ctx.float.bindDequantize(count, from, x.scale[0], x.zeroPoint[0] ?? 0, { threads: ctx.threads });
    } catch (e) {
      return ctx.invalid((e as Error).message);
    }
    return {
      outputShapes: [[...x.shape]],
      run: ({ inputs, outputs }) => bound.run(inputs[0] as Int8Array | Uint8Array, outputs[0] as Float32Array),
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
    const to = y.type === TensorType.INT8 ? "int8" : "uint8";
    let bound;
    try {
      bound = ctx.float.bindQuantize(product(x.shape), to, y.scale[0], y.zeroPoint[0] ?? 0, { threads: ctx.threads });
    } catch (e) {
      return ctx.invalid((e as Error).message);
    }
    return {
      outputShapes: [[...x.shape]],
      run: ({ inputs, outputs }) => bound.run(inputs[0] as Float32Array, outputs[0] as Int8Array | Uint8Array),
    };
  },
};

/** The builtin kernels by BuiltinOperator code (the registry's builtins; a new builtin adds its line here). */
export const BUILTIN_KERNELS: ReadonlyMap<number, OpKernel> = new Map<number, OpKernel>([
  [Builtin.CONV_2D, conv2d],
  [Builtin.DEPTHWISE_CONV_2D, depthwiseConv2d],
  [Builtin.TRANSPOSE_CONV, transposeConv],
  [Builtin.FULLY_CONNECTED, fullyConnected],
  [Builtin.MAX_POOL_2D, pool("max")],
  [Builtin.AVERAGE_POOL_2D, pool("avg")],
  [Builtin.MEAN, mean],
  [Builtin.SOFTMAX, softmax],
  [Builtin.ADD, binary("add")],
  [Builtin.SUB, binary("sub")],
  [Builtin.MUL, binary("mul")],
  [Builtin.MAXIMUM, binary("max")],
  [Builtin.MINIMUM, binary("min")],
  [Builtin.PRELU, binary("prelu")],
  [Builtin.DIV, binary("div")],
  [Builtin.SQUARED_DIFFERENCE, binary("squared_difference")],
  [Builtin.RELU, unary("relu")],
  [Builtin.RELU6, unary("relu6")],
  [Builtin.RELU_N1_TO_1, unary("relu_n1_to_1")],
  [Builtin.LOGISTIC, unary("logistic")],
  [Builtin.TANH, unary("tanh")],
  [Builtin.HARD_SWISH, unary("hard_swish")],
  [Builtin.LEAKY_RELU, unary("leaky_relu")],
  [Builtin.ABS, unary("abs")],
  [Builtin.NEG, unary("neg")],
  [Builtin.SQUARE, unary("square")],
  [Builtin.SQRT, unary("sqrt")],
  [Builtin.RSQRT, unary("rsqrt")],
  [Builtin.EXP, unary("exp")],
  [Builtin.LOG, unary("log")],
  [Builtin.RESHAPE, reshape],
  [Builtin.SQUEEZE, reshape],
  [Builtin.CONCATENATION, concatenation],
  [Builtin.SPLIT, split],
  [Builtin.PAD, pad],
  [Builtin.PADV2, pad],
  [Builtin.TRANSPOSE, transpose],
  [Builtin.STRIDED_SLICE, stridedSlice],
  [Builtin.SLICE, slice],
  [Builtin.DEPTH_TO_SPACE, blockShuffle(true)],
  [Builtin.SPACE_TO_DEPTH, blockShuffle(false)],
  [Builtin.RESIZE_BILINEAR, resize("bilinear")],
  [Builtin.RESIZE_NEAREST_NEIGHBOR, resize("nearest")],
  [Builtin.DEQUANTIZE, dequantize],
  [Builtin.QUANTIZE, quantize],
]);

export type { PreparedOp, TensorData, TensorInfo };
