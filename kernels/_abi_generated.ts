// GENERATED from kernels_zig/abi.zig by kernels_zig/gen_abi.zig: do not edit. Regenerate: deno task gen:abi
// deno-fmt-ignore-file
export const ABI_VERSION = 19;
export const ABI_HASH = 0x23a0fa81;

/** Threads one call may use at most. */
export const MAX_THREADS = 64;
/** Highest rank the strided and reduction kernels take (after merging dims). */
export const MAX_RANK = 6;
/** Output channels per block of packed weights (one bitpacked word). */
export const CHANNEL_BLOCK = 32;
/** Rows of the per-thread im2col tile of a float convolution. */
export const CONV_TILE_ROWS = 128;
/** Input channels up to which a float convolution and its filter gradient run direct (no im2col). */
export const SMALL_CIN_CHANNELS = 4;
/** Taps (kernel_h·kernel_w·channels_in) up to which they do. */
export const SMALL_CIN_DEPTH = 64;
/** Chunks of output rows the small-cin filter gradient sums apart at most, then adds in order. */
export const SMALL_CIN_FILTER_CHUNKS = 16;
/** Floats of those chunks' partial sums (one 32-channel block's) at most. */
export const SMALL_CIN_FILTER_PARTIALS = 8192;
/** Chunks of rows a BatchNormalization training sum adds apart at most, then adds in order. */
export const BN_MAX_CHUNKS = 4;
/** Rows per chunk at least when there are several (ceil(rows / this) chunks, at most BN_MAX_CHUNKS). */
export const BN_CHUNK_ROWS = 1024;
/** Floats of convolution rows (pool height × width × channels) and of a gradient row (width × 32) the fused first convolution and max pooling hold per task. */
export const CONV_MAXPOOL_FLOATS = 8192;

/** Names of the status codes every export returns, by code. */
export const STATUS = ["ok", "invalid_argument", "unsupported_ukernel", "out_of_memory"] as const;

/** The codes of abi.zig's RhsLayout, by value. */
export const RHS_LAYOUTS = ["oi", "io"] as const;
/** The codes of abi.zig's PoolKind, by value. */
export const POOL_KINDS = ["max", "avg"] as const;
/** The codes of abi.zig's ElementwiseOp, by value. */
export const ELEMENTWISE_OPS = ["add", "sub", "mul"] as const;
/** The codes of abi.zig's UnaryOp, by value. */
export const UNARY_OPS = ["relu", "relu6", "relu_n1_to_1", "logistic", "tanh", "hard_swish", "leaky_relu", "abs", "neg", "square", "sqrt", "rsqrt", "exp", "log"] as const;
/** The codes of abi.zig's OptimizerOp, by value. */
export const OPTIMIZER_OPS = ["adam", "sgd", "momentum", "nesterov", "bop"] as const;
/** The codes of abi.zig's StridedOp, by value. */
export const STRIDED_OPS = ["add", "sub", "mul", "copy", "max", "min", "prelu", "div", "squared_difference"] as const;
/** The codes of abi.zig's QuantizeKind, by value. */
export const QUANTIZE_KINDS = ["f32_to_i8", "f32_to_u8", "i8_to_f32", "u8_to_f32", "f16_to_f32"] as const;
/** The codes of abi.zig's ResizeMethod, by value. */
export const RESIZE_METHODS = ["bilinear", "nearest"] as const;

