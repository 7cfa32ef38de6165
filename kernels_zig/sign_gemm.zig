//! A GEMM whose right-hand side is ±1, read straight from bits: the filter gradient of a sign convolution
//! (graph/conv.ts), dW[K, f] = colsᵀ·dy with cols the binary im2col its forward pass kept, as
//! dWᵀ[f, K] = dyᵀ[f, M]·cols[M, K]. Until this kernel the bits were unpacked to an M×K float matrix in the
//! SGEMM's packed layout (8.9 MB for larq's MNIST CNN's second layer at batch 64), written to memory and read
//! back; here each word of 32 signs becomes two or four vector registers of ±1 inside the tile loop, and the
//! left-hand side is read through strides, so dy needs no transpose either.
//!
//! out[r, c] = +0 + Σ_{d < depth, in order} lhs[r, d]·s(d, c), s(d, c) = -1 where bit c % 32 of word
//! d·words + c / 32 is set, else +1. Each product is exact (±lhs), so a fused multiply-add rounds as the add
//! alone: the same bits as the unpacked floats through onebit_sgemm_f32 (one sum per output from +0 in depth
//! order, then + a zero bias), on every ISA copy and any thread count (a task owns its outputs).
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const isa_loops = @import("isa_loops.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// out [rows, columns] (row-major) = lhs [rows, depth] · signs [depth, columns], the signs as `words` words per
/// depth index (bit 1: -1, LSB first). lhs[r, d] is at lhs[r·row_stride + d·depth_stride]: a matrix [rows,
/// depth] has strides (depth, 1), its transpose [depth, rows] (1, rows).
pub const SignGemmParams = extern struct {
    rows: i32,
    columns: i32,
    depth: i32,
    row_stride: i32,
    depth_stride: i32,
    words: i32,
    threads: i32,
};

comptime {
    std.debug.assert(@sizeOf(SignGemmParams) == 7 * 4);
}

const block = 32;
const V = @Vector(block, f32);

/// Rows of a tile: its sums (mr · 32 floats) and one word's 32 signs stay in vector registers (32 zmm on
/// AVX-512, 16 ymm on AVX2, 32 q on NEON, 16 xmm on SSE and wasm).
const mr = switch (std.simd.suggestVectorLength(f32) orelse 1) {
    16 => 8,
    8 => 2,
    else => if (builtin.cpu.arch == .aarch64) 2 else 1,
};

/// a·b + c; b is ±1, so a·b is exact and one rounding either way: an FMA where the ISA has one.
inline fn mulAddExact(a: V, b: V, c: V) V {
    const fma = switch (builtin.cpu.arch) {
        .x86_64 => std.Target.x86.featureSetHas(builtin.cpu.features, .fma),
        .aarch64 => true,
        else => false,
    };
    return if (fma) @mulAdd(V, a, b, c) else c + a * b;
}

/// One call as its tasks read it (extern: the ISA objects' copies share it). Task t: tile t / blocks of `mr`
/// rows (the root's `mr`, the baseline's, cuts them; a copy with a larger tile runs it in steps), column block
/// t % blocks.
pub const Call = extern struct {
    p: *const SignGemmParams,
    lhs: [*]const f32,
    bits: [*]const u32,
    out: [*]f32,
    blocks: usize,
    tile_rows: usize,

    fn task(s: *const Call, t: usize) void {
        const rows = u(s.p.rows);
        const first = t / s.blocks * s.tile_rows;
        const end = @min(rows, first + s.tile_rows);
        var r = first;
        while (r < end) : (r += mr) s.tile(r, @min(mr, end - r), t % s.blocks);
    }

    /// Rows [r0, r0 + n) (n ≤ mr) of column block b.
    fn tile(s: *const Call, r0: usize, n: usize, b: usize) void {
        const p = s.p;
        const row_stride = u(p.row_stride);
        const depth_stride = u(p.depth_stride);
        const words = u(p.words);
        var rows: [mr][*]const f32 = undefined;
        inline for (0..mr) |i| rows[i] = s.lhs + (r0 + @min(i, n - 1)) * row_stride;
        const W = @Vector(block, u32);
        const lane_bits = @as(W, @splat(1)) << std.simd.iota(u5, block);
        const minus: V = @splat(-1);
        const plus: V = @splat(1);
        var acc: [mr]V = @splat(@splat(0));
        var word = s.bits + b;
        var at: usize = 0;
        for (0..u(p.depth)) |_| {
            const set = (@as(W, @splat(word[0])) & lane_bits) != @as(W, @splat(0));
            const signs = @select(f32, set, minus, plus);
            inline for (0..mr) |i| acc[i] = mulAddExact(@splat(rows[i][at]), signs, acc[i]);
            at += depth_stride;
            word += words;
        }
        const columns = u(p.columns);
        const cols = @min(block, columns - b * block);
        inline for (0..mr) |i| {
            if (i < n) {
                // + a zero bias, as the SGEMM's epilogue: -0 sums become +0.
                const v: [block]f32 = acc[i] + @as(V, @splat(0));
                const out = s.out + (r0 + i) * columns + b * block;
                if (cols == block) out[0..block].* = v else @memcpy(out[0..cols], v[0..cols]);
            }
        }
    }
};

/// Task t of the call `ctx` (a `*const Call`).
pub fn tileTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Call = @ptrCast(@alignCast(ctx));
    s.task(t);
}

