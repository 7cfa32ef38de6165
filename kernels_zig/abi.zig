//! The C-ABI surface of libonebit, declared once.
//!
//! `api` lists every exported function with named parameters; `root.zig`
//! exports exactly these (checked at comptime) and `gen_abi.zig` turns this
//! file into `kernels/_abi_generated.ts`, with the `constants` the TS side
//! checks against. Change a struct, a signature or a constant here, bump
//! `version`, and regenerate (`deno task gen:abi`); the drift test fails
//! until the two agree.
const std = @import("std");

/// Bumped on every incompatible change of a struct, a signature or a constant.
pub const version: i32 = 19;

/// Threads one call may use at most (the thread pool's limit).
pub const max_threads = 64;
/// Highest tensor rank of the strided and reduction ops.
pub const max_rank = 6;
/// Output channels per block of packed weights: the GEMMs' packed-rhs layout
/// and the padding of their per-channel arrays (one bitpacked output word).
pub const channel_block = 32;
/// Rows of a float convolution's per-thread im2col tile (`keep_cols` 0), and
/// the float GEMM's largest row task.
pub const conv_tile_rows = 128;

/// Input channels and taps (kernel_h·kernel_w·channels_in) up to which a float convolution and its filter
/// gradient run direct (conv2d_small_cin.zig, train_conv2d_small_cin.zig): a network's first layer.
pub const small_cin_channels = 4;
pub const small_cin_depth = 64;
/// Chunks of output rows at most, and floats of their partial sums (one 32-channel block's) at most, of the
/// small-cin filter gradient: each chunk summed on its own, the chunks then added in order (its threads split
/// the chunks, the bits do not depend on them).
pub const small_cin_filter_chunks = 16;
pub const small_cin_filter_partials = 8192;
/// Floats a task of the fused first convolution and max pooling (conv2d_maxpool.zig) keeps on its stack: the
/// convolution rows one pooled row reads (pool height × width × channels), or one output row's gradient for a
/// 32-channel block (width × 32) in its filter gradient.
pub const conv_maxpool_floats = 8192;
/// BatchNormalization's training sums over rows (train_bn.zig): ceil(rows / bn_chunk_rows) chunks of rows, at most
/// bn_max_chunks, each summed on its own and the chunks' sums then added in order (its threads split the chunks,
/// the bits do not depend on them).
pub const bn_max_chunks = 4;
pub const bn_chunk_rows = 1024;

/// A limit both sides use: gen_abi.zig writes each to kernels/_abi_generated.ts
/// as `export const <name>`, and it is part of the hash.
pub const Constant = struct { name: []const u8, value: i32, doc: []const u8 };

pub const constants = [_]Constant{
    .{ .name = "MAX_THREADS", .value = max_threads, .doc = "Threads one call may use at most." },
    .{ .name = "MAX_RANK", .value = max_rank, .doc = "Highest rank the strided and reduction kernels take (after merging dims)." },
    .{ .name = "CHANNEL_BLOCK", .value = channel_block, .doc = "Output channels per block of packed weights (one bitpacked word)." },
    .{ .name = "CONV_TILE_ROWS", .value = conv_tile_rows, .doc = "Rows of the per-thread im2col tile of a float convolution." },
    .{ .name = "SMALL_CIN_CHANNELS", .value = small_cin_channels, .doc = "Input channels up to which a float convolution and its filter gradient run direct (no im2col)." },
    .{ .name = "SMALL_CIN_DEPTH", .value = small_cin_depth, .doc = "Taps (kernel_h·kernel_w·channels_in) up to which they do." },
    .{ .name = "SMALL_CIN_FILTER_CHUNKS", .value = small_cin_filter_chunks, .doc = "Chunks of output rows the small-cin filter gradient sums apart at most, then adds in order." },
    .{ .name = "SMALL_CIN_FILTER_PARTIALS", .value = small_cin_filter_partials, .doc = "Floats of those chunks' partial sums (one 32-channel block's) at most." },
    .{ .name = "BN_MAX_CHUNKS", .value = bn_max_chunks, .doc = "Chunks of rows a BatchNormalization training sum adds apart at most, then adds in order." },
    .{ .name = "BN_CHUNK_ROWS", .value = bn_chunk_rows, .doc = "Rows per chunk at least when there are several (ceil(rows / this) chunks, at most BN_MAX_CHUNKS)." },
    .{ .name = "CONV_MAXPOOL_FLOATS", .value = conv_maxpool_floats, .doc = "Floats of convolution rows (pool height × width × channels) and of a gradient row (width × 32) the fused first convolution and max pooling hold per task." },
};

/// Every export returns one of these. Arguments are validated in TypeScript
/// first; these codes are the second line of defence and are never expected.
pub const Status = enum(i32) {
    ok = 0,
    invalid_argument = 1,
    unsupported_ukernel = 2,
    out_of_memory = 3,
};

/// A status as the i32 the exports return.
pub fn code(s: Status) i32 {
    return @intFromEnum(s);
}

