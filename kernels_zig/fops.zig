//! Float NHWC ops around the convolutions: depthwise convolution, max and
//! average pooling, same-shape elementwise arithmetic. Channel-innermost
//! loops over contiguous memory, which the compiler vectorizes; threads
//! split output rows.
const std = @import("std");
const abi = @import("abi.zig");
const pool = @import("pool.zig");

fn u(x: i32) usize {
    return @intCast(x);
}

/// Clamp that keeps NaN (Zig's @min/@max would return the bound), as the TS reference.
pub inline fn clamp(v: f32, lo: f32, hi: f32) f32 {
    const low = if (v < lo) lo else v;
    return if (low > hi) hi else low;
}

const Depthwise = struct {
    p: *const abi.DepthwiseF32Params,
    input: [*]const f32,
    filter: [*]const f32,
    bias: [*]const f32,
    out: [*]f32,

    /// One output row (batch n, row oy).
    fn task(ctx: *const anyopaque, t: usize) void {
        const s: *const Depthwise = @ptrCast(@alignCast(ctx));
        const p = s.p;
        const cin = u(p.channels_in);
        const mult = u(p.multiplier);
        const cout = cin * mult;
        const lo = p.clamp_min;
        const hi = p.clamp_max;
        const oh = u(p.out_h);
        const n = t / oh;
        const oy = t % oh;
        // Output columns whose every tap lies inside the input: blocks of them take the register-blocked path.
        const ow = u(p.out_w);
        var fast_begin: usize = ow;
        var fast_end: usize = ow;
        if (mult == 1) {
            const reach = @as(isize, @intCast((u(p.kernel_w) - 1) * u(p.dilation_w)));
            var first: usize = 0;
            while (first < ow and @as(isize, @intCast(first * u(p.stride_w))) < p.pad_left) first += 1;
            var last = first;
            while (last < ow and @as(isize, @intCast(last * u(p.stride_w))) - p.pad_left + reach < p.in_w) last += 1;
            fast_begin = first;
            fast_end = first + (last - first) / block_pixels * block_pixels;
        }
        var ox: usize = 0;
        while (ox < ow) : (ox += 1) {
            if (ox == fast_begin and fast_begin < fast_end) {
                while (ox < fast_end) : (ox += block_pixels) s.interiorBlock(n, oy, ox);
                if (ox >= ow) break;
            }
            const o = s.out + ((n * oh + oy) * ow + ox) * cout;
            @memcpy(o[0..cout], s.bias[0..cout]);
            for (0..u(p.kernel_h)) |ky| {
                const iy = @as(isize, @intCast(oy * u(p.stride_h) + ky * u(p.dilation_h))) - p.pad_top;
                if (iy < 0 or iy >= p.in_h) continue;
                for (0..u(p.kernel_w)) |kx| {
                    const ix = @as(isize, @intCast(ox * u(p.stride_w) + kx * u(p.dilation_w))) - p.pad_left;
                    if (ix < 0 or ix >= p.in_w) continue;
                    const x = s.input + ((n * u(p.in_h) + @as(usize, @intCast(iy))) * u(p.in_w) + @as(usize, @intCast(ix))) * cin;
                    const w = s.filter + (ky * u(p.kernel_w) + kx) * cout;
                    if (mult == 1) {
                        for (0..cout) |c| o[c] += x[c] * w[c];
                    } else {
                        for (0..cin) |ci| {
                            const xv = x[ci];
                            for (ci * mult..(ci + 1) * mult) |c| o[c] += xv * w[c];
                        }
                    }
                }
            }
            for (0..cout) |c| o[c] = clamp(o[c], lo, hi);
        }
    }

    const block_pixels = 4;
    const lanes = 8;
    const V = @Vector(lanes, f32);

    /// `block_pixels` output pixels from column `ox0` on, multiplier 1, every tap in bounds: per 8 channels, the
    /// pixels' sums stay in registers across the taps (bias, then the taps in order: the loop above's sums),
    /// and each tap's weights are loaded once for all of them.
    fn interiorBlock(s: *const Depthwise, n: usize, oy: usize, ox0: usize) void {
        const p = s.p;
        const c = u(p.channels_in);
        const lo: V = @splat(p.clamp_min);
        const hi: V = @splat(p.clamp_max);
        const o = s.out + ((n * u(p.out_h) + oy) * u(p.out_w) + ox0) * c;
        var c0: usize = 0;
        while (c0 + lanes <= c) : (c0 += lanes) {
            const b: V = s.bias[c0..][0..lanes].*;
            var acc: [block_pixels]V = @splat(b);
            for (0..u(p.kernel_h)) |ky| {
                const iy = @as(isize, @intCast(oy * u(p.stride_h) + ky * u(p.dilation_h))) - p.pad_top;
                if (iy < 0 or iy >= p.in_h) continue;
                const row = s.input + (n * u(p.in_h) + @as(usize, @intCast(iy))) * u(p.in_w) * c + c0;
                for (0..u(p.kernel_w)) |kx| {
                    const w: V = (s.filter + (ky * u(p.kernel_w) + kx) * c + c0)[0..lanes].*;
                    const ix0: usize = @intCast(@as(isize, @intCast(ox0 * u(p.stride_w) + kx * u(p.dilation_w))) - p.pad_left);
                    inline for (0..block_pixels) |j| {
                        const x: V = (row + (ix0 + j * u(p.stride_w)) * c)[0..lanes].*;
                        acc[j] += x * w;
                    }
                }
            }
            inline for (0..block_pixels) |j| {
                const low = @select(f32, acc[j] < lo, lo, acc[j]);
                o[j * c + c0 ..][0..lanes].* = @select(f32, low > hi, hi, low);
            }
        }
        // Channels past the last group of 8: the per-pixel loop's arithmetic.
        if (c0 < c) {
            for (0..block_pixels) |j| {
                const oj = o + j * c;
                for (c0..c) |ch| oj[ch] = s.bias[ch];
                for (0..u(p.kernel_h)) |ky| {
                    const iy = @as(isize, @intCast(oy * u(p.stride_h) + ky * u(p.dilation_h))) - p.pad_top;
                    if (iy < 0 or iy >= p.in_h) continue;
                    for (0..u(p.kernel_w)) |kx| {
                        const ix: usize = @intCast(@as(isize, @intCast((ox0 + j) * u(p.stride_w) + kx * u(p.dilation_w))) - p.pad_left);
                        const x = s.input + ((n * u(p.in_h) + @as(usize, @intCast(iy))) * u(p.in_w) + ix) * c;
                        const w = s.filter + (ky * u(p.kernel_w) + kx) * c;
                        for (c0..c) |ch| oj[ch] += x[ch] * w[ch];
                    }
                }
                for (c0..c) |ch| oj[ch] = clamp(oj[ch], p.clamp_min, p.clamp_max);
            }
        }
    }
};

