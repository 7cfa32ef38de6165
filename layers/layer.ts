/**
 * The layer protocol. A layer class owns what onebit knows about it: its
 * weights as Variables (latent values for quantized layers, built lazily
 * from the first input shape), its Keras config both ways (`getConfig`,
 * static `fromConfig`, its Keras class name and aliases), and its
 * accounting for larq's summary (input precision, MACs). The registry
 * (`layers/registry.ts`) lists the classes; the converter keeps its
 * lowerings in a table keyed by class.
 * @module
 */
import { checkValues, type Tensor, Tensor as TensorClass, Variable } from "../graph/tensor.ts";
import { noGrad } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { initialize, type Initializer } from "./initializers.ts";
import { recordCall, SymbolicTensor } from "./symbolic.ts";
import type { Regularizer } from "./regularizers.ts";

/** A function applied to a variable's values after each update (larq's weight_clip). */
export interface Constraint {
  /** larq's name of the constraint (`weight_clip`). */
  readonly name: string;
  /** The constrained values of `v` (the optimizer assigns them right after each update). */
  apply(v: Tensor): Tensor;
  /** Keras-style serialised form, e.g. `{ class_name: "WeightClip", config: { clip_value: 1 } }`. */
  getConfig(): { class_name: string; config: Record<string, unknown> };
}

const clipValues = new WeakMap<Constraint, number>();

/** larq's weight_clip: clip to [-c, c]. */
export function weightClip(clipValue = 1): Constraint {
  if (!(clipValue > 0)) throw new RangeError(`weight_clip needs a positive clip_value, got ${clipValue}`);
  const c: Constraint = {
    name: "weight_clip",
    apply: (v) => ops.clipByValue(v, -clipValue, clipValue),
    getConfig: () => ({ class_name: "WeightClip", config: { clip_value: clipValue } }),
  };
  clipValues.set(c, clipValue);
  return c;
}

/**
 * The bound c of a constraint {@link weightClip} made (it clips to [-c, c]), else null: an optimizer step may then
 * clip in the same pass. Another constraint, whatever its name, is applied as given.
 */
export function weightClipValue(c: Constraint | null | undefined): number | null {
  return (c && clipValues.get(c)) ?? null;
}

/** What a layer option accepts as a constraint: the object, larq's name, or its Keras config. */
export type ConstraintLike = Constraint | "weight_clip" | "WeightClip" | {
  class_name: string;
  config?: Record<string, unknown>;
} | null;

/** A constraint from its config (`"weight_clip"`, `{ class_name: "WeightClip", config: { clip_value } }`) or null. */
export function getConstraint(c: unknown): Constraint | null {
  if (c !== null && typeof c === "object" && typeof (c as Constraint).apply === "function") return c as Constraint;
  if (c === null || c === undefined) return null;
  if (c === "weight_clip" || c === "WeightClip") return weightClip();
  const cfg = c as { class_name?: string; config?: { clip_value?: number } };
  // larq writes the alias as the class name when the layer was given the string "weight_clip".
  if (cfg.class_name === "WeightClip" || cfg.class_name === "weight_clip") {
    return weightClip(cfg.config?.clip_value ?? 1);
  }
  throw new RangeError(`unknown constraint ${JSON.stringify(c)}; onebit knows weight_clip`);
}

/** A layer weight and what governs it. */
export interface Weight {
  /** The variable holding the weight: latent values for a quantized weight. */
  variable: Variable;
  /** Applied after each optimizer update (Keras's `kernel_constraint`, `bias_constraint`); null: none. */
  constraint: Constraint | null;
  /** The quantizer the forward pass applies to it (Bop trains precision-1 weights). */
  quantizer: Quantizer | null;
  /** A penalty added to the training loss (Keras's kernel_regularizer, bias_regularizer). */
  regularizer?: Regularizer | null;
}

/** A layer's config as Keras writes it (snake_case keys). */
export type Config = Record<string, unknown>;

/** A tensor of a functional model's config: [layer name, node (call) index, tensor index]. */
export type TensorRef = [string, number, number];