/** Deno.dlopen symbol table of libonebit. */
export const symbols = {
  onebit_abi_version: { parameters: [], result: "i32" },
  onebit_abi_hash: { parameters: [], result: "i32" },
  onebit_ukernel_count: { parameters: [], result: "i32" },
  onebit_ukernel_info: { parameters: ["i32", "buffer"], result: "i32" },
  onebit_peak_loop: { parameters: ["buffer", "buffer"], result: "i32" },
  onebit_fma_peak_loop: { parameters: ["buffer", "buffer"], result: "i32" },
  onebit_bitpack_f32_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_channel_affine_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_scale_prelu_add_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bitpack_i8_b32: { parameters: ["buffer", "i32", "buffer", "buffer"], result: "i32" },
  onebit_im2col_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_bgemm_pack_rhs_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_bgemm_b32_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bgemm_b32_b32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bconv2d_b32_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bconv2d_b32_b32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bconv2d_b32_f32_add: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bconv2d_b32_f32_add_border: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_sgemm_ukernel_count: { parameters: [], result: "i32" },
  onebit_sgemm_ukernel_info: { parameters: ["i32", "buffer"], result: "i32" },
  onebit_sgemm_pack_rhs_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_sgemm_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_conv2d_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_depthwise_conv2d_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_pool2d_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_maxpool2d_argmax_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bmaxpool2d_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_unary_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_softmax_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_unpack_b32_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_optimizer_step_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_elementwise_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_strided_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_mean_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_col2im_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_quantize: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_resize_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_bn_train_forward_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bn_train_backward_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_sign_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_ste_sign_grad_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_approx_sign_grad_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_maxpool2d_argmax_grad_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_maxpool2d_argmax_grad_windows_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_gather_signs_b32_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_transpose_bits_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_transpose_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_relu_f32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_relu_grad_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_depthwise_backprop_input_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_depthwise_backprop_filter_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_conv2d_backprop_input_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_sign_gemm_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_conv2d_backprop_filter_small_cin_f32: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_conv2d_maxpool_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_conv2d_maxpool_backprop_filter_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
} as const;