pub fn depthwise(p: *const abi.DepthwiseF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, out: [*]f32) abi.Status {
    if (p.batch < 0 or p.in_h <= 0 or p.in_w <= 0 or p.channels_in <= 0 or p.multiplier <= 0 or
        p.kernel_h <= 0 or p.kernel_w <= 0 or p.stride_h <= 0 or p.stride_w <= 0 or p.dilation_h <= 0 or
        p.dilation_w <= 0 or p.pad_top < 0 or p.pad_left < 0 or p.out_h <= 0 or p.out_w <= 0 or
        p.threads < 1 or p.threads > pool.max_threads) return .invalid_argument;
    const s: Depthwise = .{ .p = p, .input = input, .filter = filter, .bias = bias, .out = out };
    pool.run(u(p.threads), u(p.batch) * u(p.out_h), &s, Depthwise.task);
    return .ok;
}

/// The in-bounds input rows (or columns) of output position `o`: the window clamped at the border.
fn span(o: usize, stride: i32, pad: i32, filter: i32, size: i32) struct { usize, usize } {
    const start = @as(isize, @intCast(o * u(stride))) - pad;
    return .{ @intCast(@max(0, start)), @intCast(@min(size, start + filter)) };
}

/// Pool2dF32Params a pooling kernel can run: positive sizes, threads in range, and every window holding at
/// least one in-bounds tap (TS's SAME/VALID geometry guarantees it; this guards other callers).
fn poolGeometryOk(p: *const abi.Pool2dF32Params) bool {
    if (p.batch < 0 or p.in_h <= 0 or p.in_w <= 0 or p.channels <= 0 or p.filter_h <= 0 or p.filter_w <= 0 or
        p.stride_h <= 0 or p.stride_w <= 0 or p.pad_top < 0 or p.pad_left < 0 or p.out_h <= 0 or p.out_w <= 0 or
        p.threads < 1 or p.threads > pool.max_threads) return false;
    if (p.pad_top >= p.filter_h or p.pad_left >= p.filter_w) return false;
    return @as(i64, p.out_h - 1) * p.stride_h - p.pad_top < p.in_h and
        @as(i64, p.out_w - 1) * p.stride_w - p.pad_left < p.in_w;
}

