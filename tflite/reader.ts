/**
 * Reads a `.tflite` file into a {@link TfliteModel}, verifying the
 * flatbuffer as it goes: every offset, vtable, vector and string is
 * bounds-checked, so malformed bytes raise a {@link ModelFormatError} naming
 * the path of the bad field, never an out-of-bounds read later.
 * @module
 */
import { ModelFormatError } from "./errors.ts";
import type {
  Metadata,
  Operator,
  OperatorCode,
  OptionValue,
  Quantization,
  SignatureDef,
  Subgraph,
  Tensor,
  TensorMap,
  TfliteModel,
} from "./model.ts";
import {
  elementKind,
  FILE_IDENTIFIER,
  NUMERIC_KIND_SIZE,
  type NumericKind,
  OPTION_TABLE_BY_ID,
  type OptionTable,
  Slot,
} from "./schema.ts";

const decoder = new TextDecoder("utf-8", { fatal: false });
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A verified table: its position and vtable, with bounds-checked field access. */
class Table {
  readonly #r: Reader;
  readonly path: string;
  readonly #pos: number;
  readonly #vt: number;
  readonly #vtSize: number;
  readonly #size: number;

  constructor(r: Reader, pos: number, path: string) {
    this.#r = r;
    this.path = path;
    if (pos % 4 !== 0) r.fail(path, `table at byte ${pos} is not 4-byte aligned`);
    r.need(path, pos, 4);
    const vt = pos - r.view.getInt32(pos, true);
    if (vt < 0 || vt % 2 !== 0) r.fail(path, `vtable offset points to byte ${vt}, outside the file or misaligned`);
    r.need(path, vt, 4);
    this.#vtSize = r.view.getUint16(vt, true);
    this.#size = r.view.getUint16(vt + 2, true);
    if (this.#vtSize < 4 || this.#vtSize % 2 !== 0) r.fail(path, `vtable size ${this.#vtSize} is invalid`);
    r.need(path, vt, this.#vtSize);
    if (this.#size < 4) r.fail(path, `table size ${this.#size} is invalid`);
    r.need(path, pos, this.#size);
    this.#pos = pos;
    this.#vt = vt;
    r.spend(path, 1);
  }

  /** Absolute position of a field of `width` bytes, or 0 when absent. */
  #field(slot: number, width: number, name: string): number {
    const at = 4 + 2 * slot;
    if (at + 2 > this.#vtSize) return 0;
    const off = this.#r.view.getUint16(this.#vt + at, true);
    if (off === 0) return 0;
    if (off + width > this.#size) {
      this.#r.fail(`${this.path}.${name}`, `field extends past its table (offset ${off}, table size ${this.#size})`);
    }
    return this.#pos + off;
  }

  has(slot: number, name = `field ${slot}`): boolean {
    return this.#field(slot, 1, name) !== 0;
  }

  u8(slot: number, name: string, def = 0): number {
    const p = this.#field(slot, 1, name);
    return p === 0 ? def : this.#r.view.getUint8(p);
  }

  i8(slot: number, name: string, def = 0): number {
    const p = this.#field(slot, 1, name);
    return p === 0 ? def : this.#r.view.getInt8(p);
  }

  bool(slot: number, name: string, def = false): boolean {
    const p = this.#field(slot, 1, name);
    return p === 0 ? def : this.#r.view.getUint8(p) !== 0;
  }

  i32(slot: number, name: string, def = 0): number {
    const p = this.#field(slot, 4, name);
    return p === 0 ? def : this.#r.view.getInt32(p, true);
  }

  u32(slot: number, name: string, def = 0): number {
    const p = this.#field(slot, 4, name);
    return p === 0 ? def : this.#r.view.getUint32(p, true);
  }

  f32(slot: number, name: string, def = 0): number {
    const p = this.#field(slot, 4, name);
    return p === 0 ? def : this.#r.view.getFloat32(p, true);
  }

  u64(slot: number, name: string): number {
    return this.number(slot, name, "u64");
  }

  /** A scalar of any numeric kind; 64-bit integers must be safe JS integers. */
  number(slot: number, name: string, kind: NumericKind, def = 0): number {
    const p = this.#field(slot, NUMERIC_KIND_SIZE[kind], name);
    return p === 0 ? def : this.#r.number(kind, p, `${this.path}.${name}`);
  }

  /** Position of what an offset field points to, or 0 when absent. */
  #target(slot: number, name: string): number {
    const p = this.#field(slot, 4, name);
    if (p === 0) return 0;
    const t = p + this.#r.view.getUint32(p, true);
    this.#r.need(`${this.path}.${name}`, t, 4);
    return t;
  }

  table(slot: number, name: string): Table | null {
    const t = this.#target(slot, name);
    return t === 0 ? null : new Table(this.#r, t, `${this.path}.${name}`);
  }

  string(slot: number, name: string): string | null {
    const t = this.#target(slot, name);
    return t === 0 ? null : this.#r.string(t, `${this.path}.${name}`);
  }

  /** A vector of scalars: its element count and the position of element 0. */
  #vector(slot: number, name: string, elemSize: number): { at: number; length: number } | null {
    const t = this.#target(slot, name);
    if (t === 0) return null;
    const path = `${this.path}.${name}`;
    if (t % 4 !== 0) this.#r.fail(path, `vector at byte ${t} is not 4-byte aligned`);
    const length = this.#r.view.getUint32(t, true);
    this.#r.need(path, t + 4, length * elemSize);
    this.#r.spend(path, length);
    return { at: t + 4, length };
  }

  bytes(slot: number, name: string): Uint8Array | null {
    const v = this.#vector(slot, name, 1);
    return v === null ? null : this.#r.bytes.subarray(v.at, v.at + v.length);
  }

  i32s(slot: number, name: string): number[] | null {
    const v = this.#vector(slot, name, 4);
    if (v === null) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.#r.view.getInt32(v.at + 4 * i, true);
    return out;
  }

  f32s(slot: number, name: string): number[] | null {
    const v = this.#vector(slot, name, 4);
    if (v === null) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.#r.view.getFloat32(v.at + 4 * i, true);
    return out;
  }

  i64s(slot: number, name: string): number[] | null {
    return this.numbers(slot, name, "i64");
  }

  /** A vector of any numeric kind; 64-bit integers must be safe JS integers. */
  numbers(slot: number, name: string, kind: NumericKind): number[] | null {
    const size = NUMERIC_KIND_SIZE[kind];
    const v = this.#vector(slot, name, size);
    if (v === null) return null;
    const path = `${this.path}.${name}`;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.#r.number(kind, v.at + size * i, path);
    return out;
  }

  /** Bytes stored after the flatbuffer, at an absolute file offset (files past 2 GB do this). */
  outOfLine(offset: number, size: number, name: string): Uint8Array {
    this.#r.need(`${this.path}.${name}`, offset, size);
    return this.#r.bytes.subarray(offset, offset + size);
  }

  tables(slot: number, name: string): Table[] {
    const v = this.#vector(slot, name, 4);
    if (v === null) return [];
    const out = new Array<Table>(v.length);
    for (let i = 0; i < v.length; i++) {
      const p = v.at + 4 * i;
      const t = p + this.#r.view.getUint32(p, true);
      out[i] = new Table(this.#r, t, `${this.path}.${name}[${i}]`);
    }
    return out;
  }
}

/** Bounds checks and a work budget over one file's bytes. */
class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Elements and tables left to decode: bounds the work a file can ask for through shared offsets. */
  #budget: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#budget = 4 * bytes.byteLength + 1_000_000;
  }

  fail(path: string, message: string): never {
    throw new ModelFormatError(path, message);
  }

  need(path: string, at: number, size: number): void {
    if (at < 0 || size < 0 || at + size > this.bytes.byteLength) {
      this.fail(path, `reads bytes [${at}, ${at + size}) past the end of the ${this.bytes.byteLength}-byte file`);
    }
  }

  spend(path: string, n: number): void {
    this.#budget -= n;
    if (this.#budget < 0) this.fail(path, "the file references the same data too many times to be a real model");
  }

  /** The number of `kind` at `at` (bounds already checked); 64-bit integers past 2^53 fail. */
  number(kind: NumericKind, at: number, path: string): number {
    const v = this.view;
    switch (kind) {
      case "i8":
        return v.getInt8(at);
      case "u8":
        return v.getUint8(at);
      case "i16":
        return v.getInt16(at, true);
      case "u16":
        return v.getUint16(at, true);
      case "i32":
        return v.getInt32(at, true);
      case "u32":
        return v.getUint32(at, true);
      case "f32":
        return v.getFloat32(at, true);
      case "f64":
        return v.getFloat64(at, true);
      case "i64":
      case "u64": {
        const big = kind === "i64" ? v.getBigInt64(at, true) : v.getBigUint64(at, true);
        if (big > MAX_SAFE || big < -MAX_SAFE) {
          this.fail(path, `${kind} value ${big} is outside JavaScript's safe integer range (±2^53 - 1)`);
        }
        return Number(big);
      }
    }
  }

  string(at: number, path: string): string {
    const length = this.view.getUint32(at, true);
    this.need(path, at + 4, length + 1);
    if (this.bytes[at + 4 + length] !== 0) this.fail(path, "string is not NUL-terminated");
    this.spend(path, length);
    return decoder.decode(this.bytes.subarray(at + 4, at + 4 + length));
  }
}

/** Decodes an options table by its spec; every field comes out, absent ones as their default. */
function readOptions(t: Table | null, spec: OptionTable | undefined): Record<string, OptionValue> | null {
  if (t === null || spec === undefined) return null;
  const out: Record<string, OptionValue> = {};
  for (const f of spec.fields) {
    const element = elementKind(f.kind);
    if (element !== null) out[f.name] = t.numbers(f.slot, f.name, element);
    else if (f.kind === "bool") out[f.name] = t.bool(f.slot, f.name, f.default === true);
    else if (f.kind === "string") out[f.name] = t.string(f.slot, f.name);
    else out[f.name] = t.number(f.slot, f.name, f.kind as NumericKind, typeof f.default === "number" ? f.default : 0);
  }
  return out;
}

function readOperator(t: Table): Operator {
  const S = Slot.Operator;
  const builtinOptionsType = t.u8(S.builtin_options_type, "builtin_options_type");
  // Options of a type onebit does not decode stay null; the runtime rejects such ops by name.
  const builtinOptions = builtinOptionsType === 0
    ? null
    : readOptions(t.table(S.builtin_options, "builtin_options"), OPTION_TABLE_BY_ID.get(builtinOptionsType));
  let customOptions = t.bytes(S.custom_options, "custom_options");
  const largeSize = t.u64(S.large_custom_options_size, "large_custom_options_size");
  if (customOptions === null && largeSize > 0) {
    // Files past 2 GB keep custom options after the flatbuffer, at an offset from the file start.
    const off = t.u64(S.large_custom_options_offset, "large_custom_options_offset");
    customOptions = t.outOfLine(off, largeSize, "large_custom_options");
  }
  return {
    opcodeIndex: t.u32(S.opcode_index, "opcode_index"),
    inputs: t.i32s(S.inputs, "inputs") ?? [],
    outputs: t.i32s(S.outputs, "outputs") ?? [],
    builtinOptionsType,
    builtinOptions,
    customOptions,
  };
}

function readQuantization(t: Table | null): Quantization | null {
  if (t === null) return null;
  const Q = Slot.Quantization;
  const scale = t.f32s(Q.scale, "scale") ?? [];
  const zeroPoint = t.i64s(Q.zero_point, "zero_point") ?? [];
  if (scale.length === 0 && zeroPoint.length === 0) return null;
  return { scale, zeroPoint, quantizedDimension: t.i32(Q.quantized_dimension, "quantized_dimension") };
}

function readTensor(t: Table): Tensor {
  const S = Slot.Tensor;
  return {
    name: t.string(S.name, "name") ?? "",
    shape: t.i32s(S.shape, "shape") ?? [],
    shapeSignature: t.i32s(S.shape_signature, "shape_signature"),
    type: t.i8(S.type, "type"),
    buffer: t.u32(S.buffer, "buffer"),
    quantization: readQuantization(t.table(S.quantization, "quantization")),
    isVariable: t.bool(S.is_variable, "is_variable"),
    ...(t.has(S.sparsity, "sparsity") ? { sparse: true } : {}),
  };
}

function readSubgraph(t: Table): Subgraph {
  const S = Slot.SubGraph;
  return {
    name: t.string(S.name, "name") ?? "",
    tensors: t.tables(S.tensors, "tensors").map(readTensor),
    inputs: t.i32s(S.inputs, "inputs") ?? [],
    outputs: t.i32s(S.outputs, "outputs") ?? [],
    operators: t.tables(S.operators, "operators").map(readOperator),
  };
}

function readOperatorCode(t: Table): OperatorCode {
  const S = Slot.OperatorCode;
  const deprecated = t.i8(S.deprecated_builtin_code, "deprecated_builtin_code");
  const extended = t.i32(S.builtin_code, "builtin_code");
  return {
    builtinCode: Math.max(deprecated, extended),
    customCode: t.string(S.custom_code, "custom_code"),
    version: t.i32(S.version, "version", 1),
  };
}

function readTensorMap(t: Table): TensorMap {
  return {
    name: t.string(Slot.TensorMap.name, "name") ?? "",
    tensorIndex: t.u32(Slot.TensorMap.tensor_index, "tensor_index"),
  };
}

function readSignature(t: Table): SignatureDef {
  const S = Slot.SignatureDef;
  return {
    signatureKey: t.string(S.signature_key, "signature_key") ?? "",
    subgraphIndex: t.u32(S.subgraph_index, "subgraph_index"),
    inputs: t.tables(S.inputs, "inputs").map(readTensorMap),
    outputs: t.tables(S.outputs, "outputs").map(readTensorMap),
  };
}

function readBuffer(t: Table): Uint8Array {
  const S = Slot.Buffer;
  const data = t.bytes(S.data, "data");
  if (data !== null && data.length > 0) return data;
  const offset = t.u64(S.offset, "offset");
  const size = t.u64(S.size, "size");
  if (offset <= 1 || size === 0) return new Uint8Array(0); // offset 1 is TFLite's "no data" sentinel
  return t.outOfLine(offset, size, "offset");
}

/**
 * Decodes and verifies a `.tflite` flatbuffer. Buffer data in the result are
 * views of `bytes` (no copies).
 *
 * @example
 * ```ts
 * import { readModel } from "./reader.ts";
 * import { ModelFormatError } from "./errors.ts";
 * try {
 *   readModel(new Uint8Array(8));
 * } catch (e) {
 *   if (!(e instanceof ModelFormatError)) throw e;
 * }
 * ```
 */
export function readModel(bytes: Uint8Array): TfliteModel {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("bytes must be a Uint8Array with the contents of a .tflite file");
  }
  const r = new Reader(bytes);
  if (bytes.byteLength < 12) r.fail("file", `${bytes.byteLength} bytes is too short for a TFLite model`);
  const ident = decoder.decode(bytes.subarray(4, 8));
  if (ident !== FILE_IDENTIFIER) {
    r.fail("file", `identifier is ${JSON.stringify(ident)}, expected "${FILE_IDENTIFIER}": not a TFLite model`);
  }
  const root = new Table(r, r.view.getUint32(0, true), "model");
  const M = Slot.Model;
  return {
    version: root.u32(M.version, "version"),
    description: root.string(M.description, "description") ?? "",
    operatorCodes: root.tables(M.operator_codes, "operator_codes").map(readOperatorCode),
    subgraphs: root.tables(M.subgraphs, "subgraphs").map(readSubgraph),
    buffers: root.tables(M.buffers, "buffers").map(readBuffer),
    signatureDefs: root.tables(M.signature_defs, "signature_defs").map(readSignature),
    metadata: root.tables(M.metadata, "metadata").map((t): Metadata => ({
      name: t.string(Slot.Metadata.name, "name") ?? "",
      buffer: t.u32(Slot.Metadata.buffer, "buffer"),
    })),
  };
}
