//! Root of one per-ISA object. build.zig compiles this file once per ISA
//! with that ISA's CPU features (option `isa`) and links every object into
//! the one library; the GEMM drivers call a kernel only after checking that
//! the CPU has its features (select.zig). Symbols are hidden: they are not part of the C ABI.
const std = @import("std");
const builtin = @import("builtin");
const options = @import("isa_options");
const uk = @import("ukernels.zig");
const template = @import("bgemm_ukernel.zig");
const sgemm_template = @import("sgemm_ukernel.zig");
const fma_peak = @import("fma_peak.zig");
const isa_loops = @import("isa_loops.zig");
const block_template = @import("bgemm_block.zig");

pub const isa: uk.Isa = @field(uk.Isa, options.isa);

comptime {
    // This ISA's copies of the op loops (isa_loops.zig), on the x86 objects.
    if (std.mem.indexOfScalar(uk.Isa, isa_loops.isas, isa) != null) {
        const hidden: std.builtin.SymbolVisibility = .hidden;
        @export(&@import("depthwise_f32.zig").rowTask, .{ .name = isa_loops.symbol("depthwise_f32", isa), .visibility = hidden });
        @export(&@import("conv2d_small_cin.zig").rowTask, .{ .name = isa_loops.symbol("conv2d_small_cin", isa), .visibility = hidden });
        @export(&@import("train_conv2d_small_cin.zig").gradTask, .{ .name = isa_loops.symbol("conv2d_filter_small_cin", isa), .visibility = hidden });
        @export(&@import("conv2d_maxpool.zig").rowTask, .{ .name = isa_loops.symbol("conv2d_maxpool_f32", isa), .visibility = hidden });
        @export(&@import("pool2d.zig").poolRowTask, .{ .name = isa_loops.symbol("pool2d_f32", isa), .visibility = hidden });
        @export(&@import("pool2d.zig").argRowTask, .{ .name = isa_loops.symbol("maxpool_argmax_f32", isa), .visibility = hidden });
        @export(&@import("train_pool.zig").gradRowTask, .{ .name = isa_loops.symbol("maxpool_grad_windows_f32", isa), .visibility = hidden });
        @export(&@import("softmax.zig").rowTask, .{ .name = isa_loops.symbol("softmax_f32", isa), .visibility = hidden });
        @export(&@import("bgemm.zig").epilogueTask, .{ .name = isa_loops.symbol("bgemm_epilogue", isa), .visibility = hidden });
        @export(&@import("channel_affine.zig").rowTask, .{ .name = isa_loops.symbol("channel_affine_f32", isa), .visibility = hidden });
        @export(&@import("conv2d_backprop_input.zig").imageTask, .{ .name = isa_loops.symbol("conv2d_backprop_input_f32", isa), .visibility = hidden });
        @export(&@import("sign_gemm.zig").tileTask, .{ .name = isa_loops.symbol("sign_gemm_f32", isa), .visibility = hidden });
        @export(&@import("train_bn.zig").rangeTask, .{ .name = isa_loops.symbol("bn_train_f32", isa), .visibility = hidden });
        @export(&@import("channel_affine.zig").preluRowTask, .{ .name = isa_loops.symbol("scale_prelu_add_f32", isa), .visibility = hidden });
    }
    for (uk.forCpu(builtin.cpu)) |e| {
        if (e.isa != isa) continue;
        const K = template.Kernel(e);
        const hidden: std.builtin.SymbolVisibility = .hidden;
        @export(&K.tileF32, .{ .name = "onebit_uk_" ++ e.name ++ "_f32", .visibility = hidden });
        @export(&K.tileB32, .{ .name = "onebit_uk_" ++ e.name ++ "_b32", .visibility = hidden });
        @export(&K.peak, .{ .name = "onebit_uk_" ++ e.name ++ "_peak", .visibility = hidden });
        // A whole 32-channel block over a run of rows, the tile loop inside (bgemm_block.zig).
        const B = block_template.Block(e);
        @export(&B.blockF32, .{ .name = "onebit_uk_" ++ e.name ++ "_block_f32", .visibility = hidden });
        @export(&B.blockB32, .{ .name = "onebit_uk_" ++ e.name ++ "_block_b32", .visibility = hidden });
        // The same kernel one pixel row tall, for the rows of a last partial tile.
        var one = e;
        one.mr = 1;
        const K1 = template.Kernel(one);
        @export(&K1.tileF32, .{ .name = "onebit_uk_" ++ e.name ++ "_f32_r1", .visibility = hidden });
        // The float kernels with a fused ADD's epilogue, where the driver runs them (bgemm.zig epilogue_in_tile).
        if (@import("bgemm.zig").epilogue_in_tile) {
            @export(&B.blockF32Add, .{ .name = "onebit_uk_" ++ e.name ++ "_block_f32_add", .visibility = hidden });
        }
        @export(&K1.tileB32, .{ .name = "onebit_uk_" ++ e.name ++ "_b32_r1", .visibility = hidden });
    }
    for (uk.sgemmForCpu(builtin.cpu)) |e| {
        if (e.isa != isa) continue;
        const K = sgemm_template.Kernel(e);
        const hidden: std.builtin.SymbolVisibility = .hidden;
        @export(&K.tile, .{ .name = "onebit_uk_" ++ e.name, .visibility = hidden });
        // Half as wide (nv / 2 vectors, at least one): for channel counts that leave a sub-tile half empty.
        var half = e;
        half.nv = @max(1, e.nv / 2);
        @export(&sgemm_template.Kernel(half).tile, .{ .name = "onebit_uk_" ++ e.name ++ "_half", .visibility = hidden });
        @export(&fma_peak.Kernel(e).peak, .{ .name = "onebit_uk_" ++ e.name ++ "_fma_peak", .visibility = hidden });
        // One row tall: a tile of one row.
        var one = e;
        one.mr = 1;
        @export(&sgemm_template.Kernel(one).tile, .{ .name = "onebit_uk_" ++ e.name ++ "_r1", .visibility = hidden });
    }
}
