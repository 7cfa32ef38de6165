/**
 * fit callbacks as Keras and larq have them: early stopping (optionally
 * restoring the best weights), checkpoints after each epoch (optionally the
 * best only), ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
 * TerminateOnNaN, and larq's HyperparameterScheduler (e.g. Bop's gamma per
 * epoch); and LivePlot, the training curves in a notebook. Each is a class with a Keras-style config ({@link callbackFromConfig}
 * reads it back); the lower-case factories are the earlier API.
 *
 * Epoch logs are read by Keras's key names (`loss`, `accuracy`,
 * `val_loss`, ...); the learning-rate callbacks add `lr` to them, as Keras.
 * @module
 */
import { writeFileAtomicSync } from "../_fs.ts";
import type { Callback, EpochLogs, TrainingContext } from "./fit.ts";
import { History } from "./history.ts";
import { historySeries } from "../viz/chart.ts";
import { type DisplayFunction, jupyterDisplay, svgBundle } from "../viz/html.ts";
import { KerasOptimizer, type Optimizer } from "./optimizers.ts";

/** A key of fit's epoch logs (`val_loss`, `accuracy`, `val_sparse_top_k_categorical_accuracy`, ...). */
export type Monitor = "loss" | "accuracy" | "val_loss" | "val_accuracy" | (string & Record<never, never>);

/** Whether a larger or a smaller monitored value is better ("auto": decided from the name). */
export type Mode = "auto" | "min" | "max";

/** Keras-style serialised callback: `{ class_name: "ReduceLROnPlateau", config: { monitor, factor, ... } }`. */
export interface CallbackConfig {
  /** Keras's class name (`EarlyStopping`, …; larq's `HyperparameterScheduler`). */
  class_name: string;
  /** The constructor arguments, snake_case (`monitor`, `min_delta`, …). */
  config: Record<string, unknown>;
}

/** A function a config names (a schedule): callbackFromConfig finds it in `customObjects` by that name. */
// deno-lint-ignore no-explicit-any
export type NamedFunction = (...args: any[]) => number;

/** The value of `key` in epoch logs (Keras's names). */
function logValue(logs: EpochLogs, key: string): unknown {
  return (logs as unknown as Record<string, unknown>)[key];
}

/** Adds `key` to the logs, as Keras's callbacks add `lr`. */
function setLog(logs: EpochLogs, key: string, value: number): void {
  (logs as unknown as Record<string, number>)[key] = value;
}

function checkMode(mode: unknown, where: string): Mode {
  if (mode !== "auto" && mode !== "min" && mode !== "max") {
    throw new RangeError(`${where}: mode must be "auto", "min" or "max", got ${JSON.stringify(mode)}`);
  }
  return mode;
}

function nonNegative(value: unknown, name: string, where: string, integer = false): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${where}: ${name} must be a${integer ? "n integer" : " number"} ≥ 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Tracks the best value of `monitor`: `improved` is true when the logs beat
 * it by more than minDelta (Keras: v - δ > best for max, v + δ < best for
 * min) and records it. A monitor missing from the logs is an error.
 */
class Watcher {
  #best = -Infinity;
  readonly #sign: number;
  constructor(readonly monitor: string, max: boolean, readonly minDelta: number) {
    this.#sign = max ? 1 : -1;
  }
  improved(logs: EpochLogs): boolean {
    const v = logValue(logs, this.monitor);
    if (typeof v !== "number") {
      throw new RangeError(
        `callback monitors "${this.monitor}", which fit does not report (pass validationData for val_*)`,
      );
    }
    if (this.#sign * v - this.minDelta > this.#best) {
      this.#best = this.#sign * v;
      return true;
    }
    return false;
  }
  reset(): void {
    this.#best = -Infinity;
  }
}

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Default "val_loss". */
  monitor?: Monitor;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** "auto" (default): max for names ending in acc, accuracy or auc, as Keras. */
  mode?: Mode;
  /** Put the best epoch's weights back when stopping early (default false). */
  restoreBestWeights?: boolean;
}

