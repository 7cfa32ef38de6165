/**
 * Keras's losses as objects: a scalar mean over the batch, differentiable
 * with respect to the predictions, with Keras's configs and names.
 *
 * Like Keras, a probabilistic loss given the output of a softmax (sigmoid
 * for binary cross-entropy) computes from the logits that op consumed
 * (graph/logits.ts), so it never clips a confident mistake to ε; other
 * probabilities are clipped to [ε, 1 - ε], ε = 1e-7.
 * @module
 */
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import { type LogitsKind, logitsOf } from "../graph/logits.ts";
import type { Tensor } from "../graph/tensor.ts";

/** Keras-style serialised loss: `{ class_name: "CategoricalCrossentropy", config: { from_logits: true, ... } }`. */
export interface LossConfig {
  /** Keras's class name (`SparseCategoricalCrossentropy`, …). */
  class_name: string;
  /** The constructor arguments, snake_case (`from_logits`, `label_smoothing`, `name`, …). */
  config: Record<string, unknown>;
}

/** A loss: `call(yTrue, yPred)` is the scalar mean over the batch, differentiable with respect to `yPred`. */
export interface Loss {
  /** Keras's name (`sparse_categorical_crossentropy`, ...). */
  readonly name: string;
  /** The scalar loss of a batch (mean over samples). */
  call(yTrue: Tensor, yPred: Tensor): Tensor;
  /** Keras's `{ class_name, config }` form (what `getLoss` reads back). */
  getConfig(): LossConfig;
}

/** Options of the cross-entropies. */
export interface CrossentropyOptions {
  /** `yPred` holds logits, not probabilities (default false). */
  fromLogits?: boolean;
  /** Keras's name (the class's snake-case name by default). */
  name?: string;
}

/** Options of the cross-entropies with one-hot (or soft) targets. */
export interface SmoothedCrossentropyOptions extends CrossentropyOptions {
  /** Moves targets towards uniform: categorical z(1 - s) + s/classes, binary z(1 - s) + s/2 (default 0). */
  labelSmoothing?: number;
}

