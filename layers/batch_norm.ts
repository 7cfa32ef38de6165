/**
 * Keras BatchNormalization over the last axis. Training: batch moments
 * normalise, and the moving statistics follow moving·momentum +
 * batch·(1 - momentum); for 4-D inputs Keras uses its fused kernel, whose
 * variance for the moving average is Bessel-corrected (n/(n-1)).
 * Inference: the moving statistics. @module
 */
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import { noGrad } from "../graph/tape.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { ConfigReader } from "./config_reader.ts";
import { type Config, Layer, type Weight } from "./layer.ts";

/**
 * Sums of one layer's batch statistics while {@link collectBatchStatistics} runs: the mean of each batch and the
 * variance the moving update would take (Bessel-corrected for 4-D inputs), in float64.
 */
interface StatisticsSums {
  mean: Float64Array;
  variance: Float64Array;
  batches: number;
}

/** The layers whose batch statistics are being summed instead of moved (see {@link collectBatchStatistics}). */
const collecting = new WeakMap<BatchNormalization, StatisticsSums>();

/**
 * Runs `pass` (training-mode forward passes over data, weights frozen) with each of `layers` summing its batch
 * statistics instead of updating its moving ones; then sets each layer's moving mean and variance to the mean of
 * what it saw, every batch counting once (PyTorch's `update_bn`, "precise BN"). A layer that saw no batch (frozen,
 * or not on the path) keeps its statistics. If `pass` throws (or rejects), every layer keeps its statistics. Returns
 * the layers set, in the order given. Layers must not be in two collections at once.
 */
export async function collectBatchStatistics(
  layers: readonly BatchNormalization[],
  pass: () => void | Promise<void>,
): Promise<BatchNormalization[]> {
  for (const l of layers) {
    if (collecting.has(l)) throw new Error(`BatchNormalization "${l.name}" is already being recalibrated`);
  }
  // The sums are sized at a layer's first batch (a layer may not be built yet).
  for (const l of layers) collecting.set(l, { mean: new Float64Array(0), variance: new Float64Array(0), batches: 0 });
  let sums: (StatisticsSums | undefined)[];
  try {
    await pass();
  } finally {
    sums = layers.map((l) => collecting.get(l));
    for (const l of layers) collecting.delete(l);
  }
  const set: BatchNormalization[] = [];
  layers.forEach((l, i) => {
    const s = sums[i]!;
    if (s.batches === 0) return;
    const mean = l.movingMean.data.slice(), variance = l.movingVariance.data.slice();
    for (let j = 0; j < mean.length; j++) {
      mean[j] = s.mean[j] / s.batches;
      variance[j] = s.variance[j] / s.batches;
    }
    l.movingMean.assign(mean);
    l.movingVariance.assign(variance);
    set.push(l);
  });
  return set;
}

/** Keras BatchNormalization's options (the normalised axis is the last). */
export interface BatchNormalizationOptions {
  /** Keras's `momentum` of the moving statistics (default 0.99; in [0, 1]). */
  momentum?: number;
  /** Keras's `epsilon`, added to the variance (default 1e-3; positive). */
  epsilon?: number;
  /** Keras's `center`: whether to add the learned offset `beta` (default true). */
  center?: boolean;
  /** Keras's `scale`: whether to multiply by the learned `gamma` (default true). */
  scale?: boolean;
  /** The layer's name (default `batch_normalization`, numbered). */
  name?: string;
}

/** Keras's BatchNormalization over the last axis. */
export class BatchNormalization extends Layer {
  /** Keras's `momentum`: moving = moving·momentum + batch·(1 - momentum). */
  readonly momentum: number;
  /** Keras's `epsilon`, added to the variance. */
  readonly epsilon: number;
  /** Keras's `center`: whether `beta` is added. */
  readonly center: boolean;
  /** Keras's `scale`: whether `gamma` multiplies. */
  readonly scale: boolean;
  /** The learned scale, one per channel (null: `scale` false, or not built yet). */
  gamma: Variable | null = null;
  /** The learned offset, one per channel (null: `center` false, or not built yet). */
  beta: Variable | null = null;
  /** The moving mean used at inference (not trainable). */
  movingMean!: Variable;
  /** The moving variance used at inference (not trainable). */
  movingVariance!: Variable;

