/**
 * Quantizers by larq alias or Keras class name, config round trips, and
 * user-defined quantizers from a function with a custom gradient.
 * @module
 */
import { customGradient } from "../graph/tape.ts";
import type { Tensor } from "../graph/tensor.ts";
import { ApproxSign } from "./approx_sign.ts";
import { DoReFa } from "./dorefa.ts";
import { MagnitudeAwareSign } from "./magnitude_aware_sign.ts";
import { MagnitudeAwareSignUnclipped } from "./magnitude_aware_sign_unclipped.ts";
import { NoOp } from "./noop.ts";
import { Quantizer, type QuantizerConfig } from "./quantizer.ts";
import { SteHeaviside } from "./ste_heaviside.ts";
import { SteSign } from "./ste_sign.ts";
import { SteTern } from "./ste_tern.ts";
import { SwishSign } from "./swish_sign.ts";
import { XnorWeightScale } from "./xnor_weight_scale.ts";

// deno-lint-ignore no-explicit-any
type Factory = (config: any) => Quantizer;

const FACTORIES: Record<string, Factory> = {
  ste_sign: (c) => new SteSign(c),
  SteSign: (c) => new SteSign(c),
  approx_sign: () => new ApproxSign(),
  ApproxSign: () => new ApproxSign(),
  swish_sign: (c) => new SwishSign(c),
  SwishSign: (c) => new SwishSign(c),
  magnitude_aware_sign: (c) => new MagnitudeAwareSign(c),
  MagnitudeAwareSign: (c) => new MagnitudeAwareSign(c),
  ste_heaviside: (c) => new SteHeaviside(c),
  SteHeaviside: (c) => new SteHeaviside(c),
  ste_tern: (c) => new SteTern(c),
  SteTern: (c) => new SteTern(c),
  dorefa_quantizer: (c) => new DoReFa(c),
  DoReFa: (c) => new DoReFa(c),
  DoReFaQuantizer: (c) => new DoReFa(c),
  noop: (c) => new NoOp(c),
  NoOp: (c) => new NoOp(c),
  xnor_weight_scale: () => new XnorWeightScale(),
  magnitude_aware_sign_unclipped: () => new MagnitudeAwareSignUnclipped(),
};

/** larq alias → class name (for option checks). */
const CLASS_NAMES: Record<string, string> = {
  ste_sign: "SteSign",
  approx_sign: "ApproxSign",
  swish_sign: "SwishSign",
  magnitude_aware_sign: "MagnitudeAwareSign",
  ste_heaviside: "SteHeaviside",
  ste_tern: "SteTern",
  dorefa_quantizer: "DoReFa",
  DoReFaQuantizer: "DoReFa",
  noop: "NoOp",
};

const KNOWN_OPTIONS: Record<string, string[]> = {
  SteSign: ["clip_value"],
  SwishSign: ["beta"],
  MagnitudeAwareSign: ["clip_value"],
  SteHeaviside: ["clip_value"],
  SteTern: ["threshold_value", "ternary_weight_networks", "clip_value"],
  DoReFa: ["k_bit", "mode"],
  NoOp: ["precision"],
};

/** The aliases and class names `getQuantizer` accepts. */
export function quantizerNames(): string[] {
  return Object.keys(FACTORIES);
}

/**
 * A quantizer from an alias (`"ste_sign"`), a config
 * (`{ class_name: "SteSign", config: { clip_value: 1.25 } }`), a Quantizer
 * (returned as is) or null (no quantizer).
 *
 * @example
 * ```ts
 * import { getQuantizer } from "./registry.ts";
 * const q = getQuantizer({ class_name: "SteSign", config: { clip_value: 1.25 } })!;
 * console.log(q.name, q.precision, q.getConfig().config.clip_value); // ste_sign 1 1.25
 * ```
 */
export function getQuantizer(id: string | QuantizerConfig | Quantizer | null | undefined): Quantizer | null {
  if (id === null || id === undefined) return null;
  if (id instanceof Quantizer) return id;
  const name = typeof id === "string" ? id : id?.class_name;
  const factory = typeof name === "string" ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    throw new RangeError(
      `unknown quantizer ${JSON.stringify(typeof id === "string" ? id : name)}; known: ${
        quantizerNames().join(", ")
      }, ` +
        "or a Quantizer object (see customQuantizer)",
    );
  }
  const config: Record<string, unknown> = typeof id === "string" ? {} : { ...(id.config ?? {}) };
  const className = CLASS_NAMES[name!] ?? name!;
  const allowed = KNOWN_OPTIONS[className] ?? [];
  // get_config also writes `precision`; it is implied by the class (except NoOp, which takes it).
  if (className !== "NoOp" && className !== "DoReFa") delete config.precision;
  if (className === "DoReFa" && config.k_bit === undefined && config.precision !== undefined) {
    config.k_bit = config.precision;
  }
  if (className === "DoReFa") delete config.precision;
  // Keras layer keys larq's get_config adds; they do not change the quantizer.
  for (const key of ["name", "trainable", "dtype", "metrics"]) delete config[key];
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) {
      throw new RangeError(
        `quantizer ${name}: unknown option "${key}"; it takes ${allowed.join(", ") || "no options"}`,
      );
    }
  }
  return factory(config);
}

/**
 * A user-defined quantizer: `forward(x)` returns `{ value, grad }` as in
 * `customGradient` (the pseudo-gradient of your choice).
 *
 * @example
 * ```ts
 * import { customQuantizer } from "./registry.ts";
 * import * as ops from "../graph/ops.ts";
 * // sign with an unclipped straight-through gradient
 * const q = customQuantizer((x) => ({ value: ops.sign(x), grad: (dy) => dy }), { precision: 1, name: "ste_unclipped" });
 * console.log(q.precision); // 1
 * ```
 */
export function customQuantizer(
  forward: (x: Tensor) => { value: Tensor; grad: (dy: Tensor) => Tensor },
  options: { precision: number; name: string },
): Quantizer {
  if (!Number.isInteger(options.precision) || options.precision < 1) {
    throw new RangeError(`customQuantizer needs an integer precision ≥ 1, got ${options.precision}`);
  }
  const f = customGradient(forward);
  return new (class extends Quantizer {
    readonly name = options.name;
    readonly className = options.name;
    readonly precision = options.precision;
    call(x: Tensor) {
      return f(x);
    }
    options(): Record<string, unknown> {
      return {};
    }
  })();
}
