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

export interface FitOptions {
  optimizer: Optimizer;
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  /** Called after each epoch with its mean loss and accuracy (and flip ratios, if asked for). */
  onEpoch?: (epoch: number, logs: { loss: number; accuracy: number; flipRatio?: Record<string, number> }) => void;
  /** Track larq's flip_ratio of every binary (precision-1) weight, per epoch. */
  flipRatio?: boolean;
}

function rows(x: Tensor, index: ArrayLike<number>): Tensor {
  const per = x.size / x.shape[0];
  const out = x.dtype === "float64" ? new Float64Array(index.length * per) : new Float32Array(index.length * per);
  for (let i = 0; i < index.length; i++) out.set(x.data.subarray(index[i] * per, (index[i] + 1) * per), i * per);
  return new Tensor(out, [index.length, ...x.shape.slice(1)]);
}

/**
 * Sparse cross-entropy of the model's output. A model ending in softmax (an
 * Activation layer, or a dense layer with softmax) is scored from the
 * logits the softmax consumes, as Keras does (no ε-clipping of the
 * probabilities, so confident mistakes still get a gradient).
 */
function forwardLoss(model: Network, x: Tensor, labels: ArrayLike<number>): { loss: Tensor; logits: Tensor } {
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
function lastLayerInput(model: Network, x: Tensor): { last: Layer; input: Tensor } {
  if (model instanceof Model) {
    const node = model.output.node;
    if (node === null || node.inputs.length !== 1) {
      return { last: identity, input: model.apply(x, { training: true }) };
    }
    return { last: node.layer, input: model.run(x, true).get(node.inputs[0])! };
  }
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

/** Trains with sparse categorical cross-entropy on integer labels. */
export function fit(
  model: Network,
  x: Tensor,
  labels: ArrayLike<number>,
  options: FitOptions,
): { loss: number[]; accuracy: number[] } {
  const n = x.shape[0];
  if (labels.length !== n) throw new RangeError(`${labels.length} labels for ${n} samples`);
  const batchSize = options.batchSize ?? 32, epochs = options.epochs ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const random = seededRandom(options.seed ?? 0);
  const history = { loss: [] as number[], accuracy: [] as number[] };
  model.apply(rows(x, [0])); // build
  // Frozen layers (layer.trainable = false) and non-trainable variables keep their values.
  const weights = model.layers.flatMap((l) => (l.trainable ? l.weights.filter((w) => w.variable.trainable) : []));
  const order = Array.from({ length: n }, (_, i) => i);
  const flips = options.flipRatio
    ? new Map(weights.filter((w) => w.quantizer?.precision === 1).map((w) => [w, new FlipRatio()]))
    : null;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const m of flips?.values() ?? []) m.reset();
    if (options.shuffle ?? true) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    let lossSum = 0, hitSum = 0;
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
      lossSum += value.item() * idx.length;
      hitSum += accuracy(logits, yb) * idx.length;
    }
    history.loss.push(lossSum / n);
    history.accuracy.push(hitSum / n);
    const flipRatio = flips ? Object.fromEntries([...flips].map(([w, m]) => [w.variable.name, m.result()])) : undefined;
    options.onEpoch?.(epoch, { loss: lossSum / n, accuracy: hitSum / n, ...(flipRatio ? { flipRatio } : {}) });
  }
  return history;
}

/** Accuracy at inference (training = false: moving statistics, no dropout). */
export function evaluate(model: Network, x: Tensor, labels: ArrayLike<number>, batchSize = 256): number {
  let hits = 0;
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, x.shape[0] - start) }, (_, i) => start + i);
    const p = noGrad(() => model.apply(rows(x, idx)));
    hits += accuracy(p, idx.map((i) => labels[i])) * idx.length;
  }
  return hits / x.shape[0];
}
