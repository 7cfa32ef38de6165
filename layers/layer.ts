/**
 * The layer base: weights as Variables (latent values for quantized
 * layers), lazy build from the first input shape, Keras-style configs,
 * and per-variable constraints applied after each optimizer step.
 * @module
 */
import { type Tensor, Tensor as TensorClass, Variable } from "../graph/tensor.ts";
import { noGrad } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { initialize, type Initializer } from "./initializers.ts";

/** A function applied to a variable's values after each update (larq's weight_clip). */
export interface Constraint {
  readonly name: string;
  apply(v: Tensor): Tensor;
  /** Keras-style serialised form, e.g. `{ class_name: "WeightClip", config: { clip_value: 1 } }`. */
  getConfig(): { class_name: string; config: Record<string, unknown> };
}

/** larq's weight_clip: clip to [-c, c]. */
export function weightClip(clipValue = 1): Constraint {
  if (!(clipValue > 0)) throw new RangeError(`weight_clip needs a positive clip_value, got ${clipValue}`);
  return {
    name: "weight_clip",
    apply: (v) => ops.clipByValue(v, -clipValue, clipValue),
    getConfig: () => ({ class_name: "WeightClip", config: { clip_value: clipValue } }),
  };
}

/** A constraint from its config (`"weight_clip"`, `{ class_name: "WeightClip", config: { clip_value } }`) or null. */
export function getConstraint(c: unknown): Constraint | null {
  if (c === null || c === undefined) return null;
  if (c === "weight_clip" || c === "WeightClip") return weightClip();
  const cfg = c as { class_name?: string; config?: { clip_value?: number } };
  if (cfg.class_name === "WeightClip") return weightClip(cfg.config?.clip_value ?? 1);
  throw new RangeError(`unknown constraint ${JSON.stringify(c)}; onebit knows weight_clip`);
}

/** A layer weight and what governs it. */
export interface Weight {
  variable: Variable;
  constraint: Constraint | null;
  /** The quantizer the forward pass applies to it (Bop trains precision-1 weights). */
  quantizer: Quantizer | null;
}

export abstract class Layer {
  readonly name!: string;
  built = false;
  /** Non-trainable layers keep their weights fixed (BatchNorm's moving statistics are never trainable). */
  trainable = true;
  protected readonly weightList: Weight[] = [];
  protected random: () => number = Math.random;
  static #count = new Map<string, number>();

  /** Keras's default name stem when it differs from the class name in snake case (MaxPool2D → max_pooling2d). */
  static kerasName?: string;

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

  /** Creates the weights for this input shape (batch axis first). */
  protected abstract build(inputShape: readonly number[]): void;
  protected abstract call(x: Tensor, training: boolean): Tensor;
  /** Keras-style constructor arguments. */
  abstract getConfig(): Record<string, unknown>;

  /** Restarts default layer names (dense, dense_1, ...), as keras.backend.clear_session(). */
  static resetNames(): void {
    Layer.#count.clear();
  }

  /** Runs the layer, building it on first use; errors name the layer. */
  apply(x: Tensor, { training = false } = {}): Tensor {
    try {
      if (!this.built) {
        this.build(x.shape);
        this.built = true;
      }
      return this.call(x, training);
    } catch (e) {
      if (e instanceof RangeError || e instanceof TypeError) {
        throw new (e.constructor as typeof RangeError)(`layer "${this.name}": ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  /** Seeds this layer's initializers (and dropout). */
  seed(random: () => number): this {
    this.random = random;
    return this;
  }

  protected addWeight(
    name: string,
    shape: readonly number[],
    init: Initializer,
    options: { trainable?: boolean; constraint?: Constraint | null; quantizer?: Quantizer | null } = {},
  ): Variable {
    const variable = new Variable(initialize(init, shape, this.random), {
      name: `${this.name}/${name}`,
      trainable: options.trainable ?? true,
    });
    this.weightList.push({ variable, constraint: options.constraint ?? null, quantizer: options.quantizer ?? null });
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
   * import { weightClip } from "./layer.ts";
   * import { Tensor } from "../graph/tensor.ts";
   * const d = new QuantDense(2, { name: "qd", kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false });
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

  /** Trainable variables (latent values, never quantized). */
  get trainableVariables(): Variable[] {
    return this.trainable ? this.weightList.filter((w) => w.variable.trainable).map((w) => w.variable) : [];
  }
}
