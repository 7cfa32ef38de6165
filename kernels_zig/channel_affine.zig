//! y = x·scale[c] + shift[c] per channel (a BatchNormalization that LCE's
//! converter leaves as MUL + ADD by per-channel constants), writing y, its
//! bitpacked signs (the LceQuantize that reads it), or both, in one pass over
//! x. Rounded as the two ops: the product, then the sum, each to f32 (no fused
//! multiply-add), so the bits equal MUL, ADD, LceQuantize run one by one.
const std = @import("std");
const abi = @import("abi.zig");
const bitpack = @import("bitpack.zig");
const thread_pool = @import("thread_pool.zig");

const Args = struct {
    channels: usize,
    scale: [*]const f32,
    shift: [*]const f32,
    input: [*]const f32,
    /// null: y is not written.
    values: ?[*]f32,
    /// null: the signs are not packed.
    bits: ?[*]u32,
};

/// One row: 32 channels at a time (one packed word), then the tail.
fn row(a: Args, r: usize) void {
    const c = a.channels;
    const x = a.input + r * c;
    const full = c / 32;
    for (0..full) |w| {
        const at = w * 32;
        const s: @Vector(32, f32) = a.scale[at..][0..32].*;
        const b: @Vector(32, f32) = a.shift[at..][0..32].*;
        const v: @Vector(32, f32) = x[at..][0..32].*;
        const y = v * s + b;
        if (a.values) |out| out[r * c + at ..][0..32].* = y;
        if (a.bits) |out| out[r * bitpack.wordsFor(c) + w] = @bitCast(y < @as(@Vector(32, f32), @splat(0)));
    }
    var word: u32 = 0;
    for (full * 32..c) |i| {
        const y = x[i] * a.scale[i] + a.shift[i];
        if (a.values) |out| out[r * c + i] = y;
        if (y < 0) word |= @as(u32, 1) << @intCast(i - full * 32);
    }
    if (a.bits) |out| if (full * 32 < c) {
        out[r * bitpack.wordsFor(c) + full] = word;
    };
}

fn rows(a: Args, begin: usize, end: usize) void {
    for (begin..end) |r| row(a, r);
}

/// Rows split over `threads` threads from 32K values (as LceQuantize and the elementwise ops).
fn run(rows_n: usize, threads: usize, a: Args) void {
    const min_rows = ((1 << 15) + a.channels - 1) / @max(1, a.channels);
    thread_pool.runRanges(threads, rows_n, min_rows, a, rows);
}

const PreluArgs = struct {
    channels: usize,
    scale: [*]const f32,
    alpha: [*]const f32,
    residual: [*]const f32,
    input: [*]const f32,
    out: [*]f32,
};

/// Rows of z = prelu(x·scale[c], alpha[c]) + residual, each op's rounding kept (MUL, PRELU, ADD).
fn preluRows(a: PreluArgs, begin: usize, end: usize) void {
    const c = a.channels;
    const V = @Vector(16, f32);
    const zero: V = @splat(0);
    for (begin..end) |r| {
        const at = r * c;
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
    const c: usize = @intCast(p.channels);
    const min_rows = ((1 << 15) + c - 1) / c;
    const args: PreluArgs = .{ .channels = c, .scale = scale, .alpha = alpha, .residual = residual, .input = input, .out = out };
    thread_pool.runRanges(@intCast(p.threads), @intCast(p.rows), min_rows, args, preluRows);
    return abi.code(.ok);
}

/// `params.outputs`: bit 0 writes `values` (rows × channels floats), bit 1 packs the signs into `bits`
/// (rows × ceil(channels/32) words); a buffer whose bit is clear is not touched.
pub fn onebit_channel_affine_f32(
    params: *const abi.ChannelAffineParams,
    scale: [*]const f32,
    shift: [*]const f32,
    input: [*]const f32,
    values: [*]f32,
    bits: [*]u32,
) callconv(.c) i32 {
    const p = params.*;
    if (p.rows < 0 or p.channels <= 0 or p.outputs < 1 or p.outputs > 3 or !thread_pool.validThreads(p.threads))
        return abi.code(.invalid_argument);
    run(@intCast(p.rows), @intCast(p.threads), .{
        .channels = @intCast(p.channels),
        .scale = scale,
        .shift = shift,
        .input = input,
        .values = if (p.outputs & 1 != 0) values else null,
        .bits = if (p.outputs & 2 != 0) bits else null,
    });
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
        const p: abi.ChannelAffineParams = .{ .rows = rows_n, .channels = c, .outputs = 1, .threads = threads };
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
        const p: abi.ChannelAffineParams = .{ .rows = rows_n, .channels = c, .outputs = 3, .threads = threads };
        try std.testing.expectEqual(@as(i32, 0), onebit_channel_affine_f32(&p, &scale, &shift, &x, &values, &bits));
        try std.testing.expectEqualSlices(u32, @ptrCast(&want_values), @ptrCast(&values));
        try std.testing.expectEqualSlices(u32, &want_bits, &bits);
        // Bits only: the values buffer is not touched.
        var untouched: [1]f32 = .{7};
        const q: abi.ChannelAffineParams = .{ .rows = rows_n, .channels = c, .outputs = 2, .threads = threads };
        try std.testing.expectEqual(@as(i32, 0), onebit_channel_affine_f32(&q, &scale, &shift, &x, &untouched, &bits));
        try std.testing.expectEqualSlices(u32, &want_bits, &bits);
        try std.testing.expectEqual(@as(f32, 7), untouched[0]);
    }
    const bad: abi.ChannelAffineParams = .{ .rows = 1, .channels = c, .outputs = 0, .threads = 1 };
    var one: [1]u32 = undefined;
    var onef: [1]f32 = undefined;
    try std.testing.expectEqual(@as(i32, 1), onebit_channel_affine_f32(&bad, &scale, &shift, &x, &onef, &one));
}
