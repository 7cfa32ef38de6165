//! Float ops on tensors described by shapes and strides (rank <= 6):
//! strided copy and broadcast arithmetic (PAD, CONCATENATION, channel
//! slices, ADD/SUB/MUL with any broadcast), MEAN over any set of axes,
//! col2im (TRANSPOSE_CONV, and a convolution's input gradient) and the
//! int8/uint8/float16 (de)quantization of QUANTIZE and DEQUANTIZE.
//! Each keeps the arithmetic of the TS reference (kernels/reference_float.ts)
//! so that both give the same bits.
const std = @import("std");
const abi = @import("abi.zig");
const pool = @import("pool.zig");
const clamp = @import("fops.zig").clamp;

pub const max_rank = abi.max_rank;

fn u(x: i32) usize {
    return @intCast(x);
}

fn threadsOk(t: i32) bool {
    return t >= 1 and t <= pool.max_threads;
}

/// Items per task when `items` items of `each` values split over `threads`: two tasks per thread, but never
/// under 16K values a task (a task's claim and its cache lines cost more than that much work saves).
fn chunk(items: usize, each: usize, threads: usize) usize {
    if (threads <= 1) return @max(1, items);
    const even = (items + 2 * threads - 1) / (2 * threads);
    return @max(1, @max(even, (16384 + each - 1) / @max(1, each)));
}

// ---- strided copy and broadcast arithmetic ---------------------------------

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
    if (p.rank < 1 or p.rank > max_rank or p.op < 0 or p.op > 3 or !threadsOk(p.threads)) return .invalid_argument;
    if (p.a_offset < 0 or p.b_offset < 0 or p.out_offset < 0) return .invalid_argument;
    var total: usize = 1;
    for (0..u(p.rank)) |d| {
        if (p.shape[d] < 0 or p.a_strides[d] < 0 or p.b_strides[d] < 0 or p.out_strides[d] < 0) return .invalid_argument;
        total *= u(p.shape[d]);
    }
    if (total == 0) return .ok;
    const outer: usize = if (p.rank > 1) u(p.shape[0]) else 1;
    const threads: usize = if (total < 1 << 16) 1 else u(p.threads);
    const per_task = chunk(outer, total / outer, threads);
    const s: Strided = .{ .p = p, .a = a, .b = b, .out = out, .per_task = per_task };
    pool.run(threads, (outer + per_task - 1) / per_task, &s, Strided.task);
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

// ---- MEAN ------------------------------------------------------------------

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
        !threadsOk(p.threads)) return .invalid_argument;
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
    s.per_task = chunk(outputs, stride / outputs, threads);
    pool.run(threads, (outputs + s.per_task - 1) / s.per_task, &s, Mean.task);
    return .ok;
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

// ---- col2im ----------------------------------------------------------------

const Col2im = struct {
    p: *const abi.Col2imF32Params,
    cols: [*]const f32,
    bias: [*]const f32,
    image: [*]f32,

    /// First tap index, from the top, whose source row/column lies inside the cols grid, walked so that sources
    /// come in increasing order: the reference scatters pixel by pixel, this gathers in the same order.
    fn task(ctx: *const anyopaque, t: usize) void {
        const s: *const Col2im = @ptrCast(@alignCast(ctx));
        const p = s.p;
        const ih = u(p.image_h);
        const n = t / ih;
        const y = t % ih;
        const c = u(p.channels);
        const taps = u(p.kernel_h) * u(p.kernel_w);
        for (0..u(p.image_w)) |x| {
            const o = s.image + ((n * ih + y) * u(p.image_w) + x) * c;
            @memset(o[0..c], 0);
            var ky = u(p.kernel_h);
            while (ky > 0) {
                ky -= 1;
                const ty = @as(isize, @intCast(y)) + p.pad_top - @as(isize, @intCast(ky * u(p.dilation_h)));
                if (ty < 0 or @mod(ty, p.stride_h) != 0) continue;
                const cy: usize = @intCast(@divExact(ty, p.stride_h));
                if (cy >= u(p.cols_h)) continue;
                var kx = u(p.kernel_w);
                while (kx > 0) {
                    kx -= 1;
                    const tx = @as(isize, @intCast(x)) + p.pad_left - @as(isize, @intCast(kx * u(p.dilation_w)));
                    if (tx < 0 or @mod(tx, p.stride_w) != 0) continue;
                    const cx: usize = @intCast(@divExact(tx, p.stride_w));
                    if (cx >= u(p.cols_w)) continue;
                    const src = s.cols + (((n * u(p.cols_h) + cy) * u(p.cols_w) + cx) * taps + ky * u(p.kernel_w) + kx) * c;
                    for (0..c) |ch| o[ch] += src[ch];
                }
            }
            for (0..c) |ch| o[ch] = clamp(o[ch] + s.bias[ch], p.clamp_min, p.clamp_max);
        }
    }
};

