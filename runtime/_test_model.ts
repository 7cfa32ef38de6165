/**
 * Builders of hand-made .tflite graphs for the runtime's tests: a tensor and
 * an operator as the reader returns them.
 * @module
 */
import type { Operator, Tensor } from "../tflite/model.ts";
import { BUILTIN_OPTIONS, TensorType } from "../tflite/schema.ts";

/** A tensor of `shape` reading `buffer` (0: none, a value computed at run time), float32 unless `type` says. */
export function tensor(name: string, shape: number[], buffer = 0, type: number = TensorType.FLOAT32): Tensor {
  return { name, shape, shapeSignature: null, type, buffer, quantization: null, isVariable: false };
}

/**
 * An operator of builtin `code` (its opcode at `opcodeIndex`) reading `inputs` and writing `output`. With
 * `options`, the builtin's options table holds them; without, it has none (custom ops, and builtins without
 * options).
 */
export function op(
  code: number,
  opcodeIndex: number,
  inputs: number[],
  output: number,
  options: Record<string, number> | null = null,
): Operator {
  return {
    opcodeIndex,
    inputs,
    outputs: [output],
    builtinOptionsType: options === null ? 0 : BUILTIN_OPTIONS.get(code)!,
    builtinOptions: options,
    customOptions: null,
  };
}