/**
 * Keras's EarlyStopping: stops after `patience` epochs without an
 * improvement larger than `minDelta`; `restoreBestWeights` puts the best
 * epoch's weights back at the end.
 *
 * @example
 * ```ts
 * import { EarlyStopping } from "./callbacks.ts";
 * const stop = new EarlyStopping({ monitor: "val_loss", patience: 2, restoreBestWeights: true });
 * // fit(model, x, y, { optimizer, epochs: 50, validationData: { x: xv, labels: yv }, callbacks: [stop] });
 * console.log(stop.getConfig().config.patience); // 2
 * ```
 */
export class EarlyStopping implements Callback {
  /** The log key watched (Keras's `monitor`). */
  readonly monitor: Monitor;
  /** Keras's `patience`: epochs without improvement before stopping. */
  readonly patience: number;
  /** Keras's `min_delta`: the smallest change that counts as an improvement. */
  readonly minDelta: number;
  /** Keras's `mode`: whether larger or smaller is better. */
  readonly mode: Mode;
  /** Keras's `restore_best_weights`. */
  readonly restoreBestWeights: boolean;
  /** The epoch training stopped at (null: it did not stop early). */
  stoppedEpoch: number | null = null;
  readonly #watch: Watcher;
  #wait = 0;
  #bestWeights: Float32Array[] | null = null;
  /**
   * Defaults as Keras (see {@link EarlyStoppingOptions}); a negative patience
   * or minDelta, or an unknown mode, is a RangeError.
   */
  constructor(o: EarlyStoppingOptions = {}) {
    this.monitor = o.monitor ?? "val_loss";
    this.patience = nonNegative(o.patience ?? 0, "patience", "EarlyStopping", true);
    this.minDelta = nonNegative(o.minDelta ?? 0, "minDelta", "EarlyStopping");
    this.mode = checkMode(o.mode ?? "auto", "EarlyStopping");
    this.restoreBestWeights = o.restoreBestWeights ?? false;
    const max = this.mode === "max" || (this.mode === "auto" && /(acc|accuracy|auc)$/.test(this.monitor));
    this.#watch = new Watcher(this.monitor, max, this.minDelta);
  }
  /** Resets the best value, the wait and the saved weights. */
  onTrainBegin(): void {
    this.#wait = 0;
    this.stoppedEpoch = null;
    this.#bestWeights = null;
    this.#watch.reset();
  }
  /**
   * Stops training after `patience` epochs without improvement in a row (never
   * on epoch 0); a monitor missing from the logs is a RangeError.
   */
  onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainingContext): void {
    if (this.#watch.improved(logs)) {
      this.#wait = 0;
      if (this.restoreBestWeights) this.#bestWeights = ctx.model.weights.map((x) => Float32Array.from(x.variable.data));
      return;
    }
    // Keras: a non-improving epoch counts; stop once `patience` of them are in a row (never on epoch 0).
    if (++this.#wait >= this.patience && epoch > 0) {
      ctx.stopTraining = true;
      this.stoppedEpoch = epoch;
    }
  }
  /** Puts the best weights back when training stopped early and `restoreBestWeights` is set. */
  onTrainEnd(ctx: TrainingContext): void {
    if (this.stoppedEpoch !== null && this.#bestWeights) {
      ctx.model.weights.forEach((x, i) => x.variable.assign(this.#bestWeights![i]));
    }
  }
  /** Keras's keys: `monitor`, `min_delta`, `patience`, `mode`, `restore_best_weights`. */
  getConfig(): CallbackConfig {
    return {
      class_name: "EarlyStopping",
      config: {
        monitor: this.monitor,
        min_delta: this.minDelta,
        patience: this.patience,
        mode: this.mode,
        restore_best_weights: this.restoreBestWeights,
      },
    };
  }
}

/** {@link EarlyStopping} as a function (the earlier API). */
export function earlyStopping(o: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(o);
}

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Default "val_loss". */
  monitor?: Monitor;
  /** Write only when `monitor` improves (default false). */
  saveBestOnly?: boolean;
  /** "auto" (default): max when the name contains acc, as Keras's ModelCheckpoint. */
  mode?: Mode;
}

/**
 * Keras's ModelCheckpoint: a checkpoint (model, weights, optimizer state;
 * see models/checkpoint.ts) after each epoch, to `path` with `{epoch}`
 * replaced by the 1-based epoch; `saveBestOnly` writes only when `monitor`
 * improves. Written atomically.
 */
