/**
 * Optimizers with the update rules of Keras 2.16's optimizers (SGD with
 * momentum or Nesterov, Adam, AdamW, RMSprop), larq's Bop for binary
 * weights, and CaseOptimizer to route each variable to exactly one
 * optimizer. Every Keras optimizer takes Keras's `clipnorm` / `clipvalue` /
 * `global_clipnorm` (here `clipNorm`, `clipValue`, `globalClipnorm`) and
 * decoupled `weightDecay`; one step is: clip the gradients, decay the
 * weights (w -= lr·wd·w), update, apply each weight's constraint. The
 * learning rate is settable between steps (callbacks do it). Updates run
 * outside the tape.
 * @module
 */
import * as ops from "../graph/ops.ts";
import { lasting } from "../kernels/_step_buffers.ts";
import { noGrad } from "../graph/tape.ts";
import { trainingKernels } from "../graph/native.ts";
import { Tensor, type Variable } from "../graph/tensor.ts";
import { FloatKernels, type OptimizerOp, type OptimizerStepOptions } from "../kernels/float_kernels.ts";
import { type Weight, weightClipValue } from "../layers/layer.ts";
import {
  type LearningRate,
  learningRateAt,
  learningRateConfig,
  learningRateFromConfig,
  type LearningRateSchedule,
} from "./schedules.ts";

function isSchedule(lr: unknown): lr is LearningRateSchedule {
  return typeof lr === "object" && lr !== null && typeof (lr as LearningRateSchedule).at === "function";
}

function checkLearningRate(lr: LearningRate): LearningRate {
  if (!(isSchedule(lr) || (typeof lr === "number" && lr >= 0 && Number.isFinite(lr)))) {
    throw new RangeError(`learning rate must be a non-negative number or a schedule, got ${String(lr)}`);
  }
  return lr;
}

/** Keras applies a variable's constraint right after its update (weight_clip). */
function constrain(weight: Weight): void {
  if (weight.constraint) weight.variable.assign(weight.constraint.apply(weight.variable));
}

const REFERENCE_KERNELS = FloatKernels.reference();

/**
 * One step of `op` over `weight` in place on training's kernels (native or wasm, else the TypeScript reference: the
 * same float32 arithmetic as the op-by-op forms below, bit for bit), with its weight_clip in the same pass. False,
 * and nothing done, unless the weight, its gradient and `slots` are float32 of one size (float64 gradient checks take
 * the op-by-op form).
 */
function kernelStep(
  op: OptimizerOp,
  weight: Weight,
  g: Tensor,
  slots: readonly Tensor[],
  options: OptimizerStepOptions,
): boolean {
  const w = weight.variable, n = w.size;
  const float32 = (t: Tensor) => t.dtype === "float32" && t.size === n;
  if (!float32(w) || !float32(g) || !slots.every(float32)) return false;
  const clip = weightClipValue(weight.constraint), none = new Float32Array(0);
  const [s1, s2] = slots.map((t) => t.data as Float32Array);
  (trainingKernels() ?? REFERENCE_KERNELS).optimizerStep(
    op,
    w.data as Float32Array,
    g.data as Float32Array,
    s1 ?? none,
    s2 ?? none,
    {
      ...options,
      clampMin: clip === null ? undefined : -clip,
      clampMax: clip === null ? undefined : clip,
    },
  );
  w.version++;
  if (clip === null) constrain(weight);
  return true;
}

/** Keras-style serialised optimizer: `{ class_name: "Adam", config: { learning_rate: 0.001, ... } }`. */
export interface OptimizerConfig {
  /** Keras's class name (`Adam`, `SGD`, …; larq's `Bop`, `CaseOptimizer`). */
  class_name: string;
  /** The constructor arguments, snake_case (`learning_rate`, `beta_1`, …). */
  config: Record<string, unknown>;
}

/** What an optimizer carries between steps: its step count and per-variable slots (Adam's m and v, ...). */
export interface OptimizerState {
  /** Steps applied so far (Keras's `iterations`). */
  step: number;
  /** Per-variable tensors by slot name (`m`, `v`, `velocity`, …). */
  slots: Record<string, Map<Variable, Tensor>>;
  /** CaseOptimizer: the states of its cases, then of its default optimizer. */
  children?: OptimizerState[];
}

/** A (weight, gradient) pair for one step. */
export interface GradientPair {
  /** The weight to update (its variable, constraint and quantizer). */
  weight: Weight;
  /** The loss gradient with respect to the weight's variable. */
  grad: Tensor;
}

