/**
 * The TFLite schema (version 3) as onebit reads and writes it: enum values
 * and the field ids of the tables, stated once. Field ids are vtable slots:
 * a union field takes two (its type, then its value). The operator codes and
 * the `BuiltinOptions` tables come from `_schema_generated.ts`, which
 * `deno task gen:schema` writes from LiteRT's copy of the schema: a new
 * builtin needs no edit here.
 * @module
 */
import {
  BUILTIN_NAMES,
  BUILTIN_OPTIONS as GENERATED_BUILTIN_OPTIONS,
  ENUMS,
  OPTION_TABLES as GENERATED_TABLES,
} from "./_schema_generated.ts";

/** The schema's enums by name (`Padding`, `ActivationFunctionType`, `TensorType`, ...): member name -> value. */
export { ENUMS as SCHEMA_ENUMS };
/** The name of one of the schema's enums. */
export type SchemaEnum = keyof typeof ENUMS;

const ENUM_NAMES = new Map<string, Map<number, string>>(
  Object.entries(ENUMS).map(([e, members]) => [e, new Map(Object.entries(members).map(([k, v]) => [v, k]))]),
);

/**
 * The member name of an enum value, e.g. `enumName("Padding", 0)` is `SAME`; a value the enum lacks reads
 * `Padding 7` (files written by a newer schema), so a reader can print it rather than fail.
 * @example
 * ```ts
 * import { enumName } from "./schema.ts";
 * console.log(enumName("ActivationFunctionType", 1), enumName("Padding", 7)); // RELU Padding 7
 * ```
 */
export function enumName(e: SchemaEnum, value: number): string {
  return ENUM_NAMES.get(e)?.get(value) ?? `${e} ${value}`;
}

/** TFLite `TensorType` values onebit knows, with their element size in bytes. */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
} as const;
export type TensorTypeName = keyof typeof TensorType;

/** The name of a tensor type code, e.g. `FLOAT32`, or `type 42` for codes the schema does not name. */
export function tensorTypeName(code: number): string {
  return ENUM_NAMES.get("TensorType")!.get(code) ?? `type ${code}`;
}

/** Bytes per element, or undefined for variable-size or unknown types. */
export function tensorTypeSize(code: number): number | undefined {
  switch (code) {
    case TensorType.FLOAT32:
    case TensorType.INT32:
      return 4;
    case TensorType.FLOAT16:
    case TensorType.INT16:
      return 2;
    case TensorType.UINT8:
    case TensorType.INT8:
    case TensorType.BOOL:
      return 1;
    case TensorType.INT64:
    case TensorType.FLOAT64:
    case TensorType.COMPLEX64:
      return 8;
    default:
      return undefined;
  }
}

/** TFLite `BuiltinOperator` names, as `_schema_generated.ts` lists them. */
export type BuiltinName = Exclude<typeof BUILTIN_NAMES[number], null>;

const NAMES: readonly (BuiltinName | null)[] = BUILTIN_NAMES;

/** Builtin operator codes by name (every `BuiltinOperator` of the schema). */
export const Builtin = Object.fromEntries(
  NAMES.flatMap((n, code) => n === null ? [] : [[n, code]]),
) as { [K in BuiltinName]: number };

/** The name of a builtin operator code, e.g. `CONV_2D`, or `BUILTIN_250` for codes the schema does not name. */
export function builtinName(code: number): string {
  return NAMES[code] ?? `BUILTIN_${code}`;
}

/** TFLite `Padding`. */
export const Padding: typeof ENUMS.Padding = ENUMS.Padding;
/** TFLite `ActivationFunctionType`. */
export const Activation: typeof ENUMS.ActivationFunctionType = ENUMS.ActivationFunctionType;
/** `CustomOptionsFormat`. */
export const CUSTOM_OPTIONS_FLEXBUFFERS = 0;

/** Numeric field kinds of option tables and their size in bytes. */
export const NUMERIC_KIND_SIZE = {
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  f32: 4,
  f64: 8,
} as const;
/** A numeric field kind: an integer of a size and sign, or a float. */
export type NumericKind = keyof typeof NUMERIC_KIND_SIZE;

/**
 * Field kinds of option tables: numbers (enums are their integer kind), booleans, strings and
 * vectors of numbers. 64-bit integers are read as JS numbers, and refused past `Number.MAX_SAFE_INTEGER`.
 */
export type FieldKind = NumericKind | "bool" | "string" | `${NumericKind}[]`;

/** The element kind of a vector field kind (`"i32[]"` gives `"i32"`), or null for scalars and strings. */
export function elementKind(kind: FieldKind): NumericKind | null {
  return kind.endsWith("[]") ? kind.slice(0, -2) as NumericKind : null;
}

/**
 * One option field: its name (TFLite's snake_case), vtable slot, kind, default (null: strings and vectors) and,
 * for enum-typed fields, the enum (`Padding`, `ActivationFunctionType`, `TensorType`, ...).
 */
export interface OptionField {
  readonly name: string;
  readonly slot: number;
  readonly kind: FieldKind;
  readonly default: number | boolean | null;
  readonly enum?: SchemaEnum;
}

/** An option table of the `BuiltinOptions` union: its union type id and its fields. */
export interface OptionTable {
  readonly typeId: number;
  readonly name: string;
  readonly fields: readonly OptionField[];
}

/**
 * Every table of the `BuiltinOptions` union, generated from the schema (`deno task gen:schema`).
 * Fields onebit cannot represent (tables, unions) are absent, so the reader skips them.
 */
export const OPTION_TABLES: readonly OptionTable[] = GENERATED_TABLES;

/** Option table by union type id. */
export const OPTION_TABLE_BY_ID: ReadonlyMap<number, OptionTable> = new Map(OPTION_TABLES.map((t) => [t.typeId, t]));

/** The option table (union type id) each builtin carries, by builtin code; ops absent here carry none. */
export const BUILTIN_OPTIONS: ReadonlyMap<number, number> = new Map(GENERATED_BUILTIN_OPTIONS);

/** vtable slots of the schema's tables. */
export const Slot = {
  Model: {
    version: 0,
    operator_codes: 1,
    subgraphs: 2,
    description: 3,
    buffers: 4,
    metadata_buffer: 5,
    metadata: 6,
    signature_defs: 7,
  },
  OperatorCode: { deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3 },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, is_variable: 5, sparsity: 6, shape_signature: 7 },
  Quantization: { min: 0, max: 1, scale: 2, zero_point: 3, details_type: 4, details: 5, quantized_dimension: 6 },
  Buffer: { data: 0, offset: 1, size: 2 },
  Operator: {
    opcode_index: 0,
    inputs: 1,
    outputs: 2,
    builtin_options_type: 3,
    builtin_options: 4,
    custom_options: 5,
    custom_options_format: 6,
    mutating_variable_inputs: 7,
    intermediates: 8,
    large_custom_options_offset: 9,
    large_custom_options_size: 10,
  },
  SignatureDef: { inputs: 0, outputs: 1, signature_key: 2, subgraph_index: 4 },
  TensorMap: { name: 0, tensor_index: 1 },
  Metadata: { name: 0, buffer: 1 },
} as const;

/** The file identifier TFLite writes at bytes 4..8. */
export const FILE_IDENTIFIER = "TFL3";
/** Schema version onebit reads and writes. */
export const SCHEMA_VERSION = 3;