/// f32 [rows, channels] -> u32 [rows, ceil(channels/32)], LCE layout:
/// bit = 1 for x < 0 (so +0.0 and -0.0 both pack as +1), LSB first, padding bits 0.
pub const BitpackParams = extern struct {
    rows: i32,
    channels: i32,
    /// Row chunks run on this many threads (1..max_threads).
    threads: i32,
};

/// Bitpacked NHWC input u32 [batch, in_h, in_w, in_words] ->
/// u32 [batch*out_h*out_w, kernel_h*kernel_w*in_words]. Out-of-bounds taps are
/// zero words, which read as +1 ("same-one" padding).
pub const Im2colParams = extern struct {
    batch: i32,
    in_h: i32,
    in_w: i32,
    in_words: i32,
    kernel_h: i32,
    kernel_w: i32,
    stride_h: i32,
    stride_w: i32,
    dilation_h: i32,
    dilation_w: i32,
    pad_top: i32,
    pad_left: i32,
    out_h: i32,
    out_w: i32,
    /// Output pixels split over this many threads (1..max_threads).
    threads: i32,
};

/// Weights u32 [channels_out, depth_words] -> packed u32
/// [ceil(channels_out/32), depth_words, 32]: blocks of 32 output channels,
/// depth-major inside a block, zero rows for channels past channels_out.
pub const PackRhsParams = extern struct {
    channels_out: i32,
    depth_words: i32,
};

/// acc[r, c] = sum_k popcount(lhs[r, k] XOR rhs[c, k]).
/// Float output:     out[r, c] = clamp(depth_bits - 2 acc, clamp_min, clamp_max) * multiplier[c] + bias[c]
/// Bitpacked output: bit c of out[r, c/32] = acc[r, c] > threshold[c]
/// Per-channel arrays hold ceil(channels_out/32)*32 entries (padded).
pub const BgemmParams = extern struct {
    rows: i32,
    channels_out: i32,
    depth_words: i32,
    depth_bits: i32,
    clamp_min: i32,
    clamp_max: i32,
    /// -1 picks the fastest micro-kernel this CPU supports; else an index
    /// into the micro-kernel list (onebit_ukernel_info).
    ukernel: i32,
    threads: i32,
};

/// A binary 2-D convolution: the binary GEMM over the input pixels' windows,
/// read in place or from the workspace (bconv2d.zig `ConvLhs`). Filter packed by
/// onebit_bgemm_pack_rhs_b32 from OHWI words [channels_out, kernel_h*kernel_w*in_words].
pub const Bconv2dParams = extern struct {
    batch: i32,
    in_h: i32,
    in_w: i32,
    channels_in: i32,
    channels_out: i32,
    kernel_h: i32,
    kernel_w: i32,
    stride_h: i32,
    stride_w: i32,
    dilation_h: i32,
    dilation_w: i32,
    pad_top: i32,
    pad_left: i32,
    out_h: i32,
    out_w: i32,
    clamp_min: i32,
    clamp_max: i32,
    ukernel: i32,
    threads: i32,
    /// Words of the workspace buffer: at least what `ConvLhs` needs (checked).
    workspace_words: i32,
};

/// Describes one micro-kernel of the list (onebit_ukernel_info).
pub const UkernelInfo = extern struct {
    /// NUL-terminated, e.g. "bgemm_8x32__avx512vpopcnt".
    name: [40]u8,
    mr: i32,
    nr: i32,
    /// 1 when this CPU can run it.
    supported: i32,
    /// Binary MACs one call of the peak loop performs per iteration.
    peak_macs_per_iteration: i32,
    /// 1 for the kernel a call that names none runs on this CPU (ukernel = -1; select.zig: an in-order kernel only on
    /// GEMMs whose depth runs are long enough).
    chosen: i32,
};

/// A micro-kernel's inner-loop instruction mix on registers only, the
/// throughput limit it can reach on this CPU: XOR+popcount+accumulate for a
/// binary one (onebit_peak_loop), multiply-adds for a float one
/// (onebit_fma_peak_loop; `ukernel` indexes the float list then).
/// Runs on `threads` threads at once (each `iterations`): on machines whose
/// vCPUs share a core's vector units, 2 threads' limit is not 2x one.
pub const PeakParams = extern struct {
    ukernel: i32,
    iterations: i32,
    threads: i32,
};

/// SpackParams.rhs_layout: [channels_out, depth] rows (OHWI) or [depth, channels_out] (HWIO).
pub const RhsLayout = enum(i32) { oi, io };

/// Float weights -> packed [ceil(channels_out/32), depth, 32]. `rhs_layout`
/// (RhsLayout) `oi`: the weights are [channels_out, depth] rows (OHWI); `io`:
/// [depth, channels_out] rows (HWIO, a Keras Dense kernel, B of A·B), copied
/// in 32-float runs. Depths split over `threads` threads (1..max_threads).
pub const SpackParams = extern struct {
    channels_out: i32,
    depth: i32,
    rhs_layout: i32,
    threads: i32,
};

