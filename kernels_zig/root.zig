//! The only file with exported symbols: the C ABI of libonebit, exactly the
//! list in abi.zig (checked below). Arguments are validated in TypeScript
//! before a call; the checks here return Status.invalid_argument and exist
//! so that a caller other than ours gets an error, not a crash.
const std = @import("std");
const abi = @import("abi.zig");
const bitpack = @import("bitpack.zig");
const im2col = @import("im2col.zig");
const bgemm = @import("bgemm.zig");
const pool = @import("pool.zig");
const sgemm = @import("sgemm.zig");
const fops = @import("fops.zig");
const nd = @import("nd.zig");

const Status = abi.Status;

fn status(s: Status) i32 {
    return @intFromEnum(s);
}

pub export fn onebit_abi_version() callconv(.c) i32 {
    return abi.version;
}

pub export fn onebit_abi_hash() callconv(.c) i32 {
    return @bitCast(abi.hash);
}

pub export fn onebit_ukernel_count() callconv(.c) i32 {
    return bgemm.kernels.len;
}

pub export fn onebit_ukernel_info(index: i32, info: *abi.UkernelInfo) callconv(.c) i32 {
    if (index < 0 or index >= bgemm.kernels.len) return status(.invalid_argument);
    const i: usize = @intCast(index);
    const e = bgemm.kernels[i];
    info.* = .{
        .name = @splat(0),
        .mr = @intCast(e.mr),
        .nr = @intCast(e.nr()),
        .supported = @intFromBool(bgemm.supported(i)),
        .peak_macs_per_iteration = @intCast(e.mr * e.nr() * 32),
    };
    @memcpy(info.name[0..e.name.len], e.name);
    return status(.ok);
}

/// `sink` holds one word per thread (the loops' results, so none is dead code).
pub export fn onebit_peak_loop(params: *const abi.PeakParams, sink: [*]u32) callconv(.c) i32 {
    if (params.iterations < 0 or params.ukernel < 0 or params.threads < 1 or params.threads > pool.max_threads)
        return status(.invalid_argument);
    const i = bgemm.select(params.ukernel) orelse return status(.unsupported_ukernel);
    const Ctx = struct {
        peak: *const @import("bgemm_ukernel.zig").PeakFn,
        iterations: usize,
        sink: [*]u32,
        fn task(ctx: *const anyopaque, t: usize) void {
            const c: *const @This() = @ptrCast(@alignCast(ctx));
            c.peak(c.iterations, &c.sink[t]);
        }
    };
    const threads: usize = @intCast(params.threads);
    const ctx: Ctx = .{ .peak = bgemm.table[i].peak, .iterations = @intCast(params.iterations), .sink = sink };
    pool.run(threads, threads, &ctx, Ctx.task);
    return status(.ok);
}

pub export fn onebit_bitpack_f32_b32(params: *const abi.BitpackParams, input: [*]const f32, output: [*]u32) callconv(.c) i32 {
    if (params.rows < 0 or params.channels <= 0 or params.threads < 1 or params.threads > pool.max_threads)
        return status(.invalid_argument);
    bitpack.packThreaded(@intCast(params.rows), @intCast(params.channels), input, output, @intCast(params.threads));
    return status(.ok);
}

/// LceQuantize of an int8 tensor: bit = 1 iff the value is below its zero point.
pub export fn onebit_bitpack_i8_b32(params: *const abi.BitpackParams, zero_point: i32, input: [*]const u8, output: [*]u32) callconv(.c) i32 {
    if (params.rows < 0 or params.channels <= 0 or params.threads < 1 or params.threads > pool.max_threads or
        zero_point < -128 or zero_point > 127) return status(.invalid_argument);
    const x: [*]const i8 = @ptrCast(input);
    bitpack.packThreadedBelow(i8, @intCast(params.rows), @intCast(params.channels), @intCast(zero_point), x, output, @intCast(params.threads));
    return status(.ok);
}

fn validIm2col(p: *const abi.Im2colParams) bool {
    return p.batch >= 0 and p.in_h > 0 and p.in_w > 0 and p.in_words > 0 and
        p.kernel_h > 0 and p.kernel_w > 0 and p.stride_h > 0 and p.stride_w > 0 and
        p.dilation_h > 0 and p.dilation_w > 0 and p.pad_top >= 0 and p.pad_left >= 0 and
        p.out_h > 0 and p.out_w > 0;
}

