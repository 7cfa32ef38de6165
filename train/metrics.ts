/**
 * Keras's metrics as stateful objects (update per batch, result so far,
 * reset per epoch), with Keras's names for the logs and Keras's configs:
 * the accuracies (arg-max ties to the first index, NaN never the maximum,
 * as tf.math.argmax), top-k as tf.math.in_top_k (ties count in, a row with
 * a non-finite score counts out), Mean for averaging losses, and larq's
 * FlipRatio: the fraction of a binary weight tensor's signs that changed
 * since the previous update, averaged over updates (the first update has
 * nothing to compare with and contributes nothing).
 *
 * Results accumulate in float64 (Keras keeps float32 totals: its results
 * differ from these by float32 rounding).
 * @module
 */
import { Tensor } from "../graph/tensor.ts";

/**
 * larq's FlipRatio of one weight tensor.
 *
 * @example
 * ```ts
 * import { FlipRatio } from "./metrics.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const m = new FlipRatio();
 * for (const v of [[1, 1], [2, 2], [1, 2]]) { m.update(Tensor.from(v)); console.log(m.result()); } // 0, 1, 0.75
 * ```
 */
export class FlipRatio {
  #previous: Int8Array | null = null;
  #total = 0;
  #count = 0;

  /** Records the current values (cast to int8, as larq: compare what the quantizer would see). */
  update(values: Tensor): void {
    const current = Int8Array.from(values.data, (v) => Math.trunc(v));
    if (this.#previous !== null) {
      if (this.#previous.length !== current.length) {
        throw new RangeError(`FlipRatio: ${current.length} values, previously ${this.#previous.length}`);
      }
      let equal = 0;
      for (let i = 0; i < current.length; i++) if (current[i] === this.#previous[i]) equal++;
      this.#total += 1 - equal / current.length;
    }
    this.#previous = current;
    this.#count++;
  }

  /** Mean flip ratio over the updates after the first (0 before two updates). */
  result(): number {
    return this.#count > 1 ? this.#total / (this.#count - 1) : 0;
  }

  /** Forgets every update. */
  reset(): void {
    this.#previous = null;
    this.#total = 0;
    this.#count = 0;
  }
}

/** Keras-style serialised metric: `{ class_name: "SparseTopKCategoricalAccuracy", config: { name, dtype, k } }`. */
export interface MetricConfig {
  /** Keras's class name (`SparseCategoricalAccuracy`, …). */
  class_name: string;
  /** The constructor arguments, snake_case (`name`, `dtype`, `k`, `threshold`). */
  config: Record<string, unknown>;
}

/** A stateful metric of labels and predictions, as Keras's. */
export interface Metric {
  /** The key in fit's logs (`accuracy`, `sparse_top_k_categorical_accuracy`, ...). */
  readonly name: string;
  /** Adds one batch. */
  update(yTrue: Tensor, yPred: Tensor): void;
  /** The value over every batch since the last reset (0 before any). */
  result(): number;
  /** Forgets every batch (fit calls it at the start of each epoch). */
  reset(): void;
  /** Keras's `{ class_name, config }` form (what `getMetric` reads back). */
  getConfig(): MetricConfig;
}

function checkName(name: unknown, where: string): string {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`${where}: name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Keras's Mean: the weighted mean of every value given (a tensor's values
 * each count with the weight). fit averages batch losses with it, weighted
 * by batch size.
 *
 * @example
 * ```ts
 * import { Mean } from "./metrics.ts";
 * const loss = new Mean({ name: "loss" });
 * loss.update(0.5, 4);
 * loss.update(2, 2);
 * console.log(loss.result()); // 1
 * ```
 */
export class Mean {
  /** The key in fit's logs (default `mean`). */
  readonly name: string;
  #total = 0;
  #count = 0;
  /** `options.name`: a non-empty string (else a TypeError). */
  constructor(options: { name?: string } = {}) {
    this.name = checkName(options.name ?? "mean", "Mean");
  }
  /** Adds `values` (a number or every value of a tensor), each with `sampleWeight`. */
  update(values: number | Tensor, sampleWeight = 1): void {
    if (typeof sampleWeight !== "number" || !Number.isFinite(sampleWeight)) {
      throw new TypeError(`Mean "${this.name}": sampleWeight must be a finite number, got ${String(sampleWeight)}`);
    }
    if (typeof values === "number") {
      this.#total += values * sampleWeight;
      this.#count += sampleWeight;
      return;
    }
    if (!(values instanceof Tensor)) {
      throw new TypeError(`Mean "${this.name}": values must be a number or a Tensor, got ${String(values)}`);
    }
    for (const v of values.data) this.#total += v * sampleWeight;
    this.#count += values.size * sampleWeight;
  }
  /** total / count, 0 while the count is 0 (Keras's divide_no_nan). */
  result(): number {
    return this.#count === 0 ? 0 : this.#total / this.#count;
  }
  /** Forgets every value. */
  reset(): void {
    this.#total = 0;
    this.#count = 0;
  }
  /** Keras's keys: `name`, `dtype`. */
  getConfig(): MetricConfig {
    return { class_name: "Mean", config: { name: this.name, dtype: "float32" } };
  }
}

/** The rows of a [..., classes] tensor: their count and length. */
function rowsOf(t: Tensor, where: string): { rows: number; classes: number } {
  const classes = t.shape[t.rank - 1];
  if (t.rank < 1 || !(classes >= 1)) throw new RangeError(`${where}: predictions need a class axis, got [${t.shape}]`);
  return { rows: t.size / classes, classes };
}

/** tf.math.argmax of row `r`: the first maximum; NaN is never the maximum (a row of NaN gives 0). */
function argmax(data: ArrayLike<number>, r: number, classes: number): number {
  let best = 0, value = -Infinity;
  for (let c = 0; c < classes; c++) {
    if (data[r * classes + c] > value) {
      value = data[r * classes + c];
      best = c;
    }
  }
  return best;
}

/**
 * tf.math.in_top_k for row `r`: fewer than k scores strictly above the
 * target's (ties count in); out of range, or any non-finite score, is out.
 */
function inTopK(data: ArrayLike<number>, r: number, classes: number, target: number, k: number): boolean {
  if (!(target >= 0 && target < classes)) return false;
  const own = data[r * classes + target];
  let above = 0;
  for (let c = 0; c < classes; c++) {
    const v = data[r * classes + c];
    if (!Number.isFinite(v)) return false;
    if (v > own) above++;
  }
  return above < k;
}

function checkK(k: unknown, where: string): number {
  if (!Number.isInteger(k) || (k as number) < 1) {
    throw new RangeError(`${where}: k must be a positive integer, got ${k}`);
  }
  return k as number;
}

/** Keras's MeanMetricWrapper: the mean over samples of a per-sample value. */
export abstract class MeanOfSamples implements Metric {
  /** The key in fit's logs. */
  readonly name: string;
  readonly #mean = new Mean();
  /** `name` (default `defaultName`): a non-empty string, else a TypeError. */
  constructor(name: string | undefined, defaultName: string) {
    this.name = checkName(name ?? defaultName, this.constructor.name);
  }
  /** One value per sample (row of the predictions). */
  protected abstract perSample(yTrue: Tensor, yPred: Tensor): number[];
  /** Adds one value per sample of the batch. */
  update(yTrue: Tensor, yPred: Tensor): void {
    for (const v of this.perSample(yTrue, yPred)) this.#mean.update(v);
  }
  /** The mean over every sample since the last reset (0 before any). */
  result(): number {
    return this.#mean.result();
  }
  /** Forgets every sample. */
  reset(): void {
    this.#mean.reset();
  }
  /** Keras's `{ class_name, config }` form. */
  abstract getConfig(): MetricConfig;
  /** The config keys every such metric writes: `name`, `dtype`. */
  protected baseConfig(): Record<string, unknown> {
    return { name: this.name, dtype: "float32" };
  }
}

/** Class labels for `rows` predictions: [rows] or [rows, 1] (Keras squeezes the last). */
function sparseLabels(yTrue: Tensor, rows: number, where: string): ArrayLike<number> {
  if (yTrue.size !== rows) {
    throw new RangeError(`${where}: ${yTrue.size} labels ([${yTrue.shape}]) for ${rows} predictions`);
  }
  return yTrue.data;
}

function sameSize(yTrue: Tensor, yPred: Tensor, where: string): void {
  if (yTrue.size !== yPred.size) {
    throw new RangeError(
      `${where}: yTrue [${yTrue.shape}] and yPred [${yPred.shape}] hold different numbers of values`,
    );
  }
}

/**
 * Fraction of samples whose arg-max is the integer label.
 *
 * @example
 * ```ts
 * import { SparseCategoricalAccuracy } from "./metrics.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const m = new SparseCategoricalAccuracy();
 * m.update(Tensor.from([1, 0]), Tensor.from([[0.2, 0.8], [0.3, 0.7]]));
 * console.log(m.name, m.result()); // sparse_categorical_accuracy 0.5
 * ```
 */
export class SparseCategoricalAccuracy extends MeanOfSamples {
  /** `options.name`: the key in fit's logs (default `sparse_categorical_accuracy`). */
  constructor(options: { name?: string } = {}) {
    super(options.name, "sparse_categorical_accuracy");
  }
  /** 1 where the row's arg-max is the label, else 0. */
  protected perSample(yTrue: Tensor, yPred: Tensor): number[] {
    const { rows, classes } = rowsOf(yPred, this.name);
    const labels = sparseLabels(yTrue, rows, this.name);
    return Array.from({ length: rows }, (_, r) => (argmax(yPred.data, r, classes) === labels[r] ? 1 : 0));
  }
  /** Keras's keys: `name`, `dtype`. */
  getConfig(): MetricConfig {
    return { class_name: "SparseCategoricalAccuracy", config: this.baseConfig() };
  }
}

/** Fraction of samples whose arg-max is the arg-max of the one-hot target. */
export class CategoricalAccuracy extends MeanOfSamples {
  /** `options.name`: the key in fit's logs (default `categorical_accuracy`). */
  constructor(options: { name?: string } = {}) {
    super(options.name, "categorical_accuracy");
  }
  /** 1 where the row's arg-max is the target's arg-max, else 0. */
  protected perSample(yTrue: Tensor, yPred: Tensor): number[] {
    sameSize(yTrue, yPred, this.name);
    const { rows, classes } = rowsOf(yPred, this.name);
    return Array.from(
      { length: rows },
      (_, r) => (argmax(yPred.data, r, classes) === argmax(yTrue.data, r, classes) ? 1 : 0),
    );
  }
  /** Keras's keys: `name`, `dtype`. */
  getConfig(): MetricConfig {
    return { class_name: "CategoricalAccuracy", config: this.baseConfig() };
  }
}

/** Per sample, the fraction of outputs where (yPred > threshold) equals yTrue (0 or 1). */
export class BinaryAccuracy extends MeanOfSamples {
  /** Keras's `threshold`: predictions above it count as 1. */
  readonly threshold: number;
  /** `name` (default `binary_accuracy`); `threshold` a finite number (default 0.5; else a RangeError). */
  constructor(options: { name?: string; threshold?: number } = {}) {
    super(options.name, "binary_accuracy");
    const t = options.threshold ?? 0.5;
    if (typeof t !== "number" || !Number.isFinite(t)) {
      throw new RangeError(`BinaryAccuracy: threshold must be a finite number, got ${String(t)}`);
    }
    this.threshold = t;
  }
  /** Per row, the fraction of outputs where (yPred > threshold) equals yTrue. */
  protected perSample(yTrue: Tensor, yPred: Tensor): number[] {
    sameSize(yTrue, yPred, this.name);
    const { rows, classes } = rowsOf(yPred, this.name);
    const t = Math.fround(this.threshold); // compared in float32, as Keras
    return Array.from({ length: rows }, (_, r) => {
      let hits = 0;
      for (let c = r * classes; c < (r + 1) * classes; c++) if ((yPred.data[c] > t ? 1 : 0) === yTrue.data[c]) hits++;
      return hits / classes;
    });
  }
  /** Keras's keys: `name`, `dtype`, `threshold`. */
  getConfig(): MetricConfig {
    return { class_name: "BinaryAccuracy", config: { ...this.baseConfig(), threshold: this.threshold } };
  }
}

/** Fraction of samples whose integer label is among the k highest scores (k = 5 by default). */
export class SparseTopKCategoricalAccuracy extends MeanOfSamples {
  /** Keras's `k`: how many of the highest scores count as a hit. */
  readonly k: number;
  /** `name` (default `sparse_top_k_categorical_accuracy`); `k` a positive integer (default 5; else a RangeError). */
  constructor(options: { name?: string; k?: number } = {}) {
    super(options.name, "sparse_top_k_categorical_accuracy");
    this.k = checkK(options.k ?? 5, "SparseTopKCategoricalAccuracy");
  }
  /** 1 where the label is among the row's k highest scores (tf.math.in_top_k), else 0. */
  protected perSample(yTrue: Tensor, yPred: Tensor): number[] {
    const { rows, classes } = rowsOf(yPred, this.name);
    const labels = sparseLabels(yTrue, rows, this.name);
    // Keras casts the labels to int32 (truncation).
    return Array.from(
      { length: rows },
      (_, r) => (inTopK(yPred.data, r, classes, Math.trunc(labels[r]), this.k) ? 1 : 0),
    );
  }
  /** Keras's keys: `name`, `dtype`, `k`. */
  getConfig(): MetricConfig {
    return { class_name: "SparseTopKCategoricalAccuracy", config: { ...this.baseConfig(), k: this.k } };
  }
}

/** Fraction of samples whose one-hot target's arg-max is among the k highest scores (k = 5 by default). */
export class TopKCategoricalAccuracy extends MeanOfSamples {
  /** Keras's `k`: how many of the highest scores count as a hit. */
  readonly k: number;
  /** `name` (default `top_k_categorical_accuracy`); `k` a positive integer (default 5; else a RangeError). */
  constructor(options: { name?: string; k?: number } = {}) {
    super(options.name, "top_k_categorical_accuracy");
    this.k = checkK(options.k ?? 5, "TopKCategoricalAccuracy");
  }
  /** 1 where the target's arg-max is among the row's k highest scores (tf.math.in_top_k), else 0. */
  protected perSample(yTrue: Tensor, yPred: Tensor): number[] {
    sameSize(yTrue, yPred, this.name);
    const { rows, classes } = rowsOf(yPred, this.name);
    return Array.from(
      { length: rows },
      (_, r) => (inTopK(yPred.data, r, classes, argmax(yTrue.data, r, classes), this.k) ? 1 : 0),
    );
  }
  /** Keras's keys: `name`, `dtype`, `k`. */
  getConfig(): MetricConfig {
    return { class_name: "TopKCategoricalAccuracy", config: { ...this.baseConfig(), k: this.k } };
  }
}

/** The accuracies "accuracy" may stand for (see {@link accuracyFor}). */
export type Accuracy = "binary_accuracy" | "sparse_categorical_accuracy" | "categorical_accuracy";

/**
 * Keras compile's rule for "accuracy": binary when the predictions have
 * one output, sparse when the labels have a lower rank (or one value per
 * sample for several outputs), categorical otherwise.
 */
export function accuracyFor(yTrueShape: readonly number[], yPredShape: readonly number[]): Accuracy {
  const trueLast = yTrueShape[yTrueShape.length - 1], predLast = yPredShape[yPredShape.length - 1];
  if (predLast === 1) return "binary_accuracy";
  if (yTrueShape.length < yPredShape.length || (trueLast === 1 && predLast > 1)) return "sparse_categorical_accuracy";
  return "categorical_accuracy";
}

const ACCURACIES: Record<Accuracy, (name: string) => Metric> = {
  binary_accuracy: (name) => new BinaryAccuracy({ name }),
  sparse_categorical_accuracy: (name) => new SparseCategoricalAccuracy({ name }),
  categorical_accuracy: (name) => new CategoricalAccuracy({ name }),
};

/**
 * "accuracy" as Keras's compile reads it: which accuracy is decided by the
 * shapes of the first batch ({@link accuracyFor}). Its config is Keras's
 * MeanMetricWrapper, `fn` null until decided.
 */
class AccuracyByShape implements Metric {
  readonly name: string;
  #metric: Metric | null = null;
  #fn: Accuracy | null = null;
  constructor(name: string) {
    this.name = checkName(name, "accuracy");
  }
  update(yTrue: Tensor, yPred: Tensor): void {
    if (this.#fn === null) {
      this.#fn = accuracyFor(yTrue.shape, yPred.shape);
      this.#metric = ACCURACIES[this.#fn](this.name);
    }
    this.#metric!.update(yTrue, yPred);
  }
  result(): number {
    return this.#metric?.result() ?? 0;
  }
  reset(): void {
    this.#metric?.reset();
  }
  getConfig(): MetricConfig {
    return { class_name: "MeanMetricWrapper", config: { name: this.name, dtype: "float32", fn: this.#fn } };
  }
}

/** Keras's metric names (its functions), each with the class that computes it. */
const FUNCTIONS: Record<string, (name: string) => Metric> = {
  ...ACCURACIES,
  sparse_top_k_categorical_accuracy: (name) => new SparseTopKCategoricalAccuracy({ name }),
  top_k_categorical_accuracy: (name) => new TopKCategoricalAccuracy({ name }),
};

type Options = { name?: string; k?: number; threshold?: number };
const CLASSES: Record<string, (o: Options) => Metric> = {
  SparseCategoricalAccuracy: (o) => new SparseCategoricalAccuracy(o),
  CategoricalAccuracy: (o) => new CategoricalAccuracy(o),
  BinaryAccuracy: (o) => new BinaryAccuracy(o),
  SparseTopKCategoricalAccuracy: (o) => new SparseTopKCategoricalAccuracy(o),
  TopKCategoricalAccuracy: (o) => new TopKCategoricalAccuracy(o),
};

/** A MeanMetricWrapper's `fn`: a name, or Keras's serialised function `{ class_name: "function", config: name }`. */
function wrappedFunction(fn: unknown): string | null {
  if (fn === null || fn === undefined || typeof fn === "string") return fn ?? null;
  const config = (fn as { config?: unknown }).config;
  return typeof config === "string" ? config : JSON.stringify(fn);
}

function metricFromConfig(c: MetricConfig): Metric {
  const o = c.config ?? {};
  if (o.dtype !== undefined && o.dtype !== "float32") {
    throw new RangeError(`${c.class_name} config: dtype ${o.dtype}; onebit's metrics are float32`);
  }
  if (c.class_name === "MeanMetricWrapper") {
    const fn = wrappedFunction(o.fn), name = (o.name as string | undefined) ?? fn ?? "accuracy";
    if (fn === null) return new AccuracyByShape(name);
    if (!FUNCTIONS[fn]) throw new RangeError(`MeanMetricWrapper of "${fn}"; onebit wraps ${Object.keys(FUNCTIONS)}`);
    return FUNCTIONS[fn](name);
  }
  const make = CLASSES[c.class_name];
  if (!make) throw new RangeError(`unknown metric class "${c.class_name}"; onebit has ${Object.keys(CLASSES)}`);
  return make({ name: o.name as string, k: o.k as number, threshold: o.threshold as number });
}

