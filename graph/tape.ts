/**
 * Reverse-mode autodiff. Ops record themselves on the active tape when an
 * input is tracked (watched, or computed from a watched tensor); the one
 * gradient table maps op names to backward functions
 * (`registerGradient`, called beside each op: ops.ts, nn.ts, conv.ts). `customGradient` attaches
 * a user backward to one call, like `tf.custom_gradient`.
 * @module
 */
import { Tensor, Variable } from "./tensor.ts";
import { nativeElementwise } from "./native.ts";

/** What a backward function gets: the op's inputs, output and attributes. */
export interface GradContext<A = unknown> {
  /** The op's inputs, as it was called. */
  inputs: readonly Tensor[];
  /** The op's output (for gradients that reuse it, such as tanh's and sqrt's). */
  output: Tensor;
  /** The attributes the op recorded (axes, strides, …; its own type `A`). */
  attrs: A;
  /** Per input: whether its gradient is used (false for data, constants): a gradient may skip those. */
  needs?: readonly boolean[];
}

/** dy (same shape as the output) → one gradient per input (null: none). */
// deno-lint-ignore no-explicit-any
export type GradFn<A = any> = (dy: Tensor, ctx: GradContext<A>) => (Tensor | null)[];

const GRADIENTS = new Map<string, GradFn>();

/** Adds an op's backward function to the gradient table (once per op name). */
export function registerGradient<A>(op: string, fn: GradFn<A>): void {
  if (GRADIENTS.has(op)) throw new Error(`gradient of "${op}" is already registered`);
  GRADIENTS.set(op, fn as GradFn);
}

export function hasGradient(op: string): boolean {
  return GRADIENTS.has(op);
}

interface Node {
  op: string;
  inputs: readonly Tensor[];
  /** Versions of Variable inputs when recorded. */
  versions: (number | null)[];
  output: Tensor;
  attrs: unknown;
  /** A customGradient's own backward. */
  custom?: (dy: Tensor) => (Tensor | null)[];
}

class Tape {
  readonly nodes: Node[] = [];
  readonly tracked = new Set<number>();
}

let active: Tape | null = null;
let paused = 0;

/**
 * What a profiler gets from the tape (see `graph/profile.ts`): `forward(op)` as each recorded op (or
 * customGradient call) is recorded, `backward(op, ms)` after each node's backward (its gradient and the summing
 * of it into its inputs').
 */
export interface OpTimer {
  /** The forward pass starts (valueAndGrads begins). */
  start(): void;
  /** An op was recorded (its forward pass just ended). */
  forward(op: string): void;
  /** A node's backward pass took `ms`. */
  backward(op: string, ms: number): void;
}

let timer: OpTimer | null = null;

/** Installs (or with null removes) the profiler the tape reports to; returns the previous one. */
export function setOpTimer(t: OpTimer | null): OpTimer | null {
  const previous = timer;
  timer = t;
  return previous;
}

function versionsOf(inputs: readonly Tensor[]): (number | null)[] {
  return inputs.map((t) => (t instanceof Variable ? t.version : null));
}

/** Whether an op on these inputs must be recorded. */
export function isRecording(inputs: readonly Tensor[]): boolean {
  return active !== null && paused === 0 && inputs.some((t) => active!.tracked.has(t.id));
}

/** Records an op (ops call this after computing `output`, when isRecording). */
export function record(op: string, inputs: readonly Tensor[], output: Tensor, attrs?: unknown): void {
  if (!isRecording(inputs)) return;
  active!.nodes.push({ op, inputs, versions: versionsOf(inputs), output, attrs });
  active!.tracked.add(output.id);
  timer?.forward(op);
}

/** Runs `f` without recording (inference, optimizer updates, backward passes). */
export function noGrad<T>(f: () => T): T {
  paused++;
  try {
    return f();
  } finally {
    paused--;
  }
}

/** A copy of the values, never differentiated through (a copy: a Variable may change later). */
export function stopGradient(x: Tensor): Tensor {
  return new Tensor(x.data.slice(), x.shape);
}

/**
 * Wraps `f` so that its gradient is the one it returns, as `tf.custom_gradient`:
 * `f(...xs)` returns `{ value, grad }` with `grad(dy)` giving one gradient per
 * input (or one tensor for a single input). `f`'s own ops are not recorded.
 *
 * @example
 * ```ts
 * import { customGradient, valueAndGrads } from "./tape.ts";
 * import { Tensor } from "./tensor.ts";
 * import * as ops from "./ops.ts";
 * // sign with a straight-through gradient
 * const steSign = customGradient((x: Tensor) => ({ value: ops.sign(x), grad: (dy) => dy }));
 * const x = Tensor.from([-0.5, 0, 2]);
 * const { grads } = valueAndGrads(() => ops.sum(steSign(x)), [x]);
 * console.log(grads[0].toArray()); // [1, 1, 1]
 * ```
 */
export function customGradient<X extends Tensor[]>(
  f: (...xs: X) => { value: Tensor; grad: (dy: Tensor) => Tensor | (Tensor | null)[] },
): (...xs: X) => Tensor {
  return (...xs: X) => {
    const { value, grad } = noGrad(() => f(...xs));
    const shared = xs.some((x) => x.data === value.data);
    const output = new Tensor(shared ? value.data.slice() : value.data, value.shape);
    if (isRecording(xs)) {
      active!.nodes.push({
        op: "customGradient",
        inputs: xs,
        versions: versionsOf(xs),
        output,
        attrs: undefined,
        custom: (dy) => {
          const g = grad(dy);
          const list = Array.isArray(g) ? g : [g];
          if (list.length !== xs.length) {
            throw new Error(`a customGradient's grad returned ${list.length} gradients for ${xs.length} inputs`);
          }
          return list;
        },
      });
      active!.tracked.add(output.id);
      timer?.forward("customGradient");
    }
    return output;
  };
}