/// image[n, y, x, c] = clamp(bias[c] + Σ cols[n, cy, cx, ky, kx, c]) over the taps with
/// cy·stride_h + ky·dilation_h - pad_top = y (and likewise for x): the adjoint of im2col, gathered per
/// output row so threads never write the same value.
pub fn col2im(p: *const abi.Col2imF32Params, cols: [*]const f32, bias: [*]const f32, image: [*]f32) abi.Status {
    if (p.batch < 0 or p.image_h <= 0 or p.image_w <= 0 or p.channels <= 0 or p.kernel_h <= 0 or p.kernel_w <= 0 or
        p.stride_h <= 0 or p.stride_w <= 0 or p.dilation_h <= 0 or p.dilation_w <= 0 or p.pad_top < 0 or
        p.pad_left < 0 or p.cols_h <= 0 or p.cols_w <= 0 or !threadsOk(p.threads)) return .invalid_argument;
    const s: Col2im = .{ .p = p, .cols = cols, .bias = bias, .image = image };
    const rows = u(p.batch) * u(p.image_h);
    const values = rows * u(p.image_w) * u(p.channels);
    pool.run(if (values < 1 << 14) 1 else u(p.threads), rows, &s, Col2im.task);
    return .ok;
}

test "col2im: a 2x2 stride-2 transposed tap layout lands each value once; overlaps add" {
    // cols grid 1x2, 1 channel, 2x2 kernel, stride 1: image 2x3
    const cols = [_]f32{ 1, 2, 3, 4, 10, 20, 30, 40 };
    const bias = [_]f32{0.5};
    var image: [6]f32 = undefined;
    const p: abi.Col2imF32Params = .{ .batch = 1, .image_h = 2, .image_w = 3, .channels = 1, .kernel_h = 2, .kernel_w = 2, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 0, .pad_left = 0, .cols_h = 1, .cols_w = 2, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, col2im(&p, &cols, &bias, &image));
    try std.testing.expectEqualSlices(f32, &.{ 1.5, 12.5, 20.5, 3.5, 34.5, 40.5 }, &image);
}

// ---- QUANTIZE / DEQUANTIZE -------------------------------------------------

/// round(q) with halves away from zero (std::round), from trunc: exact for every f32, and vectorizable
/// (@round lowers to a libcall per element on x86).
inline fn roundHalfAway(q: f32) f32 {
    const t = @trunc(q);
    return if (@abs(q - t) >= 0.5) t + std.math.copysign(@as(f32, 1), q) else t;
}

fn quantizeTo(comptime T: type, p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8, begin: usize, end: usize) void {
    const x: [*]align(1) const f32 = @ptrCast(in);
    const y: [*]T = @ptrCast(out);
    const lo: f32 = std.math.minInt(T);
    const hi: f32 = std.math.maxInt(T);
    const zp: f32 = @floatFromInt(p.zero_point);
    for (begin..end) |i| {
        // TFLite: round(x / scale) in float, halves away from zero, plus the zero point, clamped; NaN -> 0.
        // Past ±2^24 the f32 sum is inexact but far outside [lo, hi], so the clamp decides alike.
        const q = roundHalfAway(x[i] / p.scale) + zp;
        const c = if (q < lo) lo else if (q > hi) hi else q;
        y[i] = if (q != q) 0 else @intFromFloat(c);
    }
}