export class ModelCheckpoint implements Callback {
  /** The log key watched with `saveBestOnly` (Keras's `monitor`). */
  readonly monitor: Monitor;
  /** Keras's `save_best_only`. */
  readonly saveBestOnly: boolean;
  /** Keras's `mode`: whether larger or smaller is better. */
  readonly mode: Mode;
  /** The files written, in order. */
  readonly saved: string[] = [];
  readonly #watch: Watcher;
  /** `path`: the file to write (`{epoch}` replaced by the 1-based epoch), a non-empty string (else a TypeError). */
  constructor(readonly path: string, o: ModelCheckpointOptions = {}) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(`ModelCheckpoint: path must be a non-empty string, got ${JSON.stringify(path)}`);
    }
    this.monitor = o.monitor ?? "val_loss";
    this.saveBestOnly = o.saveBestOnly ?? false;
    this.mode = checkMode(o.mode ?? "auto", "ModelCheckpoint");
    const max = this.mode === "max" ||
      (this.mode === "auto" && (this.monitor.includes("acc") || this.monitor.startsWith("fmeasure")));
    this.#watch = new Watcher(this.monitor, max, 0);
  }
  /** Writes the checkpoint (atomically) unless `saveBestOnly` and no improvement. */
  onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainingContext): void {
    if (this.saveBestOnly && !this.#watch.improved(logs)) return;
    const file = this.path.replaceAll("{epoch}", String(epoch + 1));
    if (!ctx.model.checkpointBytes) throw new TypeError("ModelCheckpoint needs a model that can write checkpoints");
    writeFileAtomicSync(file, ctx.model.checkpointBytes({ optimizer: ctx.optimizer }));
    this.saved.push(file);
  }
  /** Keras's keys: `filepath`, `monitor`, `save_best_only`, `mode`. */
  getConfig(): CallbackConfig {
    return {
      class_name: "ModelCheckpoint",
      config: { filepath: this.path, monitor: this.monitor, save_best_only: this.saveBestOnly, mode: this.mode },
    };
  }
}

/** {@link ModelCheckpoint} as a function (the earlier API). */
export function modelCheckpoint(path: string, o: ModelCheckpointOptions = {}): ModelCheckpoint {
  return new ModelCheckpoint(path, o);
}

/** A function's name for configs: named functions only (callbackFromConfig finds them by it). */
function functionName(fn: NamedFunction, where: string): string {
  if (!fn.name) {
    throw new TypeError(
      `${where}: the schedule is an anonymous function, which a config cannot name; pass a named function`,
    );
  }
  return fn.name;
}

/**
 * larq's HyperparameterScheduler: sets `optimizer[hyperparameter]` to
 * `schedule(epoch, current value)` at the start of each epoch (e.g. Bop's
 * `gamma`) and logs the value under `hyperparameter` at its end. Without an
 * optimizer it schedules fit's.
 */
export class HyperparameterScheduler implements Callback {
  #optimizer: Optimizer | undefined;
  /**
   * `schedule(epoch, value)` gives the new value; `hyperparameter` names an
   * optimizer field; `optimizer` (default: fit's) must have it (else a
   * RangeError).
   */
  constructor(
    readonly schedule: (epoch: number, value: number) => number,
    readonly hyperparameter: string,
    optimizer?: object,
  ) {
    if (typeof schedule !== "function") throw new TypeError("HyperparameterScheduler: schedule must be a function");
    this.#optimizer = optimizer as Optimizer | undefined;
    if (optimizer) this.#check(optimizer);
  }
  #check(optimizer: object): Record<string, number> {
    if (!(this.hyperparameter in optimizer)) {
      throw new RangeError(`the optimizer has no hyperparameter "${this.hyperparameter}"`);
    }
    return optimizer as unknown as Record<string, number>;
  }
  /** Sets the hyperparameter to `schedule(epoch, current value)`. */
  onEpochBegin(epoch: number, ctx: TrainingContext): void {
    const o = this.#check(this.#optimizer ?? ctx.optimizer);
    o[this.hyperparameter] = this.schedule(epoch, o[this.hyperparameter]);
  }
  /** Adds the hyperparameter's value to the logs. */
  onEpochEnd(_epoch: number, logs: EpochLogs, ctx: TrainingContext): void {
    setLog(logs, this.hyperparameter, this.#check(this.#optimizer ?? ctx.optimizer)[this.hyperparameter]);
  }
  /** The schedule by its function name; the optimizer is not saved (callbackFromConfig takes it). */
  getConfig(): CallbackConfig {
    return {
      class_name: "HyperparameterScheduler",
      config: {
        schedule: functionName(this.schedule, "HyperparameterScheduler"),
        hyperparameter: this.hyperparameter,
        update_freq: "epoch",
      },
    };
  }
}

