//! LceBconv2d with same-zero padding, its ADD and optionally the LceQuantize of the sum in one pass: the
//! convolution reads +1 for the out-of-bounds taps (as same-one padding), and the epilogue takes the excess
//! back from the border pixels (bgemm.Epilogue.Border) before adding the residual, while the rows are in cache,
//! in the order and arithmetic of the separate passes (convolution, correction, ADD, pack).
const std = @import("std");
const abi = @import("abi.zig");
const bconv2d = @import("bconv2d.zig");
const bgemm = @import("bgemm.zig");

// ---- C ABI entry points (exported by root.zig from abi.api) ----

/// onebit_bconv2d_b32_f32_add, with `border_slots` (out_h·out_w entries: a pixel's row of `border_fix`, -1 for
/// an inner pixel) and `border_fix` (channels_out values a border pixel), both checked by the caller.
pub fn onebit_bconv2d_b32_f32_add_border(params: *const abi.Bconv2dParams, epilogue: *const abi.EpilogueParams, input: [*]const u32, packed_filter: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, residual: [*]const f32, border_slots: [*]const i32, border_fix: [*]const f32, workspace: [*]u32, output: [*]f32, packed_output: [*]u32) callconv(.c) i32 {
    if (epilogue.pack != 0 and epilogue.pack != 1) return abi.code(.invalid_argument);
    if (params.out_h <= 0 or params.out_w <= 0) return abi.code(.invalid_argument);
    const e: bgemm.Epilogue = .{
        .residual = residual,
        .clamp_min = epilogue.clamp_min,
        .clamp_max = epilogue.clamp_max,
        .packed_out = if (epilogue.pack == 1) packed_output else null,
        .border = .{ .slots = border_slots, .fix = border_fix, .image_pixels = @as(usize, @intCast(params.out_h)) * @as(usize, @intCast(params.out_w)) },
    };
    return abi.code(bconv2d.run(params, input, packed_filter, workspace, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output, .epilogue = e } }));
}
