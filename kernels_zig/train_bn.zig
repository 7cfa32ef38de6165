//! BatchNormalization in training mode, forward and backward, one pass of
//! each over [rows, channels] (NHWC flattened), in the arithmetic of the
//! TypeScript reference (kernels/reference_train.ts), bit for bit: forward in
//! float32 (batch moments summed by row chunks, then TF's
//! inv = γ/sqrt(var + ε), y = x·inv + (β - mean·inv)); backward in float64
//! (x̂ = (x - μ)·invStd, dβ = Σdy, dγ = Σdy·x̂,
//! dx = γ·invStd/n · (n·dy - Σdy - x̂·Σdy·x̂)). A sum over the rows is the sum,
//! from 0 in chunk order, of its chunks' sums, each over its rows in order
//! (`Chunks`: up to `max_chunks` chunks of at least `chunk_min_rows` rows, cut
//! by the row count alone). Channels go in blocks of at most `block`: every
//! channel has its own sums, so their rounding is the reference's whatever the
//! block width, vector width or thread count. On several threads, a layer of
//! too few channels for two 64-channel blocks a thread runs in two phases:
//! the chunks' sums over narrower channel blocks (reads only, a task per block
//! and chunk), combined on the calling thread into per-channel coefficients,
//! then the outputs over bands of rows (each thread writes whole rows: no cache
//! line shared), as the one-phase pass computes them.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const isa_loops = @import("isa_loops.zig");
const u = @import("num.zig").u;

/// One batch normalization over `rows` rows of `channels` values (every axis
/// but the last flattened into rows). `has_gamma` / `has_beta` (0 or 1):
/// whether the scale and the offset arrays are read; `epsilon` is added to
/// the variance.
pub const BnTrainParams = extern struct {
    rows: i32,
    channels: i32,
    has_gamma: i32,
    has_beta: i32,
    epsilon: f32,
    threads: i32,
};

/// Channels one block holds on the stack.
const block = 64;

/// Channels of the narrowest block of a two-phase pass's sums (32 floats: the two cache lines of a row the
/// L2 prefetcher fetches together, so that no two threads pull the same lines).
const min_width = 32;

/// Channels up to which a pass may run in two phases (its coefficients live on the caller's stack).
const max_two_phase_channels = 512;

/// Per-channel coefficients of a two-phase pass: forward inv and shift; backward mean, invStd, scale, Σdy, Σdy·x̂;
/// and the chunks' sums they are made from (forward: Σx, then Σ(x - mean)² about `mean32`; backward: Σdy, Σdy·x̂).
const Coefs = struct {
    inv: [max_two_phase_channels]f32,
    shift: [max_two_phase_channels]f32,
    mean32: [max_two_phase_channels]f32,
    mean: [max_two_phase_channels]f64,
    inv_std: [max_two_phase_channels]f64,
    scale: [max_two_phase_channels]f64,
    sum_dy: [max_two_phase_channels]f64,
    sum_dy_xhat: [max_two_phase_channels]f64,
    part: [max_chunks][max_two_phase_channels]f32,
    part_dy: [max_chunks][max_two_phase_channels]f64,
    part_dy_xhat: [max_chunks][max_two_phase_channels]f64,
};

/// Most row chunks a sum has, and the fewest rows a chunk of several has.
pub const max_chunks = abi.bn_max_chunks;
pub const chunk_min_rows = abi.bn_chunk_rows;

/// The row chunks of a pass's sums: ceil(rows / chunk_min_rows) of them, at most `max_chunks`, of ceil(rows / count)
/// rows (the last fewer), cut by the row count alone so that the bits never depend on the thread count.
pub const Chunks = struct {
    count: usize,
    size: usize,

    pub fn of(rows: usize) Chunks {
        const count = @max(1, @min(max_chunks, (rows + chunk_min_rows - 1) / chunk_min_rows));
        return .{ .count = count, .size = @max(1, (rows + count - 1) / count) };
    }

    /// Rows [begin, end) of chunk i.
    pub fn range(ch: Chunks, i: usize, rows: usize) struct { usize, usize } {
        const begin = @min(rows, i * ch.size);
        return .{ begin, @min(rows, begin + ch.size) };
    }
};

