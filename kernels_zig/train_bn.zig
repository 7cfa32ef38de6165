//! BatchNormalization in training mode, forward and backward, one pass of
//! each over [rows, channels] (NHWC flattened), in the arithmetic of the
//! TypeScript reference (kernels/reference_train.ts), bit for bit: forward in
//! float32 (batch moments summed row after row, then TF's
//! inv = γ/sqrt(var + ε), y = x·inv + (β - mean·inv)); backward in float64
//! (x̂ = (x - μ)·invStd, dβ = Σdy, dγ = Σdy·x̂,
//! dx = γ·invStd/n · (n·dy - Σdy - x̂·Σdy·x̂)). Channels go in blocks of
//! at most `block`, each block's rows in order: every channel has its own sums
//! over the rows in order, so their rounding is the reference's whatever the
//! block width, vector width or thread count. On several threads, a layer of
//! too few channels for two 64-channel blocks a thread runs in two phases:
//! the sums over narrower channel blocks (reads only), then the outputs over
//! bands of rows (each thread writes whole rows: no cache line shared), from
//! per-channel coefficients computed once, as the one-phase pass computes them.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
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

/// Channels of the narrowest block of a two-phase pass's sums (16 floats: a cache line of a row).
const min_width = 16;

/// Channels up to which a pass may run in two phases (its coefficients live on the caller's stack).
const max_two_phase_channels = 512;

/// Per-channel coefficients of a two-phase pass: forward inv and shift; backward mean, invStd, scale, Σdy, Σdy·x̂.
const Coefs = struct {
    inv: [max_two_phase_channels]f32,
    shift: [max_two_phase_channels]f32,
    mean: [max_two_phase_channels]f64,
    inv_std: [max_two_phase_channels]f64,
    scale: [max_two_phase_channels]f64,
    sum_dy: [max_two_phase_channels]f64,
    sum_dy_xhat: [max_two_phase_channels]f64,
};

/// Values below which a pass runs on the calling thread (a wake-up costs more than it saves).
const min_split_values = 1 << 14;

