//! A float convolution's filter gradient for inputs of few channels (a network's first layer), straight from
//! the input and the output's gradient: no im2col to keep from the forward pass, transpose or pack.
//! dw[t, co] (HWIO, t = (ky, kx, ci)) = Σ over chunks of output rows in order of (Σ over the chunk's output
//! pixels (n, oy, ox) in order of x[tap t of the pixel]·dy[pixel, co]), taps outside the input skipped; a
//! product rounded, then added, each chunk's sum from 0 and the chunks' sums added to 0 in order (as the TS
//! reference, reference_train.ts conv2dBackFilter: the same bits). The chunks (`chunksFor`: at most
//! abi.small_cin_filter_chunks, as many as the output rows allow) depend on the shape only. A task sums a
//! group of taps over one chunk for one 32-channel block, `pass_taps` taps × 32 channels in vector registers
//! while the chunk's dy streams by once, into its own partial sums; threads take tasks (each thread reads its
//! own part of dy, once), and the caller adds the chunks' partials in chunk order: 1, 2 and 3 threads give the
//! same bits.
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const isa_loops = @import("isa_loops.zig");
const thread_pool = @import("thread_pool.zig");
const direct = @import("conv2d_small_cin.zig");
const Window = @import("window.zig").Window;
const u = @import("num.zig").u;
const train_pool = @import("train_pool.zig");

const block = direct.block;
const lanes = direct.lanes;
const V = direct.V;
const nv = direct.nv;

/// Pixels ahead whose dy the interior loop prefetches (their line of this block): dy streams from memory (a
/// first layer's output gradient is megabytes) and the hardware prefetcher alone left the loop waiting on it
/// (MNIST's 5.5 MB: 35-40% faster with cold caches, 5-14% warm, on an AVX-512 Xeon VM).
const prefetch_pixels = 64;

/// Taps of one task at most (the same in every ISA copy: the root, built for the baseline, cuts the tasks).
const task_taps = 12;

/// Taps summed in one pass over dy: their sums (taps · 32 channels) and a pixel's dy fill the vector registers
/// (32 zmm on AVX-512, 16 ymm on AVX2, 32 q on NEON, 16 xmm on SSE).
const pass_taps = switch (lanes) {
    16 => 12,
    8 => 3,
    else => if (builtin.cpu.arch == .aarch64) 3 else if (builtin.cpu.arch.isWasm()) 2 else 1,
};

