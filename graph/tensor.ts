/**
 * Dense tensors (row-major, NHWC for images) of float32, or float64 for
 * gradient checks. Tensors are values: ops return new tensors. A
 * {@link Variable} is the one mutable kind (trainable weights).
 * @module
 */
import { JUPYTER_DISPLAY, type MediaBundle } from "../viz/html.ts";
import { previewBundle, previewText } from "./preview.ts";
import { isReleased, releasedError } from "../kernels/_step_buffers.ts";

/** Element type of a tensor: `float32` (training and inference) or `float64` (gradient checks). */
export type DType = "float32" | "float64";
/** Storage of a tensor's values, row-major: a Float32Array or, for float64 tensors, a Float64Array. */
export type Data = Float32Array | Float64Array;

let nextId = 0;

function checkShape(shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

/**
 * The most values one tensor may hold: 2^31 - 1, the largest typed array
 * every JavaScript engine allocates and an int32 index (TFLite's) reaches.
 */
export const MAX_TENSOR_VALUES = 2 ** 31 - 1;

/** Throws a RangeError naming `what` when `shape` holds more than {@link MAX_TENSOR_VALUES} values. */
export function checkValues(shape: readonly number[], what: string): void {
  const values = sizeOf(shape);
  if (values > MAX_TENSOR_VALUES) {
    throw new RangeError(
      `${what} of shape [${shape}] has ${values} values, more than the ${MAX_TENSOR_VALUES} a tensor may hold`,
    );
  }
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * An n-dimensional array.
 *
 * @example
 * ```ts
 * import { Tensor } from "./tensor.ts";
 * const t = Tensor.from([[1, 2], [3, 4]]);
 * console.log(t.shape, t.toArray()); // [2, 2] [[1, 2], [3, 4]]
 * ```
 */
export class Tensor {
  /** A number unique to this tensor in the process (creation order), for debugging and caches. */
  readonly id = nextId++;
  /** Dimensions, outermost first (NHWC for images); frozen. `[]` is a scalar. */
  readonly shape: readonly number[];
  readonly #data: Data;

  /**
   * Wraps `data` (not copied) as a tensor of `shape`. Throws a TypeError for another array type or a shape that is not
   * non-negative integers, and a RangeError when the lengths disagree.
   */
  constructor(data: Data, shape: readonly number[]) {
    checkShape(shape);
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new TypeError("data must be a Float32Array or Float64Array");
    }
    if (data.length !== sizeOf(shape)) {
      if (isReleased(data)) throw releasedError("a tensor's data", sizeOf(shape));
      throw new RangeError(`data has ${data.length} values, shape [${shape}] needs ${sizeOf(shape)}`);
    }
    this.shape = Object.freeze([...shape]);
    this.#data = data;
  }

  /**
   * The values, row-major; `data.length` is the product of `shape`. Ops never write it (Variables' `assign` does).
   * Throws when a training step that made this tensor released its buffer (see `fit`'s `reuseBuffers`).
   */
  get data(): Data {
    const d = this.#data;
    if (d.length === 0 && isReleased(d)) throw releasedError("a tensor's data", sizeOf(this.shape));
    return d;
  }

  /** `float64` for Float64Array data, else `float32`. */
  get dtype(): DType {
    return this.#data instanceof Float64Array ? "float64" : "float32";
  }

  /** Number of elements (the product of `shape`; 1 for a scalar; 0 once a step released the tensor's array). */
  get size(): number {
    return this.#data.length;
  }

  /** Number of dimensions (0 for a scalar). */
  get rank(): number {
    return this.shape.length;
  }

  /** From nested arrays or a number (a scalar); float32 unless `dtype` says float64. */
  static from(values: number | NestedArray, dtype: DType = "float32"): Tensor {
    const shape: number[] = [];
    let v: unknown = values;
    while (Array.isArray(v)) {
      shape.push(v.length);
      v = v[0];
    }
    const flat = (Array.isArray(values) ? (values as unknown[]).flat(Infinity) : [values]) as number[];
    const data = dtype === "float64" ? Float64Array.from(flat) : Float32Array.from(flat);
    return new Tensor(data, shape);
  }

  /** A tensor of zeros of `shape` (float32 unless `dtype` says float64); more than {@link MAX_TENSOR_VALUES} values is a RangeError, before allocating. */
  static zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
    checkShape(shape);
    checkValues(shape, "a tensor");
    return new Tensor(dtype === "float64" ? new Float64Array(sizeOf(shape)) : new Float32Array(sizeOf(shape)), shape);
  }

  /** A tensor of `shape` with every element `value`. */
  static fill(shape: readonly number[], value: number, dtype: DType = "float32"): Tensor {
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  /** Nested arrays (a number for a scalar). */
  toArray(): number | NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedArray => {
      const n = this.shape[dim];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from(
        { length: n },
        (_, i) => dim === this.shape.length - 1 ? this.data[offset + i] : build(dim + 1, offset + i * stride),
      );
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item() needs one value, the tensor has shape [${this.shape}]`);
    return this.data[0];
  }

  /** The first line of a preview: kind, dtype, shape. */
  protected previewTitle(): string {
    return `Tensor ${this.dtype} [${this.shape.join(", ")}]`;
  }

  /** `Deno.inspect(tensor)` and `console.log(tensor)`: dtype, shape and the first values, not the internals. */
  [Symbol.for("Deno.customInspect")](): string {
    return previewText(this, { title: this.previewTitle() });
  }

  /** What a notebook shows: dtype, shape, min / mean / max and the first values as a table. */
  [JUPYTER_DISPLAY](): MediaBundle {
    return previewBundle(this, { title: this.previewTitle() });
  }
}

/** Nested number arrays, as {@link Tensor.from} takes and {@link Tensor.toArray} returns them. */
export type NestedArray = (number | NestedArray)[];

/**
 * A trainable (or not) tensor whose value changes in place: `assign` writes
 * new values (optimizers, constraints), never a new shape.
 */
export class Variable extends Tensor {
  /**
   * Name, for messages and checkpoints (default `variable_<id>`); layers name their weights as Keras does
   * (`quant_conv2d/kernel`).
   */
  readonly name: string;
  /** Whether optimizers update it (default true; BatchNorm's moving statistics are not trainable). */
  trainable: boolean;
  /** Bumped by every assign: a tape refuses to differentiate through values that changed after recording. */
  version = 0;

  /** A variable holding a copy of `initial`'s values. */
  constructor(initial: Tensor, options: { name?: string; trainable?: boolean } = {}) {
    super(initial.data.slice(), initial.shape);
    this.name = options.name ?? `variable_${this.id}`;
    this.trainable = options.trainable ?? true;
  }

  /** A variable's preview names it and says whether it trains. */
  protected override previewTitle(): string {
    return `Variable "${this.name}" ${this.dtype} [${this.shape.join(", ")}]${
      this.trainable ? "" : " (not trainable)"
    }`;
  }

  /** Writes new values in place (same size; a RangeError names the variable otherwise) and bumps `version`. */
  assign(value: Tensor | Data): void {
    const data = value instanceof Tensor ? value.data : value;
    if (data.length !== this.size) {
      throw new RangeError(`cannot assign ${data.length} values to variable "${this.name}" of shape [${this.shape}]`);
    }
    this.data.set(data);
    this.version++;
  }
}
