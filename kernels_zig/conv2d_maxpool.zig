//! A network's first convolution (few input channels: conv2d_small_cin.zig) and the max pooling after it, in
//! one op for training: per pooled output row, the convolution rows its windows read are computed into a
//! buffer on the stack and pooled there with argmax, so the convolution's output (MNIST's first layer: 5.5 MB
//! a batch) never goes to memory and back. The backward pass (train_conv2d_small_cin.zig backpropFilterPooled)
//! takes the pooled gradient and this argmax in the same way. Bits: the convolution's values are
//! conv2d_small_cin's (its row task, into the buffer), the maxima and indices those of pool2d.zig's
//! maxpool2dArgmax on them (its own window loop, maxpoolArgmaxRow; indices into the convolution's output).
//! Threads split pooled rows. The task has a copy per x86 ISA (isa_loops.zig).
const std = @import("std");
const abi = @import("abi.zig");
const isa_loops = @import("isa_loops.zig");
const thread_pool = @import("thread_pool.zig");
const direct = @import("conv2d_small_cin.zig");
const train_small_cin = @import("train_conv2d_small_cin.zig");
const pool2d = @import("pool2d.zig");
const u = @import("num.zig").u;

/// One call as its tasks read it (extern: the ISA objects' copies share it).
pub const Call = extern struct {
    conv: *const abi.Conv2dF32Params,
    pool: *const abi.Pool2dF32Params,
    input: [*]const f32,
    filter: [*]const f32,
    bias: [*]const f32,
    out: [*]f32,
    arg: [*]i32,

    /// Pooled row t (image t / out_h, row t % out_h): its convolution rows into the buffer, then every window.
    fn task(s: *const Call, t: usize) void {
        const pool = s.pool;
        const oh = u(s.conv.out_h);
        const ow = u(s.conv.out_w);
        const c = u(s.conv.channels_out);
        const n = t / u(pool.out_h);
        const py = t % u(pool.out_h);
        const y0 = py * u(pool.stride_h);
        const y1 = @min(oh, y0 + u(pool.kernel_h));
        var buf: [abi.conv_maxpool_floats]f32 align(64) = undefined;
        const rows: direct.Rows = .{ .p = s.conv, .input = s.input, .filter = s.filter, .bias = s.bias, .out = &buf, .out_row0 = n * oh + y0 };
        for (y0..y1) |oy| rows.task(n * oh + oy);
        // The pooled row as pool2d.zig pools it, on the buffer as an image of y1 - y0 rows; then its indices moved
        // from the buffer to the convolution's output.
        const rows_pool: abi.Pool2dF32Params = .{
            .batch = 1,
            .in_h = @intCast(y1 - y0),
            .in_w = s.conv.out_w,
            .channels = s.conv.channels_out,
            .kernel_h = pool.kernel_h,
            .kernel_w = pool.kernel_w,
            .stride_h = pool.stride_h,
            .stride_w = pool.stride_w,
            .pad_top = 0,
            .pad_left = 0,
            .out_h = 1,
            .out_w = pool.out_w,
            .kind = pool.kind,
            .clamp_min = pool.clamp_min,
            .clamp_max = pool.clamp_max,
            .threads = 1,
        };
        const o = (n * u(pool.out_h) + py) * u(pool.out_w) * c;
        pool2d.maxpoolArgmaxRow(&rows_pool, &buf, s.out + o, s.arg + o, 0);
        const base: i32 = @intCast((n * oh + y0) * ow * c);
        for (s.arg[o .. o + u(pool.out_w) * c]) |*a| a.* += base;
    }
};

/// Pooled row t of the call `ctx` (a `*const Call`).
pub fn rowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Call = @ptrCast(@alignCast(ctx));
    s.task(t);
}

