import { customGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { CLIP_VALUE, clippedGradient } from "./_common.ts";
import { optionsFromConfig, type OptionSpecs, resolveOptions } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/** Options of {@link SteHeaviside}. */
export interface SteHeavisideOptions {
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. Default 1 (config key `clip_value`). */
  clipValue?: number | null;
}

/**
 * Heaviside step with a clipped straight-through estimator: {0, 1}
 * activations (e.g. for binary networks with {0,1} inputs).
 *
 * Forward: 1 for x > 0, 0 for x ≤ 0.
 * Pseudo-gradient: dy where |x| ≤ clipValue, else 0.
 *
 * @example
 * ```ts
 * import { SteHeaviside } from "./ste_heaviside.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new SteHeaviside({ clipValue: 0.5 }).call(Tensor.from([-1, 0, 0.5])).toArray()); // [0, 0, 1]
 * ```
 */
export class SteHeaviside extends Quantizer {
  /** larq's alias. */
  static readonly alias = "ste_heaviside";
  /** Keras/larq class names. */
  static readonly classNames = ["SteHeaviside"] as const;
  /** Options: clipValue (`clip_value`). */
  static readonly optionSpecs: OptionSpecs<SteHeavisideOptions> = { clipValue: CLIP_VALUE };
  /** larq's alias, `"ste_heaviside"` (the string a layer option accepts). */
  readonly name: string = SteHeaviside.alias;
  /** The class name `getConfig` writes, `"SteHeaviside"` (what Keras/larq files call it). */
  readonly className: string = SteHeaviside.classNames[0];
  /** Bits of the output: 1 (two levels). */
  readonly precision = 1;
  /** Lowers to a heaviside binarize node (x > 0). */
  override readonly binarizeMode: InputLowering = "heaviside";
  /** The gradient passes where |x| ≤ clipValue; null: everywhere. */
  readonly clipValue: number | null;
  readonly #f: (x: Tensor) => Tensor;

  /** A SteHeaviside from camelCase options (each checked; see SteHeavisideOptions). */
  constructor(options: SteHeavisideOptions = {}) {
    super();
    const clip = this.clipValue = resolveOptions(SteHeaviside, options).clipValue;
    this.#f = customGradient((x: Tensor) => ({ value: ops.heaviside(x), grad: (dy) => clippedGradient(x, dy, clip) }));
  }

  /** A SteHeaviside from larq's config (`{ clip_value: 0.5 }`). */
  static fromConfig(config: Record<string, unknown>): SteHeaviside {
    return new SteHeaviside(optionsFromConfig(SteHeaviside, config));
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    return this.#f(x);
  }
}
