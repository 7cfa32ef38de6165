//! Softmax over the last axis of [rows, depth], in the arithmetic of the TS reference
//! (kernels/reference_float.ts) but for exp: e^d in f64 by a vector polynomial (relative error below 1e-14,
//! so its f32 rounding is Math.exp's but within 1e-14 of a rounding boundary), 8 lanes at a time. The row
//! loop has AVX2/AVX-512 copies (isa_loops.zig); plain multiplies and adds (no FMA) give them the same bits.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const isa_loops = @import("isa_loops.zig");
const u = @import("num.zig").u;

const lanes = 8;
const V = @Vector(lanes, f64);
const V32 = @Vector(lanes, f32);

/// fdlibm's split of ln 2: k·ln2_hi is exact for |k| < 2^20.
const ln2_hi: f64 = 6.93147180369123816490e-01;
const ln2_lo: f64 = 1.90821492927058770002e-10;

/// 1/n! for n = 11 down to 0: the Taylor polynomial of e^r, |r| <= ln2/2 (truncation below 7e-15 relative).
const taylor = blk: {
    var c: [12]f64 = undefined;
    var f: f64 = 1;
    for (0..12) |n| {
        if (n > 0) f *= @floatFromInt(n);
        c[11 - n] = 1 / f;
    }
    break :blk c;
};

/// 1.5·2^52: x + shifter rounds x to an integer held in the low mantissa bits (|x| < 2^51).
const shifter: f64 = 0x1.8p52;
const U = @Vector(lanes, u64);

/// e^d per lane: d = k·ln2 + r (Cody-Waite; k rounded to nearest by the shifter), e^r by Horner, 2^k from
/// its exponent bits. d is clamped to [-120, 100] first (beyond it the f32 rounding is 0 or +Inf anyway);
/// NaN stays NaN.
fn expLanes(d: V) V {
    const x = @min(@max(d, @as(V, @splat(-120.0))), @as(V, @splat(100.0)));
    const t = x * @as(V, @splat(std.math.log2e)) + @as(V, @splat(shifter));
    const k = t - @as(V, @splat(shifter));
    const r = (x - k * @as(V, @splat(ln2_hi))) - k * @as(V, @splat(ln2_lo));
    var poly: V = @splat(taylor[0]);
    inline for (taylor[1..]) |c| poly = poly * r + @as(V, @splat(c));
    // The low bits of t hold k (two's complement after subtracting the shifter's bits); k + 1023 in [849, 1123].
    const k_bits = @as(U, @bitCast(t)) -% @as(U, @bitCast(@as(V, @splat(shifter))));
    const scale: V = @bitCast((k_bits +% @as(U, @splat(1023))) << @splat(52));
    return @select(f64, d != d, d, poly * scale);
}

/// Lanes [0, n) of `src` as f64 (n <= lanes; the others 0).
fn load(src: [*]const f32, n: usize) V {
    if (n == lanes) return @floatCast(@as(V32, src[0..lanes].*));
    var v: V32 = @splat(0);
    for (0..n) |i| v[i] = src[i];
    return @floatCast(v);
}

fn store(dst: [*]f32, v: V32, n: usize) void {
    if (n == lanes) {
        dst[0..lanes].* = v;
    } else for (0..n) |i| {
        dst[i] = v[i];
    }
}

/// One row: the max, each e^((x - max)·beta) rounded to f32 and summed in f64 (8 lane sums, then added
/// together), each value divided by the sum and rounded once.
fn softmaxRow(row: [*]const f32, o: [*]f32, depth: usize, beta: f64) void {
    var max: f32 = -std.math.inf(f32);
    var i: usize = 0;
    if (depth >= lanes) {
        var m: V32 = row[0..lanes].*;
        i = lanes;
        while (i + lanes <= depth) : (i += lanes) m = @max(m, @as(V32, row[i..][0..lanes].*));
        max = @reduce(.Max, m);
    }
    for (row[i..depth]) |v| max = @max(max, v);
    const max_v: V = @splat(max);
    const beta_v: V = @splat(beta);
    var sums: V = @splat(0);
    i = 0;
    while (i < depth) : (i += lanes) {
        const n = @min(lanes, depth - i);
        const e: V32 = @floatCast(expLanes((load(row + i, n) - max_v) * beta_v));
        store(o + i, e, n);
        const valid = std.simd.iota(u32, lanes) < @as(@Vector(lanes, u32), @splat(@intCast(n)));
        sums += @select(f64, valid, @as(V, @floatCast(e)), @as(V, @splat(0)));
    }
    // The lane sums added in lane order (a @reduce may reassociate by vector width).
    var total: f64 = 0;
    for (0..lanes) |j| total += sums[j];
    const sum: V = @splat(total);
    i = 0;
    while (i < depth) : (i += lanes) {
        const n = @min(lanes, depth - i);
        store(o + i, @floatCast(load(o + i, n) / sum), n);
    }
}

