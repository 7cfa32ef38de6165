/**
 * PAD (zeros, last axis) then ADD, fused by the interpreter (`padAddFusion` in fuse.ts): z = x + y in y's
 * channel slice of x, z = x + 0 elsewhere — the ADD's arithmetic (so -0 becomes +0, as there) without writing
 * and reading the padded tensor. Three strided passes of the float kernels.
 * @module
 */
import { TensorType } from "../../tflite/schema.ts";
import type { OpKernel } from "./_types.ts";
import { activationRange, arity, input, output, product, shapeText } from "./_util.ts";

/** Inputs x (the padded shape) and y; options: the ADD's and `pad_before` (y's first channel in x). */
export const padAdd: OpKernel = {
  prepare(ctx) {
    arity(ctx, 2, 2);
    const x = input(ctx, 0, "input", [TensorType.FLOAT32]);
    const y = input(ctx, 1, "padded input", [TensorType.FLOAT32], x.shape.length);
    output(ctx, 0, [TensorType.FLOAT32], x.shape.length);
    const c = x.shape.at(-1) ?? 0, cy = y.shape.at(-1) ?? 0;
    const lo = Number(ctx.options?.pad_before ?? -1);
    if (!Number.isInteger(lo) || lo < 0 || lo + cy > c || y.shape.slice(0, -1).some((d, i) => d !== x.shape[i])) {
      ctx.invalid(`${shapeText(y.shape)} padded by ${lo} leading channels does not fit ${shapeText(x.shape)}`);
    }
    const [clampMin, clampMax] = activationRange(ctx, ctx.options?.fused_activation_function);
    const outer = product(x.shape) / Math.max(1, c), n = outer * c;
    const options = { clampMin, clampMax, threads: ctx.threads };
    const zero = new Float32Array(1);
    // Columns [from, from + width) of x plus y (or plus +0 where y has no channel).
    const slice = (from: number, width: number, withY: boolean) => {
      const view = { length: n, offset: from, strides: [c, 1] };
      const b = withY ? { length: outer * cy, strides: [cy, 1] } : { length: 1, strides: [0, 0] };
      const op = ctx.float.bindStrided([outer, width], "add", { a: view, b, out: view }, options);
      return (xs: Float32Array, ys: Float32Array, out: Float32Array) => op.run(xs, withY ? ys : zero, out);
    };
    const parts = [[0, lo, false], [lo, cy, true], [lo + cy, c - lo - cy, false]] as const;
    const passes = parts.filter(([, width]) => width > 0 && outer > 0).map(([from, w, withY]) => slice(from, w, withY));
    return {
      outputShapes: [[...x.shape]],
      run: ({ inputs, outputs }) => {
        for (const pass of passes) {
          pass(inputs[0] as Float32Array, inputs[1] as Float32Array, outputs[0] as Float32Array);
        }
      },
    };
  },
};