/// One output pixel of a pooling: its element offset in the output and its in-bounds taps.
const Window = struct {
    out: usize,
    n: usize,
    y0: usize,
    y1: usize,
    x0: usize,
    x1: usize,

    /// Element offset of tap (iy, ix) in the input.
    fn tap(w: Window, p: *const abi.Pool2dF32Params, iy: usize, ix: usize) usize {
        return ((w.n * u(p.in_h) + iy) * u(p.in_w) + ix) * u(p.channels);
    }
};

/// Calls `visit(args, p, window)` for every output pixel, rows of output pixels split over the threads.
fn runWindows(p: *const abi.Pool2dF32Params, args: anytype, comptime visit: fn (@TypeOf(args), *const abi.Pool2dF32Params, Window) void) void {
    const Rows = struct {
        p: *const abi.Pool2dF32Params,
        args: @TypeOf(args),

        fn task(ctx: *const anyopaque, t: usize) void {
            const r: *const @This() = @ptrCast(@alignCast(ctx));
            const q = r.p;
            const oh = u(q.out_h);
            const y0, const y1 = span(t % oh, q.stride_h, q.pad_top, q.filter_h, q.in_h);
            for (0..u(q.out_w)) |ox| {
                const x0, const x1 = span(ox, q.stride_w, q.pad_left, q.filter_w, q.in_w);
                const out = (t * u(q.out_w) + ox) * u(q.channels);
                visit(r.args, q, .{ .out = out, .n = t / oh, .y0 = y0, .y1 = y1, .x0 = x0, .x1 = x1 });
            }
        }
    };
    const r: Rows = .{ .p = p, .args = args };
    pool.run(u(p.threads), u(p.batch) * u(p.out_h), &r, Rows.task);
}

const PoolArgs = struct { input: [*]const f32, out: [*]f32 };

/// Channels a small window pools in registers at once (eight 4-float SSE registers on the baseline build).
const pool_chunk = 32;

fn poolWindow(a: PoolArgs, p: *const abi.Pool2dF32Params, w: Window) void {
    const c = u(p.channels);
    // Small windows (QuickNet's 2x2 and 3x3 max pools): 32 channels at a time held in registers across the taps,
    // one store each. Big windows (a 7x7 average over 1024 channels) keep the loop below, whose every tap streams
    // one contiguous run of channels.
    if ((w.y1 - w.y0) * (w.x1 - w.x0) <= 16 and c >= pool_chunk) return poolWindowChunks(a, p, w);
    const o = a.out + w.out;
    @memset(o[0..c], if (p.kind == 0) -std.math.inf(f32) else 0);
    for (w.y0..w.y1) |iy| {
        for (w.x0..w.x1) |ix| {
            const x = a.input + w.tap(p, iy, ix);
            if (p.kind == 0) {
                for (0..c) |ch| o[ch] = @max(o[ch], x[ch]);
            } else {
                for (0..c) |ch| o[ch] += x[ch];
            }
        }
    }
    const scale: f32 = if (p.kind == 0) 1 else 1 / @as(f32, @floatFromInt((w.y1 - w.y0) * (w.x1 - w.x0)));
    for (0..c) |ch| o[ch] = clamp(o[ch] * scale, p.clamp_min, p.clamp_max);
}

/// poolWindow with the channels in chunks of `pool_chunk` accumulated in registers: the same maxima and the same
/// sums in the same tap order, so the same bits.
fn poolWindowChunks(a: PoolArgs, p: *const abi.Pool2dF32Params, w: Window) void {
    const V = @Vector(pool_chunk, f32);
    const c = u(p.channels);
    const o = a.out + w.out;
    const max = p.kind == 0;
    const scale: f32 = if (max) 1 else 1 / @as(f32, @floatFromInt((w.y1 - w.y0) * (w.x1 - w.x0)));
    const lo: V = @splat(p.clamp_min);
    const hi: V = @splat(p.clamp_max);
    var ch: usize = 0;
    while (ch < c) {
        // The last chunk overlaps the one before it rather than running a scalar tail.
        const at = @min(ch, c - pool_chunk);
        var acc: V = @splat(if (max) -std.math.inf(f32) else 0);
        for (w.y0..w.y1) |iy| {
            for (w.x0..w.x1) |ix| {
                const x: V = (a.input + w.tap(p, iy, ix) + at)[0..pool_chunk].*;
                acc = if (max) @max(acc, x) else acc + x;
            }
        }
        const v = acc * @as(V, @splat(scale));
        const low = @select(f32, v < lo, lo, v);
        o[at..][0..pool_chunk].* = @select(f32, low > hi, hi, low);
        ch = at + pool_chunk;
    }
}

