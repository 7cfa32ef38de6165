//! Strided copy and broadcast arithmetic on tensors described by shapes and
//! strides (rank <= max_rank): PAD, CONCATENATION, TRANSPOSE, slices and the
//! other layout ops as copies; the two-operand ops of abi.StridedOp with any
//! broadcast. The arithmetic of the TS reference
//! (kernels/reference_float.ts), so that both give the same bits.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const num = @import("num.zig");
const clamp = num.clamp;
const u = num.u;

const max_rank = abi.max_rank;

const Op = abi.StridedOp;

inline fn apply(comptime op: Op, x: f32, y: f32) f32 {
    return switch (op) {
        .add => x + y,
        .sub => x - y,
        .mul => x * y,
        .copy => x,
        // MAXIMUM / MINIMUM / PRELU as TFLite's reference kernels: a NaN on the left loses, on the right wins.
        .max => if (x > y) x else y,
        .min => if (x < y) x else y,
        .prelu => if (x >= 0) x else x * y,
        .div => x / y,
        .squared_difference => (x - y) * (x - y),
    };
}

/// Element i of a row at stride s (negative: the row walks backwards from p).
inline fn at(comptime P: type, p: P, i: usize, st: isize) P {
    return if (st >= 0) p + i * @as(usize, @intCast(st)) else p - i * @as(usize, @intCast(-st));
}

/// One innermost row: the contiguous and scalar-broadcast cases get their own loops (vectorized).
fn rowOp(comptime op: Op, a: [*]const f32, sa: isize, b: [*]const f32, sb: isize, o: [*]f32, so: isize, n: usize, lo: f32, hi: f32) void {
    if (so == 1 and sa == 1 and (op == .copy or sb == 1)) {
        for (0..n) |i| o[i] = clamp(apply(op, a[i], if (op == .copy) 0 else b[i]), lo, hi);
    } else if (so == 1 and sa == 1 and sb == 0) {
        const y = b[0];
        for (0..n) |i| o[i] = clamp(apply(op, a[i], y), lo, hi);
    } else if (so == 1 and sa == 0 and sb == 1) {
        const x = a[0];
        for (0..n) |i| o[i] = clamp(apply(op, x, b[i]), lo, hi);
    } else if (sa >= 0 and sb >= 0 and so >= 0) {
        const ua: usize = @intCast(sa);
        const ub: usize = @intCast(sb);
        const uo: usize = @intCast(so);
        for (0..n) |i| o[i * uo] = clamp(apply(op, a[i * ua], if (op == .copy) 0 else b[i * ub]), lo, hi);
    } else {
        for (0..n) |i| {
            const y = if (op == .copy) 0 else at([*]const f32, b, i, sb)[0];
            at([*]f32, o, i, so)[0] = clamp(apply(op, at([*]const f32, a, i, sa)[0], y), lo, hi);
        }
    }
}

