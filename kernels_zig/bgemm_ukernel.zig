//! Binary-GEMM micro-kernel template, instantiated once per entry of
//! ukernels.zig inside an object compiled for that entry's ISA.
//!
//! Formulation: an outer product over depth words. For each depth word k,
//! `nv` vectors hold word k of `nr` output channels (packed rhs, 32 channels
//! per block, depth-major) and each of the `mr` pixels' word k is broadcast:
//! acc[i][j] += popcount(splat(lhs[i][k]) ^ rhs[k][j]). No horizontal sums,
//! no depth padding, and the accumulators are already per output channel for
//! the output transform.
const std = @import("std");
const uk = @import("ukernels.zig");
const clampVector = @import("num.zig").clampVector;
const inorder = @import("bgemm_inorder.zig");

/// Internal ABI between the driver (root object) and a micro-kernel (ISA
/// object). Not exported from the library.
pub const TileArgs = extern struct {
    /// Word 0 of each of the tile's pixel rows (mr entries, the first `rows` read).
    lhs_rows: [*]const [*]const u32,
    /// A row's depth words lie in `segments` runs of `segment_words` words,
    /// `segment_stride` words apart: one run for an im2col row; kernel_h runs
    /// of kernel_w pixels for a convolution reading its (padded) input in
    /// place. depth_words = segments * segment_words.
    segments: usize,
    segment_words: usize,
    segment_stride: usize,
    /// Valid pixel rows (1..mr). Rows past it are computed from row 0 and
    /// not stored, so the kernel never reads past the last row.
    rows: usize,
    /// Word k of channel j is at rhs[k * channel_block + j].
    rhs: [*]const u32,
    depth_bits: i32,
    clamp_min: i32,
    clamp_max: i32,
    /// Per-channel parameters, offset to the tile's first channel; always
    /// nr readable entries (the arrays are padded to the channel block).
    multiplier: [*]const f32,
    bias: [*]const f32,
    threshold: [*]const i32,
    /// Valid channels (1..nr); float output stores only these.
    cols: usize,
    out_f32: [*]f32,
    out_f32_stride: usize,
    /// Bitpacked output: the word holding the tile's first channel of row 0.
    out_b32: [*]u32,
    out_b32_stride: usize,
    /// Bit of the tile's first channel within that word.
    bit_shift: u32,
    /// A fused ADD (`tileF32Add`, whole sub-tiles only: cols = nr): the float result plus `residual` (offset and
    /// strided as out_f32), clamped to [add_min, add_max] when `add_clamps`, stored to out_f32, and bitpacked
    /// (bit = 1 iff < 0) into out_b32 as tileB32 packs when `add_packs`.
    residual: [*]const f32,
    add_min: f32,
    add_max: f32,
    add_clamps: bool,
    add_packs: bool,
};

pub const TileFn = fn (args: *const TileArgs) callconv(.c) void;
pub const PeakFn = fn (iterations: usize, sink: *u32) callconv(.c) void;

/// Keeps `v` opaque to the optimizer at no instruction cost.
pub inline fn opaqueValue(comptime T: type, v: *T) void {
    const builtin = @import("builtin");
    const arch = builtin.cpu.arch;
    const info = @typeInfo(T);
    if (info == .vector and info.vector.len == 1) {
        var s: u32 = v[0];
        opaqueValue(u32, &s);
        v.* = @splat(s);
    } else if (info == .vector and arch == .x86_64) {
        const avx512 = std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f);
        v.* = if (avx512) asm volatile (""
            : [ret] "=v" (-> T),
            : [in] "0" (v.*),
        ) else asm volatile (""
            : [ret] "=x" (-> T),
            : [in] "0" (v.*),
        );
    } else if (info == .vector and arch.isWasm()) {
        // No inline-asm constraint takes a v128 (LLVM cannot split it): hide lane 0 (extract, replace).
        var s: info.vector.child = v[0];
        opaqueValue(info.vector.child, &s);
        v.*[0] = s;
    } else if (info == .vector and arch == .aarch64) {
        v.* = asm volatile (""
            : [ret] "=w" (-> T),
            : [in] "0" (v.*),
        );
    } else {
        v.* = asm volatile (""
            : [ret] "=r" (-> T),
            : [in] "0" (v.*),
        );
    }
}