/// Max (kind 0) or average (kind 1, over the in-bounds taps only, as TFLite) pooling.
pub fn pool2d(p: *const abi.Pool2dF32Params, input: [*]const f32, out: [*]f32) abi.Status {
    if ((p.kind != 0 and p.kind != 1) or !poolGeometryOk(p)) return .invalid_argument;
    runWindows(p, PoolArgs{ .input = input, .out = out }, poolWindow);
    return .ok;
}

const ArgPoolArgs = struct { input: [*]const f32, out: [*]f32, arg: [*]i32 };

/// Taps in row-major order, the first maximum kept (a later tap replaces it only when strictly larger: TF's
/// argmax, and NaN in the first tap stays), its input index recorded.
fn argPoolWindow(a: ArgPoolArgs, p: *const abi.Pool2dF32Params, w: Window) void {
    const c = u(p.channels);
    const o = a.out + w.out;
    const arg = a.arg + w.out;
    var first = true;
    for (w.y0..w.y1) |iy| {
        for (w.x0..w.x1) |ix| {
            const base = w.tap(p, iy, ix);
            const x = a.input + base;
            if (first) {
                for (0..c) |ch| {
                    o[ch] = x[ch];
                    arg[ch] = @intCast(base + ch);
                }
                first = false;
                continue;
            }
            // Branch-free (selects), so the channel loop vectorizes.
            const b: i32 = @intCast(base);
            for (0..c) |ch| {
                const v = x[ch];
                const larger = v > o[ch];
                o[ch] = if (larger) v else o[ch];
                arg[ch] = if (larger) b + @as(i32, @intCast(ch)) else arg[ch];
            }
        }
    }
}

/// Max pooling for training: the values, and for each the input index of the window's first maximum (where
/// the gradient goes).
pub fn maxpool2dArgmax(p: *const abi.Pool2dF32Params, input: [*]const f32, out: [*]f32, arg: [*]i32) abi.Status {
    if (!poolGeometryOk(p)) return .invalid_argument;
    const total = @as(i64, p.batch) * p.in_h * p.in_w * p.channels;
    if (total > std.math.maxInt(i32)) return .invalid_argument;
    runWindows(p, ArgPoolArgs{ .input = input, .out = out, .arg = arg }, argPoolWindow);
    return .ok;
}

test "maxpool2dArgmax: the first maximum wins, its index recorded" {
    const input = [_]f32{ 1, 3, 3, 2 }; // 2x2x1
    var out: [1]f32 = undefined;
    var arg: [1]i32 = undefined;
    const p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .filter_h = 2, .filter_w = 2, .stride_h = 2, .stride_w = 2, .pad_top = 0, .pad_left = 0, .out_h = 1, .out_w = 1, .kind = 0, .clamp_min = 0, .clamp_max = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, maxpool2dArgmax(&p, &input, &out, &arg));
    try std.testing.expectEqual(@as(f32, 3), out[0]);
    try std.testing.expectEqual(@as(i32, 1), arg[0]);
}

/// Binary max pooling on bitpacked words (LceBMaxPool2d): the max of ±1 values is +1 unless every tap is -1,
/// so a window's word is the AND of its taps' words (bit 1 = -1). Windows are clamped at the border.
const BPoolArgs = struct { input: [*]const u32, out: [*]u32 };

fn bpoolWindow(a: BPoolArgs, p: *const abi.Pool2dF32Params, w: Window) void {
    const c = u(p.channels);
    const o = a.out + w.out;
    @memset(o[0..c], 0xffff_ffff);
    for (w.y0..w.y1) |iy| {
        for (w.x0..w.x1) |ix| {
            const x = a.input + w.tap(p, iy, ix);
            for (0..c) |ch| o[ch] &= x[ch];
        }
    }
}