/// out[r, c] = clamp(sum_k lhs[r, k] * w[c, k] + bias[c], clamp_min, clamp_max),
/// w packed by onebit_sgemm_pack_rhs_f32; bias padded to ceil(channels_out/32)*32.
pub const SgemmParams = extern struct {
    rows: i32,
    channels_out: i32,
    depth: i32,
    clamp_min: f32,
    clamp_max: f32,
    /// -1: the fastest supported float micro-kernel; else an index into
    /// the float list (onebit_sgemm_ukernel_info).
    ukernel: i32,
    threads: i32,
};

/// A float 2-D convolution, NHWC input, OHWI filter packed as SpackParams
/// with depth kernel_h*kernel_w*channels_in; im2col into `workspace` unless
/// the filter is 1x1/stride 1/unpadded. Zero padding. `keep_cols` 1: the
/// workspace holds the whole im2col [pixels, depth] afterwards (training
/// reads it again); 0: it holds one tile of at most conv_tile_rows rows per
/// thread (threads · min(pixels, conv_tile_rows) · depth floats), filled and
/// consumed inside the GEMM's tasks.
pub const Conv2dF32Params = extern struct {
    batch: i32,
    in_h: i32,
    in_w: i32,
    channels_in: i32,
    channels_out: i32,
    kernel_h: i32,
    kernel_w: i32,
    stride_h: i32,
    stride_w: i32,
    dilation_h: i32,
    dilation_w: i32,
    pad_top: i32,
    pad_left: i32,
    out_h: i32,
    out_w: i32,
    clamp_min: f32,
    clamp_max: f32,
    ukernel: i32,
    threads: i32,
    keep_cols: i32,
};

/// Depthwise convolution, filter [1, kernel_h, kernel_w, channels_in*multiplier]
/// (TFLite layout), bias [channels_in*multiplier], zero padding.
pub const DepthwiseF32Params = extern struct {
    batch: i32,
    in_h: i32,
    in_w: i32,
    channels_in: i32,
    multiplier: i32,
    kernel_h: i32,
    kernel_w: i32,
    stride_h: i32,
    stride_w: i32,
    dilation_h: i32,
    dilation_w: i32,
    pad_top: i32,
    pad_left: i32,
    out_h: i32,
    out_w: i32,
    clamp_min: f32,
    clamp_max: f32,
    threads: i32,
};

/// Pool2dF32Params.kind.
pub const PoolKind = enum(i32) { max, avg };

/// Max or average (over in-bounds taps) pooling, NHWC; `kind` a PoolKind.
pub const Pool2dF32Params = extern struct {
    batch: i32,
    in_h: i32,
    in_w: i32,
    channels: i32,
    kernel_h: i32,
    kernel_w: i32,
    stride_h: i32,
    stride_w: i32,
    pad_top: i32,
    pad_left: i32,
    out_h: i32,
    out_w: i32,
    kind: i32,
    clamp_min: f32,
    clamp_max: f32,
    threads: i32,
};

/// ElementwiseF32Params.op.
pub const ElementwiseOp = enum(i32) { add, sub, mul };

/// out[i] = clamp(a[i] op b[i]); `op` an ElementwiseOp.
pub const ElementwiseF32Params = extern struct {
    count: i32,
    op: i32,
    clamp_min: f32,
    clamp_max: f32,
    threads: i32,
};

/// UnaryF32Params.op (`alpha`: LEAKY_RELU's slope below 0).
pub const UnaryOp = enum(i32) { relu, relu6, relu_n1_to_1, logistic, tanh, hard_swish, leaky_relu, abs, neg, square, sqrt, rsqrt, exp, log };

/// out[i] = f(in[i]) for the activation `op`, a UnaryOp (LEAKY_RELU's slope
/// below 0 is `alpha`).
pub const UnaryF32Params = extern struct {
    count: i32,
    op: i32,
    alpha: f32,
    threads: i32,
};

/// OptimizerF32Params.op (optim.zig): the slots each reads and writes — adam: m, v; momentum, nesterov: the
/// velocity; bop: m; sgd: none.
pub const OptimizerOp = enum(i32) { adam, sgd, momentum, nesterov, bop };

/// Softmax over the last axis of [rows, depth]: exp(beta·(x - max)) / sum.
pub const SoftmaxF32Params = extern struct {
    rows: i32,
    depth: i32,
    beta: f32,
    threads: i32,
};

/// StridedF32Params.op: `copy` reads a only; max/min/prelu as TFLite's MAXIMUM, MINIMUM, PRELU.
pub const StridedOp = enum(i32) { add, sub, mul, copy, max, min, prelu, div, squared_difference };

