/**
 * The op registry: every kernel the interpreter can run, in one place, as
 * TFLite's and LCE's op resolvers do — builtins by operator code, custom ops
 * by name, fusions of several operators into one call. The default one is
 * built from the op files' tables (`BUILTIN_KERNELS` in ops/builtin.ts,
 * `LCE_KERNELS` in ops/lce.ts) and the residual fusion (fuse.ts). Each kernel's
 * `prepare` binds to the interpreter's kernel objects, so the same entry
 * runs its optimized variant on the native backend and its reference
 * variant on the TypeScript one.
 * @module
 */
import type { OperatorCode } from "../tflite/model.ts";
import { Builtin, builtinName } from "../tflite/schema.ts";
import {
  channelAffineFusion,
  concatAffineFusion,
  type Fusion,
  padAddFusion,
  residualFusion,
  scalePreluAddFusion,
} from "./fuse.ts";
import { concatAffine } from "./ops/concat_affine.ts";
import { scalePreluAdd } from "./ops/scale_prelu_add.ts";
import { padAdd } from "./ops/pad_add.ts";
import { channelAffine } from "./ops/channel_affine.ts";
import { BUILTIN_KERNELS } from "./ops/builtin.ts";
import { LCE_KERNELS, lceBconv2dAdd } from "./ops/lce.ts";
import type { OpKernel } from "./ops/_types.ts";

/**
 * Kernels by builtin code and custom name, and the fusions to try, in order.
 *
 * @example
 * ```ts
 * import { defaultRegistry } from "./registry.ts";
 * import { Builtin } from "../tflite/schema.ts";
 * const r = defaultRegistry();
 * console.log(r.find({ builtinCode: Builtin.CONV_2D, customCode: null, version: 1 }) !== undefined); // true
 * console.log(r.find({ builtinCode: Builtin.CUSTOM, customCode: "MyOp", version: 1 })); // undefined
 * ```
 */
export class OpRegistry {
  readonly #builtins = new Map<number, OpKernel>();
  readonly #custom = new Map<string, OpKernel>();
  readonly #fusions: Fusion[] = [];

  /** Registers (or replaces) the kernel of builtin operator `code`. */
  builtin(code: number, kernel: OpKernel): this {
    if (code === Builtin.CUSTOM) throw new RangeError("register custom ops with custom(name, kernel)");
    this.#builtins.set(code, kernel);
    return this;
  }

  /** Registers (or replaces) the kernel of custom operator `name` (its `custom_code`). */
  custom(name: string, kernel: OpKernel): this {
    this.#custom.set(name, kernel);
    return this;
  }

  /** Adds a fusion, tried after those registered before it. */
  fusion(f: Fusion): this {
    this.#fusions.push(f);
    return this;
  }

  /** The kernel of an operator code, or undefined when none is registered. */
  find(code: OperatorCode): OpKernel | undefined {
    return code.builtinCode === Builtin.CUSTOM
      ? this.#custom.get(code.customCode ?? "")
      : this.#builtins.get(code.builtinCode);
  }

  /** The fusions, in the order they are tried. */
  get fusions(): readonly Fusion[] {
    return this.#fusions;
  }

  /** The names of every registered op: builtins, then custom ops, then fusions. */
  names(): string[] {
    return [
      ...[...this.#builtins.keys()].map(builtinName),
      ...this.#custom.keys(),
      ...this.#fusions.map((f) => f.name),
    ];
  }

  /** A copy to extend without changing this one. */
  clone(): OpRegistry {
    const r = new OpRegistry();
    for (const [code, k] of this.#builtins) r.builtin(code, k);
    for (const [name, k] of this.#custom) r.custom(name, k);
    for (const f of this.#fusions) r.fusion(f);
    return r;
  }
}

/**
 * Every op onebit runs: the float builtins of converted models, LCE's custom ops, and the fusions (residual block,
 * BatchNorm as MUL + ADD (after a CONCATENATION too), MeliusNet's PAD + ADD,
 * Real-to-Binary Net's MUL + PRELU + ADD).
 */
export function defaultRegistry(): OpRegistry {
  const r = new OpRegistry();
  for (const [code, kernel] of BUILTIN_KERNELS) r.builtin(code, kernel);
  for (const [name, kernel] of LCE_KERNELS) r.custom(name, kernel);
  return r.fusion(residualFusion(lceBconv2dAdd)).fusion(concatAffineFusion(concatAffine))
    .fusion(channelAffineFusion(channelAffine))
    .fusion(padAddFusion(padAdd)).fusion(scalePreluAddFusion(scalePreluAdd));
}
