/**
 * The training loop: mini-batches (shuffled from a seed), a loss, one
 * optimizer step per batch, constraints after each step, accuracy.
 * @module
 */
import * as nn from "../graph/nn.ts";
import { noGrad, valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import type { Sequential } from "../graph/sequential.ts";
import { Model } from "../graph/functional.ts";
import type { Layer } from "../layers/layer.ts";

/** A Sequential or functional model. */
export type Network = Sequential | Model;
import { seededRandom } from "../layers/initializers.ts";
import { Activation } from "../layers/core.ts";
import { QuantDense } from "../layers/dense.ts";
import type { Optimizer } from "./optimizers.ts";
import { FlipRatio } from "./metrics.ts";

/** What an epoch reports: mean training loss and accuracy, validation ones when validation data is given. */
export interface EpochLogs {
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  /** With `topK`: Keras's top_k_categorical_accuracy on the training batches and on the validation data. */
  top_k_accuracy?: number;
  val_top_k_accuracy?: number;
  /** Per binary weight, the fraction of signs that flipped during the epoch (larq's flip_ratio). */
  flipRatio?: Record<string, number>;
}

/** Per-epoch history of fit, as Keras's History. */
export interface History {
  loss: number[];
  accuracy: number[];
  val_loss?: number[];
  val_accuracy?: number[];
}

/** What callbacks see and may change (set `stopTraining` to end after this epoch). */
export interface TrainingContext {
  model: Network;
  optimizer: Optimizer;
  epochs: number;
  stopTraining: boolean;
}

/** Hooks into fit (Keras callbacks); see train/callbacks.ts for early stopping, checkpoints and schedulers. */
export interface Callback {
  onTrainBegin?(ctx: TrainingContext): void;
  onEpochBegin?(epoch: number, ctx: TrainingContext): void;
  onBatchEnd?(batch: number, logs: { loss: number; accuracy: number }, ctx: TrainingContext): void;
  onEpochEnd?(epoch: number, logs: EpochLogs, ctx: TrainingContext): void;
  onTrainEnd?(ctx: TrainingContext): void;
}

export interface FitOptions {
  optimizer: Optimizer;
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  /** Called after each epoch with its logs (the same as a callback's onEpochEnd). */
  onEpoch?: (epoch: number, logs: EpochLogs) => void;
  /** Track larq's flip_ratio of every binary (precision-1) weight, per epoch. */
  flipRatio?: boolean;
  /** Scored after every epoch at inference (moving statistics): val_loss and val_accuracy. */
  validationData?: { x: Inputs; labels: ArrayLike<number> };
  callbacks?: Callback[];
  /** Also report top-k accuracy (`top_k_accuracy`, `val_top_k_accuracy`) for this k. */
  topK?: number;
  /** "auto" (default): a progress bar when stdout is a terminal, nothing otherwise; 0: nothing; 1: the bar. */
  verbose?: "auto" | 0 | 1;
}

/** A model's input data: one tensor, or one per input of a multi-input model (rows aligned). */
export type Inputs = Tensor | readonly Tensor[];

function rowsOf(x: Tensor, index: ArrayLike<number>): Tensor {
  const per = x.size / x.shape[0];
  const out = x.dtype === "float64" ? new Float64Array(index.length * per) : new Float32Array(index.length * per);
  for (let i = 0; i < index.length; i++) out.set(x.data.subarray(index[i] * per, (index[i] + 1) * per), i * per);
  return new Tensor(out, [index.length, ...x.shape.slice(1)]);
}

function rows(x: Inputs, index: ArrayLike<number>): Inputs {
  return x instanceof Tensor ? rowsOf(x, index) : x.map((t) => rowsOf(t, index));
}

/** Samples in `x` (every input must have as many). */
function samples(x: Inputs): number {
  const list = x instanceof Tensor ? [x] : x;
  if (list.length === 0) throw new RangeError("no input data");
  const n = list[0].shape[0];
  if (list.some((t) => t.shape[0] !== n)) {
    throw new RangeError(`inputs have different sample counts: ${list.map((t) => t.shape[0])}`);
  }
  return n;
}

/** The model's single output for `x`. */
function forwardAll(model: Network, x: Inputs, training: boolean): Tensor {
  if (model instanceof Model) return model.run(x instanceof Tensor ? [x] : x, training).get(model.output)!;
  if (!(x instanceof Tensor)) throw new RangeError("a Sequential model takes one input tensor");
  return model.apply(x, { training });
}

/**
 * Sparse cross-entropy of the model's output. A model ending in softmax (an
 * Activation layer, or a dense layer with softmax) is scored from the
 * logits the softmax consumes, as Keras does (no ε-clipping of the
 * probabilities, so confident mistakes still get a gradient).
 */
function forwardLoss(model: Network, x: Inputs, labels: ArrayLike<number>): { loss: Tensor; logits: Tensor } {
  const { last, input } = lastLayerInput(model, x);
  const softmaxActivation = last instanceof Activation && last.activation === "softmax";
  const softmaxDense = last instanceof QuantDense && last.options.activation === "softmax";
  if (!softmaxActivation && !softmaxDense) {
    const p = last.apply(input, { training: true });
    return { loss: nn.sparseCategoricalCrossentropy(labels, p), logits: p };
  }
  const logits = softmaxDense ? (last as QuantDense).linear(input) : input;
  return { loss: nn.sparseCategoricalCrossentropy(labels, logits, { fromLogits: true }), logits };
}

/** The model's last layer and its input for `x` (training mode). */
function lastLayerInput(model: Network, x: Inputs): { last: Layer; input: Tensor } {
  if (model instanceof Model) {
    const node = model.output.node;
    if (node === null || node.inputs.length !== 1) return { last: identity, input: forwardAll(model, x, true) };
    return { last: node.layer, input: model.run(x instanceof Tensor ? [x] : x, true).get(node.inputs[0])! };
  }
  if (!(x instanceof Tensor)) throw new RangeError("a Sequential model takes one input tensor");
  let y = x;
  for (const l of model.layers.slice(0, -1)) y = l.apply(y, { training: true });
  return { last: model.layers[model.layers.length - 1], input: y };
}

const identity = new Activation("linear", { name: "identity" });

/** Fraction of rows whose arg-max is the label. */
export function accuracy(predictions: Tensor, labels: ArrayLike<number>): number {
  const classes = predictions.shape[predictions.rank - 1];
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (predictions.data[r * classes + c] > predictions.data[r * classes + best]) best = c;
    }
    if (best === labels[r]) hits++;
  }
  return hits / labels.length;
}

