//! y = x·scale[c] + shift[c] per channel (a BatchNormalization that LCE's
//! converter leaves as MUL + ADD by per-channel constants), writing y, its
//! bitpacked signs (the LceQuantize that reads it), or both, in one pass over
//! x. Rounded as the two ops: the product, then the sum, each to f32 (no fused
//! multiply-add), so the bits equal MUL, ADD, LceQuantize run one by one.
const std = @import("std");
const abi = @import("abi.zig");
const bitpack = @import("bitpack.zig");
const thread_pool = @import("thread_pool.zig");
const isa_loops = @import("isa_loops.zig");

const Args = struct {
    channels: usize,
    scale: [*]const f32,
    shift: [*]const f32,
    input: [*]const f32,
    /// null: y is not written.
    values: ?[*]f32,
    /// null: the signs are not packed.
    bits: ?[*]u32,
    /// Row strides of `values` (floats) and `bits` (words): a slice of a wider row (a concatenation's).
    values_stride: usize,
    bits_stride: usize,
    /// `values` receives x itself (a concatenation's copy), not y.
    copy_input: bool,
};

/// One row: 32 channels at a time (one packed word), then the tail.
fn row(a: Args, r: usize) void {
    const c = a.channels;
    const x = a.input + r * c;
    const full = c / 32;
    const vo = r * a.values_stride;
    const bo = r * a.bits_stride;
    for (0..full) |w| {
        const at = w * 32;
        const s: @Vector(32, f32) = a.scale[at..][0..32].*;
        const b: @Vector(32, f32) = a.shift[at..][0..32].*;
        const v: @Vector(32, f32) = x[at..][0..32].*;
        const y = v * s + b;
        if (a.values) |out| out[vo + at ..][0..32].* = if (a.copy_input) v else y;
        if (a.bits) |out| out[bo + w] = @bitCast(y < @as(@Vector(32, f32), @splat(0)));
    }
    var word: u32 = 0;
    for (full * 32..c) |i| {
        const y = x[i] * a.scale[i] + a.shift[i];
        if (a.values) |out| out[vo + i] = if (a.copy_input) x[i] else y;
        if (y < 0) word |= @as(u32, 1) << @intCast(i - full * 32);
    }
    if (a.bits) |out| if (full * 32 < c) {
        out[bo + full] = word;
    };
}

/// One call's operands as the row tasks read them (extern: the ISA objects' copies share it).
pub const Rows = extern struct {
    p: *const abi.ChannelAffineParams,
    scale: [*]const f32,
    shift: [*]const f32,
    input: [*]const f32,
    values: [*]f32,
    bits: [*]u32,
};

/// Row t of a channel affine (the loop isa_loops.zig copies per ISA: the root's baseline has 4-float vectors).
pub fn rowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Rows = @ptrCast(@alignCast(ctx));
    const p = s.p.*;
    const c: usize = @intCast(p.channels);
    row(.{
        .channels = c,
        .scale = s.scale,
        .shift = s.shift,
        .input = s.input,
        .values = if (p.outputs & 1 != 0) s.values else null,
        .bits = if (p.outputs & 2 != 0) s.bits else null,
        .values_stride = if (p.values_stride == 0) c else @intCast(p.values_stride),
        .bits_stride = if (p.bits_stride == 0) bitpack.wordsFor(c) else @intCast(p.bits_stride),
        .copy_input = p.outputs & 4 != 0,
    }, t);
}

/// Rows split over the threads from thread_pool.min_split_values (as LceQuantize and the elementwise ops).
fn threadsFor(rows_n: usize, channels: usize, threads: usize) usize {
    return thread_pool.threadsForValues(rows_n * channels, threads);
}

/// One scale-PRELU-add call's operands (extern: the ISA objects' copies share it).
pub const PreluRows = extern struct {
    p: *const abi.ChannelAffineParams,
    scale: [*]const f32,
    alpha: [*]const f32,
    residual: [*]const f32,
    input: [*]const f32,
    out: [*]f32,
};

/// Row t of z = prelu(x·scale[c], alpha[c]) + residual, each op's rounding kept (MUL, PRELU, ADD); the loop
/// isa_loops.zig copies per ISA.
pub fn preluRowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const a: *const PreluRows = @ptrCast(@alignCast(ctx));
    const c: usize = @intCast(a.p.channels);
    const V = @Vector(16, f32);
    const zero: V = @splat(0);
    const at = t * c;
    var i: usize = 0;
    while (i + 16 <= c) : (i += 16) {
        const m = @as(V, a.input[at + i ..][0..16].*) * @as(V, a.scale[i..][0..16].*);
        const p = @select(f32, m >= zero, m, m * @as(V, a.alpha[i..][0..16].*));
        a.out[at + i ..][0..16].* = p + @as(V, a.residual[at + i ..][0..16].*);
    }
    while (i < c) : (i += 1) {
        const m = a.input[at + i] * a.scale[i];
        const p = if (m >= 0) m else m * a.alpha[i];
        a.out[at + i] = p + a.residual[at + i];
    }
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

