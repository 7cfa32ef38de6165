//! Strided copy and broadcast arithmetic on tensors described by shapes and
//! strides (rank <= max_rank): PAD, CONCATENATION, channel slices, ADD/SUB/MUL
//! with any broadcast. The arithmetic of the TS reference
//! (kernels/reference_float.ts), so that both give the same bits.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const num = @import("num.zig");
const clamp = num.clamp;
const u = num.u;

const max_rank = abi.max_rank;

inline fn apply(comptime op: i32, x: f32, y: f32) f32 {
    return switch (op) {
        0 => x + y,
        1 => x - y,
        2 => x * y,
        else => x,
    };
}

/// One innermost row: the contiguous and scalar-broadcast cases get their own loops (vectorized).
fn rowOp(comptime op: i32, a: [*]const f32, sa: usize, b: [*]const f32, sb: usize, o: [*]f32, so: usize, n: usize, lo: f32, hi: f32) void {
    if (so == 1 and sa == 1 and (op == 3 or sb == 1)) {
        for (0..n) |i| o[i] = clamp(apply(op, a[i], if (op == 3) 0 else b[i]), lo, hi);
    } else if (so == 1 and sa == 1 and sb == 0) {
        const y = b[0];
        for (0..n) |i| o[i] = clamp(apply(op, a[i], y), lo, hi);
    } else if (so == 1 and sa == 0 and sb == 1) {
        const x = a[0];
        for (0..n) |i| o[i] = clamp(apply(op, x, b[i]), lo, hi);
    } else {
        for (0..n) |i| o[i * so] = clamp(apply(op, a[i * sa], if (op == 3) 0 else b[i * sb]), lo, hi);
    }
}

const Strided = struct {
    p: *const abi.StridedF32Params,
    a: [*]const f32,
    b: [*]const f32,
    out: [*]f32,
    /// Dim-0 indices per task.
    per_task: usize,

    /// Every row whose dim-0 index is in task t's range (rank 1: the one row).
    fn task(ctx: *const anyopaque, t: usize) void {
        const s: *const Strided = @ptrCast(@alignCast(ctx));
        const end = if (s.p.rank > 1) @min(u(s.p.shape[0]), (t + 1) * s.per_task) else 1;
        for (t * s.per_task..end) |i| {
            switch (s.p.op) {
                0 => s.rows(0, i),
                1 => s.rows(1, i),
                2 => s.rows(2, i),
                else => s.rows(3, i),
            }
        }
    }

    fn rows(s: *const Strided, comptime op: i32, t: usize) void {
        const p = s.p;
        const r = u(p.rank);
        const last = r - 1;
        var ia: usize = u(p.a_offset);
        var ib: usize = u(p.b_offset);
        var io: usize = u(p.out_offset);
        // Dims 1..last-1 walked here; dim 0 is the task (when rank > 1).
        const first: usize = if (r > 1) 1 else r;
        if (r > 1) {
            ia += t * u(p.a_strides[0]);
            ib += t * u(p.b_strides[0]);
            io += t * u(p.out_strides[0]);
        }
        var idx = [_]usize{0} ** max_rank;
        const n = u(p.shape[last]);
        const sa = u(p.a_strides[last]);
        const sb = u(p.b_strides[last]);
        const so = u(p.out_strides[last]);
        while (true) {
            rowOp(op, s.a + ia, sa, s.b + ib, sb, s.out + io, so, n, p.clamp_min, p.clamp_max);
            var d = last;
            while (d > first) {
                d -= 1;
                idx[d] += 1;
                ia += u(p.a_strides[d]);
                ib += u(p.b_strides[d]);
                io += u(p.out_strides[d]);
                if (idx[d] < u(p.shape[d])) break;
                ia -= u(p.a_strides[d]) * u(p.shape[d]);
                ib -= u(p.b_strides[d]) * u(p.shape[d]);
                io -= u(p.out_strides[d]) * u(p.shape[d]);
                idx[d] = 0;
            } else return;
        }
    }
};

/// out[i] = clamp(a[i] op b[i]) over the index space `shape`, each operand at
/// its offset and strides (0 = broadcast); op 0 add, 1 sub, 2 mul, 3 copy a.
/// Dim 0 splits across threads from 64K values.
pub fn strided(p: *const abi.StridedF32Params, a: [*]const f32, b: [*]const f32, out: [*]f32) abi.Status {
    if (p.rank < 1 or p.rank > max_rank or p.op < 0 or p.op > 3 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    if (p.a_offset < 0 or p.b_offset < 0 or p.out_offset < 0) return .invalid_argument;
    var total: usize = 1;
    for (0..u(p.rank)) |d| {
        if (p.shape[d] < 0 or p.a_strides[d] < 0 or p.b_strides[d] < 0 or p.out_strides[d] < 0) return .invalid_argument;
        total *= u(p.shape[d]);
    }
    if (total == 0) return .ok;
    const outer: usize = if (p.rank > 1) u(p.shape[0]) else 1;
    const threads: usize = if (total < 1 << 16) 1 else u(p.threads);
    const per_task = thread_pool.itemsPerTask(outer, total / outer, threads);
    const s: Strided = .{ .p = p, .a = a, .b = b, .out = out, .per_task = per_task };
    thread_pool.run(threads, (outer + per_task - 1) / per_task, &s, Strided.task);
    return .ok;
}

test "strided: broadcast add of a column and a row, and a copy into a padded interior" {
    const a = [_]f32{ 1, 2, 3 }; // [3, 1]
    const b = [_]f32{ 10, 20 }; // [1, 2]
    var out: [6]f32 = undefined;
    var p = std.mem.zeroes(abi.StridedF32Params);
    p.rank = 2;
    p.shape[0] = 3;
    p.shape[1] = 2;
    p.a_strides[0] = 1;
    p.b_strides[1] = 1;
    p.out_strides[0] = 2;
    p.out_strides[1] = 1;
    p.clamp_min = -std.math.inf(f32);
    p.clamp_max = 21.5;
    p.threads = 2;
    try std.testing.expectEqual(abi.Status.ok, strided(&p, &a, &b, &out));
    try std.testing.expectEqualSlices(f32, &.{ 11, 21, 12, 21.5, 13, 21.5 }, &out);
    // copy [2, 2] into the middle of a [4, 3] grid of zeros
    const src = [_]f32{ 1, 2, 3, 4 };
    var grid = [_]f32{0} ** 12;
    p = std.mem.zeroes(abi.StridedF32Params);
    p.rank = 2;
    p.op = 3;
    p.shape[0] = 2;
    p.shape[1] = 2;
    p.a_strides[0] = 2;
    p.a_strides[1] = 1;
    p.out_strides[0] = 3;
    p.out_strides[1] = 1;
    p.out_offset = 4;
    p.clamp_min = -std.math.inf(f32);
    p.clamp_max = std.math.inf(f32);
    p.threads = 1;
    try std.testing.expectEqual(abi.Status.ok, strided(&p, &src, &src, &grid));
    try std.testing.expectEqualSlices(f32, &.{ 0, 0, 0, 0, 1, 2, 0, 3, 4, 0, 0, 0 }, &grid);
    p.rank = 7;
    try std.testing.expectEqual(abi.Status.invalid_argument, strided(&p, &src, &src, &grid));
}