/// The convolution `conv` (few input channels, the default micro-kernel: conv2d_small_cin.zig applies; filter
/// packed as the GEMM's, bias padded to the block) then the max pooling `pool` of its output (disjoint windows,
/// no padding before: train_conv2d_small_cin.zig poolFits): the pooled values and their argmax.
pub fn convMaxPool(conv: *const abi.Conv2dF32Params, pool: *const abi.Pool2dF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, out: [*]f32, arg: [*]i32) abi.Status {
    if (conv.channels_in <= 0 or !direct.applies(conv) or !thread_pool.validThreads(conv.threads)) return .invalid_argument;
    if (!train_small_cin.poolFits(conv, pool)) return .invalid_argument;
    if (@as(i64, conv.batch) * conv.in_h * conv.in_w * conv.channels_in > std.math.maxInt(i32)) return .invalid_argument;
    const s: Call = .{ .conv = conv, .pool = pool, .input = input, .filter = filter, .bias = bias, .out = out, .arg = arg };
    isa_loops.run(u(conv.threads), u(pool.batch) * u(pool.out_h), &s, isa_loops.pick("conv2d_maxpool_f32", rowTask));
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_conv2d_maxpool_f32(conv: *const abi.Conv2dF32Params, pool: *const abi.Pool2dF32Params, input: [*]const f32, packed_filter: [*]const f32, bias: [*]const f32, output: [*]f32, argmax: [*]i32) callconv(.c) i32 {
    return abi.code(convMaxPool(conv, pool, input, packed_filter, bias, output, argmax));
}

test "convMaxPool: the bits of conv2d then maxpool2dArgmax, and its filter gradient those of maxpoolGradWindows then backpropFilter, on 1-3 threads" {
    const gpa = std.testing.allocator;
    const conv2d_f32 = @import("conv2d_f32.zig");
    const train_pool = @import("train_pool.zig");
    const sgemm = @import("sgemm.zig");
    var prng = std.Random.DefaultPrng.init(31);
    const rnd = prng.random();
    // (batch, h, w, cin, kernel, cout, pool, pool stride): odd sizes leave an unpooled row and column.
    const cases = [_][8]i32{ .{ 3, 12, 12, 1, 3, 32, 2, 2 }, .{ 2, 11, 9, 3, 3, 40, 2, 2 }, .{ 2, 10, 10, 1, 2, 8, 3, 3 }, .{ 1, 9, 13, 2, 3, 64, 2, 3 } };
    for (cases) |cs| {
        const n, const h, const w, const cin, const k, const cout, const ps, const st = cs;
        const oh = h - k + 1;
        const ow = w - k + 1;
        const poh = @divFloor(oh - ps, st) + 1;
        const pow = @divFloor(ow - ps, st) + 1;
        const x = try gpa.alloc(f32, u(n * h * w * cin));
        defer gpa.free(x);
        for (x) |*v| v.* = rnd.floatNorm(f32);
        const depth = u(k * k * cin);
        const wt = try gpa.alloc(f32, depth * u(cout));
        defer gpa.free(wt);
        // ±1 weights and small integers in x make ties, whose first index must win as in the unfused pooling.
        for (wt) |*v| v.* = if (rnd.boolean()) 1 else -1;
        for (x[0 .. x.len / 2]) |*v| v.* = @floatFromInt(rnd.intRangeAtMost(i32, -2, 2));
        const blocks = (u(cout) + 31) / 32;
        const packed_w = try gpa.alloc(f32, blocks * 32 * depth);
        defer gpa.free(packed_w);
        sgemm.packRhs(u(cout), depth, wt.ptr, packed_w.ptr);
        const bias = try gpa.alloc(f32, blocks * 32);
        defer gpa.free(bias);
        @memset(bias, 0);
        var conv: abi.Conv2dF32Params = .{ .batch = n, .in_h = h, .in_w = w, .channels_in = cin, .channels_out = cout, .kernel_h = k, .kernel_w = k, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 0, .pad_left = 0, .out_h = oh, .out_w = ow, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .ukernel = -1, .threads = 1, .keep_cols = 0 };
        var pool: abi.Pool2dF32Params = .{ .batch = n, .in_h = oh, .in_w = ow, .channels = cout, .kernel_h = ps, .kernel_w = ps, .stride_h = st, .stride_w = st, .pad_top = 0, .pad_left = 0, .out_h = poh, .out_w = pow, .kind = 0, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
        const full = try gpa.alloc(f32, u(n * oh * ow * cout));
        defer gpa.free(full);
        const ws = [_]f32{0};
        try std.testing.expectEqual(abi.Status.ok, conv2d_f32.conv2d(&conv, x.ptr, packed_w.ptr, bias.ptr, @constCast(&ws), full.ptr));
        const size = u(n * poh * pow * cout);
        const want = try gpa.alloc(f32, size);
        defer gpa.free(want);
        const want_arg = try gpa.alloc(i32, size);
        defer gpa.free(want_arg);
        try std.testing.expectEqual(abi.Status.ok, pool2d.maxpool2dArgmax(&pool, full.ptr, want.ptr, want_arg.ptr));
        const dy = try gpa.alloc(f32, size);
        defer gpa.free(dy);
        for (dy) |*v| v.* = rnd.floatNorm(f32);
        const dfull = try gpa.alloc(f32, full.len);
        defer gpa.free(dfull);
        try std.testing.expectEqual(abi.Status.ok, train_pool.maxpoolGradWindows(&pool, dy.ptr, want_arg.ptr, dfull.ptr));
        const want_dw = try gpa.alloc(f32, depth * u(cout));
        defer gpa.free(want_dw);
        try std.testing.expectEqual(abi.Status.ok, train_small_cin.backpropFilter(&conv, x.ptr, dfull.ptr, want_dw.ptr));
        const got = try gpa.alloc(f32, size);
        defer gpa.free(got);
        const got_arg = try gpa.alloc(i32, size);
        defer gpa.free(got_arg);
        const got_dw = try gpa.alloc(f32, depth * u(cout));
        defer gpa.free(got_dw);
        for ([_]i32{ 1, 2, 3 }) |threads| {
            conv.threads = threads;
            pool.threads = threads;
            try std.testing.expectEqual(abi.Status.ok, convMaxPool(&conv, &pool, x.ptr, packed_w.ptr, bias.ptr, got.ptr, got_arg.ptr));
            try std.testing.expectEqualSlices(u32, @ptrCast(want), @ptrCast(got));
            try std.testing.expectEqualSlices(i32, want_arg, got_arg);
            try std.testing.expectEqual(abi.Status.ok, train_small_cin.backpropFilterPooled(&conv, &pool, x.ptr, dy.ptr, got_arg.ptr, got_dw.ptr));
            try std.testing.expectEqualSlices(u32, @ptrCast(want_dw), @ptrCast(got_dw));
        }
        // Overlapping windows, padding before, or a pooling of another shape are refused.
        pool.stride_h = ps - 1;
        try std.testing.expectEqual(abi.Status.invalid_argument, convMaxPool(&conv, &pool, x.ptr, packed_w.ptr, bias.ptr, got.ptr, got_arg.ptr));
        pool.stride_h = st;
        pool.pad_top = 1;
        try std.testing.expectEqual(abi.Status.invalid_argument, train_small_cin.backpropFilterPooled(&conv, &pool, x.ptr, dy.ptr, got_arg.ptr, got_dw.ptr));
        pool.pad_top = 0;
        pool.channels = cout + 1;
        try std.testing.expectEqual(abi.Status.invalid_argument, convMaxPool(&conv, &pool, x.ptr, packed_w.ptr, bias.ptr, got.ptr, got_arg.ptr));
    }
}