/// z = prelu(x·scale[c], alpha[c]) + residual on rows of `channels` (Real-to-Binary Net's scaled residual
/// blocks: MUL by a per-channel vector, PRELU, ADD); `params.outputs` must be 1. `out` may be `residual`.
pub fn onebit_scale_prelu_add_f32(
    params: *const abi.ChannelAffineParams,
    scale: [*]const f32,
    alpha: [*]const f32,
    residual: [*]const f32,
    input: [*]const f32,
    out: [*]f32,
) callconv(.c) i32 {
    const p = params.*;
    if (p.rows < 0 or p.channels <= 0 or p.outputs != 1 or !thread_pool.validThreads(p.threads))
        return abi.code(.invalid_argument);
    const s: PreluRows = .{ .p = params, .scale = scale, .alpha = alpha, .residual = residual, .input = input, .out = out };
    const rows_n: usize = @intCast(p.rows);
    const threads = threadsFor(rows_n, @intCast(p.channels), @intCast(p.threads));
    isa_loops.run(threads, rows_n, &s, isa_loops.pick("scale_prelu_add_f32", preluRowTask));
    return abi.code(.ok);
}

/// `params.outputs`: bit 0 writes `values` (rows × channels floats), bit 1 packs the signs into `bits`
/// (rows × ceil(channels/32) words), bit 2 makes `values` a copy of x rather than y (a concatenation's slice);
/// a buffer whose bit is clear is not touched. Row strides `values_stride` and `bits_stride` (0: contiguous).
pub fn onebit_channel_affine_f32(
    params: *const abi.ChannelAffineParams,
    scale: [*]const f32,
    shift: [*]const f32,
    input: [*]const f32,
    values: [*]f32,
    bits: [*]u32,
) callconv(.c) i32 {
    const p = params.*;
    if (p.rows < 0 or p.channels <= 0 or p.outputs < 1 or p.outputs > 7 or p.outputs == 4 or
        !thread_pool.validThreads(p.threads)) return abi.code(.invalid_argument);
    const c: usize = @intCast(p.channels);
    const values_stride: usize = if (p.values_stride == 0) c else @intCast(@max(0, p.values_stride));
    const bits_stride: usize = if (p.bits_stride == 0) bitpack.wordsFor(c) else @intCast(@max(0, p.bits_stride));
    if (values_stride < c or bits_stride < bitpack.wordsFor(c)) return abi.code(.invalid_argument);
    const s: Rows = .{ .p = params, .scale = scale, .shift = shift, .input = input, .values = values, .bits = bits };
    const rows_n: usize = @intCast(p.rows);
    isa_loops.run(threadsFor(rows_n, c, @intCast(p.threads)), rows_n, &s, isa_loops.pick("channel_affine_f32", rowTask));
    return abi.code(.ok);
}

test "scale, PRELU, add: each op's rounding, on 1 to 3 threads, in place over the residual" {
    const rows_n = 900;
    const c = 37; // two vectors and a tail
    var scale: [c]f32 = undefined;
    var alpha: [c]f32 = undefined;
    for (0..c) |i| {
        const f: f32 = @floatFromInt(i);
        scale[i] = @sin(f * 0.9) * 1.5;
        alpha[i] = @cos(f * 0.5) * 0.3;
    }
    var x: [rows_n * c]f32 = undefined;
    var res: [rows_n * c]f32 = undefined;
    for (&x, &res, 0..) |*v, *w, i| {
        v.* = @sin(@as(f32, @floatFromInt(i)) * 0.37);
        w.* = @cos(@as(f32, @floatFromInt(i)) * 0.11);
    }
    var want: [rows_n * c]f32 = undefined;
    for (0..rows_n) |r| for (0..c) |i| {
        const m = x[r * c + i] * scale[i];
        const p = if (m >= 0) m else m * alpha[i];
        want[r * c + i] = p + res[r * c + i];
    };
    for ([_]i32{ 1, 2, 3 }) |threads| {
        var out = res;
        const p: abi.ChannelAffineParams = .{ .rows = rows_n, .channels = c, .outputs = 1, .threads = threads, .values_stride = 0, .bits_stride = 0 };
        try std.testing.expectEqual(@as(i32, 0), onebit_scale_prelu_add_f32(&p, &scale, &alpha, &out, &x, &out));
        try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&out));
    }
}

