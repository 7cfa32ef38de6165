//! The two gradients of a depthwise convolution (NHWC, filter [kh, kw,
//! channels_in·multiplier], zero padding; the forward pass is
//! depthwise_f32.zig's): the input's, gathered per input pixel (taps in
//! order), and the filter's, summed over the batch's output pixels in order.
//! Each output value is summed in float32 in one order whatever the thread
//! count (threads split input rows, resp. filter channels), bit for bit the
//! TypeScript reference (kernels/reference_train.ts `depthwiseBackInput`,
//! `depthwiseBackFilter`). Channel-innermost loops the compiler vectorizes.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const Window = @import("window.zig").Window;
const u = @import("num.zig").u;

const Args = struct {
    p: *const abi.DepthwiseF32Params,
    /// backprop input: dy and the filter; backprop filter: the input and dy.
    a: [*]const f32,
    b: [*]const f32,
    out: [*]f32,
};

/// The output index along one axis whose tap `k` reads input index `i`, or null.
inline fn outputAt(i: usize, k: usize, pad: usize, stride: usize, dilation: usize, out: usize) ?usize {
    const at = i + pad;
    if (at < k * dilation) return null;
    const d = at - k * dilation;
    if (d % stride != 0 or d / stride >= out) return null;
    return d / stride;
}

/// dx of input rows [begin, end) (row = batch·in_h + iy): dx[n, iy, ix, c] = Σ over taps (ky, kx) in order, then
/// j < multiplier, of dy[n, oy, ox, c·m + j]·w[ky, kx, c·m + j].
fn inputRows(a: Args, begin: usize, end: usize) void {
    const g = Window.of(a.p);
    const cin = u(a.p.channels_in);
    const m = u(a.p.multiplier);
    const cout = cin * m;
    const in_h = u(g.in_h);
    const in_w = u(g.in_w);
    for (begin..end) |row| {
        const n = row / in_h;
        const iy = row % in_h;
        for (0..in_w) |ix| {
            const dx = a.out[((n * in_h + iy) * in_w + ix) * cin ..][0..cin];
            @memset(dx, 0);
            for (0..u(g.kernel_h)) |ky| {
                const oy = outputAt(iy, ky, u(g.pad_top), u(g.stride_h), u(g.dilation_h), u(g.out_h)) orelse continue;
                for (0..u(g.kernel_w)) |kx| {
                    const ox = outputAt(ix, kx, u(g.pad_left), u(g.stride_w), u(g.dilation_w), u(g.out_w)) orelse continue;
                    const dy = a.a + ((n * u(g.out_h) + oy) * u(g.out_w) + ox) * cout;
                    const w = a.b + (ky * u(g.kernel_w) + kx) * cout;
                    if (m == 1) {
                        for (dx, 0..) |*v, c| v.* += dy[c] * w[c];
                    } else {
                        for (dx, 0..) |*v, c| {
                            for (0..m) |j| v.* += dy[c * m + j] * w[c * m + j];
                        }
                    }
                }
            }
        }
    }
}

/// dw of filter channels [begin, end) (of channels_in·multiplier): dw[ky, kx, co] = Σ over output pixels
/// (n, oy, ox) in order of x[n, iy, ix, co / m]·dy[n, oy, ox, co], over the taps inside the input.
fn filterChannels(a: Args, begin: usize, end: usize) void {
    const g = Window.of(a.p);
    const cin = u(a.p.channels_in);
    const m = u(a.p.multiplier);
    const cout = cin * m;
    const kh = u(g.kernel_h);
    const kw = u(g.kernel_w);
    for (0..kh * kw) |t| @memset(a.out[t * cout + begin .. t * cout + end], 0);
    for (0..u(g.batch)) |n| {
        for (0..u(g.out_h)) |oy| {
            for (0..u(g.out_w)) |ox| {
                const dy = a.b + ((n * u(g.out_h) + oy) * u(g.out_w) + ox) * cout;
                for (0..kh) |ky| {
                    const iy = @as(isize, @intCast(oy * u(g.stride_h) + ky * u(g.dilation_h))) - g.pad_top;
                    if (iy < 0 or iy >= g.in_h) continue;
                    for (0..kw) |kx| {
                        const ix = @as(isize, @intCast(ox * u(g.stride_w) + kx * u(g.dilation_w))) - g.pad_left;
                        if (ix < 0 or ix >= g.in_w) continue;
                        const x = a.a + ((n * u(g.in_h) + @as(usize, @intCast(iy))) * u(g.in_w) + @as(usize, @intCast(ix))) * cin;
                        const dw = a.out + (ky * kw + kx) * cout;
                        if (m == 1) {
                            for (begin..end) |c| dw[c] += x[c] * dy[c];
                        } else {
                            for (begin..end) |c| dw[c] += x[c / m] * dy[c];
                        }
                    }
                }
            }
        }
    }
}

