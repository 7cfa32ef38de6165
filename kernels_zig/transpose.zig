//! A float32 matrix transposed, [rows, cols] → [cols, rows], in cache tiles
//! and split over threads by bands of output rows (a copy: any split gives
//! the same bits). Training's filter gradients transpose their operands and
//! products (graph/conv.ts); the TypeScript reference is
//! kernels/reference_train.ts `transpose`.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// out[c·rows + r] = input[r·cols + c].
pub const TransposeF32Params = extern struct {
    rows: i32,
    cols: i32,
    threads: i32,
};

const Args = struct { rows: usize, cols: usize, a: [*]const f32, out: [*]f32 };

/// The tile edge: 16×16 floats read and written a cache line per row.
const tile = 16;

/// Output rows (input columns) [begin, end), tile by tile.
fn transposeRange(a: Args, begin: usize, end: usize) void {
    var c0 = begin;
    while (c0 < end) : (c0 += tile) {
        const c1 = @min(end, c0 + tile);
        var r0: usize = 0;
        while (r0 < a.rows) : (r0 += tile) {
            const r1 = @min(a.rows, r0 + tile);
            for (c0..c1) |c| {
                const o = a.out + c * a.rows;
                for (r0..r1) |r| o[r] = a.a[r * a.cols + c];
            }
        }
    }
}

/// Transposes; split over threads from 32K values, in bands of whole tiles of output rows.
pub fn transpose(p: *const TransposeF32Params, a: [*]const f32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.cols < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const rows = u(p.rows);
    const cols = u(p.cols);
    const args: Args = .{ .rows = rows, .cols = cols, .a = a, .out = out };
    if (u(p.threads) <= 1 or rows * cols < 1 << 15) {
        transposeRange(args, 0, cols);
        return .ok;
    }
    const Bands = struct {
        fn run(b: Args, t0: usize, t1: usize) void {
            transposeRange(b, t0 * tile, @min(b.cols, t1 * tile));
        }
    };
    thread_pool.runRanges(u(p.threads), (cols + tile - 1) / tile, 2, args, Bands.run);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_transpose_f32(params: *const TransposeF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(transpose(params, input, output));
}

test "transpose: odd shapes across tile edges, 1 and 3 threads" {
    const rows = 37;
    const cols = 19;
    var a: [rows * cols]f32 = undefined;
    for (&a, 0..) |*v, i| v.* = @floatFromInt(i);
    var out: [rows * cols]f32 = undefined;
    for ([_]i32{ 1, 3 }) |threads| {
        @memset(&out, -1);
        const p: TransposeF32Params = .{ .rows = rows, .cols = cols, .threads = threads };
        try std.testing.expectEqual(abi.Status.ok, transpose(&p, &a, &out));
        for (0..rows) |r| for (0..cols) |c| try std.testing.expectEqual(a[r * cols + c], out[c * rows + r]);
    }
    const bad: TransposeF32Params = .{ .rows = -1, .cols = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.invalid_argument, transpose(&bad, &a, &out));
}
