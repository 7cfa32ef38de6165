/**
 * The quantizer interface: a differentiable function with a precision
 * (bits), a Keras-style config for round trips, and what each quantizer
 * class declares about itself (alias, class names, options, binarization
 * mode) for the registry and the converter.
 * @module
 */
import type { Tensor } from "../graph/tensor.ts";
import { type AnyOptionSpecs, configOf } from "./options.ts";

/** Keras-style serialised form: `{ class_name: "SteSign", config: { clip_value: 1 } }`. */
export interface QuantizerConfig {
  /** The class name, e.g. `SteSign` (Keras's registered name of the quantizer). */
  class_name: string;
  /** Constructor options, snake_case as larq's `get_config` writes them. */
  config: Record<string, unknown>;
}

/** How a binarizing quantizer maps x to two levels (the converter's binarize node). */
export type BinarizeMode =
  /** sign(x), sign(0) = +1: ste_sign, approx_sign, swish_sign. */
  | "sign"
  /** 1 if x > 0 else 0: ste_heaviside. */
  | "heaviside"
  /** 1 if x > 0.5 else 0: 1-bit DoReFa (round half to even of clip(x, 0, 1)). */
  | "dorefa";

/**
 * What the converter makes of a quantizer on a layer's input: a binarize
 * node of a {@link BinarizeMode}; `"identity"`, no node (NoOp: the values
 * pass as they are); null, no TFLite lowering (ternary, scaled and
 * multi-bit quantizers).
 */
export type InputLowering = BinarizeMode | "identity" | null;

/**
 * What a quantizer class declares on itself (its static side). The
 * registry builds its names, option checks and messages from these.
 */
export interface QuantizerClass<Q extends Quantizer = Quantizer> {
  /** larq's alias, e.g. `"ste_sign"`. */
  readonly alias: string;
  /** Keras/larq class names; getConfig writes the first (`["DoReFa", "DoReFaQuantizer"]`). */
  readonly classNames: readonly [string, ...string[]];
  /** The constructor's options by camelCase name: config key, default, accepted values. */
  readonly optionSpecs: AnyOptionSpecs;
  /** An instance from larq's config (snake_case keys, as getConfig writes them). */
  fromConfig(config: Record<string, unknown>): Q;
}

/**
 * A quantizer: forward pass with its pseudo-gradient, precision, and config.
 * The built-in ones also declare a {@link QuantizerClass} static side.
 */
export abstract class Quantizer {
  /** Bits of the output (1 for binary, 2 for ternary, k for DoReFa). */
  abstract readonly precision: number;
  /** larq's alias, e.g. `ste_sign`. */
  abstract readonly name: string;
  /** Keras/larq class name, e.g. `SteSign`. */
  abstract readonly className: string;
  /**
   * What the converter makes of this quantizer on a layer's input (see
   * {@link InputLowering}); undefined: not declared (customQuantizer), the
   * converter probes the forward pass.
   */
  readonly binarizeMode: InputLowering | undefined = undefined;
  /** Forward pass with this quantizer's pseudo-gradient. */
  abstract call(x: Tensor): Tensor;

  /**
   * Constructor arguments, snake_case as larq's get_config: each option the
   * class declares in `optionSpecs`, read from the field of its camelCase
   * name (none for a class that declares none).
   */
  options(): Record<string, unknown> {
    const specs = (this.constructor as Partial<QuantizerClass>).optionSpecs;
    return specs === undefined ? {} : configOf(specs, this);
  }

  /** larq's form: the constructor options (NoOp's and DoReFa's carry the precision as their own option). */
  getConfig(): QuantizerConfig {
    return { class_name: this.className, config: { ...this.options() } };
  }
}
