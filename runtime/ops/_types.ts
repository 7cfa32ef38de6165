/**
 * What an op kernel sees: its tensors' static facts at prepare time, and
 * typed-array views of their storage at run time.
 * @module
 */
import type { BinaryKernels } from "../../kernels/binary_kernels.ts";
import type { FloatKernels } from "../../kernels/float_kernels.ts";
import type { OptionValue } from "../../tflite/model.ts";

/** Storage of one tensor: a view of the arena or of a constant buffer. */
export type TensorData = Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | BigInt64Array;

/** A tensor as an op sees it while preparing. */
export interface TensorInfo {
  /** Index of the tensor in the subgraph. */
  index: number;
  /** The tensor's name in the file. */
  name: string;
  /** TensorType code. */
  type: number;
  /** Static shape. */
  shape: readonly number[];
  /** Data of a constant tensor (buffer-backed), null for activations. */
  constant: TensorData | null;
  /** Quantization parameters (int8/uint8 tensors). */
  scale: number[];
  /** Quantization zero points, one per scale. */
  zeroPoint: number[];
}

/** Everything `prepare` gets about one operator. */
export interface OpContext {
  /** e.g. `operator 12 (LceBconv2d)`, for messages. */
  readonly where: string;
  /** Inputs; null for an absent optional input (index -1). */
  readonly inputs: readonly (TensorInfo | null)[];
  /** The operator's outputs. */
  readonly outputs: readonly TensorInfo[];
  /** Decoded builtin options, or null. */
  readonly options: Record<string, OptionValue> | null;
  /** Decoded custom options (FlexBuffer map), or null. */
  readonly custom: Record<string, unknown> | null;
  /** The interpreter's binary kernels (bind to them at prepare). */
  readonly kernels: BinaryKernels;
  /** The interpreter's float kernels. */
  readonly float: FloatKernels;
  /** Threads the kernels may use (the interpreter's `numThreads`). */
  readonly threads: number;
  /** Throws a ModelValidationError naming this op. */
  invalid(message: string): never;
  /** Throws an UnsupportedModelError naming this op. */
  unsupported(message: string): never;
}

/** Views an op reads and writes when it runs. */
export interface OpIO {
  /** Input data; null for an absent optional input. */
  inputs: readonly (TensorData | null)[];
  /** Output views into the arena, to fill. */
  outputs: readonly TensorData[];
  /** Shared scratch of at least the bytes the op asked for, 64-byte aligned; its contents do not persist. */
  scratch: ArrayBuffer;
}

/** A prepared op: its run function and the facts the planner needs. */
export interface PreparedOp {
  /** Output shapes it will produce (checked against the file's declared shapes). */
  outputShapes: number[][];
  /** Scratch bytes needed while running. */
  scratchBytes?: number;
  /**
   * Inputs (by position) whose constant data the op copied or packed at
   * prepare and never reads at run time: the interpreter frees them when no
   * other op needs them.
   */
  packedInputs?: number[];
  /** Bytes the op keeps of its own (packed weights, padded per-channel arrays). */
  ownedBytes?: number;
  /** Computes the outputs from the inputs; must not allocate what prepare could. */
  run(io: OpIO): void;
}

/** One op implementation. */
export interface OpKernel {
  /** Validates the op (types, shapes, options) and precomputes what it can (packed weights). */
  prepare(ctx: OpContext): PreparedOp;
}
