/**
 * Larq Compute Engine's custom ops: LceQuantize, LceDequantize, LceBconv2d,
 * LceBMaxPool2d (semantics: lce-compat.md in the project's shared docs). Binary
 * convolutions run on {@link BinaryKernels} (native or reference); grouped
 * convolutions and same-zero padding add a TS epilogue around them.
 * @module
 */
import { TensorType } from "../../tflite/schema.ts";
import type { BoundConv, ConvGeometry, PackedRhs } from "../../kernels/binary_kernels.ts";
import { wordsFor } from "../../kernels/reference_kernels.ts";
import type { OpContext, OpKernel, PreparedOp, TensorData } from "./_types.ts";
import { activationRange, arity, constant, convAxis, input, output, paddingOf, shapeText } from "./_util.ts";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const u32Views = new WeakMap<TensorData, Uint32Array>();

/** The same memory as 32-bit words (bitpacked tensors are INT32 in the file). */
export function asWords(t: TensorData): Uint32Array {
  let v = u32Views.get(t);
  if (v === undefined) {
    v = new Uint32Array(t.buffer, t.byteOffset, t.byteLength >>> 2);
    u32Views.set(t, v);
  }
  return v;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** An integer option of a custom op's FlexBuffer map. */
function intOption(ctx: OpContext, name: string, min: number, max: number): number {
  const v = ctx.custom?.[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    ctx.invalid(
      `custom option ${name} is ${v === undefined ? "missing" : String(v)}, expected an integer in [${min}, ${max}]`,
    );
  }
  return v;
}

export const lceQuantize: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 1);
    const x = input(ctx, 0, "input", [TensorType.FLOAT32, TensorType.INT8]);
    output(ctx, 0, [TensorType.INT32], x.shape.length);
    if (x.shape.length === 0) ctx.invalid("input must have at least one dimension (the channels)");
    const channels = x.shape[x.shape.length - 1];
    if (channels < 1) ctx.invalid(`input "${x.name}" has ${channels} channels`);
    const outShape = [...x.shape.slice(0, -1), wordsFor(channels)];
    if (x.type === TensorType.FLOAT32) {
      return {
        outputShapes: [outShape],
        run: ({ inputs, outputs }) => {
          ctx.kernels.bitpack(inputs[0] as Float32Array, channels, { out: asWords(outputs[0]), threads: ctx.threads });
        },
      };
    }
    const zeroPoint = x.zeroPoint[0] ?? 0;
    if (!Number.isInteger(zeroPoint) || zeroPoint < -128 || zeroPoint > 127) {
      ctx.invalid(`input "${x.name}" has zero point ${zeroPoint}, outside int8`);
    }
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) =>
        ctx.kernels.bitpackInt8(inputs[0] as Int8Array, channels, zeroPoint, {
          out: asWords(outputs[0]),
          threads: ctx.threads,
        }),
    };
  },
};

export const lceDequantize: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 1);
    const x = input(ctx, 0, "input", [TensorType.INT32]);
    const y = output(ctx, 0, [TensorType.FLOAT32], x.shape.length);
    if (x.shape.length === 0) ctx.invalid("input must have at least one dimension");
    const channels = y.shape[y.shape.length - 1];
    const outShape = [...x.shape.slice(0, -1), channels];
    if (channels < 1 || wordsFor(channels) !== x.shape[x.shape.length - 1]) {
      ctx.invalid(`output "${y.name}" ${shapeText(y.shape)} does not unpack input ${shapeText(x.shape)}`);
    }
    const rows = outShape.slice(0, -1).reduce((a, b) => a * b, 1);
    const bound = ctx.kernels.bindUnpack(rows, channels);
    return {
      outputShapes: [outShape],
      run: ({ inputs, outputs }) => bound.run(asWords(inputs[0]!), outputs[0] as Float32Array),
    };
  },
};