/**
 * Evaluates `f` and the gradient of its output (summed over its elements,
 * i.e. seeded with ones) with respect to each of `xs`. Inputs `f` does not
 * depend on get zero gradients.
 *
 * @example
 * ```ts
 * import { valueAndGrads } from "./tape.ts";
 * import { Tensor } from "./tensor.ts";
 * import * as ops from "./ops.ts";
 * const x = Tensor.from([1, 2, 3]);
 * const { value, grads } = valueAndGrads(() => ops.sum(ops.mul(x, x)), [x]);
 * console.log(value.item(), grads[0].toArray()); // 14 [2, 4, 6]
 * ```
 */
export function valueAndGrads(f: () => Tensor, xs: readonly Tensor[]): { value: Tensor; grads: Tensor[] } {
  if (active !== null) {
    // Higher-order gradients are not supported: an inner tape would hide ops from the outer one.
    throw new Error("valueAndGrads cannot be nested (higher-order gradients are not supported)");
  }
  const outer = active, outerPaused = paused;
  const tape = new Tape();
  for (const x of xs) tape.tracked.add(x.id);
  active = tape;
  paused = 0;
  timer?.start();
  let value: Tensor;
  try {
    value = f();
  } finally {
    active = outer;
    paused = outerPaused;
  }
  if (!(value instanceof Tensor)) throw new TypeError("the function passed to valueAndGrads must return a Tensor");
  const grads = new Map<number, Tensor>();
  const seed = Tensor.fill(value.shape, 1, value.dtype);
  grads.set(value.id, seed);
  noGrad(() => {
    for (let i = tape.nodes.length - 1; i >= 0; i--) {
      const node = tape.nodes[i];
      const dy = grads.get(node.output.id);
      if (dy === undefined) continue;
      const t0 = timer === null ? 0 : performance.now();
      node.inputs.forEach((x, j) => {
        if (x instanceof Variable && node.versions[j] !== x.version) {
          throw new Error(
            `variable "${x.name}" was assigned after "${node.op}" used it; compute gradients before updating`,
          );
        }
      });
      const gradient = GRADIENTS.get(node.op);
      if (!node.custom && !gradient) {
        throw new Error(
          `op "${node.op}" has no gradient: it cannot be trained through; register one with registerGradient("${node.op}", …) or wrap it in customGradient`,
        );
      }
      const dxs = node.custom
        ? node.custom(dy)
        : gradient!(dy, { ...node, needs: node.inputs.map((x) => tape.tracked.has(x.id)) });
      node.inputs.forEach((x, j) => {
        const dx = dxs[j];
        if (dx === null || dx === undefined || !tape.tracked.has(x.id)) return;
        if (dx.size !== x.size) {
          throw new Error(`gradient of "${node.op}" for input ${j} has shape [${dx.shape}], the input [${x.shape}]`);
        }
        // Gradients are stored as returned (a gradient may share its array with dy or another gradient) and
        // never changed in place: a second contribution makes a new sum.
        const prev = grads.get(x.id);
        if (prev === undefined) {
          grads.set(x.id, new Tensor(x.dtype === dx.dtype ? dx.data : convert(dx.data, x.dtype), x.shape));
        } else {
          grads.set(x.id, new Tensor(sumOf(prev.data, dx.data), x.shape));
        }
      });
      timer?.backward(node.op, performance.now() - t0);
    }
  });
  return { value, grads: handOut(grads, xs) };
}

/**
 * The gradient of each of `xs`, each with an array of its own (the caller may change what it gets): a stored
 * gradient's array when no other gradient handed out shares it, else a copy. Sharing with an intermediate's gradient
 * does not count: those are dropped here, and backward passes never write into a gradient (a reshaped weight, as
 * QuantDense's kernel in its 1×1 sign convolution, shares its array with the reshape's output gradient). A
 * weight-sized copy per weight per training step was fresh memory to fault in and to collect.
 */
function handOut(grads: Map<number, Tensor>, xs: readonly Tensor[]): Tensor[] {
  const uses = new Map<Float32Array | Float64Array, number>();
  for (const x of xs) {
    const g = grads.get(x.id);
    if (g !== undefined) uses.set(g.data, (uses.get(g.data) ?? 0) + 1);
  }
  return xs.map((x) => {
    const g = grads.get(x.id);
    if (g === undefined) return Tensor.zeros(x.shape, x.dtype);
    if (uses.get(g.data) !== 1) return new Tensor(g.data.slice(), x.shape);
    uses.set(g.data, Infinity); // handed out: the same input listed again gets a copy
    return new Tensor(g.data, x.shape);
  });
}

/**
 * prev + dx in a new array of prev's type: on the compiled element-wise add (split over the training kernels'
 * threads) when both are large float32 arrays, else in a loop (a float32 sum rounds the same either way).
 */
function sumOf(prev: Float32Array | Float64Array, dx: Float32Array | Float64Array): Float32Array | Float64Array {
  const native = nativeElementwise(prev.length, prev, dx);
  if (native) return native.elementwise(prev as Float32Array, dx as Float32Array, "add");
  const sum = prev.slice();
  for (let k = 0; k < sum.length; k++) sum[k] += dx[k];
  return sum;
}

function convert(data: Float32Array | Float64Array, dtype: "float32" | "float64") {
  return dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
}
