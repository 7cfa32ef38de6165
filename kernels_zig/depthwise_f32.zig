//! Depthwise convolution, NHWC, filter [1, kernel_h, kernel_w, channels_in·multiplier] (TFLite layout), zero
//! padding. Channel-innermost loops over contiguous memory, which the compiler vectorizes; interior pixels of
//! multiplier-1 layers in register blocks; threads split output rows, and multiplier-1 layers of few rows (a
//! 7x7 output) also channel groups (pool2d.zig's split: a channel's sums are the same in any group, so the bits
//! never depend on the thread count). The row loop has a copy per x86 ISA (isa_loops.zig: AVX2/AVX-512 rather
//! than the baseline's SSE).
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const pool2d = @import("pool2d.zig");
const isa_loops = @import("isa_loops.zig");
const Window = @import("window.zig").Window;
const num = @import("num.zig");
const neon = @import("neon_loops.zig");
const clamp = num.clamp;
const clampVector = num.clampVector;
const u = num.u;

/// One depthwise call as its row tasks read it (extern: the ISA objects' copies share it).
pub const Rows = extern struct {
    p: *const abi.DepthwiseF32Params,
    input: [*]const f32,
    filter: [*]const f32,
    bias: [*]const f32,
    out: [*]f32,
    /// Output rows (batch × out_h) and the channel groups each is cut into (1 unless multiplier 1 and few rows).
    rows: usize,
    groups: usize,

    /// Task t: output row t % rows (batch n, row oy), channel group t / rows.
    fn task(s: *const Rows, t: usize) void {
        const p = s.p;
        const window = Window.of(p);
        const g = &window;
        const cin = u(p.channels_in);
        const mult = u(p.multiplier);
        const cout = cin * mult;
        // Output channels [cb, ce): a group of whole vectors (multiplier 1), or all of them.
        const cb, const ce = pool2d.channelRange(cout, lanes, s.groups, t / s.rows);
        const lo = p.clamp_min;
        const hi = p.clamp_max;
        const oh = u(g.out_h);
        const n = (t % s.rows) / oh;
        const oy = (t % s.rows) % oh;
        // Output columns whose every tap lies inside the input: blocks of them take the register-blocked path.
        const ow = u(g.out_w);
        var fast_begin: usize = ow;
        var fast_end: usize = ow;
        if (mult == 1) {
            const reach = @as(isize, @intCast((u(g.kernel_w) - 1) * u(g.dilation_w)));
            var first: usize = 0;
            while (first < ow and @as(isize, @intCast(first * u(g.stride_w))) < g.pad_left) first += 1;
            var last = first;
            while (last < ow and @as(isize, @intCast(last * u(g.stride_w))) - g.pad_left + reach < g.in_w) last += 1;
            // The interior's last 2-3 pixels past its whole blocks go in one more block ending at `last`, which
            // overlaps the one before it (the overlapped pixels written twice with the same bits) rather than
            // through the per-pixel loop (3 of a 56-wide layer's pixels took ~10% of its time); a last 1 stays
            // there (a block for it was no faster on a 7-wide layer).
            const whole = (last - first) / block_pixels * block_pixels;
            fast_begin = first;
            fast_end = if (whole > 0 and last - first - whole >= 2) last else first + whole;
        }
        var ox: usize = 0;
        while (ox < ow) : (ox += 1) {
            if (ox == fast_begin and fast_begin < fast_end) {
                while (ox < fast_end) : (ox += block_pixels) s.interiorBlock(n, oy, @min(ox, fast_end - block_pixels), cb, ce);
                ox = fast_end;
                if (ox >= ow) break;
            }
            const o = s.out + ((n * oh + oy) * ow + ox) * cout;
            @memcpy(o[cb..ce], s.bias[cb..ce]);
            for (0..u(g.kernel_h)) |ky| {
                const iy = @as(isize, @intCast(oy * u(g.stride_h) + ky * u(g.dilation_h))) - g.pad_top;
                if (iy < 0 or iy >= g.in_h) continue;
                for (0..u(g.kernel_w)) |kx| {
                    const ix = @as(isize, @intCast(ox * u(g.stride_w) + kx * u(g.dilation_w))) - g.pad_left;
                    if (ix < 0 or ix >= g.in_w) continue;
                    const x = s.input + ((n * u(g.in_h) + @as(usize, @intCast(iy))) * u(g.in_w) + @as(usize, @intCast(ix))) * cin;
                    const w = s.filter + (ky * u(g.kernel_w) + kx) * cout;
                    if (mult == 1) {
                        // Whole 16-channel blocks on a hand-scheduled NEON loop (neon_loops.zig), the same sums.
                        const done = if (neon.available and ce - cb >= 16) cb + (ce - cb) / 16 * 16 else cb;
                        if (done > cb) neon.mulAddFloats(o + cb, x + cb, w + cb, (done - cb) / 16);
                        for (done..ce) |c| o[c] += x[c] * w[c];
                    } else {
                        for (0..cin) |ci| {
                            const xv = x[ci];
                            for (ci * mult..(ci + 1) * mult) |c| o[c] += xv * w[c];
                        }
                    }
                }
            }
            for (cb..ce) |c| o[c] = clamp(o[c], lo, hi);
        }
    }

    const block_pixels = 4;
    /// Channels per register: a zmm register on the AVX-512 copy (the sums per lane are the same at any width).
    const lanes = if (builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f)) 16 else 8;
    const V = @Vector(lanes, f32);

    /// interiorBlock's groups of 8 channels on the hand-scheduled NEON loop (neon_loops.zig), the same sums in the
    /// same order, then clamped: returns the channels done (0 when no kernel row is in bounds).
    fn interiorNeon(s: *const Rows, n: usize, oy: usize, ox0: usize, cb: usize, ce: usize) usize {
        const p = s.p;
        const window = Window.of(p);
        const g = &window;
        const c = u(p.channels_in);
        const kh = u(g.kernel_h);
        // The in-bounds kernel rows are consecutive: [ky0, ky1).
        const top = @as(isize, @intCast(oy * u(g.stride_h))) - g.pad_top;
        const dh: isize = g.dilation_h;
        var ky0: usize = 0;
        while (ky0 < kh and top + @as(isize, @intCast(ky0)) * dh < 0) ky0 += 1;
        var ky1 = ky0;
        while (ky1 < kh and top + @as(isize, @intCast(ky1)) * dh < g.in_h) ky1 += 1;
        if (ky0 == ky1) return cb;
        const iy: usize = @intCast(top + @as(isize, @intCast(ky0)) * dh);
        const ix: usize = @intCast(@as(isize, @intCast(ox0 * u(g.stride_w))) - g.pad_left);
        const o = s.out + ((n * u(g.out_h) + oy) * u(g.out_w) + ox0) * c;
        const clamps = !(p.clamp_min == -std.math.inf(f32) and p.clamp_max == std.math.inf(f32));
        const lo: V = @splat(p.clamp_min);
        const hi: V = @splat(p.clamp_max);
        var c0 = cb;
        while (c0 + lanes <= ce) : (c0 += lanes) {
            neon.depthwiseBlock(&.{
                .x = s.input + ((n * u(g.in_h) + iy) * u(g.in_w) + ix) * c + c0,
                .w = s.filter + ky0 * u(g.kernel_w) * c + c0,
                .bias = s.bias + c0,
                .out = o + c0,
                .rows = ky1 - ky0,
                .kernel_w = u(g.kernel_w),
                .pixel_step = u(g.stride_w) * c,
                .tap_step = u(g.dilation_w) * c,
                .x_row_step = u(g.dilation_h) * u(g.in_w) * c,
                .w_step = c,
                .w_row_step = u(g.kernel_w) * c,
                .out_step = c,
            });
            if (clamps) {
                inline for (0..block_pixels) |j| {
                    const v = o[j * c + c0 ..][0..lanes];
                    v.* = clampVector(V, v.*, lo, hi);
                }
            }
        }
        return c0;
    }

    /// interiorBlock's channels [c0, ce) in vectors of `width`, while whole ones fit: the pixels' sums in
    /// registers across the taps (bias, then the taps in order, each lane the per-pixel loop's arithmetic).
    /// Returns the first channel not done.
    inline fn interiorVectors(s: *const Rows, comptime width: usize, n: usize, oy: usize, ox0: usize, cb: usize, ce: usize) usize {
        const W = @Vector(width, f32);
        const p = s.p;
        const window = Window.of(p);
        const g = &window;
        const c = u(p.channels_in);
        const lo: W = @splat(p.clamp_min);
        const hi: W = @splat(p.clamp_max);
        const o = s.out + ((n * u(g.out_h) + oy) * u(g.out_w) + ox0) * c;
        const pixel_step = u(g.stride_w) * c;
        const tap_step = u(g.dilation_w) * c;
        var c0 = cb;
        while (c0 + width <= ce) : (c0 += width) {
            const b: W = s.bias[c0..][0..width].*;
            var acc: [block_pixels]W = @splat(b);
            for (0..u(g.kernel_h)) |ky| {
                const iy = @as(isize, @intCast(oy * u(g.stride_h) + ky * u(g.dilation_h))) - g.pad_top;
                if (iy < 0 or iy >= g.in_h) continue;
                const row = s.input + (n * u(g.in_h) + @as(usize, @intCast(iy))) * u(g.in_w) * c + c0;
                // Tap kx of the block's pixel j is at x + j * pixel_step, x stepping by tap_step: pointers
                // stepped by adds (a multiply per pixel and tap bounded the NEON loop).
                var x = row + @as(usize, @intCast(@as(isize, @intCast(ox0 * u(g.stride_w))) - g.pad_left)) * c;
                var wp = s.filter + ky * u(g.kernel_w) * c + c0;
                for (0..u(g.kernel_w)) |_| {
                    const w: W = wp[0..width].*;
                    inline for (0..block_pixels) |j| {
                        const xj: W = (x + j * pixel_step)[0..width].*;
                        acc[j] += xj * w;
                    }
                    x += tap_step;
                    wp += c;
                }
            }
            inline for (0..block_pixels) |j| {
                o[j * c + c0 ..][0..width].* = clampVector(W, acc[j], lo, hi);
            }
        }
        return c0;
    }

    /// `block_pixels` output pixels from column `ox0` on, multiplier 1, every tap in bounds: per 8 channels, the
    /// pixels' sums stay in registers across the taps (bias, then the taps in order: the loop above's sums),
    /// and each tap's weights are loaded once for all of them.
    fn interiorBlock(s: *const Rows, n: usize, oy: usize, ox0: usize, cb: usize, ce: usize) void {
        const p = s.p;
        const window = Window.of(p);
        const g = &window;
        const c = u(p.channels_in);
        const o = s.out + ((n * u(g.out_h) + oy) * u(g.out_w) + ox0) * c;
        var c0 = cb;
        if (neon.available) c0 = s.interiorNeon(n, oy, ox0, cb, ce);
        c0 = s.interiorVectors(lanes, n, oy, ox0, c0, ce);
        // A group of 8 past the wide vectors (QuickNetSmall's 8-channel stem depthwise on AVX-512).
        if (lanes > 8) c0 = s.interiorVectors(8, n, oy, ox0, c0, ce);
        // Channels past the last group of 8: the per-pixel loop's arithmetic.
        if (c0 < ce) {
            for (0..block_pixels) |j| {
                const oj = o + j * c;
                for (c0..ce) |ch| oj[ch] = s.bias[ch];
                for (0..u(g.kernel_h)) |ky| {
                    const iy = @as(isize, @intCast(oy * u(g.stride_h) + ky * u(g.dilation_h))) - g.pad_top;
                    if (iy < 0 or iy >= g.in_h) continue;
                    for (0..u(g.kernel_w)) |kx| {
                        const ix: usize = @intCast(@as(isize, @intCast((ox0 + j) * u(g.stride_w) + kx * u(g.dilation_w))) - g.pad_left);
                        const x = s.input + ((n * u(g.in_h) + @as(usize, @intCast(iy))) * u(g.in_w) + ix) * c;
                        const w = s.filter + (ky * u(g.kernel_w) + kx) * c;
                        for (c0..ce) |ch| oj[ch] += x[ch] * w[ch];
                    }
                }
                for (c0..ce) |ch| oj[ch] = clamp(oj[ch], p.clamp_min, p.clamp_max);
            }
        }
    }
};