/** A layer class as the registry and the converter see it. */
export interface LayerClass {
  /** The JS class name. */
  readonly name: string;
  /** Keras's class name when it differs from the JS name (see {@link kerasClassName}). */
  readonly className?: string;
  /** Other class names Keras configs may use for this class. */
  readonly aliases?: readonly string[];
  /** Why the converter refuses this class; unset when the converter's lowering table decides. */
  readonly conversionRefusal?: string;
  /** A layer from its Keras config (snake_case keys). */
  fromConfig(config: Config): Layer;
  /** The prototype of its instances (every `LayerClass` makes `Layer`s). */
  prototype: Layer;
}

/** The Keras class name of a layer class: its own `className`, else its JS name. */
export function kerasClassName(cls: LayerClass): string {
  return Object.hasOwn(cls, "className") ? cls.className! : cls.name;
}

/** Output pixels of one feature map, as larq's summary counts them (null: a rank it does not count). */
export function outputPixels(shape: readonly number[]): number | null {
  if (shape.length === 4) return shape[1] * shape[2];
  if (shape.length === 3) return shape[1];
  if (shape.length === 2) return 1;
  return null;
}

/**
 * The base of every layer (Keras's `Layer`): a name, weights created on the
 * first call from the input shape, `apply` on tensors or on symbolic tensors
 * (functional models), the Keras config both ways, and larq's summary
 * accounting. A subclass implements `build`, `call` and `getConfig`, and a
 * static `fromConfig` to be read from configs.
 */
export abstract class Layer {
  /**
   * The layer's name (Keras's `name`): given, or the class name in snake case,
   * numbered per stem as Keras numbers default names (`dense`, `dense_1`, …).
   * Weight names start with it.
   */
  readonly name!: string;
  /** Whether the weights exist (`build` ran on the first call). */
  built = false;
  /** The input shape without the batch axis declared on the layer (Keras's `input_shape`); a Sequential takes it from its first layer. */
  inputShape: readonly number[] | null = null;
  /** Non-trainable layers keep their weights fixed (BatchNorm's moving statistics are never trainable). */
  trainable = true;
  /** The weights `addWeight` created, in creation order (what `weights` returns). */
  protected readonly weightList: Weight[] = [];
  /** The uniform [0, 1) generator of the initializers and dropout (`seed` sets it; Math.random by default). */
  protected random: () => number = Math.random;
  static #count = new Map<string, number>();

  /** Keras's class name when it differs from the JS class name (MaxPool2D → MaxPooling2D). */
  static className?: string;
  /** Other class names configs may use for this class (Keras's MaxPool2D for MaxPooling2D). */
  static aliases?: readonly string[];
  /** Keras's default name stem when it differs from the class name in snake case (MaxPool2D → max_pooling2d). */
  static kerasName?: string;
  /** Why the converter refuses this class (TFLite/LCE cannot run it); unset: see the converter's lowering table. */
  static conversionRefusal?: string;