/// One channel block of a call as its tasks read it (extern: the ISA objects' copies share it).
pub const Grad = extern struct {
    p: *const abi.Conv2dF32Params,
    input: [*]const f32,
    dy: [*]const f32,
    /// Partial sums [chunk][tap][block]: chunk j's sum of tap t over this block's channels (zeros past them).
    partials: [*]f32,
    /// The channel block.
    b: usize,
    /// Tap groups; task t sums group t % groups over chunk t / groups.
    groups: usize,
    /// Chunks of output rows (n, oy): chunk j is rows [j·rows / chunks, (j + 1)·rows / chunks).
    chunks: usize,
    /// When set, the convolution was followed by this max pooling of disjoint, unpadded windows
    /// (conv2d_maxpool.zig): `dy` is the pooling's output gradient and `pooled_arg` its argmax, and each output
    /// row's gradient is made on the stack as train_pool.zig's maxpoolGradWindows would write it (the same
    /// values), never in memory.
    pool: ?*const abi.Pool2dF32Params = null,
    pooled_arg: [*]const i32 = undefined,

    fn task(s: *const Grad, t: usize) void {
        const depth = u(s.p.kernel_h) * u(s.p.kernel_w) * u(s.p.channels_in);
        const g = t % s.groups;
        const begin = g * depth / s.groups;
        const end = (g + 1) * depth / s.groups;
        std.debug.assert(end > begin and end - begin <= task_taps);
        const j = t / s.groups;
        const rows = u(s.p.batch) * u(s.p.out_h);
        const r0 = j * rows / s.chunks;
        const r1 = (j + 1) * rows / s.chunks;
        var first = begin;
        while (first < end) {
            const taps = @min(pass_taps, end - first);
            switch (taps) {
                inline 1...pass_taps => |n| s.sum(n, first, r0, r1, s.partials + (j * depth + first) * block),
                else => unreachable,
            }
            first += taps;
        }
    }

    /// Taps [first, first + taps) over output rows [r0, r1), every pixel in order, into out[i·block ..] for tap
    /// first + i.
    fn sum(s: *const Grad, comptime taps: usize, first: usize, r0: usize, r1: usize, out: [*]f32) void {
        const w = Window.of(s.p);
        const c = u(s.p.channels_in);
        const cout = u(s.p.channels_out);
        const b = s.b;
        const cols = @min(block, cout - b * block);
        // Tap t's offset from its window's first input value, and its (ky, kx) offsets for the border test.
        var off: [taps]usize = undefined;
        var dy_off: [taps]isize = undefined;
        var dx_off: [taps]isize = undefined;
        inline for (0..taps) |i| {
            const t = first + i;
            const ky = t / (c * u(w.kernel_w));
            const kx = t / c % u(w.kernel_w);
            dy_off[i] = @intCast(ky * u(w.dilation_h));
            dx_off[i] = @intCast(kx * u(w.dilation_w));
            off[i] = (ky * u(w.dilation_h) * u(w.in_w) + kx * u(w.dilation_w)) * c + t % c;
        }
        var acc: [taps][nv]V = @splat(@splat(@splat(0)));
        const ow = u(w.out_w);
        const step = u(w.stride_w) * c;
        // Columns whose window lies inside the input along x: [x_begin, x_end).
        var x_begin: usize = 0;
        while (x_begin < ow and !insideX(&w, x_begin)) x_begin += 1;
        var x_end = x_begin;
        while (x_end < ow and insideX(&w, x_end)) x_end += 1;
        // A pooled gradient's row, made here (`pool`): one block of channels per pixel, zeros past `cols`.
        var made: [abi.conv_maxpool_floats]f32 align(64) = undefined;
        for (r0..r1) |row| {
            const n = row / u(w.out_h);
            const oy = row % u(w.out_h);
            const iy0 = @as(isize, @intCast(oy * u(w.stride_h))) - w.pad_top;
            const inside_y = iy0 >= 0 and iy0 + (w.kernel_h - 1) * w.dilation_h < w.in_h;
            // This row's gradient for the block: pixel ox's at dy_row + ox·stride, `dcols` valid channels.
            const dy_row: [*]const f32, const stride: usize, const dcols: usize = if (s.pool) |pool| blk: {
                s.poolRow(pool, &made, n, oy, cols);
                break :blk .{ &made, block, block };
            } else .{ s.dy + row * ow * cout + b * block, cout, cols };
            var ox: usize = 0;
            while (ox < ow) : (ox += 1) {
                if (inside_y and ox == x_begin and x_begin < x_end) {
                    // Interior pixels: every tap in bounds, pointers stepped by adds.
                    var x = s.input + @as(usize, @intCast((@as(isize, @intCast(n)) * w.in_h + iy0) * w.in_w * @as(isize, @intCast(c)))) + (ox * u(w.stride_w) - u(w.pad_left)) * c;
                    var d = dy_row + ox * stride;
                    while (ox < x_end) : (ox += 1) {
                        @prefetch(d + prefetch_pixels * stride, .{ .locality = 3 });
                        const dv = dyBlock(d, dcols);
                        inline for (0..taps) |i| {
                            const xv: V = @splat(x[off[i]]);
                            inline for (0..nv) |k| acc[i][k] += xv * dv[k];
                        }
                        x += step;
                        d += stride;
                    }
                    if (ox == ow) break;
                }
                const dv = dyBlock(dy_row + ox * stride, dcols);
                const ix0 = @as(isize, @intCast(ox * u(w.stride_w))) - w.pad_left;
                const origin = ((@as(isize, @intCast(n)) * w.in_h + iy0) * w.in_w + ix0) * @as(isize, @intCast(c));
                inline for (0..taps) |i| {
                    if (inBounds(&w, iy0 + dy_off[i], ix0 + dx_off[i])) {
                        const xv: V = @splat(s.input[@intCast(origin + @as(isize, @intCast(off[i])))]);
                        inline for (0..nv) |k| acc[i][k] += xv * dv[k];
                    }
                }
            }
        }
        inline for (0..taps) |i| {
            inline for (0..nv) |k| out[i * block + k * lanes ..][0..lanes].* = acc[i][k];
        }
    }

    /// Output row (n, oy)'s gradient over this block's `cols` channels into `made` (block floats a pixel, zeros
    /// past `cols`): the pooled gradient where the pixel is its window's argmax, else 0 (maxpoolGradWindows's
    /// values: train_pool.zig pickGradients).
    fn poolRow(s: *const Grad, pool: *const abi.Pool2dF32Params, made: *[abi.conv_maxpool_floats]f32, n: usize, oy: usize, cols: usize) void {
        const ow = u(s.p.out_w);
        const cout = u(s.p.channels_out);
        const c0 = s.b * block;
        const py = train_pool.GradRows.window(oy, 0, pool.stride_h, pool.kernel_h, pool.out_h) orelse {
            @memset(made[0 .. ow * block], 0);
            return;
        };
        for (0..ow) |ox| {
            const dst = made[ox * block ..][0..block];
            @memset(dst[cols..], 0);
            const px = train_pool.GradRows.window(ox, 0, pool.stride_w, pool.kernel_w, pool.out_w) orelse {
                @memset(dst[0..cols], 0);
                continue;
            };
            const o = ((n * u(pool.out_h) + py) * u(pool.out_w) + px) * cout + c0;
            const base: i32 = @intCast(((n * u(s.p.out_h) + oy) * ow + ox) * cout + c0);
            train_pool.pickGradients(dst.ptr, s.dy + o, s.pooled_arg + o, base, cols);
        }
    }
};

