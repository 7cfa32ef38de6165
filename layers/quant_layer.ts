/**
 * The one base of every quantized kernel layer (larq's `layers_base.py`):
 * an input quantizer, one or more quantized kernels (`kernel`, or
 * `depthwise` and `pointwise`), each a latent variable with its quantizer,
 * constraint and initializer, an optional bias and an activation — and their
 * part of the Keras config and of larq's summary.
 * @module
 */
import * as ops from "../graph/ops.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import type { Quantizer, QuantizerConfig } from "../quantizers/quantizer.ts";
import { getQuantizer } from "../quantizers/registry.ts";
import type { ConfigReader } from "./config_reader.ts";
import { activation, type ActivationName } from "./core.ts";
import type { Initializer } from "./initializers.ts";
import { type Config, type Constraint, type ConstraintLike, getConstraint, Layer, outputPixels } from "./layer.ts";
import { getRegularizer, type Regularizer, type RegularizerConfig } from "./regularizers.ts";

/** What a layer option accepts as a regularizer: the object, Keras's name ("l2"), its config, or null. */
export type RegularizerLike = Regularizer | RegularizerConfig | string | null;

/** What a layer option accepts as a quantizer: larq's alias, its config, the object, or null (none). */
export type QuantizerLike = string | QuantizerConfig | Quantizer | null;

/** The kernels a quantized layer may have, named as larq's options name them. */
export type KernelRole = "kernel" | "depthwise" | "pointwise";

/** The options every quantized layer shares. */
export interface QuantLayerOptions {
  /** Keras's `activation`, applied after the bias (null or "linear": none). */
  activation?: ActivationName | null;
  /** Keras's `use_bias`: whether the layer adds a bias (default true). */
  useBias?: boolean;
  /** Keras's `bias_initializer` (default "zeros"). */
  biasInitializer?: Initializer;
  /** Keras's `bias_constraint` (default none). */
  biasConstraint?: ConstraintLike;
  /** Keras's `bias_regularizer` (default none). */
  biasRegularizer?: RegularizerLike;
  /** larq's `input_quantizer`: applied to the input before the kernel (default none: full precision). */
  inputQuantizer?: QuantizerLike;
  /** The layer's name (default: the class name in snake case, numbered). */
  name?: string;
  /** Keras's `input_shape` (no batch axis): as the first layer of a Sequential, its input shape. */
  inputShape?: readonly number[];
}

/** A kernel's own options: `kernelQuantizer`, `kernelConstraint`, `kernelInitializer` (and depthwise…, pointwise…). */
export type KernelOptions<R extends KernelRole> =
  & { [K in `${R}Quantizer`]?: QuantizerLike }
  & { [K in `${R}Constraint`]?: ConstraintLike }
  & { [K in `${R}Regularizer`]?: RegularizerLike }
  & { [K in `${R}Initializer`]?: KernelInitializer };

/** A Keras initializer, or a function of the kernel shape (e.g. a fixed blur-pool kernel). */
export type KernelInitializer = Initializer | ((shape: readonly number[]) => Tensor);

interface KernelSpec {
  quantizer: Quantizer | null;
  constraint: Constraint | null;
  regularizer: Regularizer | null;
  initializer: KernelInitializer;
}

/** larq's warning: a binary kernel quantizer without a constraint lets latent weights grow past the clip. */
function warnStarved(layer: string, role: KernelRole, spec: KernelSpec): void {
  if (spec.quantizer?.precision === 1 && !spec.constraint) {
    console.warn(
      `layer "${layer}": a binary ${role} quantizer without a ${role} constraint may give starved weights ` +
        `(latent weights grow until their gradient is always zero); add ${role}Constraint: "weight_clip"`,
    );
  }
}

/**
 * Keras's float layers (Dense, Conv2D, …) have no quantizers and pad with
 * zeros: larq's options on one of them are a TypeError naming larq's class,
 * so the config it writes (Keras's keys only) holds everything it computes.
 */
function refuseLarqOptions(layer: QuantLayer, options: Record<string, unknown>, roles: readonly KernelRole[]): void {
  const given = ["inputQuantizer", ...roles.map((r) => `${r}Quantizer`)]
    .filter((k) => options[k] !== undefined && options[k] !== null)
    .map((k) => `${k} ${JSON.stringify(options[k])}`);
  if (options.padValues !== undefined && options.padValues !== 0) given.push(`padValues ${options.padValues}`);
  if (given.length === 0) return;
  const cls = layer.constructor.name;
  throw new TypeError(
    `layer "${layer.name}": Keras's ${cls} has no quantizers or pad values (got ${given.join(", ")}); ` +
      `use larq's Quant${cls}`,
  );
}