pub export fn onebit_im2col_b32(params: *const abi.Im2colParams, input: [*]const u32, output: [*]u32) callconv(.c) i32 {
    if (!validIm2col(params)) return status(.invalid_argument);
    im2col.run(params, input, output);
    return status(.ok);
}

pub export fn onebit_bgemm_pack_rhs_b32(params: *const abi.PackRhsParams, rhs: [*]const u32, packed_rhs: [*]u32) callconv(.c) i32 {
    if (params.channels_out <= 0 or params.depth_words <= 0) return status(.invalid_argument);
    bgemm.packRhs(@intCast(params.channels_out), @intCast(params.depth_words), rhs, packed_rhs);
    return status(.ok);
}

pub export fn onebit_bgemm_b32_f32(params: *const abi.BgemmParams, lhs: [*]const u32, packed_rhs: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(bgemm.run(params, lhs, packed_rhs, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output } }));
}

pub export fn onebit_bgemm_b32_b32(params: *const abi.BgemmParams, lhs: [*]const u32, packed_rhs: [*]const u32, threshold: [*]const i32, output: [*]u32) callconv(.c) i32 {
    return status(bgemm.run(params, lhs, packed_rhs, .{ .b32 = .{ .threshold = threshold, .out = output } }));
}

/// How a binary convolution reads its lhs rows (the input pixels' windows), and the workspace words that takes;
/// kernels/binary_kernels.ts (`bconv2dWorkspaceWords`) decides the same way. A 1x1, stride-1, unpadded filter is a
/// plain GEMM on the input. A filter with dilation_w = 1 reads its input in place, each window row being kernel_w
/// consecutive pixels: straight from the input when the windows stay inside it, else from a zero-padded copy of the
/// rows and pixels they span. Other filters (or a padded copy bigger than its im2col) write the windows out (im2col)
/// inside the GEMM's tasks.
const ConvLhs = struct {
    mode: enum { direct, in_place, padded, im2col },
    /// Input rows and pixels the windows span (in_place, padded).
    span_h: usize,
    span_w: usize,
    workspace_words: usize,

    fn of(p: *const abi.Bconv2dParams) ConvLhs {
        const words: usize = @intCast((p.channels_in + 31) >> 5);
        const batch: usize = @intCast(p.batch);
        const out_h: usize = @intCast(p.out_h);
        const out_w: usize = @intCast(p.out_w);
        const kh: usize = @intCast(p.kernel_h);
        const kw: usize = @intCast(p.kernel_w);
        const span_h = (out_h - 1) * @as(usize, @intCast(p.stride_h)) + (kh - 1) * @as(usize, @intCast(p.dilation_h)) + 1;
        const span_w = (out_w - 1) * @as(usize, @intCast(p.stride_w)) + (kw - 1) * @as(usize, @intCast(p.dilation_w)) + 1;
        const im2col_words = batch * out_h * out_w * kh * kw * words;
        var c: ConvLhs = .{ .mode = .im2col, .span_h = span_h, .span_w = span_w, .workspace_words = im2col_words };
        if (kh == 1 and kw == 1 and p.stride_h == 1 and p.stride_w == 1 and p.pad_top == 0 and p.pad_left == 0 and
            p.out_h == p.in_h and p.out_w == p.in_w)
        {
            c.mode = .direct;
            c.workspace_words = 0;
        } else if (p.dilation_w == 1) {
            if (p.pad_top == 0 and p.pad_left == 0 and span_h <= p.in_h and span_w <= p.in_w) {
                c.mode = .in_place;
                c.workspace_words = 0;
            } else if (batch * span_h * span_w * words <= im2col_words) {
                c.mode = .padded;
                c.workspace_words = batch * span_h * span_w * words;
            }
        }
        return c;
    }
};