/** {@link HyperparameterScheduler} as a function (the earlier API). */
export function hyperparameterScheduler(
  schedule: (epoch: number, value: number) => number,
  hyperparameter: string,
  optimizer: object,
): HyperparameterScheduler {
  return new HyperparameterScheduler(schedule, hyperparameter, optimizer);
}

/**
 * The learning rate an optimizer's next step uses, as Keras's float32
 * variable holds it (a schedule: the value of the last step).
 */
function learningRateOf(optimizer: Optimizer, where: string): number {
  const lr = optimizer.learningRate;
  if (lr === undefined) {
    throw new TypeError(
      `${where}: optimizer ${optimizer.name} has no learning rate; schedule the optimizer inside it instead`,
    );
  }
  const value = typeof lr === "number"
    ? lr
    : optimizer instanceof KerasOptimizer
    ? optimizer.currentLearningRate
    : lr.at(0);
  return Math.fround(value);
}

/** Options of {@link ReduceLROnPlateau} (Keras's defaults). */
export interface ReduceLROnPlateauOptions {
  /** Default "val_loss". */
  monitor?: Monitor;
  /** new rate = rate · factor (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** "auto" (default): max when the name contains acc, as Keras's ReduceLROnPlateau. */
  mode?: Mode;
  /** The smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate never goes below this (default 0). */
  minLr?: number;
  /** 1: print each reduction (default 0). */
  verbose?: 0 | 1;
}

/**
 * Keras's ReduceLROnPlateau: multiplies the learning rate by `factor` after
 * `patience` epochs without improvement of `monitor`, then waits `cooldown`
 * epochs; never below `minLr`. Adds `lr` to the epoch logs.
 *
 * @example
 * ```ts
 * import { ReduceLROnPlateau } from "./callbacks.ts";
 * import { SGD } from "./optimizers.ts";
 * const optimizer = new SGD(1);
 * const cb = new ReduceLROnPlateau({ monitor: "loss", factor: 0.5, patience: 1 });
 * const ctx = { optimizer, stopTraining: false } as never;
 * cb.onTrainBegin();
 * for (const [epoch, loss] of [1, 1, 1].entries()) cb.onEpochEnd(epoch, { loss } as never, ctx);
 * console.log(optimizer.learningRate); // 0.25
 * ```
 */
