/**
 * Optimizers with Keras's update rules (SGD with momentum, Adam as Keras's
 * OptimizerV2), larq's Bop for binary weights, and CaseOptimizer to route
 * each variable to exactly one optimizer. Updates run outside the tape.
 * @module
 */
import * as ops from "../graph/ops.ts";
import { noGrad } from "../graph/tape.ts";
import { Tensor, type Variable } from "../graph/tensor.ts";
import type { Weight } from "../layers/layer.ts";
import { type LearningRate, learningRateAt, learningRateConfig, learningRateFromConfig } from "./schedules.ts";

function checkLearningRate(lr: LearningRate): void {
  if (typeof lr === "number" ? !(lr > 0) : typeof lr?.at !== "function") {
    throw new RangeError(`learning rate must be a positive number or a schedule, got ${String(lr)}`);
  }
}

/** Keras applies a variable's constraint right after its update (weight_clip). */
function constrain(weight: Weight): void {
  if (weight.constraint) weight.variable.assign(weight.constraint.apply(weight.variable));
}

/** Keras-style serialised optimizer: `{ class_name: "Adam", config: { learning_rate: 0.001, ... } }`. */
export interface OptimizerConfig {
  class_name: string;
  config: Record<string, unknown>;
}

/** What an optimizer carries between steps: its step count and per-variable slots (Adam's m and v, ...). */
export interface OptimizerState {
  step: number;
  slots: Record<string, Map<Variable, Tensor>>;
  /** CaseOptimizer: the states of its cases, then of its default optimizer. */
  children?: OptimizerState[];
}

export interface Optimizer {
  readonly name: string;
  /** Applies one update to each (variable, gradient) pair. */
  apply(pairs: readonly { weight: Weight; grad: Tensor }[]): void;
  getConfig(): OptimizerConfig;
  /** The live state (checkpoints save it; training continues exactly from a restored one). */
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
}

function copySlots(into: Map<Variable, Tensor>, from: Map<Variable, Tensor> | undefined): void {
  into.clear();
  for (const [v, t] of from ?? []) into.set(v, t);
}

