//! The filter gradient of a latent (ste_sign-quantized) kernel in one pass:
//! the float GEMM of sgemm.zig with ste_sign's pseudo-gradient applied to
//! each task's output while it is in cache (0 where !(|latent| ≤ clip)), not
//! as a second pass over a weight-sized gradient. Bit for bit the GEMM
//! followed by train_sign.zig's ste_grad.
const std = @import("std");
const abi = @import("abi.zig");
const sgemm = @import("sgemm.zig");
const thread_pool = @import("thread_pool.zig");

/// A GEMM of `rows` × `depth` by packed [channels_out, depth] weights, no
/// clamp, its output masked by ste_sign's `clip` (≥ 0) against `latent`
/// ([rows, channels_out], the output's layout).
pub const SgemmMaskedParams = extern struct {
    rows: i32,
    channels_out: i32,
    depth: i32,
    clip: f32,
    /// -1: the fastest supported float micro-kernel; else an index into the
    /// float list (onebit_sgemm_ukernel_info).
    ukernel: i32,
    threads: i32,
};

comptime {
    std.debug.assert(@sizeOf(SgemmMaskedParams) == 24 and @offsetOf(SgemmMaskedParams, "clip") == 12);
}

fn run(p: *const SgemmMaskedParams, lhs: [*]const f32, rhs: [*]const f32, bias: [*]const f32, latent: [*]const f32, out: [*]f32) abi.Status {
    if (!(p.clip >= 0)) return .invalid_argument;
    const inf = std.math.inf(f32);
    const q: abi.SgemmParams = .{ .rows = p.rows, .channels_out = p.channels_out, .depth = p.depth, .clamp_min = -inf, .clamp_max = inf, .ukernel = p.ukernel, .threads = p.threads };
    return sgemm.runMasked(&q, lhs, rhs, bias, .{ .latent = latent, .clip = p.clip }, out);
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_sgemm_masked_f32(params: *const SgemmMaskedParams, lhs: [*]const f32, packed_rhs: [*]const f32, bias: [*]const f32, latent: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(run(params, lhs, packed_rhs, bias, latent, output));
}

test "masked sgemm: the GEMM then ste_sign's clip, bit for bit, on 1 and 3 threads" {
    const train_sign = @import("train_sign.zig");
    // Rows past one task, channels past one block and not a multiple of it, depth not a multiple of anything.
    const m = 300;
    const n = 70;
    const k = 37;
    const alloc = std.testing.allocator;
    const lhs = try alloc.alloc(f32, m * k);
    defer alloc.free(lhs);
    const w = try alloc.alloc(f32, n * k);
    defer alloc.free(w);
    const packed_w = try alloc.alloc(f32, sgemm.blocks(n) * 32 * k);
    defer alloc.free(packed_w);
    const bias = try alloc.alloc(f32, sgemm.blocks(n) * 32);
    defer alloc.free(bias);
    const latent = try alloc.alloc(f32, m * n);
    defer alloc.free(latent);
    const want = try alloc.alloc(f32, m * n);
    defer alloc.free(want);
    const got = try alloc.alloc(f32, m * n);
    defer alloc.free(got);
    var prng = std.Random.DefaultPrng.init(11);
    const r = prng.random();
    for (lhs) |*v| v.* = r.float(f32) * 2 - 1;
    for (w) |*v| v.* = r.float(f32) * 2 - 1;
    for (latent) |*v| v.* = r.float(f32) * 3 - 1.5;
    latent[5] = std.math.nan(f32);
    latent[6] = 1; // exactly the clip: kept
    @memset(bias, 0);
    sgemm.packRhs(n, k, w.ptr, packed_w.ptr);
    const inf = std.math.inf(f32);
    const plain: abi.SgemmParams = .{ .rows = m, .channels_out = n, .depth = k, .clamp_min = -inf, .clamp_max = inf, .ukernel = -1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, sgemm.run(&plain, lhs.ptr, packed_w.ptr, bias.ptr, want.ptr));
    const sp: train_sign.SignPassParams = .{ .count = m * n, .clip = 1, .threads = 1 };
    try std.testing.expectEqual(@as(i32, 0), train_sign.onebit_ste_sign_grad_f32(&sp, latent.ptr, want.ptr, want.ptr));
    var zeros: usize = 0;
    for (want) |v| zeros += @intFromBool(v == 0);
    try std.testing.expect(zeros > m * n / 4 and zeros < m * n); // the mask both keeps and clears
    for ([_]i32{ 1, 3 }) |threads| {
        const p: SgemmMaskedParams = .{ .rows = m, .channels_out = n, .depth = k, .clip = 1, .ukernel = -1, .threads = threads };
        @memset(got, std.math.nan(f32));
        try std.testing.expectEqual(@as(i32, 0), onebit_sgemm_masked_f32(&p, lhs.ptr, packed_w.ptr, bias.ptr, latent.ptr, got.ptr));
        try std.testing.expectEqualSlices(u32, std.mem.bytesAsSlice(u32, std.mem.sliceAsBytes(want)), std.mem.bytesAsSlice(u32, std.mem.sliceAsBytes(got)));
    }
    const bad: SgemmMaskedParams = .{ .rows = m, .channels_out = n, .depth = k, .clip = -1, .ukernel = -1, .threads = 1 };
    try std.testing.expectEqual(abi.code(.invalid_argument), onebit_sgemm_masked_f32(&bad, lhs.ptr, packed_w.ptr, bias.ptr, latent.ptr, got.ptr));
}
