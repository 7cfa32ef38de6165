//! The sign quantizers of training, one pass each over `count` values, in
//! the arithmetic of the TypeScript reference (kernels/reference_train.ts),
//! bit for bit: larq's sign (x < 0: -1, else +1; ±0 and NaN give +1), and
//! the pseudo-gradients of ste_sign (dy where |x| ≤ clip, else 0) and
//! approx_sign (dy·(1 - |x|)·2 where |x| ≤ 1, else 0).
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// One pass over `count` values. `clip`: ste_sign's clip value (the sign and
/// approx_sign ignore it).
pub const SignPassParams = extern struct {
    count: i32,
    clip: f32,
    threads: i32,
};

const Kind = enum { sign, ste_grad, approx_grad };

const Args = struct { p: *const SignPassParams, x: [*]const f32, dy: [*]const f32, out: [*]f32 };

fn range(comptime kind: Kind) fn (Args, usize, usize) void {
    return struct {
        const lanes = 16;
        const V = @Vector(lanes, f32);

        /// Value i's result, lane by lane: one vector of `T` (V or f32) at x and dy (select, not branches:
        /// every lane rounds as the scalar reference does).
        fn apply(comptime T: type, x: T, dy: T, clip: f32) T {
            const zero: T = if (T == V) @splat(0) else 0;
            const one: T = if (T == V) @splat(1) else 1;
            const c: T = if (T == V) @splat(clip) else clip;
            return switch (kind) {
                .sign => sel(T, x < zero, -one, one),
                .ste_grad => sel(T, @abs(x) <= c, dy, zero),
                .approx_grad => sel(T, @abs(x) <= one, (one - @abs(x)) * (one + one) * dy, zero),
            };
        }

        fn sel(comptime T: type, pred: anytype, a: T, b: T) T {
            return if (T == V) @select(f32, pred, a, b) else if (pred) a else b;
        }

        fn run(a: Args, begin: usize, end: usize) void {
            const clip = a.p.clip;
            var i = begin;
            while (i + lanes <= end) : (i += lanes) {
                const x: V = a.x[i..][0..lanes].*;
                // The sign reads no dy (its dy is x: any load is as good).
                const dy: V = if (kind == .sign) x else a.dy[i..][0..lanes].*;
                a.out[i..][0..lanes].* = apply(V, x, dy, clip);
            }
            for (i..end) |j| a.out[j] = apply(f32, a.x[j], a.dy[j], clip);
        }
    }.run;
}

fn pass(comptime kind: Kind, p: *const SignPassParams, x: [*]const f32, dy: [*]const f32, out: [*]f32) abi.Status {
    if (p.count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    if (kind == .ste_grad and !(p.clip >= 0)) return .invalid_argument;
    thread_pool.runRanges(u(p.threads), u(p.count), 1 << 16, Args{ .p = p, .x = x, .dy = dy, .out = out }, range(kind));
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_sign_f32(params: *const SignPassParams, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(pass(.sign, params, input, input, output));
}

pub fn onebit_ste_sign_grad_f32(params: *const SignPassParams, input: [*]const f32, grad_output: [*]const f32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(pass(.ste_grad, params, input, grad_output, grad_input));
}

pub fn onebit_approx_sign_grad_f32(params: *const SignPassParams, input: [*]const f32, grad_output: [*]const f32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(pass(.approx_grad, params, input, grad_output, grad_input));
}

test "sign: ±0 and NaN give +1; ste and approx gradients at 0, ±clip and beyond" {
    const nan = std.math.nan(f32);
    const x = [_]f32{ -0.5, -0.0, 0, nan, 1.25, -1.25, 1.5, 1 };
    const dy = [_]f32{ 3, 3, 3, 3, 3, 3, 3, 3 };
    var out: [8]f32 = undefined;
    const p: SignPassParams = .{ .count = 8, .clip = 1.25, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, pass(.sign, &p, &x, &x, &out));
    try std.testing.expectEqualSlices(f32, &.{ -1, 1, 1, 1, 1, -1, 1, 1 }, &out);
    try std.testing.expectEqual(abi.Status.ok, pass(.ste_grad, &p, &x, &dy, &out));
    try std.testing.expectEqualSlices(f32, &.{ 3, 3, 3, 0, 3, 3, 0, 3 }, &out);
    try std.testing.expectEqual(abi.Status.ok, pass(.approx_grad, &p, &x, &dy, &out));
    try std.testing.expectEqualSlices(f32, &.{ 3, 6, 6, 0, 0, 0, 0, 0 }, &out);
    var bad = p;
    bad.count = -1;
    try std.testing.expectEqual(abi.Status.invalid_argument, pass(.sign, &bad, &x, &x, &out));
}

test "sign passes: the 16-lane loop and the scalar tail agree with the scalar formulas on 37 values" {
    var x: [37]f32 = undefined;
    var dy: [37]f32 = undefined;
    for (&x, &dy, 0..) |*v, *d, i| {
        const f: f32 = @floatFromInt(i);
        v.* = (f - 18) / 8; // -2.25 .. 2.25, with ±1.25 and 0 on the grid
        d.* = 1 + f / 4;
    }
    x[3] = std.math.nan(f32);
    x[4] = -0.0;
    const p: SignPassParams = .{ .count = 37, .clip = 1.25, .threads = 1 };
    var out: [37]f32 = undefined;
    try std.testing.expectEqual(abi.Status.ok, pass(.sign, &p, &x, &x, &out));
    for (x, out) |v, o| try std.testing.expectEqual(@as(f32, if (v < 0) -1 else 1), o);
    try std.testing.expectEqual(abi.Status.ok, pass(.ste_grad, &p, &x, &dy, &out));
    for (x, dy, out) |v, d, o| try std.testing.expectEqual(if (@abs(v) <= 1.25) d else 0, o);
    try std.testing.expectEqual(abi.Status.ok, pass(.approx_grad, &p, &x, &dy, &out));
    for (x, dy, out) |v, d, o| try std.testing.expectEqual(if (@abs(v) <= 1) (1 - @abs(v)) * 2 * d else 0, o);
    // In place (out = dy), as a latent kernel's gradient is clipped.
    var g = dy;
    try std.testing.expectEqual(abi.Status.ok, pass(.ste_grad, &p, &x, &g, &g));
    for (x, dy, g) |v, d, o| try std.testing.expectEqual(if (@abs(v) <= 1.25) d else 0, o);
}