const Strided = struct {
    p: *const abi.StridedF32Params,
    op: Op,
    a: [*]const f32,
    b: [*]const f32,
    out: [*]f32,
    /// Dim-0 indices per task.
    per_task: usize,
    /// Some stride is negative.
    backwards: bool,

    /// Every row whose dim-0 index is in task t's range (rank 1: the one row).
    fn task(ctx: *const anyopaque, t: usize) void {
        const s: *const Strided = @ptrCast(@alignCast(ctx));
        if (s.backwards) s.taskRows(true, t) else s.taskRows(false, t);
    }

    fn taskRows(s: *const Strided, comptime backwards: bool, t: usize) void {
        const end = if (s.p.rank > 1) @min(u(s.p.shape[0]), (t + 1) * s.per_task) else 1;
        for (t * s.per_task..end) |i| {
            switch (s.op) {
                inline else => |op| s.rows(op, backwards, i),
            }
        }
    }

    /// `backwards`: some stride is negative (STRIDED_SLICE), so offsets are signed; else the unsigned walk.
    fn rows(s: *const Strided, comptime op: Op, comptime backwards: bool, t: usize) void {
        const Off = if (backwards) isize else usize;
        const p = s.p;
        const r = u(p.rank);
        const last = r - 1;
        const off = struct {
            fn of(v: i32) Off {
                return @intCast(v);
            }
        }.of;
        // Every row start stays in bounds (checked by the caller).
        var ia: Off = off(p.a_offset);
        var ib: Off = off(p.b_offset);
        var io: Off = off(p.out_offset);
        // Dims 1..last-1 walked here; dim 0 is the task (when rank > 1).
        const first: usize = if (r > 1) 1 else r;
        if (r > 1) {
            const ti: Off = @intCast(t);
            ia += ti * off(p.a_strides[0]);
            ib += ti * off(p.b_strides[0]);
            io += ti * off(p.out_strides[0]);
        }
        var idx = [_]usize{0} ** max_rank;
        const n = u(p.shape[last]);
        const sa: isize = p.a_strides[last];
        const sb: isize = p.b_strides[last];
        const so: isize = p.out_strides[last];
        while (true) {
            rowOp(op, s.a + @as(usize, @intCast(ia)), sa, s.b + @as(usize, @intCast(ib)), sb, s.out + @as(usize, @intCast(io)), so, n, p.clamp_min, p.clamp_max);
            var d = last;
            while (d > first) {
                d -= 1;
                idx[d] += 1;
                ia += off(p.a_strides[d]);
                ib += off(p.b_strides[d]);
                io += off(p.out_strides[d]);
                if (idx[d] < u(p.shape[d])) break;
                ia -= off(p.a_strides[d]) * off(p.shape[d]);
                ib -= off(p.b_strides[d]) * off(p.shape[d]);
                io -= off(p.out_strides[d]) * off(p.shape[d]);
                idx[d] = 0;
            } else return;
        }
    }
};