pub fn signGemm(p: *const SignGemmParams, lhs: [*]const f32, bits: [*]const u32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.columns < 0 or p.depth < 0 or p.row_stride < 0 or p.depth_stride < 0 or
        @as(i64, p.words) * block < p.columns or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    if (p.rows == 0 or p.columns == 0) return .ok;
    const blocks = (u(p.columns) + block - 1) / block;
    // Tiles of 8 rows in every copy (the AVX-512 one's register tile), so the tasks and thus the threads' shares
    // do not depend on the ISA.
    const tile_rows = 8;
    const tiles = (u(p.rows) + tile_rows - 1) / tile_rows;
    const s: Call = .{ .p = p, .lhs = lhs, .bits = bits, .out = out, .blocks = blocks, .tile_rows = tile_rows };
    const macs = @as(u64, u(p.rows)) * u(p.columns) * u(p.depth);
    const threads = if (macs < 1 << 18) 1 else u(p.threads);
    isa_loops.run(threads, tiles * blocks, &s, isa_loops.pick("sign_gemm_f32", tileTask));
    return .ok;
}

// ---- C ABI entry point (exported by root.zig from abi.api) ----

pub fn onebit_sign_gemm_f32(params: *const SignGemmParams, lhs: [*]const f32, bits: [*]const u32, out: [*]f32) callconv(.c) i32 {
    return abi.code(signGemm(params, lhs, bits, out));
}

test "sign GEMM: the unpacked floats' sums, both lhs layouts, partial tiles and blocks, every ISA copy" {
    const gpa = std.testing.allocator;
    var prng = std.Random.DefaultPrng.init(11);
    const rnd = prng.random();
    inline for (.{ .{ 1, 1, 1 }, .{ 13, 40, 7 }, .{ 64, 288, 300 }, .{ 9, 64, 33 } }) |shape| {
        const rows, const columns, const depth = shape;
        const words = (columns + 31) / 32 + 1; // a spare word per row: the stride is not the width
        const lhs = try gpa.alloc(f32, rows * depth);
        defer gpa.free(lhs);
        for (lhs) |*x| x.* = rnd.floatNorm(f32);
        lhs[0] = -0.0;
        const bits = try gpa.alloc(u32, depth * words);
        defer gpa.free(bits);
        for (bits) |*w| w.* = rnd.int(u32);
        const want = try gpa.alloc(f32, rows * columns);
        defer gpa.free(want);
        for (0..rows) |r| for (0..columns) |c| {
            var acc: f32 = 0;
            for (0..depth) |d| {
                const neg = (bits[d * words + c / 32] >> @intCast(c % 32)) & 1 == 1;
                acc += lhs[r * depth + d] * @as(f32, if (neg) -1 else 1);
            }
            want[r * columns + c] = acc + 0;
        };
        const lhs_t = try gpa.alloc(f32, rows * depth);
        defer gpa.free(lhs_t);
        for (0..rows) |r| for (0..depth) |d| {
            lhs_t[d * rows + r] = lhs[r * depth + d];
        };
        const got = try gpa.alloc(f32, rows * columns);
        defer gpa.free(got);
        for ([_]i32{ 1, 2, 3 }) |threads| {
            for ([_]bool{ false, true }) |transposed| {
                const p: SignGemmParams = .{
                    .rows = rows,
                    .columns = columns,
                    .depth = depth,
                    .row_stride = if (transposed) 1 else depth,
                    .depth_stride = if (transposed) rows else 1,
                    .words = words,
                    .threads = threads,
                };
                @memset(got, std.math.nan(f32));
                try std.testing.expectEqual(abi.Status.ok, signGemm(&p, if (transposed) lhs_t.ptr else lhs.ptr, bits.ptr, got.ptr));
                try std.testing.expectEqualSlices(u32, @ptrCast(want), @ptrCast(got));
                // Every ISA copy, one thread.
                const blocks = (columns + 31) / 32;
                const s: Call = .{ .p = &p, .lhs = if (transposed) lhs_t.ptr else lhs.ptr, .bits = bits.ptr, .out = got.ptr, .blocks = blocks, .tile_rows = 8 };
                for (isa_loops.copies("sign_gemm_f32", tileTask).constSlice()) |f| {
                    @memset(got, std.math.nan(f32));
                    for (0..(rows + 7) / 8 * blocks) |t| f(&s, t);
                    try std.testing.expectEqualSlices(u32, @ptrCast(want), @ptrCast(got));
                }
            }
        }
    }
}

test "sign GEMM: bad parameters are invalid_argument" {
    var out: [1]f32 = undefined;
    const lhs = [_]f32{1};
    const bits = [_]u32{0};
    const p: SignGemmParams = .{ .rows = 1, .columns = 33, .depth = 1, .row_stride = 1, .depth_stride = 1, .words = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.invalid_argument, signGemm(&p, &lhs, &bits, &out));
    var q = p;
    q.columns = 1;
    q.threads = 0;
    try std.testing.expectEqual(abi.Status.invalid_argument, signGemm(&q, &lhs, &bits, &out));
}