/// out[i] = clamp(a[i] op b[i]) over the index space `shape` (first `rank`
/// entries), each operand addressed by its element offset and strides (0 =
/// broadcast along that dim, negative = backwards along it); `op` a StridedOp:
/// add, sub, mul, copy a (b unread), max, min (TFLite's `a > b ? a : b`,
/// `a < b ? a : b`), prelu (a >= 0 ? a : a·b). The caller checks every
/// operand's reach against its length (the native side: no element below 0).
pub const StridedF32Params = extern struct {
    rank: i32,
    op: i32,
    shape: [max_rank]i32,
    a_strides: [max_rank]i32,
    b_strides: [max_rank]i32,
    out_strides: [max_rank]i32,
    a_offset: i32,
    b_offset: i32,
    out_offset: i32,
    clamp_min: f32,
    clamp_max: f32,
    threads: i32,
};

/// y = x·scale[c] + shift[c] on rows of `channels` floats (channel_affine.zig); `outputs` bit 0 writes y,
/// bit 1 its bitpacked signs (as BitpackParams' output), bit 2 writes x instead of y.
pub const ChannelAffineParams = extern struct {
    rows: i32,
    channels: i32,
    outputs: i32,
    /// Row chunks run on this many threads (1..max_threads).
    threads: i32,
    /// Row strides of the float and the packed output (0: `channels` floats, ceil(channels/32) words).
    values_stride: i32,
    bits_stride: i32,
};

/// MEAN of a contiguous tensor `shape` over the dims whose bit is set in
/// `reduce_mask` (bit d = dim d); the output keeps the other dims in order.
pub const MeanF32Params = extern struct {
    rank: i32,
    reduce_mask: i32,
    shape: [max_rank]i32,
    threads: i32,
};

/// The adjoint of a float im2col: cols [batch, cols_h, cols_w, kernel_h,
/// kernel_w, channels] summed into image [batch, image_h, image_w, channels],
/// where tap (ky, kx) of cols pixel (cy, cx) lands on image pixel
/// (cy·stride_h + ky·dilation_h - pad_top, cx·stride_w + kx·dilation_w - pad_left);
/// then + bias[channels] and clamp. TRANSPOSE_CONV's second half.
pub const Col2imF32Params = extern struct {
    batch: i32,
    image_h: i32,
    image_w: i32,
    channels: i32,
    kernel_h: i32,
    kernel_w: i32,
    stride_h: i32,
    stride_w: i32,
    dilation_h: i32,
    dilation_w: i32,
    pad_top: i32,
    pad_left: i32,
    cols_h: i32,
    cols_w: i32,
    clamp_min: f32,
    clamp_max: f32,
    threads: i32,
};

/// QuantizeParams.kind: float32 to int8/uint8, back, and float16 to float32.
pub const QuantizeKind = enum(i32) { f32_to_i8, f32_to_u8, i8_to_f32, u8_to_f32, f16_to_f32 };

/// QUANTIZE / DEQUANTIZE over `count` values, `kind` a QuantizeKind: f32 to
/// int8/uint8 (clamp(round(x / scale) + zero_point), halves away from zero,
/// NaN -> 0); int8/uint8 to f32 ((q - zero_point)·scale); float16 to f32.
pub const QuantizeParams = extern struct {
    count: i32,
    kind: i32,
    scale: f32,
    zero_point: i32,
    threads: i32,
};

/// What onebit_bconv2d_b32_f32_add does after the convolution's float
/// output transform: out = clamp(out + residual, clamp_min, clamp_max) (an
/// ADD fused into the convolution), and with `pack` = 1 also writes the
/// bitpacked sum (the LceQuantize that reads it) to `packed_output`.
pub const EpilogueParams = extern struct {
    clamp_min: f32,
    clamp_max: f32,
    pack: i32,
};

/// ResizeF32Params.method.
pub const ResizeMethod = enum(i32) { bilinear, nearest };

/// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (`method`, a ResizeMethod) of NHWC
/// [batch, in_h, in_w, channels] to [batch, out_h, out_w, channels], in TFLite's
/// f32 arithmetic: scale in/out, or (in-1)/(out-1) with `align_corners` (1) and
/// out > 1; `half_pixel_centers` (1) samples at (o + 0.5)·scale (- 0.5 bilinear).
pub const ResizeF32Params = extern struct {
    batch: i32,
    in_h: i32,
    in_w: i32,
    channels: i32,
    out_h: i32,
    out_w: i32,
    method: i32,
    align_corners: i32,
    half_pixel_centers: i32,
    threads: i32,
};

/// The op codes of the params structs' `op` / `kind` / `method` fields are the
/// pub enums above, each beside its struct. A kernel reads its field with
/// `opCode`, so a code past the list is an invalid argument; gen_abi.zig writes
/// each list's names to the TS side (`enums`), so the two never disagree on a
/// number.
/// An op-code list the TS side gets by name.
pub const Enum = struct { name: []const u8, type: type };

/// Every pub enum of this file but Status, as `SCREAMING_NAMES` (UnaryOp ->
/// UNARY_OPS): a new op-code enum is declared once, beside its struct.
pub const enums = blk: {
    var list: []const Enum = &.{};
    for (@typeInfo(@This()).@"struct".decls) |d| {
        if (std.mem.eql(u8, d.name, "enums") or std.mem.eql(u8, d.name, "hash")) continue;
        const v = @field(@This(), d.name);
        if (@TypeOf(v) != type or v == Status or @typeInfo(v) != .@"enum") continue;
        list = list ++ .{Enum{ .name = screaming(d.name) ++ "S", .type = v }};
    }
    break :blk list;
};