/// Output row t (batch t / out_h, row t % out_h) of the depthwise convolution `ctx` (a `*const Rows`).
pub fn rowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Rows = @ptrCast(@alignCast(ctx));
    s.task(t);
}

/// Multiply-adds below which a depthwise convolution runs on one thread (measured: see threadsFor).
const min_split_macs = 1 << 16;

/// The threads a depthwise convolution runs on: `p.threads`, or 1 below `min_split_macs`.
fn threadsFor(p: *const abi.DepthwiseF32Params) usize {
    const macs = u(p.batch) * u(p.out_h) * u(p.out_w) * u(p.channels_in) * u(p.multiplier) * u(p.kernel_h) * u(p.kernel_w);
    return if (macs < min_split_macs) 1 else u(p.threads);
}

/// Depthwise convolution (abi.DepthwiseF32Params): threads split output rows (and channel groups when few).
pub fn depthwise(p: *const abi.DepthwiseF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, out: [*]f32) abi.Status {
    const g = Window.of(p);
    if (!g.valid() or p.channels_in <= 0 or p.multiplier <= 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const threads = threadsFor(p);
    const rows = u(g.batch) * u(g.out_h);
    const cout = u(p.channels_in) * u(p.multiplier);
    const groups = if (p.multiplier == 1) pool2d.channelGroups(rows, cout, Rows.lanes, threads) else 1;
    const s: Rows = .{ .p = p, .input = input, .filter = filter, .bias = bias, .out = out, .rows = rows, .groups = groups };
    isa_loops.run(threads, rows * groups, &s, isa_loops.pick("depthwise_f32", rowTask));
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_depthwise_conv2d_f32(params: *const abi.DepthwiseF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(depthwise(params, input, filter, bias, output));
}
