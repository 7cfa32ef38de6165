/**
 * Writes a {@link TfliteModel} as a `.tflite` flatbuffer (schema version 3,
 * identifier `TFL3`), with the npm `flatbuffers` Builder. Buffer data are
 * 16-byte aligned as the schema asks (`force_align: 16`).
 * @module
 */
import { Builder } from "../_deps.ts";
import type { Operator, Subgraph, Tensor, TfliteModel } from "./model.ts";
import {
  elementKind,
  FILE_IDENTIFIER,
  NUMERIC_KIND_SIZE,
  type NumericKind,
  OPTION_TABLE_BY_ID,
  type OptionField,
  Slot,
} from "./schema.ts";

/** The Builder's internals that an aligned byte vector needs (the public createByteVector aligns to 1). */
interface BuilderInternals {
  space: number;
  bb: { setPosition(p: number): void; bytes(): Uint8Array };
}

function alignedBytes(b: Builder, data: Uint8Array, alignment: number): number {
  b.startVector(1, data.length, alignment);
  const internals = b as unknown as BuilderInternals;
  internals.space -= data.length;
  internals.bb.setPosition(internals.space);
  internals.bb.bytes().set(data, internals.space);
  return b.endVector();
}

function i32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function f32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function i64Vector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A 64-bit integer field's value as a bigint; throws a RangeError naming the field for non-integers. */
function int64(value: number, where: string, f: OptionField): bigint {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${where}: option ${f.name} = ${value} is not a safe integer (${f.kind})`);
  }
  return BigInt(value);
}

/** Appends one number of `kind` (inside a vector being built). */
function addNumber(b: Builder, kind: NumericKind, value: number, where: string, f: OptionField): void {
  switch (kind) {
    case "i8":
    case "u8":
      return b.addInt8(value);
    case "i16":
    case "u16":
      return b.addInt16(value);
    case "i32":
    case "u32":
      return b.addInt32(value);
    case "i64":
    case "u64":
      return b.addInt64(int64(value, where, f));
    case "f32":
      return b.addFloat32(value);
    case "f64":
      return b.addFloat64(value);
  }
}

/** Adds one numeric field, left out when it equals its default. */
function addNumberField(b: Builder, f: OptionField, kind: NumericKind, value: number, where: string): void {
  const def = typeof f.default === "number" ? f.default : 0;
  switch (kind) {
    case "i8":
    case "u8":
      return b.addFieldInt8(f.slot, value, def);
    case "i16":
    case "u16":
      return b.addFieldInt16(f.slot, value, def);
    case "i32":
    case "u32":
      return b.addFieldInt32(f.slot, value, def);
    case "i64":
    case "u64":
      return b.addFieldInt64(f.slot, int64(value, where, f), BigInt(def));
    case "f32":
      return b.addFieldFloat32(f.slot, value, def);
    case "f64":
      return b.addFieldFloat64(f.slot, value, def);
  }
}

function writeOptions(b: Builder, op: Operator, where: string): number {
  const spec = OPTION_TABLE_BY_ID.get(op.builtinOptionsType);
  if (spec === undefined) {
    throw new RangeError(`${where}: builtin options type ${op.builtinOptionsType} is not writable`);
  }
  const values = op.builtinOptions ?? {};
  // Strings and vectors first: the Builder cannot nest them inside an open table.
  const offsets = new Map<string, number>();
  for (const f of spec.fields) {
    const v = values[f.name];
    const element = elementKind(f.kind);
    if (element !== null && Array.isArray(v)) {
      const size = NUMERIC_KIND_SIZE[element];
      b.startVector(size, v.length, size);
      for (let i = v.length - 1; i >= 0; i--) addNumber(b, element, Number(v[i]), where, f);
      offsets.set(f.name, b.endVector());
    } else if (f.kind === "string" && typeof v === "string") {
      offsets.set(f.name, b.createString(v));
    }
  }
  b.startObject(spec.fields.length === 0 ? 0 : Math.max(...spec.fields.map((f) => f.slot)) + 1);
  for (const f of spec.fields) {
    const v = values[f.name] ?? f.default;
    if (f.kind === "bool") b.addFieldInt8(f.slot, v ? 1 : 0, f.default ? 1 : 0);
    else if (f.kind === "string" || elementKind(f.kind) !== null) {
      const offset = offsets.get(f.name);
      if (offset !== undefined) b.addFieldOffset(f.slot, offset, 0);
    } else addNumberField(b, f, f.kind as NumericKind, Number(v), where);
  }
  return b.endObject();
}

function writeOperator(b: Builder, op: Operator, where: string): number {
  const S = Slot.Operator;
  const inputs = i32Vector(b, op.inputs);
  const outputs = i32Vector(b, op.outputs);
  const options = op.builtinOptionsType === 0 ? 0 : writeOptions(b, op, where);
  const custom = op.customOptions === null ? 0 : alignedBytes(b, op.customOptions, 1);
  b.startObject(S.custom_options_format + 1);
  b.addFieldInt32(S.opcode_index, op.opcodeIndex, 0);
  b.addFieldOffset(S.inputs, inputs, 0);
  b.addFieldOffset(S.outputs, outputs, 0);
  if (options !== 0) {
    b.addFieldInt8(S.builtin_options_type, op.builtinOptionsType, 0);
    b.addFieldOffset(S.builtin_options, options, 0);
  }
  if (custom !== 0) b.addFieldOffset(S.custom_options, custom, 0);
  return b.endObject();
}

function writeTensor(b: Builder, t: Tensor): number {
  const S = Slot.Tensor;
  const name = b.createString(t.name);
  const shape = i32Vector(b, t.shape);
  const signature = t.shapeSignature === null ? 0 : i32Vector(b, t.shapeSignature);
  let quantization = 0;
  if (t.quantization !== null) {
    const Q = Slot.Quantization;
    const scale = f32Vector(b, t.quantization.scale);
    const zeroPoint = i64Vector(b, t.quantization.zeroPoint);
    b.startObject(Q.quantized_dimension + 1);
    b.addFieldOffset(Q.scale, scale, 0);
    b.addFieldOffset(Q.zero_point, zeroPoint, 0);
    b.addFieldInt32(Q.quantized_dimension, t.quantization.quantizedDimension, 0);
    quantization = b.endObject();
  }
  b.startObject(S.shape_signature + 1);
  b.addFieldOffset(S.shape, shape, 0);
  b.addFieldInt8(S.type, t.type, 0);
  b.addFieldInt32(S.buffer, t.buffer, 0);
  b.addFieldOffset(S.name, name, 0);
  if (quantization !== 0) b.addFieldOffset(S.quantization, quantization, 0);
  b.addFieldInt8(S.is_variable, t.isVariable ? 1 : 0, 0);
  if (signature !== 0) b.addFieldOffset(S.shape_signature, signature, 0);
  return b.endObject();
}

function writeSubgraph(b: Builder, g: Subgraph, index: number): number {
  const S = Slot.SubGraph;
  const tensors = offsetVector(b, g.tensors.map((t) => writeTensor(b, t)));
  const inputs = i32Vector(b, g.inputs);
  const outputs = i32Vector(b, g.outputs);
  const operators = offsetVector(
    b,
    g.operators.map((op, i) => writeOperator(b, op, `subgraphs[${index}].operators[${i}]`)),
  );
  const name = b.createString(g.name);
  b.startObject(S.name + 1);
  b.addFieldOffset(S.tensors, tensors, 0);
  b.addFieldOffset(S.inputs, inputs, 0);
  b.addFieldOffset(S.outputs, outputs, 0);
  b.addFieldOffset(S.operators, operators, 0);
  b.addFieldOffset(S.name, name, 0);
  return b.endObject();
}

/**
 * Encodes a model as `.tflite` bytes.
 *
 * @example
 * ```ts
 * import { writeModel } from "./writer.ts";
 * import { readModel } from "./reader.ts";
 * const bytes = writeModel({
 *   version: 3, description: "empty", operatorCodes: [], buffers: [new Uint8Array(0)],
 *   subgraphs: [{ name: "main", tensors: [], inputs: [], outputs: [], operators: [] }],
 *   signatureDefs: [], metadata: [],
 * });
 * if (readModel(bytes).description !== "empty") throw new Error("round trip failed");
 * ```
 */
export function writeModel(model: TfliteModel): Uint8Array {
  const b = new Builder(1024 + model.buffers.reduce((n, d) => n + d.length + 32, 0));
  const M = Slot.Model;
  // Large data first, so the tables that point to them are written after.
  const buffers = offsetVector(
    b,
    model.buffers.map((data) => {
      const vec = data.length === 0 ? 0 : alignedBytes(b, data, 16);
      b.startObject(Slot.Buffer.data + 1);
      if (vec !== 0) b.addFieldOffset(Slot.Buffer.data, vec, 0);
      return b.endObject();
    }),
  );
  const codes = offsetVector(
    b,
    model.operatorCodes.map((c) => {
      const S = Slot.OperatorCode;
      const custom = c.customCode === null ? 0 : b.createString(c.customCode);
      b.startObject(S.builtin_code + 1);
      b.addFieldInt8(S.deprecated_builtin_code, Math.min(c.builtinCode, 127), 0);
      if (custom !== 0) b.addFieldOffset(S.custom_code, custom, 0);
      b.addFieldInt32(S.version, c.version, 1);
      b.addFieldInt32(S.builtin_code, c.builtinCode, 0);
      return b.endObject();
    }),
  );
  const subgraphs = offsetVector(b, model.subgraphs.map((g, i) => writeSubgraph(b, g, i)));
  const signatures = offsetVector(
    b,
    model.signatureDefs.map((s) => {
      const S = Slot.SignatureDef;
      const maps = (list: typeof s.inputs) =>
        offsetVector(
          b,
          list.map((m) => {
            const name = b.createString(m.name);
            b.startObject(2);
            b.addFieldOffset(Slot.TensorMap.name, name, 0);
            b.addFieldInt32(Slot.TensorMap.tensor_index, m.tensorIndex, 0);
            return b.endObject();
          }),
        );
      const inputs = maps(s.inputs);
      const outputs = maps(s.outputs);
      const key = b.createString(s.signatureKey);
      b.startObject(S.subgraph_index + 1);
      b.addFieldOffset(S.inputs, inputs, 0);
      b.addFieldOffset(S.outputs, outputs, 0);
      b.addFieldOffset(S.signature_key, key, 0);
      b.addFieldInt32(S.subgraph_index, s.subgraphIndex, 0);
      return b.endObject();
    }),
  );
  const metadata = offsetVector(
    b,
    model.metadata.map((m) => {
      const name = b.createString(m.name);
      b.startObject(2);
      b.addFieldOffset(Slot.Metadata.name, name, 0);
      b.addFieldInt32(Slot.Metadata.buffer, m.buffer, 0);
      return b.endObject();
    }),
  );
  const description = b.createString(model.description);
  b.startObject(M.signature_defs + 1);
  b.addFieldInt32(M.version, model.version, 0);
  b.addFieldOffset(M.operator_codes, codes, 0);
  b.addFieldOffset(M.subgraphs, subgraphs, 0);
  b.addFieldOffset(M.description, description, 0);
  b.addFieldOffset(M.buffers, buffers, 0);
  b.addFieldOffset(M.metadata, metadata, 0);
  b.addFieldOffset(M.signature_defs, signatures, 0);
  b.finish(b.endObject(), FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}
