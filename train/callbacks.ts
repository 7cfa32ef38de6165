/**
 * fit callbacks as Keras and larq have them: early stopping (optionally
 * restoring the best weights), checkpoints after each epoch (optionally the
 * best only), and larq's HyperparameterScheduler (e.g. Bop's gamma per
 * epoch).
 * @module
 */
import { writeFileAtomicSync } from "../_fs.ts";
import type { Callback, EpochLogs, TrainingContext } from "./fit.ts";

type Monitor = "loss" | "accuracy" | "val_loss" | "val_accuracy";

function watcher(monitor: Monitor, mode: "auto" | "min" | "max", minDelta: number) {
  const sign = (mode === "auto" ? (monitor.endsWith("accuracy") ? "max" : "min") : mode) === "max" ? 1 : -1;
  let best = -Infinity;
  return {
    /** True when `logs` improves on the best value by more than minDelta (and records it). */
    improved(logs: EpochLogs): boolean {
      const v = logs[monitor];
      if (v === undefined) {
        throw new RangeError(
          `callback monitors "${monitor}", which fit does not report (pass validationData for val_*)`,
        );
      }
      if (sign * v - minDelta > best) {
        best = sign * v;
        return true;
      }
      return false;
    },
  };
}

/**
 * Keras's EarlyStopping: stops after `patience` epochs without an
 * improvement larger than `minDelta`; `restoreBestWeights` puts the best
 * epoch's weights back at the end.
 *
 * @example
 * ```ts
 * import { earlyStopping } from "./callbacks.ts";
 * const stop = earlyStopping({ monitor: "val_loss", patience: 2, restoreBestWeights: true });
 * // fit(model, x, y, { optimizer, epochs: 50, validationData: { x: xv, labels: yv }, callbacks: [stop] });
 * ```
 */
export function earlyStopping(o: {
  monitor?: Monitor;
  patience?: number;
  minDelta?: number;
  mode?: "auto" | "min" | "max";
  restoreBestWeights?: boolean;
} = {}): Callback & { stoppedEpoch: number | null } {
  const w = watcher(o.monitor ?? "val_loss", o.mode ?? "auto", o.minDelta ?? 0);
  let wait = 0, bestWeights: Float32Array[] | null = null;
  const cb = {
    stoppedEpoch: null as number | null,
    onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainingContext) {
      if (w.improved(logs)) {
        wait = 0;
        if (o.restoreBestWeights) bestWeights = ctx.model.weights.map((x) => Float32Array.from(x.variable.data));
        return;
      }
      // Keras: a non-improving epoch counts; stop once `patience` of them are in a row (never on epoch 0).
      if (++wait >= (o.patience ?? 0) && epoch > 0) {
        ctx.stopTraining = true;
        cb.stoppedEpoch = epoch;
      }
    },
    onTrainEnd(ctx: TrainingContext) {
      if (cb.stoppedEpoch !== null && bestWeights) {
        ctx.model.weights.forEach((x, i) => x.variable.assign(bestWeights![i]));
      }
    },
  };
  return cb;
}

/**
 * Keras's ModelCheckpoint: a checkpoint (model, weights, optimizer state;
 * see models/checkpoint.ts) after each epoch, to `path` with `{epoch}`
 * replaced by the 1-based epoch; `saveBestOnly` writes only when `monitor`
 * improves. Written atomically.
 */
export function modelCheckpoint(
  path: string,
  o: { monitor?: Monitor; saveBestOnly?: boolean; mode?: "auto" | "min" | "max" } = {},
): Callback & { saved: string[] } {
  const w = watcher(o.monitor ?? "val_loss", o.mode ?? "auto", 0);
  const cb = {
    saved: [] as string[],
    onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainingContext) {
      if (o.saveBestOnly && !w.improved(logs)) return;
      const file = path.replaceAll("{epoch}", String(epoch + 1));
      if (!ctx.model.checkpointBytes) throw new TypeError("modelCheckpoint needs a model that can write checkpoints");
      writeFileAtomicSync(file, ctx.model.checkpointBytes({ optimizer: ctx.optimizer }));
      cb.saved.push(file);
    },
  };
  return cb;
}

/**
 * larq's HyperparameterScheduler: sets `optimizer[hyperparameter]` to
 * `schedule(epoch)` at the start of each epoch (e.g. Bop's `gamma`).
 */
export function hyperparameterScheduler(
  schedule: (epoch: number) => number,
  hyperparameter: string,
  optimizer: object,
): Callback {
  if (!(hyperparameter in optimizer)) {
    throw new RangeError(`the optimizer has no hyperparameter "${hyperparameter}"`);
  }
  return {
    onEpochBegin(epoch: number) {
      (optimizer as Record<string, number>)[hyperparameter] = schedule(epoch);
    },
  };
}
