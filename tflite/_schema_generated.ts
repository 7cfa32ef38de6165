// GENERATED from ai_edge_litert 1.2.0's schema_py_generated.py by tools/py/gen_tflite_schema.py: do not edit.
// deno-fmt-ignore-file
/**
 * The TFLite schema's operator codes, its enums, the tables of its
 * `BuiltinOptions` union and the table each builtin operator carries. tflite/schema.ts
 * builds its exports from these. Regenerate: deno task gen:schema
 * @module
 */
import type { OptionTable } from "./schema.ts";

/** The LiteRT release the schema was taken from. */
export const SCHEMA_SOURCE = "ai_edge_litert 1.2.0";

/** `BuiltinOperator` names; the index is the operator code (null: no operator has the code). */
export const BUILTIN_NAMES = [
  "ADD", // 0
  "AVERAGE_POOL_2D", // 1
  "CONCATENATION", // 2
  "CONV_2D", // 3
  "DEPTHWISE_CONV_2D", // 4
  "DEPTH_TO_SPACE", // 5
  "DEQUANTIZE", // 6
  "EMBEDDING_LOOKUP", // 7
  "FLOOR", // 8
  "FULLY_CONNECTED", // 9
  "HASHTABLE_LOOKUP", // 10
  "L2_NORMALIZATION", // 11
  "L2_POOL_2D", // 12
  "LOCAL_RESPONSE_NORMALIZATION", // 13
  "LOGISTIC", // 14
  "LSH_PROJECTION", // 15
  "LSTM", // 16
  "MAX_POOL_2D", // 17
  "MUL", // 18
  "RELU", // 19
  "RELU_N1_TO_1", // 20
  "RELU6", // 21
  "RESHAPE", // 22
  "RESIZE_BILINEAR", // 23
  "RNN", // 24
  "SOFTMAX", // 25
  "SPACE_TO_DEPTH", // 26
  "SVDF", // 27
  "TANH", // 28
  "CONCAT_EMBEDDINGS", // 29
  "SKIP_GRAM", // 30
  "CALL", // 31
  "CUSTOM", // 32
  "EMBEDDING_LOOKUP_SPARSE", // 33
  "PAD", // 34
  "UNIDIRECTIONAL_SEQUENCE_RNN", // 35
  "GATHER", // 36
  "BATCH_TO_SPACE_ND", // 37
  "SPACE_TO_BATCH_ND", // 38
  "TRANSPOSE", // 39
  "MEAN", // 40
  "SUB", // 41
  "DIV", // 42
  "SQUEEZE", // 43
  "UNIDIRECTIONAL_SEQUENCE_LSTM", // 44
  "STRIDED_SLICE", // 45
  "BIDIRECTIONAL_SEQUENCE_RNN", // 46
  "EXP", // 47
  "TOPK_V2", // 48
  "SPLIT", // 49
  "LOG_SOFTMAX", // 50
  "DELEGATE", // 51
  "BIDIRECTIONAL_SEQUENCE_LSTM", // 52
  "CAST", // 53
  "PRELU", // 54
  "MAXIMUM", // 55
  "ARG_MAX", // 56
  "MINIMUM", // 57
  "LESS", // 58
  "NEG", // 59
  "PADV2", // 60
  "GREATER", // 61
  "GREATER_EQUAL", // 62
  "LESS_EQUAL", // 63
  "SELECT", // 64
  "SLICE", // 65
  "SIN", // 66
  "TRANSPOSE_CONV", // 67
  "SPARSE_TO_DENSE", // 68
  "TILE", // 69
  "EXPAND_DIMS", // 70
  "EQUAL", // 71
  "NOT_EQUAL", // 72
  "LOG", // 73
  "SUM", // 74
  "SQRT", // 75
  "RSQRT", // 76
  "SHAPE", // 77
  "POW", // 78
  "ARG_MIN", // 79
  "FAKE_QUANT", // 80
  "REDUCE_PROD", // 81
  "REDUCE_MAX", // 82
  "PACK", // 83
  "LOGICAL_OR", // 84
  "ONE_HOT", // 85
  "LOGICAL_AND", // 86
  "LOGICAL_NOT", // 87
  "UNPACK", // 88
  "REDUCE_MIN", // 89
  "FLOOR_DIV", // 90
  "REDUCE_ANY", // 91
  "SQUARE", // 92
  "ZEROS_LIKE", // 93
  "FILL", // 94
  "FLOOR_MOD", // 95
  "RANGE", // 96
  "RESIZE_NEAREST_NEIGHBOR", // 97
  "LEAKY_RELU", // 98
  "SQUARED_DIFFERENCE", // 99
  "MIRROR_PAD", // 100
  "ABS", // 101
  "SPLIT_V", // 102
  "UNIQUE", // 103
  "CEIL", // 104
  "REVERSE_V2", // 105
  "ADD_N", // 106
  "GATHER_ND", // 107
  "COS", // 108
  "WHERE", // 109
  "RANK", // 110
  "ELU", // 111
  "REVERSE_SEQUENCE", // 112
  "MATRIX_DIAG", // 113
  "QUANTIZE", // 114
  "MATRIX_SET_DIAG", // 115
  "ROUND", // 116
  "HARD_SWISH", // 117
  "IF", // 118
  "WHILE", // 119
  "NON_MAX_SUPPRESSION_V4", // 120
  "NON_MAX_SUPPRESSION_V5", // 121
  "SCATTER_ND", // 122
  "SELECT_V2", // 123
  "DENSIFY", // 124
  "SEGMENT_SUM", // 125
  "BATCH_MATMUL", // 126
  "PLACEHOLDER_FOR_GREATER_OP_CODES", // 127
  "CUMSUM", // 128
  "CALL_ONCE", // 129
  "BROADCAST_TO", // 130
  "RFFT2D", // 131
  "CONV_3D", // 132
  "IMAG", // 133
  "REAL", // 134
  "COMPLEX_ABS", // 135
  "HASHTABLE", // 136
  "HASHTABLE_FIND", // 137
  "HASHTABLE_IMPORT", // 138
  "HASHTABLE_SIZE", // 139
  "REDUCE_ALL", // 140
  "CONV_3D_TRANSPOSE", // 141
  "VAR_HANDLE", // 142
  "READ_VARIABLE", // 143
  "ASSIGN_VARIABLE", // 144
  "BROADCAST_ARGS", // 145
  "RANDOM_STANDARD_NORMAL", // 146
  "BUCKETIZE", // 147
  "RANDOM_UNIFORM", // 148
  "MULTINOMIAL", // 149
  "GELU", // 150
  "DYNAMIC_UPDATE_SLICE", // 151
  "RELU_0_TO_1", // 152
  "UNSORTED_SEGMENT_PROD", // 153
  "UNSORTED_SEGMENT_MAX", // 154
  "UNSORTED_SEGMENT_SUM", // 155
  "ATAN2", // 156
  "UNSORTED_SEGMENT_MIN", // 157
  "SIGN", // 158
  "BITCAST", // 159
  "BITWISE_XOR", // 160
  "RIGHT_SHIFT", // 161
  "STABLEHLO_LOGISTIC", // 162
  "STABLEHLO_ADD", // 163
  "STABLEHLO_DIVIDE", // 164
  "STABLEHLO_MULTIPLY", // 165
  "STABLEHLO_MAXIMUM", // 166
  "STABLEHLO_RESHAPE", // 167
  "STABLEHLO_CLAMP", // 168
  "STABLEHLO_CONCATENATE", // 169
  "STABLEHLO_BROADCAST_IN_DIM", // 170
  "STABLEHLO_CONVOLUTION", // 171
  "STABLEHLO_SLICE", // 172
  "STABLEHLO_CUSTOM_CALL", // 173
  "STABLEHLO_REDUCE", // 174
  "STABLEHLO_ABS", // 175
  "STABLEHLO_AND", // 176
  "STABLEHLO_COSINE", // 177
  "STABLEHLO_EXPONENTIAL", // 178
  "STABLEHLO_FLOOR", // 179
  "STABLEHLO_LOG", // 180
  "STABLEHLO_MINIMUM", // 181
  "STABLEHLO_NEGATE", // 182
  "STABLEHLO_OR", // 183
  "STABLEHLO_POWER", // 184
  "STABLEHLO_REMAINDER", // 185
  "STABLEHLO_RSQRT", // 186
  "STABLEHLO_SELECT", // 187
  "STABLEHLO_SUBTRACT", // 188
  "STABLEHLO_TANH", // 189
  "STABLEHLO_SCATTER", // 190
  "STABLEHLO_COMPARE", // 191
  "STABLEHLO_CONVERT", // 192
  "STABLEHLO_DYNAMIC_SLICE", // 193
  "STABLEHLO_DYNAMIC_UPDATE_SLICE", // 194
  "STABLEHLO_PAD", // 195
  "STABLEHLO_IOTA", // 196
  "STABLEHLO_DOT_GENERAL", // 197
  "STABLEHLO_REDUCE_WINDOW", // 198
  "STABLEHLO_SORT", // 199
  "STABLEHLO_WHILE", // 200
  "STABLEHLO_GATHER", // 201
  "STABLEHLO_TRANSPOSE", // 202
  "DILATE", // 203
  "STABLEHLO_RNG_BIT_GENERATOR", // 204
  "REDUCE_WINDOW", // 205
  "STABLEHLO_COMPOSITE", // 206
  "STABLEHLO_SHIFT_LEFT", // 207
  "STABLEHLO_CBRT", // 208
  "STABLEHLO_CASE", // 209
] as const;

