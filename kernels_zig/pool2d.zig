//! Pooling over NHWC windows clamped at the border: float max and average pooling, max pooling with the
//! argmax for training, and binary max pooling on bitpacked words (LceBMaxPool2d). All three visit the same
//! windows (`runWindows`); threads split output rows, and channels too when the rows are few.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const isa_loops = @import("isa_loops.zig");
const Window = @import("window.zig").Window;
const num = @import("num.zig");
const neon = @import("neon_loops.zig");
const clamp = num.clamp;
const clampVector = num.clampVector;
const u = num.u;

/// The in-bounds input rows (or columns) of output position `o`: the window clamped at the border.
fn span(o: usize, stride: i32, pad: i32, kernel: i32, size: i32) struct { usize, usize } {
    const start = @as(isize, @intCast(o * u(stride))) - pad;
    return .{ @intCast(@max(0, start)), @intCast(@min(size, start + kernel)) };
}

/// Pool2dF32Params a pooling kernel can run: positive sizes, threads in range, and every window holding at
/// least one in-bounds tap (TS's SAME/VALID geometry guarantees it; this guards other callers).
const max_kind = @intFromEnum(abi.PoolKind.max);

fn poolGeometryOk(p: *const abi.Pool2dF32Params) bool {
    const g = Window.of(p);
    if (!g.valid() or p.channels <= 0 or !thread_pool.validThreads(p.threads)) return false;
    if (g.pad_top >= g.kernel_h or g.pad_left >= g.kernel_w) return false;
    return @as(i64, g.out_h - 1) * g.stride_h - g.pad_top < g.in_h and
        @as(i64, g.out_w - 1) * g.stride_w - g.pad_left < g.in_w;
}

/// One output pixel of a pooling: its element offset in the output, its in-bounds taps, and the channels
/// [c0, c1) to pool (a pixel's values stay `p.channels` apart).
const Taps = struct {
    out: usize,
    n: usize,
    y0: usize,
    y1: usize,
    x0: usize,
    x1: usize,
    c0: usize,
    c1: usize,

    /// Element offset of tap (iy, ix) in the input.
    fn tap(w: Taps, p: *const abi.Pool2dF32Params, iy: usize, ix: usize) usize {
        return ((w.n * u(p.in_h) + iy) * u(p.in_w) + ix) * u(p.channels);
    }
};

/// Tasks per thread the split aims at: fewer rows than this (a 7x7 output, a global pool's one row) are cut
/// into channel groups too.
pub const tasks_per_thread = 4;

/// Channel groups per output row: 1 when the rows give every thread `tasks_per_thread` tasks (or on 1 thread),
/// else enough for that, each at least `unit` channels.
pub fn channelGroups(rows: usize, channels: usize, unit: usize, threads: usize) usize {
    const want = tasks_per_thread * threads;
    if (threads <= 1 or rows >= want) return 1;
    return @max(1, @min(channels / unit, (want + rows - 1) / rows));
}

/// Channels [begin, end) of group `i` of `groups`: consecutive, each a multiple of `unit` channels but the last.
pub fn channelRange(channels: usize, unit: usize, groups: usize, i: usize) struct { usize, usize } {
    std.debug.assert(groups >= 1 and i < groups and groups * unit <= @max(unit, channels));
    const units = (channels + unit - 1) / unit;
    return .{ i * units / groups * unit, @min(channels, (i + 1) * units / groups * unit) };
}

