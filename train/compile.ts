/**
 * Keras's compile step: the optimizer, the loss and the metrics, each an
 * object or a Keras name ("adam", "sparse_categorical_crossentropy",
 * "accuracy"), resolved and checked once, before training starts.
 * @module
 */
import type { LossLike, MetricLike, TrainingSetup } from "./fit.ts";
import { getLoss } from "./losses.ts";
import { getMetric } from "./metrics.ts";
import { getOptimizer, type Optimizer, type OptimizerConfig } from "./optimizers.ts";

/** An optimizer: the object, its Keras name ("adam", "sgd", "rmsprop", "adamw") or its config. */
export type OptimizerLike = string | OptimizerConfig | Optimizer;

/** Options of `Model.compile` (Keras's compile arguments). */
export interface CompileOptions {
  /** An optimizer object, or a Keras name: "adam", "sgd", "rmsprop", "adamw". */
  optimizer: OptimizerLike;
  /** A loss object or Keras name; default "sparse_categorical_crossentropy". */
  loss?: LossLike;
  /** Metric objects or Keras names ("accuracy" follows the loss, as Keras). */
  metrics?: readonly MetricLike[];
}

/** The optimizer, loss and metrics of `options`, resolved (errors name what is accepted). */
export function compileOptions(options: CompileOptions): TrainingSetup {
  if (options === null || typeof options !== "object") {
    throw new TypeError("compile takes { optimizer, loss, metrics }");
  }
  if (options.optimizer === undefined) throw new TypeError('compile needs an optimizer, e.g. { optimizer: "adam" }');
  const loss = getLoss(options.loss ?? "sparse_categorical_crossentropy");
  const metrics = (options.metrics ?? []).map((m) => getMetric(m));
  const names = metrics.map((m) => m.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new RangeError(`metric "${twice}" is given twice`);
  return { optimizer: getOptimizer(options.optimizer), loss, metrics };
}
