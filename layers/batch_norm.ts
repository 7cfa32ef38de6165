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

export interface BatchNormalizationOptions {
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  name?: string;
}

/** Keras's BatchNormalization over the last axis. */
export class BatchNormalization extends Layer {
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  movingMean!: Variable;
  movingVariance!: Variable;

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

  protected build(inputShape: readonly number[]): void {
    const c = inputShape[inputShape.length - 1];
    if (this.scale) this.gamma = this.addWeight("gamma", [c], "ones");
    if (this.center) this.beta = this.addWeight("beta", [c], "zeros");
    this.movingMean = this.addWeight("moving_mean", [c], "zeros", { trainable: false });
    this.movingVariance = this.addWeight("moving_variance", [c], "ones", { trainable: false });
  }

  protected call(x: Tensor, training: boolean): Tensor {
    // A frozen BatchNormalization runs in inference mode, as Keras 2.
    if (!training || !this.trainable) {
      return nn.batchNorm(x, this.movingMean, this.movingVariance, this.gamma, this.beta, this.epsilon);
    }
    const { y, mean, variance } = nn.batchNormTraining(x, this.gamma, this.beta, this.epsilon);
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

  getConfig(): Config {
    return { name: this.name, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
