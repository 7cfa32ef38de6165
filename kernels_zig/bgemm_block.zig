//! The binary GEMM's tile loop, inside each per-ISA object: one call runs a
//! whole 32-channel output block over a run of pixel rows — every mr-row tile
//! and every nr-channel sub-tile of the block — so the driver makes one
//! indirect call per block and run, and a tile costs a direct call with a few
//! of its arguments stepped, not the driver's set-up. The last rows % mr rows
//! of a GEMM (a run's end only) go to the one-row kernel.
//!
//! The micro-kernel is called, not inlined: inlined into this loop (aarch64,
//! bgemm_4x16__neon) its depth loop lost registers to the loop's state and
//! grew from 56 to 83 instructions.
const std = @import("std");
const uk = @import("ukernels.zig");
const template = @import("bgemm_ukernel.zig");

const TileArgs = template.TileArgs;
const block = uk.channel_block;

/// One block over a run of rows. `tile` holds what every tile shares (depth,
/// segments, clamps, output strides) and the block's first-channel pointers
/// (rhs, multiplier, bias, threshold, out_f32 or out_b32 at row 0 of the run)
/// with `cols` = the block's valid channels (1..32); its lhs_rows, rows and
/// bit_shift are set per tile.
pub const BlockArgs = extern struct {
    tile: TileArgs,
    /// Word 0 of each of the run's pixel rows.
    lhs_rows: [*]const [*]const u32,
    /// Rows in the run: whole mr-row tiles, then (at the GEMM's end) fewer than mr rows.
    rows: usize,
};

pub const BlockFn = fn (args: *const BlockArgs) callconv(.c) void;

/// Block functions of micro-kernel entry `e`, exported by isa_object.zig as
/// `onebit_uk_{name}_block_f32` and `_block_b32`.
pub fn Block(comptime e: uk.Entry) type {
    const K = template.Kernel(e);
    comptime var one = e;
    one.mr = 1;
    const K1 = template.Kernel(one);
    const mr = e.mr;
    const nr = e.nr();
    return struct {
        pub fn blockF32(b: *const BlockArgs) callconv(.c) void {
            run(b, .f32);
        }

        pub fn blockB32(b: *const BlockArgs) callconv(.c) void {
            run(b, .b32);
        }

        /// blockF32 with a fused ADD's epilogue in each tile (template.TileArgs.residual; whole blocks only, so
        /// every sub-tile is nr wide): exported where the driver runs it (bgemm.zig epilogue_in_tile).
        pub fn blockF32Add(b: *const BlockArgs) callconv(.c) void {
            run(b, .f32_add);
        }

        const Mode = enum { f32, b32, f32_add };

        inline fn run(b: *const BlockArgs, comptime mode: Mode) void {
            var a = b.tile;
            const width = a.cols;
            const full_end = b.rows - b.rows % mr;
            var r: usize = 0;
            while (r < full_end) : (r += mr) {
                a.lhs_rows = b.lhs_rows + r;
                a.rows = mr;
                var sub: usize = 0;
                while (sub < width) : (sub += nr) {
                    at(&a, &b.tile, r, sub, width, mode);
                    call(K, &a, mode);
                }
            }
            // The GEMM's last, partial tile: row by row.
            while (r < b.rows) : (r += 1) {
                a.lhs_rows = b.lhs_rows + r;
                a.rows = 1;
                var sub: usize = 0;
                while (sub < width) : (sub += nr) {
                    at(&a, &b.tile, r, sub, width, mode);
                    call(K1, &a, mode);
                }
            }
        }

        inline fn call(comptime Kernel: type, a: *const TileArgs, comptime mode: Mode) void {
            switch (mode) {
                .f32 => @call(.never_inline, Kernel.tileF32, .{a}),
                .b32 => @call(.never_inline, Kernel.tileB32, .{a}),
                .f32_add => @call(.never_inline, Kernel.tileF32Add, .{a}),
            }
        }

        /// `a` for the sub-tile at channel `sub` of the block, row `r` of the run (`t`: the block's arguments).
        inline fn at(a: *TileArgs, t: *const TileArgs, r: usize, sub: usize, width: usize, comptime mode: Mode) void {
            a.rhs = t.rhs + sub;
            a.cols = @min(nr, width - sub);
            if (mode == .b32) {
                a.threshold = t.threshold + sub;
                a.out_b32 = t.out_b32 + r * t.out_b32_stride;
                a.bit_shift = @intCast(sub);
            } else {
                a.multiplier = t.multiplier + sub;
                a.bias = t.bias + sub;
                a.out_f32 = t.out_f32 + r * t.out_f32_stride + sub;
            }
            if (mode == .f32_add) {
                a.residual = t.residual + r * t.out_f32_stride + sub;
                if (t.add_packs) a.out_b32 = t.out_b32 + r * t.out_b32_stride;
                a.bit_shift = @intCast(sub);
            }
        }

        comptime {
            std.debug.assert(block % nr == 0);
        }
    };
}