/** A positive integer option, checked. */
export function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** A size given as one number or one per axis. */
export function perAxis<N extends number>(name: string, v: number | readonly number[] | undefined, n: N, d = 1) {
  const list = v === undefined ? Array(n).fill(d) : typeof v === "number" ? Array(n).fill(v) : [...v];
  if (list.length !== n) throw new RangeError(`${name} must be a number or ${n} numbers, got ${JSON.stringify(v)}`);
  return list.map((x) => positive(name, x)) as N extends 2 ? [number, number] : number[];
}

/**
 * The base of larq's quantized kernel layers (larq's `layers_base.py`): an
 * input quantizer, one or more latent kernels each with its quantizer,
 * constraint, regularizer and initializer, an optional bias and an activation,
 * plus their part of the Keras config and of larq's summary. Subclasses name
 * their kernels (`roles`), create them with `addKernel` and `addBias`, and
 * compute `finish(op(quantizeInput(x), quantizeKernel(role, kernel)))`.
 */
export abstract class QuantLayer extends Layer {
  /**
   * Whether this class is Keras's float twin of a larq layer (Dense of
   * QuantDense, Conv2D of QuantConv2D, …): it takes no quantizers and no
   * pad value, and its config has Keras's keys only (tf-keras refuses
   * larq's). Reading its config stays lenient: larq's keys at their neutral
   * values (null, 0), as older onebit checkpoints hold them, are accepted.
   */
  static readonly kerasTwin: boolean = false;
  /** larq's `input_quantizer` (null: the input stays full precision). */
  readonly inputQuantizer: Quantizer | null;
  /** Keras's `activation` by name (null: linear). */
  readonly activationName: ActivationName | null;
  /** Keras's `use_bias`: whether the layer adds a bias. */
  readonly useBias: boolean;
  /** Keras's `bias_constraint` (null: none). */
  readonly biasConstraint: Constraint | null;
  /** Keras's `bias_regularizer` (null: none). */
  readonly biasRegularizer: Regularizer | null;
  readonly #biasInitializer: Initializer;
  readonly #act: (x: Tensor) => Tensor;
  readonly #kernels = new Map<KernelRole, KernelSpec>();
  /** The bias variable once built (null: not built yet, or `useBias` false). */
  bias: Variable | null = null;

  /** `roles`: the layer's kernels, in the order their configs are written. */
  constructor(options: QuantLayerOptions & Record<string, unknown>, roles: readonly KernelRole[]) {
    super(options.name);
    this.inputShape = options.inputShape ? [...options.inputShape] : null;
    this.activationName = options.activation ?? null;
    this.#act = activation(this.activationName);
    this.useBias = options.useBias ?? true;
    this.#biasInitializer = options.biasInitializer ?? "zeros";
    this.biasConstraint = getConstraint(options.biasConstraint);
    this.biasRegularizer = getRegularizer(options.biasRegularizer ?? null);
    if ((this.constructor as typeof QuantLayer).kerasTwin) refuseLarqOptions(this, options, roles);
    this.inputQuantizer = getQuantizer(options.inputQuantizer as QuantizerLike ?? null);
    for (const role of roles) {
      const spec: KernelSpec = {
        quantizer: getQuantizer(options[`${role}Quantizer`] as QuantizerLike ?? null),
        constraint: getConstraint(options[`${role}Constraint`]),
        regularizer: getRegularizer(options[`${role}Regularizer`] as RegularizerLike ?? null),
        initializer: (options[`${role}Initializer`] ?? "glorot_uniform") as KernelInitializer,
      };
      this.#kernels.set(role, spec);
      warnStarved(this.name, role, spec);
    }
  }

  /** The quantizer of a kernel (null: full precision). */
  quantizerOf(role: KernelRole): Quantizer | null {
    return this.#kernels.get(role)?.quantizer ?? null;
  }

  /** The constraint of a kernel (null: none). */
  constraintOf(role: KernelRole): Constraint | null {
    return this.#kernels.get(role)?.constraint ?? null;
  }

  /** Adds a kernel variable (`kernel`, `depthwise_kernel`, `pointwise_kernel`) with its constraint and quantizer. */
  protected addKernel(role: KernelRole, shape: readonly number[]): Variable {
    const spec = this.#kernels.get(role)!, init = spec.initializer;
    const v = this.addWeight(
      role === "kernel" ? "kernel" : `${role}_kernel`,
      shape,
      typeof init === "function" ? "zeros" : init,
      {
        constraint: spec.constraint,
        quantizer: spec.quantizer,
        regularizer: spec.regularizer,
      },
    );
    if (typeof init === "function") v.assign(init(shape));
    return v;
  }