/// Whether every tap of output column ox lies inside the input along x.
fn insideX(w: *const Window, ox: usize) bool {
    const ix0 = @as(isize, @intCast(ox * u(w.stride_w))) - w.pad_left;
    return ix0 >= 0 and ix0 + (w.kernel_w - 1) * w.dilation_w < w.in_w;
}

fn inBounds(w: *const Window, iy: isize, ix: isize) bool {
    return iy >= 0 and iy < w.in_h and ix >= 0 and ix < w.in_w;
}

/// A pixel's dy over one channel block, zeros past the `cols` valid channels.
inline fn dyBlock(dy: [*]const f32, cols: usize) [nv]V {
    var d: [nv]V = undefined;
    if (cols == block) {
        inline for (0..nv) |j| d[j] = dy[j * lanes ..][0..lanes].*;
        return d;
    }
    var tmp: [block]f32 = @splat(0);
    for (0..cols) |k| tmp[k] = dy[k];
    inline for (0..nv) |j| d[j] = tmp[j * lanes ..][0..lanes].*;
    return d;
}

/// Task t of the gradient `ctx` (a `*const Grad`).
pub fn gradTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Grad = @ptrCast(@alignCast(ctx));
    s.task(t);
}

/// Tap groups (tasks per chunk and channel block): groups of at most task_taps.
fn groupsFor(depth: usize) usize {
    return (depth + task_taps - 1) / task_taps;
}

/// Floats of the partial sums (one channel block's, on the caller's stack).
const partial_floats = abi.small_cin_filter_partials;

/// Chunks of `rows` output rows for `depth` taps: abi.small_cin_filter_chunks, fewer when there are fewer rows
/// or their partial sums would not fit in `partial_floats` (reference_train.ts filterChunks: the same rule).
pub fn chunksFor(rows: usize, depth: usize) usize {
    return @max(1, @min(@min(rows, abi.small_cin_filter_chunks), partial_floats / (depth * block)));
}

/// The filter gradient of `p` (its clamp, micro-kernel and keep_cols unused) into `dw` [kh, kw, cin, cout].
pub fn backpropFilter(p: *const abi.Conv2dF32Params, input: [*]const f32, dy: [*]const f32, dw: [*]f32) abi.Status {
    return backpropFilterOf(p, input, dy, null, undefined, dw);
}

