/**
 * MUL then ADD by per-channel constants, and the LceQuantize of the sum, fused by the interpreter
 * (`channelAffineFusion` in fuse.ts): one pass of the kernels' `bindChannelAffine`.
 * @module
 */
import { TensorType } from "../../tflite/schema.ts";
import { wordsFor } from "../../kernels/reference_kernels.ts";
import type { OpKernel } from "./_types.ts";
import { asWords } from "./lce.ts";
import { arity, constant, input, output, product, shapeText } from "./_util.ts";

/**
 * Inputs x, scale, shift (one value per channel of x); outputs the float sum, its bitpacked signs, or both in
 * that order (which by their types).
 */
export const channelAffine: OpKernel = {
  prepare(ctx) {
    arity(ctx, 3, 3, ctx.outputs.length);
    if (ctx.outputs.length < 1 || ctx.outputs.length > 2) ctx.invalid(`has ${ctx.outputs.length} outputs`);
    const x = input(ctx, 0, "input", [TensorType.FLOAT32]);
    const channels = x.shape.at(-1) ?? 0;
    const vector = (i: number, what: string) => {
      const t = input(ctx, i, what, [TensorType.FLOAT32]);
      if (product(t.shape) !== channels) ctx.invalid(`${what} ${shapeText(t.shape)} is not one value per channel`);
      return constant(ctx, t, what) as Float32Array;
    };
    const scale = vector(1, "scale"), shift = vector(2, "shift");
    const sum = ctx.outputs[0].type === TensorType.FLOAT32;
    const packed = ctx.outputs.length === 2 || !sum;
    if (sum) output(ctx, 0, [TensorType.FLOAT32]);
    if (packed) output(ctx, ctx.outputs.length - 1, [TensorType.INT32]);
    const rows = product(x.shape) / Math.max(1, channels);
    const bound = ctx.kernels.bindChannelAffine(rows, channels, { scale, shift, threads: ctx.threads });
    const packedShape = [...x.shape.slice(0, -1), wordsFor(channels)];
    return {
      outputShapes: [...(sum ? [[...x.shape]] : []), ...(packed ? [packedShape] : [])],
      packedInputs: [1, 2],
      ownedBytes: 8 * channels,
      run: ({ inputs, outputs }) =>
        bound.run(inputs[0] as Float32Array, {
          values: sum ? outputs[0] as Float32Array : undefined,
          bits: packed ? asWords(outputs[outputs.length - 1]) : undefined,
        }),
    };
  },
};