/** What fit drives: one `apply` per batch, configs and state for checkpoints. */
export interface Optimizer {
  /** Keras's class name (`Adam`, `Bop`, …). */
  readonly name: string;
  /**
   * The learning rate (a number or a schedule), for optimizers that have
   * one; settable between steps (ReduceLROnPlateau, LearningRateScheduler).
   */
  learningRate?: LearningRate;
  /** Applies one update to each (variable, gradient) pair. */
  apply(pairs: readonly GradientPair[]): void;
  /** Keras's `{ class_name, config }` form (`optimizerFromConfig` reads it back). */
  getConfig(): OptimizerConfig;
  /** The live state (checkpoints save it; training continues exactly from a restored one). */
  getState(): OptimizerState;
  /** Restores a state `getState` returned (step count and slots). */
  setState(state: OptimizerState): void;
}

/** `t`, or a copy of it when its array is a training step's (released when the step ends): slots outlive steps. */
function lastingTensor(t: Tensor): Tensor {
  const data = lasting(t.data);
  return data === t.data ? t : new Tensor(data, t.shape);
}

/** Copies of the slot values: optimizers update their slots in place, so a state never shares one. */
function copySlots(into: Map<Variable, Tensor>, from: Map<Variable, Tensor> | undefined): void {
  into.clear();
  for (const [v, t] of from ?? []) into.set(v, new Tensor(t.data.slice(), t.shape));
}

// ---- gradient clipping ----------------------------------------------------------

/** Keras's gradient clipping options (at most one may be set). */
export interface ClipOptions {
  /** Clip each gradient to this L2 norm (Keras's `clipnorm`, tf.clip_by_norm). */
  clipNorm?: number | null;
  /** Clip each gradient's values to [-clipValue, clipValue] (Keras's `clipvalue`). */
  clipValue?: number | null;
  /** Scale all gradients of a step together to at most this global L2 norm (tf.clip_by_global_norm). */
  globalClipnorm?: number | null;
}