pub fn Kernel(comptime e: uk.Entry) type {
    return struct {
        const mr = e.mr;
        const nv = e.nv;
        const lanes = e.lanes;
        const nr = e.nr();
        const V = @Vector(lanes, u32);
        const VI = @Vector(lanes, i32);
        const VF = @Vector(lanes, f32);
        const VB = @Vector(lanes * 4, u8);
        /// Depth words a u8 lane can take before it could wrap (31 * 8 = 248).
        const byte_chunk = 31;

        inline fn foldBytes(b: VB) V {
            var x: V = @bitCast(b);
            x = (x & @as(V, @splat(0x00ff00ff))) + ((x >> @splat(8)) & @as(V, @splat(0x00ff00ff)));
            return (x & @as(V, @splat(0xffff))) + (x >> @splat(16));
        }

        inline fn loadRhs(p: [*]const u32) [nv]V {
            var b: [nv]V = undefined;
            inline for (0..nv) |j| b[j] = p[j * lanes ..][0..lanes].*;
            return b;
        }

        /// acc[i][j] over the whole depth.
        inline fn accumulate(args: *const TileArgs) [mr][nv]V {
            var rows: [mr][*]const u32 = undefined;
            inline for (0..mr) |i| rows[i] = args.lhs_rows[if (i < args.rows) i else 0];
            var acc: [mr][nv]V = @splat(@splat(@splat(0)));
            const seg_words = args.segment_words;
            switch (e.mode) {
                .depth => {
                    comptime std.debug.assert(nv == 1 and lanes == inorder.nr);
                    const a = inorder.accumulate(mr, args);
                    inline for (0..mr) |i| acc[i][0] = a[i];
                },
                .scalar, .u32 => {
                    var rhs = args.rhs;
                    for (0..args.segments) |_| {
                        for (0..seg_words) |k| {
                            const b = loadRhs(rhs + k * uk.channel_block);
                            inline for (0..mr) |i| {
                                const a: V = @splat(rows[i][k]);
                                inline for (0..nv) |j| acc[i][j] +%= @popCount(a ^ b[j]);
                            }
                        }
                        rhs += seg_words * uk.channel_block;
                        inline for (0..mr) |i| rows[i] += args.segment_stride;
                    }
                },
                .bytes => {
                    // Chunks of at most byte_chunk words (byte counters fold into acc after each), a chunk's words
                    // taken in pieces that end where it or a segment does.
                    const depth = args.segments * seg_words;
                    var k: usize = 0; // word within the current segment
                    var d: usize = 0;
                    while (d < depth) {
                        const chunk_end = @min(depth, d + byte_chunk);
                        var acc8: [mr][nv]VB = @splat(@splat(@splat(0)));
                        while (d < chunk_end) {
                            const piece_end = k + @min(chunk_end - d, seg_words - k);
                            const rhs_k = args.rhs + (d - k) * uk.channel_block;
                            d += piece_end - k;
                            while (k < piece_end) : (k += 1) {
                                const b = loadRhs(rhs_k + k * uk.channel_block);
                                inline for (0..mr) |i| {
                                    const a: V = @splat(rows[i][k]);
                                    inline for (0..nv) |j| {
                                        const x: VB = @bitCast(a ^ b[j]);
                                        acc8[i][j] +%= @popCount(x);
                                    }
                                }
                            }
                            if (k == seg_words) {
                                k = 0;
                                inline for (0..mr) |i| rows[i] += args.segment_stride;
                            }
                        }
                        inline for (0..mr) |i| {
                            inline for (0..nv) |j| acc[i][j] +%= foldBytes(acc8[i][j]);
                        }
                    }
                },
            }
            return acc;
        }

        pub fn tileF32(args: *const TileArgs) callconv(.c) void {
            storeF32(args, accumulate(args), null);
        }

        /// tileF32 with the fused ADD's epilogue on the tile while it is in registers: one pass over the output
        /// instead of a store, then a reload beside the residual (the same roundings, so the same bits).
        pub fn tileF32Add(args: *const TileArgs) callconv(.c) void {
            std.debug.assert(args.cols == nr);
            const acc = accumulate(args);
            switch (@as(u2, @intFromBool(args.add_clamps)) * 2 + @intFromBool(args.add_packs)) {
                inline else => |m| storeF32(args, acc, .{ .clamps = m >= 2, .packs = m % 2 == 1 }),
            }
        }

        const Add = struct { clamps: bool, packs: bool };

        /// The output transform of the float kernels: clamp(depth - 2·popcount) · multiplier + bias, then, with
        /// `add`, the fused ADD (tileF32Add).
        inline fn storeF32(args: *const TileArgs, acc: [mr][nv]V, comptime add: ?Add) void {
            const depth: VI = @splat(args.depth_bits);
            const lo: VI = @splat(args.clamp_min);
            const hi: VI = @splat(args.clamp_max);
            const add_lo: VF = @splat(args.add_min);
            const add_hi: VF = @splat(args.add_max);
            const Bits = std.meta.Int(.unsigned, lanes);
            var mul: [nv]VF = undefined;
            var bias: [nv]VF = undefined;
            inline for (0..nv) |j| {
                mul[j] = args.multiplier[j * lanes ..][0..lanes].*;
                bias[j] = args.bias[j * lanes ..][0..lanes].*;
            }
            inline for (0..mr) |i| {
                if (i < args.rows) {
                    const out = args.out_f32 + i * args.out_f32_stride;
                    var mask: u32 = 0;
                    inline for (0..nv) |j| {
                        const a: VI = @bitCast(acc[i][j]);
                        const dot = @min(@max(depth - a - a, lo), hi);
                        var y = @as(VF, @floatFromInt(dot)) * mul[j] + bias[j];
                        const first = j * lanes;
                        if (add) |m| {
                            const sum = y + @as(VF, (args.residual + i * args.out_f32_stride)[first..][0..lanes].*);
                            y = if (m.clamps) clampVector(VF, sum, add_lo, add_hi) else sum;
                            if (m.packs) mask |= @as(u32, @as(Bits, @bitCast(y < @as(VF, @splat(0))))) << (j * lanes);
                        }
                        if (first + lanes <= args.cols) {
                            out[first..][0..lanes].* = y;
                        } else if (first < args.cols) {
                            const arr: [lanes]f32 = y;
                            for (first..args.cols) |c| out[c] = arr[c - first];
                        }
                    }
                    if (add) |m| if (m.packs) storeBits(args, i, mask);
                }
            }
        }

        /// Row i's bits of the tile into its bitpacked word: the block's first sub-tile writes the whole word
        /// (so padding bits end up 0); later ones fill in their bits.
        inline fn storeBits(args: *const TileArgs, i: usize, mask: u32) void {
            const Mask = std.meta.Int(.unsigned, nr);
            const word = &(args.out_b32 + i * args.out_b32_stride)[0];
            if (nr == 32 or args.bit_shift == 0) {
                word.* = mask;
            } else {
                const keep = ~(@as(u32, std.math.maxInt(Mask)) << @intCast(args.bit_shift));
                word.* = (word.* & keep) | (mask << @intCast(args.bit_shift));
            }
        }

        pub fn tileB32(args: *const TileArgs) callconv(.c) void {
            const acc = accumulate(args);
            const Bits = std.meta.Int(.unsigned, lanes);
            const Mask = std.meta.Int(.unsigned, nr);
            var bits_valid: u32 = if (args.cols >= 32) 0xffff_ffff else (@as(u32, 1) << @intCast(args.cols)) - 1;
            bits_valid &= @as(u32, std.math.maxInt(Mask));
            var thr: [nv]VI = undefined;
            inline for (0..nv) |j| thr[j] = args.threshold[j * lanes ..][0..lanes].*;
            inline for (0..mr) |i| {
                if (i < args.rows) {
                    var mask: u32 = 0;
                    inline for (0..nv) |j| {
                        const a: VI = @bitCast(acc[i][j]);
                        const gt: Bits = @bitCast(a > thr[j]);
                        mask |= @as(u32, gt) << (j * lanes);
                    }
                    storeBits(args, i, mask & bits_valid);
                }
            }
        }

        /// The kernel's inner-loop instruction mix on registers only: the
        /// same XORs, popcounts and adds (and byte folds), no loads.
        pub fn peak(iterations: usize, sink: *u32) callconv(.c) void {
            var a: [mr]V = undefined;
            var b: [nv]V = undefined;
            inline for (0..mr) |i| a[i] = @splat(@as(u32, 0x9e3779b9) *% @as(u32, i + 1));
            inline for (0..nv) |j| b[j] = @splat(@as(u32, 0x85ebca6b) *% @as(u32, j + 1));
            var acc: [mr][nv]V = @splat(@splat(@splat(0)));
            switch (e.mode) {
                .scalar, .u32 => {
                    for (0..iterations) |_| {
                        inline for (0..mr) |i| {
                            opaqueValue(V, &a[i]);
                            inline for (0..nv) |j| acc[i][j] +%= @popCount(a[i] ^ b[j]);
                        }
                    }
                },
                // The depth kernel's mix per MAC is the byte counters' (eor, cnt, an add) with the adds as addp/uadalp.
                .bytes, .depth => {
                    var k: usize = 0;
                    while (k < iterations) {
                        const end = @min(iterations, k + byte_chunk);
                        var acc8: [mr][nv]VB = @splat(@splat(@splat(0)));
                        while (k < end) : (k += 1) {
                            inline for (0..mr) |i| {
                                opaqueValue(V, &a[i]);
                                inline for (0..nv) |j| {
                                    const x: VB = @bitCast(a[i] ^ b[j]);
                                    acc8[i][j] +%= @popCount(x);
                                }
                            }
                        }
                        inline for (0..mr) |i| {
                            inline for (0..nv) |j| acc[i][j] +%= foldBytes(acc8[i][j]);
                        }
                    }
                },
            }
            var total: u32 = 0;
            inline for (0..mr) |i| {
                inline for (0..nv) |j| total +%= @reduce(.Add, acc[i][j]);
            }
            sink.* = total;
        }

        pub const macs_per_iteration = mr * nr * 32;
    };
}
