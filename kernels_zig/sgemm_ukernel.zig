//! Float GEMM micro-kernel template (the float convolutions and dense
//! layers around the binary ones), instantiated per entry of
//! ukernels.sgemm_all inside an object compiled for that entry's ISA.
//!
//! Same outer-product formulation as the binary kernels: for each depth
//! index k, `nv` vectors hold k's weights for `nr` output channels (packed
//! 32 channels per block, depth-major) and each of the `mr` rows' value at
//! k is broadcast. FMA where the ISA has it.
const std = @import("std");
const builtin = @import("builtin");
const uk = @import("ukernels.zig");
const clampVector = @import("num.zig").clampVector;

/// Internal ABI between the driver and a micro-kernel; not exported.
pub const SgemmArgs = extern struct {
    /// Element 0 of each of the tile's rows (the first `rows` entries are read); when null, row i starts at
    /// lhs + i · lhs_stride.
    lhs_rows: ?[*]const [*]const f32,
    lhs: [*]const f32,
    lhs_stride: usize,
    /// A row's depth values lie in `segments` runs of `segment_len`, `segment_stride` apart: one run for a
    /// matrix or im2col row; kernel_h runs of kernel_w pixels for a convolution reading its input in place.
    segments: usize,
    segment_len: usize,
    segment_stride: usize,
    /// Valid rows (1..mr); rows past it repeat the last valid row and are not stored.
    rows: usize,
    /// Weight k of channel j is at rhs[k * channel_block + j], k = segment · segment_len + offset.
    rhs: [*]const f32,
    /// Offset to the tile's first channel; nr readable entries (padded to the block).
    bias: [*]const f32,
    clamp_min: f32,
    clamp_max: f32,
    /// Valid channels (1..nr).
    cols: usize,
    out: [*]f32,
    out_stride: usize,
};

pub const SgemmFn = fn (args: *const SgemmArgs) callconv(.c) void;

/// a·b + c, fused. Wasm has no FMA (@mulAdd would call fmaf per lane): relaxed SIMD's madd, which the engine
/// fuses where the CPU has FMA.
pub inline fn mulAdd(comptime V: type, a: V, b: V, c: V) V {
    if (comptime !builtin.cpu.arch.isWasm()) return @mulAdd(V, a, b, c);
    comptime std.debug.assert(V == @Vector(4, f32) and std.Target.wasm.featureSetHas(builtin.cpu.features, .relaxed_simd));
    return @"llvm.wasm.relaxed.madd.v4f32"(a, b, c);
}

/// LLVM's intrinsic, reached by its name (Zig has no builtin for it).
extern fn @"llvm.wasm.relaxed.madd.v4f32"(a: @Vector(4, f32), b: @Vector(4, f32), c: @Vector(4, f32)) @Vector(4, f32);

pub fn Kernel(comptime e: uk.SgemmEntry) type {
    const lanes = e.lanes;
    const nv = e.nv;
    const mr = e.mr;
    const V = @Vector(lanes, f32);
    return struct {
        pub fn tile(a: *const SgemmArgs) callconv(.c) void {
            var rows: [mr][*]const f32 = undefined;
            if (a.lhs_rows) |ptrs| {
                inline for (0..mr) |i| rows[i] = ptrs[@min(i, a.rows - 1)];
            } else {
                inline for (0..mr) |i| rows[i] = a.lhs + @min(i, a.rows - 1) * a.lhs_stride;
            }
            var acc: [mr][nv]V = @splat(@splat(@splat(0)));
            var rhs = a.rhs;
            for (0..a.segments) |_| {
                for (0..a.segment_len) |k| {
                    var w: [nv]V = undefined;
                    inline for (0..nv) |j| w[j] = rhs[j * lanes ..][0..lanes].*;
                    inline for (0..mr) |i| {
                        const x: V = @splat(rows[i][k]);
                        inline for (0..nv) |j| {
                            acc[i][j] = if (e.fma) mulAdd(V, x, w[j], acc[i][j]) else acc[i][j] + x * w[j];
                        }
                    }
                    rhs += uk.channel_block;
                }
                inline for (0..mr) |i| rows[i] += a.segment_stride;
            }
            const lo: V = @splat(a.clamp_min);
            const hi: V = @splat(a.clamp_max);
            var bias: [nv]V = undefined;
            inline for (0..nv) |j| bias[j] = a.bias[j * lanes ..][0..lanes].*;
            inline for (0..mr) |i| {
                if (i < a.rows) {
                    const out = a.out + i * a.out_stride;
                    inline for (0..nv) |j| {
                        const v = clampVector(V, acc[i][j] + bias[j], lo, hi);
                        if (a.cols >= (j + 1) * lanes) {
                            out[j * lanes ..][0..lanes].* = v;
                        } else if (a.cols > j * lanes) {
                            const arr: [lanes]f32 = v;
                            for (0..a.cols - j * lanes) |c| out[j * lanes + c] = arr[c];
                        }
                    }
                }
            }
        }
    };
}
