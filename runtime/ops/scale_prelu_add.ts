/**
 * MUL by a per-channel vector, PRELU, ADD of a residual, fused by the interpreter (`scalePreluAddFusion` in
 * fuse.ts): one pass of the float kernels' `bindScalePreluAdd`.
 * @module
 */
import { TensorType } from "../../tflite/schema.ts";
import type { OpKernel } from "./_types.ts";
import { arity, constant, input, output, product, shapeText } from "./_util.ts";

/** Inputs x, scale (one value per channel), the PRELU's alpha (constant, per channel), the residual. */
export const scalePreluAdd: OpKernel = {
  prepare(ctx) {
    arity(ctx, 4, 4);
    const x = input(ctx, 0, "input", [TensorType.FLOAT32]);
    const channels = x.shape.at(-1) ?? 0;
    const vector = (i: number, what: string) => {
      const t = input(ctx, i, what, [TensorType.FLOAT32]);
      if (product(t.shape) !== channels) ctx.invalid(`${what} ${shapeText(t.shape)} is not one value per channel`);
      return t;
    };
    vector(1, "scale");
    const alpha = constant(ctx, vector(2, "alpha"), "alpha") as Float32Array;
    const residual = input(ctx, 3, "residual", [TensorType.FLOAT32]);
    if (residual.shape.length !== x.shape.length || residual.shape.some((d, i) => d !== x.shape[i])) {
      ctx.invalid(`residual ${shapeText(residual.shape)} is not the input's shape ${shapeText(x.shape)}`);
    }
    output(ctx, 0, [TensorType.FLOAT32]);
    const rows = product(x.shape) / Math.max(1, channels);
    const bound = ctx.float.bindScalePreluAdd(rows, channels, { alpha, threads: ctx.threads });
    return {
      outputShapes: [[...x.shape]],
      packedInputs: [2],
      ownedBytes: 4 * channels,
      run: ({ inputs, outputs }) =>
        bound.run(
          inputs[0] as Float32Array,
          inputs[1] as Float32Array,
          inputs[3] as Float32Array,
          outputs[0] as Float32Array,
        ),
    };
  },
};