/**
 * A one-line progress bar on a terminal (carriage return, no newline until
 * the epoch ends): `epoch 2/6 [=====>    ] 412/938 loss 0.4521 accuracy 96.1%`.
 */
function progressBar(enabled: boolean) {
  const encoder = new TextEncoder();
  const write = (text: string) => enabled && Deno.stdout.writeSync(encoder.encode(text));
  return {
    batch(epoch: number, epochs: number, done: number, total: number, loss: number, acc: number) {
      const width = 24, filled = Math.round((width * done) / total);
      const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") + " ".repeat(width - filled);
      write(
        `\repoch ${epoch + 1}/${epochs} [${bar}] ${done}/${total} loss ${loss.toFixed(4)} accuracy ${
          (100 * acc).toFixed(1)
        }%`,
      );
    },
    end(logs: EpochLogs) {
      const val = logs.val_loss === undefined
        ? ""
        : ` val_loss ${logs.val_loss.toFixed(4)} val_accuracy ${(100 * logs.val_accuracy!).toFixed(2)}%`;
      write(`${val}\n`);
    },
  };
}

/** Trains with sparse categorical cross-entropy on integer labels; returns the per-epoch history. */
export function fit(
  model: Network,
  x: Inputs,
  labels: ArrayLike<number>,
  options: FitOptions,
): History {
  if (model instanceof Model && model.outputs.length !== 1) {
    throw new RangeError(`fit trains single-output models; "${model.name}" has ${model.outputs.length} outputs`);
  }
  const n = samples(x);
  if (labels.length !== n) throw new RangeError(`${labels.length} labels for ${n} samples`);
  const batchSize = options.batchSize ?? 32, epochs = options.epochs ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  if (options.validationData) {
    const m = samples(options.validationData.x);
    if (options.validationData.labels.length !== m) {
      throw new RangeError(`validationData has ${options.validationData.labels.length} labels for ${m} samples`);
    }
  }
  const random = seededRandom(options.seed ?? 0);
  const history: History = { loss: [], accuracy: [] };
  const callbacks = options.callbacks ?? [];
  const ctx: TrainingContext = { model, optimizer: options.optimizer, epochs, stopTraining: false };
  const verbose = options.verbose ?? "auto";
  const bar = progressBar(verbose === 1 || (verbose === "auto" && Deno.stdout.isTerminal()));
  const batches = Math.ceil(n / batchSize);
  forwardAll(model, rows(x, [0]), false); // build
  // Frozen layers (layer.trainable = false) and non-trainable variables keep their values.
  const weights = model.layers.flatMap((l) => (l.trainable ? l.weights.filter((w) => w.variable.trainable) : []));
  const order = Array.from({ length: n }, (_, i) => i);
  const flips = options.flipRatio
    ? new Map(weights.filter((w) => w.quantizer?.precision === 1).map((w) => [w, new FlipRatio()]))
    : null;
  for (const c of callbacks) c.onTrainBegin?.(ctx);
  for (let epoch = 0; epoch < epochs && !ctx.stopTraining; epoch++) {
    for (const c of callbacks) c.onEpochBegin?.(epoch, ctx);
    for (const m of flips?.values() ?? []) m.reset();
    if (options.shuffle ?? true) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    let lossSum = 0, hitSum = 0, topSum = 0;
    for (let start = 0; start < n; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const xb = rows(x, idx), yb = idx.map((i) => labels[i]);
      let logits!: Tensor;
      const { value, grads } = valueAndGrads(() => {
        const r = forwardLoss(model, xb, yb);
        logits = r.logits;
        return r.loss;
      }, weights.map((w) => w.variable));
      // The optimizers apply each variable's constraint (weight_clip) after its update, as Keras.
      options.optimizer.apply(weights.map((weight, i) => ({ weight, grad: grads[i] })));
      for (const [w, m] of flips ?? []) m.update(noGrad(() => w.quantizer!.call(w.variable)));
      const batchLoss = value.item(), batchAccuracy = accuracy(logits, yb);
      if (options.topK) topSum += topKAccuracy(logits, yb, options.topK) * idx.length;
      lossSum += batchLoss * idx.length;
      hitSum += batchAccuracy * idx.length;
      const seen = Math.min(start + batchSize, n);
      for (const c of callbacks) c.onBatchEnd?.(start / batchSize, { loss: batchLoss, accuracy: batchAccuracy }, ctx);
      bar.batch(epoch, epochs, start / batchSize + 1, batches, lossSum / seen, hitSum / seen);
    }
    const logs: EpochLogs = { loss: lossSum / n, accuracy: hitSum / n };
    if (options.topK) logs.top_k_accuracy = topSum / n;
    if (options.validationData) {
      const v = evaluateLogs(model, options.validationData.x, options.validationData.labels, 256, options.topK);
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
      if (options.topK) logs.val_top_k_accuracy = v.topKAccuracy;
      (history.val_loss ??= []).push(v.loss);
      (history.val_accuracy ??= []).push(v.accuracy);
    }
    history.loss.push(logs.loss);
    history.accuracy.push(logs.accuracy);
    if (flips) logs.flipRatio = Object.fromEntries([...flips].map(([w, m]) => [w.variable.name, m.result()]));
    bar.end(logs);
    options.onEpoch?.(epoch, logs);
    for (const c of callbacks) c.onEpochEnd?.(epoch, logs, ctx);
  }
  for (const c of callbacks) c.onTrainEnd?.(ctx);
  return history;
}

