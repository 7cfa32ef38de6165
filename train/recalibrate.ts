/**
 * Batch-norm statistics recomputed after training ("precise BN"; PyTorch's
 * `torch.optim.swa_utils.update_bn`): training-mode passes over data with the
 * weights frozen, each BatchNormalization's moving mean and variance set to
 * the mean of the batch statistics it saw.
 *
 * Why: a moving average with momentum 0.99 remembers ~100 steps. When a
 * layer's inputs still change over those steps (binary kernels whose latent
 * weights hover around 0 keep flipping signs even as the learning rate goes
 * to 0), the moving statistics trail what the final weights produce, and
 * test accuracy depends on where training happened to stop. Recomputing them
 * from the final weights removes that lag; see BENCHMARKS.md (Fashion-MNIST).
 * @module
 */
import { noGrad } from "../graph/tape.ts";
import { seededRandom, shuffleInPlace } from "../graph/random.ts";
import { Tensor } from "../graph/tensor.ts";
import { BatchNormalization, collectBatchStatistics } from "../layers/batch_norm.ts";
import type { AnyIterable } from "./data.ts";
import { checkData, type Inputs, listOf, type Network, rowsOf } from "./fit.ts";

/** Options of {@link recalibrateBatchNorm}. */
export interface RecalibrateOptions {
  /** Samples per batch (default 32, fit's; use the batch size the model trained with). Arrays only. */
  batchSize?: number;
  /** How many batches to pass (default: every sample once). */
  batches?: number;
  /** Shuffle the samples before batching (default true; arrays only). */
  shuffle?: boolean;
  /** Seeds the shuffling (default 0). */
  seed?: number;
}

/** What {@link recalibrateBatchNorm} did. */
export interface RecalibrateResult {
  /** The names of the BatchNormalization layers whose moving statistics were set. */
  layers: string[];
  /** Batches passed through the model. */
  batches: number;
  /** Samples in those batches. */
  samples: number;
}

function positiveInteger(v: number | undefined, name: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
    throw new RangeError(`recalibrateBatchNorm: ${name} must be a positive integer, got ${String(v)}`);
  }
}

/**
 * Sets every trainable BatchNormalization's moving mean and variance to the
 * mean, over batches of `x`, of the batch statistics its training-mode forward
 * pass computes (the variance as the moving update takes it: Bessel-corrected
 * for 4-D inputs, as Keras's fused kernel). Weights, optimizer state and the
 * other layers are not changed; frozen BatchNormalizations (trainable false)
 * run at inference, as in training, and keep theirs. Each batch counts once.
 * Call it after `fit`, with training data (or a part of it) and the training
 * batch size; then evaluate, save or convert. If a pass throws, no statistics
 * change.
 *
 * `x` is the model's input (one tensor, or one per input), or a Dataset (any
 * iterable) of `{ x }` batches, read once (`batches` stops it earlier). A model
 * without a BatchNormalization is not run (`batches` 0).
 *
 * ```ts
 * import { larqMnistCnn, recalibrateBatchNorm, Tensor } from "../mod.ts";
 * const model = larqMnistCnn({ seed: 1 });
 * const x = new Tensor(new Float32Array(128 * 784).map((_, i) => Math.sin(i)), [128, 28, 28, 1]);
 * const r = await recalibrateBatchNorm(model, x, { batchSize: 64 });
 * console.log(r.layers.length, r.batches); // 5 2
 * ```
 */
export async function recalibrateBatchNorm(
  model: Network,
  x: Inputs | AnyIterable<unknown>,
  options: RecalibrateOptions = {},
): Promise<RecalibrateResult> {
  positiveInteger(options.batchSize, "batchSize");
  positiveInteger(options.batches, "batches");
  const layers = model.layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization);
  let batches = 0, samples = 0;
  // Nothing to recalibrate: no pass (the inputs are still checked).
  const skip = layers.length === 0;
  const forward = (xs: readonly Tensor[]) => {
    noGrad(() => model.call(xs, { training: true }));
    batches++;
    samples += xs[0].shape[0];
  };
  if (x instanceof Tensor || (Array.isArray(x) && x.every((t) => t instanceof Tensor))) {
    const inputs = x as Inputs;
    const n = checkData(model, inputs, null);
    const batchSize = options.batchSize ?? 32;
    const order = Array.from({ length: n }, (_, i) => i);
    if (options.shuffle ?? true) shuffleInPlace(order, seededRandom(options.seed ?? 0));
    const limit = skip ? 0 : Math.min(options.batches ?? Infinity, Math.ceil(n / batchSize));
    const set = await collectBatchStatistics(layers, () => {
      for (let b = 0; b < limit; b++) {
        const idx = order.slice(b * batchSize, (b + 1) * batchSize);
        forward(listOf(inputs).map((t) => rowsOf(t, idx)));
      }
    });
    return { layers: set.map((l) => l.name), batches, samples };
  }
  if (x === null || typeof x !== "object" || !(Symbol.asyncIterator in x || Symbol.iterator in x)) {
    throw new TypeError("recalibrateBatchNorm takes input tensors or a Dataset of { x } batches");
  }
  if (skip) return { layers: [], batches, samples };
  const set = await collectBatchStatistics(layers, async () => {
    for await (const element of x as AnyIterable<unknown>) {
      if (batches >= (options.batches ?? Infinity)) break;
      const e = element as { x?: Inputs };
      if (!e || e.x === undefined) throw new TypeError("recalibrateBatchNorm: a Dataset's elements are { x } batches");
      checkData(model, e.x, null);
      forward(listOf(e.x));
    }
  });
  return { layers: set.map((l) => l.name), batches, samples };
}
