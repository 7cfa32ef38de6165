//! A float convolution's input gradient as one pass: dx = col2im(dy · Wᵀ), the GEMM's output never written
//! whole. graph/conv.ts ran the SGEMM into a [pixels, kh·kw·c] buffer (8.9 MB for larq's MNIST CNN's second
//! layer at batch 64) and col2im.zig read it back, or (stride 1) convolved a zero-padded dy with the flipped
//! kernel, 1.4× the multiply-adds there and an im2col of dy. Here each tile of `mr` output pixels by one
//! 32-column block of Wᵀ runs on the float micro-kernel (sgemm.zig's selection) into a small buffer, and is
//! added into dx at once.
//!
//! The same bits as onebit_sgemm_f32 (zero bias, no clamp) then onebit_col2im_f32 (zero bias, no clamp): a tile's
//! values are the SGEMM's, and each dx value receives them in col2im's order, increasing output pixel, because
//! blocks run from the last tap to the first (for one input pixel a later tap comes from an earlier output pixel)
//! and a block's rows in order. A task is a run of whole images and, where channels_in is a multiple of 32, a group
//! of 32 input channels: it alone writes that part of dx, each of its blocks over all of its pixels (the block's
//! weights stay in cache). Any thread count, any cut, the same bits.
const std = @import("std");
const abi = @import("abi.zig");
const sgemm = @import("sgemm.zig");
const template = @import("sgemm_ukernel.zig");
const uk = @import("ukernels.zig");
const thread_pool = @import("thread_pool.zig");
const isa_loops = @import("isa_loops.zig");
const Window = @import("window.zig").Window;
const u = @import("num.zig").u;

const block = uk.channel_block;

/// The largest mr of the float micro-kernels (of every ISA: the root's selection runs in an ISA object's copy of
/// the task): a tile's buffer.
const max_mr = blk: {
    var m: usize = 0;
    for (uk.sgemm_all) |e| m = @max(m, e.mr);
    break :blk m;
};

const zeros = [_]f32{0} ** block;