const Args = struct {
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

/// Forward over channel blocks [b0, b1).
fn forwardBlocks(a: Args, b0: usize, b1: usize) void {
    const rows = u(a.p.rows);
    const c = u(a.p.channels);
    for (b0..b1) |b| {
        const j0 = b * a.width;
        const w = @min(a.width, c - j0);
        var sum: [block]f32 = @splat(0);
        for (0..rows) |r| {
            const x = a.x + r * c + j0;
            for (0..w) |j| sum[j] += x[j];
        }
        const count: f32 = @floatFromInt(rows);
        var mean: [block]f32 = undefined;
        for (0..w) |j| mean[j] = sum[j] / count;
        sum = @splat(0);
        for (0..rows) |r| {
            const x = a.x + r * c + j0;
            for (0..w) |j| {
                const d = x[j] - mean[j];
                sum[j] += d * d;
            }
        }
        var inv: [block]f32 = undefined;
        var shift: [block]f32 = undefined;
        for (0..w) |j| {
            const variance = sum[j] / count;
            const inv_std = 1 / @sqrt(variance + a.p.epsilon);
            inv[j] = if (a.p.has_gamma == 1) inv_std * a.gamma[j0 + j] else inv_std;
            const m = mean[j] * inv[j];
            shift[j] = if (a.p.has_beta == 1) a.beta[j0 + j] - m else -m;
            a.stats[j0 + j] = mean[j];
            a.stats[c + j0 + j] = variance;
            a.stats[2 * c + j0 + j] = inv_std;
        }
        if (a.coefs) |k| {
            @memcpy(k.inv[j0..][0..w], inv[0..w]);
            @memcpy(k.shift[j0..][0..w], shift[0..w]);
            continue;
        }
        for (0..rows) |r| {
            const x = a.x + r * c + j0;
            const y = a.out + r * c + j0;
            for (0..w) |j| y[j] = x[j] * inv[j] + shift[j];
        }
    }
}

/// A two-phase forward pass's outputs over rows [r0, r1), every channel (as forwardBlocks writes them).
fn forwardRows(a: Args, r0: usize, r1: usize) void {
    const c = u(a.p.channels);
    const k = a.coefs.?;
    for (r0..r1) |r| {
        const x = a.x + r * c;
        const y = a.out + r * c;
        for (0..c) |j| y[j] = x[j] * k.inv[j] + k.shift[j];
    }
}

/// Backward over channel blocks [b0, b1).
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
        for (0..rows) |r| {
            const x = a.x + r * c + j0;
            const dy = a.dy + r * c + j0;
            for (0..w) |j| {
                const d: f64 = dy[j];
                sum_dy[j] += d;
                sum_dy_xhat[j] += d * (@as(f64, x[j]) - mean[j]) * inv_std[j];
            }
        }
        var scale: [block]f64 = undefined;
        for (0..w) |j| {
            const g: f64 = if (a.p.has_gamma == 1) a.gamma[j0 + j] else 1;
            scale[j] = g * inv_std[j] / n;
            if (a.p.has_gamma == 1) a.dgamma[j0 + j] = @floatCast(sum_dy_xhat[j]);
            if (a.p.has_beta == 1) a.dbeta[j0 + j] = @floatCast(sum_dy[j]);
        }
        if (a.coefs) |k| {
            @memcpy(k.mean[j0..][0..w], mean[0..w]);
            @memcpy(k.inv_std[j0..][0..w], inv_std[0..w]);
            @memcpy(k.scale[j0..][0..w], scale[0..w]);
            @memcpy(k.sum_dy[j0..][0..w], sum_dy[0..w]);
            @memcpy(k.sum_dy_xhat[j0..][0..w], sum_dy_xhat[0..w]);
            continue;
        }
        for (0..rows) |r| {
            const x = a.x + r * c + j0;
            const dy = a.dy + r * c + j0;
            const dx = a.out + r * c + j0;
            for (0..w) |j| {
                const xhat = (@as(f64, x[j]) - mean[j]) * inv_std[j];
                dx[j] = @floatCast(scale[j] * (n * @as(f64, dy[j]) - sum_dy[j] - xhat * sum_dy_xhat[j]));
            }
        }
    }
}