export const lceBmaxpool2d: OpKernel = {
  prepare(ctx) {
    arity(ctx, 1, 1);
    const x = input(ctx, 0, "input", [TensorType.INT32], 4);
    output(ctx, 0, [TensorType.INT32], 4);
    const padding = paddingOf(ctx, ctx.custom?.padding);
    const sh = intOption(ctx, "stride_height", 1, 1 << 16);
    const sw = intOption(ctx, "stride_width", 1, 1 << 16);
    const fh = intOption(ctx, "filter_height", 1, 1 << 16);
    const fw = intOption(ctx, "filter_width", 1, 1 << 16);
    const [n, h, w, words] = x.shape;
    const ay = convAxis(ctx, "height", h, fh, sh, 1, padding);
    const ax = convAxis(ctx, "width", w, fw, sw, 1, padding);
    const bound = ctx.kernels.bindBMaxPool2d({
      inputShape: [n, h, w, words],
      kernelSize: [fh, fw],
      strides: [sh, sw],
      padding,
      threads: ctx.threads,
    });
    return {
      outputShapes: [[n, ay.out, ax.out, words]],
      // max of ±1 = +1 unless every tap is -1: the AND of the sign bits (native or reference kernel).
      run: ({ inputs, outputs }) => bound.run(asWords(inputs[0]!), asWords(outputs[0])),
    };
  },
};

/**
 * LceBconv2d. Fast path: one kernel call writing the output directly
 * (groups = 1, padding VALID or same-one). Otherwise per group: the raw ±1
 * dot product into scratch, the same-zero border correction (each
 * out-of-bounds tap read +1 words, but should contribute 0), then the
 * output transform in TS.
 */
export const lceBconv2d: OpKernel = { prepare: (ctx) => prepareBconv(ctx, false) };

/** A same-zero border's float correction: each border pixel's ±1 correction times its channel's multiplier. */
function borderFix(corrections: Int32Array, multiplier: Float32Array, channels: number): Float32Array {
  const fix = new Float32Array(corrections.length);
  for (let i = 0; i < fix.length; i++) fix[i] = multiplier[i % channels] * corrections[i];
  return fix;
}

/**
 * `out[n, y, x, c] -= fix[slot(y, x) · channels + c]` on the border pixels of every image (`borderSlot`: a
 * pixel's index in `fix`, -1 inside), as at most four strided subtractions on the float kernels, bound once: the
 * border rows at the top and the bottom, then the border columns at the left and the right of the rows between
 * (a window leaves the input on a prefix and a suffix of the rows and of the columns). Each block's values of
 * `fix` are copied into one array, in the block's order.
 */
function borderSubtraction(
  ctx: OpContext,
  [batch, h, w, channels]: readonly number[],
  borderSlot: Int32Array,
  fix: Float32Array,
): (out: Float32Array) => void {
  const isBorder = (y: number, x: number) => borderSlot[y * w + x] >= 0;
  const run = (n: number, at: (i: number) => boolean) => {
    let k = 0;
    while (k < n && at(k)) k++;
    return k;
  };
  // Rows all of whose pixels are border pixels, from the top and from the bottom; columns likewise in between.
  const top = run(h, (y) => Array.from({ length: w }, (_, x) => x).every((x) => isBorder(y, x)));
  const bottom = run(h - top, (i) => Array.from({ length: w }, (_, x) => x).every((x) => isBorder(h - 1 - i, x)));
  const middle = h - top - bottom;
  const left = middle === 0 ? 0 : run(w, (x) => isBorder(top, x));
  const right = middle === 0 ? 0 : run(w - left, (i) => isBorder(top, w - 1 - i));
  const blocks = [[0, top, 0, w], [h - bottom, bottom, 0, w], [top, middle, 0, left], [top, middle, w - right, right]]
    .filter(([, rows, , cols]) => rows > 0 && cols > 0);
  const image = h * w * channels, length = batch * image;
  let covered = 0;
  const bound = blocks.map(([y0, rows, x0, cols]) => {
    const values = new Float32Array(rows * cols * channels);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const slot = borderSlot[(y0 + y) * w + x0 + x];
        if (slot < 0) throw new Error(`pixel (${y0 + y}, ${x0 + x}) is not a border pixel`);
        values.set(fix.subarray(slot * channels, (slot + 1) * channels), (y * cols + x) * channels);
      }
    }
    covered += rows * cols;
    const strides = [image, w * channels, channels, 1];
    const op = ctx.float.bindStrided([batch, rows, cols, channels], "sub", {
      a: { length, offset: (y0 * w + x0) * channels, strides },
      b: { length: values.length, strides: [0, cols * channels, channels, 1] },
      out: { length, offset: (y0 * w + x0) * channels, strides },
    }, { threads: ctx.threads });
    return (out: Float32Array) => op.run(out, values, out);
  });
  const total = borderSlot.reduce((n, slot) => n + (slot >= 0 ? 1 : 0), 0);
  if (covered !== total) throw new Error(`border blocks cover ${covered} pixels, the border has ${total}`);
  return (out) => {
    for (const subtract of bound) subtract(out);
  };
}