/// Item `item` of a two-phase pass's sums (item = block · chunks + chunk): channels [j0, j0 + w) of `chunk`, whose
/// rows are [r0, r1).
const Item = struct {
    j0: usize,
    w: usize,
    chunk: usize,
    r0: usize,
    r1: usize,

    fn of(a: Args, ch: Chunks, item: usize) Item {
        const j0 = item / ch.count * a.width;
        const chunk = item % ch.count;
        const r0, const r1 = ch.range(chunk, u(a.p.rows));
        return .{ .j0 = j0, .w = @min(a.width, u(a.p.channels) - j0), .chunk = chunk, .r0 = r0, .r1 = r1 };
    }
};

/// Values below which a pass runs on the calling thread (a wake-up costs more than it saves).
const min_split_values = 1 << 16;

/// One pass's arrays (extern: the ISA objects' copies of the loops share it).
pub const Args = extern struct {
    p: *const BnTrainParams,
    x: [*]const f32,
    gamma: [*]const f32,
    beta: [*]const f32,
    /// Forward: y. Backward: dx.
    out: [*]f32,
    /// [mean | variance | invStd], `channels` each.
    stats: [*]f32,
    dy: [*]const f32 = undefined,
    dgamma: [*]f32 = undefined,
    dbeta: [*]f32 = undefined,
    /// Channels of a block (the last may have fewer): at most `block`.
    width: usize = block,
    /// A two-phase pass's coefficients: the blocks then only fill them, the rows pass writes the output.
    coefs: ?*Coefs = null,
};

fn valid(p: *const BnTrainParams) bool {
    return p.rows >= 0 and p.channels >= 0 and (p.has_gamma == 0 or p.has_gamma == 1) and
        (p.has_beta == 0 or p.has_beta == 1) and p.epsilon > 0 and thread_pool.validThreads(p.threads);
}

/// Forward over channel blocks [b0, b1) (the one-phase pass).
fn forwardBlocks(a: Args, b0: usize, b1: usize) void {
    const rows = u(a.p.rows);
    const c = u(a.p.channels);
    for (b0..b1) |b| {
        const j0 = b * a.width;
        const w = @min(a.width, c - j0);
        var sum: [block]f32 = undefined;
        chunkedColumnSums(.plain, a.x + j0, c, rows, w, &sum, &sum);
        const count: f32 = @floatFromInt(rows);
        var mean: [block]f32 = undefined;
        for (0..w) |j| mean[j] = sum[j] / count;
        chunkedColumnSums(.squares, a.x + j0, c, rows, w, &mean, &sum);
        var inv: [block]f32 = undefined;
        var shift: [block]f32 = undefined;
        for (0..w) |j| inv[j], shift[j] = forwardCoefficients(a, j0 + j, mean[j], sum[j], count);
        normalize(a.x + j0, a.out + j0, c, rows, w, &inv, &shift);
    }
}

/// Channel j's inv and shift from its mean and Σ(x - mean)², its stats written.
inline fn forwardCoefficients(a: Args, j: usize, mean: f32, squares: f32, count: f32) struct { f32, f32 } {
    const c = u(a.p.channels);
    const variance = squares / count;
    const inv_std = 1 / @sqrt(variance + a.p.epsilon);
    const inv = if (a.p.has_gamma == 1) inv_std * a.gamma[j] else inv_std;
    const m = mean * inv;
    a.stats[j] = mean;
    a.stats[c + j] = variance;
    a.stats[2 * c + j] = inv_std;
    return .{ inv, if (a.p.has_beta == 1) a.beta[j] - m else -m };
}

/// columnSums by row chunks (`Chunks`): from 0, each chunk's sum added in chunk order.
fn chunkedColumnSums(comptime what: Summand, x: [*]const f32, stride: usize, rows: usize, w: usize, mean: *const [block]f32, total: *[block]f32) void {
    const ch = Chunks.of(rows);
    var part: [block]f32 = undefined;
    var sum: [block]f32 = @splat(0);
    for (0..ch.count) |i| {
        const r0, const r1 = ch.range(i, rows);
        columnSums(what, x + r0 * stride, stride, r1 - r0, w, mean, &part);
        for (0..w) |j| sum[j] += part[j];
    }
    @memcpy(total[0..w], sum[0..w]);
}

/// A two-phase forward pass's chunk sums of (block, chunk) items [first, end) (item = block · chunks + chunk) into
/// `part`: of x, or of (x - mean32)².
fn forwardPartials(comptime what: Summand, a: Args, first: usize, end: usize) void {
    const rows = u(a.p.rows);
    const c = u(a.p.channels);
    const k = a.coefs.?;
    const ch = Chunks.of(rows);
    for (first..end) |item| {
        const t = Item.of(a, ch, item);
        var mean: [block]f32 = undefined;
        if (what == .squares) @memcpy(mean[0..t.w], k.mean32[t.j0..][0..t.w]);
        var part: [block]f32 = undefined;
        columnSums(what, a.x + t.r0 * c + t.j0, c, t.r1 - t.r0, t.w, &mean, &part);
        @memcpy(k.part[t.chunk][t.j0..][0..t.w], part[0..t.w]);
    }
}