export class ReduceLROnPlateau implements Callback {
  /** The log key watched (Keras's `monitor`). */
  readonly monitor: Monitor;
  /** Keras's `factor`: new rate = rate · factor. */
  readonly factor: number;
  /** Keras's `patience`: epochs without improvement before reducing. */
  readonly patience: number;
  /** Keras's `mode`: whether larger or smaller is better. */
  readonly mode: Mode;
  /** Keras's `min_delta`: the smallest change that counts as an improvement. */
  readonly minDelta: number;
  /** Keras's `cooldown`: epochs to wait after a reduction. */
  readonly cooldown: number;
  /** Keras's `min_lr`: the floor of the rate. */
  readonly minLr: number;
  /** Keras's `verbose`: 1 prints each reduction. */
  readonly verbose: 0 | 1;
  readonly #watch: Watcher;
  #wait = 0;
  #cooldownCounter = 0;
  /**
   * Defaults as Keras (see {@link ReduceLROnPlateauOptions}); a factor ≥ 1, a
   * negative value or an unknown mode is a RangeError.
   */
  constructor(o: ReduceLROnPlateauOptions = {}) {
    const where = "ReduceLROnPlateau";
    this.monitor = o.monitor ?? "val_loss";
    this.factor = nonNegative(o.factor ?? 0.1, "factor", where);
    if (this.factor >= 1) throw new RangeError(`${where} does not support a factor ≥ 1, got ${this.factor}`);
    this.patience = nonNegative(o.patience ?? 10, "patience", where, true);
    this.mode = checkMode(o.mode ?? "auto", where);
    this.minDelta = nonNegative(o.minDelta ?? 1e-4, "minDelta", where);
    this.cooldown = nonNegative(o.cooldown ?? 0, "cooldown", where, true);
    this.minLr = nonNegative(o.minLr ?? 0, "minLr", where);
    this.verbose = o.verbose ?? 0;
    const max = this.mode === "max" || (this.mode === "auto" && this.monitor.includes("acc"));
    this.#watch = new Watcher(this.monitor, max, this.minDelta);
  }
  /** Resets the best value, the wait and the cooldown. */
  onTrainBegin(): void {
    this.#watch.reset();
    this.#wait = 0;
    this.#cooldownCounter = 0;
  }
  /** Adds `lr` to the logs and reduces the rate after `patience` epochs without improvement (outside cooldown). */
  onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainingContext): void {
    const lr = learningRateOf(ctx.optimizer, "ReduceLROnPlateau");
    setLog(logs, "lr", lr);
    if (this.#cooldownCounter > 0) {
      this.#cooldownCounter--;
      this.#wait = 0;
    }
    // Keras asks "in cooldown?" again after counting down: the last cooldown epoch already counts.
    if (this.#watch.improved(logs)) {
      this.#wait = 0;
    } else if (this.#cooldownCounter === 0 && ++this.#wait >= this.patience && lr > Math.fround(this.minLr)) {
      const next = Math.max(lr * this.factor, this.minLr);
      ctx.optimizer.learningRate = next;
      if (this.verbose) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${next}.`);
      this.#cooldownCounter = this.cooldown;
      this.#wait = 0;
    }
  }
  /** Keras's keys: `monitor`, `factor`, `patience`, `verbose`, `mode`, `min_delta`, `cooldown`, `min_lr`. */
  getConfig(): CallbackConfig {
    return {
      class_name: "ReduceLROnPlateau",
      config: {
        monitor: this.monitor,
        factor: this.factor,
        patience: this.patience,
        verbose: this.verbose,
        mode: this.mode,
        min_delta: this.minDelta,
        cooldown: this.cooldown,
        min_lr: this.minLr,
      },
    };
  }
}

/**
 * Keras's LearningRateScheduler: at the start of each epoch the learning
 * rate becomes `schedule(epoch, current rate)`. Adds `lr` to the epoch
 * logs. A named function saves in the config (by its name).
 *
 * @example
 * ```ts
 * import { LearningRateScheduler } from "./callbacks.ts";
 * function halveAfterTen(epoch: number, lr: number) {
 *   return epoch < 10 ? lr : lr / 2;
 * }
 * const cb = new LearningRateScheduler(halveAfterTen);
 * console.log(cb.getConfig().config.schedule); // halveAfterTen
 * ```
 */
export class LearningRateScheduler implements Callback {
  /** `schedule(epoch, lr)` gives the epoch's learning rate; `verbose` 1 prints it. */
  constructor(readonly schedule: (epoch: number, lr: number) => number, readonly verbose: 0 | 1 = 0) {
    if (typeof schedule !== "function") throw new TypeError("LearningRateScheduler: schedule must be a function");
  }
  /** Sets the learning rate to `schedule(epoch, current rate)` (a non-finite result is a TypeError). */
  onEpochBegin(epoch: number, ctx: TrainingContext): void {
    const lr = this.schedule(epoch, learningRateOf(ctx.optimizer, "LearningRateScheduler"));
    if (typeof lr !== "number" || !Number.isFinite(lr)) {
      throw new TypeError(`LearningRateScheduler: the schedule must return a finite number, got ${String(lr)}`);
    }
    ctx.optimizer.learningRate = lr;
    if (this.verbose) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }
  /** Adds `lr` to the logs. */
  onEpochEnd(_epoch: number, logs: EpochLogs, ctx: TrainingContext): void {
    setLog(logs, "lr", learningRateOf(ctx.optimizer, "LearningRateScheduler"));
  }
  /** Keras's keys: `schedule` (the function's name), `verbose`. */
  getConfig(): CallbackConfig {
    return {
      class_name: "LearningRateScheduler",
      config: { schedule: functionName(this.schedule, "LearningRateScheduler"), verbose: this.verbose },
    };
  }
}

/**
 * Keras's TerminateOnNaN: stops training after a batch whose loss (the
 * epoch's running mean, as Keras logs it) is NaN or infinite. That batch's
 * update is already applied, so the weights may be NaN; the epoch still
 * ends with its logs (a NaN `loss` in the history), as in tf-keras. Without
 * it, fit goes on with NaN losses (see `fit`).
 */
export class TerminateOnNaN implements Callback {
  /** Stops training when the batch loss is NaN or infinite. */
  onBatchEnd(batch: number, logs: { loss?: number }, ctx: TrainingContext): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.log(`Batch ${batch}: Invalid loss, terminating training`);
      ctx.stopTraining = true;
    }
  }
  /** Keras's config: no keys. */
  getConfig(): CallbackConfig {
    return { class_name: "TerminateOnNaN", config: {} };
  }
}

/** Options of {@link LivePlot}. */
export interface LivePlotOptions {
  /** Shows a MIME bundle (default: the Deno Jupyter kernel's `Deno.jupyter.display`; outside a notebook, none). */
  display?: DisplayFunction;
  /** The metrics drawn, a panel each (default every logged metric but `val_*`, flip ratios and `lr`). */
  metrics?: readonly string[];
}

/**
 * The training curves in a notebook, drawn as each epoch ends into one display that each new epoch replaces
 * (`Deno.jupyter.display` with a `display_id`, then `update: true`). `fit` adds one by itself in a notebook when
 * verbose is "auto"; outside a notebook (no display function) it does nothing. A new display per fit call.
 *
 * @example
 * ```ts
 * import { LivePlot } from "./callbacks.ts";
 * const shown: unknown[] = [];
 * const plot = new LivePlot({ display: (bundle, options) => void shown.push(options) });
 * plot.onTrainBegin();
 * await plot.onEpochEnd(0, { loss: 0.9 });
 * await plot.onEpochEnd(1, { loss: 0.5 });
 * console.log(shown.map((o) => (o as { update: boolean }).update)); // [ false, true ]
 * ```
 */
export class LivePlot implements Callback {
  readonly #display: DisplayFunction | null;
  readonly #metrics: readonly string[] | undefined;
  #history = new History();
  #id = "";
  #shown = false;
  #failed = false;

  /** The display function is `options.display`, else the notebook's (checked now). */
  constructor(options: LivePlotOptions = {}) {
    if (options.display !== undefined && typeof options.display !== "function") {
      throw new TypeError(`LivePlot: display is ${typeof options.display}; a function (bundle, options) is accepted`);
    }
    this.#display = options.display ?? jupyterDisplay();
    this.#metrics = options.metrics;
  }

  /** The display's id (a new one per fit call, once training began). */
  get displayId(): string {
    return this.#id;
  }

  /** Starts a new display and history. */
  onTrainBegin(): void {
    this.#history = new History();
    this.#id = `onebit-fit-${crypto.randomUUID()}`;
    this.#shown = false;
    this.#failed = false;
  }

  /**
   * Records the epoch's logs and shows the curves so far (replacing the last picture). A metric missing from the
   * logs is a RangeError; a picture that cannot be drawn or shown (vega not loadable, the display failing) is
   * reported once on stderr and training goes on without curves.
   */
  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    if (!this.#display || this.#failed) return;
    if (!this.#id) this.onTrainBegin();
    this.#history.record(epoch, logs);
    historySeries(this.#history, { metrics: this.#metrics }); // a missing metric is the caller's mistake: thrown
    try {
      const bundle = svgBundle(await this.#history.toSvg({ metrics: this.#metrics }), String(this.#history));
      const options = { raw: true as const, display_id: this.#id, update: this.#shown };
      this.#shown = true;
      await this.#display(bundle, options);
    } catch (e) {
      this.#failed = true;
      console.error(
        `LivePlot: cannot show the training curves (${e instanceof Error ? e.message : e}); training goes on`,
      );
    }
  }
}

/** Python's repr of a float (what Keras's CSVLogger writes): 0.5, 1.0, 1e-05, 1e+16, nan, inf. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // The shortest round-trip digits (both languages), laid out as Python does.
  const [mantissa, e] = x.toExponential().split("e");
  const sign = mantissa.startsWith("-") ? "-" : "", digits = mantissa.replace(/[-.]/g, ""), exp = Number(e);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Options of {@link CSVLogger}. */
export interface CSVLoggerOptions {
  /** Default ",". */
  separator?: string;
  /** Append to an existing file (its header kept) instead of replacing it (default false). */
  append?: boolean;
}

/**
 * Keras's CSVLogger: one row per epoch as it ends (Python's csv "excel"
 * dialect: `\r\n` line ends, minimal quoting): `epoch`, then the log keys
 * sorted, fixed at the first epoch (with `val_` twins added when it has
 * none), `NA` for a missing value, numbers as Python writes them.
 *
 * @example
 * ```ts
 * import { CSVLogger } from "./callbacks.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * const log = new CSVLogger(path);
 * log.onTrainBegin();
 * log.onEpochEnd(0, { loss: 0.5, accuracy: 0.75 } as never);
 * console.log(JSON.stringify(Deno.readTextFileSync(path)));
 * // "epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.75,0.5,NA,NA\r\n"
 * await Deno.remove(path);
 * ```
 */
export class CSVLogger implements Callback {
  /** Keras's `separator` (one character). */
  readonly separator: string;
  /** Keras's `append`: keep an existing file and add rows. */
  readonly append: boolean;
  #keys: string[] | null = null;
  #header = true;
  /** `filename`: the CSV file, a non-empty string (else a TypeError); `separator` one character (else a RangeError). */
  constructor(readonly filename: string, o: CSVLoggerOptions = {}) {
    if (typeof filename !== "string" || filename === "") {
      throw new TypeError(`CSVLogger: filename must be a non-empty string, got ${JSON.stringify(filename)}`);
    }
    this.separator = o.separator ?? ",";
    if (typeof this.separator !== "string" || this.separator.length !== 1) {
      throw new RangeError(`CSVLogger: separator must be one character, got ${JSON.stringify(this.separator)}`);
    }
    this.append = o.append ?? false;
  }
  /** Empties the file, or with `append` keeps it (a header only into an empty file). */
  onTrainBegin(): void {
    if (this.append) {
      let text = "";
      try {
        text = Deno.readTextFileSync(this.filename);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      this.#header = text.length === 0; // Keras: a header only into an empty file
    } else {
      this.#header = true;
      Deno.writeTextFileSync(this.filename, "");
    }
  }
  /** Writes the epoch's row (and the header first when due). */
  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const values = logs as unknown as Record<string, unknown>;
    if (this.#keys === null) {
      const keys = Object.keys(values).sort();
      this.#keys = keys.some((k) => k.startsWith("val_")) ? keys : [...keys, ...keys.map((k) => `val_${k}`)];
    }
    const rows: string[][] = [];
    if (this.#header) rows.push(["epoch", ...this.#keys]);
    this.#header = false;
    rows.push([String(epoch), ...this.#keys.map((k) => this.#cell(values[k]))]);
    const text = rows.map((r) => r.map((f) => this.#quote(f)).join(this.separator) + "\r\n").join("");
    Deno.writeTextFileSync(this.filename, text, { append: true });
  }
  #cell(v: unknown): string {
    if (v === undefined) return "NA";
    if (typeof v === "number") return pythonFloat(v);
    if (Array.isArray(v)) return `"[${v.map((x) => (typeof x === "number" ? pythonFloat(x) : String(x))).join(", ")}]"`;
    return String(v);
  }
  /** Python csv's QUOTE_MINIMAL: quote a field holding the separator, a quote or a line break. */
  #quote(field: string): string {
    if (!field.includes(this.separator) && !/["\r\n]/.test(field)) return field;
    return `"${field.replaceAll('"', '""')}"`;
  }
  /** Keras's keys: `filename`, `separator`, `append`. */
  getConfig(): CallbackConfig {
    return {
      class_name: "CSVLogger",
      config: { filename: this.filename, separator: this.separator, append: this.append },
    };
  }
}