/// `backpropFilter` with the output gradient given as a max pooling's (`pool`, see Grad.pool): the gradient
/// pooled_dy and the argmax of conv2d_maxpool.zig's forward pass. The same bits as maxpoolGradWindows then
/// backpropFilter.
pub fn backpropFilterPooled(p: *const abi.Conv2dF32Params, pool: *const abi.Pool2dF32Params, input: [*]const f32, pooled_dy: [*]const f32, argmax: [*]const i32, dw: [*]f32) abi.Status {
    if (!poolFits(p, pool)) return .invalid_argument;
    return backpropFilterOf(p, input, pooled_dy, pool, argmax, dw);
}

/// Whether `pool` is a max pooling of the output of `p` that the fused passes take: the convolution's output
/// shape, disjoint windows (stride ≥ size), no padding before (after, TF's SAME may clip the last window), an
/// output row's block on the stack (conv_maxpool_floats) and indices within i32.
pub fn poolFits(p: *const abi.Conv2dF32Params, pool: *const abi.Pool2dF32Params) bool {
    const w = Window.of(p);
    if (!w.valid() or p.channels_out <= 0) return false;
    if (pool.batch != w.batch or pool.in_h != w.out_h or pool.in_w != w.out_w or pool.channels != p.channels_out) return false;
    if (pool.kernel_h <= 0 or pool.kernel_w <= 0 or pool.stride_h < pool.kernel_h or pool.stride_w < pool.kernel_w) return false;
    if (pool.pad_top != 0 or pool.pad_left != 0 or pool.out_h <= 0 or pool.out_w <= 0) return false;
    if (@as(i64, pool.out_h - 1) * pool.stride_h >= pool.in_h or @as(i64, pool.out_w - 1) * pool.stride_w >= pool.in_w) return false;
    if (@as(i64, w.out_w) * block > abi.conv_maxpool_floats) return false;
    if (@as(i64, pool.kernel_h) * w.out_w * p.channels_out > abi.conv_maxpool_floats) return false;
    return @as(i64, w.batch) * w.out_h * w.out_w * p.channels_out <= std.math.maxInt(i32);
}

fn backpropFilterOf(p: *const abi.Conv2dF32Params, input: [*]const f32, dy: [*]const f32, pool: ?*const abi.Pool2dF32Params, pooled_arg: [*]const i32, dw: [*]f32) abi.Status {
    const w = Window.of(p);
    if (!w.valid() or p.channels_in <= 0 or p.channels_out <= 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const depth_i = @as(i64, w.kernel_h) * w.kernel_w * p.channels_in;
    if (p.channels_in > abi.small_cin_channels or depth_i > abi.small_cin_depth) return .invalid_argument;
    if (@as(i64, w.batch) * w.in_h * w.in_w * p.channels_in > std.math.maxInt(i32)) return .invalid_argument;
    const depth: usize = @intCast(depth_i);
    const cout = u(p.channels_out);
    const groups = groupsFor(depth);
    const chunks = chunksFor(u(w.batch) * u(w.out_h), depth);
    var partials: [partial_floats]f32 align(64) = undefined;
    const func = isa_loops.pick("conv2d_filter_small_cin", gradTask);
    for (0..(cout + block - 1) / block) |b| {
        const s: Grad = .{ .p = p, .input = input, .dy = dy, .partials = &partials, .b = b, .groups = groups, .chunks = chunks, .pool = pool, .pooled_arg = pooled_arg };
        isa_loops.run(u(p.threads), chunks * groups, &s, func);
        const cols = @min(block, cout - b * block);
        for (0..depth) |t| {
            const o = dw + t * cout + b * block;
            @memset(o[0..cols], 0);
            for (0..chunks) |j| {
                const part = partials[(j * depth + t) * block ..];
                for (0..cols) |k| o[k] += part[k];
            }
        }
    }
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_conv2d_backprop_filter_small_cin_f32(params: *const abi.Conv2dF32Params, input: [*]const f32, grad_output: [*]const f32, grad_filter: [*]f32) callconv(.c) i32 {
    return abi.code(backpropFilter(params, input, grad_output, grad_filter));
}

pub fn onebit_conv2d_maxpool_backprop_filter_f32(params: *const abi.Conv2dF32Params, pool: *const abi.Pool2dF32Params, input: [*]const f32, pooled_grad: [*]const f32, argmax: [*]const i32, grad_filter: [*]f32) callconv(.c) i32 {
    return abi.code(backpropFilterPooled(params, pool, input, pooled_grad, argmax, grad_filter));
}