/** Plain or momentum SGD: v = momentum·v - lr·g; w += v (Keras). */
export class SGD implements Optimizer {
  readonly name = "SGD";
  readonly #velocity = new Map<Variable, Tensor>();
  #iterations = 0;
  getConfig(): OptimizerConfig {
    return {
      class_name: "SGD",
      config: { learning_rate: learningRateConfig(this.learningRate), momentum: this.momentum },
    };
  }
  getState(): OptimizerState {
    return { step: this.#iterations, slots: { velocity: this.#velocity } };
  }
  setState(state: OptimizerState): void {
    this.#iterations = state.step;
    copySlots(this.#velocity, state.slots.velocity);
  }
  constructor(readonly learningRate: LearningRate = 0.01, readonly momentum = 0) {
    checkLearningRate(learningRate);
    if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${momentum}`);
  }
  apply(pairs: readonly { weight: Weight; grad: Tensor }[]): void {
    const lr = learningRateAt(this.learningRate, this.#iterations++);
    noGrad(() => {
      for (const { weight, grad: g } of pairs) {
        const w = weight.variable;
        if (this.momentum === 0) {
          w.assign(ops.sub(w, ops.mul(g, lr)));
        } else {
          const v0 = this.#velocity.get(w) ?? Tensor.zeros(w.shape);
          const v = ops.sub(ops.mul(v0, this.momentum), ops.mul(g, lr));
          this.#velocity.set(w, v);
          w.assign(ops.add(w, v));
        }
        constrain(weight);
      }
    });
  }
}

/** Adam as Keras: lr_t = lr·sqrt(1 - β2^t)/(1 - β1^t); w -= lr_t·m/(sqrt(v) + ε), ε = 1e-7. */
export class Adam implements Optimizer {
  readonly name = "Adam";
  readonly #m = new Map<Variable, Tensor>();
  readonly #v = new Map<Variable, Tensor>();
  #t = 0;
  getConfig(): OptimizerConfig {
    return {
      class_name: "Adam",
      config: {
        learning_rate: learningRateConfig(this.learningRate),
        beta_1: this.beta1,
        beta_2: this.beta2,
        epsilon: this.epsilon,
      },
    };
  }
  getState(): OptimizerState {
    return { step: this.#t, slots: { m: this.#m, v: this.#v } };
  }
  setState(state: OptimizerState): void {
    this.#t = state.step;
    copySlots(this.#m, state.slots.m);
    copySlots(this.#v, state.slots.v);
  }
  constructor(
    readonly learningRate: LearningRate = 0.001,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    checkLearningRate(learningRate);
  }
  apply(pairs: readonly { weight: Weight; grad: Tensor }[]): void {
    if (pairs.length === 0) return;
    this.#t++;
    // The step size in float32, as TF computes it.
    const f = Math.fround;
    const lr = f(
      f(learningRateAt(this.learningRate, this.#t - 1)) * f(Math.sqrt(f(1 - f(this.beta2 ** this.#t)))) /
        f(1 - f(this.beta1 ** this.#t)),
    );
    noGrad(() => {
      for (const { weight, grad: g } of pairs) {
        const w = weight.variable;
        // TF's ApplyAdam: m += (g - m)(1 - β1); v += (g² - v)(1 - β2).
        const m0 = this.#m.get(w) ?? Tensor.zeros(w.shape), v0 = this.#v.get(w) ?? Tensor.zeros(w.shape);
        if (w.dtype === "float32" && g.dtype === "float32" && g.size === w.size) {
          // One pass with the float32 rounding of the op-by-op form below (bit-identical, without 11 temporaries).
          const W = w.data, G = g.data, M0 = m0.data, V0 = v0.data;
          const b1 = f(1 - this.beta1), b2 = f(1 - this.beta2), eps = f(this.epsilon);
          const m = new Float32Array(W.length), v = new Float32Array(W.length), next = new Float32Array(W.length);
          for (let i = 0; i < W.length; i++) {
            m[i] = M0[i] + f(f(G[i] - M0[i]) * b1);
            v[i] = V0[i] + f(f(f(G[i] * G[i]) - V0[i]) * b2);
            next[i] = W[i] - f(f(m[i] * lr) / f(f(Math.sqrt(v[i])) + eps));
          }
          this.#m.set(w, new Tensor(m, w.shape));
          this.#v.set(w, new Tensor(v, w.shape));
          w.assign(next);
          constrain(weight);
          continue;
        }
        const m = ops.add(m0, ops.mul(ops.sub(g, m0), 1 - this.beta1));
        const v = ops.add(v0, ops.mul(ops.sub(ops.square(g), v0), 1 - this.beta2));
        this.#m.set(w, m);
        this.#v.set(w, v);
        w.assign(ops.sub(w, ops.div(ops.mul(m, lr), ops.add(ops.sqrt(v), this.epsilon))));
        constrain(weight);
      }
    });
  }
}

/**
 * Bop (Helwegen et al. 2019, https://arxiv.org/abs/1906.02107), larq's
 * rule: m ← m + γ(g - m); w ← -sign(w) where w·m > τ, else sign(w)
 * (sign(0) = +1). For binary (precision-1) weights only.
 */
export class Bop implements Optimizer {
  readonly name = "Bop";
  readonly #m = new Map<Variable, Tensor>();
  getConfig(): OptimizerConfig {
    return { class_name: "Bop", config: { threshold: this.threshold, gamma: this.gamma } };
  }
  getState(): OptimizerState {
    return { step: 0, slots: { m: this.#m } };
  }
  setState(state: OptimizerState): void {
    copySlots(this.#m, state.slots.m);
  }
  /** threshold and gamma may change between steps (larq's HyperparameterScheduler). */
  constructor(public threshold = 1e-8, public gamma = 1e-4) {
    if (!(threshold >= 0) || !(gamma > 0 && gamma <= 1)) {
      throw new RangeError(`Bop needs threshold ≥ 0 and gamma in (0, 1]`);
    }
  }
  apply(pairs: readonly { weight: Weight; grad: Tensor }[]): void {
    noGrad(() => {
      for (const { weight, grad: g } of pairs) {
        if (weight.quantizer?.precision !== 1) {
          throw new RangeError(
            `Bop trains binary weights only; "${weight.variable.name}" is not binary (use CaseOptimizer)`,
          );
        }
        const w = weight.variable;
        const m0 = this.#m.get(w) ?? Tensor.zeros(w.shape);
        const m = ops.add(m0, ops.mul(ops.sub(g, m0), this.gamma));
        this.#m.set(w, m);
        // larq: sign(-sign(w·m - τ)·w): flip above τ, keep sign(w) below, +1 at exactly τ (and for w = 0).
        const s = ops.sign(w), wm = ops.mul(w, m);
        const tie = ops.sub(ops.greaterEqual(wm, this.threshold), ops.greater(wm, this.threshold));
        w.assign(ops.where(ops.greater(wm, this.threshold), ops.neg(s), ops.where(tie, 1, s)));
        constrain(weight);
      }
    });
  }
}

/**
 * larq's CaseOptimizer: each variable to the one optimizer whose predicate
 * accepts it, else the default. Decided on the first step and kept; an
 * optimizer that claims no variable is an error, a variable nobody claims a
 * warning (it is not trained).
 */
export class CaseOptimizer implements Optimizer {
  readonly name = "CaseOptimizer";
  readonly #cases: [(w: Weight) => boolean, Optimizer][];
  readonly #default: Optimizer | null;
  readonly #warned = new Set<string>();
  #checked = false;
  constructor(cases: [(w: Weight) => boolean, Optimizer][], defaultOptimizer: Optimizer | null = null) {
    this.#cases = cases;
    this.#default = defaultOptimizer;
  }
  #children(): Optimizer[] {
    return [...this.#cases.map(([, o]) => o), ...(this.#default ? [this.#default] : [])];
  }
  /** Serialisable when every predicate is isBinaryWeight (larq's Bop.is_binary_variable). */
  getConfig(): OptimizerConfig {
    const cases = this.#cases.map(([p, o], i) => {
      if (p !== isBinaryWeight) {
        throw new RangeError(
          `CaseOptimizer case ${i} has a custom predicate, which cannot be saved; use isBinaryWeight or save the weights only`,
        );
      }
      return { predicate: "is_binary_weight", optimizer: o.getConfig() };
    });
    return { class_name: "CaseOptimizer", config: { cases, default_optimizer: this.#default?.getConfig() ?? null } };
  }
  getState(): OptimizerState {
    return { step: 0, slots: {}, children: this.#children().map((o) => o.getState()) };
  }
  setState(state: OptimizerState): void {
    const children = this.#children();
    if (state.children?.length !== children.length) {
      throw new RangeError(
        `CaseOptimizer state has ${state.children?.length ?? 0} optimizers, this one ${children.length}`,
      );
    }
    children.forEach((o, i) => o.setState(state.children![i]));
  }
  apply(pairs: readonly { weight: Weight; grad: Tensor }[]): void {
    const groups = new Map<Optimizer, { weight: Weight; grad: Tensor }[]>();
    for (const pair of pairs) {
      const matches = this.#cases.filter(([p]) => p(pair.weight)).map(([, o]) => o);
      if (matches.length > 1) {
        throw new RangeError(
          `variable "${pair.weight.variable.name}" matches ${matches.length} optimizers; it must match one`,
        );
      }
      const opt = matches[0] ?? this.#default;
      if (!opt) {
        if (!this.#warned.has(pair.weight.variable.name)) {
          console.warn(
            `variable "${pair.weight.variable.name}" matches no optimizer and there is no default: it is not trained`,
          );
          this.#warned.add(pair.weight.variable.name);
        }
        continue;
      }
      groups.set(opt, [...(groups.get(opt) ?? []), pair]);
    }
    if (!this.#checked) {
      this.#checked = true;
      this.#cases.forEach(([, opt], i) => {
        if (!groups.has(opt)) {
          throw new RangeError(`CaseOptimizer: optimizer ${i} (${opt.name}) did not claim any variables`);
        }
      });
    }
    for (const [opt, group] of groups) opt.apply(group);
  }
}

/** larq's Bop predicate: weights whose quantizer has precision 1. */
export function isBinaryWeight(w: Weight): boolean {
  return w.quantizer?.precision === 1;
}

/** An optimizer from its config (as getConfig writes it; Keras's key names). */
export function optimizerFromConfig(c: OptimizerConfig): Optimizer {
  const o = c.config ?? {};
  const num = (k: string, d: number) => (o[k] === undefined ? d : Number(o[k]));
  switch (c.class_name) {
    case "SGD":
      return new SGD(learningRateFromConfig(o.learning_rate ?? 0.01), num("momentum", 0));
    case "Adam":
      return new Adam(
        learningRateFromConfig(o.learning_rate ?? 0.001),
        num("beta_1", 0.9),
        num("beta_2", 0.999),
        num("epsilon", 1e-7),
      );
    case "Bop":
      return new Bop(num("threshold", 1e-8), num("gamma", 1e-4));
    case "CaseOptimizer": {
      const cases = (o.cases as { predicate: string; optimizer: OptimizerConfig }[]).map(({ predicate, optimizer }) => {
        if (predicate !== "is_binary_weight") throw new RangeError(`unknown CaseOptimizer predicate ${predicate}`);
        return [isBinaryWeight, optimizerFromConfig(optimizer)] as [(w: Weight) => boolean, Optimizer];
      });
      const d = o.default_optimizer as OptimizerConfig | null;
      return new CaseOptimizer(cases, d ? optimizerFromConfig(d) : null);
    }
    default:
      throw new RangeError(`unknown optimizer ${c.class_name}; onebit has SGD, Adam, Bop and CaseOptimizer`);
  }
}