/// One call as its tasks read it (extern: the ISA objects' copies of the task share it; the micro-kernel is the
/// root's selection, passed as a pointer with its tile).
pub const Call = extern struct {
    p: *const abi.Conv2dF32Params,
    dy: [*]const f32,
    filter: [*]const f32,
    dx: [*]f32,
    ukernel: *const template.SgemmFn,
    mr: usize,
    nr: usize,

    /// Images per run (the last run may hold fewer).
    images: usize,
    /// Channel groups: channels_in / 32 when it is a multiple of 32 (a block is then 32 channels of one tap, and a
    /// group's blocks write only its channels of dx), else 1. Task t is run t / groups, group t % groups.
    groups: usize,

    /// Images [first, first + count): dx zeroed, then for each block of Wᵀ from the last, every tile of their
    /// output pixels in order (a tile may span two images) is computed and added into dx. A block's packed
    /// weights stay in cache across the tiles (a layer of few pixels, 1×1 maps over 32 images, streamed 9.4 MB
    /// of them per image when each image ran every block).
    fn images_(s: *const Call, first: usize, count: usize, group: usize) void {
        const w = Window.of(s.p);
        const c = u(s.p.channels_in);
        const f = u(s.p.channels_out);
        const kw = u(w.kernel_w);
        const depth_k = u(w.kernel_h) * kw * c;
        const ow = u(w.out_w);
        const oh = u(w.out_h);
        const pixels = oh * ow;
        const image_values = u(w.in_h) * u(w.in_w) * c;
        if (s.groups == 1) {
            @memset(s.dx[first * image_values .. (first + count) * image_values], 0);
        } else {
            // This group's 32 channels of every input pixel of the run's images.
            var at = first * image_values + group * block;
            for (0..count * u(w.in_h) * u(w.in_w)) |_| {
                @memset(s.dx[at..][0..block], 0);
                at += c;
            }
        }
        var tile: [max_mr][block]f32 = undefined;
        var args: template.SgemmArgs = .{
            .lhs_rows = null,
            .lhs = undefined,
            .lhs_stride = f,
            .segments = 1,
            .segment_len = f,
            .segment_stride = 0,
            .rows = undefined,
            .rhs = undefined,
            .bias = &zeros,
            .clamp_min = -std.math.inf(f32),
            .clamp_max = std.math.inf(f32),
            .cols = undefined,
            .out = undefined,
            .out_stride = block,
        };
        const blocks = (depth_k + block - 1) / block;
        const begin = first * pixels;
        const end = (first + count) * pixels;
        // The group's blocks, from the last: group + k·groups.
        std.debug.assert(blocks % s.groups == 0 and group < s.groups);
        var b = blocks + group;
        while (b >= group + s.groups) {
            b -= s.groups;
            const cols = @min(block, depth_k - b * block);
            // This block's tap (when it is 32 channels of one tap).
            const one_tap = c % block == 0;
            const tap = b * block / c;
            const tap_y: isize = @intCast(tap / kw * u(w.dilation_h));
            const tap_x: isize = @intCast(tap % kw * u(w.dilation_w));
            const channel = b * block % c;
            // The output pixel of each row, walked without divisions: image n, row oy, column ox.
            var n = first;
            var oy: usize = 0;
            var ox: usize = 0;
            var m0 = begin;
            while (m0 < end) : (m0 += s.mr) {
                const rows = @min(s.mr, end - m0);
                args.rows = rows;
                args.lhs = s.dy + m0 * f;
                var sub: usize = 0;
                while (sub < cols) : (sub += s.nr) {
                    args.rhs = s.filter + b * f * block + sub;
                    args.cols = @min(s.nr, cols - sub);
                    args.out = @as([*]f32, &tile[0]) + sub;
                    s.ukernel(&args);
                }
                for (0..rows) |i| {
                    const top = @as(isize, @intCast(oy * u(w.stride_h))) - w.pad_top;
                    const left = @as(isize, @intCast(ox * u(w.stride_w))) - w.pad_left;
                    const dx = s.dx + n * image_values;
                    if (one_tap) {
                        // The block is 32 channels of one tap: a vector add.
                        const iy = top + tap_y;
                        const ix = left + tap_x;
                        if (iy >= 0 and iy < w.in_h and ix >= 0 and ix < w.in_w) {
                            const V = @Vector(block, f32);
                            const dst = dx + (@as(usize, @intCast(iy)) * u(w.in_w) + @as(usize, @intCast(ix))) * c + channel;
                            dst[0..block].* = @as(V, dst[0..block].*) + @as(V, tile[i]);
                        }
                    } else {
                        for (0..cols) |j| {
                            const k = b * block + j;
                            const t = k / c;
                            const iy = top + @as(isize, @intCast(t / kw * u(w.dilation_h)));
                            const ix = left + @as(isize, @intCast(t % kw * u(w.dilation_w)));
                            if (iy < 0 or iy >= w.in_h or ix < 0 or ix >= w.in_w) continue;
                            dx[(@as(usize, @intCast(iy)) * u(w.in_w) + @as(usize, @intCast(ix))) * c + k % c] += tile[i][j];
                        }
                    }
                    ox += 1;
                    if (ox == ow) {
                        ox = 0;
                        oy += 1;
                        if (oy == oh) {
                            oy = 0;
                            n += 1;
                        }
                    }
                }
            }
        }
    }
};

/// Task t of the call `ctx` (a `*const Call`): images [t·images, (t + 1)·images) (isa_loops: the adds' vectors as
/// wide as the CPU's).
pub fn imageTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Call = @ptrCast(@alignCast(ctx));
    const first = t / s.groups * s.images;
    s.images_(first, @min(s.images, u(s.p.batch) - first), t % s.groups);
}