/// Channel j's sum of the chunks' sums in `part`, from 0 in chunk order.
fn chunkTotal(comptime T: type, part: *const [max_chunks][max_two_phase_channels]T, chunks: usize, j: usize) T {
    var t: T = 0;
    for (0..chunks) |i| t += part[i][j];
    return t;
}

/// The forward pass in two phases on `threads` threads, sums over blocks of `width` channels (see the file's doc).
fn forwardTwoPhase(p: *const BnTrainParams, args: Args, threads: usize, width: usize) void {
    const c = u(p.channels);
    const rows = u(p.rows);
    var coefs: Coefs = undefined;
    var a = args;
    a.coefs = &coefs;
    a.width = width;
    const ch = Chunks.of(rows);
    const items = (c + width - 1) / width * ch.count;
    const count: f32 = @floatFromInt(rows);
    runLoop(threads, items, a, .forward_partial_sums);
    for (0..c) |j| coefs.mean32[j] = chunkTotal(f32, &coefs.part, ch.count, j) / count;
    runLoop(threads, items, a, .forward_partial_squares);
    for (0..c) |j| coefs.inv[j], coefs.shift[j] = forwardCoefficients(a, j, coefs.mean32[j], chunkTotal(f32, &coefs.part, ch.count, j), count);
    runLoop(threads, rows, a, .forward_rows);
}

/// y[r·stride + j] = x[r·stride + j]·inv[j] + shift[j] for rows r and channels j < w (a product rounded, then
/// added, as in the reference), 16 channels a vector.
fn normalize(x: [*]const f32, y: [*]f32, stride: usize, rows: usize, w: usize, inv: *const [block]f32, shift: *const [block]f32) void {
    switch (w / lanes) {
        inline 0...block / lanes => |n| {
            var k: [n]V = undefined;
            var s: [n]V = undefined;
            inline for (0..n) |v| {
                k[v] = inv[v * lanes ..][0..lanes].*;
                s[v] = shift[v * lanes ..][0..lanes].*;
            }
            for (0..rows) |r| {
                const xr = x + r * stride;
                const yr = y + r * stride;
                inline for (0..n) |v| {
                    const xv: V = xr[v * lanes ..][0..lanes].*;
                    yr[v * lanes ..][0..lanes].* = xv * k[v] + s[v];
                }
            }
        },
        else => unreachable,
    }
    for (w / lanes * lanes..w) |j| {
        for (0..rows) |r| y[r * stride + j] = x[r * stride + j] * inv[j] + shift[j];
    }
}

const lanes = 16;
const V = @Vector(lanes, f32);

/// What `columnSums` adds up: x, or (x - mean)².
const Summand = enum { plain, squares };

/// sum[j] = Σ over rows r in order of x[r·stride + j] (or of (x - mean[j])²), j < w, in float32: 16-channel
/// vectors in registers while the rows stream by (each lane its channel's sum in row order, the reference's
/// bits), a tail of fewer channels one by one. `mean` and `sum` may be the same array for `.plain`.
fn columnSums(comptime what: Summand, x: [*]const f32, stride: usize, rows: usize, w: usize, mean: *const [block]f32, sum: *[block]f32) void {
    std.debug.assert(w <= block);
    switch (w / lanes) {
        inline 0...block / lanes => |n| {
            var m: [n]V = undefined;
            inline for (0..n) |v| m[v] = mean[v * lanes ..][0..lanes].*;
            var acc: [n]V = @splat(@splat(0));
            for (0..rows) |r| {
                const row = x + r * stride;
                inline for (0..n) |v| {
                    const xv: V = row[v * lanes ..][0..lanes].*;
                    if (what == .squares) {
                        const d = xv - m[v];
                        acc[v] += d * d;
                    } else acc[v] += xv;
                }
            }
            inline for (0..n) |v| sum[v * lanes ..][0..lanes].* = acc[v];
        },
        else => unreachable,
    }
    for (w / lanes * lanes..w) |j| {
        const mj = mean[j];
        var s: f32 = 0;
        for (0..rows) |r| {
            const xj = x[r * stride + j];
            if (what == .squares) {
                const d = xj - mj;
                s += d * d;
            } else s += xj;
        }
        sum[j] = s;
    }
}