fn bconv2d(p: *const abi.Bconv2dParams, input: [*]const u32, filter: [*]const u32, workspace: [*]u32, output: bgemm.Output) Status {
    if (p.channels_in <= 0 or p.channels_out <= 0) return .invalid_argument;
    const in_words = (p.channels_in + 31) >> 5;
    const i2c: abi.Im2colParams = .{
        .batch = p.batch,
        .in_h = p.in_h,
        .in_w = p.in_w,
        .in_words = in_words,
        .kernel_h = p.kernel_h,
        .kernel_w = p.kernel_w,
        .stride_h = p.stride_h,
        .stride_w = p.stride_w,
        .dilation_h = p.dilation_h,
        .dilation_w = p.dilation_w,
        .pad_top = p.pad_top,
        .pad_left = p.pad_left,
        .out_h = p.out_h,
        .out_w = p.out_w,
    };
    if (!validIm2col(&i2c) or p.threads < 1 or p.workspace_words < 0) return .invalid_argument;
    const depth_bits = @as(i128, p.kernel_h) * p.kernel_w * p.channels_in;
    const pixels = @as(i128, p.batch) * p.out_h * p.out_w;
    if (depth_bits > std.math.maxInt(i32) or pixels > std.math.maxInt(i32)) return .invalid_argument;
    const plan = ConvLhs.of(p);
    if (plan.workspace_words > p.workspace_words) return .invalid_argument;
    const g: abi.BgemmParams = .{
        .rows = @intCast(pixels),
        .channels_out = p.channels_out,
        .depth_words = p.kernel_h * p.kernel_w * in_words,
        .depth_bits = @intCast(depth_bits),
        .clamp_min = p.clamp_min,
        .clamp_max = p.clamp_max,
        .ukernel = p.ukernel,
        .threads = p.threads,
    };
    const words: usize = @intCast(in_words);
    const kh: usize = @intCast(p.kernel_h);
    const kw: usize = @intCast(p.kernel_w);
    switch (plan.mode) {
        .direct => return bgemm.run(&g, input, filter, output),
        .in_place, .padded => {
            const in_place = plan.mode == .in_place;
            if (!in_place) {
                const Pad = struct {
                    p: *const abi.Im2colParams,
                    h: usize,
                    w: usize,
                    input: [*]const u32,
                    out: [*]u32,
                    fn rows(c: *const @This(), begin: usize, end: usize) void {
                        im2col.padRows(c.p, c.h, c.w, c.input, c.out, begin, end);
                    }
                };
                const pad: Pad = .{ .p = &i2c, .h = plan.span_h, .w = plan.span_w, .input = input, .out = workspace };
                pool.runRanges(@intCast(p.threads), @as(usize, @intCast(p.batch)) * plan.span_h, 16, &pad, Pad.rows);
            }
            const row_w: usize = if (in_place) @intCast(p.in_w) else plan.span_w;
            const image_h: usize = if (in_place) @intCast(p.in_h) else plan.span_h;
            const lhs: bgemm.Lhs = .{
                .base = if (in_place) input else workspace,
                .out_h = @intCast(p.out_h),
                .out_w = @intCast(p.out_w),
                .image_words = image_h * row_w * words,
                .y_words = @as(usize, @intCast(p.stride_h)) * row_w * words,
                .x_words = @as(usize, @intCast(p.stride_w)) * words,
                .segments = kh,
                .segment_words = kw * words,
                .segment_stride = @as(usize, @intCast(p.dilation_h)) * row_w * words,
            };
            return bgemm.runWith(&g, lhs, filter, output, null);
        },
        .im2col => {
            const Im2col = struct {
                p: *const abi.Im2colParams,
                input: [*]const u32,
                output: [*]u32,
                fn rows(ctx: *const anyopaque, begin: usize, end: usize) void {
                    const c: *const @This() = @ptrCast(@alignCast(ctx));
                    im2col.runPixels(c.p, c.input, c.output, begin, end);
                }
            };
            const producer: Im2col = .{ .p = &i2c, .input = input, .output = workspace };
            const lhs: bgemm.Lhs = .dense(workspace, @intCast(pixels), kh * kw * words);
            return bgemm.runWith(&g, lhs, filter, output, .{ .ctx = &producer, .func = Im2col.rows });
        },
    }
}

pub export fn onebit_bconv2d_b32_f32(params: *const abi.Bconv2dParams, input: [*]const u32, packed_filter: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, workspace: [*]u32, output: [*]f32) callconv(.c) i32 {
    return status(bconv2d(params, input, packed_filter, workspace, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output } }));
}

