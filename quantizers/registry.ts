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
import { Quantizer, type QuantizerClass, type QuantizerConfig } from "./quantizer.ts";
import { SteHeaviside } from "./ste_heaviside.ts";
import { SteSign } from "./ste_sign.ts";
import { SteTern } from "./ste_tern.ts";
import { SwishSign } from "./swish_sign.ts";
import { XnorWeightScale } from "./xnor_weight_scale.ts";

/**
 * Every built-in quantizer class. Its alias, class names, options and
 * binarization mode are declared on the class: adding a quantizer is its
 * file plus one line here.
 */
const QUANTIZERS: readonly QuantizerClass[] = [
  SteSign,
  ApproxSign,
  SwishSign,
  MagnitudeAwareSign,
  SteHeaviside,
  SteTern,
  DoReFa,
  NoOp,
  XnorWeightScale,
  MagnitudeAwareSignUnclipped,
];

/** Alias or class name → class. */
const BY_NAME: ReadonlyMap<string, QuantizerClass> = namesOf(QUANTIZERS);

function namesOf(classes: readonly QuantizerClass[]): Map<string, QuantizerClass> {
  const byName = new Map<string, QuantizerClass>();
  for (const cls of classes) {
    for (const name of new Set([cls.alias, ...cls.classNames])) {
      const twin = byName.get(name);
      if (twin !== undefined) {
        throw new Error(`quantizer name "${name}" is declared by both ${twin.classNames[0]} and ${cls.classNames[0]}`);
      }
      byName.set(name, cls);
    }
  }
  return byName;
}

/** The aliases and class names `getQuantizer` accepts. */
export function quantizerNames(): string[] {
  return [...BY_NAME.keys()];
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
  const cls = typeof name === "string" ? BY_NAME.get(name) : undefined;
  if (cls === undefined) {
    throw new RangeError(
      `unknown quantizer ${JSON.stringify(name)}; known: ${quantizerNames().join(", ")}, ` +
        "or a Quantizer object (see customQuantizer)",
    );
  }
  return cls.fromConfig(typeof id === "string" ? {} : id.config ?? {});
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
  })();
}