  /** Checks momentum in [0, 1] and epsilon > 0 (RangeError). */
  constructor(options: BatchNormalizationOptions = {}) {
    super(options.name);
    this.momentum = options.momentum ?? 0.99;
    this.epsilon = options.epsilon ?? 1e-3;
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new RangeError(`momentum must be in [0, 1], got ${this.momentum}`);
    }
    if (!(this.epsilon > 0)) throw new RangeError(`epsilon must be positive, got ${this.epsilon}`);
  }

  /** A BatchNormalization from its Keras config (the last axis only). */
  static override fromConfig(c: Config): BatchNormalization {
    const r = new ConfigReader("BatchNormalization", c);
    const axis = c.axis;
    if (axis !== undefined && !(axis === -1 || axis === 3 || Array.isArray(axis))) {
      throw new RangeError(
        `BatchNormalization "${r.name}": axis ${JSON.stringify(axis)}; onebit normalises the last axis`,
      );
    }
    return new BatchNormalization({
      name: r.name,
      momentum: r.number("momentum", 0.99),
      epsilon: r.number("epsilon", 1e-3),
      center: r.bool("center", true),
      scale: r.bool("scale", true),
    });
  }

  /** larq's summary: 2 parameters per channel (beta folded into the moving mean, gamma into the moving variance). */
  override summaryWeights(): readonly Weight[] {
    const fold = new Set<unknown>([this.movingMean && this.beta, this.movingVariance && this.gamma]);
    return this.weights.filter((w) => !fold.has(w.variable));
  }

  /** larq counts BatchNormalization (no MACs). */
  override macs(): Map<number, number> {
    return new Map();
  }

  /** Creates gamma, beta and the moving statistics, one value per channel of the last axis. */
  protected build(inputShape: readonly number[]): void {
    const c = inputShape[inputShape.length - 1];
    if (this.scale) this.gamma = this.addWeight("gamma", [c], "ones");
    if (this.center) this.beta = this.addWeight("beta", [c], "zeros");
    this.movingMean = this.addWeight("moving_mean", [c], "zeros", { trainable: false });
    this.movingVariance = this.addWeight("moving_variance", [c], "ones", { trainable: false });
  }

  /**
   * Training (and trainable): normalises with the batch moments and updates the
   * moving statistics; otherwise uses the moving statistics.
   */
  protected call(x: Tensor, training: boolean): Tensor {
    // A frozen BatchNormalization runs in inference mode, as Keras 2.
    if (!training || !this.trainable) {
      return nn.batchNorm(x, this.movingMean, this.movingVariance, this.gamma, this.beta, this.epsilon);
    }
    const { y, mean, variance } = nn.batchNormTraining(x, this.gamma, this.beta, this.epsilon);
    const sums = collecting.get(this);
    if (sums) {
      this.#sum(sums, x, mean, variance);
      return y;
    }
    if (this.#updateFloat32(x, mean, variance)) return y;
    noGrad(() => {
      const n = x.size / x.shape[x.rank - 1];
      const unbiased = x.rank === 4 && n > 1 ? ops.mul(variance, n / (n - 1)) : variance;
      const f = 1 - this.momentum;
      if (x.rank === 4) {
        // Keras's fused kernel: (1 - f)·old + f·new.
        this.movingMean.assign(ops.add(ops.mul(this.movingMean, 1 - f), ops.mul(mean, f)));
        this.movingVariance.assign(ops.add(ops.mul(this.movingVariance, 1 - f), ops.mul(unbiased, f)));
      } else {
        // Keras's assign_moving_average: old - (old - new)·f.
        this.movingMean.assign(ops.sub(this.movingMean, ops.mul(ops.sub(this.movingMean, mean), f)));
        this.movingVariance.assign(ops.sub(this.movingVariance, ops.mul(ops.sub(this.movingVariance, unbiased), f)));
      }
    });
    return y;
  }

  /** Adds one batch's mean and variance (as the moving update takes it) to `sums`. */
  #sum(sums: StatisticsSums, x: Tensor, mean: Tensor, variance: Tensor): void {
    const n = x.size / x.shape[x.rank - 1], bessel = x.rank === 4 && n > 1 ? n / (n - 1) : 1;
    const m = mean.data, v = variance.data;
    if (sums.batches === 0) {
      sums.mean = new Float64Array(m.length);
      sums.variance = new Float64Array(m.length);
    }
    for (let j = 0; j < sums.mean.length; j++) {
      sums.mean[j] += m[j];
      sums.variance[j] += v[j] * bessel;
    }
    sums.batches++;
  }

  /**
   * The moving statistics' update below as one loop over the channels where every array is float32: each value
   * the ops would give (a float32 product or sum rounded as they store it, the numbers rounded to float32 as
   * `ops` converts constants), without their ~10 tensors a layer and step. False (nothing done) otherwise.
   */
  #updateFloat32(x: Tensor, mean: Tensor, variance: Tensor): boolean {
    const mm = this.movingMean.data, mv = this.movingVariance.data, m = mean.data, v = variance.data;
    if (![mm, mv, m, v].every((a) => a instanceof Float32Array)) return false;
    const r = Math.fround, c = mm.length, f = 1 - this.momentum, ff = r(f), keep = r(1 - f);
    const n = x.size / x.shape[x.rank - 1], bessel = x.rank === 4 && n > 1 ? r(n / (n - 1)) : null;
    const newMean = new Float32Array(c), newVariance = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      const unbiased = bessel === null ? v[j] : r(v[j] * bessel);
      if (x.rank === 4) {
        newMean[j] = r(mm[j] * keep) + r(m[j] * ff);
        newVariance[j] = r(mv[j] * keep) + r(unbiased * ff);
      } else {
        newMean[j] = mm[j] - r(r(mm[j] - m[j]) * ff);
        newVariance[j] = mv[j] - r(r(mv[j] - unbiased) * ff);
      }
    }
    this.movingMean.assign(newMean);
    this.movingVariance.assign(newVariance);
    return true;
  }

  /** Keras's keys: `name`, `momentum`, `epsilon`, `center`, `scale`. */
  getConfig(): Config {
    return { name: this.name, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