/// A two-phase forward pass's outputs over rows [r0, r1), every channel (as forwardBlocks writes them).
fn forwardRows(a: Args, r0: usize, r1: usize) void {
    const c = u(a.p.channels);
    const k = a.coefs.?;
    var r = r0;
    while (r < r1) : (r += row_tile) {
        const rows = @min(row_tile, r1 - r);
        var j0: usize = 0;
        while (j0 < c) : (j0 += block) {
            const at = r * c + j0;
            normalize(a.x + at, a.out + at, c, rows, @min(block, c - j0), k.inv[j0..][0..block], k.shift[j0..][0..block]);
        }
    }
}

/// Rows a two-phase outputs pass takes through every channel block before the next rows.
const row_tile = 16;

/// Backward over channel blocks [b0, b1) (the one-phase pass).
fn backwardBlocks(a: Args, b0: usize, b1: usize) void {
    const rows = u(a.p.rows);
    const c = u(a.p.channels);
    const n: f64 = @floatFromInt(rows);
    for (b0..b1) |b| {
        const j0 = b * a.width;
        const w = @min(a.width, c - j0);
        var mean: [block]f64 = undefined;
        var inv_std: [block]f64 = undefined;
        for (0..w) |j| {
            mean[j] = a.stats[j0 + j];
            inv_std[j] = a.stats[2 * c + j0 + j];
        }
        var sum_dy: [block]f64 = @splat(0);
        var sum_dy_xhat: [block]f64 = @splat(0);
        const ch = Chunks.of(rows);
        for (0..ch.count) |i| {
            const r0, const r1 = ch.range(i, rows);
            var part: [block]f64 = undefined;
            var part_xhat: [block]f64 = undefined;
            gradientSums(a.x + r0 * c + j0, a.dy + r0 * c + j0, c, r1 - r0, w, &mean, &inv_std, &part, &part_xhat);
            for (0..w) |j| {
                sum_dy[j] += part[j];
                sum_dy_xhat[j] += part_xhat[j];
            }
        }
        var scale: [block]f64 = undefined;
        for (0..w) |j| scale[j] = backwardCoefficients(a, j0 + j, inv_std[j], sum_dy[j], sum_dy_xhat[j], n);
        const k: Coefs64 = .{ .mean = &mean, .inv_std = &inv_std, .scale = &scale, .sum_dy = &sum_dy, .sum_dy_xhat = &sum_dy_xhat };
        inputGradient(a.x + j0, a.dy + j0, a.out + j0, c, rows, w, n, k);
    }
}

/// Channel j's dx scale γ·invStd/n, its dγ and dβ written.
inline fn backwardCoefficients(a: Args, j: usize, inv_std: f64, sum_dy: f64, sum_dy_xhat: f64, n: f64) f64 {
    const g: f64 = if (a.p.has_gamma == 1) a.gamma[j] else 1;
    if (a.p.has_gamma == 1) a.dgamma[j] = @floatCast(sum_dy_xhat);
    if (a.p.has_beta == 1) a.dbeta[j] = @floatCast(sum_dy);
    return g * inv_std / n;
}

/// A two-phase backward pass's chunk sums Σdy and Σdy·x̂ of (block, chunk) items [first, end) into `part_dy` and
/// `part_dy_xhat`.
fn backwardPartials(a: Args, first: usize, end: usize) void {
    const rows = u(a.p.rows);
    const c = u(a.p.channels);
    const k = a.coefs.?;
    const ch = Chunks.of(rows);
    for (first..end) |item| {
        const t = Item.of(a, ch, item);
        var mean: [block]f64 = undefined;
        var inv_std: [block]f64 = undefined;
        for (0..t.w) |j| {
            mean[j] = a.stats[t.j0 + j];
            inv_std[j] = a.stats[2 * c + t.j0 + j];
        }
        var part: [block]f64 = undefined;
        var part_xhat: [block]f64 = undefined;
        const at = t.r0 * c + t.j0;
        gradientSums(a.x + at, a.dy + at, c, t.r1 - t.r0, t.w, &mean, &inv_std, &part, &part_xhat);
        @memcpy(k.part_dy[t.chunk][t.j0..][0..t.w], part[0..t.w]);
        @memcpy(k.part_dy_xhat[t.chunk][t.j0..][0..t.w], part_xhat[0..t.w]);
    }
}

