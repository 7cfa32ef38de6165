//! float32 -> bitpacked 32-bit words along the channel axis (LCE layout).
//! bit = 1 iff x < 0: +0.0, -0.0 and NaN all pack as +1 (bit 0). LCE's scalar
//! packer uses the same comparison; its aarch64 packer reads the sign bit
//! instead (-0.0 -> -1), so this rule is the one we document and test.
const std = @import("std");
const pool = @import("pool.zig");

pub fn wordsFor(channels: usize) usize {
    return (channels + 31) / 32;
}

pub fn packRow(input: []const f32, output: []u32) void {
    std.debug.assert(output.len == wordsFor(input.len));
    const full = input.len / 32;
    for (0..full) |w| {
        const v: @Vector(32, f32) = input[w * 32 ..][0..32].*;
        output[w] = @bitCast(v < @as(@Vector(32, f32), @splat(0)));
    }
    if (full < output.len) {
        var word: u32 = 0;
        for (input[full * 32 ..], 0..) |x, bit| {
            if (x < 0) word |= @as(u32, 1) << @intCast(bit);
        }
        output[full] = word;
    }
}

pub fn pack(rows: usize, channels: usize, input: [*]const f32, output: [*]u32) void {
    const words = wordsFor(channels);
    for (0..rows) |r| packRow(input[r * channels ..][0..channels], output[r * words ..][0..words]);
}

const PackArgs = struct { channels: usize, input: [*]const f32, output: [*]u32 };

fn packRows(a: PackArgs, begin: usize, end: usize) void {
    pack(end - begin, a.channels, a.input + begin * a.channels, a.output + begin * wordsFor(a.channels));
}

/// `pack` with rows split over `threads` threads (one thread below 256K values: packing is memory-bound and a wake-up costs more).
pub fn packThreaded(rows: usize, channels: usize, input: [*]const f32, output: [*]u32, threads: usize) void {
    const min_rows = ((1 << 18) + channels - 1) / @max(1, channels);
    pool.runRanges(threads, rows, min_rows, PackArgs{ .channels = channels, .input = input, .output = output }, packRows);
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
