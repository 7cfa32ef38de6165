//! The float half of the hardware limit: each float GEMM micro-kernel's
//! multiply-accumulates on registers only (its mr x nv accumulator vectors as
//! independent chains, no loads), so that the limit's float part is what the
//! FMA units can do rather than what an in-cache GEMM reaches. `Kernel` is
//! instantiated in the per-ISA objects (isa_object.zig), compiled with the
//! entry's CPU features; `onebit_fma_peak_loop` runs it on threads.
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const uk = @import("ukernels.zig");
const sgemm = @import("sgemm.zig");
const bgemm = @import("bgemm.zig");
const template = @import("bgemm_ukernel.zig");
const sgemm_template = @import("sgemm_ukernel.zig");

/// The register-only loop of float micro-kernel `e`: per iteration mr*nv vector multiply-adds (fused where the
/// kernel fuses, with its mulAdd, else a multiply and an add), mr*nr lane MACs.
pub fn Kernel(comptime e: uk.SgemmEntry) type {
    const V = @Vector(e.lanes, f32);
    return struct {
        pub fn peak(iterations: usize, sink: *u32) callconv(.c) void {
            // Small positive steps: the sums stay far from overflow and from denormals for any iteration count
            // the ABI takes (< 2^31, each chain grows by < 2^-9 an iteration).
            var a: V = @splat(0x1p-10);
            var b: [e.nv]V = undefined;
            inline for (0..e.nv) |j| b[j] = @splat(1.0 + @as(f32, @floatFromInt(j + 1)) * 0x1p-4);
            // Unknown to the optimizer, which would otherwise fold a multiply by a known value (x·1 + c to x + c).
            template.opaqueValue(V, &a);
            inline for (0..e.nv) |j| template.opaqueValue(V, &b[j]);
            var acc: [e.mr][e.nv]V = @splat(@splat(@splat(0)));
            for (0..iterations) |_| {
                // Without FMA, a*b[j] would otherwise be hoisted out of the loop (it does not change).
                if (!e.fma) template.opaqueValue(V, &a);
                inline for (0..e.mr) |i| {
                    inline for (0..e.nv) |j| {
                        acc[i][j] = if (e.fma) sgemm_template.mulAdd(V, a, b[j], acc[i][j]) else acc[i][j] + a * b[j];
                    }
                }
            }
            var sum: V = @splat(0);
            inline for (0..e.mr) |i| inline for (0..e.nv) |j| {
                sum += acc[i][j];
            };
            sink.* = @bitCast(@reduce(.Add, sum));
        }
    };
}

/// The float micro-kernels' peak loops (exported hidden by the per-ISA objects), in sgemm.kernels' order.
const table: [sgemm.kernels.len]*const template.PeakFn = blk: {
    var t: [sgemm.kernels.len]*const template.PeakFn = undefined;
    for (sgemm.kernels, 0..) |e, i| {
        t[i] = @extern(*const template.PeakFn, .{ .name = "onebit_uk_" ++ e.name ++ "_fma_peak" });
    }
    break :blk t;
};

/// Runs float micro-kernel `params.ukernel`'s register-only multiply-add loop `iterations` times on `threads`
/// threads at once, thread t's sum in sink[t] (so that no loop is dead code).
pub fn onebit_fma_peak_loop(params: *const abi.PeakParams, sink: [*]u32) callconv(.c) i32 {
    if (params.ukernel < 0) return abi.code(.invalid_argument);
    const i = sgemm.select(params.ukernel) orelse return abi.code(.unsupported_ukernel);
    return abi.code(bgemm.runPeak(table[i], params, sink));
}

test "fma peak: every supported float micro-kernel's loop sums mr*nr*iterations products" {
    for (sgemm.kernels, 0..) |e, i| {
        if (!sgemm.supported(i)) continue;
        var sink = [_]u32{ 0, 0 };
        const p: abi.PeakParams = .{ .ukernel = @intCast(i), .iterations = 1000, .threads = 2 };
        try std.testing.expectEqual(@as(i32, 0), onebit_fma_peak_loop(&p, &sink));
        // Chain (i, j) adds 2^-10 * (1 + (j+1)/16) each iteration: exact in f32 at these sizes.
        var expected: f32 = 0;
        for (0..e.nv) |j| expected += 1000.0 * 0x1p-10 * (1.0 + @as(f32, @floatFromInt(j + 1)) * 0x1p-4);
        expected *= @floatFromInt(e.mr * e.lanes);
        for (sink) |s| try std.testing.expectApproxEqRel(expected, @as(f32, @bitCast(s)), 1e-5);
        var info: abi.UkernelInfo = undefined;
        sgemm.describe(i, &info);
        try std.testing.expectEqual(@as(i32, @intCast(e.mr * e.lanes * e.nv)), info.peak_macs_per_iteration);
    }
    const bad: abi.PeakParams = .{ .ukernel = 0, .iterations = -1, .threads = 1 };
    var sink = [_]u32{0};
    try std.testing.expectEqual(abi.code(.invalid_argument), onebit_fma_peak_loop(&bad, &sink));
    const missing: abi.PeakParams = .{ .ukernel = sgemm.kernels.len, .iterations = 1, .threads = 1 };
    try std.testing.expectEqual(abi.code(.unsupported_ukernel), onebit_fma_peak_loop(&missing, &sink));
}
