import type { Tensor } from "../graph/tensor.ts";
import { optionsFromConfig, type OptionSpecs, resolveOptions } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/** Options of {@link NoOp}. */
export interface NoOpOptions {
  /** Bits the values already have, an integer ≥ 1 (required; config key `precision`). */
  precision: number;
}

/**
 * Identity with a declared precision: marks a layer's values as already
 * quantized (for the model summary and the converter).
 *
 * Forward: x. Gradient: dy.
 *
 * @example
 * ```ts
 * import { NoOp } from "./noop.ts";
 * console.log(new NoOp({ precision: 1 }).precision); // 1
 * ```
 */
export class NoOp extends Quantizer {
  /** larq's alias. */
  static readonly alias = "noop";
  /** Keras/larq class names. */
  static readonly classNames = ["NoOp"] as const;
  /** Options: precision (`precision`, required). */
  static readonly optionSpecs: OptionSpecs<NoOpOptions> = {
    precision: {
      key: "precision",
      accepts: "an integer ≥ 1",
      type: "number",
      valid: (v) => Number.isInteger(v) && v >= 1,
    },
  };
  /** larq's alias, `"noop"` (the string a layer option accepts). */
  readonly name: string = NoOp.alias;
  /** The class name `getConfig` writes, `"NoOp"` (what Keras/larq files call it). */
  readonly className: string = NoOp.classNames[0];
  /** Bits the values already have. */
  readonly precision: number;
  /** The identity: no node in the converted model. */
  override readonly binarizeMode: InputLowering = "identity";

  /** A NoOp from camelCase options (each checked; see NoOpOptions). */
  constructor(options: NoOpOptions) {
    super();
    this.precision = resolveOptions(NoOp, options).precision;
  }

  /** A NoOp from larq's config (`{ precision: 1 }`). */
  static fromConfig(config: Record<string, unknown>): NoOp {
    return new NoOp(optionsFromConfig(NoOp, config));
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    return x;
  }
}