function positiveOrNull(value: number | null | undefined, where: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${where} must be a positive number or null, got ${String(value)}`);
  }
  return value;
}

/** Validated clip options: Keras would silently prefer one of several; onebit asks for one. */
function clipOptions(o: ClipOptions, where: string): Required<ClipOptions> {
  const c = {
    clipNorm: positiveOrNull(o.clipNorm, `${where}: clipNorm`),
    clipValue: positiveOrNull(o.clipValue, `${where}: clipValue`),
    globalClipnorm: positiveOrNull(o.globalClipnorm, `${where}: globalClipnorm`),
  };
  const set = Object.entries(c).filter(([, v]) => v !== null).map(([k]) => k);
  if (set.length > 1) throw new RangeError(`${where}: set at most one of clipNorm, clipValue, globalClipnorm (${set})`);
  return c;
}

function clipConfig(c: Required<ClipOptions>): Record<string, number | null> {
  return { clipnorm: c.clipNorm, global_clipnorm: c.globalClipnorm, clipvalue: c.clipValue };
}

/** tf.clip_by_norm: g·c / max(‖g‖, c) (‖g‖ = 0 leaves g). */
function clipByNorm(g: Tensor, c: number): Tensor {
  const l2sum = ops.sum(ops.square(g)).item();
  return ops.div(ops.mul(g, c), Math.max(l2sum > 0 ? Math.sqrt(l2sum) : 0, c));
}

/**
 * tf.clip_by_global_norm: every g times c·min(1/‖G‖, 1/c) over all
 * gradients G, in float32 as TF (so a norm below c may scale by 1 ± ulp);
 * a non-finite norm makes every gradient NaN.
 */
function clipByGlobalNorm(grads: Tensor[], c: number): Tensor[] {
  const f = Math.fround;
  let halfSquares = 0;
  for (const g of grads) {
    let s = 0;
    for (const v of g.data) s += v * v;
    halfSquares += f(s * 0.5);
  }
  const norm = f(Math.sqrt(f(f(halfSquares) * 2)));
  const scale = f(f(c) * Math.min(f(1 / norm), f(1 / f(c)))) + (norm - norm);
  return grads.map((g) => ops.mul(g, scale));
}

/** Applies `c` (at most one option set) to one step's gradients. */
function clipGradients(grads: Tensor[], c: Required<ClipOptions>): Tensor[] {
  if (c.clipNorm !== null) return grads.map((g) => clipByNorm(g, c.clipNorm!));
  if (c.globalClipnorm !== null) return clipByGlobalNorm(grads, c.globalClipnorm);
  if (c.clipValue !== null) return grads.map((g) => ops.clipByValue(g, -c.clipValue!, c.clipValue!));
  return grads;
}

// ---- the Keras optimizers ----------------------------------------------------------

/** Options every Keras optimizer takes. */
export interface KerasOptimizerOptions extends ClipOptions {
  /** Keras's `learning_rate`: a number or a schedule of the step (each class has its default). */
  learningRate?: LearningRate;
  /** Decoupled weight decay: w -= lr·weightDecay·w before each update (Keras's `weight_decay`; null: none). */
  weightDecay?: number | null;
}

/** The first constructor argument: a learning rate, or the options object. */
function optionsOf<O extends KerasOptimizerOptions>(first: LearningRate | O | undefined, where: string): O {
  if (first === undefined) return {} as O;
  if (typeof first === "number" || isSchedule(first)) return { learningRate: first } as O;
  if (typeof first === "object" && first !== null) return first as O;
  throw new TypeError(`${where}: expected a learning rate or an options object, got ${String(first)}`);
}

/**
 * What Keras's optimizers share (Keras's `Optimizer` base): the learning
 * rate (settable; a schedule is read at the step count), clipping, weight
 * decay, the step count, and per-variable slots. Subclasses give the
 * update of one variable.
 */
export abstract class KerasOptimizer implements Optimizer {
  /** Keras's class name. */
  abstract readonly name: string;
  /** The gradient clipping (at most one of the three set; the others null). */
  readonly clip: Required<ClipOptions>;
  /** Keras's `weight_decay`: decoupled decay per step (null: none). */
  readonly weightDecay: number | null;
  #learningRate: LearningRate;
  #iterations = 0;
  /** Per-variable state by slot name (created lazily, zeros first). */
  readonly #slots = new Map<string, Map<Variable, Tensor>>();

  /**
   * Checks the learning rate, the clip options (at most one) and weightDecay ≥
   * 0 (RangeError); `defaultLearningRate` is the class's default.
   */
  constructor(o: KerasOptimizerOptions, defaultLearningRate: number) {
    const where = new.target.name;
    this.#learningRate = checkLearningRate(o.learningRate ?? defaultLearningRate);
    this.clip = clipOptions(o, where);
    const wd = o.weightDecay ?? null;
    if (wd !== null && !(typeof wd === "number" && wd >= 0 && Number.isFinite(wd))) {
      throw new RangeError(`${where}: weightDecay must be a number ≥ 0 or null, got ${String(wd)}`);
    }
    this.weightDecay = wd;
  }

  /** The learning rate: a number or a schedule of the step. */
  get learningRate(): LearningRate {
    return this.#learningRate;
  }

  /** As Keras: a schedule replaces the rate; a number cannot replace a schedule (TypeError). */
  set learningRate(lr: LearningRate) {
    checkLearningRate(lr);
    if (typeof lr === "number" && isSchedule(this.#learningRate)) {
      throw new TypeError(
        `${this.name} was created with a learning-rate schedule, so its learning rate is not settable to a number; ` +
          `create it with a number to change it between epochs`,
      );
    }
    this.#learningRate = lr;
  }

  /** Steps applied so far (Keras's `iterations`). */
  get iterations(): number {
    return this.#iterations;
  }

  /** The value the last step used (the first step's before any), as Keras's `optimizer.learning_rate` reads. */
  get currentLearningRate(): number {
    return learningRateAt(this.#learningRate, Math.max(this.#iterations - 1, 0));
  }

  /** Slot `name` of `w` (zeros until set). */
  protected slot(name: string, w: Variable): Tensor {
    return this.#slotMap(name).get(w) ?? Tensor.zeros(w.shape, w.dtype);
  }

  /** Sets slot `name` of `w`. */
  protected setSlot(name: string, w: Variable, value: Tensor): void {
    this.#slotMap(name).set(w, lastingTensor(value));
  }

  #slotMap(name: string): Map<Variable, Tensor> {
    let map = this.#slots.get(name);
    if (!map) this.#slots.set(name, map = new Map());
    return map;
  }

  /** The slots this optimizer keeps (the names checkpoints store). */
  protected abstract slotNames(): string[];

  /**
   * Updates `weight` from its (clipped) gradient `g`; `lr` is this step's rate, `step` counts from 1. True when it
   * also applied the weight's constraint (a kernel step does), else `apply` does.
   */
  protected abstract updateStep(weight: Weight, g: Tensor, lr: number, step: number): boolean;

  /**
   * One step: clips the gradients, decays the weights, updates each one,
   * applies its constraint, and counts the step.
   */
  apply(pairs: readonly GradientPair[]): void {
    if (pairs.length === 0) return;
    const lr = learningRateAt(this.#learningRate, this.#iterations);
    noGrad(() => {
      const grads = clipGradients(pairs.map((p) => p.grad), this.clip);
      pairs.forEach(({ weight }, i) => {
        const w = weight.variable;
        if (this.weightDecay !== null) w.assign(ops.sub(w, ops.mul(ops.mul(w, this.weightDecay), lr)));
        if (!this.updateStep(weight, grads[i], lr, this.#iterations + 1)) constrain(weight);
      });
    });
    this.#iterations++;
  }

  /** The step count and every slot. */
  getState(): OptimizerState {
    const slots = this.slotNames().map((n) => {
      const copy = new Map<Variable, Tensor>();
      copySlots(copy, this.#slotMap(n));
      return [n, copy];
    });
    return { step: this.#iterations, slots: Object.fromEntries(slots) };
  }

  /** Restores the step count and the slots of a state `getState` returned. */
  setState(state: OptimizerState): void {
    this.#iterations = state.step;
    for (const n of this.slotNames()) copySlots(this.#slotMap(n), state.slots[n]);
  }

  /** Keras's `{ class_name, config }` form. */
  abstract getConfig(): OptimizerConfig;

  /** The config keys every Keras optimizer writes. */
  protected baseConfig(): Record<string, unknown> {
    return {
      name: this.name,
      learning_rate: learningRateConfig(this.#learningRate),
      weight_decay: this.weightDecay,
      ...clipConfig(this.clip),
    };
  }
}

/** SGD's options. */
export interface SGDOptions extends KerasOptimizerOptions {
  /** Default 0. */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * Keras's SGD: m = momentum·m - lr·g; w += m (Nesterov: w += momentum·m - lr·g);
 * without momentum w -= lr·g.
 *
 * @example
 * ```ts
 * import { SGD } from "./optimizers.ts";
 * const sgd = new SGD({ learningRate: 0.1, momentum: 0.9, clipNorm: 1 }); // or new SGD(0.1, 0.9)
 * sgd.learningRate = 0.01; // what ReduceLROnPlateau does
 * console.log(sgd.getConfig().config.learning_rate, sgd.getConfig().config.clipnorm); // 0.01 1
 * ```
 */
export class SGD extends KerasOptimizer {
  /** Keras's class name. */
  readonly name = "SGD";
  /** Keras's `momentum` (0: plain gradient descent). */
  readonly momentum: number;
  /** Keras's `nesterov`: whether the momentum is Nesterov's. */
  readonly nesterov: boolean;
  /** `learningRate` (default 0.01) or the options; `momentum` (default 0) in [0, 1), else a RangeError. */
  constructor(learningRate?: LearningRate | SGDOptions, momentum?: number) {
    const o = optionsOf<SGDOptions>(learningRate, "SGD");
    super(o, 0.01);
    this.momentum = momentum ?? o.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) {
      throw new RangeError(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
    }
    this.nesterov = o.nesterov ?? false;
  }
  /** `velocity` with momentum, else none. */
  protected slotNames(): string[] {
    return this.momentum === 0 ? [] : ["velocity"];
  }
  /** w -= lr·g, or the momentum update. */
  protected updateStep(weight: Weight, g: Tensor, lr: number): boolean {
    const w = weight.variable;
    if (this.momentum === 0) {
      if (kernelStep("sgd", weight, g, [], { learningRate: lr })) return true;
      w.assign(ops.sub(w, ops.mul(g, lr)));
      return false;
    }
    const velocity = this.slot("velocity", w);
    this.setSlot("velocity", w, velocity); // updated in place by the kernel step
    const op = this.nesterov ? "nesterov" : "momentum";
    if (kernelStep(op, weight, g, [velocity], { learningRate: lr, momentum: this.momentum })) return true;
    const step = ops.mul(g, lr);
    const v = ops.sub(ops.mul(this.slot("velocity", w), this.momentum), step);
    this.setSlot("velocity", w, v);
    w.assign(ops.add(w, this.nesterov ? ops.sub(ops.mul(v, this.momentum), step) : v));
    return false;
  }
  /** Keras's SGD keys: the shared ones, `momentum`, `nesterov`. */
  getConfig(): OptimizerConfig {
    return { class_name: "SGD", config: { ...this.baseConfig(), momentum: this.momentum, nesterov: this.nesterov } };
  }
}

/** Adam's options (Keras's defaults: β1 0.9, β2 0.999, ε 1e-7). */
export interface AdamOptions extends KerasOptimizerOptions {
  /** Keras's `beta_1`: decay of the first moment (default 0.9; in [0, 1)). */
  beta1?: number;
  /** Keras's `beta_2`: decay of the second moment (default 0.999; in [0, 1)). */
  beta2?: number;
  /** Keras's `epsilon` (default 1e-7). */
  epsilon?: number;
}

/** Adam as Keras: lr_t = lr·sqrt(1 - β2^t)/(1 - β1^t); w -= lr_t·m/(sqrt(v) + ε), ε = 1e-7. */
export class Adam extends KerasOptimizer {
  /** Keras's class name (`AdamW` in the subclass). */
  readonly name: string = "Adam";
  /** Keras's `beta_1`: decay of the first moment. */
  readonly beta1: number;
  /** Keras's `beta_2`: decay of the second moment. */
  readonly beta2: number;
  /** Keras's `epsilon`, added to sqrt(v). */
  readonly epsilon: number;
  /**
   * `learningRate` (default 0.001) or the options; the positional betas and
   * epsilon override them. Betas in [0, 1) and epsilon ≥ 0, else a RangeError.
   */
  constructor(learningRate?: LearningRate | AdamOptions, beta1?: number, beta2?: number, epsilon?: number) {
    const o = optionsOf<AdamOptions>(learningRate, "Adam");
    super(o, 0.001);
    this.beta1 = beta1 ?? o.beta1 ?? 0.9;
    this.beta2 = beta2 ?? o.beta2 ?? 0.999;
    this.epsilon = epsilon ?? o.epsilon ?? 1e-7;
    for (const [k, v] of [["beta1", this.beta1], ["beta2", this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new RangeError(`${new.target.name}: ${k} must be in [0, 1), got ${v}`);
    }
    if (!(this.epsilon >= 0)) throw new RangeError(`${new.target.name}: epsilon must be ≥ 0, got ${this.epsilon}`);
  }
  /** `m` and `v`. */
  protected slotNames(): string[] {
    return ["m", "v"];
  }
  /** Adam's update of `w` at step `t` (from 1), in float32 as TF computes it. */
  protected updateStep(weight: Weight, g: Tensor, rate: number, t: number): boolean {
    const w = weight.variable;
    // The step size in float32, as TF computes it.
    const f = Math.fround;
    const lr = f(f(rate) * f(Math.sqrt(f(1 - f(this.beta2 ** t)))) / f(1 - f(this.beta1 ** t)));
    // TF's ApplyAdam: m += (g - m)(1 - β1); v += (g² - v)(1 - β2).
    const m0 = this.slot("m", w), v0 = this.slot("v", w);
    // One pass with the float32 rounding of the op-by-op form below (bit-identical, without 11 temporaries). The
    // slots are updated in place (they are the optimizer's own: setState copies into them).
    this.setSlot("m", w, m0);
    this.setSlot("v", w, v0);
    const options = { learningRate: lr, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
    if (kernelStep("adam", weight, g, [m0, v0], options)) return true;
    const m = ops.add(m0, ops.mul(ops.sub(g, m0), 1 - this.beta1));
    const v = ops.add(v0, ops.mul(ops.sub(ops.square(g), v0), 1 - this.beta2));
    this.setSlot("m", w, m);
    this.setSlot("v", w, v);
    w.assign(ops.sub(w, ops.div(ops.mul(m, lr), ops.add(ops.sqrt(v), this.epsilon))));
    return false;
  }
  /** Keras's Adam keys: the shared ones, `beta_1`, `beta_2`, `epsilon`, `amsgrad` (false). */
  getConfig(): OptimizerConfig {
    return {
      class_name: this.name,
      config: { ...this.baseConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon, amsgrad: false },
    };
  }
}

/**
 * Keras's AdamW: Adam with decoupled weight decay (default 0.004), each
 * step w -= lr·weightDecay·w before the Adam update (Loshchilov & Hutter,
 * https://arxiv.org/abs/1711.05101).
 *
 * @example
 * ```ts
 * import { AdamW } from "./optimizers.ts";
 * const opt = new AdamW({ learningRate: 1e-3, weightDecay: 1e-4, globalClipnorm: 1 }); // or new AdamW(1e-3, 1e-4)
 * console.log(opt.getConfig().class_name, opt.weightDecay); // AdamW 0.0001
 * ```
 */
export class AdamW extends Adam {
  /** Keras's class name. */
  override readonly name = "AdamW";
  /**
   * `learningRate` or Adam's options; `weightDecay` (positional, or the option;
   * default 0.004; null is a RangeError).
   */
  constructor(learningRate?: LearningRate | AdamOptions, weightDecay?: number) {
    const o = optionsOf<AdamOptions>(learningRate, "AdamW");
    if (o.weightDecay === null) throw new RangeError("AdamW: weightDecay is required (a number ≥ 0), got null");
    super({ ...o, weightDecay: weightDecay ?? o.weightDecay ?? 0.004 });
  }
}

/** RMSprop's options (Keras's defaults: ρ 0.9, momentum 0, ε 1e-7, not centered). */
export interface RMSpropOptions extends KerasOptimizerOptions {
  /** Keras's `rho`: decay of the squared-gradient average (default 0.9; in [0, 1)). */
  rho?: number;
  /** Keras's `momentum` (default 0; in [0, 1)). */
  momentum?: number;
  /** Keras's `epsilon` (default 1e-7; positive). */
  epsilon?: number;
  /** Divide by the gradient's estimated variance (v - avg²) instead of its second moment. */
  centered?: boolean;
}

/**
 * Keras's RMSprop: v = ρv + (1 - ρ)g²; (centered: a = ρa + (1 - ρ)g,
 * d = v - a² + ε, else d = v + ε); Δ = lr·g/sqrt(d); with momentum
 * m = momentum·m + Δ, w -= m; else w -= Δ.
 */
export class RMSprop extends KerasOptimizer {
  /** Keras's class name. */
  readonly name = "RMSprop";
  /** Keras's `rho`: decay of the squared-gradient average. */
  readonly rho: number;
  /** Keras's `momentum` (0: none). */
  readonly momentum: number;
  /** Keras's `epsilon`, added under the square root. */
  readonly epsilon: number;
  /** Keras's `centered`: whether to divide by the variance estimate. */
  readonly centered: boolean;
  /** `learningRate` (default 0.001) or the options; out-of-range rho, momentum or epsilon is a RangeError. */
  constructor(learningRate?: LearningRate | RMSpropOptions) {
    const o = optionsOf<RMSpropOptions>(learningRate, "RMSprop");
    super(o, 0.001);
    this.rho = o.rho ?? 0.9;
    this.momentum = o.momentum ?? 0;
    this.epsilon = o.epsilon ?? 1e-7;
    this.centered = o.centered ?? false;
    if (!(this.rho >= 0 && this.rho < 1)) throw new RangeError(`RMSprop: rho must be in [0, 1), got ${this.rho}`);
    if (!(this.momentum >= 0 && this.momentum < 1)) {
      throw new RangeError(`RMSprop: momentum must be in [0, 1), got ${this.momentum}`);
    }
    if (!(this.epsilon > 0)) throw new RangeError(`RMSprop: epsilon must be positive, got ${this.epsilon}`);
  }
  /** `velocity`, plus `momentum` and `average_gradient` when used. */
  protected slotNames(): string[] {
    return ["velocity", ...(this.momentum > 0 ? ["momentum"] : []), ...(this.centered ? ["average_gradient"] : [])];
  }
  /** RMSprop's update of `w` (see the class). */
  protected updateStep(weight: Weight, g: Tensor, lr: number): boolean {
    const w = weight.variable, rho = this.rho;
    const v = ops.add(ops.mul(this.slot("velocity", w), rho), ops.mul(ops.square(g), 1 - rho));
    this.setSlot("velocity", w, v);
    let denominator: Tensor;
    if (this.centered) {
      const a = ops.add(ops.mul(this.slot("average_gradient", w), rho), ops.mul(g, 1 - rho));
      this.setSlot("average_gradient", w, a);
      denominator = ops.add(ops.sub(v, ops.square(a)), this.epsilon);
    } else {
      denominator = ops.add(v, this.epsilon);
    }
    const increment = ops.div(ops.mul(g, lr), ops.sqrt(denominator));
    if (this.momentum > 0) {
      const m = ops.add(ops.mul(this.slot("momentum", w), this.momentum), increment);
      this.setSlot("momentum", w, m);
      w.assign(ops.sub(w, m));
    } else {
      w.assign(ops.sub(w, increment));
    }
    return false;
  }
  /** Keras's RMSprop keys: the shared ones, `rho`, `momentum`, `epsilon`, `centered`. */
  getConfig(): OptimizerConfig {
    return {
      class_name: "RMSprop",
      config: {
        ...this.baseConfig(),
        rho: this.rho,
        momentum: this.momentum,
        epsilon: this.epsilon,
        centered: this.centered,
      },
    };
  }
}

/** Bop's options: larq's threshold τ and adaptivity rate γ, and Keras's gradient clipping. */
export interface BopOptions extends ClipOptions {
  /** τ (default 1e-8). */
  threshold?: number;
  /** γ (default 1e-4). */
  gamma?: number;
}

/**
 * Bop (Helwegen et al. 2019, https://arxiv.org/abs/1906.02107), larq's
 * rule: m ← m + γ(g - m); w ← -sign(w) where w·m > τ, else sign(w)
 * (sign(0) = +1). For binary (precision-1) weights only.
 */
export class Bop implements Optimizer {
  /** larq's class name. */
  readonly name = "Bop";
  /** The gradient clipping (at most one set). */
  readonly clip: Required<ClipOptions>;
  readonly #m = new Map<Variable, Tensor>();
  /** threshold and gamma may change between steps (larq's HyperparameterScheduler). */
  threshold: number;
  /** γ, the adaptivity rate of the gradient average m. */
  gamma: number;
  /** `threshold` τ (default 1e-8, ≥ 0) or the options; `gamma` γ (default 1e-4, in (0, 1]); else a RangeError. */
  constructor(threshold: number | BopOptions = 1e-8, gamma?: number) {
    const o = typeof threshold === "object" ? threshold : { threshold };
    this.threshold = o.threshold ?? 1e-8;
    this.gamma = gamma ?? o.gamma ?? 1e-4;
    if (!(this.threshold >= 0) || !(this.gamma > 0 && this.gamma <= 1)) {
      throw new RangeError(
        `Bop needs threshold ≥ 0 and gamma in (0, 1], got threshold ${this.threshold}, gamma ${this.gamma}`,
      );
    }
    this.clip = clipOptions(o, "Bop");
  }
  /** larq's keys: `threshold`, `gamma`, and the clip keys that are set. */
  getConfig(): OptimizerConfig {
    // larq's Bop is a legacy Keras optimizer: clipping keys only when set.
    const clip = Object.entries(clipConfig(this.clip)).filter(([, v]) => v !== null);
    return { class_name: "Bop", config: { threshold: this.threshold, gamma: this.gamma, ...Object.fromEntries(clip) } };
  }
  /** The moving gradient averages `m` (Bop counts no steps). */
  getState(): OptimizerState {
    const m = new Map<Variable, Tensor>();
    copySlots(m, this.#m);
    return { step: 0, slots: { m } };
  }
  /** Restores the gradient averages of a state `getState` returned. */
  setState(state: OptimizerState): void {
    copySlots(this.#m, state.slots.m);
  }
  /**
   * One step for binary weights only (another weight is a RangeError): m ← m +
   * γ(g - m), then flip sign(w) where w·m > τ.
   */
  apply(pairs: readonly GradientPair[]): void {
    for (const { weight } of pairs) {
      if (weight.quantizer?.precision !== 1) {
        throw new RangeError(
          `Bop trains binary weights only; "${weight.variable.name}" is not binary (use CaseOptimizer)`,
        );
      }
    }
    noGrad(() => {
      const grads = clipGradients(pairs.map((p) => p.grad), this.clip);
      pairs.forEach(({ weight }, i) => {
        const w = weight.variable;
        const m0 = this.#m.get(w) ?? Tensor.zeros(w.shape);
        this.#m.set(w, m0); // updated in place by the kernel step
        if (kernelStep("bop", weight, grads[i], [m0], { gamma: this.gamma, threshold: this.threshold })) return;
        const m = ops.add(m0, ops.mul(ops.sub(grads[i], m0), this.gamma));
        this.#m.set(w, lastingTensor(m));
        // larq: sign(-sign(w·m - τ)·w): flip above τ, keep sign(w) below, +1 at exactly τ (and for w = 0).
        const s = ops.sign(w), wm = ops.mul(w, m);
        const tie = ops.sub(ops.greaterEqual(wm, this.threshold), ops.greater(wm, this.threshold));
        w.assign(ops.where(ops.greater(wm, this.threshold), ops.neg(s), ops.where(tie, 1, s)));
        constrain(weight);
      });
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
  /** larq's class name. */
  readonly name = "CaseOptimizer";
  readonly #cases: [(w: Weight) => boolean, Optimizer][];
  readonly #default: Optimizer | null;
  readonly #warned = new Set<string>();
  #checked = false;
  /**
   * `cases`: [predicate, optimizer] pairs (a variable must match at most one);
   * `defaultOptimizer` takes the rest (null: they are not trained).
   */
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
  /** The states of the cases' optimizers, then of the default one. */
  getState(): OptimizerState {
    return { step: 0, slots: {}, children: this.#children().map((o) => o.getState()) };
  }
  /** Restores each optimizer's state (the same number of optimizers, else a RangeError). */
  setState(state: OptimizerState): void {
    const children = this.#children();
    if (state.children?.length !== children.length) {
      throw new RangeError(
        `CaseOptimizer state has ${state.children?.length ?? 0} optimizers, this one ${children.length}`,
      );
    }
    children.forEach((o, i) => o.setState(state.children![i]));
  }
  /**
   * Routes each pair to its optimizer and applies each group; errors on a
   * variable two predicates match and, on the first step, on an optimizer no
   * variable matches.
   */
  apply(pairs: readonly GradientPair[]): void {
    const groups = new Map<Optimizer, GradientPair[]>();
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

/** Config keys Keras writes that onebit reads as long as they keep their defaults (EMA, XLA, format flags). */
const KERAS_DEFAULTS: Record<string, unknown> = {
  use_ema: false,
  ema_momentum: undefined,
  ema_overwrite_frequency: undefined,
  jit_compile: undefined,
  is_legacy_optimizer: undefined,
  amsgrad: false,
  name: undefined,
};

/** Each class's own config keys (besides learning_rate, weight_decay and the clip keys of every Keras optimizer). */
const CONFIG_KEYS: Record<string, string[]> = {
  sgd: ["momentum", "nesterov"],
  adam: ["beta_1", "beta_2", "epsilon"],
  adamw: ["beta_1", "beta_2", "epsilon"],
  rmsprop: ["rho", "momentum", "epsilon", "centered"],
  bop: ["threshold", "gamma"],
};
const BASE_KEYS = ["learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm"];

/** The config, checked: no unknown key, Keras-only keys at their defaults. */
function readConfig(c: OptimizerConfig, kind: string): Record<string, unknown> {
  const o = c.config ?? {};
  for (const [k, v] of Object.entries(o)) {
    if (CONFIG_KEYS[kind].includes(k) || BASE_KEYS.includes(k) || v === null) continue;
    if (!(k in KERAS_DEFAULTS)) throw new RangeError(`${c.class_name} config: unknown key "${k}"`);
    const d = KERAS_DEFAULTS[k];
    if (d !== undefined && v !== d) throw new RangeError(`${c.class_name} config: ${k} = ${v} is not supported`);
  }
  if (kind === "bop" && o.weight_decay !== undefined && o.weight_decay !== null) {
    throw new RangeError("Bop config: weight_decay is not supported");
  }
  return o;
}

function kerasOptions(o: Record<string, unknown>): KerasOptimizerOptions {
  return {
    ...(o.learning_rate === undefined ? {} : { learningRate: learningRateFromConfig(o.learning_rate) }),
    weightDecay: o.weight_decay as number | null | undefined,
    ...clipFromConfig(o),
  };
}

function clipFromConfig(o: Record<string, unknown>): ClipOptions {
  return {
    clipNorm: o.clipnorm as number | null | undefined,
    clipValue: o.clipvalue as number | null | undefined,
    globalClipnorm: o.global_clipnorm as number | null | undefined,
  };
}

/** An optimizer from its config (as getConfig or Keras writes it; Keras's key names, class names in any case). */
export function optimizerFromConfig(c: OptimizerConfig): Optimizer {
  if (c?.class_name === "CaseOptimizer") return caseOptimizerFromConfig(c);
  const kind = typeof c?.class_name === "string" ? c.class_name.toLowerCase() : "";
  if (!CONFIG_KEYS[kind]) {
    throw new RangeError(
      `unknown optimizer ${c?.class_name}; onebit has SGD, Adam, AdamW, RMSprop, Bop and CaseOptimizer`,
    );
  }
  const o = readConfig(c, kind);
  const num = (k: string) => (o[k] === undefined || o[k] === null ? undefined : Number(o[k]));
  switch (kind) {
    case "sgd":
      return new SGD({ ...kerasOptions(o), momentum: num("momentum"), nesterov: o.nesterov as boolean | undefined });
    case "adam":
    case "adamw": {
      const options = { ...kerasOptions(o), beta1: num("beta_1"), beta2: num("beta_2"), epsilon: num("epsilon") };
      return kind === "adam" ? new Adam(options) : new AdamW(options);
    }
    case "rmsprop":
      return new RMSprop({
        ...kerasOptions(o),
        rho: num("rho"),
        momentum: num("momentum"),
        epsilon: num("epsilon"),
        centered: o.centered as boolean | undefined,
      });
    default:
      return new Bop({ threshold: num("threshold"), gamma: num("gamma"), ...clipFromConfig(o) });
  }
}

function caseOptimizerFromConfig(c: OptimizerConfig): CaseOptimizer {
  const o = c.config ?? {};
  const cases = (o.cases as { predicate: string; optimizer: OptimizerConfig }[]).map(({ predicate, optimizer }) => {
    if (predicate !== "is_binary_weight") throw new RangeError(`unknown CaseOptimizer predicate ${predicate}`);
    return [isBinaryWeight, optimizerFromConfig(optimizer)] as [(w: Weight) => boolean, Optimizer];
  });
  const d = o.default_optimizer as OptimizerConfig | null;
  return new CaseOptimizer(cases, d ? optimizerFromConfig(d) : null);
}

/**
 * An optimizer from Keras's name (`"sgd"`, `"adam"`, `"adamw"`,
 * `"rmsprop"`, or larq's `"bop"`, any case; Keras's defaults), from its
 * config, or the optimizer itself.
 *
 * @example
 * ```ts
 * import { getOptimizer } from "./optimizers.ts";
 * const opt = getOptimizer("rmsprop");
 * console.log(opt.name, opt.learningRate, getOptimizer({ class_name: "AdamW", config: { weight_decay: 0.01 } }).name);
 * // RMSprop 0.001 AdamW
 * ```
 */
export function getOptimizer(identifier: string | OptimizerConfig | Optimizer): Optimizer {
  if (typeof identifier === "string") {
    if (!CONFIG_KEYS[identifier.toLowerCase()]) {
      throw new RangeError(`unknown optimizer "${identifier}"; onebit knows sgd, adam, adamw, rmsprop and bop`);
    }
    return optimizerFromConfig({ class_name: identifier, config: {} });
  }
  if (typeof identifier === "object" && identifier !== null) {
    if (typeof (identifier as Optimizer).apply === "function") return identifier as Optimizer;
    if (typeof (identifier as OptimizerConfig).class_name === "string") {
      return optimizerFromConfig(identifier as OptimizerConfig);
    }
  }
  throw new TypeError(
    `getOptimizer takes a name, a { class_name, config } object or an Optimizer, got ${String(identifier)}`,
  );
}