/// The backward pass in two phases on `threads` threads, sums over blocks of `width` channels.
fn backwardTwoPhase(p: *const BnTrainParams, args: Args, threads: usize, width: usize) void {
    const c = u(p.channels);
    const rows = u(p.rows);
    var coefs: Coefs = undefined;
    var a = args;
    a.coefs = &coefs;
    a.width = width;
    const ch = Chunks.of(rows);
    runLoop(threads, (c + width - 1) / width * ch.count, a, .backward_partial_sums);
    const n: f64 = @floatFromInt(rows);
    for (0..c) |j| {
        coefs.mean[j] = a.stats[j];
        coefs.inv_std[j] = a.stats[2 * c + j];
        coefs.sum_dy[j] = chunkTotal(f64, &coefs.part_dy, ch.count, j);
        coefs.sum_dy_xhat[j] = chunkTotal(f64, &coefs.part_dy_xhat, ch.count, j);
        coefs.scale[j] = backwardCoefficients(a, j, coefs.inv_std[j], coefs.sum_dy[j], coefs.sum_dy_xhat[j], n);
    }
    runLoop(threads, rows, a, .backward_rows);
}

/// A block's per-channel float64 coefficients of dx.
const Coefs64 = struct { mean: *const [block]f64, inv_std: *const [block]f64, scale: *const [block]f64, sum_dy: *const [block]f64, sum_dy_xhat: *const [block]f64 };

/// dx = scale·(n·dy - Σdy - x̂·Σdy·x̂), x̂ = (x - mean)·invStd, for rows r and channels j < w (stride apart), in
/// float64 as the reference, 8 channels a vector.
fn inputGradient(x: [*]const f32, dy: [*]const f32, dx: [*]f32, stride: usize, rows: usize, w: usize, n: f64, k: Coefs64) void {
    switch (w / lanes64) {
        inline 0...block / lanes64 => |nv| {
            var m: [nv]V64 = undefined;
            var is: [nv]V64 = undefined;
            var sc: [nv]V64 = undefined;
            var s: [nv]V64 = undefined;
            var sx: [nv]V64 = undefined;
            inline for (0..nv) |v| {
                m[v] = k.mean[v * lanes64 ..][0..lanes64].*;
                is[v] = k.inv_std[v * lanes64 ..][0..lanes64].*;
                sc[v] = k.scale[v * lanes64 ..][0..lanes64].*;
                s[v] = k.sum_dy[v * lanes64 ..][0..lanes64].*;
                sx[v] = k.sum_dy_xhat[v * lanes64 ..][0..lanes64].*;
            }
            const nn: V64 = @splat(n);
            for (0..rows) |r| {
                const xr = x + r * stride;
                const dr = dy + r * stride;
                const out = dx + r * stride;
                inline for (0..nv) |v| {
                    const xv32: V32h = xr[v * lanes64 ..][0..lanes64].*;
                    const dv32: V32h = dr[v * lanes64 ..][0..lanes64].*;
                    const xv: V64 = @floatCast(xv32);
                    const d: V64 = @floatCast(dv32);
                    const xhat = (xv - m[v]) * is[v];
                    const g: V32h = @floatCast(sc[v] * (nn * d - s[v] - xhat * sx[v]));
                    out[v * lanes64 ..][0..lanes64].* = g;
                }
            }
        },
        else => unreachable,
    }
    for (w / lanes64 * lanes64..w) |j| {
        for (0..rows) |r| {
            const xhat = (@as(f64, x[r * stride + j]) - k.mean[j]) * k.inv_std[j];
            dx[r * stride + j] = @floatCast(k.scale[j] * (n * @as(f64, dy[r * stride + j]) - k.sum_dy[j] - xhat * k.sum_dy_xhat[j]));
        }
    }
}

const lanes64 = 8;
const V64 = @Vector(lanes64, f64);
const V32h = @Vector(lanes64, f32);

