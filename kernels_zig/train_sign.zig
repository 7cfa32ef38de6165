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
        fn run(a: Args, begin: usize, end: usize) void {
            const clip = a.p.clip;
            for (begin..end) |i| {
                const x = a.x[i];
                a.out[i] = switch (kind) {
                    .sign => if (x < 0) -1 else 1,
                    .ste_grad => if (@abs(x) <= clip) a.dy[i] else 0,
                    .approx_grad => if (@abs(x) <= 1) (1 - @abs(x)) * 2 * a.dy[i] else 0,
                };
            }
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
