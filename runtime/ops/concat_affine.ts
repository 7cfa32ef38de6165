/**
 * CONCATENATION (channels) with the BatchNorm-as-MUL+ADD of its output and the LceQuantize of the sum, fused by
 * the interpreter (`concatAffineFusion` in fuse.ts): per input, one pass of `bindChannelAffine` copying it into its
 * slice of the concatenation and packing its slice of the sum's signs.
 * @module
 */
import { TensorType } from "../../tflite/schema.ts";
import { wordsFor } from "../../kernels/reference_kernels.ts";
import type { OpKernel, TensorData } from "./_types.ts";
import { asWords } from "./lce.ts";
import { arity, constant, input, output, product, shapeText } from "./_util.ts";

/** Inputs: the concatenated tensors, then scale and shift (one value per output channel); outputs: the concatenation, its packed signs. */
export const concatAffine: OpKernel = {
  prepare(ctx) {
    arity(ctx, 4, ctx.inputs.length, 2);
    const n = ctx.inputs.length - 2;
    const xs = Array.from({ length: n }, (_, i) => input(ctx, i, `value ${i}`, [TensorType.FLOAT32]));
    const widths = xs.map((t) => t.shape.at(-1) ?? 0);
    const channels = widths.reduce((a, b) => a + b, 0), words = wordsFor(channels);
    const lead = xs[0].shape.slice(0, -1);
    for (const t of xs) {
      if (t.shape.length !== lead.length + 1 || t.shape.slice(0, -1).some((d, i) => d !== lead[i])) {
        ctx.invalid(
          `input "${t.name}" ${shapeText(t.shape)} does not match ${shapeText(xs[0].shape)} off the channels`,
        );
      }
    }
    if (widths.slice(0, -1).some((w) => w % 32 !== 0)) {
      ctx.invalid("every input but the last needs whole 32-channel words");
    }
    const vector = (i: number, what: string) => {
      const t = input(ctx, i, what, [TensorType.FLOAT32]);
      if (product(t.shape) !== channels) ctx.invalid(`${what} ${shapeText(t.shape)} is not one value per channel`);
      return constant(ctx, t, what) as Float32Array;
    };
    const scale = vector(n, "scale"), shift = vector(n + 1, "shift");
    output(ctx, 0, [TensorType.FLOAT32]);
    output(ctx, 1, [TensorType.INT32]);
    const rows = product(lead);
    let offset = 0;
    const passes = widths.map((w) => {
      const from = offset;
      offset += w;
      const bound = ctx.kernels.bindChannelAffine(rows, w, {
        scale: scale.subarray(from, from + w),
        shift: shift.subarray(from, from + w),
        valuesStride: channels,
        bitsStride: words,
        copyInput: true,
        threads: ctx.threads,
      });
      const valuesEnd = rows === 0 ? from : from + (rows - 1) * channels + w;
      const bitsEnd = rows === 0 ? from / 32 : from / 32 + (rows - 1) * words + wordsFor(w);
      return { bound, from, valuesEnd, bitsEnd };
    });
    // The output views are the same arrays every invoke: their slices are made once, on the first.
    let slicedFor: TensorData | null = null;
    let slices: { values: Float32Array; bits: Uint32Array }[] = [];
    return {
      outputShapes: [[...lead, channels], [...lead, words]],
      packedInputs: [n, n + 1],
      ownedBytes: 8 * channels,
      run: ({ inputs, outputs }) => {
        if (slicedFor !== outputs[0]) {
          const cat = outputs[0] as Float32Array, packed = asWords(outputs[1]);
          slices = passes.map((p) => ({
            values: cat.subarray(p.from, p.valuesEnd),
            bits: packed.subarray(p.from / 32, p.bitsEnd),
          }));
          slicedFor = outputs[0];
        }
        passes.forEach((p, i) => p.bound.run(inputs[i] as Float32Array, slices[i]));
      },
    };
  },
};