  /** Adds the bias (with use_bias): `units` values, or a shape (per-position biases). */
  protected addBias(units: number | readonly number[]): void {
    if (this.useBias) {
      const shape = typeof units === "number" ? [units] : units;
      this.bias = this.addWeight("bias", shape, this.#biasInitializer, {
        constraint: this.biasConstraint,
        regularizer: this.biasRegularizer,
      });
    }
  }

  /** q(x) with the input quantizer, or x. */
  protected quantizeInput(x: Tensor): Tensor {
    return this.inputQuantizer ? this.inputQuantizer.call(x) : x;
  }

  /** q(kernel) with the kernel's quantizer, or the latent kernel. */
  protected quantizeKernel(role: KernelRole, kernel: Tensor): Tensor {
    const q = this.quantizerOf(role);
    return q ? q.call(kernel) : kernel;
  }

  /** y + bias, without the activation (the logits of a softmax layer). */
  protected addBiasTo(y: Tensor): Tensor {
    return this.bias ? ops.add(y, this.bias) : y;
  }

  /** act(y + bias). */
  protected finish(y: Tensor): Tensor {
    return this.#act(this.addBiasTo(y));
  }

  /** Whether any quantizer is set (the converter's report marks such layers). */
  get quantized(): boolean {
    return this.inputQuantizer !== null || [...this.#kernels.values()].some((k) => k.quantizer !== null);
  }

  /** `keys` in a larq layer's config; nothing in a {@link QuantLayer.kerasTwin}'s (Keras's Dense has no `pad_values`). */
  protected larqKeys(keys: Config): Config {
    return (this.constructor as typeof QuantLayer).kerasTwin ? {} : keys;
  }

  /** The shared part of the Keras config: activation, use_bias, quantizers (larq's layers only), then constraints. */
  protected quantConfig(): Config {
    const roles = [...this.#kernels.keys()];
    return {
      activation: this.activationName,
      use_bias: this.useBias,
      ...this.larqKeys({
        input_quantizer: this.inputQuantizer?.getConfig() ?? null,
        ...Object.fromEntries(roles.map((r) => [`${r}_quantizer`, this.quantizerOf(r)?.getConfig() ?? null])),
      }),
      ...Object.fromEntries(roles.map((r) => [`${r}_constraint`, this.constraintOf(r)?.getConfig() ?? null])),
      ...(this.biasConstraint ? { bias_constraint: this.biasConstraint.getConfig() } : {}),
      ...Object.fromEntries(
        roles.filter((r) => this.#kernels.get(r)!.regularizer).map((r) => [
          `${r}_regularizer`,
          this.#kernels.get(r)!.regularizer!.getConfig(),
        ]),
      ),
      ...(this.biasRegularizer ? { bias_regularizer: this.biasRegularizer.getConfig() } : {}),
    };
  }

  /** The shared options from a Keras config, for `fromConfig`. */
  protected static quantOptions(r: ConfigReader, roles: readonly KernelRole[]): QuantLayerOptions & Config {
    return {
      name: r.name,
      activation: r.activation() as ActivationName | null,
      useBias: r.bool("use_bias", true),
      inputQuantizer: r.raw("input_quantizer") as QuantizerLike,
      biasConstraint: r.raw("bias_constraint") as ConstraintLike,
      biasRegularizer: r.raw("bias_regularizer") as RegularizerLike,
      ...Object.fromEntries(roles.flatMap((role) => [
        [`${role}Quantizer`, r.raw(`${role}_quantizer`)],
        [`${role}Constraint`, r.raw(`${role}_constraint`)],
        [`${role}Regularizer`, r.raw(`${role}_regularizer`)],
      ])),
    };
  }

  /** larq's summary: the bits of the input quantizer (null: the input is not quantized). */
  override get inputPrecision(): number | null {
    return this.inputQuantizer?.precision ?? null;
  }

  /** larq: every non-bias weight × output pixels, at max(input precision, weight bits). */
  override macs(shape: readonly number[]): Map<number, number> | null {
    const pixels = outputPixels(shape);
    if (!pixels) return null;
    const macs = new Map<number, number>();
    for (const w of this.summaryWeights()) {
      if (w.variable === this.bias) continue;
      const p = Math.max(this.inputPrecision ?? 32, w.quantizer?.precision ?? 32);
      macs.set(p, (macs.get(p) ?? 0) + w.variable.size * pixels);
    }
    return macs;
  }
}