/** What {@link callbackFromConfig} needs besides the config: named schedules, the optimizer a scheduler drives. */
export interface CallbackFromConfigOptions {
  /** Functions by name, for the `schedule` of LearningRateScheduler and HyperparameterScheduler. */
  customObjects?: Record<string, NamedFunction>;
  /** The optimizer a HyperparameterScheduler sets (default: fit's). */
  optimizer?: object;
}

/** Keras's config keys onebit accepts at these values without supporting them. */
const IGNORED: Record<string, unknown[]> = {
  verbose: [0, 1],
  baseline: [null],
  start_from_epoch: [0],
  save_weights_only: [false],
  save_freq: ["epoch"],
  initial_value_threshold: [null],
  log_name: [null],
};

function configOf(c: CallbackConfig, keys: string[]): Record<string, unknown> {
  const o = c.config ?? {};
  for (const [k, v] of Object.entries(o)) {
    if (keys.includes(k)) continue;
    if (!(k in IGNORED)) throw new RangeError(`${c.class_name} config: unknown key "${k}"`);
    if (!IGNORED[k].includes(v)) {
      throw new RangeError(`${c.class_name} config: ${k} = ${JSON.stringify(v)} is not supported`);
    }
  }
  return o;
}

function scheduleNamed(c: CallbackConfig, name: unknown, options: CallbackFromConfigOptions): NamedFunction {
  const fn = options.customObjects?.[name as string];
  if (typeof fn !== "function") {
    throw new RangeError(`${c.class_name} config: schedule "${name}" is not in customObjects; pass { customObjects }`);
  }
  return fn;
}