/// LceBMaxPool2d on words: `channels` counts packed words; `kind` must be 0 (max), clamps are unused.
pub fn bmaxpool2d(p: *const abi.Pool2dF32Params, input: [*]const u32, out: [*]u32) abi.Status {
    if (p.kind != 0 or !poolGeometryOk(p)) return .invalid_argument;
    runWindows(p, BPoolArgs{ .input = input, .out = out }, bpoolWindow);
    return .ok;
}

test "bmaxpool2d: a window's word is the AND of its taps, clamped at the border" {
    // 2x2 input, 1 word per pixel, 2x2 filter stride 1 with SAME padding (pad 0 top/left): 2x2 output.
    const input = [_]u32{ 0b1100, 0b1010, 0b1001, 0b1111 };
    var out: [4]u32 = undefined;
    const p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .filter_h = 2, .filter_w = 2, .stride_h = 1, .stride_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 2, .out_w = 2, .kind = 0, .clamp_min = 0, .clamp_max = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, bmaxpool2d(&p, &input, &out));
    try std.testing.expectEqualSlices(u32, &.{ 0b1000, 0b1010, 0b1001, 0b1111 }, &out);
}

/// Softmax per row, in the arithmetic of the TS reference: exp in f64 rounded to f32, the f32 values summed in
/// f64, each divided by the sum and rounded once.
pub fn softmax(p: *const abi.SoftmaxF32Params, x: [*]const f32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.depth <= 0 or p.threads < 1 or p.threads > pool.max_threads) return .invalid_argument;
    const depth = u(p.depth);
    const beta: f64 = p.beta;
    for (0..u(p.rows)) |r| {
        const row = x + r * depth;
        const o = out + r * depth;
        var max: f64 = -std.math.inf(f64);
        for (0..depth) |i| max = @max(max, @as(f64, row[i]));
        var sum: f64 = 0;
        for (0..depth) |i| {
            const e: f32 = @floatCast(@exp((@as(f64, row[i]) - max) * beta));
            o[i] = e;
            sum += e;
        }
        for (0..depth) |i| o[i] = @floatCast(@as(f64, o[i]) / sum);
    }
    return .ok;
}

/// LceDequantize: bit c of a row's words → -1 (set) or +1, for `channels` values per row.
pub fn unpack(p: *const abi.BitpackParams, words_in: [*]const u32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.channels <= 0 or p.threads < 1 or p.threads > pool.max_threads) return .invalid_argument;
    const c = u(p.channels);
    const words = (c + 31) / 32;
    for (0..u(p.rows)) |r| {
        const w = words_in + r * words;
        const o = out + r * c;
        for (0..c) |i| o[i] = if ((w[i / 32] >> @intCast(i % 32)) & 1 == 1) -1 else 1;
    }
    return .ok;
}

test "unpack and softmax" {
    const words = [_]u32{ 0b101, 0 };
    var out: [6]f32 = undefined;
    const p: abi.BitpackParams = .{ .rows = 2, .channels = 3, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, unpack(&p, &words, &out));
    try std.testing.expectEqualSlices(f32, &.{ -1, 1, -1, 1, 1, 1 }, &out);
    const x = [_]f32{ 0, 0, 1000, 1000 };
    var y: [4]f32 = undefined;
    const s: abi.SoftmaxF32Params = .{ .rows = 2, .depth = 2, .beta = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, softmax(&s, &x, &y));
    try std.testing.expectEqualSlices(f32, &.{ 0.5, 0.5, 0.5, 0.5 }, &y);
}

const UnaryArgs = struct { p: *const abi.UnaryF32Params, x: [*]const f32, out: [*]f32 };

fn unaryRange(args: UnaryArgs, begin: usize, end: usize) void {
    const p = args.p;
    const x = args.x;
    const out = args.out;
    switch (p.op) {
        0 => for (begin..end) |i| {
            out[i] = @max(x[i], 0);
        },
        1 => for (begin..end) |i| {
            out[i] = @min(@max(x[i], 0), 6);
        },
        2 => for (begin..end) |i| {
            out[i] = @min(@max(x[i], -1), 1);
        },
        // In f64, rounded once: f32 exp/tanh lose a few ulps (TFLite's reference also computes these in float).
        3 => for (begin..end) |i| {
            const v: f64 = x[i];
            out[i] = @floatCast(1 / (1 + @exp(-v)));
        },
        4 => for (begin..end) |i| {
            out[i] = @floatCast(std.math.tanh(@as(f64, x[i])));
        },
        5 => for (begin..end) |i| {
            const v: f64 = x[i];
            out[i] = @floatCast(v * @min(@max(v + 3, 0), 6) / 6);
        },
        else => for (begin..end) |i| {
            out[i] = if (x[i] >= 0) x[i] else x[i] * p.alpha;
        },
    }
}

