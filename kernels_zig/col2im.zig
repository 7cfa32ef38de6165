//! col2im, the adjoint of a float im2col: TRANSPOSE_CONV's second half, and a
//! convolution's input gradient. Gathers in the order the TS reference
//! (kernels/reference_float.ts) scatters, so that both give the same bits.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const num = @import("num.zig");
const clamp = num.clamp;
const u = num.u;

const Col2im = struct {
    p: *const abi.Col2imF32Params,
    cols: [*]const f32,
    bias: [*]const f32,
    image: [*]f32,

    /// First tap index, from the top, whose source row/column lies inside the cols grid, walked so that sources
    /// come in increasing order: the reference scatters pixel by pixel, this gathers in the same order.
    fn task(ctx: *const anyopaque, t: usize) void {
        const s: *const Col2im = @ptrCast(@alignCast(ctx));
        const p = s.p;
        const ih = u(p.image_h);
        const n = t / ih;
        const y = t % ih;
        const c = u(p.channels);
        const taps = u(p.kernel_h) * u(p.kernel_w);
        for (0..u(p.image_w)) |x| {
            const o = s.image + ((n * ih + y) * u(p.image_w) + x) * c;
            @memset(o[0..c], 0);
            var ky = u(p.kernel_h);
            while (ky > 0) {
                ky -= 1;
                const ty = @as(isize, @intCast(y)) + p.pad_top - @as(isize, @intCast(ky * u(p.dilation_h)));
                if (ty < 0 or @mod(ty, p.stride_h) != 0) continue;
                const cy: usize = @intCast(@divExact(ty, p.stride_h));
                if (cy >= u(p.cols_h)) continue;
                var kx = u(p.kernel_w);
                while (kx > 0) {
                    kx -= 1;
                    const tx = @as(isize, @intCast(x)) + p.pad_left - @as(isize, @intCast(kx * u(p.dilation_w)));
                    if (tx < 0 or @mod(tx, p.stride_w) != 0) continue;
                    const cx: usize = @intCast(@divExact(tx, p.stride_w));
                    if (cx >= u(p.cols_w)) continue;
                    const src = s.cols + (((n * u(p.cols_h) + cy) * u(p.cols_w) + cx) * taps + ky * u(p.kernel_w) + kx) * c;
                    for (0..c) |ch| o[ch] += src[ch];
                }
            }
            for (0..c) |ch| o[ch] = clamp(o[ch] + s.bias[ch], p.clamp_min, p.clamp_max);
        }
    }
};

/// image[n, y, x, c] = clamp(bias[c] + Σ cols[n, cy, cx, ky, kx, c]) over the taps with
/// cy·stride_h + ky·dilation_h - pad_top = y (and likewise for x): the adjoint of im2col, gathered per
/// output row so threads never write the same value.
pub fn col2im(p: *const abi.Col2imF32Params, cols: [*]const f32, bias: [*]const f32, image: [*]f32) abi.Status {
    if (p.batch < 0 or p.image_h <= 0 or p.image_w <= 0 or p.channels <= 0 or p.kernel_h <= 0 or p.kernel_w <= 0 or
        p.stride_h <= 0 or p.stride_w <= 0 or p.dilation_h <= 0 or p.dilation_w <= 0 or p.pad_top < 0 or
        p.pad_left < 0 or p.cols_h <= 0 or p.cols_w <= 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const s: Col2im = .{ .p = p, .cols = cols, .bias = bias, .image = image };
    const rows = u(p.batch) * u(p.image_h);
    const values = rows * u(p.image_w) * u(p.channels);
    thread_pool.run(if (values < 1 << 14) 1 else u(p.threads), rows, &s, Col2im.task);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_col2im_f32(params: *const abi.Col2imF32Params, cols: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(col2im(params, cols, bias, output));
}

test "col2im: a 2x2 stride-2 transposed tap layout lands each value once; overlaps add" {
    // cols grid 1x2, 1 channel, 2x2 kernel, stride 1: image 2x3
    const cols = [_]f32{ 1, 2, 3, 4, 10, 20, 30, 40 };
    const bias = [_]f32{0.5};
    var image: [6]f32 = undefined;
    const p: abi.Col2imF32Params = .{ .batch = 1, .image_h = 2, .image_w = 3, .channels = 1, .kernel_h = 2, .kernel_w = 2, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 0, .pad_left = 0, .cols_h = 1, .cols_w = 2, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, col2im(&p, &cols, &bias, &image));
    try std.testing.expectEqualSlices(f32, &.{ 1.5, 12.5, 20.5, 3.5, 34.5, 40.5 }, &image);
}
