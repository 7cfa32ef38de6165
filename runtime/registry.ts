/**
 * The op registry: every kernel the interpreter can run, in one place, as
 * TFLite's and LCE's op resolvers do — builtins by operator code, custom ops
 * by name, fusions of several operators into one call. Each kernel's
 * `prepare` binds to the interpreter's kernel objects, so the same entry
 * runs its optimized variant on the native backend and its reference
 * variant on the TypeScript one.
 * @module
 */
import type { OperatorCode } from "../tflite/model.ts";
import { Builtin, builtinName } from "../tflite/schema.ts";
import { type Fusion, residualFusion } from "./fuse.ts";
import {
  binary,
  concatenation,
  conv2d,
  depthwiseConv2d,
  dequantize,
  fullyConnected,
  mean,
  pad,
  pool,
  quantize,
  reshape,
  softmax,
  transposeConv,
  unary,
} from "./ops/builtin.ts";
import { lceBconv2d, lceBconv2dAdd, lceBmaxpool2d, lceDequantize, lceQuantize } from "./ops/lce.ts";
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

/** Every op onebit runs: the float builtins of converted models, LCE's custom ops, the residual-block fusion. */
export function defaultRegistry(): OpRegistry {
  return new OpRegistry()
    .builtin(Builtin.CONV_2D, conv2d)
    .builtin(Builtin.DEPTHWISE_CONV_2D, depthwiseConv2d)
    .builtin(Builtin.TRANSPOSE_CONV, transposeConv)
    .builtin(Builtin.FULLY_CONNECTED, fullyConnected)
    .builtin(Builtin.MAX_POOL_2D, pool("max"))
    .builtin(Builtin.AVERAGE_POOL_2D, pool("avg"))
    .builtin(Builtin.MEAN, mean)
    .builtin(Builtin.SOFTMAX, softmax)
    .builtin(Builtin.ADD, binary("add"))
    .builtin(Builtin.SUB, binary("sub"))
    .builtin(Builtin.MUL, binary("mul"))
    .builtin(Builtin.RELU, unary("relu"))
    .builtin(Builtin.RELU6, unary("relu6"))
    .builtin(Builtin.RELU_N1_TO_1, unary("relu_n1_to_1"))
    .builtin(Builtin.LOGISTIC, unary("logistic"))
    .builtin(Builtin.TANH, unary("tanh"))
    .builtin(Builtin.HARD_SWISH, unary("hard_swish"))
    .builtin(Builtin.LEAKY_RELU, unary("leaky_relu"))
    .builtin(Builtin.RESHAPE, reshape)
    .builtin(Builtin.SQUEEZE, reshape)
    .builtin(Builtin.CONCATENATION, concatenation)
    .builtin(Builtin.PAD, pad)
    .builtin(Builtin.PADV2, pad)
    .builtin(Builtin.DEQUANTIZE, dequantize)
    .builtin(Builtin.QUANTIZE, quantize)
    .custom("LceQuantize", lceQuantize)
    .custom("LceDequantize", lceDequantize)
    .custom("LceBconv2d", lceBconv2d)
    .custom("LceBMaxPool2d", lceBmaxpool2d)
    .fusion(residualFusion(lceBconv2dAdd));
}