/// Σdy and Σdy·x̂ (x̂ = (x - mean)·invStd) per channel j < w over the rows in order, in float64, 8 channels a
/// vector in registers while the rows stream by, a tail of fewer channels one by one (the reference's bits).
fn gradientSums(x: [*]const f32, dy: [*]const f32, stride: usize, rows: usize, w: usize, mean: *const [block]f64, inv_std: *const [block]f64, sum_dy: *[block]f64, sum_dy_xhat: *[block]f64) void {
    std.debug.assert(w <= block);
    switch (w / lanes64) {
        inline 0...block / lanes64 => |n| {
            var m: [n]V64 = undefined;
            var is: [n]V64 = undefined;
            inline for (0..n) |v| {
                m[v] = mean[v * lanes64 ..][0..lanes64].*;
                is[v] = inv_std[v * lanes64 ..][0..lanes64].*;
            }
            var s: [n]V64 = @splat(@splat(0));
            var sx: [n]V64 = @splat(@splat(0));
            for (0..rows) |r| {
                const xr = x + r * stride;
                const dr = dy + r * stride;
                inline for (0..n) |v| {
                    const xv32: V32h = xr[v * lanes64 ..][0..lanes64].*;
                    const dv32: V32h = dr[v * lanes64 ..][0..lanes64].*;
                    const xv: V64 = @floatCast(xv32);
                    const d: V64 = @floatCast(dv32);
                    s[v] += d;
                    sx[v] += d * (xv - m[v]) * is[v];
                }
            }
            inline for (0..n) |v| {
                sum_dy[v * lanes64 ..][0..lanes64].* = s[v];
                sum_dy_xhat[v * lanes64 ..][0..lanes64].* = sx[v];
            }
        },
        else => unreachable,
    }
    for (w / lanes64 * lanes64..w) |j| {
        var s: f64 = 0;
        var sx: f64 = 0;
        for (0..rows) |r| {
            const d: f64 = dy[r * stride + j];
            s += d;
            sx += d * (@as(f64, x[r * stride + j]) - mean[j]) * inv_std[j];
        }
        sum_dy[j] = s;
        sum_dy_xhat[j] = sx;
    }
}

/// A two-phase backward pass's dx over rows [r0, r1), every channel (as backwardBlocks writes it).
fn backwardRows(a: Args, r0: usize, r1: usize) void {
    const c = u(a.p.channels);
    const n: f64 = @floatFromInt(u(a.p.rows));
    const k = a.coefs.?;
    var r = r0;
    while (r < r1) : (r += row_tile) {
        const rows = @min(row_tile, r1 - r);
        var j0: usize = 0;
        while (j0 < c) : (j0 += block) {
            const at = r * c + j0;
            const b: Coefs64 = .{ .mean = k.mean[j0..][0..block], .inv_std = k.inv_std[j0..][0..block], .scale = k.scale[j0..][0..block], .sum_dy = k.sum_dy[j0..][0..block], .sum_dy_xhat = k.sum_dy_xhat[j0..][0..block] };
            inputGradient(a.x + at, a.dy + at, a.out + at, c, rows, @min(block, c - j0), n, b);
        }
    }
}

/// Threads a pass over `p`'s values runs on.
fn threadsFor(p: *const BnTrainParams) usize {
    return if (@as(u64, u(p.rows)) * u(p.channels) < min_split_values) 1 else u(p.threads);
}

/// Channels of a block on `threads` threads: `block`, or narrower (whole cache lines, at least `min_width`)
/// until there are two blocks a thread. Any width gives the same bits (each channel's sums are its own).
fn blockWidth(channels: usize, threads: usize) usize {
    if (threads <= 1) return block;
    const even = (channels + 2 * threads - 1) / (2 * threads);
    return @min(block, @max(min_width, (even + min_width - 1) / min_width * min_width));
}

/// The loops of a pass, each over a range of channel blocks or of rows.
pub const Loop = enum(u32) { forward_blocks, forward_partial_sums, forward_partial_squares, forward_rows, backward_blocks, backward_partial_sums, backward_rows };

/// Items [0, n) of one loop cut into tasks of `per` (extern: the ISA objects' copies share it).
pub const Ranges = extern struct {
    args: Args,
    loop: Loop,
    n: usize,
    per: usize,

    fn tasks(r: *const Ranges) usize {
        return (r.n + r.per - 1) / r.per;
    }
};

/// Task t of the pass loop `ctx` (a `*const Ranges`): its items [t·per, (t + 1)·per).
pub fn rangeTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const r: *const Ranges = @ptrCast(@alignCast(ctx));
    const begin = t * r.per;
    const end = @min(r.n, begin + r.per);
    switch (r.loop) {
        .forward_blocks => forwardBlocks(r.args, begin, end),
        .forward_partial_sums => forwardPartials(.plain, r.args, begin, end),
        .forward_partial_squares => forwardPartials(.squares, r.args, begin, end),
        .forward_rows => forwardRows(r.args, begin, end),
        .backward_blocks => backwardBlocks(r.args, begin, end),
        .backward_partial_sums => backwardPartials(r.args, begin, end),
        .backward_rows => backwardRows(r.args, begin, end),
    }
}