  /** `name`: a non-empty string (else a TypeError); by default the class's snake-case name, numbered. */
  constructor(name?: string) {
    if (name !== undefined && (typeof name !== "string" || name === "")) {
      throw new TypeError(`a layer name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    const ctor = this.constructor as typeof Layer;
    // Keras's to_snake_case: QuantConv2D → quant_conv2d, BatchNormalization → batch_normalization.
    const base = ctor.kerasName ??
      ctor.name.replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
    if (name !== undefined) {
      this.name = name;
    } else {
      // Keras numbers only default names: dense, dense_1, ...
      const n = Layer.#count.get(base) ?? 0;
      Layer.#count.set(base, n + 1);
      this.name = n === 0 ? base : `${base}_${n}`;
    }
  }

  /** A layer from its Keras config (each registered class has its own). */
  static fromConfig(_config: Config): Layer {
    throw new TypeError(`${this.name} cannot be made from a config (it defines no fromConfig)`);
  }

  /** Creates the weights for this input shape (batch axis first; a multi-input layer gets its first input's). */
  protected abstract build(inputShape: readonly number[]): void;
  /** The forward pass on one input. */
  protected abstract call(x: Tensor, training: boolean): Tensor;
  /** The forward pass on several inputs (merge layers override it). */
  protected callMany(xs: Tensor[], _training: boolean): Tensor {
    throw new RangeError(`takes one input, got ${xs.length}`);
  }
  /** Keras-style constructor arguments (snake_case). */
  abstract getConfig(): Config;

  /**
   * One call of this layer as a functional model's config lists it in
   * `inbound_nodes`, from the references of its inputs: Keras 2's list of
   * `[layer, node, tensor, kwargs]` (a layer Keras writes otherwise, such
   * as TFOpLambda, overrides it).
   */
  inboundNode(inputs: readonly TensorRef[]): unknown[] {
    return inputs.map((ref) => [...ref, {}]);
  }

  /** Restarts default layer names (dense, dense_1, ...), as keras.backend.clear_session(). */
  static resetNames(): void {
    Layer.#count.clear();
  }

  /**
   * Runs the layer (building it on first use), or, on symbolic tensors
   * (`input()`), records the call for a functional model. Errors name the
   * layer. A layer with several outputs (Split) is called with `applyOutputs`.
   */
  apply(x: SymbolicTensor | readonly SymbolicTensor[], options?: { training?: boolean }): SymbolicTensor;
  /** Runs the layer on one tensor, or on a list of them (merge layers), building it on first use. */
  apply(x: Tensor | readonly Tensor[], options?: { training?: boolean }): Tensor;
  apply(
    x: Tensor | SymbolicTensor | readonly (Tensor | SymbolicTensor)[],
    options: { training?: boolean } = {},
  ): Tensor | SymbolicTensor {
    const outputs = this.applyOutputs(x as Tensor[], options);
    if (outputs.length !== 1) {
      throw new TypeError(`layer "${this.name}" has ${outputs.length} outputs: call applyOutputs, not apply`);
    }
    return outputs[0];
  }

  /** Every output of a call (`apply` for layers with several outputs, such as Split; one for most layers). */
  applyOutputs(x: SymbolicTensor | readonly SymbolicTensor[], options?: { training?: boolean }): SymbolicTensor[];
  /**
   * Every output of a call on concrete tensors (`training` picks Dropout's and BatchNormalization's training behaviour;
   * default false).
   */
  applyOutputs(x: Tensor | readonly Tensor[], options?: { training?: boolean }): Tensor[];
  applyOutputs(
    x: Tensor | SymbolicTensor | readonly (Tensor | SymbolicTensor)[],
    { training = false }: { training?: boolean } = {},
  ): Tensor[] | SymbolicTensor[] {
    const list = Array.isArray(x) ? [...x] : [x as Tensor | SymbolicTensor];
    if (list.length === 0) throw new RangeError(`layer "${this.name}" needs an input`);
    const symbolic = list.filter((t) => t instanceof SymbolicTensor).length;
    if (symbolic === list.length) {
      const inputs = list as SymbolicTensor[];
      const samples = noGrad(() => this.run(inputs.map((t) => t.sample), false));
      return recordCall(this, inputs, samples);
    }
    if (symbolic > 0) {
      throw new TypeError(`layer "${this.name}": mixes symbolic inputs (input()) with real tensors`);
    }
    return this.run(list as Tensor[], training);
  }

  /** The forward pass as a list of outputs: `call` (one input) or `callMany`; layers with several outputs override it. */
  protected callOutputs(xs: Tensor[], training: boolean): Tensor[] {
    return [xs.length === 1 ? this.call(xs[0], training) : this.callMany(xs, training)];
  }

  #wrap(e: unknown): unknown {
    if (e instanceof RangeError && /Array buffer allocation failed|Invalid typed array length/.test(e.message)) {
      // A declared size (padding, units, a shape) that no memory can hold: say so, not the engine's words.
      return new RangeError(
        `layer "${this.name}": its weights or output do not fit in memory; check its sizes and the batch size`,
        { cause: e },
      );
    }
    if ((e instanceof RangeError || e instanceof TypeError) && !e.message.startsWith(`layer "${this.name}"`)) {
      return new (e.constructor as typeof RangeError)(`layer "${this.name}": ${e.message}`, { cause: e });
    }
    return e;
  }

  /** Builds on the first call, then runs `call` (one input) or `callMany` (several); errors get the layer's name. */
  private run(xs: Tensor[], training: boolean): Tensor[] {
    try {
      if (!this.built) {
        this.build(xs[0].shape);
        this.built = true;
      }
      return this.callOutputs(xs, training);
    } catch (e) {
      throw this.#wrap(e);
    }
  }

  /** Seeds this layer's initializers (and dropout). */
  seed(random: () => number): this {
    this.random = random;
    return this;
  }

  /**
   * Creates a weight variable named `<layer name>/<name>` of `shape`,
   * initialized from the layer's generator, with its constraint, quantizer and
   * regularizer (Keras's `add_weight`; trainable unless `trainable: false`).
   */
  protected addWeight(
    name: string,
    shape: readonly number[],
    init: Initializer,
    options: {
      trainable?: boolean;
      constraint?: Constraint | null;
      quantizer?: Quantizer | null;
      regularizer?: Regularizer | null;
    } = {},
  ): Variable {
    checkValues(shape, `weight "${this.name}/${name}"`);
    const variable = new Variable(initialize(init, shape, this.random), {
      name: `${this.name}/${name}`,
      trainable: options.trainable ?? true,
    });
    this.weightList.push({
      variable,
      constraint: options.constraint ?? null,
      quantizer: options.quantizer ?? null,
      regularizer: options.regularizer ?? null,
    });
    return variable;
  }

  /** Every weight with its constraint and quantizer. */
  get weights(): readonly Weight[] {
    return this.weightList;
  }

  /**
   * Weight values by variable name: the latent (trained) values, or with
   * `quantized: true` the values the forward pass uses, q(w) (larq's
   * `quantized_scope`). Copies: changing them changes nothing.
   *
   * @example
   * ```ts
   * import { QuantDense } from "./dense.ts";
   * import { Tensor } from "../graph/tensor.ts";
   * const d = new QuantDense(2, { name: "qd", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip", useBias: false });
   * d.apply(Tensor.zeros([1, 3]));
   * d.kernel.assign(Float32Array.from([0.3, -0.2, 0, 0.7, -0.9, 0.1]));
   * console.log([...d.getWeights({ quantized: true }).get("qd/kernel")!.data]); // [1, -1, 1, 1, -1, 1]
   * ```
   */
  getWeights(options: { quantized?: boolean } = {}): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const { variable, quantizer } of this.weightList) {
      const value = options.quantized && quantizer ? noGrad(() => quantizer.call(variable)) : variable;
      out.set(variable.name, new TensorClass(Float32Array.from(value.data), value.shape));
    }
    return out;
  }

  /**
   * Sets the weights in the order of `weights` (Keras's `set_weights`):
   * each value's size must match; nothing is assigned unless all fit.
   */
  setWeights(values: readonly (Tensor | ArrayLike<number>)[]): void {
    if (!this.built) throw new RangeError(`layer "${this.name}" is not built yet: call it once first`);
    if (values.length !== this.weightList.length) {
      throw new RangeError(`layer "${this.name}" has ${this.weightList.length} weights, got ${values.length} values`);
    }
    const data = values.map((v, i) => {
      const w = this.weightList[i].variable;
      const d = v instanceof TensorClass ? v.data : v;
      if (d.length !== w.size || (v instanceof TensorClass && v.shape.join() !== w.shape.join())) {
        const got = v instanceof TensorClass ? `[${v.shape}]` : `${d.length} values`;
        throw new RangeError(`layer "${this.name}": weight "${w.name}" is [${w.shape}], got ${got}`);
      }
      return Float32Array.from(d);
    });
    data.forEach((d, i) => this.weightList[i].variable.assign(d));
  }

  /** Trainable variables (latent values, never quantized). */
  get trainableVariables(): Variable[] {
    return this.trainable ? this.weightList.filter((w) => w.variable.trainable).map((w) => w.variable) : [];
  }

  /** larq's summary: bits of this layer's quantized input (null: not a quantized layer, or full precision). */
  get inputPrecision(): number | null {
    return null;
  }

  /** larq's summary: the weights it lists (BatchNormalization folds two of its four). */
  summaryWeights(): readonly Weight[] {
    return this.weightList;
  }

  /**
   * larq's summary: multiply-accumulates by precision for an output of
   * `shape` (batch axis first). An empty map: counted, none; null: larq
   * does not count this layer type ("?").
   */
  macs(_shape: readonly number[]): Map<number, number> | null {
    return null;
  }
}