fn dequantizeFrom(comptime T: type, p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8, begin: usize, end: usize) void {
    const q: [*]const T = @ptrCast(in);
    const y: [*]align(1) f32 = @ptrCast(out);
    const zp = p.zero_point;
    const scale = p.scale;
    // q - zero_point is an exact f32 (both in the type's range), and an f32 product is the exact product
    // rounded once: the value of TFLite's double arithmetic rounded to float.
    for (begin..end) |i| y[i] = @as(f32, @floatFromInt(@as(i32, q[i]) - zp)) * scale;
}

const QuantizeArgs = struct { p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8 };

fn quantizeRange(args: QuantizeArgs, begin: usize, end: usize) void {
    const p = args.p;
    const in = args.in;
    const out = args.out;
    switch (p.kind) {
        0 => quantizeTo(i8, p, in, out, begin, end),
        1 => quantizeTo(u8, p, in, out, begin, end),
        2 => dequantizeFrom(i8, p, in, out, begin, end),
        3 => dequantizeFrom(u8, p, in, out, begin, end),
        else => {
            const h: [*]align(1) const f16 = @ptrCast(in);
            const y: [*]align(1) f32 = @ptrCast(out);
            for (begin..end) |i| y[i] = h[i];
        },
    }
}

/// kind 0: f32 -> int8, 1: f32 -> uint8 (q = clamp(round(x / scale) + zero_point)); 2: int8 -> f32,
/// 3: uint8 -> f32 ((q - zero_point) · scale in f64, rounded once); 4: float16 -> f32.
pub fn quantize(p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8) abi.Status {
    if (p.count < 0 or p.kind < 0 or p.kind > 4 or !threadsOk(p.threads)) return .invalid_argument;
    if (p.kind <= 1 and !(p.scale > 0)) return .invalid_argument;
    const zp_ok = switch (p.kind) {
        0, 2 => p.zero_point >= -128 and p.zero_point <= 127,
        1, 3 => p.zero_point >= 0 and p.zero_point <= 255,
        else => true,
    };
    if (!zp_ok) return .invalid_argument;
    pool.runRanges(u(p.threads), u(p.count), 1 << 16, QuantizeArgs{ .p = p, .in = in, .out = out }, quantizeRange);
    return .ok;
}

test "quantize rounds halves away from zero and clamps; dequantize undoes it" {
    const x = [_]f32{ 0.25, -0.25, 0.75, 100, -100, std.math.nan(f32) };
    var q: [6]i8 = undefined;
    var p: abi.QuantizeParams = .{ .count = 6, .kind = 0, .scale = 0.5, .zero_point = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, quantize(&p, @ptrCast(&x), @ptrCast(&q)));
    try std.testing.expectEqualSlices(i8, &.{ 2, 0, 3, 127, -128, 0 }, &q);
    var y: [6]f32 = undefined;
    p.kind = 2;
    try std.testing.expectEqual(abi.Status.ok, quantize(&p, @ptrCast(&q), @ptrCast(&y)));
    try std.testing.expectEqualSlices(f32, &.{ 0.5, -0.5, 1, 63, -64.5, -0.5 }, &y);
    const h = [_]u16{ 0x3c00, 0xc000, 0x0001, 0x7c00 };
    p = .{ .count = 4, .kind = 4, .scale = 0, .zero_point = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, quantize(&p, @ptrCast(&h), @ptrCast(&y)));
    try std.testing.expectEqualSlices(f32, &.{ 1, -2, 0x1p-24, std.math.inf(f32) }, y[0..4]);
}