/// out[i] = clamp(a[i] op b[i]) over the index space `shape`, each operand at
/// its offset and strides (0 = broadcast, negative = backwards); `op` an
/// abi.StridedOp. Dim 0 splits across threads from thread_pool.min_split_values (tasks of at least 16K: `itemsPerTask`).
pub fn strided(p: *const abi.StridedF32Params, a: [*]const f32, b: [*]const f32, out: [*]f32) abi.Status {
    const op = abi.opCode(Op, p.op) orelse return .invalid_argument;
    if (p.rank < 1 or p.rank > max_rank or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    var total: usize = 1;
    // The lowest element each operand reaches must be >= 0 (the highest is the caller's to check).
    var low = [3]i64{ p.a_offset, p.b_offset, p.out_offset };
    for (0..u(p.rank)) |d| {
        if (p.shape[d] < 0) return .invalid_argument;
        total *= u(p.shape[d]);
        for (&low, [3]i32{ p.a_strides[d], p.b_strides[d], p.out_strides[d] }) |*l, st| {
            l.* += @min(0, @as(i64, st) * @max(0, p.shape[d] - 1));
        }
    }
    if (total == 0) return .ok;
    for (low) |l| if (l < 0) return .invalid_argument;
    const outer: usize = if (p.rank > 1) u(p.shape[0]) else 1;
    const threads = thread_pool.threadsForValues(total, u(p.threads));
    const per_task = thread_pool.itemsPerTask(outer, total / outer, threads);
    var backwards = false;
    for (0..u(p.rank)) |d| backwards = backwards or p.a_strides[d] < 0 or p.b_strides[d] < 0 or p.out_strides[d] < 0;
    if (p.rank == 1 and !backwards) {
        // One row (operands that merged into one dim: PRELU or MAXIMUM on equal shapes, a whole-tensor copy):
        // cut the row itself into ranges (`per_task` over 1 outer index would leave it on one thread).
        const args: RowRange = .{ .p = p, .op = op, .a = a, .b = b, .out = out };
        thread_pool.runRanges(threads, total, thread_pool.min_split_values, args, RowRange.run);
        return .ok;
    }
    const s: Strided = .{ .p = p, .op = op, .a = a, .b = b, .out = out, .per_task = per_task, .backwards = backwards };
    thread_pool.run(threads, (outer + per_task - 1) / per_task, &s, Strided.task);
    return .ok;
}

/// Elements [begin, end) of a rank-1 strided op with non-negative strides: each element on its own, so any cut
/// gives the same bits.
const RowRange = struct {
    p: *const abi.StridedF32Params,
    op: Op,
    a: [*]const f32,
    b: [*]const f32,
    out: [*]f32,

    fn run(r: RowRange, begin: usize, end: usize) void {
        const p = r.p;
        std.debug.assert(p.rank == 1 and begin <= end and end <= u(p.shape[0]));
        const sa = u(p.a_strides[0]);
        const sb = u(p.b_strides[0]);
        const so = u(p.out_strides[0]);
        switch (r.op) {
            inline else => |op| rowOp(op, r.a + u(p.a_offset) + begin * sa, @intCast(sa), r.b + u(p.b_offset) + begin * sb, @intCast(sb), r.out + u(p.out_offset) + begin * so, @intCast(so), end - begin, p.clamp_min, p.clamp_max),
        }
    }
};

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_strided_f32(params: *const abi.StridedF32Params, a: [*]const f32, b: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(strided(params, a, b, output));
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

test "strided: maximum, minimum and prelu broadcast a row, NaN as TFLite" {
    const nan = std.math.nan(f32);
    const a = [_]f32{ 1, -2, nan, -4 }; // [2, 2]
    const b = [_]f32{ 0.5, nan }; // [1, 2]
    var out: [4]f32 = undefined;
    var p = std.mem.zeroes(abi.StridedF32Params);
    p.rank = 2;
    p.shape[0] = 2;
    p.shape[1] = 2;
    p.a_strides[0] = 2;
    p.a_strides[1] = 1;
    p.b_strides[1] = 1;
    p.out_strides[0] = 2;
    p.out_strides[1] = 1;
    p.clamp_min = -std.math.inf(f32);
    p.clamp_max = std.math.inf(f32);
    p.threads = 1;
    p.op = 4;
    try std.testing.expectEqual(abi.Status.ok, strided(&p, &a, &b, &out));
    try std.testing.expectEqual(@as(f32, 1), out[0]);
    try std.testing.expect(std.math.isNan(out[1]));
    try std.testing.expectEqual(@as(f32, 0.5), out[2]);
    p.op = 5;
    try std.testing.expectEqual(abi.Status.ok, strided(&p, &a, &b, &out));
    try std.testing.expectEqual(@as(f32, 0.5), out[0]);
    try std.testing.expectEqual(@as(f32, 0.5), out[2]);
    p.op = 6;
    try std.testing.expectEqual(abi.Status.ok, strided(&p, &a, &b, &out));
    try std.testing.expectEqual(@as(f32, 1), out[0]);
    try std.testing.expect(std.math.isNan(out[1]) and std.math.isNan(out[2]) and std.math.isNan(out[3]));
    p.op = @typeInfo(abi.StridedOp).@"enum".fields.len; // past the list
    try std.testing.expectEqual(abi.Status.invalid_argument, strided(&p, &a, &b, &out));
}

test "strided: negative strides walk backwards; an operand reaching below element 0 is refused" {
    const src = [_]f32{ 1, 2, 3, 4, 5, 6 }; // [2, 3]
    var out: [6]f32 = undefined;
    var p = std.mem.zeroes(abi.StridedF32Params);
    p.rank = 2;
    p.op = 3;
    p.shape[0] = 2;
    p.shape[1] = 3;
    p.a_strides[0] = -3;
    p.a_strides[1] = -1;
    p.a_offset = 5;
    p.b_offset = 5;
    p.b_strides = p.a_strides;
    p.out_strides[0] = 3;
    p.out_strides[1] = 1;
    p.clamp_min = -std.math.inf(f32);
    p.clamp_max = std.math.inf(f32);
    p.threads = 1;
    try std.testing.expectEqual(abi.Status.ok, strided(&p, &src, &src, &out));
    try std.testing.expectEqualSlices(f32, &.{ 6, 5, 4, 3, 2, 1 }, &out);
    p.a_offset = 4;
    try std.testing.expectEqual(abi.Status.invalid_argument, strided(&p, &src, &src, &out));
}
