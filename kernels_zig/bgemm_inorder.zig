//! Accumulation of the depth-contiguous binary-GEMM micro-kernel (mode `.depth` of ukernels.zig), scheduled for
//! in-order Arm cores (Cortex-A53/A55), where a broadcast load blocks dual issue. It reads the same packed rhs as
//! every other kernel (word k of channel j at rhs[k * 32 + j]), 4 channels a tile: the 8-row aarch64 tile runs
//! 8 contiguous depth words of a segment at a time in the generated loop of bgemm_inorder_asm.zig (the load unit
//! transposes 4 channels x 4 words with `ld4` lanes; no broadcast), and the rest (a segment's last < 8 words, other
//! row counts, other architectures) word by word here.
const std = @import("std");
const builtin = @import("builtin");
const TileArgs = @import("bgemm_ukernel.zig").TileArgs;
const block = @import("ukernels.zig").channel_block;
const generated = @import("bgemm_inorder_asm.zig");

/// Channels of a tile: one vector of 4 u32 lanes.
pub const nr = 4;
const V = @Vector(nr, u32);

/// Words the generated loop takes an iteration.
const loop_words = 8;
/// Iterations a call may run before a u16 accumulator lane could wrap: a lane gains at most 2 x 128 an iteration.
const max_iterations = 255;

/// Whether the generated loop runs: the 8-row tile on aarch64 ELF (Linux, Android: where the kernel is chosen from
/// /proc/cpuinfo; the generated assembly uses ELF directives, so Mach-O and COFF builds run the word loop).
const loop_target = builtin.cpu.arch == .aarch64 and builtin.object_format == .elf;
fn hasLoop(comptime mr: usize) bool {
    return mr == 8 and loop_target;
}

/// acc[i] (channels in lanes) over the tile's whole depth: the count of differing bits.
pub fn accumulate(comptime mr: usize, args: *const TileArgs) [mr]V {
    var rows: [mr][*]const u32 = undefined;
    inline for (0..mr) |i| rows[i] = args.lhs_rows[if (i < args.rows) i else 0];
    var acc: [mr]V = @splat(@splat(0));
    var rhs = args.rhs;
    const words = args.segment_words;
    for (0..args.segments) |_| {
        var k: usize = 0;
        if (comptime hasLoop(mr)) {
            while (words - k >= loop_words) {
                const n = @min((words - k) / loop_words, max_iterations);
                loop8(&acc, rows, k, rhs + k * block, n);
                k += n * loop_words;
            }
        }
        while (k < words) : (k += 1) {
            const b: V = (rhs + k * block)[0..nr].*;
            inline for (0..mr) |i| acc[i] +%= @popCount(@as(V, @splat(rows[i][k])) ^ b);
        }
        rhs += words * block;
        inline for (0..mr) |i| rows[i] += args.segment_stride;
    }
    return acc;
}

comptime {
    if (loop_target) asm (generated.source);
}

const LoopFn = fn (rows: *const [8][*]const u32, rhs: [*]const u32, iterations: usize, out: *[4]@Vector(8, u16)) callconv(.c) void;

/// `iterations` x 8 words from word k of the 8 rows, added into acc.
fn loop8(acc: *[8]V, rows: [8][*]const u32, k: usize, rhs: [*]const u32, iterations: usize) void {
    std.debug.assert(iterations >= 1 and iterations <= max_iterations);
    const loop = @extern(*const LoopFn, .{ .name = generated.symbol });
    var from_k: [8][*]const u32 = undefined;
    inline for (0..8) |i| from_k[i] = rows[i] + k;
    var pairs: [4]@Vector(8, u16) align(16) = undefined;
    loop(&from_k, rhs, iterations, &pairs);
    // Pair p's lanes 0-3: row 2p's channels; 4-7: row 2p+1's.
    inline for (0..4) |p| {
        const wide: @Vector(8, u32) = pairs[p];
        acc[2 * p] +%= @shuffle(u32, wide, undefined, [4]i32{ 0, 1, 2, 3 });
        acc[2 * p + 1] +%= @shuffle(u32, wide, undefined, [4]i32{ 4, 5, 6, 7 });
    }
}
