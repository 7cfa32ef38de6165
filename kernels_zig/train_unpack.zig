//! Bits to ±1 floats for training's backward passes (graph/conv.ts): a
//! sign convolution keeps its binary im2col and its kernel's bits, and the
//! SGEMMs of its gradients read them as floats in their packed layouts. One
//! pass gathers words of bits in the order such a layout wants and unpacks
//! each to its 32 floats (bit 1: -1, bit 0: +1, LSB first), bit for bit the
//! TypeScript reference (kernels/reference_train.ts `gatherSigns`). And the
//! kernel's bits themselves: packed along the filters, then transposed in
//! 32×32 bit blocks to OHWI rows (`transposeBits`).
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// Output word o = (block b, tap t, row q), o = (b·taps + t)·period + q, holds the 32 signs of input word
/// q·row_stride + (taps - 1 - t)·tap_stride + b: the taps in reverse order, then rows, in blocks.
pub const GatherSignsParams = extern struct {
    blocks: i32,
    taps: i32,
    period: i32,
    row_stride: i32,
    tap_stride: i32,
    threads: i32,
};

comptime {
    std.debug.assert(@sizeOf(GatherSignsParams) == 6 * 4);
}

const Args = struct { p: *const GatherSignsParams, bits: [*]const u32, out: [*]f32 };

/// The 32 bits of `v` as ±1 floats (bit 1: -1, LSB first).
inline fn unpackWord(v: u32, out: *[32]f32) void {
    const W = @Vector(32, u32);
    const shifts: @Vector(32, u5) = std.simd.iota(u5, 32);
    const set = (@as(W, @splat(v)) >> shifts) & @as(W, @splat(1)) == @as(W, @splat(1));
    out.* = @select(f32, set, @as(@Vector(32, f32), @splat(-1)), @as(@Vector(32, f32), @splat(1)));
}

fn gatherRange(a: Args, begin: usize, end: usize) void {
    const p = a.p;
    const taps = u(p.taps);
    const period = u(p.period);
    const rows = taps * period;
    for (begin..end) |o| {
        const b = o / rows;
        const r = o % rows;
        const src = (r % period) * u(p.row_stride) + (taps - 1 - r / period) * u(p.tap_stride) + b;
        unpackWord(a.bits[src], a.out[o * 32 ..][0..32]);
    }
}

