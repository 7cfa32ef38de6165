/**
 * The training loop (Keras's fit): mini-batches (shuffled from a seed) from
 * arrays or a Dataset, the compiled loss plus the layers' regularization,
 * one optimizer step per batch (constraints applied after it), metrics,
 * validation, callbacks, a history. `fit` yields to the event loop between
 * batches so a notebook shows progress; `fitSync` does not. It works on any
 * `Network` (models/ implements it).
 * @module
 */
import * as ops from "../graph/ops.ts";
import { noGrad, valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import type { Layer, Weight } from "../layers/layer.ts";
import { seededRandom, shuffleInPlace } from "../graph/random.ts";
import type { Optimizer } from "./optimizers.ts";
import { FlipRatio, getMetric, type Metric, type MetricConfig } from "./metrics.ts";
import { getLoss, type Loss, type LossConfig } from "./losses.ts";
import { LivePlot } from "./callbacks.ts";
import { History } from "./history.ts";
import { jupyterDisplay } from "../viz/html.ts";
import { clearStepBuffers, withStepBuffers } from "../kernels/_step_buffers.ts";

export { History };

/** What training needs of a model (models/ implements it: Model and Sequential). */
export interface Network {
  /** The model's name (fit's errors name it). */
  readonly name: string;
  /** Its layers: fit trains the trainable variables of the trainable ones. */
  readonly layers: readonly Layer[];
  /** Every weight with its constraint and quantizer (callbacks save and restore them). */
  readonly weights: readonly Weight[];
  /** How many tensors the model takes. */
  readonly inputCount: number;
  /** Its outputs once its graph is known (reading them may throw before: a Sequential not called yet). */
  readonly outputs?: readonly unknown[];
  /** One tensor per output for one tensor per input. */
  call(xs: readonly Tensor[], options: { training?: boolean }): Tensor[];
  /** Throws a RangeError naming the input when `xs` do not fit the model's inputs. */
  checkInputs?(xs: readonly Tensor[]): void;
  /** A checkpoint's bytes (ModelCheckpoint writes them). */
  checkpointBytes?(options: { optimizer?: Optimizer }): Uint8Array;
}

/** A loss: an object, its Keras name ("sparse_categorical_crossentropy", "mse", …) or its config. */
export type LossLike = string | LossConfig | Loss;

/** A metric: an object, its Keras name ("accuracy", "top_k_categorical_accuracy", …) or its config. */
export type MetricLike = string | MetricConfig | Metric;

/** A model's input data: one tensor, or one per input of a multi-input model (rows aligned). */
export type Inputs = Tensor | readonly Tensor[];

/** Targets: a tensor (class indices, one-hot rows, values), or class indices as numbers. */
export type Labels = Tensor | ArrayLike<number>;

/** What an epoch (or a batch) reports, under Keras's names: loss, accuracy, val_loss, … */
export type EpochLogs = Record<string, number>;

/** What callbacks see and may change (set `stopTraining` to end after this batch or epoch). */
export interface TrainingContext {
  /** The model being trained. */
  model: Network;
  /** The optimizer (learning-rate callbacks change its rate). */
  optimizer: Optimizer;
  /** The epochs fit was asked for. */
  epochs: number;
  /** Set to true to end training after the current batch or epoch. */
  stopTraining: boolean;
}

/** Hooks into fit (Keras callbacks); see train/callbacks.ts. */
export interface Callback {
  /** Before the first epoch. */
  onTrainBegin?(ctx: TrainingContext): void;
  /** At the start of each epoch (0-based). */
  onEpochBegin?(epoch: number, ctx: TrainingContext): void;
  /** After each batch, with the batch's logs (the running means, and `batch_loss`). */
  onBatchEnd?(batch: number, logs: EpochLogs, ctx: TrainingContext): void;
  /**
   * After each epoch, with its logs (a callback may add keys, as `lr`). `fit` waits for a returned promise before
   * the next epoch (a notebook display); `fitSync` refuses one.
   */
  onEpochEnd?(epoch: number, logs: EpochLogs, ctx: TrainingContext): void;
  /** After the last epoch (also after an early stop). */
  onTrainEnd?(ctx: TrainingContext): void;
}

/** What compile fixes: the optimizer, the loss and the metrics. */
export interface TrainingSetup {
  /** The optimizer fit steps once per batch. */
  optimizer: Optimizer;
  /** The loss minimised (fit adds the weights' regularization to it). */
  loss: Loss;
  /** The metrics logged beside `loss`. */
  metrics: Metric[];
}

/** Options of {@link fit}, {@link fitSync} (and, without what compile sets, of `Model.fit`). */
export interface FitOptions {
  /** The optimizer (a compiled model passes its own). */
  optimizer: Optimizer;
  /** Default sparse categorical cross-entropy (from a softmax's logits, as Keras). */
  loss?: LossLike;
  /** Default ["accuracy"]. */
  metrics?: readonly MetricLike[];
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Samples per batch (default 32; a Dataset batches itself). */
  batchSize?: number;
  /** Shuffle the samples each epoch (default true; arrays only). */
  shuffle?: boolean;
  /** Seeds the shuffling (default 0). */
  seed?: number;
  /** The last fraction of the samples (before shuffling) is held out for validation, as Keras. */
  validationSplit?: number;
  /** Scored after every epoch at inference (moving statistics): val_loss and val_<metric>. */
  validationData?: { x: Inputs; y: Labels };
  /** Keras-style callbacks, called in order. */
  callbacks?: Callback[];
  /** Track larq's flip_ratio of every binary (precision-1) weight, per epoch (`flip_ratio/<weight>` in the logs). */
  flipRatio?: boolean;
  /**
   * Keras's verbose: 1 a progress bar, 2 one line per epoch, 0 nothing; "auto" (default) the bar on a
   * terminal, else one line per epoch (a notebook, a log file). In a Jupyter notebook, "auto" also draws the
   * training curves, replaced as each epoch ends (`fit` adds a {@link LivePlot} unless one is given).
   */
  verbose?: "auto" | 0 | 1 | 2;
  /**
   * Reuse the big intermediate arrays of one training step in the next (default true): faster, since a fresh
   * multi-megabyte array costs several times a reused one. Like tfjs's `tidy()`, a tensor made during a step
   * (a layer's output, a gradient) is released when the step ends: keeping one past the step (in a custom layer
   * or a metric) and reading it throws an Error saying so; copy what you keep (`tensor.data.slice()`). Variables,
   * optimizer slots, the loss and the metrics are not affected. `false`: every array is fresh, as before.
   */
  reuseBuffers?: boolean;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Samples per batch (default 256). */
  batchSize?: number;
}

/** Rows `index` of x as a new tensor, into `into` when it has the right type and length (a batch's reused array). */
export function rowsOf(x: Tensor, index: ArrayLike<number>, into?: Float32Array | Float64Array): Tensor {
  const per = x.size / x.shape[0], n = index.length * per, f64 = x.dtype === "float64";
  const fits = into !== undefined && into.length === n && (into instanceof Float64Array) === f64;
  const out = fits ? into : f64 ? new Float64Array(n) : new Float32Array(n);
  const data = x.data;
  for (let i = 0; i < index.length; i++) out.set(data.subarray(index[i] * per, (index[i] + 1) * per), i * per);
  return new Tensor(out, [index.length, ...x.shape.slice(1)]);
}

export function listOf(x: Inputs): readonly Tensor[] {
  return x instanceof Tensor ? [x] : Array.isArray(x) ? x : [];
}

/** Targets as a tensor with a batch axis. */
function labelTensor(y: Labels): Tensor {
  if (y instanceof Tensor) return y;
  if (y === null || typeof y !== "object" || typeof y.length !== "number") {
    throw new TypeError(`targets must be a Tensor or an array of numbers, got ${String(y)}`);
  }
  return new Tensor(Float32Array.from(y), [y.length]);
}

/** A value in an error message: its type, and a short form of it. */
function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.map((e) => (e instanceof Tensor ? "Tensor" : typeof e)).join(", ")}`;
  return `${typeof v} ${String(v).slice(0, 40)}`;
}

/** Checks inputs against the model and targets against the inputs; returns the sample count. */
export function checkData(model: Network, x: Inputs, y: Tensor | null, what = "x"): number {
  const list = listOf(x);
  if (list.length === 0 || list.some((t) => !(t instanceof Tensor))) {
    throw new TypeError(`${what} must be a Tensor (or one per model input), got ${describe(x)}`);
  }
  if (list.length !== model.inputCount) {
    throw new RangeError(`model "${model.name}" takes ${model.inputCount} inputs, ${what} has ${list.length}`);
  }
  const n = list[0].shape[0];
  if (list.some((t) => t.shape[0] !== n)) {
    throw new RangeError(`${what}: inputs have different sample counts: ${list.map((t) => t.shape[0])}`);
  }
  if (y && y.shape[0] !== n) throw new RangeError(`${y.shape[0]} targets for ${n} samples in ${what}`);
  // Keras: "Expected input data to be non-empty".
  if (n === 0) throw new RangeError(`${what} has no samples (shape [${list[0].shape}]); give at least one row`);
  model.checkInputs?.(list);
  return n;
}

/**
 * Progress as Keras prints it: a bar on a terminal (mode 1:
 * `epoch 2/6 [=====>    ] 412/938 loss 0.4521 accuracy 0.9610`), or one
 * line per epoch (mode 2), or nothing (0).
 */
function progressBar(mode: 0 | 1 | 2) {
  const encoder = new TextEncoder();
  const write = (text: string) => mode === 1 && Deno.stdout.writeSync(encoder.encode(text));
  const format = (logs: EpochLogs) =>
    Object.entries(logs).filter(([k]) => !k.startsWith("flip_ratio/")).map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(" ");
  return {
    batch(epoch: number, epochs: number, done: number, total: number | null, logs: EpochLogs) {
      if (mode !== 1) return; // no bar to draw: not even its text is made
      const width = 24, filled = total ? Math.round((width * done) / total) : 0;
      const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") + " ".repeat(width - filled);
      write(`\repoch ${epoch + 1}/${epochs} [${bar}] ${done}/${total ?? "?"} ${format(logs)}`);
    },
    end(epoch: number, epochs: number, logs: EpochLogs) {
      if (mode === 2) console.log(`epoch ${epoch + 1}/${epochs} ${format(logs)}`);
      const val = Object.fromEntries(Object.entries(logs).filter(([k]) => k.startsWith("val_")));
      write(`${Object.keys(val).length ? " " + format(val) : ""}\n`);
    },
  };
}

/** The state of one fit call: the steps shared by `fit` and `fitSync`. */
class Trainer {
  readonly ctx: TrainingContext;
  readonly history: History = new History();
  readonly #loss: Loss;
  readonly #metrics: Metric[];
  readonly #lossMean = { sum: 0, count: 0 };
  #weights: Weight[] | null = null;
  #flips: Map<Weight, FlipRatio> | null = null;
  readonly #bar: ReturnType<typeof progressBar>;
  readonly #callbacks: Callback[];
  readonly random: () => number;
  batches: number | null = null;

  constructor(readonly model: Network, readonly options: FitOptions) {
    if (!options.optimizer || typeof options.optimizer.apply !== "function") {
      throw new TypeError("fit needs an optimizer (compile the model, or pass { optimizer })");
    }
    this.#loss = getLoss(options.loss ?? "sparse_categorical_crossentropy");
    this.#metrics = (options.metrics ?? ["accuracy"]).map((m) => getMetric(m));
    const epochs = options.epochs ?? 1;
    if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`epochs must be an integer ≥ 0, got ${epochs}`);
    this.ctx = { model, optimizer: options.optimizer, epochs, stopTraining: false };
    this.random = seededRandom(options.seed ?? 0);
    const verbose = options.verbose ?? "auto";
    if (![0, 1, 2, "auto"].includes(verbose)) throw new RangeError(`verbose must be 0, 1, 2 or "auto", got ${verbose}`);
    this.#bar = progressBar(verbose === "auto" ? (Deno.stdout.isTerminal() ? 1 : 2) : verbose);
    this.#callbacks = options.callbacks ?? [];
  }

  /** Each input's and the targets' batch arrays, reused batch after batch when buffers are reused (reuseBuffers). */
  readonly #batchArrays = new Map<number, Float32Array | Float64Array>();

  /**
   * Batch `idx` of the inputs and targets: gathered into the arrays of the batch before (the step reads them, and
   * nothing keeps a batch past its step), where fresh ones cost about 0.3 ms a step for larq's MNIST CNN (64
   * images: page faults on a 200 KB array).
   */
  batchOf(xs: readonly Tensor[], y: Tensor, idx: ArrayLike<number>): [Tensor[], Tensor] {
    const reuse = this.options.reuseBuffers ?? true;
    const rows = (t: Tensor, slot: number) => {
      const r = rowsOf(t, idx, reuse ? this.#batchArrays.get(slot) : undefined);
      if (reuse) this.#batchArrays.set(slot, r.data as Float32Array | Float64Array);
      return r;
    };
    return [xs.map((t, i) => rows(t, i)), rows(y, xs.length)];
  }

  /** The weights to train, once the model is built (a first call on one sample builds it). */
  #trainable(xs: readonly Tensor[]): Weight[] {
    if (this.#weights) return this.#weights;
    // A built model's outputs are known without a call (each fit call ran a whole forward pass here, one more per
    // batch when fit is called batch by batch).
    const outputs = builtOutputs(this.model) ??
      noGrad(() => this.model.call(xs.map((t) => rowsOf(t, [0])), { training: false }));
    if (outputs.length !== 1) {
      throw new RangeError(`fit trains single-output models; "${this.model.name}" has ${outputs.length} outputs`);
    }
    // Frozen layers (layer.trainable = false) and non-trainable variables keep their values.
    const weights = this.model.layers.flatMap((l) => l.trainable ? l.weights.filter((w) => w.variable.trainable) : []);
    this.#flips = this.options.flipRatio
      ? new Map(weights.filter((w) => w.quantizer?.precision === 1).map((w) => [w, new FlipRatio()]))
      : null;
    return this.#weights = weights;
  }

  begin(): void {
    for (const c of this.#callbacks) c.onTrainBegin?.(this.ctx);
  }

  epochBegin(epoch: number): void {
    for (const c of this.#callbacks) c.onEpochBegin?.(epoch, this.ctx);
    for (const m of [...this.#metrics, ...(this.#flips?.values() ?? [])]) m.reset();
    this.#lossMean.sum = this.#lossMean.count = 0;
  }

  /** One optimizer step on a batch; the running logs. */
  step(epoch: number, batch: number, xs: readonly Tensor[], y: Tensor): EpochLogs {
    const weights = this.#trainable(xs); // outside the step's scope: building a model makes lasting state
    const loss = withStepBuffers(() => this.#update(weights, xs, y), this.options.reuseBuffers ?? true);
    const n = xs[0].shape[0];
    this.#lossMean.sum += loss * n;
    this.#lossMean.count += n;
    const logs = this.#logs();
    for (const c of this.#callbacks) c.onBatchEnd?.(batch, { ...logs, batch_loss: loss }, this.ctx);
    this.#bar.batch(epoch, this.ctx.epochs, batch + 1, this.batches, logs);
    return logs;
  }

  /**
   * Forward, backward, optimizer, flip ratios and metrics on one batch; the batch's loss. Everything read from the
   * step's tensors is read here, before a step scope releases their arrays.
   */
  #update(weights: readonly Weight[], xs: readonly Tensor[], y: Tensor): number {
    let prediction!: Tensor;
    const { value, grads } = valueAndGrads(() => {
      prediction = this.model.call(xs, { training: true })[0];
      return this.#withRegularization(weights, this.#loss.call(y, prediction));
    }, weights.map((w) => w.variable));
    // The optimizers apply each variable's constraint (weight_clip) after its update, as Keras.
    this.ctx.optimizer.apply(weights.map((weight, i) => ({ weight, grad: grads[i] })));
    for (const [w, m] of this.#flips ?? []) m.update(noGrad(() => w.quantizer!.call(w.variable)));
    noGrad(() => this.#metrics.forEach((m) => m.update(y, prediction)));
    return value.item();
  }

  /** Keras adds every weight's regularization penalty to the loss. */
  #withRegularization(weights: readonly Weight[], loss: Tensor): Tensor {
    for (const w of weights) if (w.regularizer) loss = ops.add(loss, w.regularizer.call(w.variable));
    return loss;
  }

  #logs(): EpochLogs {
    const logs: EpochLogs = { loss: this.#lossMean.sum / Math.max(1, this.#lossMean.count) };
    for (const m of this.#metrics) logs[m.name] = m.result();
    return logs;
  }

  /** Ends an epoch: validation, logs, history, callbacks; the promises callbacks returned (fit awaits them). */
  epochEnd(epoch: number, validation: { x: Inputs; y: Tensor } | null): Promise<void>[] {
    const logs = this.#logs();
    if (validation) {
      const v = evaluateWith(this.model, validation.x, validation.y, this.#loss, this.#metrics, 256);
      for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
    }
    for (const [w, m] of this.#flips ?? []) logs[`flip_ratio/${w.variable.name}`] = m.result();
    this.history.record(epoch, logs);
    this.#bar.end(epoch, this.ctx.epochs, logs);
    const pending: Promise<void>[] = [];
    for (const c of this.#callbacks) {
      // Typed void (any function fits), but an async callback's promise is awaited by fit.
      const result: unknown = c.onEpochEnd?.(epoch, logs, this.ctx);
      if (result instanceof Promise) pending.push(result);
    }
    return pending;
  }

  end(): History {
    clearStepBuffers(); // the last step's big arrays are not kept after training
    for (const c of this.#callbacks) c.onTrainEnd?.(this.ctx);
    return this.history;
  }
}

/** Training and validation arrays after validationSplit, checked. */
function splitData(model: Network, x: Inputs, y: Labels, options: FitOptions) {
  const yt = labelTensor(y);
  const n = checkData(model, x, yt);
  let train = { x, y: yt, n };
  let validation: { x: Inputs; y: Tensor } | null = null;
  const split = options.validationSplit;
  if (split !== undefined) {
    if (!(split > 0 && split < 1)) throw new RangeError(`validationSplit must be in (0, 1), got ${split}`);
    if (options.validationData) throw new RangeError("give validationSplit or validationData, not both");
    const at = Math.floor(n * (1 - split));
    if (at < 1 || at >= n) throw new RangeError(`validationSplit ${split} of ${n} samples leaves a side empty`);
    const head = Array.from({ length: at }, (_, i) => i), tail = Array.from({ length: n - at }, (_, i) => at + i);
    const pick = (t: Inputs, idx: number[]): Inputs =>
      t instanceof Tensor ? rowsOf(t, idx) : t.map((u) => rowsOf(u, idx));
    train = { x: pick(x, head), y: rowsOf(yt, head), n: at };
    validation = { x: pick(x, tail), y: rowsOf(yt, tail) };
  } else if (options.validationData) {
    const v = options.validationData;
    const vy = labelTensor(v.y);
    checkData(model, v.x, vy, "validationData.x");
    validation = { x: v.x, y: vy };
  }
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  return { train, validation, batchSize };
}

/** One epoch's batches of row indices (shuffled with the trainer's generator unless shuffle: false). */
function* epochBatches(t: Trainer, n: number, batchSize: number, order: number[]) {
  if (t.options.shuffle ?? true) shuffleInPlace(order, t.random);
  for (let start = 0; start < n; start += batchSize) yield order.slice(start, start + batchSize);
}

/** Lets the event loop run (a notebook redraws, timers fire) at most every 50 ms. */
function yielder() {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 50) return;
    await new Promise((r) => setTimeout(r, 0));
    last = performance.now();
  };
}

/**
 * Trains `model` on `x` and targets `y` (or on a Dataset of `{ x, y }`
 * batches, `y` omitted) and returns the per-epoch history. Yields to the
 * event loop between batches.
 *
 * Bad data, as tf-keras: NaN or Inf in `x` is not an error; it flows
 * through the arithmetic (ReLU and softmax cross-entropy's clipping may
 * hide it in the loss, as in TF), gradients turn NaN and the weights with
 * them, and training goes on with NaN losses unless a {@link Callback}
 * such as `TerminateOnNaN` stops it (tests/hostile_inputs_test.ts checks
 * losses and weights against tf-keras's from the same start). No
 * samples, or `x`/`y` of the wrong type, are a RangeError or TypeError
 * before training starts; labels outside the classes, or inputs of another
 * shape (also in one batch of a Dataset), before the batch holding them
 * changes any weight.
 *
 * Each batch's big intermediate arrays are reused by the next batch
 * (`reuseBuffers`, default true), as tfjs's `tidy()`: a tensor made during
 * a step and kept past it (by a custom layer or metric) throws when read;
 * copy what you keep, or pass `reuseBuffers: false`.
 *
 * @example
 * ```ts
 * import { fit } from "./fit.ts";
 * import { Adam } from "./optimizers.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const m = new Sequential([new Dense(2, { activation: "softmax" })], { seed: 1 });
 * const h = await fit(m, Tensor.from([[1, 0], [0, 1]]), [0, 1], { optimizer: new Adam(0.1), epochs: 20, verbose: 0 });
 * console.log(h.history.accuracy[19]); // 1
 * ```
 */
export async function fit(
  model: Network,
  x: Inputs | AsyncIterable<unknown>,
  y: Labels | undefined,
  options: FitOptions,
): Promise<History> {
  const t = new Trainer(model, withLivePlot(options));
  const pause = yielder();
  if (isAsyncIterable(x)) {
    if (y !== undefined) throw new TypeError("fit on a Dataset takes no separate targets: its elements are { x, y }");
    if (options.validationSplit !== undefined) {
      throw new RangeError("validationSplit needs arrays; pass validationData");
    }
    const validation = options.validationData
      ? { x: options.validationData.x, y: labelTensor(options.validationData.y) }
      : null;
    t.begin();
    for (let epoch = 0; epoch < t.ctx.epochs && !t.ctx.stopTraining; epoch++) {
      t.epochBegin(epoch);
      let batch = 0;
      for await (const element of x) {
        const { xs, y: yb } = datasetBatch(element);
        t.step(epoch, batch++, xs, yb);
        if (t.ctx.stopTraining) break;
        await pause();
      }
      t.batches = batch;
      await Promise.all(t.epochEnd(epoch, validation));
    }
    return t.end();
  }
  if (y === undefined) throw new TypeError("fit needs targets y for the inputs x");
  const { train, validation, batchSize } = splitData(model, x, y, options);
  const order = Array.from({ length: train.n }, (_, i) => i);
  t.batches = Math.ceil(train.n / batchSize);
  t.begin();
  for (let epoch = 0; epoch < t.ctx.epochs && !t.ctx.stopTraining; epoch++) {
    t.epochBegin(epoch);
    let batch = 0;
    for (const idx of epochBatches(t, train.n, batchSize, order)) {
      t.step(epoch, batch++, ...t.batchOf(listOf(train.x), train.y, idx));
      if (t.ctx.stopTraining) break;
      await pause();
    }
    await Promise.all(t.epochEnd(epoch, validation));
  }
  return t.end();
}

/** In a Jupyter notebook with verbose "auto", the options plus a LivePlot (unless the callbacks have one). */
function withLivePlot(options: FitOptions): FitOptions {
  const display = jupyterDisplay();
  const callbacks = options.callbacks ?? [];
  if (!display || (options.verbose ?? "auto") !== "auto" || callbacks.some((c) => c instanceof LivePlot)) {
    return options;
  }
  return { ...options, callbacks: [...callbacks, new LivePlot({ display })] };
}

/** `fit` on arrays without yielding to the event loop (each step's big arrays reused as in `fit`). */
export function fitSync(model: Network, x: Inputs, y: Labels, options: FitOptions): History {
  const t = new Trainer(model, options);
  const { train, validation, batchSize } = splitData(model, x, y, options);
  const order = Array.from({ length: train.n }, (_, i) => i);
  t.batches = Math.ceil(train.n / batchSize);
  t.begin();
  for (let epoch = 0; epoch < t.ctx.epochs && !t.ctx.stopTraining; epoch++) {
    t.epochBegin(epoch);
    let batch = 0;
    for (const idx of epochBatches(t, train.n, batchSize, order)) {
      t.step(epoch, batch++, ...t.batchOf(listOf(train.x), train.y, idx));
      if (t.ctx.stopTraining) break;
    }
    const pending = t.epochEnd(epoch, validation);
    if (pending.length) {
      for (const p of pending) p.catch(() => {}); // not awaited: the TypeError below is the one report
      throw new TypeError("fitSync: a callback's onEpochEnd returned a promise; train with fit (async) to await it");
    }
  }
  return t.end();
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}

/** A Dataset element as model inputs and targets. */
function datasetBatch(element: unknown): { xs: readonly Tensor[]; y: Tensor } {
  const e = element as { x?: Inputs; y?: Labels };
  if (!e || e.x === undefined || e.y === undefined) {
    throw new TypeError("a training Dataset yields { x, y } batches (use dataset.batch(n) after fromTensors(x, y))");
  }
  return { xs: listOf(e.x), y: labelTensor(e.y) };
}

/** The outputs of a model whose layers are all built (null: not built yet, or no graph to read them from). */
function builtOutputs(model: Network): readonly unknown[] | null {
  if (model.layers.length === 0 || !model.layers.every((l) => l.built)) return null;
  try {
    return model.outputs ?? null;
  } catch {
    return null;
  }
}

function evaluateWith(
  model: Network,
  x: Inputs,
  y: Tensor,
  loss: Loss,
  metrics: readonly Metric[],
  batchSize: number,
): EpochLogs {
  const count = checkData(model, x, y);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer`);
  for (const m of metrics) m.reset();
  let lossSum = 0;
  for (let start = 0; start < count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    const yb = rowsOf(y, idx);
    noGrad(() => {
      const p = model.call(listOf(x).map((u) => rowsOf(u, idx)), { training: false })[0];
      lossSum += loss.call(yb, p).item() * idx.length;
      for (const m of metrics) m.update(yb, p);
    });
  }
  const logs: EpochLogs = { loss: lossSum / count };
  for (const m of metrics) logs[m.name] = m.result();
  return logs;
}

/**
 * The loss and metrics at inference (training = false: moving statistics,
 * no dropout), as Keras's evaluate with return_dict.
 */
export function evaluate(
  model: Network,
  x: Inputs,
  y: Labels,
  options: EvaluateOptions & { loss?: LossLike; metrics?: readonly MetricLike[] } = {},
): EpochLogs {
  const loss = getLoss(options.loss ?? "sparse_categorical_crossentropy");
  const metrics = (options.metrics ?? ["accuracy"]).map((m) => getMetric(m));
  return evaluateWith(model, x, labelTensor(y), loss, metrics, options.batchSize ?? 256);
}

/** The model's (first) output at inference, in batches. */
export function predict(model: Network, x: Inputs, batchSize = 256): Tensor {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer`);
  const count = checkData(model, x, null);
  const parts: Tensor[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    parts.push(noGrad(() => model.call(listOf(x).map((u) => rowsOf(u, idx)), { training: false })[0]));
  }
  const per = parts[0].size / parts[0].shape[0];
  const out = new Float32Array(count * per);
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.size;
  }
  return new Tensor(out, [count, ...parts[0].shape.slice(1)]);
}