/// dx [batch, in_h, in_w, channels_in] of the convolution `p` describes (its forward geometry; clamp and
/// keep_cols unused) from dy [batch, out_h, out_w, channels_out] and the filter transposed, Wᵀ [kh·kw·channels_in,
/// channels_out] packed as onebit_sgemm_pack_rhs_f32 packs it (channels_out of the pack = kh·kw·channels_in,
/// depth = channels_out). Threads take runs of images by groups of 32 input channels.
pub fn conv2dBackpropInput(p: *const abi.Conv2dF32Params, dy: [*]const f32, filter: [*]const f32, dx: [*]f32) abi.Status {
    const w = Window.of(p);
    if (!w.valid() or p.channels_in <= 0 or p.channels_out <= 0 or !thread_pool.validThreads(p.threads))
        return .invalid_argument;
    const kernel = sgemm.select(p.ukernel) orelse return .unsupported_ukernel;
    if (p.batch == 0) return .ok;
    const e = sgemm.kernels[kernel];
    const macs = @as(u64, u(p.batch)) * u(p.out_h) * u(p.out_w) * u(p.kernel_h) * u(p.kernel_w) * u(p.channels_in) * u(p.channels_out);
    const threads: usize = if (macs < 1 << 18) 1 else u(p.threads);
    // Tasks: runs of images by channel groups, at least two per thread, a run holding no more than ~256 KiB of its
    // group's dx (in cache while each of the group's blocks adds to it); a group's share of Wᵀ is streamed once per
    // run, so runs are as long as that allows (QuickNetSmall's 3x3x512 -> 1x1 layers: one run of 32 images, 16
    // groups). A value's terms arrive in the same order whatever the cut: the bits never depend on it.
    const batch = u(p.batch);
    const c = u(p.channels_in);
    const groups: usize = if (c % block == 0) c / block else 1;
    const group_bytes = u(p.in_h) * u(p.in_w) * c * 4 / groups;
    const min_runs = (2 * threads + groups - 1) / groups;
    const max_images = @max(1, (256 << 10) / @max(1, group_bytes));
    // Runs as even as the batch allows, and tasks a multiple of the threads where the batch has runs enough:
    // MNIST's 64 images in runs of at most 12 were 5 × 12 + 4 (36 images against 28 on 2 threads); 5 × 11 + 9
    // gives 33 against 31.
    var runs = @max(min_runs, (batch + max_images - 1) / max_images);
    while ((runs * groups) % threads != 0 and runs < batch) runs += 1;
    const images = @max(1, (batch + runs - 1) / runs);
    const s: Call = .{ .p = p, .dy = dy, .filter = filter, .dx = dx, .ukernel = sgemm.table[kernel].full, .mr = e.mr, .nr = e.nr(), .images = images, .groups = groups };
    isa_loops.run(threads, (batch + images - 1) / images * groups, &s, isa_loops.pick("conv2d_backprop_input_f32", imageTask));
    return .ok;
}

// ---- C ABI entry point (exported by root.zig from abi.api) ----

pub fn onebit_conv2d_backprop_input_f32(params: *const abi.Conv2dF32Params, grad_output: [*]const f32, filter: [*]const f32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(conv2dBackpropInput(params, grad_output, filter, grad_input));
}

