//! Same-shape float arithmetic: out = clamp(a op b) over `count` values.
//! Broadcasts go through strided.zig.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const num = @import("num.zig");
const neon = @import("neon_loops.zig");
const clamp = num.clamp;
const u = num.u;

const ElementwiseArgs = struct { p: *const abi.ElementwiseF32Params, op: abi.ElementwiseOp, a: [*]const f32, b: [*]const f32, out: [*]f32 };

fn elementwiseRange(args: ElementwiseArgs, begin: usize, end: usize) void {
    const p = args.p;
    const a = args.a;
    const b = args.b;
    const out = args.out;
    const lo = p.clamp_min;
    const hi = p.clamp_max;
    if (neon.available and args.op == .add and lo == -std.math.inf(f32) and hi == std.math.inf(f32) and end - begin >= 32) {
        // No activation: the clamp is the identity (NaN and -0 included), a hand-scheduled NEON loop.
        const words = (end - begin) / 32;
        neon.addFloats(a + begin, b + begin, out + begin, words);
        for (begin + words * 32..end) |i| out[i] = a[i] + b[i];
        return;
    }
    switch (args.op) {
        .add => for (begin..end) |i| {
            out[i] = clamp(a[i] + b[i], lo, hi);
        },
        .sub => for (begin..end) |i| {
            out[i] = clamp(a[i] - b[i], lo, hi);
        },
        .mul => for (begin..end) |i| {
            out[i] = clamp(a[i] * b[i], lo, hi);
        },
    }
}

/// out = clamp(a op b) over `count` values, `op` an abi.ElementwiseOp. Split over
/// threads from thread_pool.min_split_values (below, a wake-up costs more than it saves).
pub fn elementwise(p: *const abi.ElementwiseF32Params, a: [*]const f32, b: [*]const f32, out: [*]f32) abi.Status {
    const op = abi.opCode(abi.ElementwiseOp, p.op) orelse return .invalid_argument;
    if (p.count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    thread_pool.runRanges(u(p.threads), u(p.count), thread_pool.min_split_values, ElementwiseArgs{ .p = p, .op = op, .a = a, .b = b, .out = out }, elementwiseRange);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_elementwise_f32(params: *const abi.ElementwiseF32Params, a: [*]const f32, b: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(elementwise(params, a, b, output));
}

test "elementwise: each op, clamped, NaN kept" {
    const a = [_]f32{ 1, 5, std.math.nan(f32) };
    const b = [_]f32{ 2, 3, 1 };
    var out: [3]f32 = undefined;
    var p: abi.ElementwiseF32Params = .{ .count = 3, .op = 0, .clamp_min = -1, .clamp_max = 6, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, elementwise(&p, &a, &b, &out));
    try std.testing.expectEqual(@as(f32, 3), out[0]);
    try std.testing.expectEqual(@as(f32, 6), out[1]);
    try std.testing.expect(std.math.isNan(out[2]));
    p.op = 1;
    try std.testing.expectEqual(abi.Status.ok, elementwise(&p, &a, &b, &out));
    try std.testing.expectEqualSlices(f32, &.{ -1, 2 }, out[0..2]);
    p.op = 3;
    try std.testing.expectEqual(abi.Status.invalid_argument, elementwise(&p, &a, &b, &out));
}