/**
 * A callback from its config (as getConfig writes it; Keras's key names).
 * Schedules are looked up by name in `customObjects`.
 */
export function callbackFromConfig(c: CallbackConfig, options: CallbackFromConfigOptions = {}): Callback {
  // deno-lint-ignore no-explicit-any
  const v = (o: Record<string, unknown>, k: string) => o[k] as any;
  switch (c?.class_name) {
    case "EarlyStopping": {
      const o = configOf(c, ["monitor", "min_delta", "patience", "mode", "restore_best_weights"]);
      return new EarlyStopping({
        monitor: v(o, "monitor"),
        minDelta: v(o, "min_delta"),
        patience: v(o, "patience"),
        mode: v(o, "mode"),
        restoreBestWeights: v(o, "restore_best_weights"),
      });
    }
    case "ModelCheckpoint": {
      const o = configOf(c, ["filepath", "monitor", "save_best_only", "mode"]);
      return new ModelCheckpoint(v(o, "filepath"), {
        monitor: v(o, "monitor"),
        saveBestOnly: v(o, "save_best_only"),
        mode: v(o, "mode"),
      });
    }
    case "ReduceLROnPlateau": {
      const keys = ["monitor", "factor", "patience", "mode", "min_delta", "cooldown", "min_lr"];
      const o = configOf(c, keys);
      return new ReduceLROnPlateau({
        monitor: v(o, "monitor"),
        factor: v(o, "factor"),
        patience: v(o, "patience"),
        mode: v(o, "mode"),
        minDelta: v(o, "min_delta"),
        cooldown: v(o, "cooldown"),
        minLr: v(o, "min_lr"),
        verbose: v(o, "verbose"),
      });
    }
    case "LearningRateScheduler": {
      const o = configOf(c, ["schedule"]);
      return new LearningRateScheduler(scheduleNamed(c, o.schedule, options), v(o, "verbose") ?? 0);
    }
    case "HyperparameterScheduler": {
      const o = configOf(c, ["schedule", "hyperparameter", "update_freq"]);
      if ((o.update_freq ?? "epoch") !== "epoch") {
        throw new RangeError(`HyperparameterScheduler updates per epoch only`);
      }
      return new HyperparameterScheduler(
        scheduleNamed(c, o.schedule, options),
        v(o, "hyperparameter"),
        options.optimizer,
      );
    }
    case "CSVLogger": {
      const o = configOf(c, ["filename", "separator", "append"]);
      return new CSVLogger(v(o, "filename"), { separator: v(o, "separator"), append: v(o, "append") });
    }
    case "TerminateOnNaN":
      configOf(c, []);
      return new TerminateOnNaN();
    default:
      throw new RangeError(
        `unknown callback ${c?.class_name}; onebit has EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, ` +
          `LearningRateScheduler, HyperparameterScheduler, CSVLogger and TerminateOnNaN`,
      );
  }
}
