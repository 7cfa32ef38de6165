/**
 * Where training's heavy float ops run: matmul and conv2d (forward and both
 * gradients) go to the compiled SGEMM (kernels_zig: natively FMA on x86,
 * NEON on aarch64, optionally multi-threaded; else its WebAssembly build)
 * when one loads and the product is large enough to pay for the call;
 * otherwise, and for float64 tensors (gradient checks), the TypeScript
 * loops. The two agree to float32 rounding (the compiled kernels accumulate
 * in float32, the TS loops in float64): `graph/native_test.ts` checks a
 * sweep of shapes at 1e-4.
 * @module
 */
import { stepFloat32 } from "../kernels/_step_buffers.ts";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels, type PackedF32 } from "../kernels/float_kernels.ts";
import { TrainKernels } from "../kernels/train_kernels.ts";
import { transpose as transposeReference } from "../kernels/reference_train.ts";

/** Multiply-accumulates below which the TS loop is cheaper than a kernel call and packing. */
const MIN_MACS = 1 << 14;

let chosen: FloatKernels | null | undefined;

/**
 * Chooses the kernels of training's matmul and conv2d: `"auto"` (default:
 * `FloatKernels.auto()` on 1 thread: native, else wasm, else TypeScript),
 * `"reference"` (always TypeScript), or a `FloatKernels` (e.g.
 * `FloatKernels.native({ threads: 2 })`, `FloatKernels.wasm()`).
 *
 * @example
 * ```ts
 * import { setTrainingKernels, trainingKernels } from "./native.ts";
 * setTrainingKernels("reference");
 * console.log(trainingKernels()); // null
 * setTrainingKernels("auto");
 * ```
 */
export function setTrainingKernels(k: FloatKernels | "auto" | "reference"): void {
  if (k === "auto") chosen = undefined;
  else if (k === "reference") chosen = null;
  else if (k instanceof FloatKernels) chosen = k.backend === "reference" ? null : k;
  else throw new TypeError(`setTrainingKernels takes "auto", "reference" or a FloatKernels, got ${String(k)}`);
}

/** The compiled kernels training uses, or null when it runs in TypeScript. */
export function trainingKernels(): FloatKernels | null {
  if (chosen === undefined) {
    const k = FloatKernels.auto();
    chosen = k.backend === "reference" ? null : k;
  }
  return chosen;
}

/** Where training's matmul and conv2d run: `native` (libonebit), `wasm` (its wasm build) or `reference` (TS loops). */
export function trainingBackend(): "native" | "wasm" | "reference" {
  return trainingKernels()?.backend ?? "reference";
}

/** The compiled kernels if they should run a product of `macs` multiply-accumulates on float32 data. */
export function nativeFor(macs: number, ...data: ArrayLike<number>[]): FloatKernels | null {
  if (macs < MIN_MACS || !data.every((d) => d instanceof Float32Array)) return null;
  return trainingKernels();
}

const binaryOf = new WeakMap<FloatKernels, BinaryKernels>();

/** The binary kernels of the same backend as `k` (a sign-quantized convolution's forward pass runs on them). */
export function binaryKernelsFor(k: FloatKernels): BinaryKernels {
  let b = binaryOf.get(k);
  const threads = k.threads;
  if (b === undefined) {
    binaryOf.set(k, b = k.backend === "native" ? BinaryKernels.native({ threads }) : BinaryKernels.wasm());
  }
  return b;
}

/** Values below which an element-wise pass stays in TypeScript (a native call costs about as much as that). */
const MIN_PASS_VALUES = 4096;

const trainOf = new WeakMap<FloatKernels, TrainKernels>();

/**
 * The compiled element-wise training passes (BatchNormalization, sign quantizers) of the training backend, if they
 * should run a pass over `values` values of float32 `data`: null for small or float64 passes and on the TS path.
 */
export function nativePasses(values: number, ...data: ArrayLike<number>[]): TrainKernels | null {
  if (values < MIN_PASS_VALUES || !data.every((d) => d instanceof Float32Array)) return null;
  const k = trainingKernels();
  return k === null ? null : trainPassesFor(k);
}

const scratchBuffers = new Map<string, Float32Array>();

/**
 * `n` floats of the reusable buffer named `slot`, with stale contents: for a temporary that dies before the
 * slot is asked for again (a backward pass's padded or transposed operands). Megabytes of them per training
 * step were fresh arrays to zero and to collect.
 */
export function scratch(slot: string, n: number): Float32Array {
  let buffer = scratchBuffers.get(slot);
  if (buffer === undefined || buffer.length < n) scratchBuffers.set(slot, buffer = new Float32Array(n));
  return buffer.subarray(0, n);
}

/**
 * [rows, cols] row-major → [cols, rows] into `out` when given: on the training backend's compiled pass (cache
 * tiles, threaded) from {@link MIN_PASS_VALUES} values, else in TypeScript (kernels/reference_train.ts).
 */
export function transpose2d(
  a: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array = stepFloat32(rows * cols, true),
): Float32Array {
  const native = nativePasses(rows * cols, a);
  if (native) return native.transpose(a, rows, cols, out);
  transposeReference({ rows, cols, masked: 0, clip: 0, threads: 1 }, a, a, out);
  return out;
}

/** The compiled training passes of the same backend as `k` (graph/conv.ts's native gradients unpack bits on them). */
export function trainPassesFor(k: FloatKernels): TrainKernels {
  let t = trainOf.get(k);
  if (t === undefined) {
    trainOf.set(k, t = k.backend === "native" ? TrainKernels.native({ threads: k.threads }) : TrainKernels.wasm());
  }
  return t;
}

/** The compiled float kernels if an element-wise op over `values` float32 values should run on them. */
export function nativeElementwise(values: number, ...data: ArrayLike<number>[]): FloatKernels | null {
  if (values < MIN_PASS_VALUES || !data.every((d) => d instanceof Float32Array)) return null;
  return trainingKernels();
}

/** `C[m, n] = A[m, k] · Bᵀ` with B given as [n, k] rows, on the compiled SGEMM. */
export function gemmNT(k: FloatKernels, a: Float32Array, b: Float32Array, n: number): Float32Array {
  const packed: PackedF32 = k.packRhs(b, n);
  return k.sgemm(a, packed);
}

/** `C[m, n] = A[m, k] · B` with B given as [k, n] rows (packed without a transpose). */
export function gemmNN(k: FloatKernels, a: Float32Array, b: Float32Array, n: number): Float32Array {
  return k.sgemm(a, k.packRhsKN(b, n));
}