/// Runs `loop` over n items on `threads` threads, two tasks a thread (as thread_pool.runRanges), in the fastest
/// ISA copy of the loops (the same bits: isa_loops.zig).
fn runLoop(threads: usize, n: usize, args: Args, loop: Loop) void {
    const per = if (threads <= 1 or n < 2) @max(n, 1) else (n + 2 * threads - 1) / (2 * threads);
    const r: Ranges = .{ .args = args, .loop = loop, .n = n, .per = per };
    isa_loops.run(threads, r.tasks(), &r, isa_loops.pick("bn_train_f32", rangeTask));
}

/// Whether a pass over `p` runs in one phase (`blocks` over 64-channel blocks) on `threads` threads: one thread, or
/// channels enough for two blocks a thread, or more channels than a two-phase pass holds, or too few rows.
fn onePhase(p: *const BnTrainParams, threads: usize) bool {
    const c = u(p.channels);
    const wide = (c + block - 1) / block;
    return threads <= 1 or wide >= 2 * threads or c > max_two_phase_channels or u(p.rows) < 2 * threads;
}

/// The forward pass: `output` = the normalized input, `stats` = [mean | variance | invStd] of the batch.
pub fn forward(p: *const BnTrainParams, input: [*]const f32, gamma: [*]const f32, beta: [*]const f32, output: [*]f32, stats: [*]f32) abi.Status {
    if (!valid(p)) return .invalid_argument;
    const args = Args{ .p = p, .x = input, .gamma = gamma, .beta = beta, .out = output, .stats = stats };
    const threads = threadsFor(p);
    const c = u(p.channels);
    if (onePhase(p, threads)) runLoop(threads, (c + block - 1) / block, args, .forward_blocks) else forwardTwoPhase(p, args, threads, blockWidth(c, threads));
    return .ok;
}

