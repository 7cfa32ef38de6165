/** Checks and arithmetic shared by the op kernels. @module */
import { Activation, Padding, tensorTypeName } from "../../tflite/schema.ts";
import type { OpContext, TensorInfo } from "./_types.ts";
import { tfAxis } from "../../kernels/geometry.ts";

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** Requires `min..max` inputs and exactly `outputs` outputs. */
export function arity(ctx: OpContext, min: number, max: number, outputs = 1): void {
  const n = ctx.inputs.length;
  if (n < min || n > max) {
    ctx.invalid(`has ${n} inputs, expected ${min === max ? min : `${min} to ${max}`}`);
  }
  if (ctx.outputs.length !== outputs) ctx.invalid(`has ${ctx.outputs.length} outputs, expected ${outputs}`);
}

/** The input at `i`, which must be present, of one of `types`, and of rank `rank` if given. */
export function input(ctx: OpContext, i: number, what: string, types: number[], rank?: number): TensorInfo {
  const t = ctx.inputs[i];
  if (t === null || t === undefined) ctx.invalid(`input ${i} (${what}) is missing`);
  checkTensor(ctx, t, `input ${i} (${what})`, types, rank);
  return t;
}

export function output(ctx: OpContext, i: number, types: number[], rank?: number): TensorInfo {
  const t = ctx.outputs[i];
  checkTensor(ctx, t, `output ${i}`, types, rank);
  return t;
}

function checkTensor(ctx: OpContext, t: TensorInfo, what: string, types: number[], rank?: number): void {
  if (!types.includes(t.type)) {
    const want = types.map(tensorTypeName).join(" or ");
    ctx.unsupported(`${what} "${t.name}" is ${tensorTypeName(t.type)}; this runtime supports ${want} here`);
  }
  if (rank !== undefined && t.shape.length !== rank) {
    ctx.invalid(`${what} "${t.name}" has shape ${shapeText(t.shape)}, expected rank ${rank}`);
  }
}

/** A constant input: its data must be in the file. */
export function constant(ctx: OpContext, t: TensorInfo, what: string) {
  if (t.constant === null) {
    ctx.unsupported(`${what} "${t.name}" is computed at run time; this runtime needs it constant in the file`);
  }
  return t.constant;
}

/** Clamp range of a fused activation, as floats. */
export function activationRange(ctx: OpContext, code: unknown): [number, number] {
  switch (code) {
    case Activation.NONE:
    case undefined:
      return [-Infinity, Infinity];
    case Activation.RELU:
      return [0, Infinity];
    case Activation.RELU_N1_TO_1:
      return [-1, 1];
    case Activation.RELU6:
      return [0, 6];
    default:
      return ctx.unsupported(
        `fused activation ${String(code)} is not supported; use NONE, RELU, RELU_N1_TO_1 or RELU6`,
      );
  }
}

export function paddingOf(ctx: OpContext, code: unknown): "same" | "valid" {
  if (code === Padding.SAME) return "same";
  if (code === Padding.VALID) return "valid";
  return ctx.invalid(`padding ${String(code)} is not SAME (0) or VALID (1)`);
}

/** A positive integer option. */
export function positive(ctx: OpContext, name: string, v: unknown, max = 1 << 16): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    ctx.invalid(`option ${name} is ${String(v)}, expected an integer in [1, ${max}]`);
  }
  return v;
}

/** TensorFlow SAME/VALID output size and leading padding of one spatial axis. */
export function convAxis(
  ctx: OpContext,
  axis: string,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: "same" | "valid",
): { out: number; pad: number } {
  const a = tfAxis(size, kernel, stride, dilation, padding);
  if (!a.fits) {
    ctx.invalid(`${axis}: the dilated kernel (${a.effective}) is larger than the input (${size}) with VALID padding`);
  }
  return { out: a.out, pad: a.before };
}