/// Calls `visit(args, p, taps)` for the output pixels of task t of a split into `rows` output rows × `groups`
/// channel groups of `unit` channels (group-major: a thread's consecutive tasks keep its channels).
fn windowsOfTask(p: *const abi.Pool2dF32Params, args: anytype, comptime visit: fn (@TypeOf(args), *const abi.Pool2dF32Params, Taps) void, split: Split, t: usize) void {
    const g = Window.of(p);
    const oh = u(g.out_h);
    const row = t % split.rows;
    const c0, const c1 = channelRange(u(p.channels), split.unit, split.groups, t / split.rows);
    const y0, const y1 = span(row % oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
    for (0..u(g.out_w)) |ox| {
        const x0, const x1 = span(ox, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
        const out = (row * u(g.out_w) + ox) * u(p.channels);
        visit(args, p, .{ .out = out, .n = row / oh, .y0 = y0, .y1 = y1, .x0 = x0, .x1 = x1, .c0 = c0, .c1 = c1 });
    }
}

/// Taps (output values × window taps) below which a pooling runs on one thread: a global 7x7 average pool of
/// 1024 channels (50K taps, ~2 µs) took longer on 2 threads than on 1; 2x2 pools to 7x7x512 (100K) gain.
const min_split_taps = 1 << 16;

/// The threads a pooling runs on: `p.threads`, or 1 below `min_split_taps`.
fn threadsFor(p: *const abi.Pool2dF32Params) usize {
    const taps = u(p.batch) * u(p.out_h) * u(p.out_w) * u(p.channels) * u(p.kernel_h) * u(p.kernel_w);
    return if (taps < min_split_taps) 1 else u(p.threads);
}

/// How a pooling's output is cut into tasks: `rows` output rows (batch × out_h), each in `groups` channel groups
/// of whole `unit`s (see channelGroups).
pub const Split = extern struct {
    rows: usize,
    groups: usize,
    unit: usize,

    fn of(p: *const abi.Pool2dF32Params, unit: usize) Split {
        const rows = u(p.batch) * u(p.out_h);
        return .{ .rows = rows, .groups = channelGroups(rows, u(p.channels), unit, threadsFor(p)), .unit = unit };
    }

    pub fn tasks(s: Split) usize {
        return s.rows * s.groups;
    }
};

/// Calls `visit(args, p, taps)` for every output pixel, rows of output pixels (by channel groups of `unit`
/// channels when the rows are few) split over the threads. A channel is pooled by the same arithmetic
/// whichever group holds it, so the split never changes a bit.
fn runWindows(p: *const abi.Pool2dF32Params, unit: usize, args: anytype, comptime visit: fn (@TypeOf(args), *const abi.Pool2dF32Params, Taps) void) void {
    const Rows = struct {
        p: *const abi.Pool2dF32Params,
        args: @TypeOf(args),
        split: Split,

        fn task(ctx: *const anyopaque, t: usize) void {
            const r: *const @This() = @ptrCast(@alignCast(ctx));
            windowsOfTask(r.p, r.args, visit, r.split, t);
        }
    };
    const r: Rows = .{ .p = p, .args = args, .split = .of(p, unit) };
    thread_pool.run(threadsFor(p), r.split.tasks(), &r, Rows.task);
}

const PoolArgs = struct { input: [*]const f32, out: [*]f32 };

/// Channels a small window pools in registers at once (eight 4-float SSE registers on the baseline build).
const pool_chunk = 32;

fn poolWindow(a: PoolArgs, p: *const abi.Pool2dF32Params, w: Taps) void {
    const c = w.c1 - w.c0;
    // Small windows (QuickNet's 2x2 and 3x3 max pools): 32 channels at a time held in registers across the taps,
    // one store each. Big windows (a 7x7 average over 1024 channels) keep the loop below, whose every tap streams
    // one contiguous run of channels.
    if ((w.y1 - w.y0) * (w.x1 - w.x0) <= 16 and c >= pool_chunk) return poolWindowChunks(a, p, w);
    const o = a.out + w.out + w.c0;
    @memset(o[0..c], if (p.kind == max_kind) -std.math.inf(f32) else 0);
    for (w.y0..w.y1) |iy| {
        for (w.x0..w.x1) |ix| {
            const x = a.input + w.tap(p, iy, ix) + w.c0;
            if (p.kind == max_kind) {
                for (0..c) |ch| o[ch] = if (x[ch] > o[ch]) x[ch] else o[ch];
            } else {
                for (0..c) |ch| o[ch] += x[ch];
            }
        }
    }
    const scale: f32 = if (p.kind == max_kind) 1 else 1 / @as(f32, @floatFromInt((w.y1 - w.y0) * (w.x1 - w.x0)));
    for (0..c) |ch| o[ch] = clamp(o[ch] * scale, p.clamp_min, p.clamp_max);
}

/// poolWindow with the channels in chunks of `pool_chunk` accumulated in registers: the same maxima and the same
/// sums in the same tap order, so the same bits. A maximum is `x > acc ? x : acc`, as the TS reference takes it
/// (one maxps on x86, one f32x4.pmax in wasm; @max's NaN rule would cost a libcall per lane there).
fn poolWindowChunks(a: PoolArgs, p: *const abi.Pool2dF32Params, w: Taps) void {
    const V = @Vector(pool_chunk, f32);
    const c = w.c1 - w.c0;
    const o = a.out + w.out + w.c0;
    const max = p.kind == max_kind;
    const scale: f32 = if (max) 1 else 1 / @as(f32, @floatFromInt((w.y1 - w.y0) * (w.x1 - w.x0)));
    const lo: V = @splat(p.clamp_min);
    const hi: V = @splat(p.clamp_max);
    var ch: usize = 0;
    while (ch < c) {
        // The last chunk overlaps the one before it rather than running a scalar tail.
        const at = @min(ch, c - pool_chunk);
        if (neon.available) {
            // A hand-scheduled NEON loop over the window (neon_loops.zig): the same maxima and sums.
            // Taps are a pixel (`p.channels` floats) apart, whatever channel group this task pools.
            const first = a.input + w.tap(p, w.y0, w.x0) + w.c0 + at;
            const rows, const taps = .{ w.y1 - w.y0, w.x1 - w.x0 };
            const pixel = u(p.channels);
            if (max) neon.poolChunk(true, first, rows, taps, pixel, u(p.in_w) * pixel, o + at) else neon.poolChunk(false, first, rows, taps, pixel, u(p.in_w) * pixel, o + at);
            if (!max or p.clamp_min != -std.math.inf(f32) or p.clamp_max != std.math.inf(f32)) {
                const acc: V = o[at..][0..pool_chunk].*;
                o[at..][0..pool_chunk].* = clampVector(V, acc * @as(V, @splat(scale)), lo, hi);
            }
            ch = at + pool_chunk;
            continue;
        }
        var acc: V = @splat(if (max) -std.math.inf(f32) else 0);
        for (w.y0..w.y1) |iy| {
            // Taps along a row are `c` floats apart: a pointer stepped by an add, not a tap() multiply per tap.
            var tap = a.input + w.tap(p, iy, w.x0) + w.c0 + at;
            for (w.x0..w.x1) |_| {
                const x: V = tap[0..pool_chunk].*;
                acc = if (max) @select(f32, x > acc, x, acc) else acc + x;
                tap += u(p.channels);
            }
        }
        o[at..][0..pool_chunk].* = clampVector(V, acc * @as(V, @splat(scale)), lo, hi);
        ch = at + pool_chunk;
    }
}

/// One float pooling as its row tasks read it (extern: the ISA objects' copies share it).
pub const PoolRows = extern struct {
    p: *const abi.Pool2dF32Params,
    input: [*]const f32,
    out: [*]f32,
    split: Split,
};

/// Task t of the float pooling `ctx` (a `*const PoolRows`): an output row, or a channel group of one when the
/// rows are few. With stride_w 1 and a whole row, the pixels whose windows lie inside the input's width are one
/// run of floats in the output and, per tap, in the input: they pool as one (`poolRun`); the others window by
/// window.
pub fn poolRowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const r: *const PoolRows = @ptrCast(@alignCast(ctx));
    const p = r.p;
    const a: PoolArgs = .{ .input = r.input, .out = r.out };
    if (r.split.groups != 1) return windowsOfTask(p, a, poolWindow, r.split, t);
    const c = u(p.channels);
    const ow = u(p.out_w);
    // Interior columns [first, end): ox - pad_left >= 0 and ox - pad_left + kernel_w <= in_w.
    const first = u(p.pad_left);
    const end = @min(ow, @as(usize, @intCast(@max(0, p.in_w - p.kernel_w + p.pad_left + 1))));
    // On aarch64 the windows run the hand-scheduled NEON loop (poolWindowChunks), measured there; the run is x86's.
    if (neon.available or p.stride_w != 1 or end <= first or (end - first) * c < pool_chunk) {
        return windowsOfTask(p, a, poolWindow, r.split, t);
    }
    const oh = u(p.out_h);
    const y0, const y1 = span(t % oh, p.stride_h, p.pad_top, p.kernel_h, p.in_h);
    const row: Taps = .{ .out = t * ow * c, .n = t / oh, .y0 = y0, .y1 = y1, .x0 = 0, .x1 = 0, .c0 = 0, .c1 = c };
    for (0..ow) |ox| {
        if (ox == first) poolRun(a, p, row, first, end);
        if (ox >= first and ox < end) continue;
        const x0, const x1 = span(ox, p.stride_w, p.pad_left, p.kernel_w, p.in_w);
        poolWindow(a, p, .{ .out = row.out + ox * c, .n = row.n, .y0 = y0, .y1 = y1, .x0 = x0, .x1 = x1, .c0 = 0, .c1 = c });
    }
}

/// Output pixels [first, end) of the output row `w` (its first float at w.out, its input rows w.y0..w.y1),
/// stride_w 1, every window inside the input's width: pixel ox's tap (iy, kx) is input pixel ox - pad_left + kx,
/// so the run's floats of one tap are contiguous. The same maxima and sums, in the same tap order (rows, then
/// columns), as poolWindow: the same bits.
fn poolRun(a: PoolArgs, p: *const abi.Pool2dF32Params, w: Taps, first: usize, end: usize) void {
    const V = @Vector(pool_chunk, f32);
    const c = u(p.channels);
    const kw = u(p.kernel_w);
    const len = (end - first) * c;
    const max = p.kind == max_kind;
    const scale: f32 = if (max) 1 else 1 / @as(f32, @floatFromInt((w.y1 - w.y0) * kw));
    const lo: V = @splat(p.clamp_min);
    const hi: V = @splat(p.clamp_max);
    const o = a.out + w.out + first * c;
    const src = first - u(p.pad_left);
    var e: usize = 0;
    while (e < len) {
        // The last chunk overlaps the one before it rather than running a scalar tail.
        const at = @min(e, len - pool_chunk);
        var acc: V = @splat(if (max) -std.math.inf(f32) else 0);
        for (w.y0..w.y1) |iy| {
            var tap = a.input + w.tap(p, iy, src) + at;
            for (0..kw) |_| {
                const v: V = tap[0..pool_chunk].*;
                acc = if (max) @select(f32, v > acc, v, acc) else acc + v;
                tap += c;
            }
        }
        o[at..][0..pool_chunk].* = clampVector(V, acc * @as(V, @splat(scale)), lo, hi);
        e = at + pool_chunk;
    }
}

/// Max or average (over the in-bounds taps only, as TFLite) pooling, `kind` an abi.PoolKind; the row loop has
/// a copy per x86 ISA (isa_loops.zig).
pub fn pool2d(p: *const abi.Pool2dF32Params, input: [*]const f32, out: [*]f32) abi.Status {
    if (abi.opCode(abi.PoolKind, p.kind) == null or !poolGeometryOk(p)) return .invalid_argument;
    const r: PoolRows = .{ .p = p, .input = input, .out = out, .split = .of(p, pool_chunk) };
    isa_loops.run(threadsFor(p), r.split.tasks(), &r, isa_loops.pick("pool2d_f32", poolRowTask));
    return .ok;
}

const ArgPoolArgs = struct { input: [*]const f32, out: [*]f32, arg: [*]i32 };

/// Taps in row-major order, the first maximum kept (a later tap replaces it only when strictly larger: TF's
/// argmax, and NaN in the first tap stays), its input index recorded.
fn argPoolWindow(a: ArgPoolArgs, p: *const abi.Pool2dF32Params, w: Taps) void {
    const c = w.c1 - w.c0;
    if (c >= pool_chunk) return argPoolWindowChunks(a, p, w);
    const o = a.out + w.out + w.c0;
    const arg = a.arg + w.out + w.c0;
    var first = true;
    for (w.y0..w.y1) |iy| {
        for (w.x0..w.x1) |ix| {
            const base = w.tap(p, iy, ix) + w.c0;
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

/// argPoolWindow with the channels in chunks of `pool_chunk`, values and indices held in registers across the
/// taps: the same comparisons in the same order, so the same maxima and indices.
fn argPoolWindowChunks(a: ArgPoolArgs, p: *const abi.Pool2dF32Params, w: Taps) void {
    const V = @Vector(pool_chunk, f32);
    const I = @Vector(pool_chunk, i32);
    const iota: I = std.simd.iota(i32, pool_chunk);
    const c = w.c1 - w.c0;
    const o = a.out + w.out + w.c0;
    const arg = a.arg + w.out + w.c0;
    var ch: usize = 0;
    while (ch < c) {
        // The last chunk overlaps the one before it rather than running a scalar tail.
        const at = @min(ch, c - pool_chunk);
        var base = w.tap(p, w.y0, w.x0) + w.c0 + at;
        var acc: V = a.input[base..][0..pool_chunk].*;
        var idx: I = @as(I, @splat(@intCast(base))) + iota;
        for (w.y0..w.y1) |iy| {
            for (w.x0..w.x1) |ix| {
                if (iy == w.y0 and ix == w.x0) continue;
                base = w.tap(p, iy, ix) + w.c0 + at;
                const x: V = a.input[base..][0..pool_chunk].*;
                const larger = x > acc;
                acc = @select(f32, larger, x, acc);
                idx = @select(i32, larger, @as(I, @splat(@intCast(base))) + iota, idx);
            }
        }
        o[at..][0..pool_chunk].* = acc;
        arg[at..][0..pool_chunk].* = idx;
        ch = at + pool_chunk;
    }
}

/// One max pooling with argmax as its row tasks read it (extern: the ISA objects' copies share it).
pub const ArgRows = extern struct {
    p: *const abi.Pool2dF32Params,
    input: [*]const f32,
    out: [*]f32,
    arg: [*]i32,
    split: Split,
};

/// Task t of the max pooling with argmax `ctx` (a `*const ArgRows`).
pub fn argRowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const r: *const ArgRows = @ptrCast(@alignCast(ctx));
    windowsOfTask(r.p, ArgPoolArgs{ .input = r.input, .out = r.out, .arg = r.arg }, argPoolWindow, r.split, t);
}

/// Output row `row` of the max pooling with argmax `p`, every channel, on the calling thread (conv2d_maxpool.zig
/// pools the rows it made on its stack with it: the same comparisons as `maxpool2dArgmax`).
pub fn maxpoolArgmaxRow(p: *const abi.Pool2dF32Params, input: [*]const f32, out: [*]f32, arg: [*]i32, row: usize) void {
    const split: Split = .{ .rows = u(p.batch) * u(p.out_h), .groups = 1, .unit = pool_chunk };
    windowsOfTask(p, ArgPoolArgs{ .input = input, .out = out, .arg = arg }, argPoolWindow, split, row);
}

/// Max pooling for training: the values, and for each the input index of the window's first maximum (where
/// the gradient goes). The row loop has a copy per x86 ISA (isa_loops.zig).
pub fn maxpool2dArgmax(p: *const abi.Pool2dF32Params, input: [*]const f32, out: [*]f32, arg: [*]i32) abi.Status {
    if (!poolGeometryOk(p)) return .invalid_argument;
    const total = @as(i64, p.batch) * p.in_h * p.in_w * p.channels;
    if (total > std.math.maxInt(i32)) return .invalid_argument;
    const r: ArgRows = .{ .p = p, .input = input, .out = out, .arg = arg, .split = .of(p, pool_chunk) };
    isa_loops.run(threadsFor(p), r.split.tasks(), &r, isa_loops.pick("maxpool_argmax_f32", argRowTask));
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_pool2d_f32(params: *const abi.Pool2dF32Params, input: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(pool2d(params, input, output));
}

pub fn onebit_maxpool2d_argmax_f32(params: *const abi.Pool2dF32Params, input: [*]const f32, output: [*]f32, argmax: [*]i32) callconv(.c) i32 {
    return abi.code(maxpool2dArgmax(params, input, output, argmax));
}

pub fn onebit_bmaxpool2d_b32(params: *const abi.Pool2dF32Params, input: [*]const u32, output: [*]u32) callconv(.c) i32 {
    return abi.code(bmaxpool2d(params, input, output));
}

test "maxpool2dArgmax: the first maximum wins, its index recorded" {
    const input = [_]f32{ 1, 3, 3, 2 }; // 2x2x1
    var out: [1]f32 = undefined;
    var arg: [1]i32 = undefined;
    const p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2, .pad_top = 0, .pad_left = 0, .out_h = 1, .out_w = 1, .kind = 0, .clamp_min = 0, .clamp_max = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, maxpool2dArgmax(&p, &input, &out, &arg));
    try std.testing.expectEqual(@as(f32, 3), out[0]);
    try std.testing.expectEqual(@as(i32, 1), arg[0]);
}

/// Binary max pooling on bitpacked words (LceBMaxPool2d): the max of ±1 values is +1 unless every tap is -1,
/// so a window's word is the AND of its taps' words (bit 1 = -1). Windows are clamped at the border.
const BPoolArgs = struct { input: [*]const u32, out: [*]u32 };

fn bpoolWindow(a: BPoolArgs, p: *const abi.Pool2dF32Params, w: Taps) void {
    const c = w.c1 - w.c0;
    const o = a.out + w.out + w.c0;
    @memset(o[0..c], 0xffff_ffff);
    for (w.y0..w.y1) |iy| {
        for (w.x0..w.x1) |ix| {
            const x = a.input + w.tap(p, iy, ix) + w.c0;
            for (0..c) |ch| o[ch] &= x[ch];
        }
    }
}

/// LceBMaxPool2d on words: `channels` counts packed words; `kind` must be 0 (max), clamps are unused.
pub fn bmaxpool2d(p: *const abi.Pool2dF32Params, input: [*]const u32, out: [*]u32) abi.Status {
    if (p.kind != max_kind or !poolGeometryOk(p)) return .invalid_argument;
    runWindows(p, 1, BPoolArgs{ .input = input, .out = out }, bpoolWindow);
    return .ok;
}

test "bmaxpool2d: a window's word is the AND of its taps, clamped at the border" {
    // 2x2 input, 1 word per pixel, 2x2 filter stride 1 with SAME padding (pad 0 top/left): 2x2 output.
    const input = [_]u32{ 0b1100, 0b1010, 0b1001, 0b1111 };
    var out: [4]u32 = undefined;
    const p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .kernel_h = 2, .kernel_w = 2, .stride_h = 1, .stride_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 2, .out_w = 2, .kind = 0, .clamp_min = 0, .clamp_max = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, bmaxpool2d(&p, &input, &out));
    try std.testing.expectEqualSlices(u32, &.{ 0b1000, 0b1010, 0b1001, 0b1111 }, &out);
}

test "pool2d: a max keeps the first of equal taps (+0 before -0 and -0 before +0) and skips NaN, as the TS reference" {
    // Both paths: channels < 32 (one at a time) and 32 (a chunk in registers).
    inline for (.{ 1, 32 }) |c| {
        var input: [2 * c]f32 = undefined; // 1x1x2xc: two taps
        for (0..c) |ch| {
            input[ch] = if (ch % 2 == 0) 0.0 else -0.0;
            input[c + ch] = if (ch % 2 == 0) -0.0 else 0.0;
        }
        if (c > 2) input[c + 2] = std.math.nan(f32);
        var out: [c]f32 = undefined;
        const p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 1, .in_w = 2, .channels = c, .kernel_h = 1, .kernel_w = 2, .stride_h = 1, .stride_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 1, .out_w = 1, .kind = 0, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
        try std.testing.expectEqual(abi.Status.ok, pool2d(&p, &input, &out));
        for (0..c) |ch| try std.testing.expectEqual(@as(u32, @bitCast(input[ch])), @as(u32, @bitCast(out[ch])));
    }
}

test "pool2d: average counts only in-bounds taps" {
    const input = [_]f32{ 1, 2, 3, 4 }; // 2x2x1
    var out: [4]f32 = undefined;
    const p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .kernel_h = 2, .kernel_w = 2, .stride_h = 1, .stride_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 2, .out_w = 2, .kind = 1, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, pool2d(&p, &input, &out));
    try std.testing.expectEqualSlices(f32, &.{ 2.5, 3, 3.5, 4 }, &out);
}

test "pool2d: output sizes past the input are refused, not read out of bounds" {
    const input = [_]f32{ 1, 2, 3, 4 };
    var out: [16]f32 = undefined;
    var p: abi.Pool2dF32Params = .{ .batch = 1, .in_h = 2, .in_w = 2, .channels = 1, .kernel_h = 2, .kernel_w = 2, .stride_h = 1, .stride_w = 1, .pad_top = 0, .pad_left = 0, .out_h = 4, .out_w = 1, .kind = 1, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
    try std.testing.expectEqual(abi.Status.invalid_argument, pool2d(&p, &input, &out));
    p.out_h = 3;
    try std.testing.expectEqual(abi.Status.invalid_argument, pool2d(&p, &input, &out));
}

test "channelGroups and channelRange: every channel in one group, groups of whole units, enough tasks when it pays" {
    for ([_]usize{ 1, 2, 3, 8 }) |threads| {
        for ([_]usize{ 1, 2, 7, 8, 56 }) |rows| {
            for ([_]usize{ 1, 31, 32, 64, 65, 1000 }) |channels| {
                for ([_]usize{ 1, 32 }) |unit| {
                    const groups = channelGroups(rows, channels, unit, threads);
                    try std.testing.expect(groups >= 1);
                    if (threads == 1 or rows >= tasks_per_thread * threads) try std.testing.expectEqual(@as(usize, 1), groups);
                    try std.testing.expect(rows * groups >= tasks_per_thread * threads or groups == @max(1, channels / unit) or groups == 1);
                    var next: usize = 0;
                    for (0..groups) |i| {
                        const begin, const end = channelRange(channels, unit, groups, i);
                        try std.testing.expect(begin == next and end > begin and begin % unit == 0);
                        next = end;
                    }
                    try std.testing.expectEqual(channels, next);
                }
            }
        }
    }
}
