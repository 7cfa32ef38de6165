//! ReLU's training passes, one element-wise pass each, bit for bit the
//! TypeScript of graph/ops.ts (kernels/reference_train.ts `relu`,
//! `reluGrad`): y = x where x > 0, else +0 (NaN and -0 give +0); the
//! gradient dy where x > 0, else dy·0 (which keeps dy's -0 and NaN).
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// One pass over `count` values.
pub const ReluPassParams = extern struct {
    count: i32,
    threads: i32,
};

const Args = struct { x: [*]const f32, dy: [*]const f32, out: [*]f32 };

fn range(comptime grad: bool) fn (Args, usize, usize) void {
    return struct {
        fn run(a: Args, begin: usize, end: usize) void {
            for (begin..end) |i| {
                const x = a.x[i];
                a.out[i] = if (grad) (if (x > 0) a.dy[i] else a.dy[i] * 0) else if (x > 0) x else 0;
            }
        }
    }.run;
}

fn pass(comptime grad: bool, p: *const ReluPassParams, x: [*]const f32, dy: [*]const f32, out: [*]f32) abi.Status {
    if (p.count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    thread_pool.runRanges(u(p.threads), u(p.count), 1 << 16, Args{ .x = x, .dy = dy, .out = out }, range(grad));
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_relu_f32(params: *const ReluPassParams, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(pass(false, params, input, input, output));
}

pub fn onebit_relu_grad_f32(params: *const ReluPassParams, input: [*]const f32, grad_output: [*]const f32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(pass(true, params, input, grad_output, grad_input));
}

test "relu: -0 and NaN give +0; the gradient keeps dy·0's sign and NaN" {
    const nan = std.math.nan(f32);
    const x = [_]f32{ -0.5, -0.0, 0, nan, 1.25 };
    const dy = [_]f32{ -3, -3, nan, 3, 3 };
    var out: [5]f32 = undefined;
    const p: ReluPassParams = .{ .count = 5, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, pass(false, &p, &x, &x, &out));
    for ([_]f32{ 0, 0, 0, 0, 1.25 }, out) |want, got| try std.testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(got)));
    try std.testing.expectEqual(abi.Status.ok, pass(true, &p, &x, &dy, &out));
    try std.testing.expectEqual(@as(u32, @bitCast(@as(f32, -0.0))), @as(u32, @bitCast(out[0])));
    try std.testing.expect(std.math.isNan(out[2]));
    try std.testing.expectEqual(@as(f32, 0), out[3]);
    try std.testing.expectEqual(@as(f32, 3), out[4]);
    const bad: ReluPassParams = .{ .count = -1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.invalid_argument, pass(false, &bad, &x, &x, &out));
}
