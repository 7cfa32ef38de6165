//! MEAN of a contiguous tensor (rank <= max_rank) over any set of axes, in the
//! arithmetic of the TS reference (kernels/reference_float.ts): f64 sums in the
//! input's order, one division, one rounding.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

const max_rank = abi.max_rank;

const Mean = struct {
    p: *const abi.MeanF32Params,
    x: [*]const f32,
    out: [*]f32,
    in_strides: [max_rank]usize,
    /// Kept dims whose index a task fixes (the innermost kept dim is a row when it is the last dim).
    outer: [max_rank]usize,
    n_outer: usize,
    reduced: [max_rank]usize,
    n_reduced: usize,
    /// Length of the kept innermost row (1 when the last dim is reduced).
    row: usize,
    /// Reduced dims walked one index at a time: all of them, or all but the last dim, which is then summed
    /// as a contiguous run of `run` values.
    n_walk: usize,
    run: usize,
    divisor: f64,
    per_task: usize,
    outputs: usize,

    /// Kept-row values summed at once (f64 accumulators on the stack).
    const lanes = 256;

    fn task(ctx: *const anyopaque, t: usize) void {
        const s: *const Mean = @ptrCast(@alignCast(ctx));
        for (t * s.per_task..@min(s.outputs, (t + 1) * s.per_task)) |i| s.one(i);
    }

    /// One output position of the outer kept dims: `row` outputs, summed over every reduced index in the
    /// input's linear order (the order of the reference's single pass), in f64, divided once.
    fn one(s: *const Mean, t: usize) void {
        const shape = &s.p.shape;
        var base: usize = 0;
        var rest = t;
        var k = s.n_outer;
        while (k > 0) {
            k -= 1;
            const d = s.outer[k];
            base += (rest % u(shape[d])) * s.in_strides[d];
            rest /= u(shape[d]);
        }
        var c: usize = 0;
        while (c < s.row) : (c += lanes) {
            const width = @min(lanes, s.row - c);
            var acc = [_]f64{0} ** lanes;
            var idx = [_]usize{0} ** max_rank;
            var off = base + c;
            outer: while (true) {
                if (s.run > 1) {
                    for (0..s.run) |j| acc[0] += s.x[off + j];
                } else {
                    for (0..width) |j| acc[j] += s.x[off + j];
                }
                var k2 = s.n_walk;
                while (k2 > 0) {
                    k2 -= 1;
                    const d = s.reduced[k2];
                    idx[k2] += 1;
                    off += s.in_strides[d];
                    if (idx[k2] < u(shape[d])) continue :outer;
                    off -= s.in_strides[d] * u(shape[d]);
                    idx[k2] = 0;
                }
                break;
            }
            for (0..width) |j| s.out[t * s.row + c + j] = @floatCast(acc[j] / s.divisor);
        }
    }
};

/// MEAN of a contiguous tensor over the dims whose bit is set in reduce_mask; the output holds the kept dims
/// in order. Sums in f64 in the input's order, one division, one rounding (the TS reference's arithmetic).
pub fn mean(p: *const abi.MeanF32Params, x: [*]const f32, out: [*]f32) abi.Status {
    if (p.rank < 1 or p.rank > max_rank or p.reduce_mask < 0 or p.reduce_mask >= 1 << max_rank or
        !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const r = u(p.rank);
    var s: Mean = .{
        .p = p,
        .x = x,
        .out = out,
        .in_strides = undefined,
        .outer = undefined,
        .n_outer = 0,
        .reduced = undefined,
        .n_reduced = 0,
        .row = 1,
        .n_walk = 0,
        .run = 1,
        .divisor = 1,
        .per_task = 1,
        .outputs = 1,
    };
    var stride: usize = 1;
    var d = r;
    while (d > 0) {
        d -= 1;
        if (p.shape[d] < 0) return .invalid_argument;
        s.in_strides[d] = stride;
        stride *= u(p.shape[d]);
    }
    if (stride == 0) return .ok;
    var outputs: usize = 1;
    for (0..r) |i| {
        if ((p.reduce_mask >> @intCast(i)) & 1 == 1) {
            s.reduced[s.n_reduced] = i;
            s.n_reduced += 1;
            s.divisor *= @floatFromInt(p.shape[i]);
        } else if (i == r - 1) {
            s.row = u(p.shape[i]);
        } else {
            s.outer[s.n_outer] = i;
            s.n_outer += 1;
            outputs *= u(p.shape[i]);
        }
    }
    s.n_walk = s.n_reduced;
    if ((p.reduce_mask >> @intCast(r - 1)) & 1 == 1) {
        s.n_walk -= 1;
        s.run = u(p.shape[r - 1]);
    }
    const threads: usize = if (stride < 1 << 16) 1 else u(p.threads);
    s.outputs = outputs;
    s.per_task = thread_pool.itemsPerTask(outputs, stride / outputs, threads);
    thread_pool.run(threads, (outputs + s.per_task - 1) / s.per_task, &s, Mean.task);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_mean_f32(params: *const abi.MeanF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(mean(params, input, output));
}

test "mean over H and W of NHWC, over the last axis, and over non-adjacent axes" {
    // [1, 2, 2, 3]
    const x = [_]f32{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    var out: [4]f32 = undefined;
    var p = std.mem.zeroes(abi.MeanF32Params);
    p.rank = 4;
    p.shape = .{ 1, 2, 2, 3, 0, 0 };
    p.reduce_mask = 0b0110;
    p.threads = 1;
    try std.testing.expectEqual(abi.Status.ok, mean(&p, &x, &out));
    try std.testing.expectEqualSlices(f32, &.{ 5.5, 6.5, 7.5 }, out[0..3]);
    p.reduce_mask = 0b1000;
    try std.testing.expectEqual(abi.Status.ok, mean(&p, &x, &out));
    try std.testing.expectEqualSlices(f32, &.{ 2, 5, 8, 11 }, &out);
    p.reduce_mask = 0b1010; // H and C: keep W
    try std.testing.expectEqual(abi.Status.ok, mean(&p, &x, &out));
    try std.testing.expectEqualSlices(f32, &.{ 5, 8 }, out[0..2]);
}