/**
 * LceBconv2d (float output) with the ADD that is its output's only reader, and optionally the LceQuantize of
 * the sum, fused by the interpreter (see `residualFusion` in fuse.ts): inputs are LceBconv2d's five and
 * the ADD's other operand; outputs the sum and, when fused, its bitpacked form. `options` are the ADD's.
 * On the fast path (one group; a same-zero border only without an activation, its correction then in the
 * epilogue before the add) the kernel adds and packs in its epilogue; otherwise the convolution runs unfused
 * into scratch and the add and pack follow it.
 */
export const lceBconv2dAdd: OpKernel = { prepare: (ctx) => prepareBconv(ctx, true) };

function prepareBconv(ctx: OpContext, fusedAdd: boolean): PreparedOp {
  arity(ctx, fusedAdd ? 6 : 5, fusedAdd ? 6 : 5, fusedAdd ? ctx.outputs.length : 1);
  if (ctx.outputs.length < 1 || ctx.outputs.length > (fusedAdd ? 2 : 1)) {
    ctx.invalid(`has ${ctx.outputs.length} outputs`);
  }
  const x = input(ctx, 0, "input", [TensorType.INT32], 4);
  const f = input(ctx, 1, "filter", [TensorType.INT32], 4);
  const filterData = asWords(constant(ctx, f, "filter"));
  const [batch, inH, inW, inWords] = x.shape;
  const [cout, kh, kw, groupWords] = f.shape;
  const channelsIn = intOption(ctx, "channels_in", 1, INT32_MAX);
  if (wordsFor(channelsIn) !== inWords) {
    ctx.invalid(`channels_in ${channelsIn} needs ${wordsFor(channelsIn)} packed words, the input has ${inWords}`);
  }
  if (cout < 1 || kh < 1 || kw < 1 || groupWords < 1 || inWords % groupWords !== 0) {
    ctx.invalid(`filter ${shapeText(f.shape)} does not fit input ${shapeText(x.shape)}`);
  }
  const groups = inWords / groupWords;
  const groupChannels = groups === 1 ? channelsIn : channelsIn / groups;
  if (groups > 1 && (channelsIn % groups !== 0 || groupChannels % 32 !== 0 || cout % groups !== 0)) {
    ctx.invalid(
      `${groups} groups need channels_in/groups to be a multiple of 32 and channels_out divisible by groups (channels_in ${channelsIn}, channels_out ${cout})`,
    );
  }
  const sh = intOption(ctx, "stride_height", 1, 4096);
  const sw = intOption(ctx, "stride_width", 1, 4096);
  const dh = intOption(ctx, "dilation_height_factor", 1, 4096);
  const dw = intOption(ctx, "dilation_width_factor", 1, 4096);
  const padding = paddingOf(ctx, ctx.custom?.padding);
  const padValues = intOption(ctx, "pad_values", 0, 1);
  const act = intOption(ctx, "fused_activation_function", 0, 3);
  const [clampMin, clampMax] = [[INT32_MIN, INT32_MAX], [0, INT32_MAX], [-1, 1], [0, 6]][act];

  const m = ctx.inputs[2], b = ctx.inputs[3], t = ctx.inputs[4];
  const bitpackedOut = t !== null;
  if (bitpackedOut && (m !== null || b !== null)) {
    ctx.invalid("has an output threshold and a multiplier/bias; bitpacked output takes only the threshold");
  }
  if (!bitpackedOut && (m === null || b === null)) {
    ctx.invalid("needs post_activation_multiplier and post_activation_bias for float output, or output_threshold");
  }
  const vec = (i: number, what: string, type: number) => {
    const v = input(ctx, i, what, [type], 1);
    if (v.shape[0] !== cout) ctx.invalid(`${what} has ${v.shape[0]} values, the filter has ${cout} output channels`);
    return constant(ctx, v, what);
  };
  const multiplier = bitpackedOut ? null : vec(2, "post_activation_multiplier", TensorType.FLOAT32) as Float32Array;
  const bias = bitpackedOut ? null : vec(3, "post_activation_bias", TensorType.FLOAT32) as Float32Array;
  const threshold = bitpackedOut ? vec(4, "output_threshold", TensorType.INT32) as Int32Array : null;
  output(ctx, 0, [bitpackedOut ? TensorType.INT32 : TensorType.FLOAT32], 4);

  const ay = convAxis(ctx, "height", inH, kh, sh, dh, padding);
  const ax = convAxis(ctx, "width", inW, kw, sw, dw, padding);
  const outShape = [batch, ay.out, ax.out, bitpackedOut ? wordsFor(cout) : cout];
  const geometry: ConvGeometry = {
    inputShape: [batch, inH, inW, groupChannels],
    kernelSize: [kh, kw],
    strides: [sh, sw],
    dilations: [dh, dw],
    padding,
  };
  const coutG = cout / groups;
  const depth = kh * kw * groupWords;
  const packed: PackedRhs[] = [];
  for (let g = 0; g < groups; g++) {
    packed.push(ctx.kernels.packRhs(filterData.subarray(g * coutG * depth, (g + 1) * coutG * depth), coutG));
  }
  const packedBytes = packed.reduce((n, f) => n + f.data.byteLength, 0) + 3 * 4 * Math.ceil(cout / 32) * 32;
  const pixels = batch * ay.out * ax.out;
  // Output pixels (of one image) with a tap outside the input: same-zero padding must correct them.
  const border: number[] = [];
  if (padValues === 0 && padding === "same") {
    for (let oy = 0; oy < ay.out; oy++) {
      for (let ox = 0; ox < ax.out; ox++) {
        const rowIn = oy * sh - ay.pad >= 0 && oy * sh - ay.pad + (kh - 1) * dh < inH;
        const colIn = ox * sw - ax.pad >= 0 && ox * sw - ax.pad + (kw - 1) * dw < inW;
        if (!rowIn || !colIn) border.push(oy * ax.out + ox);
      }
    }
  }
  const sameZero = border.length > 0;
  const call = { threads: ctx.threads };

  // Out-of-bounds taps would have contributed 0 under same-zero padding, but
  // the kernels read +1 (zero words): per border pixel and output channel,
  // the ±1 dot product of its out-of-bounds filter taps with +1s, to take back.
  const taps = kh * kw;
  const imagePixels = ay.out * ax.out;
  const corrections = new Int32Array(border.length * cout);
  const borderSlot = new Int32Array(sameZero ? imagePixels : 0).fill(-1);
  if (sameZero) {
    const tapSums = new Int32Array(cout * taps);
    for (let c = 0; c < cout; c++) {
      for (let k = 0; k < taps; k++) {
        let ones = 0;
        for (let wi = 0; wi < groupWords; wi++) ones += popcount32(filterData[(c * taps + k) * groupWords + wi]);
        tapSums[c * taps + k] = groupChannels - 2 * ones;
      }
    }
    // A loop, not a callback: a closure naming `corrections` would put it in the scope every returned run closure
    // keeps (the fast paths below need only `fix`, or nothing).
    for (let j = 0; j < border.length; j++) {
      const pix = border[j];
      borderSlot[pix] = j;
      const oy = Math.floor(pix / ax.out), ox = pix % ax.out;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh + ky * dh - ay.pad;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw + kx * dw - ax.pad;
          if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) continue;
          for (let c = 0; c < cout; c++) corrections[j * cout + c] += tapSums[c * taps + ky * kw + kx];
        }
      }
    }
  }

  if (fusedAdd) {
    if (bitpackedOut) ctx.invalid("a fused ADD needs the convolution's float output");
    const residual = input(ctx, 5, "residual", [TensorType.FLOAT32], 4);
    if (residual.shape.some((d, i) => d !== outShape[i])) {
      ctx.invalid(
        `the ADD's other operand ${shapeText(residual.shape)} is not the output shape ${shapeText(outShape)}`,
      );
    }
    const [addMin, addMax] = activationRange(ctx, ctx.options?.fused_activation_function);
    const pack = ctx.outputs.length === 2;
    output(ctx, 0, [TensorType.FLOAT32], 4);
    if (pack) output(ctx, 1, [TensorType.INT32], 4);
    const packedShape = [...outShape.slice(0, 3), wordsFor(cout)];
    const outputShapes = pack ? [outShape, packedShape] : [outShape];
    // Same-zero, no activation: the correction too runs in the kernel's epilogue, before the add (the unfused
    // path's order and arithmetic: convolution, correction, add, pack).
    const border = sameZero && act === 0
      ? { slots: borderSlot, fix: borderFix(corrections, multiplier!, cout) }
      : undefined;
    if (groups === 1 && (!sameZero || border !== undefined)) {
      const bound = ctx.kernels.bindBconv2dF32Add(packed[0], {
        ...geometry,
        ...call,
        multiplier: multiplier!,
        bias: bias!,
        clampMin,
        clampMax,
        addClampMin: addMin,
        addClampMax: addMax,
        pack,
        border,
      });
      const words = bound.workspaceWords;
      return {
        outputShapes,
        scratchBytes: 4 * words,
        packedInputs: [1, 2, 3, 4],
        ownedBytes: packedBytes + (border ? border.slots.byteLength + border.fix.byteLength : 0),
        run: ({ inputs, outputs, scratch }) =>
          bound.run(
            asWords(inputs[0]!),
            inputs[5] as Float32Array,
            outputs[0] as Float32Array,
            new Uint32Array(scratch, 0, words),
            pack ? asWords(outputs[1]) : undefined,
          ),
      };
    }
    // Other geometries: the convolution unfused into scratch, then the add and the pack.
    const inner = prepareBconv({ ...ctx, inputs: ctx.inputs.slice(0, 5), outputs: ctx.outputs.slice(0, 1) }, false);
    const convBytes = inner.scratchBytes ?? 0, n = pixels * cout;
    const add = ctx.float.bindElementwise(n, "add", { clampMin: addMin, clampMax: addMax, threads: ctx.threads });
    return {
      outputShapes,
      scratchBytes: convBytes + 4 * n,
      packedInputs: inner.packedInputs,
      ownedBytes: inner.ownedBytes,
      run: ({ inputs, outputs, scratch }) => {
        const y = new Float32Array(scratch, convBytes, n);
        inner.run({ inputs: inputs.slice(0, 5), outputs: [y], scratch });
        add.run(y, inputs[5] as Float32Array, outputs[0] as Float32Array);
        if (pack) {
          ctx.kernels.bitpack(outputs[0] as Float32Array, cout, { out: asWords(outputs[1]), threads: ctx.threads });
        }
      },
    };
  }

  if (groups === 1 && sameZero && !bitpackedOut && act === 0) {
    // Same-zero, float output, no activation (what LCE's converter emits):
    // the fast kernel with the real transform, then y -= multiplier·correction
    // on the border pixels only.
    const fix = borderFix(corrections, multiplier!, cout);
    const fastSameZero = ctx.kernels.bindBconv2dF32(packed[0], {
      ...geometry,
      ...call,
      multiplier: multiplier!,
      bias: bias!,
    });
    const subtract = borderSubtraction(ctx, [batch, ay.out, ax.out, cout], borderSlot, fix);
    return {
      outputShapes: [outShape],
      scratchBytes: 4 * fastSameZero.workspaceWords,
      packedInputs: [1, 2, 3, 4],
      ownedBytes: packedBytes + fix.byteLength,
      run: ({ inputs, outputs, scratch }) => {
        const out = outputs[0] as Float32Array;
        fastSameZero.run(asWords(inputs[0]!), out, new Uint32Array(scratch, 0, fastSameZero.workspaceWords));
        subtract(out);
      },
    };
  }

  if (groups === 1 && !sameZero) {
    // One bound call with its workspace at the start of the scratch, writing bitpacked words or floats.
    const plan = <O extends Float32Array | Uint32Array>(bound: BoundConv<O>, view: (t: TensorData) => O) => {
      const words = bound.workspaceWords;
      return {
        outputShapes: [outShape],
        scratchBytes: 4 * words,
        packedInputs: [1, 2, 3, 4],
        ownedBytes: packedBytes,
        run: ({ inputs, outputs, scratch }: Parameters<PreparedOp["run"]>[0]) =>
          bound.run(asWords(inputs[0]!), view(outputs[0]), new Uint32Array(scratch, 0, words)),
      };
    };
    if (threshold !== null) {
      return plan(ctx.kernels.bindBconv2dB32(packed[0], { ...geometry, ...call, threshold }), asWords);
    }
    const bound = ctx.kernels.bindBconv2dF32(packed[0], {
      ...geometry,
      ...call,
      multiplier: multiplier!,
      bias: bias!,
      clampMin,
      clampMax,
    });
    return plan(bound, (t) => t as Float32Array);
  }

  // General path (groups, or same-zero with bitpacked output or an activation). A block of its own: its closure
  // reads the corrections as `kept`, which only this block's scope holds, so the run closures the paths above
  // return (which share the function's scope) do not keep them.
  {
    const kept = corrections;
    const rawConv = packed.map((f) => ctx.kernels.bindBconv2dF32(f, { ...geometry, ...call }));
    const workspaceWords = rawConv[0].workspaceWords; // the groups share one geometry
    const depthBits = taps * groupChannels;
    const inPixels = batch * inH * inW;
    const groupInputWords = groups === 1 ? 0 : inPixels * groupWords;
    const rawOffset = 4 * (workspaceWords + groupInputWords);
    return {
      outputShapes: [outShape],
      scratchBytes: rawOffset + 4 * pixels * coutG,
      packedInputs: [1],
      ownedBytes: packedBytes + corrections.byteLength,
      // The per-channel constants are read from the inputs, not captured: a closure reading them would keep the
      // file's bytes they view (Interpreter.fromFile copies the constants it keeps into one buffer).
      run: ({ inputs, outputs, scratch }) => {
        const src = asWords(inputs[0]!);
        const multiplier = inputs[2] as Float32Array | null, bias = inputs[3] as Float32Array | null;
        const threshold = inputs[4] as Int32Array | null;
        const workspace = new Uint32Array(scratch, 0, workspaceWords);
        const groupInput = new Uint32Array(scratch, 4 * workspaceWords, groupInputWords);
        const raw = new Float32Array(scratch, rawOffset, pixels * coutG);
        const outWords = bitpackedOut ? asWords(outputs[0]) : null;
        const outFloat = bitpackedOut ? null : outputs[0] as Float32Array;
        if (outWords !== null) outWords.fill(0);
        for (let g = 0; g < groups; g++) {
          let lhs = src;
          if (groups > 1) {
            for (let p = 0; p < inPixels; p++) {
              groupInput.set(
                src.subarray(p * inWords + g * groupWords, p * inWords + (g + 1) * groupWords),
                p * groupWords,
              );
            }
            lhs = groupInput;
          }
          rawConv[g].run(lhs, raw, workspace);
          for (let p = 0; p < pixels; p++) {
            const j = sameZero ? borderSlot[p % imagePixels] : -1;
            for (let cg = 0; cg < coutG; cg++) {
              const c = g * coutG + cg;
              let dot = raw[p * coutG + cg];
              if (j >= 0) dot -= kept[j * cout + c];
              if (outFloat !== null) {
                const clamped = Math.min(Math.max(dot, clampMin), clampMax);
                outFloat[p * cout + c] = Math.fround(Math.fround(clamped * multiplier![c]) + bias![c]);
              } else if (depthBits - dot > 2 * threshold![c]) {
                // acc = (K - dot) / 2 > threshold, without halving an odd corrected sum
                outWords![p * wordsFor(cout) + (c >>> 5)] |= 1 << (c & 31);
              }
            }
          }
        }
      },
    };
  }
}

/** LCE's custom ops by `custom_code` (the registry's custom ops). */
export const LCE_KERNELS: ReadonlyMap<string, OpKernel> = new Map([
  ["LceQuantize", lceQuantize],
  ["LceDequantize", lceDequantize],
  ["LceBconv2d", lceBconv2d],
  ["LceBMaxPool2d", lceBmaxpool2d],
]);
