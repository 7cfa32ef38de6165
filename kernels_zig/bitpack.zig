//! float32 (or int8) -> bitpacked 32-bit words along the channel axis (LCE layout),
//! and back (LceDequantize).
//! bit = 1 iff x < 0: +0.0, -0.0 and NaN all pack as +1 (bit 0). LCE's scalar
//! packer uses the same comparison; its aarch64 packer reads the sign bit
//! instead (-0.0 -> -1), so this rule is the one we document and test.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const neon = @import("neon_loops.zig");

pub fn wordsFor(channels: usize) usize {
    return (channels + 31) / 32;
}

pub fn packRow(input: []const f32, output: []u32) void {
    packRowBelow(f32, input, 0, output);
}

/// Bit = 1 iff x < threshold: 0 for floats; an int8 tensor's zero point (LCE's LceQuantize on int8 input).
fn packRowBelow(comptime T: type, input: []const T, threshold: T, output: []u32) void {
    std.debug.assert(output.len == wordsFor(input.len));
    const full = input.len / 32;
    const limit: @Vector(32, T) = @splat(threshold);
    if (T == f32 and neon.available and full > 0 and threshold == 0) {
        neon.packWords(input.ptr, output.ptr, full);
    } else for (0..full) |w| {
        const v: @Vector(32, T) = input[w * 32 ..][0..32].*;
        output[w] = @bitCast(v < limit);
    }
    if (full < output.len) {
        var word: u32 = 0;
        for (input[full * 32 ..], 0..) |x, bit| {
            if (x < threshold) word |= @as(u32, 1) << @intCast(bit);
        }
        output[full] = word;
    }
}

pub fn pack(rows: usize, channels: usize, input: [*]const f32, output: [*]u32) void {
    const words = wordsFor(channels);
    for (0..rows) |r| packRow(input[r * channels ..][0..channels], output[r * words ..][0..words]);
}

fn PackArgs(comptime T: type) type {
    return struct { channels: usize, threshold: T, input: [*]const T, output: [*]u32 };
}

fn packRows(comptime T: type) fn (PackArgs(T), usize, usize) void {
    return struct {
        fn rows(a: PackArgs(T), begin: usize, end: usize) void {
            const words = wordsFor(a.channels);
            for (begin..end) |r| packRowBelow(T, a.input[r * a.channels ..][0..a.channels], a.threshold, a.output[r * words ..][0..words]);
        }
    }.rows;
}

/// Packs rows of `T` values (bit = value < threshold), split over `threads` threads (one thread below
/// thread_pool.min_split_values, as the other elementwise ops; 256K kept every LceQuantize of the larq zoo, 200K
/// values at most, on one thread).
pub fn packThreadedBelow(comptime T: type, rows: usize, channels: usize, threshold: T, input: [*]const T, output: [*]u32, threads: usize) void {
    const min_rows = thread_pool.minSplitItems(channels);
    const args: PackArgs(T) = .{ .channels = channels, .threshold = threshold, .input = input, .output = output };
    thread_pool.runRanges(threads, rows, min_rows, args, packRows(T));
}

/// `pack` with rows split over `threads` threads.
pub fn packThreaded(rows: usize, channels: usize, input: [*]const f32, output: [*]u32, threads: usize) void {
    packThreadedBelow(f32, rows, channels, 0, input, output, threads);
}

/// LceDequantize: bit c of a row's words → -1 (set) or +1, for `channels` values per row.
pub fn unpack(p: *const abi.BitpackParams, words_in: [*]const u32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.channels <= 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const c: usize = @intCast(p.channels);
    const words = wordsFor(c);
    for (0..@as(usize, @intCast(p.rows))) |r| {
        const w = words_in + r * words;
        const o = out + r * c;
        for (0..c) |i| o[i] = if ((w[i / 32] >> @intCast(i % 32)) & 1 == 1) -1 else 1;
    }
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_bitpack_f32_b32(params: *const abi.BitpackParams, input: [*]const f32, output: [*]u32) callconv(.c) i32 {
    if (params.rows < 0 or params.channels <= 0 or !thread_pool.validThreads(params.threads))
        return abi.code(.invalid_argument);
    packThreaded(@intCast(params.rows), @intCast(params.channels), input, output, @intCast(params.threads));
    return abi.code(.ok);
}

/// LceQuantize of an int8 tensor: bit = 1 iff the value is below its zero point.
pub fn onebit_bitpack_i8_b32(params: *const abi.BitpackParams, zero_point: i32, input: [*]const u8, output: [*]u32) callconv(.c) i32 {
    if (params.rows < 0 or params.channels <= 0 or !thread_pool.validThreads(params.threads) or
        zero_point < -128 or zero_point > 127) return abi.code(.invalid_argument);
    const x: [*]const i8 = @ptrCast(input);
    packThreadedBelow(i8, @intCast(params.rows), @intCast(params.channels), @intCast(zero_point), x, output, @intCast(params.threads));
    return abi.code(.ok);
}

pub fn onebit_unpack_b32_f32(params: *const abi.BitpackParams, input: [*]const u32, output: [*]f32) callconv(.c) i32 {
    return abi.code(unpack(params, input, output));
}

test "unpack: set bits are -1" {
    const words = [_]u32{ 0b101, 0 };
    var out: [6]f32 = undefined;
    const p: abi.BitpackParams = .{ .rows = 2, .channels = 3, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, unpack(&p, &words, &out));
    try std.testing.expectEqualSlices(f32, &.{ -1, 1, -1, 1, 1, 1 }, &out);
}

test "int8 rows pack below the zero point" {
    var in: [33]i8 = @splat(5);
    in[0] = -128;
    in[1] = 4;
    in[2] = 5;
    in[32] = 3;
    var out: [2]u32 = undefined;
    packThreadedBelow(i8, 1, 33, 5, &in, &out, 1);
    try std.testing.expectEqual(@as(u32, 0b11), out[0]);
    try std.testing.expectEqual(@as(u32, 1), out[1]);
}

test "packs sign bits LSB first, zeros as +1, padding bits zero" {
    var in: [35]f32 = @splat(1);
    in[0] = -1;
    in[2] = -0.0;
    in[3] = 0.0;
    in[31] = -3;
    in[32] = -1e-30;
    in[34] = std.math.nan(f32);
    var out: [2]u32 = undefined;
    pack(1, 35, &in, &out);
    try std.testing.expectEqual(@as(u32, 0x8000_0001), out[0]);
    try std.testing.expectEqual(@as(u32, 0x1), out[1]);
}