/** The schema's enums (but `BuiltinOperator`, which is {@link BUILTIN_NAMES}): member name -> value. */
export const ENUMS = {
  ActivationFunctionType: { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 },
  CombinerType: { SUM: 0, MEAN: 1, SQRTN: 2 },
  CustomOptionsFormat: { FLEXBUFFERS: 0 },
  DimensionType: { DENSE: 0, SPARSE_CSR: 1 },
  FullyConnectedOptionsWeightsFormat: { DEFAULT: 0, SHUFFLED4x16INT8: 1 },
  LSHProjectionType: { UNKNOWN: 0, SPARSE: 1, DENSE: 2 },
  LSTMKernelType: { FULL: 0, BASIC: 1 },
  MirrorPadMode: { REFLECT: 0, SYMMETRIC: 1 },
  Padding: { SAME: 0, VALID: 1 },
  ReduceWindowFunction: { UNSUPPORTED: 0, ADD: 1, MUL: 2, MINIMUM: 3, MAXIMUM: 4, ALL: 5, ANY: 6 },
  RngAlgorithm: { DEFAULT: 0, PHILOX: 1, THREEFRY: 2 },
  StablehloComparisonDirection: { STABLEHLO_COMPARISON_DIRECTION_EQ: 0, STABLEHLO_COMPARISON_DIRECTION_NE: 1, STABLEHLO_COMPARISON_DIRECTION_GE: 2, STABLEHLO_COMPARISON_DIRECTION_GT: 3, STABLEHLO_COMPARISON_DIRECTION_LE: 4, STABLEHLO_COMPARISON_DIRECTION_LT: 5 },
  StablehloComparisonType: { STABLEHLO_COMPARISON_TYPE_NOTYPE: 0, STABLEHLO_COMPARISON_TYPE_FLOAT: 1, STABLEHLO_COMPARISON_TYPE_FLOAT_TOTAL_ORDER: 2, STABLEHLO_COMPARISON_TYPE_SIGNED: 3, STABLEHLO_COMPARISON_TYPE_UNSIGNED: 4 },
  StablehloPrecisionConfig: { DEFAULT: 0, HIGH: 1, HIGHEST: 2 },
  TensorType: { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, COMPLEX64: 8, INT8: 9, FLOAT64: 10, COMPLEX128: 11, UINT64: 12, RESOURCE: 13, VARIANT: 14, UINT32: 15, UINT16: 16, INT4: 17, BFLOAT16: 18 },
} as const;

