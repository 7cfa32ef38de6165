//! Softmax over the last axis of [rows, depth], in the arithmetic of the TS
//! reference (kernels/reference_float.ts).
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// Softmax per row: exp in f64 rounded to f32, the f32 values summed in f64, each divided by the sum and
/// rounded once.
pub fn softmax(p: *const abi.SoftmaxF32Params, x: [*]const f32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.depth <= 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const depth = u(p.depth);
    const beta: f64 = p.beta;
    for (0..u(p.rows)) |r| {
        const row = x + r * depth;
        const o = out + r * depth;
        var max: f64 = -std.math.inf(f64);
        for (0..depth) |i| max = @max(max, @as(f64, row[i]));
        var sum: f64 = 0;
        for (0..depth) |i| {
            const e: f32 = @floatCast(@exp((@as(f64, row[i]) - max) * beta));
            o[i] = e;
            sum += e;
        }
        for (0..depth) |i| o[i] = @floatCast(@as(f64, o[i]) / sum);
    }
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_softmax_f32(params: *const abi.SoftmaxF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(softmax(params, input, output));
}

test "softmax: equal logits share equally, however large" {
    const x = [_]f32{ 0, 0, 1000, 1000 };
    var y: [4]f32 = undefined;
    const s: abi.SoftmaxF32Params = .{ .rows = 2, .depth = 2, .beta = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, softmax(&s, &x, &y));
    try std.testing.expectEqualSlices(f32, &.{ 0.5, 0.5, 0.5, 0.5 }, &y);
}
