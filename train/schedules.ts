/**
 * Learning-rate schedules as Keras defines them (a function of the step:
 * the number of updates applied before this one), with configs so
 * optimizers that use them still save to checkpoints.
 * @module
 */

/** A learning rate that changes with the step (Keras's `LearningRateSchedule`). */
export interface LearningRateSchedule {
  /** The value at `step` (0 for the first update). */
  at(step: number): number;
  /** Keras's `{ class_name, config }` form (optimizers save it in their config). */
  getConfig(): { class_name: string; config: Record<string, unknown> };
}

/** A learning rate: a constant or a schedule. */
export type LearningRate = number | LearningRateSchedule;

/** The value of `lr` at `step`. */
export function learningRateAt(lr: LearningRate, step: number): number {
  return typeof lr === "number" ? lr : lr.at(step);
}

function positive(name: string, v: number): number {
  if (!(v > 0)) throw new RangeError(`${name} must be positive, got ${v}`);
  return v;
}

/**
 * Keras's CosineDecay (TF ≥ 2.13): optional linear warmup from
 * `initialLearningRate` to `warmupTarget` over `warmupSteps`, then
 * `from·((1 - alpha)·0.5·(1 + cos(π·t/decaySteps)) + alpha)`, held after
 * `decaySteps`.
 *
 * @example
 * ```ts
 * import { cosineDecay } from "./schedules.ts";
 * const s = cosineDecay({ initialLearningRate: 0, decaySteps: 100, warmupSteps: 10, warmupTarget: 0.1 });
 * console.log(s.at(5), s.at(10), s.at(60).toFixed(3), s.at(500)); // 0.05 0.1 0.050 0
 * ```
 */
export function cosineDecay(o: {
  initialLearningRate: number;
  decaySteps: number;
  alpha?: number;
  warmupSteps?: number;
  warmupTarget?: number | null;
}): LearningRateSchedule {
  const decaySteps = positive("decaySteps", o.decaySteps), alpha = o.alpha ?? 0, warmup = o.warmupSteps ?? 0;
  const target = o.warmupTarget ?? null;
  const decay = (step: number, from: number) =>
    from * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * (step / decaySteps))) + alpha);
  return {
    at(step) {
      if (target === null) return decay(Math.min(step, decaySteps), o.initialLearningRate);
      const s = Math.min(step, decaySteps + warmup);
      if (s < warmup) return (target - o.initialLearningRate) * (s / warmup) + o.initialLearningRate;
      return decay(s - warmup, target);
    },
    getConfig: () => ({
      class_name: "CosineDecay",
      config: {
        initial_learning_rate: o.initialLearningRate,
        decay_steps: decaySteps,
        alpha,
        warmup_steps: warmup,
        warmup_target: target,
      },
    }),
  };
}

/** Keras's ExponentialDecay: `lr·rate^(step/decaySteps)` (floored exponent with `staircase`). */
export function exponentialDecay(o: {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}): LearningRateSchedule {
  const decaySteps = positive("decaySteps", o.decaySteps);
  return {
    at: (step) => {
      const p = step / decaySteps;
      return o.initialLearningRate * o.decayRate ** (o.staircase ? Math.floor(p) : p);
    },
    getConfig: () => ({
      class_name: "ExponentialDecay",
      config: {
        initial_learning_rate: o.initialLearningRate,
        decay_steps: decaySteps,
        decay_rate: o.decayRate,
        staircase: o.staircase ?? false,
      },
    }),
  };
}

/** Keras's PiecewiseConstantDecay: `values[i]` while `step ≤ boundaries[i]`, the last value after. */
export function piecewiseConstantDecay(boundaries: number[], values: number[]): LearningRateSchedule {
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `piecewiseConstantDecay needs one more value than boundaries (${boundaries.length} boundaries)`,
    );
  }
  return {
    at: (step) => {
      const i = boundaries.findIndex((b) => step <= b);
      return values[i < 0 ? values.length - 1 : i];
    },
    getConfig: () => ({ class_name: "PiecewiseConstantDecay", config: { boundaries, values } }),
  };
}

/** A learning rate from its config (a number or a schedule config). */
export function learningRateFromConfig(c: unknown): LearningRate {
  if (typeof c === "number") return c;
  const { class_name, config: o } = c as { class_name: string; config: Record<string, number & boolean & number[]> };
  switch (class_name) {
    case "CosineDecay":
      return cosineDecay({
        initialLearningRate: o.initial_learning_rate,
        decaySteps: o.decay_steps,
        alpha: o.alpha,
        warmupSteps: o.warmup_steps,
        warmupTarget: o.warmup_target,
      });
    case "ExponentialDecay":
      return exponentialDecay({
        initialLearningRate: o.initial_learning_rate,
        decaySteps: o.decay_steps,
        decayRate: o.decay_rate,
        staircase: o.staircase,
      });
    case "PiecewiseConstantDecay":
      return piecewiseConstantDecay(o.boundaries, o.values);
    default:
      throw new RangeError(`unknown learning-rate schedule ${class_name}`);
  }
}

/** A learning rate's config: the number, or the schedule's config. */
export function learningRateConfig(lr: LearningRate): unknown {
  return typeof lr === "number" ? lr : lr.getConfig();
}