/// A softmax's operands: the context of `rowTask` (shared with the ISA objects, so extern).
pub const Rows = extern struct { p: *const abi.SoftmaxF32Params, x: [*]const f32, out: [*]f32 };

/// Row t of a softmax (the loop isa_loops.zig copies per ISA).
pub fn rowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Rows = @ptrCast(@alignCast(ctx));
    const depth = u(s.p.depth);
    softmaxRow(s.x + t * depth, s.out + t * depth, depth, s.p.beta);
}

/// Softmax per row (see the file's doc).
pub fn softmax(p: *const abi.SoftmaxF32Params, x: [*]const f32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.depth <= 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const rows = u(p.rows);
    // Rows split over the threads from thread_pool.min_split_values (rows are independent: no sum changes).
    const threads = thread_pool.threadsForValues(rows * u(p.depth), u(p.threads));
    const s: Rows = .{ .p = p, .x = x, .out = out };
    isa_loops.run(threads, rows, &s, isa_loops.pick("softmax_f32", rowTask));
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

test "expLanes: e^d rounded to f32 is std's f64 exp rounded to f32, over [-110, 90] and at the edges" {
    var mismatches: usize = 0;
    var k: usize = 0;
    var rng = std.Random.DefaultPrng.init(18);
    while (k < 200_000) : (k += lanes) {
        var d: V = undefined;
        for (0..lanes) |j| d[j] = -110 + 200 * rng.random().float(f64);
        if (k == 0) d = .{ 0, -0.0, -1e-300, 88.72, 88.73, -103.9, -104, std.math.ln2 / 2.0 };
        if (k == lanes) d = .{ -std.math.inf(f64), std.math.inf(f64), std.math.nan(f64), -745, 1000, -1e6, 1e-20, -0.5 };
        const got: V32 = @floatCast(expLanes(d));
        for (0..lanes) |j| {
            const want: f32 = @floatCast(@exp(d[j]));
            if (std.math.isNan(want)) {
                try std.testing.expect(std.math.isNan(got[j]));
            } else if (got[j] != want) {
                // Only a value at a rounding boundary may round the other way: one ulp apart.
                try std.testing.expectEqual(@as(u32, @bitCast(want)) +% 1, @max(@as(u32, @bitCast(got[j])), @as(u32, @bitCast(want))));
                mismatches += 1;
            }
        }
    }
    try std.testing.expect(mismatches <= 2);
}

test "softmax: every depth's tail lanes (1..17) match the f64 formula and sum to 1" {
    var x: [17]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @as(f32, @floatFromInt(i % 5)) * 1.7 - 3;
    for (1..18) |depth| {
        var y: [17]f32 = undefined;
        const s: abi.SoftmaxF32Params = .{ .rows = 1, .depth = @intCast(depth), .beta = 0.5, .threads = 1 };
        try std.testing.expectEqual(abi.Status.ok, softmax(&s, &x, &y));
        var max: f64 = -std.math.inf(f64);
        for (x[0..depth]) |v| max = @max(max, v);
        var sum: f64 = 0;
        for (x[0..depth]) |v| sum += @as(f32, @floatCast(@exp((v - max) * 0.5)));
        for (x[0..depth], y[0..depth]) |v, got| {
            const e: f32 = @floatCast(@exp((v - max) * 0.5));
            try std.testing.expectEqual(@as(f32, @floatCast(e / sum)), got);
        }
    }
}
