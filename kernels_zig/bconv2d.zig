//! Binary 2-D convolution: the binary GEMM (bgemm.zig) over the input pixels' windows, read in place, from a
//! zero-padded copy of the input, or from im2col rows written inside the GEMM's tasks (`ConvLhs`).
const std = @import("std");
const abi = @import("abi.zig");
const bgemm = @import("bgemm.zig");
const im2col = @import("im2col.zig");
const thread_pool = @import("thread_pool.zig");
const Window = @import("window.zig").Window;

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
        const g = Window.of(p);
        const words: usize = @intCast((p.channels_in + 31) >> 5);
        const batch: usize = @intCast(g.batch);
        const out_h: usize = @intCast(g.out_h);
        const out_w: usize = @intCast(g.out_w);
        const kh: usize = @intCast(g.kernel_h);
        const kw: usize = @intCast(g.kernel_w);
        const span_h = (out_h - 1) * @as(usize, @intCast(g.stride_h)) + (kh - 1) * @as(usize, @intCast(g.dilation_h)) + 1;
        const span_w = (out_w - 1) * @as(usize, @intCast(g.stride_w)) + (kw - 1) * @as(usize, @intCast(g.dilation_w)) + 1;
        const im2col_words = batch * out_h * out_w * kh * kw * words;
        var c: ConvLhs = .{ .mode = .im2col, .span_h = span_h, .span_w = span_w, .workspace_words = im2col_words };
        if (kh == 1 and kw == 1 and g.stride_h == 1 and g.stride_w == 1 and g.pad_top == 0 and g.pad_left == 0 and
            g.out_h == g.in_h and g.out_w == g.in_w)
        {
            c.mode = .direct;
            c.workspace_words = 0;
        } else if (g.dilation_w == 1) {
            if (g.pad_top == 0 and g.pad_left == 0 and span_h <= g.in_h and span_w <= g.in_w) {
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

/// The binary convolution of abi.Bconv2dParams into `output` (float, bitpacked, or float with an epilogue).
pub fn run(p: *const abi.Bconv2dParams, input: [*]const u32, filter: [*]const u32, workspace: [*]u32, output: bgemm.Output) abi.Status {
    if (p.channels_in <= 0 or p.channels_out <= 0) return .invalid_argument;
    const in_words = (p.channels_in + 31) >> 5;
    const g = Window.of(p);
    if (!g.valid() or p.threads < 1 or p.workspace_words < 0) return .invalid_argument;
    const depth_bits = @as(i128, g.kernel_h) * g.kernel_w * p.channels_in;
    const pixels = @as(i128, g.batch) * g.out_h * g.out_w;
    if (depth_bits > std.math.maxInt(i32) or pixels > std.math.maxInt(i32)) return .invalid_argument;
    const plan = ConvLhs.of(p);
    if (plan.workspace_words > p.workspace_words) return .invalid_argument;
    const gemm: abi.BgemmParams = .{
        .rows = @intCast(pixels),
        .channels_out = p.channels_out,
        .depth_words = g.kernel_h * g.kernel_w * in_words,
        .depth_bits = @intCast(depth_bits),
        .clamp_min = p.clamp_min,
        .clamp_max = p.clamp_max,
        .ukernel = p.ukernel,
        .threads = p.threads,
    };
    const words: usize = @intCast(in_words);
    const kh: usize = @intCast(g.kernel_h);
    const kw: usize = @intCast(g.kernel_w);
    switch (plan.mode) {
        .direct => return bgemm.run(&gemm, input, filter, output),
        .in_place, .padded => {
            const in_place = plan.mode == .in_place;
            if (!in_place) {
                const Pad = struct {
                    g: *const Window,
                    words: usize,
                    h: usize,
                    w: usize,
                    input: [*]const u32,
                    out: [*]u32,
                    fn rows(c: *const @This(), begin: usize, end: usize) void {
                        im2col.padRows(c.g, c.words, c.h, c.w, c.input, c.out, begin, end);
                    }
                };
                const pad: Pad = .{ .g = &g, .words = words, .h = plan.span_h, .w = plan.span_w, .input = input, .out = workspace };
                thread_pool.runRanges(@intCast(p.threads), @as(usize, @intCast(g.batch)) * plan.span_h, 16, &pad, Pad.rows);
            }
            const row_w: usize = if (in_place) @intCast(g.in_w) else plan.span_w;
            const image_h: usize = if (in_place) @intCast(g.in_h) else plan.span_h;
            const lhs: bgemm.Lhs = .{
                .base = if (in_place) input else workspace,
                .out_h = @intCast(g.out_h),
                .out_w = @intCast(g.out_w),
                .image_words = image_h * row_w * words,
                .y_words = @as(usize, @intCast(g.stride_h)) * row_w * words,
                .x_words = @as(usize, @intCast(g.stride_w)) * words,
                .segments = kh,
                .segment_words = kw * words,
                .segment_stride = @as(usize, @intCast(g.dilation_h)) * row_w * words,
            };
            return bgemm.runWith(&gemm, lhs, filter, output, null);
        },
        .im2col => {
            const Im2col = struct {
                g: *const Window,
                words: usize,
                input: [*]const u32,
                output: [*]u32,
                fn rows(ctx: *const anyopaque, begin: usize, end: usize) void {
                    const c: *const @This() = @ptrCast(@alignCast(ctx));
                    im2col.runPixels(c.g, c.words, c.input, c.output, begin, end);
                }
            };
            const producer: Im2col = .{ .g = &g, .words = words, .input = input, .output = workspace };
            const lhs: bgemm.Lhs = .dense(workspace, @intCast(pixels), kh * kw * words);
            return bgemm.runWith(&gemm, lhs, filter, output, .{ .ctx = &producer, .func = Im2col.rows });
        },
    }
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_bconv2d_b32_f32(params: *const abi.Bconv2dParams, input: [*]const u32, packed_filter: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, workspace: [*]u32, output: [*]f32) callconv(.c) i32 {
    return abi.code(run(params, input, packed_filter, workspace, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output } }));
}

pub fn onebit_bconv2d_b32_b32(params: *const abi.Bconv2dParams, input: [*]const u32, packed_filter: [*]const u32, threshold: [*]const i32, workspace: [*]u32, output: [*]u32) callconv(.c) i32 {
    return abi.code(run(params, input, packed_filter, workspace, .{ .b32 = .{ .threshold = threshold, .out = output } }));
}

pub fn onebit_bconv2d_b32_f32_add(params: *const abi.Bconv2dParams, epilogue: *const abi.EpilogueParams, input: [*]const u32, packed_filter: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, residual: [*]const f32, workspace: [*]u32, output: [*]f32, packed_output: [*]u32) callconv(.c) i32 {
    if (epilogue.pack != 0 and epilogue.pack != 1) return abi.code(.invalid_argument);
    const e: bgemm.Epilogue = .{
        .residual = residual,
        .clamp_min = epilogue.clamp_min,
        .clamp_max = epilogue.clamp_max,
        .packed_out = if (epilogue.pack == 1) packed_output else null,
    };
    return abi.code(run(params, input, packed_filter, workspace, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output, .epilogue = e } }));
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
    try std.testing.expectEqual(abi.Status.invalid_argument, run(&p, &none, &none, @constCast(&none), .{ .f32 = .{ .multiplier = &out, .bias = &out, .out = &out } }));
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