/// Activations as their own ops (RELU, RELU6, RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU).
pub fn unary(p: *const abi.UnaryF32Params, x: [*]const f32, out: [*]f32) abi.Status {
    if (p.count < 0 or p.op < 0 or p.op > 6 or p.threads < 1 or p.threads > pool.max_threads) return .invalid_argument;
    pool.runRanges(u(p.threads), u(p.count), 1 << 16, UnaryArgs{ .p = p, .x = x, .out = out }, unaryRange);
    return .ok;
}

test "unary: each activation at its edges" {
    const x = [_]f32{ -7, -1, 0, 0.5, 7 };
    var out: [5]f32 = undefined;
    var p: abi.UnaryF32Params = .{ .count = 5, .op = 1, .alpha = 0.1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, unary(&p, &x, &out));
    try std.testing.expectEqualSlices(f32, &.{ 0, 0, 0, 0.5, 6 }, &out);
    p.op = 6;
    try std.testing.expectEqual(abi.Status.ok, unary(&p, &x, &out));
    try std.testing.expectApproxEqAbs(@as(f32, -0.7), out[0], 1e-6);
    p.op = 7;
    try std.testing.expectEqual(abi.Status.invalid_argument, unary(&p, &x, &out));
}

const ElementwiseArgs = struct { p: *const abi.ElementwiseF32Params, a: [*]const f32, b: [*]const f32, out: [*]f32 };

fn elementwiseRange(args: ElementwiseArgs, begin: usize, end: usize) void {
    const p = args.p;
    const a = args.a;
    const b = args.b;
    const out = args.out;
    const lo = p.clamp_min;
    const hi = p.clamp_max;
    switch (p.op) {
        0 => for (begin..end) |i| {
            out[i] = clamp(a[i] + b[i], lo, hi);
        },
        1 => for (begin..end) |i| {
            out[i] = clamp(a[i] - b[i], lo, hi);
        },
        else => for (begin..end) |i| {
            out[i] = clamp(a[i] * b[i], lo, hi);
        },
    }
}

/// out = clamp(a op b) over `count` values; op 0 add, 1 sub, 2 mul. Split over
/// threads from 64K values (below, a wake-up costs more than it saves).
pub fn elementwise(p: *const abi.ElementwiseF32Params, a: [*]const f32, b: [*]const f32, out: [*]f32) abi.Status {
    if (p.count < 0 or p.op < 0 or p.op > 2 or p.threads < 1 or p.threads > pool.max_threads) return .invalid_argument;
    pool.runRanges(u(p.threads), u(p.count), 1 << 16, ElementwiseArgs{ .p = p, .a = a, .b = b, .out = out }, elementwiseRange);
    return .ok;
}

test "pool2d: average counts only in-bounds taps" {
    const input = [_]f32{ 1, 2, 3, 4 }; // 2x2x1
    var out: [4]f32 = undefined;
    const p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .filter_h = 2, .filter_w = 2, .stride_h = 1, .stride_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 2, .out_w = 2, .kind = 1, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, pool2d(&p, &input, &out));
    try std.testing.expectEqualSlices(f32, &.{ 2.5, 3, 3.5, 4 }, &out);
}

test "pool2d: output sizes past the input are refused, not read out of bounds" {
    const input = [_]f32{ 1, 2, 3, 4 };
    var out: [16]f32 = undefined;
    var p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .filter_h = 2, .filter_w = 2, .stride_h = 1, .stride_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 4, .out_w = 1, .kind = 1, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
    try std.testing.expectEqual(abi.Status.invalid_argument, pool2d(&p, &input, &out));
    p.out_h = 3;
    try std.testing.expectEqual(abi.Status.invalid_argument, pool2d(&p, &input, &out));
}

test "clamps keep NaN" {
    try std.testing.expect(std.math.isNan(clamp(std.math.nan(f32), 0, 6)));
    try std.testing.expectEqual(@as(f32, 6), clamp(7, 0, 6));
    try std.testing.expectEqual(@as(f32, 0), clamp(-1, 0, 6));
}
