//! RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR of NHWC floats, in the f32
//! arithmetic of TFLite's reference kernels and of the TS reference
//! (kernels/reference_float.ts), so that both give the same bits.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

fn f(x: anytype) f32 {
    return @floatFromInt(x);
}

/// Input pixels per output pixel along one axis: (in-1)/(out-1) with align_corners (and out > 1), else in/out.
fn axisScale(in: i32, out: i32, align_corners: bool) f32 {
    if (align_corners and out > 1) return f(in - 1) / f(out - 1);
    return f(in) / f(out);
}

/// The bilinear sample of output coordinate `o`: neighbours lo, hi (clamped into the input) and the weight of hi.
const Lerp = struct { lo: usize, hi: usize, w: f32 };

fn lerp(o: usize, scale: f32, half_pixel: bool, in: i32) Lerp {
    const v: f32 = if (half_pixel) (f(o) + 0.5) * scale - 0.5 else f(o) * scale;
    const lo: i32 = @max(@as(i32, @intFromFloat(@floor(v))), 0);
    const hi: i32 = @min(@as(i32, @intFromFloat(@ceil(v))), in - 1);
    return .{ .lo = @intCast(lo), .hi = @intCast(hi), .w = v - f(lo) };
}

/// The nearest input index of output coordinate `o` (align_corners rounds half away from zero, else floors).
fn nearest(o: usize, scale: f32, align_corners: bool, half_pixel: bool, in: i32) usize {
    const v = (f(o) + @as(f32, if (half_pixel) 0.5 else 0)) * scale;
    var i: i32 = @min(@as(i32, @intFromFloat(if (align_corners) @round(v) else @floor(v))), in - 1);
    if (half_pixel) i = @max(i, 0);
    return @intCast(i);
}

const Args = struct { p: *const abi.ResizeF32Params, x: [*]const f32, out: [*]f32 };

/// Output rows [begin, end) of the [batch·out_h] rows.
fn rows(args: Args, begin: usize, end: usize) void {
    const p = args.p;
    const c = u(p.channels);
    const in_w = u(p.in_w);
    const out_w = u(p.out_w);
    const align_corners = p.align_corners != 0;
    const half = p.half_pixel_centers != 0;
    const sy = axisScale(p.in_h, p.out_h, align_corners);
    const sx = axisScale(p.in_w, p.out_w, align_corners);
    for (begin..end) |r| {
        const b = r / u(p.out_h);
        const oy = r % u(p.out_h);
        const image = args.x + b * u(p.in_h) * in_w * c;
        const o = args.out + r * out_w * c;
        if (p.method == @intFromEnum(abi.ResizeMethod.nearest)) {
            const row = image + nearest(oy, sy, align_corners, half, p.in_h) * in_w * c;
            for (0..out_w) |ox| {
                const src = row + nearest(ox, sx, align_corners, half, p.in_w) * c;
                @memcpy(o[ox * c ..][0..c], src[0..c]);
            }
            continue;
        }
        const y = lerp(oy, sy, half, p.in_h);
        const r0 = image + y.lo * in_w * c;
        const r1 = image + y.hi * in_w * c;
        for (0..out_w) |ox| {
            const x = lerp(ox, sx, half, p.in_w);
            // TFLite's reference expression and order: a·(1-wy)·(1-wx) + b·wy·(1-wx) + c·(1-wy)·wx + d·wy·wx.
            for (0..c) |ch| {
                const v00 = r0[x.lo * c + ch] * (1 - y.w) * (1 - x.w);
                const v10 = r1[x.lo * c + ch] * y.w * (1 - x.w);
                const v01 = r0[x.hi * c + ch] * (1 - y.w) * x.w;
                const v11 = r1[x.hi * c + ch] * y.w * x.w;
                o[ox * c + ch] = v00 + v10 + v01 + v11;
            }
        }
    }
}

/// Resizes [batch, in_h, in_w, channels] to [batch, out_h, out_w, channels] by `method`, an abi.ResizeMethod.
/// Output rows split across threads from 64K values.
pub fn resize(p: *const abi.ResizeF32Params, x: [*]const f32, out: [*]f32) abi.Status {
    if (p.batch < 0 or p.channels < 0 or p.in_h < 1 or p.in_w < 1 or p.out_h < 1 or p.out_w < 1) return .invalid_argument;
    if (abi.opCode(abi.ResizeMethod, p.method) == null or p.align_corners < 0 or p.align_corners > 1) return .invalid_argument;
    if (p.half_pixel_centers < 0 or p.half_pixel_centers > 1 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const row_values = @max(1, u(p.out_w) * u(p.channels));
    const n = u(p.batch) * u(p.out_h);
    thread_pool.runRanges(u(p.threads), n, @max(1, (1 << 16) / row_values), Args{ .p = p, .x = x, .out = out }, rows);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_resize_f32(params: *const abi.ResizeF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(resize(params, input, output));
}

test "resize: a 2x2 image to 3x3 bilinear with align_corners, and nearest doubling with half-pixel centers" {
    const x = [_]f32{ 0, 2, 4, 6 }; // [1, 2, 2, 1]
    var out: [9]f32 = undefined;
    var p: abi.ResizeF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .out_h = 3, .out_w = 3, .method = 0, .align_corners = 1, .half_pixel_centers = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, resize(&p, &x, &out));
    try std.testing.expectEqualSlices(f32, &.{ 0, 1, 2, 2, 3, 4, 4, 5, 6 }, &out);
    var big: [16]f32 = undefined;
    p = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .out_h = 4, .out_w = 4, .method = 1, .align_corners = 0, .half_pixel_centers = 1, .threads = 2 };
    try std.testing.expectEqual(abi.Status.ok, resize(&p, &x, &big));
    try std.testing.expectEqualSlices(f32, &.{ 0, 0, 2, 2, 0, 0, 2, 2, 4, 4, 6, 6, 4, 4, 6, 6 }, &big);
    p.method = 2;
    try std.testing.expectEqual(abi.Status.invalid_argument, resize(&p, &x, &big));
}