pub export fn onebit_bconv2d_b32_b32(params: *const abi.Bconv2dParams, input: [*]const u32, packed_filter: [*]const u32, threshold: [*]const i32, workspace: [*]u32, output: [*]u32) callconv(.c) i32 {
    return status(bconv2d(params, input, packed_filter, workspace, .{ .b32 = .{ .threshold = threshold, .out = output } }));
}

pub export fn onebit_bconv2d_b32_f32_add(params: *const abi.Bconv2dParams, epilogue: *const abi.EpilogueParams, input: [*]const u32, packed_filter: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, residual: [*]const f32, workspace: [*]u32, output: [*]f32, packed_output: [*]u32) callconv(.c) i32 {
    if (epilogue.pack != 0 and epilogue.pack != 1) return status(.invalid_argument);
    const e: bgemm.Epilogue = .{
        .residual = residual,
        .clamp_min = epilogue.clamp_min,
        .clamp_max = epilogue.clamp_max,
        .packed_out = if (epilogue.pack == 1) packed_output else null,
    };
    return status(bconv2d(params, input, packed_filter, workspace, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output, .epilogue = e } }));
}

pub export fn onebit_sgemm_ukernel_count() callconv(.c) i32 {
    return sgemm.kernels.len;
}

pub export fn onebit_sgemm_ukernel_info(index: i32, info: *abi.UkernelInfo) callconv(.c) i32 {
    if (index < 0 or index >= sgemm.kernels.len) return status(.invalid_argument);
    const i: usize = @intCast(index);
    const e = sgemm.kernels[i];
    info.* = .{
        .name = @splat(0),
        .mr = @intCast(e.mr),
        .nr = @intCast(e.nr()),
        .supported = @intFromBool(sgemm.supported(i)),
        .peak_macs_per_iteration = 0,
    };
    @memcpy(info.name[0..e.name.len], e.name);
    return status(.ok);
}

pub export fn onebit_sgemm_pack_rhs_f32(params: *const abi.SpackParams, rhs: [*]const f32, packed_rhs: [*]f32) callconv(.c) i32 {
    if (params.channels_out <= 0 or params.depth <= 0) return status(.invalid_argument);
    switch (params.rhs_layout) {
        0 => sgemm.packRhs(@intCast(params.channels_out), @intCast(params.depth), rhs, packed_rhs),
        1 => sgemm.packRhsKn(@intCast(params.channels_out), @intCast(params.depth), rhs, packed_rhs),
        else => return status(.invalid_argument),
    }
    return status(.ok);
}

pub export fn onebit_sgemm_f32(params: *const abi.SgemmParams, lhs: [*]const f32, packed_rhs: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(sgemm.run(params, lhs, packed_rhs, bias, output));
}

pub export fn onebit_conv2d_f32(params: *const abi.Conv2dF32Params, input: [*]const f32, packed_filter: [*]const f32, bias: [*]const f32, workspace: [*]f32, output: [*]f32) callconv(.c) i32 {
    return status(sgemm.conv2d(params, input, packed_filter, bias, workspace, output));
}

pub export fn onebit_depthwise_conv2d_f32(params: *const abi.DepthwiseF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(fops.depthwise(params, input, filter, bias, output));
}

pub export fn onebit_pool2d_f32(params: *const abi.Pool2dF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(fops.pool2d(params, input, output));
}

pub export fn onebit_softmax_f32(params: *const abi.SoftmaxF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(fops.softmax(params, input, output));
}

pub export fn onebit_unpack_b32_f32(params: *const abi.BitpackParams, input: [*]const u32, output: [*]f32) callconv(.c) i32 {
    return status(fops.unpack(params, input, output));
}

pub export fn onebit_unary_f32(params: *const abi.UnaryF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(fops.unary(params, input, output));
}

pub export fn onebit_maxpool2d_argmax_f32(params: *const abi.Pool2dF32Params, input: [*]const f32, output: [*]f32, argmax: [*]i32) callconv(.c) i32 {
    return status(fops.maxpool2dArgmax(params, input, output, argmax));
}

pub export fn onebit_bmaxpool2d_b32(params: *const abi.Pool2dF32Params, input: [*]const u32, output: [*]u32) callconv(.c) i32 {
    return status(fops.bmaxpool2d(params, input, output));
}

pub export fn onebit_elementwise_f32(params: *const abi.ElementwiseF32Params, a: [*]const f32, b: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(fops.elementwise(params, a, b, output));
}

