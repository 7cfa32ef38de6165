import { customGradient, stopGradient } from "../graph/tape.ts";
import * as ops from "../graph/ops.ts";
import type { Tensor } from "../graph/tensor.ts";
import { optionsFromConfig, type OptionSpecs, resolveOptions } from "./options.ts";
import { type InputLowering, Quantizer } from "./quantizer.ts";

/** Options of {@link DoReFa}. */
export interface DoReFaOptions {
  /** Bits of the output, an integer in [1, 31]. Default 2 (config key `k_bit`). */
  kBit?: number;
  /** What it quantizes: `"activations"` (default) or `"weights"` (config key `mode`). */
  mode?: "activations" | "weights";
}

/**
 * k-bit DoReFa quantizer (Zhou et al. 2016, https://arxiv.org/abs/1606.06160).
 *
 * Forward, activations mode: x ← clip(x, 0, 1). Weights mode: t = tanh(w),
 * d = max|t| over the tensor (not differentiated), x = t/(2d) + 0.5 (0.5
 * when d = 0). Then q = round_half_even(x·n)/n with n = 2^k - 1; weights
 * mode returns 2q - 1.
 * Pseudo-gradient: identity through the rounding, the true gradient of the
 * clip (1 on [0, 1] inclusive) or of tanh and the division.
 *
 * @example
 * ```ts
 * import { DoReFa } from "./dorefa.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new DoReFa({ kBit: 2 }).call(Tensor.from([-1, 0.5, 0.9])).toArray()); // [0, 0.6666666865348816, 1]
 * ```
 */
export class DoReFa extends Quantizer {
  /** larq's alias. */
  static readonly alias = "dorefa_quantizer";
  /** Keras/larq class names. */
  static readonly classNames = ["DoReFa", "DoReFaQuantizer"] as const;
  /** Options: kBit (`k_bit`), mode (`mode`). */
  static readonly optionSpecs: OptionSpecs<DoReFaOptions> = {
    kBit: {
      key: "k_bit",
      default: 2,
      accepts: "an integer in [1, 31]",
      type: "number",
      valid: (v) => Number.isInteger(v) && v >= 1 && v <= 31,
    },
    mode: {
      key: "mode",
      default: "activations",
      accepts: '"activations" or "weights"',
      type: "string",
      valid: (v) => v === "activations" || v === "weights",
    },
  };
  /** larq's alias, `"dorefa_quantizer"` (the string a layer option accepts). */
  readonly name: string = DoReFa.alias;
  /** The class name `getConfig` writes, `"DoReFa"` (what Keras/larq files call it). */
  readonly className: string = DoReFa.classNames[0];
  /** Bits of the output (= kBit). */
  readonly precision: number;
  /** Bits of the output. */
  readonly kBit: number;
  /** What it quantizes: activations (clip to [0, 1]) or weights (tanh, scaled to [-1, 1]). */
  readonly mode: "activations" | "weights";
  /** 1-bit activations lower to a binarize node (x > 0.5); other forms have no TFLite lowering on an input. */
  override readonly binarizeMode: InputLowering;
  readonly #round: (x: Tensor) => Tensor;

  /** A DoReFa from camelCase options (each checked; see DoReFaOptions). */
  constructor(options: DoReFaOptions = {}) {
    super();
    const { kBit, mode } = resolveOptions(DoReFa, options);
    this.precision = this.kBit = kBit;
    this.mode = mode;
    this.binarizeMode = mode === "activations" && kBit === 1 ? "dorefa" : null;
    const n = 2 ** kBit - 1;
    this.#round = customGradient((x: Tensor) => ({
      value: ops.div(ops.roundHalfEven(ops.mul(x, n)), n),
      grad: (dy) => dy,
    }));
  }

  /** A DoReFa from larq's config (`{ k_bit: 2, mode: "weights" }`); a `precision` stands for a missing k_bit. */
  static fromConfig(config: Record<string, unknown>): DoReFa {
    const precisionOnly = config?.k_bit === undefined && config?.precision !== undefined;
    return new DoReFa(optionsFromConfig(DoReFa, precisionOnly ? { ...config, k_bit: config.precision } : config));
  }

  /**
   * Quantizes `x` elementwise as the class description says, recording the pseudo-gradient on the tape when `x` is
   * tracked.
   */
  call(x: Tensor): Tensor {
    if (this.mode === "activations") return this.#round(ops.clipByValue(x, 0, 1));
    const t = ops.tanh(x);
    const d = stopGradient(ops.max(ops.abs(t)));
    // divide_no_nan: 0 where d = 0, so every weight becomes 0.5.
    const normed = d.item() === 0 ? ops.mul(t, 0) : ops.div(t, ops.mul(d, 2));
    return ops.sub(ops.mul(this.#round(ops.add(normed, 0.5)), 2), 1);
  }
}