/**
 * A metric from Keras's name for it, its config, or the metric itself.
 * `"accuracy"` and `"acc"` are chosen as Keras's compile chooses (by the
 * shapes of the first batch: binary, sparse categorical or categorical);
 * function names (`"top_k_categorical_accuracy"`, k = 5) log under that
 * name; class names (`"SparseTopKCategoricalAccuracy"`) under Keras's
 * default name.
 *
 * @example
 * ```ts
 * import { getMetric } from "./metrics.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const acc = getMetric("accuracy"), top2 = getMetric({ class_name: "SparseTopKCategoricalAccuracy", config: { k: 2 } });
 * for (const m of [acc, top2]) m.update(Tensor.from([2, 2]), Tensor.from([[0.1, 0.3, 0.6], [0.2, 0.5, 0.3]]));
 * console.log(acc.name, acc.result(), top2.name, top2.result()); // accuracy 0.5 sparse_top_k_categorical_accuracy 1
 * console.log(acc.getConfig().config.fn); // sparse_categorical_accuracy
 * ```
 */
export function getMetric(identifier: string | MetricConfig | Metric): Metric {
  if (typeof identifier === "string") {
    if (["accuracy", "acc"].includes(identifier.toLowerCase())) return new AccuracyByShape(identifier);
    if (FUNCTIONS[identifier]) return FUNCTIONS[identifier](identifier);
    if (CLASSES[identifier]) return CLASSES[identifier]({});
    throw new RangeError(
      `unknown metric "${identifier}"; onebit knows accuracy, acc, ${Object.keys(FUNCTIONS)}, ${Object.keys(CLASSES)}`,
    );
  }
  if (typeof identifier === "object" && identifier !== null) {
    if (typeof (identifier as Metric).update === "function") return identifier as Metric;
    if (typeof (identifier as MetricConfig).class_name === "string") {
      return metricFromConfig(identifier as MetricConfig);
    }
  }
  throw new TypeError(
    `getMetric takes a metric name, a { class_name, config } object or a Metric, got ${String(identifier)}`,
  );
}
