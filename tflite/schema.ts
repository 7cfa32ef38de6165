/**
 * The part of the TFLite schema (version 3) that onebit reads and writes:
 * enum values and the field ids of the tables, stated once. Field ids are
 * vtable slots: a union field takes two (its type, then its value).
 * @module
 */

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

const TENSOR_TYPE_NAMES = Object.fromEntries(Object.entries(TensorType).map(([k, v]) => [v, k])) as Record<
  number,
  TensorTypeName
>;

/** The name of a tensor type code, e.g. `FLOAT32`, or `type 42` for codes onebit does not know. */
export function tensorTypeName(code: number): string {
  return TENSOR_TYPE_NAMES[code] ?? `type ${code}`;
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

/** TFLite `BuiltinOperator` codes (the full list up to HARD_SWISH, for names in messages). */
const BUILTIN_NAMES = [
  "ADD",
  "AVERAGE_POOL_2D",
  "CONCATENATION",
  "CONV_2D",
  "DEPTHWISE_CONV_2D",
  "DEPTH_TO_SPACE",
  "DEQUANTIZE",
  "EMBEDDING_LOOKUP",
  "FLOOR",
  "FULLY_CONNECTED",
  "HASHTABLE_LOOKUP",
  "L2_NORMALIZATION",
  "L2_POOL_2D",
  "LOCAL_RESPONSE_NORMALIZATION",
  "LOGISTIC",
  "LSH_PROJECTION",
  "LSTM",
  "MAX_POOL_2D",
  "MUL",
  "RELU",
  "RELU_N1_TO_1",
  "RELU6",
  "RESHAPE",
  "RESIZE_BILINEAR",
  "RNN",
  "SOFTMAX",
  "SPACE_TO_DEPTH",
  "SVDF",
  "TANH",
  "CONCAT_EMBEDDINGS",
  "SKIP_GRAM",
  "CALL",
  "CUSTOM",
  "EMBEDDING_LOOKUP_SPARSE",
  "PAD",
  "UNIDIRECTIONAL_SEQUENCE_RNN",
  "GATHER",
  "BATCH_TO_SPACE_ND",
  "SPACE_TO_BATCH_ND",
  "TRANSPOSE",
  "MEAN",
  "SUB",
  "DIV",
  "SQUEEZE",
  "UNIDIRECTIONAL_SEQUENCE_LSTM",
  "STRIDED_SLICE",
  "BIDIRECTIONAL_SEQUENCE_RNN",
  "EXP",
  "TOPK_V2",
  "SPLIT",
  "LOG_SOFTMAX",
  "DELEGATE",
  "BIDIRECTIONAL_SEQUENCE_LSTM",
  "CAST",
  "PRELU",
  "MAXIMUM",
  "ARG_MAX",
  "MINIMUM",
  "LESS",
  "NEG",
  "PADV2",
  "GREATER",
  "GREATER_EQUAL",
  "LESS_EQUAL",
  "SELECT",
  "SLICE",
  "SIN",
  "TRANSPOSE_CONV",
  "SPARSE_TO_DENSE",
  "TILE",
  "EXPAND_DIMS",
  "EQUAL",
  "NOT_EQUAL",
  "LOG",
  "SUM",
  "SQRT",
  "RSQRT",
  "SHAPE",
  "POW",
  "ARG_MIN",
  "FAKE_QUANT",
  "REDUCE_PROD",
  "REDUCE_MAX",
  "PACK",
  "LOGICAL_OR",
  "ONE_HOT",
  "LOGICAL_AND",
  "LOGICAL_NOT",
  "UNPACK",
  "REDUCE_MIN",
  "FLOOR_DIV",
  "REDUCE_ANY",
  "SQUARE",
  "ZEROS_LIKE",
  "FILL",
  "FLOOR_MOD",
  "RANGE",
  "RESIZE_NEAREST_NEIGHBOR",
  "LEAKY_RELU",
  "SQUARED_DIFFERENCE",
  "MIRROR_PAD",
  "ABS",
  "SPLIT_V",
  "UNIQUE",
  "CEIL",
  "REVERSE_V2",
  "ADD_N",
  "GATHER_ND",
  "COS",
  "WHERE",
  "RANK",
  "ELU",
  "REVERSE_SEQUENCE",
  "MATRIX_DIAG",
  "QUANTIZE",
  "MATRIX_SET_DIAG",
  "ROUND",
  "HARD_SWISH",
] as const;
export type BuiltinName = typeof BUILTIN_NAMES[number];

/** Builtin operator codes by name. */
export const Builtin = Object.fromEntries(BUILTIN_NAMES.map((n, i) => [n, i])) as { [K in BuiltinName]: number };

/** The name of a builtin operator code, e.g. `CONV_2D`, or `BUILTIN_130` for codes past this table. */
export function builtinName(code: number): string {
  return BUILTIN_NAMES[code] ?? `BUILTIN_${code}`;
}

/** TFLite `Padding`. */
export const Padding = { SAME: 0, VALID: 1 } as const;
/** TFLite `ActivationFunctionType`. */
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;
/** `CustomOptionsFormat`. */
export const CUSTOM_OPTIONS_FLEXBUFFERS = 0;

/** Scalar field kinds of option tables. */
export type FieldKind = "i8" | "bool" | "i32" | "f32" | "i32[]";

/** One option field: its name (TFLite's snake_case), vtable slot, kind and default. */
export interface OptionField {
  readonly name: string;
  readonly slot: number;
  readonly kind: FieldKind;
  readonly default: number | boolean | null;
}

function f(name: string, slot: number, kind: FieldKind, def: number | boolean | null = 0): OptionField {
  return { name, slot, kind, default: kind === "bool" && def === 0 ? false : kind === "i32[]" ? null : def };
}

/** An option table of the `BuiltinOptions` union: its union type id and its fields. */
export interface OptionTable {
  readonly typeId: number;
  readonly name: string;
  readonly fields: readonly OptionField[];
}

const conv = [f("padding", 0, "i8"), f("stride_w", 1, "i32"), f("stride_h", 2, "i32")];

/** The `BuiltinOptions` tables onebit reads and writes, by union type id. */
export const OPTION_TABLES: readonly OptionTable[] = [
  {
    typeId: 1,
    name: "Conv2DOptions",
    fields: [
      ...conv,
      f("fused_activation_function", 3, "i8"),
      f("dilation_w_factor", 4, "i32", 1),
      f("dilation_h_factor", 5, "i32", 1),
    ],
  },
  {
    typeId: 2,
    name: "DepthwiseConv2DOptions",
    fields: [
      ...conv,
      f("depth_multiplier", 3, "i32"),
      f("fused_activation_function", 4, "i8"),
      f("dilation_w_factor", 5, "i32", 1),
      f("dilation_h_factor", 6, "i32", 1),
    ],
  },
  {
    typeId: 5,
    name: "Pool2DOptions",
    fields: [
      ...conv,
      f("filter_width", 3, "i32"),
      f("filter_height", 4, "i32"),
      f("fused_activation_function", 5, "i8"),
    ],
  },
  {
    typeId: 8,
    name: "FullyConnectedOptions",
    fields: [f("fused_activation_function", 0, "i8"), f("weights_format", 1, "i8"), f("keep_num_dims", 2, "bool")],
  },
  { typeId: 9, name: "SoftmaxOptions", fields: [f("beta", 0, "f32")] },
  {
    typeId: 10,
    name: "ConcatenationOptions",
    fields: [f("axis", 0, "i32"), f("fused_activation_function", 1, "i8")],
  },
  { typeId: 11, name: "AddOptions", fields: [f("fused_activation_function", 0, "i8")] },
  {
    typeId: 15,
    name: "ResizeBilinearOptions",
    fields: [f("align_corners", 2, "bool"), f("half_pixel_centers", 3, "bool")],
  },
  { typeId: 17, name: "ReshapeOptions", fields: [f("new_shape", 0, "i32[]")] },
  { typeId: 21, name: "MulOptions", fields: [f("fused_activation_function", 0, "i8")] },
  { typeId: 22, name: "PadOptions", fields: [] },
  { typeId: 26, name: "TransposeOptions", fields: [] },
  { typeId: 27, name: "ReducerOptions", fields: [f("keep_dims", 0, "bool")] },
  { typeId: 28, name: "SubOptions", fields: [f("fused_activation_function", 0, "i8")] },
  { typeId: 30, name: "SqueezeOptions", fields: [f("squeeze_dims", 0, "i32[]")] },
  {
    typeId: 32,
    name: "StridedSliceOptions",
    fields: [
      f("begin_mask", 0, "i32"),
      f("end_mask", 1, "i32"),
      f("ellipsis_mask", 2, "i32"),
      f("new_axis_mask", 3, "i32"),
      f("shrink_axis_mask", 4, "i32"),
      f("offset", 5, "bool"),
    ],
  },
  { typeId: 38, name: "DequantizeOptions", fields: [] },
  { typeId: 39, name: "MaximumMinimumOptions", fields: [] },
  { typeId: 43, name: "PadV2Options", fields: [] },
  { typeId: 49, name: "TransposeConvOptions", fields: [...conv, f("fused_activation_function", 3, "i8")] },
  {
    typeId: 74,
    name: "ResizeNearestNeighborOptions",
    fields: [f("align_corners", 0, "bool"), f("half_pixel_centers", 1, "bool")],
  },
  { typeId: 75, name: "LeakyReluOptions", fields: [f("alpha", 0, "f32")] },
  { typeId: 89, name: "QuantizeOptions", fields: [] },
  { typeId: 91, name: "HardSwishOptions", fields: [] },
];

/** Option table by union type id. */
export const OPTION_TABLE_BY_ID: ReadonlyMap<number, OptionTable> = new Map(OPTION_TABLES.map((t) => [t.typeId, t]));

/** The option table each builtin carries (ops absent here carry none). */
export const BUILTIN_OPTIONS: ReadonlyMap<number, number> = new Map([
  [Builtin.CONV_2D, 1],
  [Builtin.DEPTHWISE_CONV_2D, 2],
  [Builtin.AVERAGE_POOL_2D, 5],
  [Builtin.MAX_POOL_2D, 5],
  [Builtin.FULLY_CONNECTED, 8],
  [Builtin.SOFTMAX, 9],
  [Builtin.CONCATENATION, 10],
  [Builtin.ADD, 11],
  [Builtin.RESIZE_BILINEAR, 15],
  [Builtin.RESHAPE, 17],
  [Builtin.MUL, 21],
  [Builtin.PAD, 22],
  [Builtin.TRANSPOSE, 26],
  [Builtin.MEAN, 27],
  [Builtin.SUB, 28],
  [Builtin.SQUEEZE, 30],
  [Builtin.STRIDED_SLICE, 32],
  [Builtin.DEQUANTIZE, 38],
  [Builtin.MAXIMUM, 39],
  [Builtin.MINIMUM, 39],
  [Builtin.PADV2, 43],
  [Builtin.TRANSPOSE_CONV, 49],
  [Builtin.RESIZE_NEAREST_NEIGHBOR, 74],
  [Builtin.LEAKY_RELU, 75],
  [Builtin.QUANTIZE, 89],
  [Builtin.HARD_SWISH, 91],
]);

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
