/**
 * The first step of loading a model: checks of the whole subgraph that do
 * not depend on any op's kernel (schema version, tensor types, shapes and
 * buffer sizes, indices, options' union types, execution order).
 * @module
 */
import { ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import type { Operator, Tensor, TfliteModel } from "../tflite/model.ts";
import { Builtin, BUILTIN_OPTIONS, builtinName, TensorType, tensorTypeName } from "../tflite/schema.ts";
import type { TensorData } from "./ops/_types.ts";
import { product } from "./ops/_util.ts";

/** Largest tensor, and largest arena, the interpreter allocates (bytes). */
export const MAX_TENSOR_BYTES = 2 ** 31 - 1;
export const MAX_ARENA_BYTES = 2 ** 32;
/** Tensors per subgraph (the arena planner is quadratic in them). */
const MAX_TENSORS = 65536;

/** The typed array of a tensor type. */
export type DataCtor = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorData;
  BYTES_PER_ELEMENT: number;
};

/** The typed array holding a tensor type, undefined for types the runtime does not run. */
export function dataCtor(type: number): DataCtor | undefined {
  switch (type) {
    case TensorType.FLOAT32:
      return Float32Array;
    case TensorType.INT32:
      return Int32Array;
    case TensorType.INT8:
      return Int8Array;
    case TensorType.UINT8:
    case TensorType.BOOL:
      return Uint8Array;
    case TensorType.INT16:
    case TensorType.FLOAT16:
      return Int16Array;
    case TensorType.INT64:
      return BigInt64Array as unknown as DataCtor;
    case TensorType.FLOAT64:
      return Float64Array as unknown as DataCtor;
    default:
      return undefined;
  }
}

/** `LceBconv2d`, `CONV_2D`, ... (`opcode 7` for an opcode index past the table). */
export function opName(model: TfliteModel, op: Operator): string {
  const code = model.operatorCodes[op.opcodeIndex];
  if (code === undefined) return `opcode ${op.opcodeIndex}`;
  return code.builtinCode === Builtin.CUSTOM ? code.customCode ?? "CUSTOM" : builtinName(code.builtinCode);
}

/** `operator 3 (CONV_2D)`, for messages. */
export function opLabel(model: TfliteModel, op: Operator, i: number): string {
  return `operator ${i} (${opName(model, op)})`;
}

/** `tensor 5 "conv/out"`, for messages. */
export function tensorLabel(t: Tensor, i: number): string {
  return `tensor ${i} "${t.name}"`;
}

/** Checks indices, types, buffer sizes and execution order of subgraph 0. */
export function validateGraph(model: TfliteModel): void {
  if (model.version !== 3) {
    throw new UnsupportedModelError("model", `schema version ${model.version}; this runtime reads version 3 files`);
  }
  if (model.subgraphs.length === 0) throw new ModelValidationError("model", "has no subgraph");
  const g = model.subgraphs[0];
  const n = g.tensors.length;
  g.tensors.forEach((t, i) => {
    const where = tensorLabel(t, i);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ModelValidationError(
        where,
        `shape [${t.shape}] has a negative dimension; fix the batch size when converting`,
      );
    }
    const ctor = dataCtor(t.type);
    if (ctor === undefined) throw new UnsupportedModelError(where, `type ${tensorTypeName(t.type)} is not supported`);
    const size = ctor.BYTES_PER_ELEMENT;
    // !(<=) also catches NaN (e.g. a huge dimension times 0).
    if (!(product(t.shape) * size <= MAX_TENSOR_BYTES)) {
      throw new ModelValidationError(
        where,
        `shape [${t.shape}] is ${product(t.shape) * size} bytes, past the 2 GiB limit`,
      );
    }
    if (t.buffer >= model.buffers.length) {
      throw new ModelValidationError(where, `buffer ${t.buffer} does not exist (the file has ${model.buffers.length})`);
    }
    const data = model.buffers[t.buffer];
    if (data.length > 0 && data.length !== product(t.shape) * size) {
      throw new ModelValidationError(
        where,
        `constant data has ${data.length} bytes, shape [${t.shape}] of ${tensorTypeName(t.type)} needs ${
          product(t.shape) * size
        }`,
      );
    }
    if (t.isVariable) throw new UnsupportedModelError(where, "variable tensors are not supported");
    if (t.sparse) throw new UnsupportedModelError(where, "sparse tensors are not supported; convert without sparsity");
  });
  if (g.tensors.length > MAX_TENSORS) {
    throw new UnsupportedModelError(
      "subgraph 0",
      `${g.tensors.length} tensors are more than the ${MAX_TENSORS} supported`,
    );
  }
  const checkIndex = (where: string, what: string, idx: number, optional: boolean) => {
    if (!Number.isInteger(idx) || idx >= n || idx < (optional ? -1 : 0)) {
      throw new ModelValidationError(where, `${what} refers to tensor ${idx}; the subgraph has ${n} tensors`);
    }
  };
  g.inputs.forEach((i, k) => checkIndex("subgraph 0", `input ${k}`, i, false));
  g.outputs.forEach((i, k) => checkIndex("subgraph 0", `output ${k}`, i, false));
  const available = new Uint8Array(n);
  g.tensors.forEach((t, i) => {
    if (model.buffers[t.buffer].length > 0) available[i] = 1;
  });
  for (const i of g.inputs) {
    if (available[i]) {
      throw new ModelValidationError(
        tensorLabel(g.tensors[i], i),
        "is a model input but has constant data in the file",
      );
    }
    available[i] = 1;
  }
  g.operators.forEach((op, k) => {
    const where = opLabel(model, op, k);
    if (op.opcodeIndex >= model.operatorCodes.length) {
      throw new ModelValidationError(where, `opcode index ${op.opcodeIndex} does not exist`);
    }
    const code = model.operatorCodes[op.opcodeIndex].builtinCode;
    const expected = BUILTIN_OPTIONS.get(code) ?? 0;
    if (code !== Builtin.CUSTOM && op.builtinOptionsType !== 0 && op.builtinOptionsType !== expected) {
      throw new ModelValidationError(
        where,
        `carries builtin options of union type ${op.builtinOptionsType}, ${builtinName(code)} takes type ${expected}`,
      );
    }
    op.inputs.forEach((i, j) => {
      checkIndex(where, `input ${j}`, i, true);
      if (i >= 0 && !available[i]) {
        throw new ModelValidationError(
          where,
          `input ${j} reads ${
            tensorLabel(g.tensors[i], i)
          } before any earlier operator produces it (a cycle or an out-of-order graph)`,
        );
      }
    });
    op.outputs.forEach((i, j) => {
      checkIndex(where, `output ${j}`, i, false);
      if (available[i]) {
        throw new ModelValidationError(
          where,
          `output ${j} writes ${
            tensorLabel(g.tensors[i], i)
          }, which is a constant, a model input or another operator's output`,
        );
      }
      available[i] = 1;
    });
  });
  g.outputs.forEach((i, k) => {
    if (!available[i]) throw new ModelValidationError("subgraph 0", `output ${k} (tensor ${i}) is never computed`);
  });
}
