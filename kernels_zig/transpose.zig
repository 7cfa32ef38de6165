//! A float32 matrix transposed, [rows, cols] → [cols, rows], in cache tiles
//! and split over threads by bands of output rows (a copy: any split gives
//! the same bits). Training's filter gradients transpose their operands and
//! products (graph/conv.ts); a latent kernel's gradient takes ste_sign's clip
//! in the same pass (`masked`: 0 where the latent weight is outside ±clip).
//! The TypeScript reference is kernels/reference_train.ts `transpose`.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// out[c·rows + r] = input[r·cols + c]; with `masked` 1, 0 instead where !(|latent[c·rows + r]| ≤ clip).
pub const TransposeF32Params = extern struct {
    rows: i32,
    cols: i32,
    masked: i32,
    clip: f32,
    threads: i32,
};

const Args = struct { rows: usize, cols: usize, clip: f32, a: [*]const f32, latent: [*]const f32, out: [*]f32 };

/// The tile edge: 16×16 floats read and written a cache line per row.
const tile = 16;

/// Blocks of 8×8 floats go through registers: 8 row vectors in, 8 column vectors out.
const block = 8;
const V = @Vector(block, f32);
const M = @Vector(block, u32);

/// Output rows (input columns) [begin, end), tile by tile.
fn transposeRange(comptime masked: bool, a: Args, begin: usize, end: usize) void {
    var c0 = begin;
    while (c0 < end) : (c0 += tile) {
        const c1 = @min(end, c0 + tile);
        var r0: usize = 0;
        while (r0 < a.rows) : (r0 += tile) {
            const r1 = @min(a.rows, r0 + tile);
            if (c1 - c0 == tile and r1 - r0 == tile) {
                inline for (0..tile / block) |bc| inline for (0..tile / block) |br| {
                    blockAt(masked, a, r0 + br * block, c0 + bc * block);
                };
            } else {
                for (c0..c1) |c| for (r0..r1) |r| {
                    a.out[c * a.rows + r] = value(masked, a, r, c, a.a[r * a.cols + c]);
                };
            }
        }
    }
}

/// out[c·rows + r] for input value `v` at (r, c): `v`, or +0 where the mask says (by bits: no branch on data).
inline fn value(comptime masked: bool, a: Args, r: usize, c: usize, v: f32) f32 {
    if (!masked) return v;
    const keep: u32 = if (@abs(a.latent[c * a.rows + r]) <= a.clip) 0xffff_ffff else 0;
    return @bitCast(@as(u32, @bitCast(v)) & keep);
}

/// One 8×8 block at input row r, column c: loaded as 8 row vectors, stored as 8 column vectors.
inline fn blockAt(comptime masked: bool, a: Args, r: usize, c: usize) void {
    var rows: [block]V = undefined;
    inline for (0..block) |i| rows[i] = a.a[(r + i) * a.cols + c ..][0..block].*;
    inline for (0..block) |j| {
        var col: V = undefined;
        inline for (0..block) |i| col[i] = rows[i][j];
        const o = a.out[(c + j) * a.rows + r ..][0..block];
        if (masked) {
            const latent: V = a.latent[(c + j) * a.rows + r ..][0..block].*;
            const keep = @abs(latent) <= @as(V, @splat(a.clip));
            const bits: M = @bitCast(col);
            o.* = @bitCast(@select(u32, keep, bits, @as(M, @splat(0))));
        } else {
            o.* = col;
        }
    }
}

/// Transposes; split over threads from thread_pool.min_split_values, in bands of whole tiles of output rows.
pub fn transpose(p: *const TransposeF32Params, a: [*]const f32, latent: [*]const f32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.cols < 0 or p.masked < 0 or p.masked > 1 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const args: Args = .{ .rows = u(p.rows), .cols = u(p.cols), .clip = p.clip, .a = a, .latent = latent, .out = out };
    if (p.masked == 1) bands(true, u(p.threads), args) else bands(false, u(p.threads), args);
    return .ok;
}

fn bands(comptime masked: bool, threads: usize, args: Args) void {
    if (threads <= 1 or args.rows * args.cols < thread_pool.min_split_values) return transposeRange(masked, args, 0, args.cols);
    const Bands = struct {
        fn run(b: Args, t0: usize, t1: usize) void {
            transposeRange(masked, b, t0 * tile, @min(b.cols, t1 * tile));
        }
    };
    thread_pool.runRanges(threads, (args.cols + tile - 1) / tile, 2, args, Bands.run);
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_transpose_f32(params: *const TransposeF32Params, input: [*]const f32, latent: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(transpose(params, input, latent, output));
}

test "transpose: odd shapes across tile edges, 1 and 3 threads" {
    const rows = 37;
    const cols = 19;
    var a: [rows * cols]f32 = undefined;
    for (&a, 0..) |*v, i| v.* = @floatFromInt(i);
    var out: [rows * cols]f32 = undefined;
    for ([_]i32{ 1, 3 }) |threads| {
        @memset(&out, -1);
        var p: TransposeF32Params = .{ .rows = rows, .cols = cols, .masked = 0, .clip = 0, .threads = threads };
        try std.testing.expectEqual(abi.Status.ok, transpose(&p, &a, &a, &out));
        for (0..rows) |r| for (0..cols) |c| try std.testing.expectEqual(a[r * cols + c], out[c * rows + r]);
        // Masked by a latent of ±(index mod 4) at clip 2: values outside become 0.
        var latent: [rows * cols]f32 = undefined;
        for (&latent, 0..) |*v, i| v.* = @as(f32, @floatFromInt(i % 4)) * if (i % 2 == 0) @as(f32, 1) else -1;
        p.masked = 1;
        p.clip = 2;
        try std.testing.expectEqual(abi.Status.ok, transpose(&p, &a, &latent, &out));
        for (0..rows) |r| for (0..cols) |c| {
            const o = c * rows + r;
            try std.testing.expectEqual(if (o % 4 <= 2) a[r * cols + c] else 0, out[o]);
        };
    }
    const bad: TransposeF32Params = .{ .rows = -1, .cols = 1, .masked = 0, .clip = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.invalid_argument, transpose(&bad, &a, &a, &out));
}