/** The model's outputs at inference, in batches. */
export function predict(model: Network, x: Inputs, batchSize = 256): Tensor {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer`);
  const parts: Tensor[] = [];
  const count = samples(x);
  for (let start = 0; start < count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    parts.push(noGrad(() => forwardAll(model, rows(x, idx), false)));
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

/**
 * Loss and accuracy at inference (Keras's evaluate): sparse cross-entropy of
 * the model's output probabilities.
 */
export function evaluateLogs(
  model: Network,
  x: Inputs,
  labels: ArrayLike<number>,
  batchSize = 256,
  topK?: number,
): { loss: number; accuracy: number; topKAccuracy?: number } {
  let lossSum = 0, hits = 0, top = 0;
  const count = samples(x);
  for (let start = 0; start < count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    const p = noGrad(() => forwardAll(model, rows(x, idx), false));
    const yb = idx.map((i) => labels[i]);
    lossSum += noGrad(() => nn.sparseCategoricalCrossentropy(yb, p)).item() * idx.length;
    hits += accuracy(p, yb) * idx.length;
    if (topK) top += topKAccuracy(p, yb, topK) * idx.length;
  }
  return { loss: lossSum / count, accuracy: hits / count, ...(topK ? { topKAccuracy: top / count } : {}) };
}

/** Fraction of rows whose label is among the `k` highest scores (Keras's top_k_categorical_accuracy). */
export function topKAccuracy(predictions: Tensor, labels: ArrayLike<number>, k = 5): number {
  const classes = predictions.shape[predictions.rank - 1];
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    const own = predictions.data[r * classes + labels[r]];
    let above = 0;
    for (let c = 0; c < classes; c++) if (predictions.data[r * classes + c] > own) above++;
    if (above < k) hits++;
  }
  return hits / labels.length;
}

/** Accuracy at inference (training = false: moving statistics, no dropout). */
export function evaluate(model: Network, x: Inputs, labels: ArrayLike<number>, batchSize = 256): number {
  let hits = 0;
  const count = samples(x);
  for (let start = 0; start < count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    const p = noGrad(() => forwardAll(model, rows(x, idx), false));
    hits += accuracy(p, idx.map((i) => labels[i])) * idx.length;
  }
  return hits / count;
}