/** Every table of the `BuiltinOptions` union, by union type id. */
export const OPTION_TABLES: readonly OptionTable[] = [
  { typeId: 1, name: "Conv2DOptions", fields: [
    { name: "padding", slot: 0, kind: "i8", default: 0, enum: "Padding" },
    { name: "stride_w", slot: 1, kind: "i32", default: 0 },
    { name: "stride_h", slot: 2, kind: "i32", default: 0 },
    { name: "fused_activation_function", slot: 3, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "dilation_w_factor", slot: 4, kind: "i32", default: 1 },
    { name: "dilation_h_factor", slot: 5, kind: "i32", default: 1 },
    { name: "quantized_bias_type", slot: 6, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 2, name: "DepthwiseConv2DOptions", fields: [
    { name: "padding", slot: 0, kind: "i8", default: 0, enum: "Padding" },
    { name: "stride_w", slot: 1, kind: "i32", default: 0 },
    { name: "stride_h", slot: 2, kind: "i32", default: 0 },
    { name: "depth_multiplier", slot: 3, kind: "i32", default: 0 },
    { name: "fused_activation_function", slot: 4, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "dilation_w_factor", slot: 5, kind: "i32", default: 1 },
    { name: "dilation_h_factor", slot: 6, kind: "i32", default: 1 },
  ] },
  { typeId: 3, name: "ConcatEmbeddingsOptions", fields: [
    { name: "num_channels", slot: 0, kind: "i32", default: 0 },
    { name: "num_columns_per_channel", slot: 1, kind: "i32[]", default: null },
    { name: "embedding_dim_per_channel", slot: 2, kind: "i32[]", default: null },
  ] },
  { typeId: 4, name: "LSHProjectionOptions", fields: [
    { name: "type", slot: 0, kind: "i8", default: 0, enum: "LSHProjectionType" },
  ] },
  { typeId: 5, name: "Pool2DOptions", fields: [
    { name: "padding", slot: 0, kind: "i8", default: 0, enum: "Padding" },
    { name: "stride_w", slot: 1, kind: "i32", default: 0 },
    { name: "stride_h", slot: 2, kind: "i32", default: 0 },
    { name: "filter_width", slot: 3, kind: "i32", default: 0 },
    { name: "filter_height", slot: 4, kind: "i32", default: 0 },
    { name: "fused_activation_function", slot: 5, kind: "i8", default: 0, enum: "ActivationFunctionType" },
  ] },
  { typeId: 6, name: "SVDFOptions", fields: [
    { name: "rank", slot: 0, kind: "i32", default: 0 },
    { name: "fused_activation_function", slot: 1, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "asymmetric_quantize_inputs", slot: 2, kind: "bool", default: false },
  ] },
  { typeId: 7, name: "RNNOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "asymmetric_quantize_inputs", slot: 1, kind: "bool", default: false },
  ] },
  { typeId: 8, name: "FullyConnectedOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "weights_format", slot: 1, kind: "i8", default: 0, enum: "FullyConnectedOptionsWeightsFormat" },
    { name: "keep_num_dims", slot: 2, kind: "bool", default: false },
    { name: "asymmetric_quantize_inputs", slot: 3, kind: "bool", default: false },
    { name: "quantized_bias_type", slot: 4, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 9, name: "SoftmaxOptions", fields: [
    { name: "beta", slot: 0, kind: "f32", default: 0.0 },
  ] },
  { typeId: 10, name: "ConcatenationOptions", fields: [
    { name: "axis", slot: 0, kind: "i32", default: 0 },
    { name: "fused_activation_function", slot: 1, kind: "i8", default: 0, enum: "ActivationFunctionType" },
  ] },
  { typeId: 11, name: "AddOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "pot_scale_int16", slot: 1, kind: "bool", default: true },
  ] },
  { typeId: 12, name: "L2NormOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
  ] },
  { typeId: 13, name: "LocalResponseNormalizationOptions", fields: [
    { name: "radius", slot: 0, kind: "i32", default: 0 },
    { name: "bias", slot: 1, kind: "f32", default: 0.0 },
    { name: "alpha", slot: 2, kind: "f32", default: 0.0 },
    { name: "beta", slot: 3, kind: "f32", default: 0.0 },
  ] },
  { typeId: 14, name: "LSTMOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "cell_clip", slot: 1, kind: "f32", default: 0.0 },
    { name: "proj_clip", slot: 2, kind: "f32", default: 0.0 },
    { name: "kernel_type", slot: 3, kind: "i8", default: 0, enum: "LSTMKernelType" },
    { name: "asymmetric_quantize_inputs", slot: 4, kind: "bool", default: false },
  ] },
  { typeId: 15, name: "ResizeBilinearOptions", fields: [
    { name: "align_corners", slot: 2, kind: "bool", default: false },
    { name: "half_pixel_centers", slot: 3, kind: "bool", default: false },
  ] },
  { typeId: 16, name: "CallOptions", fields: [
    { name: "subgraph", slot: 0, kind: "u32", default: 0 },
  ] },
  { typeId: 17, name: "ReshapeOptions", fields: [
    { name: "new_shape", slot: 0, kind: "i32[]", default: null },
  ] },
  { typeId: 18, name: "SkipGramOptions", fields: [
    { name: "ngram_size", slot: 0, kind: "i32", default: 0 },
    { name: "max_skip_size", slot: 1, kind: "i32", default: 0 },
    { name: "include_all_ngrams", slot: 2, kind: "bool", default: false },
  ] },
  { typeId: 19, name: "SpaceToDepthOptions", fields: [
    { name: "block_size", slot: 0, kind: "i32", default: 0 },
  ] },
  { typeId: 20, name: "EmbeddingLookupSparseOptions", fields: [
    { name: "combiner", slot: 0, kind: "i8", default: 0, enum: "CombinerType" },
  ] },
  { typeId: 21, name: "MulOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
  ] },
  { typeId: 22, name: "PadOptions", fields: [] },
  { typeId: 23, name: "GatherOptions", fields: [
    { name: "axis", slot: 0, kind: "i32", default: 0 },
    { name: "batch_dims", slot: 1, kind: "i32", default: 0 },
  ] },
  { typeId: 24, name: "BatchToSpaceNDOptions", fields: [] },
  { typeId: 25, name: "SpaceToBatchNDOptions", fields: [] },
  { typeId: 26, name: "TransposeOptions", fields: [] },
  { typeId: 27, name: "ReducerOptions", fields: [
    { name: "keep_dims", slot: 0, kind: "bool", default: false },
  ] },
  { typeId: 28, name: "SubOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "pot_scale_int16", slot: 1, kind: "bool", default: true },
  ] },
  { typeId: 29, name: "DivOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
  ] },
  { typeId: 30, name: "SqueezeOptions", fields: [
    { name: "squeeze_dims", slot: 0, kind: "i32[]", default: null },
  ] },
  { typeId: 31, name: "SequenceRNNOptions", fields: [
    { name: "time_major", slot: 0, kind: "bool", default: false },
    { name: "fused_activation_function", slot: 1, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "asymmetric_quantize_inputs", slot: 2, kind: "bool", default: false },
  ] },
  { typeId: 32, name: "StridedSliceOptions", fields: [
    { name: "begin_mask", slot: 0, kind: "i32", default: 0 },
    { name: "end_mask", slot: 1, kind: "i32", default: 0 },
    { name: "ellipsis_mask", slot: 2, kind: "i32", default: 0 },
    { name: "new_axis_mask", slot: 3, kind: "i32", default: 0 },
    { name: "shrink_axis_mask", slot: 4, kind: "i32", default: 0 },
    { name: "offset", slot: 5, kind: "bool", default: false },
  ] },
  { typeId: 33, name: "ExpOptions", fields: [] },
  { typeId: 34, name: "TopKV2Options", fields: [] },
  { typeId: 35, name: "SplitOptions", fields: [
    { name: "num_splits", slot: 0, kind: "i32", default: 0 },
  ] },
  { typeId: 36, name: "LogSoftmaxOptions", fields: [] },
  { typeId: 37, name: "CastOptions", fields: [
    { name: "in_data_type", slot: 0, kind: "i8", default: 0, enum: "TensorType" },
    { name: "out_data_type", slot: 1, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 38, name: "DequantizeOptions", fields: [] },
  { typeId: 39, name: "MaximumMinimumOptions", fields: [] },
  { typeId: 40, name: "ArgMaxOptions", fields: [
    { name: "output_type", slot: 0, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 41, name: "LessOptions", fields: [] },
  { typeId: 42, name: "NegOptions", fields: [] },
  { typeId: 43, name: "PadV2Options", fields: [] },
  { typeId: 44, name: "GreaterOptions", fields: [] },
  { typeId: 45, name: "GreaterEqualOptions", fields: [] },
  { typeId: 46, name: "LessEqualOptions", fields: [] },
  { typeId: 47, name: "SelectOptions", fields: [] },
  { typeId: 48, name: "SliceOptions", fields: [] },
  { typeId: 49, name: "TransposeConvOptions", fields: [
    { name: "padding", slot: 0, kind: "i8", default: 0, enum: "Padding" },
    { name: "stride_w", slot: 1, kind: "i32", default: 0 },
    { name: "stride_h", slot: 2, kind: "i32", default: 0 },
    { name: "fused_activation_function", slot: 3, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "quantized_bias_type", slot: 4, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 50, name: "SparseToDenseOptions", fields: [
    { name: "validate_indices", slot: 0, kind: "bool", default: false },
  ] },
  { typeId: 51, name: "TileOptions", fields: [] },
  { typeId: 52, name: "ExpandDimsOptions", fields: [] },
  { typeId: 53, name: "EqualOptions", fields: [] },
  { typeId: 54, name: "NotEqualOptions", fields: [] },
  { typeId: 55, name: "ShapeOptions", fields: [
    { name: "out_type", slot: 0, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 56, name: "PowOptions", fields: [] },
  { typeId: 57, name: "ArgMinOptions", fields: [
    { name: "output_type", slot: 0, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 58, name: "FakeQuantOptions", fields: [
    { name: "min", slot: 0, kind: "f32", default: 0.0 },
    { name: "max", slot: 1, kind: "f32", default: 0.0 },
    { name: "num_bits", slot: 2, kind: "i32", default: 0 },
    { name: "narrow_range", slot: 3, kind: "bool", default: false },
  ] },
  { typeId: 59, name: "PackOptions", fields: [
    { name: "values_count", slot: 0, kind: "i32", default: 0 },
    { name: "axis", slot: 1, kind: "i32", default: 0 },
  ] },
  { typeId: 60, name: "LogicalOrOptions", fields: [] },
  { typeId: 61, name: "OneHotOptions", fields: [
    { name: "axis", slot: 0, kind: "i32", default: 0 },
  ] },
  { typeId: 62, name: "LogicalAndOptions", fields: [] },
  { typeId: 63, name: "LogicalNotOptions", fields: [] },
  { typeId: 64, name: "UnpackOptions", fields: [
    { name: "num", slot: 0, kind: "i32", default: 0 },
    { name: "axis", slot: 1, kind: "i32", default: 0 },
  ] },
  { typeId: 65, name: "FloorDivOptions", fields: [] },
  { typeId: 66, name: "SquareOptions", fields: [] },
  { typeId: 67, name: "ZerosLikeOptions", fields: [] },
  { typeId: 68, name: "FillOptions", fields: [] },
  { typeId: 69, name: "BidirectionalSequenceLSTMOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "cell_clip", slot: 1, kind: "f32", default: 0.0 },
    { name: "proj_clip", slot: 2, kind: "f32", default: 0.0 },
    { name: "merge_outputs", slot: 3, kind: "bool", default: false },
    { name: "time_major", slot: 4, kind: "bool", default: true },
    { name: "asymmetric_quantize_inputs", slot: 5, kind: "bool", default: false },
  ] },
  { typeId: 70, name: "BidirectionalSequenceRNNOptions", fields: [
    { name: "time_major", slot: 0, kind: "bool", default: false },
    { name: "fused_activation_function", slot: 1, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "merge_outputs", slot: 2, kind: "bool", default: false },
    { name: "asymmetric_quantize_inputs", slot: 3, kind: "bool", default: false },
  ] },
  { typeId: 71, name: "UnidirectionalSequenceLSTMOptions", fields: [
    { name: "fused_activation_function", slot: 0, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "cell_clip", slot: 1, kind: "f32", default: 0.0 },
    { name: "proj_clip", slot: 2, kind: "f32", default: 0.0 },
    { name: "time_major", slot: 3, kind: "bool", default: false },
    { name: "asymmetric_quantize_inputs", slot: 4, kind: "bool", default: false },
    { name: "diagonal_recurrent_tensors", slot: 5, kind: "bool", default: false },
  ] },
  { typeId: 72, name: "FloorModOptions", fields: [] },
  { typeId: 73, name: "RangeOptions", fields: [] },
  { typeId: 74, name: "ResizeNearestNeighborOptions", fields: [
    { name: "align_corners", slot: 0, kind: "bool", default: false },
    { name: "half_pixel_centers", slot: 1, kind: "bool", default: false },
  ] },
  { typeId: 75, name: "LeakyReluOptions", fields: [
    { name: "alpha", slot: 0, kind: "f32", default: 0.0 },
  ] },
  { typeId: 76, name: "SquaredDifferenceOptions", fields: [] },
  { typeId: 77, name: "MirrorPadOptions", fields: [
    { name: "mode", slot: 0, kind: "i8", default: 0, enum: "MirrorPadMode" },
  ] },
  { typeId: 78, name: "AbsOptions", fields: [] },
  { typeId: 79, name: "SplitVOptions", fields: [
    { name: "num_splits", slot: 0, kind: "i32", default: 0 },
  ] },
  { typeId: 80, name: "UniqueOptions", fields: [
    { name: "idx_out_type", slot: 0, kind: "i8", default: 2, enum: "TensorType" },
  ] },
  { typeId: 81, name: "ReverseV2Options", fields: [] },
  { typeId: 82, name: "AddNOptions", fields: [] },
  { typeId: 83, name: "GatherNdOptions", fields: [] },
  { typeId: 84, name: "CosOptions", fields: [] },
  { typeId: 85, name: "WhereOptions", fields: [] },
  { typeId: 86, name: "RankOptions", fields: [] },
  { typeId: 87, name: "ReverseSequenceOptions", fields: [
    { name: "seq_dim", slot: 0, kind: "i32", default: 0 },
    { name: "batch_dim", slot: 1, kind: "i32", default: 0 },
  ] },
  { typeId: 88, name: "MatrixDiagOptions", fields: [] },
  { typeId: 89, name: "QuantizeOptions", fields: [] },
  { typeId: 90, name: "MatrixSetDiagOptions", fields: [] },
  { typeId: 91, name: "HardSwishOptions", fields: [] },
  { typeId: 92, name: "IfOptions", fields: [
    { name: "then_subgraph_index", slot: 0, kind: "i32", default: 0 },
    { name: "else_subgraph_index", slot: 1, kind: "i32", default: 0 },
  ] },
  { typeId: 93, name: "WhileOptions", fields: [
    { name: "cond_subgraph_index", slot: 0, kind: "i32", default: 0 },
    { name: "body_subgraph_index", slot: 1, kind: "i32", default: 0 },
  ] },
  { typeId: 94, name: "DepthToSpaceOptions", fields: [
    { name: "block_size", slot: 0, kind: "i32", default: 0 },
  ] },
  { typeId: 95, name: "NonMaxSuppressionV4Options", fields: [] },
  { typeId: 96, name: "NonMaxSuppressionV5Options", fields: [] },
  { typeId: 97, name: "ScatterNdOptions", fields: [] },
  { typeId: 98, name: "SelectV2Options", fields: [] },
  { typeId: 99, name: "DensifyOptions", fields: [] },
  { typeId: 100, name: "SegmentSumOptions", fields: [] },
  { typeId: 101, name: "BatchMatMulOptions", fields: [
    { name: "adj_x", slot: 0, kind: "bool", default: false },
    { name: "adj_y", slot: 1, kind: "bool", default: false },
    { name: "asymmetric_quantize_inputs", slot: 2, kind: "bool", default: false },
  ] },
  { typeId: 102, name: "CumsumOptions", fields: [
    { name: "exclusive", slot: 0, kind: "bool", default: false },
    { name: "reverse", slot: 1, kind: "bool", default: false },
  ] },
  { typeId: 103, name: "CallOnceOptions", fields: [
    { name: "init_subgraph_index", slot: 0, kind: "i32", default: 0 },
  ] },
  { typeId: 104, name: "BroadcastToOptions", fields: [] },
  { typeId: 105, name: "Rfft2dOptions", fields: [] },
  { typeId: 106, name: "Conv3DOptions", fields: [
    { name: "padding", slot: 0, kind: "i8", default: 0, enum: "Padding" },
    { name: "stride_d", slot: 1, kind: "i32", default: 0 },
    { name: "stride_w", slot: 2, kind: "i32", default: 0 },
    { name: "stride_h", slot: 3, kind: "i32", default: 0 },
    { name: "fused_activation_function", slot: 4, kind: "i8", default: 0, enum: "ActivationFunctionType" },
    { name: "dilation_d_factor", slot: 5, kind: "i32", default: 1 },
    { name: "dilation_w_factor", slot: 6, kind: "i32", default: 1 },
    { name: "dilation_h_factor", slot: 7, kind: "i32", default: 1 },
  ] },
  { typeId: 107, name: "HashtableOptions", fields: [
    { name: "table_id", slot: 0, kind: "i32", default: 0 },
    { name: "key_dtype", slot: 1, kind: "i8", default: 0, enum: "TensorType" },
    { name: "value_dtype", slot: 2, kind: "i8", default: 0, enum: "TensorType" },
  ] },
  { typeId: 108, name: "HashtableFindOptions", fields: [] },
  { typeId: 109, name: "HashtableImportOptions", fields: [] },
  { typeId: 110, name: "HashtableSizeOptions", fields: [] },
  { typeId: 111, name: "VarHandleOptions", fields: [
    { name: "container", slot: 0, kind: "string", default: null },
    { name: "shared_name", slot: 1, kind: "string", default: null },
  ] },
  { typeId: 112, name: "ReadVariableOptions", fields: [] },
  { typeId: 113, name: "AssignVariableOptions", fields: [] },
  { typeId: 114, name: "RandomOptions", fields: [
    { name: "seed", slot: 0, kind: "i64", default: 0 },
    { name: "seed2", slot: 1, kind: "i64", default: 0 },
  ] },
  { typeId: 115, name: "BucketizeOptions", fields: [
    { name: "boundaries", slot: 0, kind: "f32[]", default: null },
  ] },
  { typeId: 116, name: "GeluOptions", fields: [
    { name: "approximate", slot: 0, kind: "bool", default: false },
  ] },
  { typeId: 117, name: "DynamicUpdateSliceOptions", fields: [] },
  { typeId: 118, name: "UnsortedSegmentProdOptions", fields: [] },
  { typeId: 119, name: "UnsortedSegmentMaxOptions", fields: [] },
  { typeId: 120, name: "UnsortedSegmentMinOptions", fields: [] },
  { typeId: 121, name: "UnsortedSegmentSumOptions", fields: [] },
  { typeId: 122, name: "ATan2Options", fields: [] },
  { typeId: 123, name: "SignOptions", fields: [] },
  { typeId: 124, name: "BitcastOptions", fields: [] },
  { typeId: 125, name: "BitwiseXorOptions", fields: [] },
  { typeId: 126, name: "RightShiftOptions", fields: [] },
];

/** [builtin operator code, `BuiltinOptions` type id] for every builtin that carries an options table. */
export const BUILTIN_OPTIONS: readonly (readonly [number, number])[] = [
  [0, 11], // ADD: AddOptions
  [1, 5], // AVERAGE_POOL_2D: Pool2DOptions
  [2, 10], // CONCATENATION: ConcatenationOptions
  [3, 1], // CONV_2D: Conv2DOptions
  [4, 2], // DEPTHWISE_CONV_2D: DepthwiseConv2DOptions
  [5, 94], // DEPTH_TO_SPACE: DepthToSpaceOptions
  [6, 38], // DEQUANTIZE: DequantizeOptions
  [9, 8], // FULLY_CONNECTED: FullyConnectedOptions
  [11, 12], // L2_NORMALIZATION: L2NormOptions
  [12, 5], // L2_POOL_2D: Pool2DOptions
  [13, 13], // LOCAL_RESPONSE_NORMALIZATION: LocalResponseNormalizationOptions
  [15, 4], // LSH_PROJECTION: LSHProjectionOptions
  [16, 14], // LSTM: LSTMOptions
  [17, 5], // MAX_POOL_2D: Pool2DOptions
  [18, 21], // MUL: MulOptions
  [22, 17], // RESHAPE: ReshapeOptions
  [23, 15], // RESIZE_BILINEAR: ResizeBilinearOptions
  [24, 7], // RNN: RNNOptions
  [25, 9], // SOFTMAX: SoftmaxOptions
  [26, 19], // SPACE_TO_DEPTH: SpaceToDepthOptions
  [27, 6], // SVDF: SVDFOptions
  [29, 3], // CONCAT_EMBEDDINGS: ConcatEmbeddingsOptions
  [30, 18], // SKIP_GRAM: SkipGramOptions
  [31, 16], // CALL: CallOptions
  [33, 20], // EMBEDDING_LOOKUP_SPARSE: EmbeddingLookupSparseOptions
  [34, 22], // PAD: PadOptions
  [35, 31], // UNIDIRECTIONAL_SEQUENCE_RNN: SequenceRNNOptions
  [36, 23], // GATHER: GatherOptions
  [37, 24], // BATCH_TO_SPACE_ND: BatchToSpaceNDOptions
  [38, 25], // SPACE_TO_BATCH_ND: SpaceToBatchNDOptions
  [39, 26], // TRANSPOSE: TransposeOptions
  [40, 27], // MEAN: ReducerOptions
  [41, 28], // SUB: SubOptions
  [42, 29], // DIV: DivOptions
  [43, 30], // SQUEEZE: SqueezeOptions
  [44, 71], // UNIDIRECTIONAL_SEQUENCE_LSTM: UnidirectionalSequenceLSTMOptions
  [45, 32], // STRIDED_SLICE: StridedSliceOptions
  [46, 70], // BIDIRECTIONAL_SEQUENCE_RNN: BidirectionalSequenceRNNOptions
  [47, 33], // EXP: ExpOptions
  [48, 34], // TOPK_V2: TopKV2Options
  [49, 35], // SPLIT: SplitOptions
  [50, 36], // LOG_SOFTMAX: LogSoftmaxOptions
  [52, 69], // BIDIRECTIONAL_SEQUENCE_LSTM: BidirectionalSequenceLSTMOptions
  [53, 37], // CAST: CastOptions
  [55, 39], // MAXIMUM: MaximumMinimumOptions
  [56, 40], // ARG_MAX: ArgMaxOptions
  [57, 39], // MINIMUM: MaximumMinimumOptions
  [58, 41], // LESS: LessOptions
  [59, 42], // NEG: NegOptions
  [60, 43], // PADV2: PadV2Options
  [61, 44], // GREATER: GreaterOptions
  [62, 45], // GREATER_EQUAL: GreaterEqualOptions
  [63, 46], // LESS_EQUAL: LessEqualOptions
  [64, 47], // SELECT: SelectOptions
  [65, 48], // SLICE: SliceOptions
  [67, 49], // TRANSPOSE_CONV: TransposeConvOptions
  [68, 50], // SPARSE_TO_DENSE: SparseToDenseOptions
  [69, 51], // TILE: TileOptions
  [70, 52], // EXPAND_DIMS: ExpandDimsOptions
  [71, 53], // EQUAL: EqualOptions
  [72, 54], // NOT_EQUAL: NotEqualOptions
  [74, 27], // SUM: ReducerOptions
  [77, 55], // SHAPE: ShapeOptions
  [78, 56], // POW: PowOptions
  [79, 57], // ARG_MIN: ArgMinOptions
  [80, 58], // FAKE_QUANT: FakeQuantOptions
  [81, 27], // REDUCE_PROD: ReducerOptions
  [82, 27], // REDUCE_MAX: ReducerOptions
  [83, 59], // PACK: PackOptions
  [84, 60], // LOGICAL_OR: LogicalOrOptions
  [85, 61], // ONE_HOT: OneHotOptions
  [86, 62], // LOGICAL_AND: LogicalAndOptions
  [87, 63], // LOGICAL_NOT: LogicalNotOptions
  [88, 64], // UNPACK: UnpackOptions
  [89, 27], // REDUCE_MIN: ReducerOptions
  [90, 65], // FLOOR_DIV: FloorDivOptions
  [91, 27], // REDUCE_ANY: ReducerOptions
  [92, 66], // SQUARE: SquareOptions
  [93, 67], // ZEROS_LIKE: ZerosLikeOptions
  [94, 68], // FILL: FillOptions
  [95, 72], // FLOOR_MOD: FloorModOptions
  [96, 73], // RANGE: RangeOptions
  [97, 74], // RESIZE_NEAREST_NEIGHBOR: ResizeNearestNeighborOptions
  [98, 75], // LEAKY_RELU: LeakyReluOptions
  [99, 76], // SQUARED_DIFFERENCE: SquaredDifferenceOptions
  [100, 77], // MIRROR_PAD: MirrorPadOptions
  [101, 78], // ABS: AbsOptions
  [102, 79], // SPLIT_V: SplitVOptions
  [103, 80], // UNIQUE: UniqueOptions
  [105, 81], // REVERSE_V2: ReverseV2Options
  [106, 82], // ADD_N: AddNOptions
  [107, 83], // GATHER_ND: GatherNdOptions
  [108, 84], // COS: CosOptions
  [109, 85], // WHERE: WhereOptions
  [110, 86], // RANK: RankOptions
  [112, 87], // REVERSE_SEQUENCE: ReverseSequenceOptions
  [113, 88], // MATRIX_DIAG: MatrixDiagOptions
  [114, 89], // QUANTIZE: QuantizeOptions
  [115, 90], // MATRIX_SET_DIAG: MatrixSetDiagOptions
  [117, 91], // HARD_SWISH: HardSwishOptions
  [118, 92], // IF: IfOptions
  [119, 93], // WHILE: WhileOptions
  [120, 95], // NON_MAX_SUPPRESSION_V4: NonMaxSuppressionV4Options
  [121, 96], // NON_MAX_SUPPRESSION_V5: NonMaxSuppressionV5Options
  [122, 97], // SCATTER_ND: ScatterNdOptions
  [123, 98], // SELECT_V2: SelectV2Options
  [124, 99], // DENSIFY: DensifyOptions
  [125, 100], // SEGMENT_SUM: SegmentSumOptions
  [126, 101], // BATCH_MATMUL: BatchMatMulOptions
  [128, 102], // CUMSUM: CumsumOptions
  [129, 103], // CALL_ONCE: CallOnceOptions
  [130, 104], // BROADCAST_TO: BroadcastToOptions
  [131, 105], // RFFT2D: Rfft2dOptions
  [132, 106], // CONV_3D: Conv3DOptions
  [136, 107], // HASHTABLE: HashtableOptions
  [137, 108], // HASHTABLE_FIND: HashtableFindOptions
  [138, 109], // HASHTABLE_IMPORT: HashtableImportOptions
  [139, 110], // HASHTABLE_SIZE: HashtableSizeOptions
  [140, 27], // REDUCE_ALL: ReducerOptions
  [141, 106], // CONV_3D_TRANSPOSE: Conv3DOptions
  [142, 111], // VAR_HANDLE: VarHandleOptions
  [143, 112], // READ_VARIABLE: ReadVariableOptions
  [144, 113], // ASSIGN_VARIABLE: AssignVariableOptions
  [146, 114], // RANDOM_STANDARD_NORMAL: RandomOptions
  [147, 115], // BUCKETIZE: BucketizeOptions
  [148, 114], // RANDOM_UNIFORM: RandomOptions
  [149, 114], // MULTINOMIAL: RandomOptions
  [150, 116], // GELU: GeluOptions
  [151, 117], // DYNAMIC_UPDATE_SLICE: DynamicUpdateSliceOptions
  [153, 118], // UNSORTED_SEGMENT_PROD: UnsortedSegmentProdOptions
  [154, 119], // UNSORTED_SEGMENT_MAX: UnsortedSegmentMaxOptions
  [155, 121], // UNSORTED_SEGMENT_SUM: UnsortedSegmentSumOptions
  [156, 122], // ATAN2: ATan2Options
  [157, 120], // UNSORTED_SEGMENT_MIN: UnsortedSegmentMinOptions
  [158, 123], // SIGN: SignOptions
  [159, 124], // BITCAST: BitcastOptions
  [160, 125], // BITWISE_XOR: BitwiseXorOptions
  [161, 126], // RIGHT_SHIFT: RightShiftOptions
];