/// Gathers and unpacks blocks·taps·period words; split over threads from 2K words (each output word has its
/// own source word: any split gives the same bits).
pub fn gatherSigns(p: *const GatherSignsParams, bits: [*]const u32, out: [*]f32) abi.Status {
    if (p.blocks < 0 or p.taps < 1 or p.period < 0 or p.row_stride < 0 or p.tap_stride < 0 or
        !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const words = u(p.blocks) * u(p.taps) * u(p.period);
    thread_pool.runRanges(u(p.threads), words, 1 << 11, Args{ .p = p, .bits = bits, .out = out }, gatherRange);
    return .ok;
}

/// A bit matrix [rows, words·32] (row-major words, bit j of word w: column 32w + j) transposed to
/// [words·32, rows/32 words]; rows a multiple of 32.
pub const TransposeBitsParams = extern struct {
    rows: i32,
    words: i32,
    threads: i32,
};

const BitArgs = struct { rows: usize, words: usize, in: [*]const u32, out: [*]u32 };

/// Transposes a 32×32 bit matrix in place (row i = a[i], column j = bit j), in five rounds of block swaps.
inline fn transpose32(a: *[32]u32) void {
    comptime var j: u5 = 16;
    comptime var m: u32 = 0x0000ffff;
    inline while (true) {
        var k: usize = 0;
        while (k < 32) : (k = (k + j + 1) & ~@as(usize, j)) {
            const t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
        }
        if (j == 1) break;
        j >>= 1;
        m ^= m << j;
    }
}

/// Row blocks [begin, end) (32 rows each): every 32×32 block of them transposed into its place.
fn bitBlocks(a: BitArgs, begin: usize, end: usize) void {
    const out_words = a.rows / 32;
    var block: [32]u32 = undefined;
    for (begin..end) |rb| {
        for (0..a.words) |wb| {
            for (0..32) |i| block[i] = a.in[(rb * 32 + i) * a.words + wb];
            transpose32(&block);
            for (0..32) |j| a.out[(wb * 32 + j) * out_words + rb] = block[j];
        }
    }
}

pub fn transposeBits(p: *const TransposeBitsParams, in: [*]const u32, out: [*]u32) abi.Status {
    if (p.rows < 0 or @rem(p.rows, 32) != 0 or p.words < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const blocks = u(p.rows) / 32;
    // Tasks of at least 16 row blocks (16K bits' worth of words per block row at 32 words).
    thread_pool.runRanges(u(p.threads), blocks, 32, BitArgs{ .rows = u(p.rows), .words = u(p.words), .in = in, .out = out }, bitBlocks);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_transpose_bits_b32(params: *const TransposeBitsParams, input: [*]const u32, output: [*]u32) callconv(.c) i32 {
    return abi.code(transposeBits(params, input, output));
}

pub fn onebit_gather_signs_b32_f32(params: *const GatherSignsParams, input: [*]const u32, output: [*]f32) callconv(.c) i32 {
    return abi.code(gatherSigns(params, input, output));
}

test "gather signs: LSB first, bit 1 is -1; taps reversed, rows strided, blocks" {
    // Two rows of two words, row_stride 2: as blocks (word p of each row together).
    const bits = [_]u32{ 0b1, 0x8000_0000, 0b10, 0 };
    var out: [4 * 32]f32 = undefined;
    var p: GatherSignsParams = .{ .blocks = 2, .taps = 1, .period = 2, .row_stride = 2, .tap_stride = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, gatherSigns(&p, &bits, &out));
    // Block 0: words 0, 2; block 1: words 1, 3.
    try std.testing.expectEqual(@as(f32, -1), out[0]);
    try std.testing.expectEqual(@as(f32, 1), out[1]);
    try std.testing.expectEqual(@as(f32, 1), out[32]);
    try std.testing.expectEqual(@as(f32, -1), out[33]);
    try std.testing.expectEqual(@as(f32, -1), out[64 + 31]);
    for (out[96..]) |v| try std.testing.expectEqual(@as(f32, 1), v);
    // Two taps of one word, reversed: output tap 0 reads word 1.
    p = .{ .blocks = 1, .taps = 2, .period = 1, .row_stride = 0, .tap_stride = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, gatherSigns(&p, &bits, &out));
    try std.testing.expectEqual(@as(f32, -1), out[31]);
    try std.testing.expectEqual(@as(f32, -1), out[32]);
    p.taps = 0;
    try std.testing.expectEqual(abi.Status.invalid_argument, gatherSigns(&p, &bits, &out));
}

test "transpose bits: every bit of a 64×96 matrix lands at its transposed place" {
    const rows = 64;
    const words = 3;
    var in: [rows * words]u32 = undefined;
    var seed: u32 = 12345;
    for (&in) |*w| {
        seed = seed *% 1664525 +% 1013904223;
        w.* = seed;
    }
    var out: [words * 32 * rows / 32]u32 = undefined;
    const p: TransposeBitsParams = .{ .rows = rows, .words = words, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, transposeBits(&p, &in, &out));
    for (0..rows) |r| for (0..words * 32) |c| {
        const bit = (in[r * words + c / 32] >> @intCast(c % 32)) & 1;
        const got = (out[c * (rows / 32) + r / 32] >> @intCast(r % 32)) & 1;
        try std.testing.expectEqual(bit, got);
    };
    const bad: TransposeBitsParams = .{ .rows = 33, .words = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.invalid_argument, transposeBits(&bad, &in, &out));
}