test "conv2d input gradient: the bits of the SGEMM then col2im, on every micro-kernel and thread count" {
    const col2im = @import("col2im.zig");
    const gpa = std.testing.allocator;
    var prng = std.Random.DefaultPrng.init(5);
    const rnd = prng.random();
    // (batch, in_h, in_w, c, f, kh, kw, stride, dilation, pad_top, pad_left, out_h, out_w)
    const cases = [_][13]i32{
        .{ 3, 13, 13, 32, 64, 3, 3, 1, 1, 0, 0, 11, 11 }, // larq's MNIST CNN's second layer
        .{ 2, 7, 6, 64, 40, 3, 3, 1, 1, 1, 1, 7, 6 }, // SAME
        .{ 2, 9, 8, 5, 7, 3, 2, 2, 1, 1, 0, 5, 4 }, // blocks straddle taps, strides
        .{ 1, 8, 9, 33, 3, 2, 3, 1, 2, 1, 2, 8, 7 }, // dilation, a channel tail
        .{ 5, 3, 3, 64, 40, 3, 3, 1, 1, 0, 0, 1, 1 }, // one output pixel per image: tiles span images
    };
    for (cases) |cs| {
        const p0: abi.Conv2dF32Params = .{ .batch = cs[0], .in_h = cs[1], .in_w = cs[2], .channels_in = cs[3], .channels_out = cs[4], .kernel_h = cs[5], .kernel_w = cs[6], .stride_h = cs[7], .stride_w = cs[7], .dilation_h = cs[8], .dilation_w = cs[8], .pad_top = cs[9], .pad_left = cs[10], .out_h = cs[11], .out_w = cs[12], .clamp_min = 0, .clamp_max = 0, .ukernel = -1, .threads = 1, .keep_cols = 0 };
        const pixels = u(p0.batch) * u(p0.out_h) * u(p0.out_w);
        const k = u(p0.kernel_h) * u(p0.kernel_w) * u(p0.channels_in);
        const f = u(p0.channels_out);
        const dy = try gpa.alloc(f32, pixels * f);
        defer gpa.free(dy);
        for (dy) |*x| x.* = rnd.floatNorm(f32);
        const wt = try gpa.alloc(f32, k * f);
        defer gpa.free(wt);
        for (wt) |*x| x.* = rnd.floatNorm(f32);
        const packed_w = try gpa.alloc(f32, sgemm.blocks(k) * block * f);
        defer gpa.free(packed_w);
        sgemm.packRhs(k, f, wt.ptr, packed_w.ptr);
        const cols = try gpa.alloc(f32, pixels * k);
        defer gpa.free(cols);
        const values = u(p0.batch) * u(p0.in_h) * u(p0.in_w) * u(p0.channels_in);
        const want = try gpa.alloc(f32, values);
        defer gpa.free(want);
        const got = try gpa.alloc(f32, values);
        defer gpa.free(got);
        const bias = try gpa.alloc(f32, @max(k, u(p0.channels_in)) + block);
        defer gpa.free(bias);
        @memset(bias, 0);
        for (0..sgemm.kernels.len) |kern| {
            if (!sgemm.supported(kern)) continue;
            const sp: abi.SgemmParams = .{ .rows = @intCast(pixels), .channels_out = @intCast(k), .depth = @intCast(f), .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .ukernel = @intCast(kern), .threads = 1 };
            try std.testing.expectEqual(abi.Status.ok, sgemm.run(&sp, dy.ptr, packed_w.ptr, bias.ptr, cols.ptr));
            const cp: abi.Col2imF32Params = .{ .batch = p0.batch, .image_h = p0.in_h, .image_w = p0.in_w, .channels = p0.channels_in, .kernel_h = p0.kernel_h, .kernel_w = p0.kernel_w, .stride_h = p0.stride_h, .stride_w = p0.stride_w, .dilation_h = p0.dilation_h, .dilation_w = p0.dilation_w, .pad_top = p0.pad_top, .pad_left = p0.pad_left, .cols_h = p0.out_h, .cols_w = p0.out_w, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
            try std.testing.expectEqual(abi.Status.ok, col2im.col2im(&cp, cols.ptr, bias.ptr, want.ptr));
            for ([_]i32{ 1, 2, 3 }) |threads| {
                var p = p0;
                p.ukernel = @intCast(kern);
                p.threads = threads;
                @memset(got, std.math.nan(f32));
                try std.testing.expectEqual(abi.Status.ok, conv2dBackpropInput(&p, dy.ptr, packed_w.ptr, got.ptr));
                try std.testing.expectEqualSlices(u32, @ptrCast(want), @ptrCast(got));
            }
            // Every ISA copy of the task around this micro-kernel.
            const e = sgemm.kernels[kern];
            for (isa_loops.copies("conv2d_backprop_input_f32", imageTask).constSlice()) |task| {
                // Tasks of one image, and of two (the last one short where the batch is odd).
                const c = u(p0.channels_in);
                const groups: usize = if (c % block == 0) c / block else 1;
                for ([_]usize{ 1, 2 }) |images| {
                    const s: Call = .{ .p = &p0, .dy = dy.ptr, .filter = packed_w.ptr, .dx = got.ptr, .ukernel = sgemm.table[kern].full, .mr = e.mr, .nr = e.nr(), .images = images, .groups = groups };
                    @memset(got, std.math.nan(f32));
                    for (0..(u(p0.batch) + images - 1) / images * groups) |t| task(&s, t);
                    try std.testing.expectEqualSlices(u32, @ptrCast(want), @ptrCast(got));
                }
            }
        }
    }
}

test "conv2d input gradient: bad parameters" {
    var p: abi.Conv2dF32Params = .{ .batch = 1, .in_h = 3, .in_w = 3, .channels_in = 1, .channels_out = 1, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 1, .out_w = 1, .clamp_min = 0, .clamp_max = 0, .ukernel = -1, .threads = 1, .keep_cols = 0 };
    var one = [_]f32{0} ** 64;
    p.channels_out = 0;
    try std.testing.expectEqual(abi.Status.invalid_argument, conv2dBackpropInput(&p, &one, &one, &one));
    p.channels_out = 1;
    p.ukernel = 99;
    try std.testing.expectEqual(abi.Status.unsupported_ukernel, conv2dBackpropInput(&p, &one, &one, &one));
}
