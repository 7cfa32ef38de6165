/**
 * Keras's weight regularizers: a penalty (a differentiable scalar) that
 * training adds to the loss for each weight that has one. The layer base
 * holds them per weight; this module has the objects and their configs.
 * @module
 */
import * as ops from "../graph/ops.ts";
import { Tensor } from "../graph/tensor.ts";

/** Keras-style serialised regularizer: `{ class_name: "L2", config: { l2: 0.01 } }`. */
export interface RegularizerConfig {
  /** Keras's class name: `L1`, `L2` or `L1L2`. */
  class_name: string;
  /** Its factors: `{ l1 }`, `{ l2 }` or `{ l1, l2 }`. */
  config: Record<string, unknown>;
}

/** A weight penalty: `call(w)` is a scalar, differentiable with respect to `w`. */
export interface Regularizer {
  /** The penalty of `w` (a scalar tensor). */
  call(w: Tensor): Tensor;
  /** Keras's `{ class_name, config }` form. */
  getConfig(): RegularizerConfig;
}

function penalty(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${where} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

const l1Term = (w: Tensor, l1: number) => ops.mul(ops.sum(ops.abs(w)), l1);
const l2Term = (w: Tensor, l2: number) => ops.mul(ops.sum(ops.square(w)), l2);

/**
 * l1 · Σ|w| (Keras's default l1 = 0.01).
 *
 * @example
 * ```ts
 * import { L1 } from "./regularizers.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new L1(0.5).call(Tensor.from([1, -2, 0])).item()); // 1.5
 * ```
 */
export class L1 implements Regularizer {
  /** Keras's `l1` factor. */
  readonly l1: number;
  /** `l1`: a finite number ≥ 0 (default 0.01; else a RangeError). */
  constructor(l1 = 0.01) {
    this.l1 = penalty(l1, "L1: l1");
  }
  /** l1 · Σ|w|. */
  call(w: Tensor): Tensor {
    return l1Term(w, this.l1);
  }
  /** `{ class_name: "L1", config: { l1 } }`. */
  getConfig(): RegularizerConfig {
    return { class_name: "L1", config: { l1: this.l1 } };
  }
}

/** l2 · Σw² (Keras's default l2 = 0.01; no ½). */
export class L2 implements Regularizer {
  /** Keras's `l2` factor. */
  readonly l2: number;
  /** `l2`: a finite number ≥ 0 (default 0.01; else a RangeError). */
  constructor(l2 = 0.01) {
    this.l2 = penalty(l2, "L2: l2");
  }
  /** l2 · Σw². */
  call(w: Tensor): Tensor {
    return l2Term(w, this.l2);
  }
  /** `{ class_name: "L2", config: { l2 } }`. */
  getConfig(): RegularizerConfig {
    return { class_name: "L2", config: { l2: this.l2 } };
  }
}

/** l1 · Σ|w| + l2 · Σw² (Keras's defaults 0 and 0; a zero factor adds no term, as Keras). */
export class L1L2 implements Regularizer {
  /** Keras's `l1` factor. */
  readonly l1: number;
  /** Keras's `l2` factor. */
  readonly l2: number;
  /** `l1`, `l2`: finite numbers ≥ 0 (default 0; else a RangeError). */
  constructor(options: { l1?: number; l2?: number } = {}) {
    this.l1 = penalty(options.l1 ?? 0, "L1L2: l1");
    this.l2 = penalty(options.l2 ?? 0, "L1L2: l2");
  }
  /** l1 · Σ|w| + l2 · Σw² (a zero factor adds no term). */
  call(w: Tensor): Tensor {
    let total = Tensor.zeros([], w.dtype);
    if (this.l1) total = ops.add(total, l1Term(w, this.l1));
    if (this.l2) total = ops.add(total, l2Term(w, this.l2));
    return total;
  }
  /** `{ class_name: "L1L2", config: { l1, l2 } }`. */
  getConfig(): RegularizerConfig {
    return { class_name: "L1L2", config: { l1: this.l1, l2: this.l2 } };
  }
}

/** Keras's string identifiers: "l1" and "l2" mean 0.01, "l1_l2" both 0.01; class names take their defaults. */
const NAMES: Record<string, () => Regularizer> = {
  l1: () => new L1(),
  l2: () => new L2(),
  l1_l2: () => new L1L2({ l1: 0.01, l2: 0.01 }),
  L1: () => new L1(),
  L2: () => new L2(),
  L1L2: () => new L1L2(),
};

function fromConfig(c: RegularizerConfig): Regularizer {
  const o = c.config ?? {};
  const allowed: Record<string, string[]> = { L1: ["l1"], L2: ["l2"], L1L2: ["l1", "l2"] };
  if (!allowed[c.class_name]) {
    throw new RangeError(`unknown regularizer class "${c.class_name}"; onebit has L1, L2 and L1L2`);
  }
  const unknown = Object.keys(o).filter((k) => !allowed[c.class_name].includes(k));
  if (unknown.length) throw new RangeError(`${c.class_name} config: unknown keys ${unknown.join(", ")}`);
  if (c.class_name === "L1") return new L1(o.l1 as number | undefined);
  if (c.class_name === "L2") return new L2(o.l2 as number | undefined);
  return new L1L2({ l1: o.l1 as number | undefined, l2: o.l2 as number | undefined });
}

/**
 * A regularizer from Keras's name (`"l1"`, `"l2"`, `"l1_l2"`, class names),
 * its config, the regularizer itself, or null for none.
 *
 * @example
 * ```ts
 * import { getRegularizer } from "./regularizers.ts";
 * console.log(getRegularizer("l2")?.getConfig(), getRegularizer(null)); // { class_name: "L2", config: { l2: 0.01 } } null
 * ```
 */
export function getRegularizer(
  identifier: string | RegularizerConfig | Regularizer | null | undefined,
): Regularizer | null {
  if (identifier === null || identifier === undefined) return null;
  if (typeof identifier === "string") {
    const make = NAMES[identifier];
    if (!make) {
      throw new RangeError(`unknown regularizer "${identifier}"; onebit knows ${Object.keys(NAMES).join(", ")}`);
    }
    return make();
  }
  if (typeof identifier === "object") {
    if (typeof (identifier as Regularizer).call === "function") return identifier as Regularizer;
    if (typeof (identifier as RegularizerConfig).class_name === "string") {
      return fromConfig(identifier as RegularizerConfig);
    }
  }
  throw new TypeError(
    `getRegularizer takes a name, a { class_name, config } object, a Regularizer or null, got ${String(identifier)}`,
  );
}