/// A two-phase backward pass's dx over rows [r0, r1), every channel (as backwardBlocks writes it).
fn backwardRows(a: Args, r0: usize, r1: usize) void {
    const c = u(a.p.channels);
    const n: f64 = @floatFromInt(u(a.p.rows));
    const k = a.coefs.?;
    for (r0..r1) |r| {
        const x = a.x + r * c;
        const dy = a.dy + r * c;
        const dx = a.out + r * c;
        for (0..c) |j| {
            const xhat = (@as(f64, x[j]) - k.mean[j]) * k.inv_std[j];
            dx[j] = @floatCast(k.scale[j] * (n * @as(f64, dy[j]) - k.sum_dy[j] - xhat * k.sum_dy_xhat[j]));
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

/// Runs a pass: `blocks_fn` over 64-channel blocks, or, on several threads with too few channels for two
/// blocks a thread, `blocks_fn` over narrower blocks filling per-channel coefficients and then `rows_fn` over
/// bands of rows (the same bits: the same sums and the same formulas).
fn runPass(p: *const BnTrainParams, args: Args, comptime blocks_fn: fn (Args, usize, usize) void, comptime rows_fn: fn (Args, usize, usize) void) void {
    const threads = threadsFor(p);
    const c = u(p.channels);
    const rows = u(p.rows);
    const wide = (c + block - 1) / block;
    if (threads <= 1 or wide >= 2 * threads or c > max_two_phase_channels or rows < 2 * threads) {
        return thread_pool.runRanges(threads, wide, 2, args, blocks_fn);
    }
    var coefs: Coefs = undefined;
    var a = args;
    a.coefs = &coefs;
    a.width = blockWidth(c, threads);
    thread_pool.runRanges(threads, (c + a.width - 1) / a.width, 2, a, blocks_fn);
    thread_pool.runRanges(threads, rows, 2, a, rows_fn);
}

/// The forward pass: `output` = the normalized input, `stats` = [mean | variance | invStd] of the batch.
pub fn forward(p: *const BnTrainParams, input: [*]const f32, gamma: [*]const f32, beta: [*]const f32, output: [*]f32, stats: [*]f32) abi.Status {
    if (!valid(p)) return .invalid_argument;
    const args = Args{ .p = p, .x = input, .gamma = gamma, .beta = beta, .out = output, .stats = stats };
    runPass(p, args, forwardBlocks, forwardRows);
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
    runPass(p, args, backwardBlocks, backwardRows);
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

test "bn: any block width, one phase or two (sums by blocks, outputs by rows), gives the same bits" {
    const rows = 300;
    const channels = 70;
    var x: [rows * channels]f32 = undefined;
    var dy: [rows * channels]f32 = undefined;
    var gamma: [channels]f32 = undefined;
    var beta: [channels]f32 = undefined;
    var prng = std.Random.DefaultPrng.init(7);
    const r = prng.random();
    for (&x, &dy) |*v, *d| {
        v.* = r.float(f32) * 4 - 1;
        d.* = r.float(f32) * 2 - 1;
    }
    for (&gamma, &beta) |*g, *b| {
        g.* = r.float(f32) + 0.5;
        b.* = r.float(f32) - 0.5;
    }
    const p: BnTrainParams = .{ .rows = rows, .channels = channels, .has_gamma = 1, .has_beta = 1, .epsilon = 1e-3, .threads = 1 };
    var want_y: [rows * channels]f32 = undefined;
    var want_stats: [3 * channels]f32 = undefined;
    var want_dx: [rows * channels]f32 = undefined;
    var want_dg: [channels]f32 = undefined;
    var want_db: [channels]f32 = undefined;
    var args = Args{ .p = &p, .x = &x, .gamma = &gamma, .beta = &beta, .out = &want_y, .stats = &want_stats };
    forwardBlocks(args, 0, 2);
    args = .{ .p = &p, .x = &x, .gamma = &gamma, .beta = &beta, .out = &want_dx, .stats = &want_stats, .dy = &dy, .dgamma = &want_dg, .dbeta = &want_db };
    backwardBlocks(args, 0, 2);
    var coefs: Coefs = undefined;
    for ([_]usize{ 16, 32, 48 }) |width| {
        for ([_]bool{ false, true }) |two_phase| {
            var y: [rows * channels]f32 = undefined;
            var stats: [3 * channels]f32 = undefined;
            var dx: [rows * channels]f32 = undefined;
            var dg: [channels]f32 = undefined;
            var db: [channels]f32 = undefined;
            const n = (channels + width - 1) / width;
            const k: ?*Coefs = if (two_phase) &coefs else null;
            args = .{ .p = &p, .x = &x, .gamma = &gamma, .beta = &beta, .out = &y, .stats = &stats, .width = width, .coefs = k };
            forwardBlocks(args, 0, n);
            if (two_phase) {
                // Rows in two uneven bands, as two threads would write them.
                forwardRows(args, 0, 101);
                forwardRows(args, 101, rows);
            }
            args = .{ .p = &p, .x = &x, .gamma = &gamma, .beta = &beta, .out = &dx, .stats = &stats, .dy = &dy, .dgamma = &dg, .dbeta = &db, .width = width, .coefs = k };
            backwardBlocks(args, 0, n);
            if (two_phase) {
                backwardRows(args, 0, 7);
                backwardRows(args, 7, rows);
            }
            try std.testing.expectEqualSlices(f32, &want_y, &y);
            try std.testing.expectEqualSlices(f32, &want_stats, &stats);
            try std.testing.expectEqualSlices(f32, &want_dx, &dx);
            try std.testing.expectEqualSlices(f32, &want_dg, &dg);
            try std.testing.expectEqualSlices(f32, &want_db, &db);
        }
    }
    try std.testing.expectEqual(@as(usize, 16), blockWidth(32, 2));
    try std.testing.expectEqual(@as(usize, 64), blockWidth(512, 2));
    try std.testing.expectEqual(@as(usize, 64), blockWidth(32, 1));
}
