/**
 * Test helper: weights and inputs from the formula tools/py/zoo_fixtures.py
 * states (exact in float64, so TypeScript and Python agree bit for bit and
 * nothing needs storing). BatchNorm statistics and offsets come out
 * non-zero, so binarized pre-activations do not sit exactly on 0, where a
 * float sum's rounding (α·k added up in some order) would decide the sign.
 * @module
 */
import { Tensor } from "../graph/tensor.ts";
import type { Model } from "../models/model.ts";

/** The formula's value of weight `j` (in `model.weights` order) named `name` (its last part decides the kind). */
export function formulaWeight(j: number, name: string, shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1), fanIn = size / shape[shape.length - 1];
  const kind = name.split("/").at(-1)!;
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = (((i * 7919 + j * 104729) % 2001) - 1000) / 1000;
    data[i] = ["moving_variance", "gamma"].includes(kind)
      ? 1 + u / 2
      : ["moving_mean", "beta", "bias", "alpha"].includes(kind)
      ? u / 10
      : u / Math.sqrt(fanIn);
  }
  return new Tensor(data, shape);
}

/** Sets every weight of `model` by the formula. */
export function setFormulaWeights(model: Model): void {
  model.setWeights(model.weights.map((w, j) => formulaWeight(j, w.variable.name, w.variable.shape)));
}

/** The formula's input of `shape`. */
export function formulaInput(shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, (_, i) => ((i * 31 + 17) % 255) / 127.5 - 1), shape);
}
