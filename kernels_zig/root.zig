//! The only file with exported symbols: the C ABI of libonebit, exactly the
//! list in abi.zig (checked below), each a thin wrapper that forwards to the
//! op's file. Arguments are validated in TypeScript before a call; the checks
//! (here or in the op) return Status.invalid_argument and exist so that a
//! caller other than ours gets an error, not a crash.
const std = @import("std");
const abi = @import("abi.zig");
const bitpack = @import("bitpack.zig");
const im2col = @import("im2col.zig");
const bgemm = @import("bgemm.zig");
const bconv2d = @import("bconv2d.zig");
const sgemm = @import("sgemm.zig");
const conv2d_f32 = @import("conv2d_f32.zig");
const depthwise_f32 = @import("depthwise_f32.zig");
const pool2d = @import("pool2d.zig");
const softmax = @import("softmax.zig");
const unary = @import("unary.zig");
const elementwise = @import("elementwise.zig");
const strided = @import("strided.zig");
const resize = @import("resize.zig");
const mean = @import("mean.zig");
const col2im = @import("col2im.zig");
const quantize = @import("quantize.zig");
const thread_pool = @import("thread_pool.zig");
const Window = @import("window.zig").Window;

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
    bgemm.describe(@intCast(index), info);
    return status(.ok);
}

/// `sink` holds one word per thread (the loops' results, so none is dead code).
pub export fn onebit_peak_loop(params: *const abi.PeakParams, sink: [*]u32) callconv(.c) i32 {
    return status(bgemm.peak(params, sink));
}

pub export fn onebit_bitpack_f32_b32(params: *const abi.BitpackParams, input: [*]const f32, output: [*]u32) callconv(.c) i32 {
    if (params.rows < 0 or params.channels <= 0 or !thread_pool.validThreads(params.threads))
        return status(.invalid_argument);
    bitpack.packThreaded(@intCast(params.rows), @intCast(params.channels), input, output, @intCast(params.threads));
    return status(.ok);
}

/// LceQuantize of an int8 tensor: bit = 1 iff the value is below its zero point.
pub export fn onebit_bitpack_i8_b32(params: *const abi.BitpackParams, zero_point: i32, input: [*]const u8, output: [*]u32) callconv(.c) i32 {
    if (params.rows < 0 or params.channels <= 0 or !thread_pool.validThreads(params.threads) or
        zero_point < -128 or zero_point > 127) return status(.invalid_argument);
    const x: [*]const i8 = @ptrCast(input);
    bitpack.packThreadedBelow(i8, @intCast(params.rows), @intCast(params.channels), @intCast(zero_point), x, output, @intCast(params.threads));
    return status(.ok);
}

pub export fn onebit_im2col_b32(params: *const abi.Im2colParams, input: [*]const u32, output: [*]u32) callconv(.c) i32 {
    const g = Window.of(params);
    if (!g.valid() or params.in_words <= 0) return status(.invalid_argument);
    im2col.run(&g, @intCast(params.in_words), input, output);
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

pub export fn onebit_bconv2d_b32_f32(params: *const abi.Bconv2dParams, input: [*]const u32, packed_filter: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, workspace: [*]u32, output: [*]f32) callconv(.c) i32 {
    return status(bconv2d.run(params, input, packed_filter, workspace, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output } }));
}

pub export fn onebit_bconv2d_b32_b32(params: *const abi.Bconv2dParams, input: [*]const u32, packed_filter: [*]const u32, threshold: [*]const i32, workspace: [*]u32, output: [*]u32) callconv(.c) i32 {
    return status(bconv2d.run(params, input, packed_filter, workspace, .{ .b32 = .{ .threshold = threshold, .out = output } }));
}

pub export fn onebit_bconv2d_b32_f32_add(params: *const abi.Bconv2dParams, epilogue: *const abi.EpilogueParams, input: [*]const u32, packed_filter: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, residual: [*]const f32, workspace: [*]u32, output: [*]f32, packed_output: [*]u32) callconv(.c) i32 {
    if (epilogue.pack != 0 and epilogue.pack != 1) return status(.invalid_argument);
    const e: bgemm.Epilogue = .{
        .residual = residual,
        .clamp_min = epilogue.clamp_min,
        .clamp_max = epilogue.clamp_max,
        .packed_out = if (epilogue.pack == 1) packed_output else null,
    };
    return status(bconv2d.run(params, input, packed_filter, workspace, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output, .epilogue = e } }));
}

pub export fn onebit_sgemm_ukernel_count() callconv(.c) i32 {
    return sgemm.kernels.len;
}

pub export fn onebit_sgemm_ukernel_info(index: i32, info: *abi.UkernelInfo) callconv(.c) i32 {
    if (index < 0 or index >= sgemm.kernels.len) return status(.invalid_argument);
    sgemm.describe(@intCast(index), info);
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
    return status(conv2d_f32.conv2d(params, input, packed_filter, bias, workspace, output));
}

pub export fn onebit_depthwise_conv2d_f32(params: *const abi.DepthwiseF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(depthwise_f32.depthwise(params, input, filter, bias, output));
}

pub export fn onebit_pool2d_f32(params: *const abi.Pool2dF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(pool2d.pool2d(params, input, output));
}

pub export fn onebit_softmax_f32(params: *const abi.SoftmaxF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(softmax.softmax(params, input, output));
}

pub export fn onebit_unpack_b32_f32(params: *const abi.BitpackParams, input: [*]const u32, output: [*]f32) callconv(.c) i32 {
    return status(bitpack.unpack(params, input, output));
}

pub export fn onebit_unary_f32(params: *const abi.UnaryF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(unary.unary(params, input, output));
}

pub export fn onebit_maxpool2d_argmax_f32(params: *const abi.Pool2dF32Params, input: [*]const f32, output: [*]f32, argmax: [*]i32) callconv(.c) i32 {
    return status(pool2d.maxpool2dArgmax(params, input, output, argmax));
}

pub export fn onebit_bmaxpool2d_b32(params: *const abi.Pool2dF32Params, input: [*]const u32, output: [*]u32) callconv(.c) i32 {
    return status(pool2d.bmaxpool2d(params, input, output));
}

pub export fn onebit_elementwise_f32(params: *const abi.ElementwiseF32Params, a: [*]const f32, b: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(elementwise.elementwise(params, a, b, output));
}

pub export fn onebit_strided_f32(params: *const abi.StridedF32Params, a: [*]const f32, b: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(strided.strided(params, a, b, output));
}

pub export fn onebit_mean_f32(params: *const abi.MeanF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(mean.mean(params, input, output));
}

pub export fn onebit_col2im_f32(params: *const abi.Col2imF32Params, cols: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(col2im.col2im(params, cols, bias, output));
}

pub export fn onebit_quantize(params: *const abi.QuantizeParams, input: [*]const u8, output: [*]u8) callconv(.c) i32 {
    return status(quantize.quantize(params, input, output));
}

pub export fn onebit_resize_f32(params: *const abi.ResizeF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return status(resize.resize(params, input, output));
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

test {
    // zig build test runs the tests of the files named here.
    inline for (.{ bitpack, im2col, bgemm, bconv2d, sgemm, conv2d_f32, depthwise_f32, pool2d, softmax, unary, elementwise, strided, mean, col2im, quantize, resize, thread_pool, @import("num.zig"), @import("window.zig"), @import("pixel.zig") }) |file| _ = file;
}
