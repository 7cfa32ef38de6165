/**
 * Keras's compile step: a model bound to its optimizer, loss and metrics,
 * with `fit`, `evaluate` and `predict` (the same functions as train/fit.ts,
 * for code written the Keras way).
 * @module
 */
import { evaluateLogs, fit, type FitOptions, type History, type Inputs, type Network, predict } from "./fit.ts";
import type { Optimizer } from "./optimizers.ts";
import type { Tensor } from "../graph/tensor.ts";

export type Metric = "accuracy" | "sparse_top_k_categorical_accuracy" | "top_k_categorical_accuracy" | { topK: number };

export interface CompileOptions {
  optimizer: Optimizer;
  /** onebit trains with sparse categorical cross-entropy (integer labels), from the softmax's logits. */
  loss?: "sparse_categorical_crossentropy";
  metrics?: Metric[];
}

export interface CompiledModel {
  readonly model: Network;
  readonly optimizer: Optimizer;
  fit(x: Inputs, labels: ArrayLike<number>, options?: Omit<FitOptions, "optimizer" | "topK">): History;
  evaluate(
    x: Inputs,
    labels: ArrayLike<number>,
    batchSize?: number,
  ): { loss: number; accuracy: number; topKAccuracy?: number };
  predict(x: Inputs, batchSize?: number): Tensor;
}

/**
 * @example
 * ```ts
 * import { compile } from "./compile.ts";
 * import { Adam } from "./optimizers.ts";
 * import { Sequential } from "../graph/sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const m = compile(new Sequential([new Dense(3, { activation: "softmax" })], { seed: 1 }), {
 *   optimizer: new Adam(0.1),
 *   metrics: ["accuracy", { topK: 2 }],
 * });
 * const x = Tensor.from([[1, 0], [0, 1], [1, 1]]), y = [0, 1, 2];
 * const h = m.fit(x, y, { epochs: 30, batchSize: 3, verbose: 0 });
 * console.log(h.loss[29] < h.loss[0], m.evaluate(x, y).topKAccuracy! >= m.evaluate(x, y).accuracy); // true true
 * ```
 */
export function compile(model: Network, options: CompileOptions): CompiledModel {
  if ((options.loss ?? "sparse_categorical_crossentropy") !== "sparse_categorical_crossentropy") {
    throw new RangeError(`loss ${options.loss} is not supported; onebit trains with sparse_categorical_crossentropy`);
  }
  let topK: number | undefined;
  for (const m of options.metrics ?? []) {
    if (m === "accuracy") continue;
    if (m === "sparse_top_k_categorical_accuracy" || m === "top_k_categorical_accuracy") topK = 5;
    else if (typeof m === "object" && Number.isInteger(m.topK) && m.topK >= 1) topK = m.topK;
    else throw new RangeError(`metric ${JSON.stringify(m)} is not supported; use "accuracy" or { topK: k }`);
  }
  const optimizer = options.optimizer;
  return {
    model,
    optimizer,
    fit: (x, labels, o = {}) => fit(model, x, labels, { ...o, optimizer, topK }),
    evaluate: (x, labels, batchSize = 256) => evaluateLogs(model, x, labels, batchSize, topK),
    predict: (x, batchSize = 256) => predict(model, x, batchSize),
  };
}