function checkFlag(value: unknown, where: string): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${where}: fromLogits must be a boolean, got ${String(value)}`);
  return value;
}

function checkSmoothing(value: number, where: string): number {
  if (!(typeof value === "number" && value >= 0 && value <= 1)) {
    throw new RangeError(`${where}: labelSmoothing must be a number in [0, 1], got ${String(value)}`);
  }
  return value;
}

function checkSameSize(yTrue: Tensor, yPred: Tensor, where: string): void {
  if (yTrue.size !== yPred.size) {
    throw new RangeError(
      `${where}: yTrue [${yTrue.shape}] and yPred [${yPred.shape}] hold different numbers of values`,
    );
  }
}

const warned = new WeakSet<Loss>();

/**
 * What Keras's `_get_logits` does: the output of a `kind` activation is
 * replaced by its logits (a warning if the caller said fromLogits, which
 * Keras then also ignores).
 */
function predictionsOf(loss: Loss, yPred: Tensor, fromLogits: boolean, kind: LogitsKind) {
  const marked = logitsOf(yPred);
  if (marked?.kind !== kind) return { x: yPred, fromLogits };
  if (fromLogits && !warned.has(loss)) {
    warned.add(loss);
    console.warn(
      `${loss.name} received fromLogits: true, but yPred is the output of a ${kind}; computing from its logits`,
    );
  }
  return { x: marked.logits, fromLogits: true };
}

/**
 * Cross-entropy with integer class labels (`yTrue` of shape [N] or [N, 1]
 * for predictions [N, classes]).
 *
 * @example
 * ```ts
 * import { SparseCategoricalCrossentropy } from "./losses.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const loss = new SparseCategoricalCrossentropy({ fromLogits: true });
 * console.log(loss.call(Tensor.from([0, 1]), Tensor.from([[0, 0], [0, 0]])).item().toFixed(4)); // 0.6931
 * ```
 */
export class SparseCategoricalCrossentropy implements Loss {
  /** Keras's name (default `sparse_categorical_crossentropy`). */
  readonly name: string;
  /** Keras's `from_logits`: `yPred` holds logits. */
  readonly fromLogits: boolean;
  /** `fromLogits` a boolean (else a TypeError). */
  constructor(options: CrossentropyOptions = {}) {
    this.fromLogits = checkFlag(options.fromLogits ?? false, "SparseCategoricalCrossentropy");
    this.name = options.name ?? "sparse_categorical_crossentropy";
  }
  /** The mean cross-entropy of the labels under `yPred` (from the logits of a softmax output, as Keras). */
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    const { x, fromLogits } = predictionsOf(this, yPred, this.fromLogits, "softmax");
    return nn.sparseCategoricalCrossentropy(yTrue.data, x, { fromLogits });
  }
  /** Keras's keys: `reduction`, `name`, `from_logits`, `ignore_class` (null), `fn`. */
  getConfig(): LossConfig {
    return {
      class_name: "SparseCategoricalCrossentropy",
      config: {
        reduction: "auto",
        name: this.name,
        from_logits: this.fromLogits,
        ignore_class: null,
        fn: "sparse_categorical_crossentropy",
      },
    };
  }
}

/**
 * Cross-entropy with one-hot (or soft) targets of the predictions' shape;
 * probabilities are renormalised to sum 1 before clipping, as Keras.
 */
export class CategoricalCrossentropy implements Loss {
  /** Keras's name (default `categorical_crossentropy`). */
  readonly name: string;
  /** Keras's `from_logits`: `yPred` holds logits. */
  readonly fromLogits: boolean;
  /** Keras's `label_smoothing` (0: none). */
  readonly labelSmoothing: number;
  /** `fromLogits` a boolean (else a TypeError), `labelSmoothing` in [0, 1] (else a RangeError). */
  constructor(options: SmoothedCrossentropyOptions = {}) {
    this.fromLogits = checkFlag(options.fromLogits ?? false, "CategoricalCrossentropy");
    this.labelSmoothing = checkSmoothing(options.labelSmoothing ?? 0, "CategoricalCrossentropy");
    this.name = options.name ?? "categorical_crossentropy";
  }
  /** The mean cross-entropy of the (smoothed) targets under `yPred` (same number of values, else a RangeError). */
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    checkSameSize(yTrue, yPred, this.name);
    const { x, fromLogits } = predictionsOf(this, yPred, this.fromLogits, "softmax");
    let targets = ops.reshape(yTrue, yPred.shape);
    if (this.labelSmoothing > 0) {
      const classes = yPred.shape[yPred.rank - 1];
      targets = ops.add(ops.mul(targets, 1 - this.labelSmoothing), this.labelSmoothing / classes);
    }
    return nn.categoricalCrossentropy(targets, x, { fromLogits });
  }
  /** Keras's keys: `reduction`, `name`, `from_logits`, `label_smoothing`, `axis`, `fn`. */
  getConfig(): LossConfig {
    return {
      class_name: "CategoricalCrossentropy",
      config: smoothedConfig(this, "categorical_crossentropy"),
    };
  }
}

/** Binary cross-entropy per output (targets 0/1 or soft), averaged over outputs and samples. */
export class BinaryCrossentropy implements Loss {
  /** Keras's name (default `binary_crossentropy`). */
  readonly name: string;
  /** Keras's `from_logits`: `yPred` holds logits. */
  readonly fromLogits: boolean;
  /** Keras's `label_smoothing` (0: none). */
  readonly labelSmoothing: number;
  /** `fromLogits` a boolean (else a TypeError), `labelSmoothing` in [0, 1] (else a RangeError). */
  constructor(options: SmoothedCrossentropyOptions = {}) {
    this.fromLogits = checkFlag(options.fromLogits ?? false, "BinaryCrossentropy");
    this.labelSmoothing = checkSmoothing(options.labelSmoothing ?? 0, "BinaryCrossentropy");
    this.name = options.name ?? "binary_crossentropy";
  }
  /**
   * The mean binary cross-entropy of the (smoothed) targets under `yPred` (same
   * number of values, else a RangeError).
   */
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    checkSameSize(yTrue, yPred, this.name);
    const { x, fromLogits } = predictionsOf(this, yPred, this.fromLogits, "sigmoid");
    let targets = ops.reshape(yTrue, yPred.shape);
    if (this.labelSmoothing > 0) {
      targets = ops.add(ops.mul(targets, 1 - this.labelSmoothing), 0.5 * this.labelSmoothing);
    }
    return nn.binaryCrossentropy(targets, x, { fromLogits });
  }
  /** Keras's keys: `reduction`, `name`, `from_logits`, `label_smoothing`, `axis`, `fn`. */
  getConfig(): LossConfig {
    return { class_name: "BinaryCrossentropy", config: smoothedConfig(this, "binary_crossentropy") };
  }
}

function smoothedConfig(loss: CategoricalCrossentropy | BinaryCrossentropy, fn: string): Record<string, unknown> {
  return {
    reduction: "auto",
    name: loss.name,
    from_logits: loss.fromLogits,
    label_smoothing: loss.labelSmoothing,
    axis: -1,
    fn,
  };
}

/** Mean of the squared differences over every value. */
export class MeanSquaredError implements Loss {
  /** Keras's name (default `mean_squared_error`). */
  readonly name: string;
  /** `options.name`: Keras's name for the logs. */
  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? "mean_squared_error";
  }
  /** mean((yTrue - yPred)²) (same number of values, else a RangeError). */
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    checkSameSize(yTrue, yPred, this.name);
    return nn.meanSquaredError(yTrue, yPred);
  }
  /** Keras's keys: `reduction`, `name`, `fn`. */
  getConfig(): LossConfig {
    return { class_name: "MeanSquaredError", config: { reduction: "auto", name: this.name, fn: "mean_squared_error" } };
  }
}

/** Keras's names and aliases of each loss (its function names, its class name). */
const NAMES: Record<string, () => Loss> = {
  sparse_categorical_crossentropy: () => new SparseCategoricalCrossentropy(),
  SparseCategoricalCrossentropy: () => new SparseCategoricalCrossentropy(),
  categorical_crossentropy: () => new CategoricalCrossentropy(),
  CategoricalCrossentropy: () => new CategoricalCrossentropy(),
  binary_crossentropy: () => new BinaryCrossentropy(),
  bce: () => new BinaryCrossentropy(),
  BCE: () => new BinaryCrossentropy(),
  BinaryCrossentropy: () => new BinaryCrossentropy(),
  mean_squared_error: () => new MeanSquaredError(),
  mse: () => new MeanSquaredError(),
  MSE: () => new MeanSquaredError(),
  MeanSquaredError: () => new MeanSquaredError(),
};

/** Config keys each class reads, besides the ones every loss has (name, reduction, fn). */
const CONFIG_KEYS: Record<string, string[]> = {
  SparseCategoricalCrossentropy: ["from_logits", "ignore_class"],
  CategoricalCrossentropy: ["from_logits", "label_smoothing", "axis"],
  BinaryCrossentropy: ["from_logits", "label_smoothing", "axis"],
  MeanSquaredError: [],
};

function lossFromConfig(c: LossConfig): Loss {
  const known = CONFIG_KEYS[c.class_name];
  if (!known) {
    throw new RangeError(`unknown loss class "${c.class_name}"; onebit has ${Object.keys(CONFIG_KEYS).join(", ")}`);
  }
  const o = c.config ?? {};
  const unknown = Object.keys(o).filter((k) => !["name", "reduction", "fn", ...known].includes(k));
  if (unknown.length) throw new RangeError(`${c.class_name} config: unknown keys ${unknown.join(", ")}`);
  if (![undefined, "auto", "sum_over_batch_size"].includes(o.reduction as string)) {
    throw new RangeError(`${c.class_name} config: reduction "${o.reduction}"; onebit means over the batch ("auto")`);
  }
  if ((o.axis ?? -1) !== -1) throw new RangeError(`${c.class_name} config: axis ${o.axis}; onebit takes the last axis`);
  if ((o.ignore_class ?? null) !== null) {
    throw new RangeError(`${c.class_name} config: ignore_class ${o.ignore_class} is not supported`);
  }
  const options = {
    name: o.name as string | undefined,
    fromLogits: o.from_logits as boolean | undefined,
    labelSmoothing: o.label_smoothing as number | undefined,
  };
  switch (c.class_name) {
    case "SparseCategoricalCrossentropy":
      return new SparseCategoricalCrossentropy(options);
    case "CategoricalCrossentropy":
      return new CategoricalCrossentropy(options);
    case "BinaryCrossentropy":
      return new BinaryCrossentropy(options);
    default:
      return new MeanSquaredError(options);
  }
}

/**
 * A loss from Keras's name for it (`"categorical_crossentropy"`, `"mse"`,
 * `"BinaryCrossentropy"`, ...), from its config, or the loss itself.
 *
 * @example
 * ```ts
 * import { getLoss } from "./losses.ts";
 * const loss = getLoss({ class_name: "CategoricalCrossentropy", config: { from_logits: true, label_smoothing: 0.1 } });
 * console.log(loss.name, getLoss("mse").getConfig().class_name); // categorical_crossentropy MeanSquaredError
 * ```
 */
export function getLoss(identifier: string | LossConfig | Loss): Loss {
  if (typeof identifier === "string") {
    const make = NAMES[identifier];
    if (!make) {
      throw new RangeError(`unknown loss "${identifier}"; onebit knows ${Object.keys(NAMES).join(", ")}`);
    }
    return make();
  }
  if (typeof identifier === "object" && identifier !== null) {
    if (typeof (identifier as Loss).call === "function") return identifier as Loss;
    if (typeof (identifier as LossConfig).class_name === "string") return lossFromConfig(identifier as LossConfig);
  }
  throw new TypeError(
    `getLoss takes a loss name, a { class_name, config } object or a Loss, got ${String(identifier)}`,
  );
}