/// The backward pass from the forward pass's `stats`: `grad_input`, and `grad_gamma` / `grad_beta` when the layer
/// has them.
pub fn backward(p: *const BnTrainParams, input: [*]const f32, grad_output: [*]const f32, gamma: [*]const f32, stats: [*]const f32, grad_input: [*]f32, grad_gamma: [*]f32, grad_beta: [*]f32) abi.Status {
    if (!valid(p)) return .invalid_argument;
    const args = Args{
        .p = p,
        .x = input,
        .gamma = gamma,
        .beta = undefined,
        .out = grad_input,
        .stats = @constCast(stats),
        .dy = grad_output,
        .dgamma = grad_gamma,
        .dbeta = grad_beta,
    };
    const threads = threadsFor(p);
    const c = u(p.channels);
    if (onePhase(p, threads)) runLoop(threads, (c + block - 1) / block, args, .backward_blocks) else backwardTwoPhase(p, args, threads, blockWidth(c, threads));
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_bn_train_forward_f32(params: *const BnTrainParams, input: [*]const f32, gamma: [*]const f32, beta: [*]const f32, output: [*]f32, stats: [*]f32) callconv(.c) i32 {
    return abi.code(forward(params, input, gamma, beta, output, stats));
}

pub fn onebit_bn_train_backward_f32(params: *const BnTrainParams, input: [*]const f32, grad_output: [*]const f32, gamma: [*]const f32, stats: [*]const f32, grad_input: [*]f32, grad_gamma: [*]f32, grad_beta: [*]f32) callconv(.c) i32 {
    return abi.code(backward(params, input, grad_output, gamma, stats, grad_input, grad_gamma, grad_beta));
}

test "bn forward: batch moments, normalized output; backward: Σdy and Σdy·x̂ of a ramp" {
    // Two rows, one channel: x = [1, 3], mean 2, variance 1.
    const x = [_]f32{ 1, 3 };
    var y: [2]f32 = undefined;
    var stats: [3]f32 = undefined;
    const p: BnTrainParams = .{ .rows = 2, .channels = 1, .has_gamma = 0, .has_beta = 0, .epsilon = 1e-3, .threads = 1 };
    const none = [_]f32{0};
    try std.testing.expectEqual(abi.Status.ok, forward(&p, &x, &none, &none, &y, &stats));
    try std.testing.expectEqual(@as(f32, 2), stats[0]);
    try std.testing.expectEqual(@as(f32, 1), stats[1]);
    try std.testing.expectApproxEqAbs(@as(f32, -1), y[0], 1e-3);
    const dy = [_]f32{ 1, 1 };
    var dx: [2]f32 = undefined;
    var unused: [1]f32 = undefined;
    try std.testing.expectEqual(abi.Status.ok, backward(&p, &x, &dy, &none, &stats, &dx, &unused, &unused));
    // A constant dy has no gradient through the normalization.
    try std.testing.expectApproxEqAbs(@as(f32, 0), dx[0], 1e-6);
    var bad = p;
    bad.epsilon = 0;
    try std.testing.expectEqual(abi.Status.invalid_argument, forward(&bad, &x, &none, &none, &y, &stats));
}

test "bn: any block width, one phase or two (chunk sums by blocks, outputs by rows), any thread count, gives the same bits" {
    const gpa = std.testing.allocator;
    const channels = 70;
    // One chunk, and 3 and 4 chunks (the last shorter).
    for ([_]usize{ 300, 2500, 4097 }) |rows| {
        const n = rows * channels;
        const buf = try gpa.alloc(f32, 6 * n);
        defer gpa.free(buf);
        const x = buf[0..n];
        const dy = buf[n .. 2 * n];
        const want_y = buf[2 * n .. 3 * n];
        const want_dx = buf[3 * n .. 4 * n];
        const y = buf[4 * n .. 5 * n];
        const dx = buf[5 * n .. 6 * n];
        var gamma: [channels]f32 = undefined;
        var beta: [channels]f32 = undefined;
        var prng = std.Random.DefaultPrng.init(7);
        const r = prng.random();
        for (x, dy) |*v, *d| {
            v.* = r.float(f32) * 4 - 1;
            d.* = r.float(f32) * 2 - 1;
        }
        for (&gamma, &beta) |*g, *b| {
            g.* = r.float(f32) + 0.5;
            b.* = r.float(f32) - 0.5;
        }
        const p: BnTrainParams = .{ .rows = @intCast(rows), .channels = channels, .has_gamma = 1, .has_beta = 1, .epsilon = 1e-3, .threads = 1 };
        var want_stats: [3 * channels]f32 = undefined;
        var want_dg: [channels]f32 = undefined;
        var want_db: [channels]f32 = undefined;
        var args = Args{ .p = &p, .x = x.ptr, .gamma = &gamma, .beta = &beta, .out = want_y.ptr, .stats = &want_stats };
        forwardBlocks(args, 0, 2);
        args = .{ .p = &p, .x = x.ptr, .gamma = &gamma, .beta = &beta, .out = want_dx.ptr, .stats = &want_stats, .dy = dy.ptr, .dgamma = &want_dg, .dbeta = &want_db };
        backwardBlocks(args, 0, 2);
        for ([_]usize{ 16, 32, 48 }) |width| {
            for ([_]usize{ 1, 2, 3 }) |threads| {
                var stats: [3 * channels]f32 = undefined;
                var dg: [channels]f32 = undefined;
                var db: [channels]f32 = undefined;
                args = .{ .p = &p, .x = x.ptr, .gamma = &gamma, .beta = &beta, .out = y.ptr, .stats = &stats };
                forwardTwoPhase(&p, args, threads, width);
                args = .{ .p = &p, .x = x.ptr, .gamma = &gamma, .beta = &beta, .out = dx.ptr, .stats = &stats, .dy = dy.ptr, .dgamma = &dg, .dbeta = &db };
                backwardTwoPhase(&p, args, threads, width);
                try std.testing.expectEqualSlices(f32, want_y, y);
                try std.testing.expectEqualSlices(f32, &want_stats, &stats);
                try std.testing.expectEqualSlices(f32, want_dx, dx);
                try std.testing.expectEqualSlices(f32, &want_dg, &dg);
                try std.testing.expectEqualSlices(f32, &want_db, &db);
            }
        }
    }
    const ch = Chunks.of(4097);
    try std.testing.expectEqual(@as(usize, 4), ch.count);
    try std.testing.expectEqual(@as(usize, 1025), ch.size);
    try std.testing.expectEqual(@as(usize, 1), Chunks.of(1024).count);
    try std.testing.expectEqual(@as(usize, 4), Chunks.of(1 << 20).count);
    try std.testing.expectEqual(@as(usize, 32), blockWidth(32, 2));
    try std.testing.expectEqual(@as(usize, 64), blockWidth(512, 2));
    try std.testing.expectEqual(@as(usize, 64), blockWidth(32, 1));
}