fn screaming(comptime name: []const u8) []const u8 {
    var out: []const u8 = "";
    for (name, 0..) |c, i| {
        if (i > 0 and std.ascii.isUpper(c)) out = out ++ "_";
        out = out ++ .{std.ascii.toUpper(c)};
    }
    return out;
}

/// The op code `v` as `E`, or null when it names none (the caller returns
/// Status.invalid_argument).
pub fn opCode(comptime E: type, v: i32) ?E {
    return std.meta.intToEnum(E, v) catch null;
}

/// A parameter of an exported function, for the TS generator.
pub const Param = struct { name: []const u8, type: type };
/// An exported function: its C name, the Zig file that defines it (`pub fn
/// <name>(...) callconv(.c) i32` there; root.zig exports it from that file),
/// and its parameters.
pub const Function = struct { name: []const u8, in: type, params: []const Param };

/// Every export of libonebit. Each returns i32 (a Status, or a count).
pub const api = [_]Function{
    .{ .name = "onebit_abi_version", .in = @This(), .params = &.{} },
    .{ .name = "onebit_abi_hash", .in = @This(), .params = &.{} },
    .{ .name = "onebit_ukernel_count", .in = @import("bgemm.zig"), .params = &.{} },
    .{ .name = "onebit_ukernel_info", .in = @import("bgemm.zig"), .params = &.{
        .{ .name = "index", .type = i32 },
        .{ .name = "info", .type = *UkernelInfo },
    } },
    .{ .name = "onebit_peak_loop", .in = @import("bgemm.zig"), .params = &.{
        .{ .name = "params", .type = *const PeakParams },
        .{ .name = "sink", .type = [*]u32 },
    } },
    .{ .name = "onebit_fma_peak_loop", .in = @import("fma_peak.zig"), .params = &.{
        .{ .name = "params", .type = *const PeakParams },
        .{ .name = "sink", .type = [*]u32 },
    } },
    .{ .name = "onebit_bitpack_f32_b32", .in = @import("bitpack.zig"), .params = &.{
        .{ .name = "params", .type = *const BitpackParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]u32 },
    } },
    .{ .name = "onebit_channel_affine_f32", .in = @import("channel_affine.zig"), .params = &.{
        .{ .name = "params", .type = *const ChannelAffineParams },
        .{ .name = "scale", .type = [*]const f32 },
        .{ .name = "shift", .type = [*]const f32 },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "values", .type = [*]f32 },
        .{ .name = "bits", .type = [*]u32 },
    } },
    .{ .name = "onebit_scale_prelu_add_f32", .in = @import("channel_affine.zig"), .params = &.{
        .{ .name = "params", .type = *const ChannelAffineParams },
        .{ .name = "scale", .type = [*]const f32 },
        .{ .name = "alpha", .type = [*]const f32 },
        .{ .name = "residual", .type = [*]const f32 },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "out", .type = [*]f32 },
    } },
    .{ .name = "onebit_bitpack_i8_b32", .in = @import("bitpack.zig"), .params = &.{
        .{ .name = "params", .type = *const BitpackParams },
        .{ .name = "zero_point", .type = i32 },
        .{ .name = "input", .type = [*]const u8 },
        .{ .name = "output", .type = [*]u32 },
    } },
    .{ .name = "onebit_im2col_b32", .in = @import("im2col.zig"), .params = &.{
        .{ .name = "params", .type = *const Im2colParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "output", .type = [*]u32 },
    } },
    .{ .name = "onebit_bgemm_pack_rhs_b32", .in = @import("bgemm.zig"), .params = &.{
        .{ .name = "params", .type = *const PackRhsParams },
        .{ .name = "rhs", .type = [*]const u32 },
        .{ .name = "packed_rhs", .type = [*]u32 },
    } },
    .{ .name = "onebit_bgemm_b32_f32", .in = @import("bgemm.zig"), .params = &.{
        .{ .name = "params", .type = *const BgemmParams },
        .{ .name = "lhs", .type = [*]const u32 },
        .{ .name = "packed_rhs", .type = [*]const u32 },
        .{ .name = "multiplier", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_bgemm_b32_b32", .in = @import("bgemm.zig"), .params = &.{
        .{ .name = "params", .type = *const BgemmParams },
        .{ .name = "lhs", .type = [*]const u32 },
        .{ .name = "packed_rhs", .type = [*]const u32 },
        .{ .name = "threshold", .type = [*]const i32 },
        .{ .name = "output", .type = [*]u32 },
    } },
    .{ .name = "onebit_bconv2d_b32_f32", .in = @import("bconv2d.zig"), .params = &.{
        .{ .name = "params", .type = *const Bconv2dParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "packed_filter", .type = [*]const u32 },
        .{ .name = "multiplier", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "workspace", .type = [*]u32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_bconv2d_b32_b32", .in = @import("bconv2d.zig"), .params = &.{
        .{ .name = "params", .type = *const Bconv2dParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "packed_filter", .type = [*]const u32 },
        .{ .name = "threshold", .type = [*]const i32 },
        .{ .name = "workspace", .type = [*]u32 },
        .{ .name = "output", .type = [*]u32 },
    } },
    .{ .name = "onebit_bconv2d_b32_f32_add", .in = @import("bconv2d.zig"), .params = &.{
        .{ .name = "params", .type = *const Bconv2dParams },
        .{ .name = "epilogue", .type = *const EpilogueParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "packed_filter", .type = [*]const u32 },
        .{ .name = "multiplier", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "residual", .type = [*]const f32 },
        .{ .name = "workspace", .type = [*]u32 },
        .{ .name = "output", .type = [*]f32 },
        .{ .name = "packed_output", .type = [*]u32 },
    } },
    .{ .name = "onebit_bconv2d_b32_f32_add_border", .in = @import("bconv2d_border.zig"), .params = &.{
        .{ .name = "params", .type = *const Bconv2dParams },
        .{ .name = "epilogue", .type = *const EpilogueParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "packed_filter", .type = [*]const u32 },
        .{ .name = "multiplier", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "residual", .type = [*]const f32 },
        .{ .name = "border_slots", .type = [*]const i32 },
        .{ .name = "border_fix", .type = [*]const f32 },
        .{ .name = "workspace", .type = [*]u32 },
        .{ .name = "output", .type = [*]f32 },
        .{ .name = "packed_output", .type = [*]u32 },
    } },
    .{ .name = "onebit_sgemm_ukernel_count", .in = @import("sgemm.zig"), .params = &.{} },
    .{ .name = "onebit_sgemm_ukernel_info", .in = @import("sgemm.zig"), .params = &.{
        .{ .name = "index", .type = i32 },
        .{ .name = "info", .type = *UkernelInfo },
    } },
    .{ .name = "onebit_sgemm_pack_rhs_f32", .in = @import("sgemm.zig"), .params = &.{
        .{ .name = "params", .type = *const SpackParams },
        .{ .name = "rhs", .type = [*]const f32 },
        .{ .name = "packed_rhs", .type = [*]f32 },
    } },
    .{ .name = "onebit_sgemm_f32", .in = @import("sgemm.zig"), .params = &.{
        .{ .name = "params", .type = *const SgemmParams },
        .{ .name = "lhs", .type = [*]const f32 },
        .{ .name = "packed_rhs", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_conv2d_f32", .in = @import("conv2d_f32.zig"), .params = &.{
        .{ .name = "params", .type = *const Conv2dF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "packed_filter", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "workspace", .type = [*]f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_depthwise_conv2d_f32", .in = @import("depthwise_f32.zig"), .params = &.{
        .{ .name = "params", .type = *const DepthwiseF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "filter", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_pool2d_f32", .in = @import("pool2d.zig"), .params = &.{
        .{ .name = "params", .type = *const Pool2dF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_maxpool2d_argmax_f32", .in = @import("pool2d.zig"), .params = &.{
        .{ .name = "params", .type = *const Pool2dF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
        .{ .name = "argmax", .type = [*]i32 },
    } },
    .{ .name = "onebit_bmaxpool2d_b32", .in = @import("pool2d.zig"), .params = &.{
        .{ .name = "params", .type = *const Pool2dF32Params },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "output", .type = [*]u32 },
    } },
    .{ .name = "onebit_unary_f32", .in = @import("unary.zig"), .params = &.{
        .{ .name = "params", .type = *const UnaryF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_softmax_f32", .in = @import("softmax.zig"), .params = &.{
        .{ .name = "params", .type = *const SoftmaxF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_unpack_b32_f32", .in = @import("bitpack.zig"), .params = &.{
        .{ .name = "params", .type = *const BitpackParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_optimizer_step_f32", .in = @import("optim.zig"), .params = &.{
        .{ .name = "params", .type = *const @import("optim.zig").OptimizerF32Params },
        .{ .name = "weights", .type = [*]f32 },
        .{ .name = "grads", .type = [*]const f32 },
        .{ .name = "slot1", .type = [*]f32 },
        .{ .name = "slot2", .type = [*]f32 },
    } },
    .{ .name = "onebit_elementwise_f32", .in = @import("elementwise.zig"), .params = &.{
        .{ .name = "params", .type = *const ElementwiseF32Params },
        .{ .name = "a", .type = [*]const f32 },
        .{ .name = "b", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_strided_f32", .in = @import("strided.zig"), .params = &.{
        .{ .name = "params", .type = *const StridedF32Params },
        .{ .name = "a", .type = [*]const f32 },
        .{ .name = "b", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_mean_f32", .in = @import("mean.zig"), .params = &.{
        .{ .name = "params", .type = *const MeanF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_col2im_f32", .in = @import("col2im.zig"), .params = &.{
        .{ .name = "params", .type = *const Col2imF32Params },
        .{ .name = "cols", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_quantize", .in = @import("quantize.zig"), .params = &.{
        .{ .name = "params", .type = *const QuantizeParams },
        .{ .name = "input", .type = [*]const u8 },
        .{ .name = "output", .type = [*]u8 },
    } },
    .{ .name = "onebit_resize_f32", .in = @import("resize.zig"), .params = &.{
        .{ .name = "params", .type = *const ResizeF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    // Training passes (train_bn.zig, train_sign.zig, train_pool.zig): their structs live in those files.
    .{ .name = "onebit_bn_train_forward_f32", .in = train_bn, .params = &.{
        .{ .name = "params", .type = *const train_bn.BnTrainParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "gamma", .type = [*]const f32 },
        .{ .name = "beta", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
        .{ .name = "stats", .type = [*]f32 },
    } },
    .{ .name = "onebit_bn_train_backward_f32", .in = train_bn, .params = &.{
        .{ .name = "params", .type = *const train_bn.BnTrainParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "gamma", .type = [*]const f32 },
        .{ .name = "stats", .type = [*]const f32 },
        .{ .name = "grad_input", .type = [*]f32 },
        .{ .name = "grad_gamma", .type = [*]f32 },
        .{ .name = "grad_beta", .type = [*]f32 },
    } },
    .{ .name = "onebit_sign_f32", .in = train_sign, .params = &.{
        .{ .name = "params", .type = *const train_sign.SignPassParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_ste_sign_grad_f32", .in = train_sign, .params = &.{
        .{ .name = "params", .type = *const train_sign.SignPassParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "grad_input", .type = [*]f32 },
    } },
    .{ .name = "onebit_approx_sign_grad_f32", .in = train_sign, .params = &.{
        .{ .name = "params", .type = *const train_sign.SignPassParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "grad_input", .type = [*]f32 },
    } },
    .{ .name = "onebit_maxpool2d_argmax_grad_f32", .in = train_pool, .params = &.{
        .{ .name = "params", .type = *const train_pool.MaxPoolGradParams },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "argmax", .type = [*]const i32 },
        .{ .name = "grad_input", .type = [*]f32 },
    } },
    .{ .name = "onebit_maxpool2d_argmax_grad_windows_f32", .in = train_pool, .params = &.{
        .{ .name = "params", .type = *const Pool2dF32Params },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "argmax", .type = [*]const i32 },
        .{ .name = "grad_input", .type = [*]f32 },
    } },
    // Training's gradient plumbing (train_unpack.zig, transpose.zig, train_relu.zig, train_depthwise.zig).
    .{ .name = "onebit_gather_signs_b32_f32", .in = train_unpack, .params = &.{
        .{ .name = "params", .type = *const train_unpack.GatherSignsParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_transpose_bits_b32", .in = train_unpack, .params = &.{
        .{ .name = "params", .type = *const train_unpack.TransposeBitsParams },
        .{ .name = "input", .type = [*]const u32 },
        .{ .name = "output", .type = [*]u32 },
    } },
    .{ .name = "onebit_transpose_f32", .in = transpose, .params = &.{
        .{ .name = "params", .type = *const transpose.TransposeF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "latent", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_relu_f32", .in = train_relu, .params = &.{
        .{ .name = "params", .type = *const train_relu.ReluPassParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_relu_grad_f32", .in = train_relu, .params = &.{
        .{ .name = "params", .type = *const train_relu.ReluPassParams },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "grad_input", .type = [*]f32 },
    } },
    .{ .name = "onebit_depthwise_backprop_input_f32", .in = train_depthwise, .params = &.{
        .{ .name = "params", .type = *const DepthwiseF32Params },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "filter", .type = [*]const f32 },
        .{ .name = "grad_input", .type = [*]f32 },
    } },
    .{ .name = "onebit_depthwise_backprop_filter_f32", .in = train_depthwise, .params = &.{
        .{ .name = "params", .type = *const DepthwiseF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "grad_filter", .type = [*]f32 },
    } },
    .{ .name = "onebit_conv2d_backprop_input_f32", .in = conv2d_backprop_input, .params = &.{
        .{ .name = "params", .type = *const Conv2dF32Params },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "filter", .type = [*]const f32 },
        .{ .name = "grad_input", .type = [*]f32 },
    } },
    .{ .name = "onebit_sign_gemm_f32", .in = sign_gemm, .params = &.{
        .{ .name = "params", .type = *const sign_gemm.SignGemmParams },
        .{ .name = "lhs", .type = [*]const f32 },
        .{ .name = "signs", .type = [*]const u32 },
        .{ .name = "output", .type = [*]f32 },
    } },
    .{ .name = "onebit_conv2d_backprop_filter_small_cin_f32", .in = train_conv2d_small_cin, .params = &.{
        .{ .name = "params", .type = *const Conv2dF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "grad_output", .type = [*]const f32 },
        .{ .name = "grad_filter", .type = [*]f32 },
    } },
    .{ .name = "onebit_conv2d_maxpool_f32", .in = @import("conv2d_maxpool.zig"), .params = &.{
        .{ .name = "params", .type = *const Conv2dF32Params },
        .{ .name = "pool", .type = *const Pool2dF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "packed_filter", .type = [*]const f32 },
        .{ .name = "bias", .type = [*]const f32 },
        .{ .name = "output", .type = [*]f32 },
        .{ .name = "argmax", .type = [*]i32 },
    } },
    .{ .name = "onebit_conv2d_maxpool_backprop_filter_f32", .in = train_conv2d_small_cin, .params = &.{
        .{ .name = "params", .type = *const Conv2dF32Params },
        .{ .name = "pool", .type = *const Pool2dF32Params },
        .{ .name = "input", .type = [*]const f32 },
        .{ .name = "pooled_grad", .type = [*]const f32 },
        .{ .name = "argmax", .type = [*]const i32 },
        .{ .name = "grad_filter", .type = [*]f32 },
    } },
};

const train_depthwise = @import("train_depthwise.zig");
const train_conv2d_small_cin = @import("train_conv2d_small_cin.zig");
const train_unpack = @import("train_unpack.zig");
const sign_gemm = @import("sign_gemm.zig");
const conv2d_backprop_input = @import("conv2d_backprop_input.zig");
const transpose = @import("transpose.zig");
const train_relu = @import("train_relu.zig");
const train_bn = @import("train_bn.zig");
const train_pool = @import("train_pool.zig");
const train_sign = @import("train_sign.zig");

/// The extern structs the TS side encodes: every struct a parameter of `api`
/// points to, in order of first use.
pub const structs = blk: {
    @setEvalBranchQuota(10_000);
    var list: []const type = &.{};
    for (api) |f| for (f.params) |p| {
        const info = @typeInfo(p.type);
        if (info != .pointer or info.pointer.size != .one) continue;
        const S = info.pointer.child;
        for (list) |seen| {
            if (seen == S) break;
        } else list = list ++ .{S};
    };
    break :blk list;
};

/// FNV-1a over every struct's field names, offsets and sizes, every
/// function's name and parameter types, every constant and status code: the
/// library and the generated TS must agree on it.
pub const hash: u32 = blk: {
    @setEvalBranchQuota(200_000);
    var h: u32 = 0x811c9dc5;
    for (structs) |S| {
        h = fnv(h, @typeName(S));
        h = fnvInt(h, @sizeOf(S));
        for (@typeInfo(S).@"struct".fields) |f| {
            h = fnv(h, f.name);
            h = fnvInt(h, @offsetOf(S, f.name));
            h = fnvInt(h, @sizeOf(f.type));
        }
    }
    for (api) |f| {
        h = fnv(h, f.name);
        for (f.params) |p| {
            h = fnv(h, p.name);
            h = fnv(h, @typeName(p.type));
        }
    }
    for (constants) |c| {
        h = fnv(h, c.name);
        h = fnvInt(h, @intCast(c.value));
    }
    for (@typeInfo(Status).@"enum".fields) |f| {
        h = fnv(h, f.name);
        h = fnvInt(h, f.value);
    }
    for (enums) |e| {
        h = fnv(h, e.name);
        for (@typeInfo(e.type).@"enum".fields) |f| {
            h = fnv(h, f.name);
            h = fnvInt(h, f.value);
        }
    }
    h = fnvInt(h, @intCast(version));
    break :blk h;
};

fn fnv(h0: u32, s: []const u8) u32 {
    var h = h0;
    for (s) |c| h = (h ^ c) *% 0x01000193;
    return h;
}

/// The 8 little-endian bytes of `v`, byte by byte: no pointer to comptime-mutable
/// memory reaches `fnv` (a memoized comptime call keyed by such a pointer once
/// returned another call's result, and the library's hash differed from gen_abi's).
fn fnvInt(h0: u32, v: usize) u32 {
    var h = h0;
    const x: u64 = v;
    for (0..8) |i| h = (h ^ @as(u8, @truncate(x >> @intCast(8 * i)))) *% 0x01000193;
    return h;
}

comptime {
    // Layouts the TS encoder relies on: all fields are 4 bytes, no padding.
    std.debug.assert(@sizeOf(BitpackParams) == 12);
    std.debug.assert(@sizeOf(ChannelAffineParams) == 24);
    std.debug.assert(@sizeOf(Im2colParams) == 15 * 4);
    std.debug.assert(@sizeOf(BgemmParams) == 8 * 4);
    std.debug.assert(@sizeOf(Bconv2dParams) == 20 * 4);
    std.debug.assert(@offsetOf(UkernelInfo, "mr") == 40);
    std.debug.assert(@sizeOf(UkernelInfo) == 60);
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_abi_version() callconv(.c) i32 {
    return version;
}

pub fn onebit_abi_hash() callconv(.c) i32 {
    return @bitCast(hash);
}