pub export fn onebit_strided_f32(params: *const abi.StridedF32Params, a: [*]const f32, b: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(nd.strided(params, a, b, output));
}

pub export fn onebit_mean_f32(params: *const abi.MeanF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(nd.mean(params, input, output));
}

pub export fn onebit_col2im_f32(params: *const abi.Col2imF32Params, cols: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(nd.col2im(params, cols, bias, output));
}

pub export fn onebit_quantize(params: *const abi.QuantizeParams, input: [*]const u8, output: [*]u8) callconv(.c) i32 {
    return status(nd.quantize(params, input, output));
}

// Every function of abi.api is exported here with exactly the declared
// parameter types, and nothing else is exported.
comptime {
    const here = @This();
    for (abi.api) |f| {
        const T = @TypeOf(@field(here, f.name));
        const info = @typeInfo(T).@"fn";
        std.debug.assert(info.return_type.? == i32);
        std.debug.assert(info.params.len == f.params.len);
        for (info.params, f.params) |a, b| {
            if (a.type.? != b.type) @compileError(f.name ++ ": parameter " ++ b.name ++ " differs from abi.zig");
        }
    }
    var exported = 0;
    for (@typeInfo(here).@"struct".decls) |d| {
        if (std.mem.startsWith(u8, d.name, "onebit_")) exported += 1;
    }
    if (exported != abi.api.len) @compileError("root.zig exports differ from abi.api");
}

test "ConvLhs: how each convolution reads its windows, and the workspace it needs" {
    var p: abi.Bconv2dParams = .{ .batch = 1, .in_h = 56, .in_w = 56, .channels_in = 64, .channels_out = 64, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .out_h = 56, .out_w = 56, .clamp_min = 0, .clamp_max = 0, .ukernel = -1, .threads = 1, .workspace_words = 0 };
    // SAME: a zero-padded copy of the 58x58 pixels the windows span, 2 words each.
    var c = ConvLhs.of(&p);
    try std.testing.expectEqual(.padded, c.mode);
    try std.testing.expectEqual(@as(usize, 58 * 58 * 2), c.workspace_words);
    // Too small a workspace is refused before anything is read or written.
    var out: [1]f32 = undefined;
    const none = [_]u32{0};
    try std.testing.expectEqual(Status.invalid_argument, bconv2d(&p, &none, &none, @constCast(&none), .{ .f32 = .{ .multiplier = &out, .bias = &out, .out = &out } }));
    // VALID: the input itself.
    p.pad_top = 0;
    p.pad_left = 0;
    p.out_h = 54;
    p.out_w = 54;
    c = ConvLhs.of(&p);
    try std.testing.expectEqual(.in_place, c.mode);
    try std.testing.expectEqual(@as(usize, 0), c.workspace_words);
    // SAME with stride 2 and the padding all at the bottom/right: still leaves the input.
    p.stride_h = 2;
    p.stride_w = 2;
    p.out_h = 28;
    p.out_w = 28;
    c = ConvLhs.of(&p);
    try std.testing.expectEqual(.padded, c.mode);
    try std.testing.expectEqual(@as(usize, 57 * 57 * 2), c.workspace_words);
    // Dilated along the width: im2col rows.
    p.dilation_w = 2;
    p.stride_h = 1;
    p.stride_w = 1;
    p.out_h = 52;
    p.out_w = 52;
    c = ConvLhs.of(&p);
    try std.testing.expectEqual(.im2col, c.mode);
    try std.testing.expectEqual(@as(usize, 52 * 52 * 9 * 2), c.workspace_words);
    // 1x1, stride 1: a plain GEMM on the input.
    p = .{ .batch = 2, .in_h = 7, .in_w = 7, .channels_in = 33, .channels_out = 8, .kernel_h = 1, .kernel_w = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 7, .out_w = 7, .clamp_min = 0, .clamp_max = 0, .ukernel = -1, .threads = 1, .workspace_words = 0 };
    try std.testing.expectEqual(.direct, ConvLhs.of(&p).mode);
}

test {
    _ = sgemm;
    _ = fops;
    _ = nd;
    _ = bitpack;
    _ = im2col;
    _ = bgemm;
    _ = pool;
    _ = @import("pixel.zig");
}