fn check(p: *const abi.DepthwiseF32Params) bool {
    return Window.of(p).valid() and p.channels_in > 0 and p.multiplier > 0 and thread_pool.validThreads(p.threads);
}

pub fn backpropInput(p: *const abi.DepthwiseF32Params, dy: [*]const f32, filter: [*]const f32, dx: [*]f32) abi.Status {
    if (!check(p)) return .invalid_argument;
    const rows = u(p.batch) * u(p.in_h);
    // Tasks of at least 16K values of dx.
    const min_rows = @max(1, (1 << 14) / @max(1, u(p.in_w) * u(p.channels_in)));
    thread_pool.runRanges(u(p.threads), rows, 2 * min_rows, Args{ .p = p, .a = dy, .b = filter, .out = dx }, inputRows);
    return .ok;
}

pub fn backpropFilter(p: *const abi.DepthwiseF32Params, x: [*]const f32, dy: [*]const f32, dw: [*]f32) abi.Status {
    if (!check(p)) return .invalid_argument;
    const cout = u(p.channels_in) * u(p.multiplier);
    // Channel bands of at least 16 (a band's dw rows stay in cache); below 64K products, one task.
    const products = u(p.batch) * u(p.out_h) * u(p.out_w) * cout * u(p.kernel_h) * u(p.kernel_w);
    const threads = if (products < 1 << 16) 1 else u(p.threads);
    thread_pool.runRanges(threads, cout, 32, Args{ .p = p, .a = x, .b = dy, .out = dw }, filterChannels);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_depthwise_backprop_input_f32(params: *const abi.DepthwiseF32Params, grad_output: [*]const f32, filter: [*]const f32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(backpropInput(params, grad_output, filter, grad_input));
}

pub fn onebit_depthwise_backprop_filter_f32(params: *const abi.DepthwiseF32Params, input: [*]const f32, grad_output: [*]const f32, grad_filter: [*]f32) callconv(.c) i32 {
    return abi.code(backpropFilter(params, input, grad_output, grad_filter));
}

test "depthwise gradients: a 2×2 kernel over a 3×3 input, stride 1, valid; multiplier 2" {
    // One channel, x = 1..9, w = [1, 2, 3, 4], dy = 1 everywhere (out 2×2).
    var p: abi.DepthwiseF32Params = .{ .batch = 1, .in_h = 3, .in_w = 3, .channels_in = 1, .multiplier = 1, .kernel_h = 2, .kernel_w = 2, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 2, .out_w = 2, .clamp_min = 0, .clamp_max = 0, .threads = 1 };
    const x = [_]f32{ 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    const w = [_]f32{ 1, 2, 3, 4 };
    const dy = [_]f32{ 1, 1, 1, 1 };
    var dx: [9]f32 = undefined;
    try std.testing.expectEqual(abi.Status.ok, backpropInput(&p, &dy, &w, &dx));
    // dx = full correlation of dy with w: corners get one tap, edges two, the centre all four.
    try std.testing.expectEqualSlices(f32, &.{ 1, 3, 2, 4, 10, 6, 3, 7, 4 }, &dx);
    var dw: [4]f32 = undefined;
    try std.testing.expectEqual(abi.Status.ok, backpropFilter(&p, &x, &dy, &dw));
    // dw[ky, kx] = sum of the 2×2 block of x at (ky, kx).
    try std.testing.expectEqualSlices(f32, &.{ 12, 16, 24, 28 }, &dw);
    // Multiplier 2, filter channel 1 = 10 × channel 0: both gradients follow.
    p.multiplier = 2;
    const w2 = [_]f32{ 1, 10, 2, 20, 3, 30, 4, 40 };
    const dy2 = [_]f32{ 1, 0, 1, 0, 1, 0, 1, 0 };
    try std.testing.expectEqual(abi.Status.ok, backpropInput(&p, &dy2, &w2, &dx));
    try std.testing.expectEqualSlices(f32, &.{ 1, 3, 2, 4, 10, 6, 3, 7, 4 }, &dx);
    var dw2: [8]f32 = undefined;
    try std.testing.expectEqual(abi.Status.ok, backpropFilter(&p, &x, &dy2, &dw2));
    try std.testing.expectEqualSlices(f32, &.{ 12, 0, 16, 0, 24, 0, 28, 0 }, &dw2);
    p.stride_h = 0;
    try std.testing.expectEqual(abi.Status.invalid_argument, backpropFilter(&p, &x, &dy2, &dw2));
}