/** Each parameter's name and role: a scalar, an extern struct, or a buffer read (in) or written (out). */
export const parameters = {
  onebit_abi_version: [],
  onebit_abi_hash: [],
  onebit_ukernel_count: [],
  onebit_ukernel_info: [{ name: "index", kind: "i32" }, { name: "info", kind: "struct", struct: "UkernelInfo", dir: "out" }],
  onebit_peak_loop: [{ name: "params", kind: "struct", struct: "PeakParams", dir: "in" }, { name: "sink", kind: "u32", dir: "out" }],
  onebit_fma_peak_loop: [{ name: "params", kind: "struct", struct: "PeakParams", dir: "in" }, { name: "sink", kind: "u32", dir: "out" }],
  onebit_bitpack_f32_b32: [{ name: "params", kind: "struct", struct: "BitpackParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_channel_affine_f32: [{ name: "params", kind: "struct", struct: "ChannelAffineParams", dir: "in" }, { name: "scale", kind: "f32", dir: "in" }, { name: "shift", kind: "f32", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "values", kind: "f32", dir: "out" }, { name: "bits", kind: "u32", dir: "out" }],
  onebit_scale_prelu_add_f32: [{ name: "params", kind: "struct", struct: "ChannelAffineParams", dir: "in" }, { name: "scale", kind: "f32", dir: "in" }, { name: "alpha", kind: "f32", dir: "in" }, { name: "residual", kind: "f32", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "out", kind: "f32", dir: "out" }],
  onebit_bitpack_i8_b32: [{ name: "params", kind: "struct", struct: "BitpackParams", dir: "in" }, { name: "zero_point", kind: "i32" }, { name: "input", kind: "u8", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_im2col_b32: [{ name: "params", kind: "struct", struct: "Im2colParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_bgemm_pack_rhs_b32: [{ name: "params", kind: "struct", struct: "PackRhsParams", dir: "in" }, { name: "rhs", kind: "u32", dir: "in" }, { name: "packed_rhs", kind: "u32", dir: "out" }],
  onebit_bgemm_b32_f32: [{ name: "params", kind: "struct", struct: "BgemmParams", dir: "in" }, { name: "lhs", kind: "u32", dir: "in" }, { name: "packed_rhs", kind: "u32", dir: "in" }, { name: "multiplier", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_bgemm_b32_b32: [{ name: "params", kind: "struct", struct: "BgemmParams", dir: "in" }, { name: "lhs", kind: "u32", dir: "in" }, { name: "packed_rhs", kind: "u32", dir: "in" }, { name: "threshold", kind: "i32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_bconv2d_b32_f32: [{ name: "params", kind: "struct", struct: "Bconv2dParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "packed_filter", kind: "u32", dir: "in" }, { name: "multiplier", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "workspace", kind: "u32", dir: "out" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_bconv2d_b32_b32: [{ name: "params", kind: "struct", struct: "Bconv2dParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "packed_filter", kind: "u32", dir: "in" }, { name: "threshold", kind: "i32", dir: "in" }, { name: "workspace", kind: "u32", dir: "out" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_bconv2d_b32_f32_add: [{ name: "params", kind: "struct", struct: "Bconv2dParams", dir: "in" }, { name: "epilogue", kind: "struct", struct: "EpilogueParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "packed_filter", kind: "u32", dir: "in" }, { name: "multiplier", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "residual", kind: "f32", dir: "in" }, { name: "workspace", kind: "u32", dir: "out" }, { name: "output", kind: "f32", dir: "out" }, { name: "packed_output", kind: "u32", dir: "out" }],
  onebit_bconv2d_b32_f32_add_border: [{ name: "params", kind: "struct", struct: "Bconv2dParams", dir: "in" }, { name: "epilogue", kind: "struct", struct: "EpilogueParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "packed_filter", kind: "u32", dir: "in" }, { name: "multiplier", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "residual", kind: "f32", dir: "in" }, { name: "border_slots", kind: "i32", dir: "in" }, { name: "border_fix", kind: "f32", dir: "in" }, { name: "workspace", kind: "u32", dir: "out" }, { name: "output", kind: "f32", dir: "out" }, { name: "packed_output", kind: "u32", dir: "out" }],
  onebit_sgemm_ukernel_count: [],
  onebit_sgemm_ukernel_info: [{ name: "index", kind: "i32" }, { name: "info", kind: "struct", struct: "UkernelInfo", dir: "out" }],
  onebit_sgemm_pack_rhs_f32: [{ name: "params", kind: "struct", struct: "SpackParams", dir: "in" }, { name: "rhs", kind: "f32", dir: "in" }, { name: "packed_rhs", kind: "f32", dir: "out" }],
  onebit_sgemm_f32: [{ name: "params", kind: "struct", struct: "SgemmParams", dir: "in" }, { name: "lhs", kind: "f32", dir: "in" }, { name: "packed_rhs", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_conv2d_f32: [{ name: "params", kind: "struct", struct: "Conv2dF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "packed_filter", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "workspace", kind: "f32", dir: "out" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_depthwise_conv2d_f32: [{ name: "params", kind: "struct", struct: "DepthwiseF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "filter", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_pool2d_f32: [{ name: "params", kind: "struct", struct: "Pool2dF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_maxpool2d_argmax_f32: [{ name: "params", kind: "struct", struct: "Pool2dF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }, { name: "argmax", kind: "i32", dir: "out" }],
  onebit_bmaxpool2d_b32: [{ name: "params", kind: "struct", struct: "Pool2dF32Params", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_unary_f32: [{ name: "params", kind: "struct", struct: "UnaryF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_softmax_f32: [{ name: "params", kind: "struct", struct: "SoftmaxF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_unpack_b32_f32: [{ name: "params", kind: "struct", struct: "BitpackParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_optimizer_step_f32: [{ name: "params", kind: "struct", struct: "OptimizerF32Params", dir: "in" }, { name: "weights", kind: "f32", dir: "out" }, { name: "grads", kind: "f32", dir: "in" }, { name: "slot1", kind: "f32", dir: "out" }, { name: "slot2", kind: "f32", dir: "out" }],
  onebit_elementwise_f32: [{ name: "params", kind: "struct", struct: "ElementwiseF32Params", dir: "in" }, { name: "a", kind: "f32", dir: "in" }, { name: "b", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_strided_f32: [{ name: "params", kind: "struct", struct: "StridedF32Params", dir: "in" }, { name: "a", kind: "f32", dir: "in" }, { name: "b", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_mean_f32: [{ name: "params", kind: "struct", struct: "MeanF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_col2im_f32: [{ name: "params", kind: "struct", struct: "Col2imF32Params", dir: "in" }, { name: "cols", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_quantize: [{ name: "params", kind: "struct", struct: "QuantizeParams", dir: "in" }, { name: "input", kind: "u8", dir: "in" }, { name: "output", kind: "u8", dir: "out" }],
  onebit_resize_f32: [{ name: "params", kind: "struct", struct: "ResizeF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_bn_train_forward_f32: [{ name: "params", kind: "struct", struct: "BnTrainParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "gamma", kind: "f32", dir: "in" }, { name: "beta", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }, { name: "stats", kind: "f32", dir: "out" }],
  onebit_bn_train_backward_f32: [{ name: "params", kind: "struct", struct: "BnTrainParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "gamma", kind: "f32", dir: "in" }, { name: "stats", kind: "f32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }, { name: "grad_gamma", kind: "f32", dir: "out" }, { name: "grad_beta", kind: "f32", dir: "out" }],
  onebit_sign_f32: [{ name: "params", kind: "struct", struct: "SignPassParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_ste_sign_grad_f32: [{ name: "params", kind: "struct", struct: "SignPassParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }],
  onebit_approx_sign_grad_f32: [{ name: "params", kind: "struct", struct: "SignPassParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }],
  onebit_maxpool2d_argmax_grad_f32: [{ name: "params", kind: "struct", struct: "MaxPoolGradParams", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "argmax", kind: "i32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }],
  onebit_maxpool2d_argmax_grad_windows_f32: [{ name: "params", kind: "struct", struct: "Pool2dF32Params", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "argmax", kind: "i32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }],
  onebit_gather_signs_b32_f32: [{ name: "params", kind: "struct", struct: "GatherSignsParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_transpose_bits_b32: [{ name: "params", kind: "struct", struct: "TransposeBitsParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_transpose_f32: [{ name: "params", kind: "struct", struct: "TransposeF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "latent", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_relu_f32: [{ name: "params", kind: "struct", struct: "ReluPassParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_relu_grad_f32: [{ name: "params", kind: "struct", struct: "ReluPassParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }],
  onebit_depthwise_backprop_input_f32: [{ name: "params", kind: "struct", struct: "DepthwiseF32Params", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "filter", kind: "f32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }],
  onebit_depthwise_backprop_filter_f32: [{ name: "params", kind: "struct", struct: "DepthwiseF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "grad_filter", kind: "f32", dir: "out" }],
  onebit_conv2d_backprop_input_f32: [{ name: "params", kind: "struct", struct: "Conv2dF32Params", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "filter", kind: "f32", dir: "in" }, { name: "grad_input", kind: "f32", dir: "out" }],
  onebit_sign_gemm_f32: [{ name: "params", kind: "struct", struct: "SignGemmParams", dir: "in" }, { name: "lhs", kind: "f32", dir: "in" }, { name: "signs", kind: "u32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_conv2d_backprop_filter_small_cin_f32: [{ name: "params", kind: "struct", struct: "Conv2dF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "grad_output", kind: "f32", dir: "in" }, { name: "grad_filter", kind: "f32", dir: "out" }],
  onebit_conv2d_maxpool_f32: [{ name: "params", kind: "struct", struct: "Conv2dF32Params", dir: "in" }, { name: "pool", kind: "struct", struct: "Pool2dF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "packed_filter", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }, { name: "argmax", kind: "i32", dir: "out" }],
  onebit_conv2d_maxpool_backprop_filter_f32: [{ name: "params", kind: "struct", struct: "Conv2dF32Params", dir: "in" }, { name: "pool", kind: "struct", struct: "Pool2dF32Params", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "pooled_grad", kind: "f32", dir: "in" }, { name: "argmax", kind: "i32", dir: "in" }, { name: "grad_filter", kind: "f32", dir: "out" }],
} as const;

/** Byte layout of every extern struct. */
export const structs = {
  UkernelInfo: {
    size: 60,
    fields: {
      name: { offset: 0, type: "u8", count: 40 },
      mr: { offset: 40, type: "i32", count: 1 },
      nr: { offset: 44, type: "i32", count: 1 },
      supported: { offset: 48, type: "i32", count: 1 },
      peak_macs_per_iteration: { offset: 52, type: "i32", count: 1 },
      chosen: { offset: 56, type: "i32", count: 1 },
    },
  },
  PeakParams: {
    size: 12,
    fields: {
      ukernel: { offset: 0, type: "i32", count: 1 },
      iterations: { offset: 4, type: "i32", count: 1 },
      threads: { offset: 8, type: "i32", count: 1 },
    },
  },
  BitpackParams: {
    size: 12,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      channels: { offset: 4, type: "i32", count: 1 },
      threads: { offset: 8, type: "i32", count: 1 },
    },
  },
  ChannelAffineParams: {
    size: 24,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      channels: { offset: 4, type: "i32", count: 1 },
      outputs: { offset: 8, type: "i32", count: 1 },
      threads: { offset: 12, type: "i32", count: 1 },
      values_stride: { offset: 16, type: "i32", count: 1 },
      bits_stride: { offset: 20, type: "i32", count: 1 },
    },
  },
  Im2colParams: {
    size: 60,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      in_words: { offset: 12, type: "i32", count: 1 },
      kernel_h: { offset: 16, type: "i32", count: 1 },
      kernel_w: { offset: 20, type: "i32", count: 1 },
      stride_h: { offset: 24, type: "i32", count: 1 },
      stride_w: { offset: 28, type: "i32", count: 1 },
      dilation_h: { offset: 32, type: "i32", count: 1 },
      dilation_w: { offset: 36, type: "i32", count: 1 },
      pad_top: { offset: 40, type: "i32", count: 1 },
      pad_left: { offset: 44, type: "i32", count: 1 },
      out_h: { offset: 48, type: "i32", count: 1 },
      out_w: { offset: 52, type: "i32", count: 1 },
      threads: { offset: 56, type: "i32", count: 1 },
    },
  },
  PackRhsParams: {
    size: 8,
    fields: {
      channels_out: { offset: 0, type: "i32", count: 1 },
      depth_words: { offset: 4, type: "i32", count: 1 },
    },
  },
  BgemmParams: {
    size: 32,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      channels_out: { offset: 4, type: "i32", count: 1 },
      depth_words: { offset: 8, type: "i32", count: 1 },
      depth_bits: { offset: 12, type: "i32", count: 1 },
      clamp_min: { offset: 16, type: "i32", count: 1 },
      clamp_max: { offset: 20, type: "i32", count: 1 },
      ukernel: { offset: 24, type: "i32", count: 1 },
      threads: { offset: 28, type: "i32", count: 1 },
    },
  },
  Bconv2dParams: {
    size: 80,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      channels_in: { offset: 12, type: "i32", count: 1 },
      channels_out: { offset: 16, type: "i32", count: 1 },
      kernel_h: { offset: 20, type: "i32", count: 1 },
      kernel_w: { offset: 24, type: "i32", count: 1 },
      stride_h: { offset: 28, type: "i32", count: 1 },
      stride_w: { offset: 32, type: "i32", count: 1 },
      dilation_h: { offset: 36, type: "i32", count: 1 },
      dilation_w: { offset: 40, type: "i32", count: 1 },
      pad_top: { offset: 44, type: "i32", count: 1 },
      pad_left: { offset: 48, type: "i32", count: 1 },
      out_h: { offset: 52, type: "i32", count: 1 },
      out_w: { offset: 56, type: "i32", count: 1 },
      clamp_min: { offset: 60, type: "i32", count: 1 },
      clamp_max: { offset: 64, type: "i32", count: 1 },
      ukernel: { offset: 68, type: "i32", count: 1 },
      threads: { offset: 72, type: "i32", count: 1 },
      workspace_words: { offset: 76, type: "i32", count: 1 },
    },
  },
  EpilogueParams: {
    size: 12,
    fields: {
      clamp_min: { offset: 0, type: "f32", count: 1 },
      clamp_max: { offset: 4, type: "f32", count: 1 },
      pack: { offset: 8, type: "i32", count: 1 },
    },
  },
  SpackParams: {
    size: 16,
    fields: {
      channels_out: { offset: 0, type: "i32", count: 1 },
      depth: { offset: 4, type: "i32", count: 1 },
      rhs_layout: { offset: 8, type: "i32", count: 1 },
      threads: { offset: 12, type: "i32", count: 1 },
    },
  },
  SgemmParams: {
    size: 28,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      channels_out: { offset: 4, type: "i32", count: 1 },
      depth: { offset: 8, type: "i32", count: 1 },
      clamp_min: { offset: 12, type: "f32", count: 1 },
      clamp_max: { offset: 16, type: "f32", count: 1 },
      ukernel: { offset: 20, type: "i32", count: 1 },
      threads: { offset: 24, type: "i32", count: 1 },
    },
  },
  Conv2dF32Params: {
    size: 80,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      channels_in: { offset: 12, type: "i32", count: 1 },
      channels_out: { offset: 16, type: "i32", count: 1 },
      kernel_h: { offset: 20, type: "i32", count: 1 },
      kernel_w: { offset: 24, type: "i32", count: 1 },
      stride_h: { offset: 28, type: "i32", count: 1 },
      stride_w: { offset: 32, type: "i32", count: 1 },
      dilation_h: { offset: 36, type: "i32", count: 1 },
      dilation_w: { offset: 40, type: "i32", count: 1 },
      pad_top: { offset: 44, type: "i32", count: 1 },
      pad_left: { offset: 48, type: "i32", count: 1 },
      out_h: { offset: 52, type: "i32", count: 1 },
      out_w: { offset: 56, type: "i32", count: 1 },
      clamp_min: { offset: 60, type: "f32", count: 1 },
      clamp_max: { offset: 64, type: "f32", count: 1 },
      ukernel: { offset: 68, type: "i32", count: 1 },
      threads: { offset: 72, type: "i32", count: 1 },
      keep_cols: { offset: 76, type: "i32", count: 1 },
    },
  },
  DepthwiseF32Params: {
    size: 72,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      channels_in: { offset: 12, type: "i32", count: 1 },
      multiplier: { offset: 16, type: "i32", count: 1 },
      kernel_h: { offset: 20, type: "i32", count: 1 },
      kernel_w: { offset: 24, type: "i32", count: 1 },
      stride_h: { offset: 28, type: "i32", count: 1 },
      stride_w: { offset: 32, type: "i32", count: 1 },
      dilation_h: { offset: 36, type: "i32", count: 1 },
      dilation_w: { offset: 40, type: "i32", count: 1 },
      pad_top: { offset: 44, type: "i32", count: 1 },
      pad_left: { offset: 48, type: "i32", count: 1 },
      out_h: { offset: 52, type: "i32", count: 1 },
      out_w: { offset: 56, type: "i32", count: 1 },
      clamp_min: { offset: 60, type: "f32", count: 1 },
      clamp_max: { offset: 64, type: "f32", count: 1 },
      threads: { offset: 68, type: "i32", count: 1 },
    },
  },
  Pool2dF32Params: {
    size: 64,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      channels: { offset: 12, type: "i32", count: 1 },
      kernel_h: { offset: 16, type: "i32", count: 1 },
      kernel_w: { offset: 20, type: "i32", count: 1 },
      stride_h: { offset: 24, type: "i32", count: 1 },
      stride_w: { offset: 28, type: "i32", count: 1 },
      pad_top: { offset: 32, type: "i32", count: 1 },
      pad_left: { offset: 36, type: "i32", count: 1 },
      out_h: { offset: 40, type: "i32", count: 1 },
      out_w: { offset: 44, type: "i32", count: 1 },
      kind: { offset: 48, type: "i32", count: 1 },
      clamp_min: { offset: 52, type: "f32", count: 1 },
      clamp_max: { offset: 56, type: "f32", count: 1 },
      threads: { offset: 60, type: "i32", count: 1 },
    },
  },
  UnaryF32Params: {
    size: 16,
    fields: {
      count: { offset: 0, type: "i32", count: 1 },
      op: { offset: 4, type: "i32", count: 1 },
      alpha: { offset: 8, type: "f32", count: 1 },
      threads: { offset: 12, type: "i32", count: 1 },
    },
  },
  SoftmaxF32Params: {
    size: 16,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      depth: { offset: 4, type: "i32", count: 1 },
      beta: { offset: 8, type: "f32", count: 1 },
      threads: { offset: 12, type: "i32", count: 1 },
    },
  },
  OptimizerF32Params: {
    size: 36,
    fields: {
      count: { offset: 0, type: "i32", count: 1 },
      op: { offset: 4, type: "i32", count: 1 },
      rate: { offset: 8, type: "f32", count: 1 },
      a: { offset: 12, type: "f32", count: 1 },
      b: { offset: 16, type: "f32", count: 1 },
      epsilon: { offset: 20, type: "f32", count: 1 },
      clamp_min: { offset: 24, type: "f32", count: 1 },
      clamp_max: { offset: 28, type: "f32", count: 1 },
      threads: { offset: 32, type: "i32", count: 1 },
    },
  },
  ElementwiseF32Params: {
    size: 20,
    fields: {
      count: { offset: 0, type: "i32", count: 1 },
      op: { offset: 4, type: "i32", count: 1 },
      clamp_min: { offset: 8, type: "f32", count: 1 },
      clamp_max: { offset: 12, type: "f32", count: 1 },
      threads: { offset: 16, type: "i32", count: 1 },
    },
  },
  StridedF32Params: {
    size: 128,
    fields: {
      rank: { offset: 0, type: "i32", count: 1 },
      op: { offset: 4, type: "i32", count: 1 },
      shape: { offset: 8, type: "i32", count: 6 },
      a_strides: { offset: 32, type: "i32", count: 6 },
      b_strides: { offset: 56, type: "i32", count: 6 },
      out_strides: { offset: 80, type: "i32", count: 6 },
      a_offset: { offset: 104, type: "i32", count: 1 },
      b_offset: { offset: 108, type: "i32", count: 1 },
      out_offset: { offset: 112, type: "i32", count: 1 },
      clamp_min: { offset: 116, type: "f32", count: 1 },
      clamp_max: { offset: 120, type: "f32", count: 1 },
      threads: { offset: 124, type: "i32", count: 1 },
    },
  },
  MeanF32Params: {
    size: 36,
    fields: {
      rank: { offset: 0, type: "i32", count: 1 },
      reduce_mask: { offset: 4, type: "i32", count: 1 },
      shape: { offset: 8, type: "i32", count: 6 },
      threads: { offset: 32, type: "i32", count: 1 },
    },
  },
  Col2imF32Params: {
    size: 68,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      image_h: { offset: 4, type: "i32", count: 1 },
      image_w: { offset: 8, type: "i32", count: 1 },
      channels: { offset: 12, type: "i32", count: 1 },
      kernel_h: { offset: 16, type: "i32", count: 1 },
      kernel_w: { offset: 20, type: "i32", count: 1 },
      stride_h: { offset: 24, type: "i32", count: 1 },
      stride_w: { offset: 28, type: "i32", count: 1 },
      dilation_h: { offset: 32, type: "i32", count: 1 },
      dilation_w: { offset: 36, type: "i32", count: 1 },
      pad_top: { offset: 40, type: "i32", count: 1 },
      pad_left: { offset: 44, type: "i32", count: 1 },
      cols_h: { offset: 48, type: "i32", count: 1 },
      cols_w: { offset: 52, type: "i32", count: 1 },
      clamp_min: { offset: 56, type: "f32", count: 1 },
      clamp_max: { offset: 60, type: "f32", count: 1 },
      threads: { offset: 64, type: "i32", count: 1 },
    },
  },
  QuantizeParams: {
    size: 20,
    fields: {
      count: { offset: 0, type: "i32", count: 1 },
      kind: { offset: 4, type: "i32", count: 1 },
      scale: { offset: 8, type: "f32", count: 1 },
      zero_point: { offset: 12, type: "i32", count: 1 },
      threads: { offset: 16, type: "i32", count: 1 },
    },
  },
  ResizeF32Params: {
    size: 40,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      channels: { offset: 12, type: "i32", count: 1 },
      out_h: { offset: 16, type: "i32", count: 1 },
      out_w: { offset: 20, type: "i32", count: 1 },
      method: { offset: 24, type: "i32", count: 1 },
      align_corners: { offset: 28, type: "i32", count: 1 },
      half_pixel_centers: { offset: 32, type: "i32", count: 1 },
      threads: { offset: 36, type: "i32", count: 1 },
    },
  },
  BnTrainParams: {
    size: 24,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      channels: { offset: 4, type: "i32", count: 1 },
      has_gamma: { offset: 8, type: "i32", count: 1 },
      has_beta: { offset: 12, type: "i32", count: 1 },
      epsilon: { offset: 16, type: "f32", count: 1 },
      threads: { offset: 20, type: "i32", count: 1 },
    },
  },
  SignPassParams: {
    size: 12,
    fields: {
      count: { offset: 0, type: "i32", count: 1 },
      clip: { offset: 4, type: "f32", count: 1 },
      threads: { offset: 8, type: "i32", count: 1 },
    },
  },
  MaxPoolGradParams: {
    size: 12,
    fields: {
      input_count: { offset: 0, type: "i32", count: 1 },
      output_count: { offset: 4, type: "i32", count: 1 },
      threads: { offset: 8, type: "i32", count: 1 },
    },
  },
  GatherSignsParams: {
    size: 24,
    fields: {
      blocks: { offset: 0, type: "i32", count: 1 },
      taps: { offset: 4, type: "i32", count: 1 },
      period: { offset: 8, type: "i32", count: 1 },
      row_stride: { offset: 12, type: "i32", count: 1 },
      tap_stride: { offset: 16, type: "i32", count: 1 },
      threads: { offset: 20, type: "i32", count: 1 },
    },
  },
  TransposeBitsParams: {
    size: 12,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      words: { offset: 4, type: "i32", count: 1 },
      threads: { offset: 8, type: "i32", count: 1 },
    },
  },
  TransposeF32Params: {
    size: 20,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      cols: { offset: 4, type: "i32", count: 1 },
      masked: { offset: 8, type: "i32", count: 1 },
      clip: { offset: 12, type: "f32", count: 1 },
      threads: { offset: 16, type: "i32", count: 1 },
    },
  },
  ReluPassParams: {
    size: 8,
    fields: {
      count: { offset: 0, type: "i32", count: 1 },
      threads: { offset: 4, type: "i32", count: 1 },
    },
  },
  SignGemmParams: {
    size: 28,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      columns: { offset: 4, type: "i32", count: 1 },
      depth: { offset: 8, type: "i32", count: 1 },
      row_stride: { offset: 12, type: "i32", count: 1 },
      depth_stride: { offset: 16, type: "i32", count: 1 },
      words: { offset: 20, type: "i32", count: 1 },
      threads: { offset: 24, type: "i32", count: 1 },
    },
  },
} as const;