test "values and signs equal MUL then ADD then LceQuantize, on 1 and 2 threads" {
    const rows_n = 70;
    const c = 45; // one full word and a tail
    var scale: [c]f32 = undefined;
    var shift: [c]f32 = undefined;
    for (0..c) |i| {
        const f: f32 = @floatFromInt(i);
        scale[i] = @sin(f * 0.7) * 2;
        shift[i] = @cos(f * 1.3) * 0.5;
    }
    scale[3] = 0; // y = shift exactly
    shift[4] = -0.0;
    var x: [rows_n * c]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @sin(@as(f32, @floatFromInt(i)) * 0.37);
    x[4] = 0; // 0·scale + -0 = +0: packs as +1
    var want_values: [rows_n * c]f32 = undefined;
    for (0..rows_n) |r| for (0..c) |i| {
        const m = x[r * c + i] * scale[i];
        want_values[r * c + i] = m + shift[i];
    };
    var want_bits: [rows_n * 2]u32 = undefined;
    bitpack.pack(rows_n, c, &want_values, &want_bits);
    for ([_]i32{ 1, 2, 3 }) |threads| {
        var values: [rows_n * c]f32 = @splat(7);
        var bits: [rows_n * 2]u32 = @splat(0xdead);
        const p: abi.ChannelAffineParams = .{ .rows = rows_n, .channels = c, .outputs = 3, .threads = threads, .values_stride = 0, .bits_stride = 0 };
        try std.testing.expectEqual(@as(i32, 0), onebit_channel_affine_f32(&p, &scale, &shift, &x, &values, &bits));
        try std.testing.expectEqualSlices(u32, @ptrCast(&want_values), @ptrCast(&values));
        try std.testing.expectEqualSlices(u32, &want_bits, &bits);
        // Bits only: the values buffer is not touched.
        var untouched: [1]f32 = .{7};
        const q: abi.ChannelAffineParams = .{ .rows = rows_n, .channels = c, .outputs = 2, .threads = threads, .values_stride = 0, .bits_stride = 0 };
        try std.testing.expectEqual(@as(i32, 0), onebit_channel_affine_f32(&q, &scale, &shift, &x, &untouched, &bits));
        try std.testing.expectEqualSlices(u32, &want_bits, &bits);
        try std.testing.expectEqual(@as(f32, 7), untouched[0]);
    }
    const bad: abi.ChannelAffineParams = .{ .rows = 1, .channels = c, .outputs = 0, .threads = 1, .values_stride = 0, .bits_stride = 0 };
    var one: [1]u32 = undefined;
    var onef: [1]f32 = undefined;
    try std.testing.expectEqual(@as(i32, 1), onebit_channel_affine_f32(&bad, &scale, &shift, &x, &onef, &one));
}

test "a slice of a wider row: x copied at a stride, the signs of y packed at a word stride" {
    const rows_n = 3;
    const c = 40; // one word and a tail, at channel 64 of 128-channel rows
    var scale: [c]f32 = undefined;
    var shift: [c]f32 = undefined;
    for (0..c) |i| {
        scale[i] = if (i % 3 == 0) -1.5 else 0.75;
        shift[i] = if (i % 5 == 0) 0.25 else -0.125;
    }
    var x: [rows_n * c]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @sin(@as(f32, @floatFromInt(i)) * 0.61);
    var values: [rows_n * 128]f32 = @splat(9);
    var bits: [rows_n * 4]u32 = @splat(0xabcd);
    const p: abi.ChannelAffineParams = .{ .rows = rows_n, .channels = c, .outputs = 7, .threads = 1, .values_stride = 128, .bits_stride = 4 };
    try std.testing.expectEqual(@as(i32, 0), onebit_channel_affine_f32(&p, &scale, &shift, &x, values[64..].ptr, bits[2..].ptr));
    for (0..rows_n) |r| {
        var y: [c]f32 = undefined;
        for (0..c) |i| {
            const m = x[r * c + i] * scale[i];
            y[i] = m + shift[i];
        }
        var want: [2]u32 = undefined;
        bitpack.pack(1, c, &y, &want);
        try std.testing.expectEqualSlices(u32, &want, bits[r * 4 + 2 ..][0..2]);
        try std.testing.expectEqualSlices(f32, x[r * c ..][0..c], values[r * 128 + 64 ..][0..c]);
        try std.testing.expectEqual(@as(f32, 9), values[r * 128 + 63]);
        try std.testing.expectEqual(@as(u32, 0xabcd), bits[r * 4 + 1]);
    }
}
