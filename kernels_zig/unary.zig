//! One-operand float ops element by element: the activations as their own
//! ops and the math functions (abi.UnaryOp). Transcendentals in f64, rounded
//! once, as the TS reference.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

const UnaryArgs = struct { p: *const abi.UnaryF32Params, op: abi.UnaryOp, x: [*]const f32, out: [*]f32 };

fn unaryRange(args: UnaryArgs, begin: usize, end: usize) void {
    const p = args.p;
    const x = args.x;
    const out = args.out;
    switch (args.op) {
        .relu => for (begin..end) |i| {
            out[i] = @max(x[i], 0);
        },
        .relu6 => for (begin..end) |i| {
            out[i] = @min(@max(x[i], 0), 6);
        },
        .relu_n1_to_1 => for (begin..end) |i| {
            out[i] = @min(@max(x[i], -1), 1);
        },
        // In f64, rounded once: f32 exp/tanh lose a few ulps (TFLite's reference also computes these in float).
        .logistic => for (begin..end) |i| {
            const v: f64 = x[i];
            out[i] = @floatCast(1 / (1 + @exp(-v)));
        },
        .tanh => for (begin..end) |i| {
            out[i] = @floatCast(std.math.tanh(@as(f64, x[i])));
        },
        .hard_swish => for (begin..end) |i| {
            const v: f64 = x[i];
            out[i] = @floatCast(v * @min(@max(v + 3, 0), 6) / 6);
        },
        .leaky_relu => for (begin..end) |i| {
            out[i] = if (x[i] >= 0) x[i] else x[i] * p.alpha;
        },
        .abs => for (begin..end) |i| {
            out[i] = @abs(x[i]);
        },
        .neg => for (begin..end) |i| {
            out[i] = -x[i];
        },
        .square => for (begin..end) |i| {
            out[i] = x[i] * x[i];
        },
        .sqrt => for (begin..end) |i| {
            out[i] = @sqrt(x[i]);
        },
        // TFLite's reference: 1 / sqrt(x), each rounded to f32.
        .rsqrt => for (begin..end) |i| {
            out[i] = 1 / @sqrt(x[i]);
        },
        .exp => for (begin..end) |i| {
            out[i] = @floatCast(@exp(@as(f64, x[i])));
        },
        .log => for (begin..end) |i| {
            out[i] = @floatCast(@log(@as(f64, x[i])));
        },
    }
}

/// out[i] = f(x[i]) for activation `op` (abi.UnaryF32Params); split over threads from thread_pool.min_split_values.
pub fn unary(p: *const abi.UnaryF32Params, x: [*]const f32, out: [*]f32) abi.Status {
    const op = abi.opCode(abi.UnaryOp, p.op) orelse return .invalid_argument;
    if (p.count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    thread_pool.runRanges(u(p.threads), u(p.count), thread_pool.min_split_values, UnaryArgs{ .p = p, .op = op, .x = x, .out = out }, unaryRange);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_unary_f32(params: *const abi.UnaryF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(unary(params, input, output));
}

test "unary: each activation at its edges" {
    const x = [_]f32{ -7, -1, 0, 0.5, 7 };
    var out: [5]f32 = undefined;
    var p: abi.UnaryF32Params = .{ .count = 5, .op = 1, .alpha = 0.1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, unary(&p, &x, &out));
    try std.testing.expectEqualSlices(f32, &.{ 0, 0, 0, 0.5, 6 }, &out);
    p.op = 6;
    try std.testing.expectEqual(abi.Status.ok, unary(&p, &x, &out));
    try std.testing.expectApproxEqAbs(@as(f32, -0.7), out[0], 1e-6);
    p.op = @typeInfo(abi.UnaryOp).@"enum".fields.len; // past the list
    try std.testing.expectEqual(abi.Status.invalid_argument, unary(&p, &x, &out));
}
