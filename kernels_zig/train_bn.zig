//! BatchNormalization in training mode, forward and backward, one pass of
//! each over [rows, channels] (NHWC flattened), in the arithmetic of the
//! TypeScript reference (kernels/reference_train.ts), bit for bit: forward in
//! float32 (batch moments summed row after row, then TF's
//! inv = γ/sqrt(var + ε), y = x·inv + (β - mean·inv)); backward in float64
//! (x̂ = (x - μ)·invStd, dβ = Σdy, dγ = Σdy·x̂,
//! dx = γ·invStd/n · (n·dy - Σdy - x̂·Σdy·x̂)). Channels go in blocks of
//! `block`, each block's rows in order, so the sums' order (and so their
//! rounding) is the reference's whatever the vector width or thread count.
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
        const j0 = b * block;
        const w = @min(block, c - j0);
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
        for (0..rows) |r| {
            const x = a.x + r * c + j0;
            const y = a.out + r * c + j0;
            for (0..w) |j| y[j] = x[j] * inv[j] + shift[j];
        }
    }
}

/// Backward over channel blocks [b0, b1).
fn backwardBlocks(a: Args, b0: usize, b1: usize) void {
    const rows = u(a.p.rows);
    const c = u(a.p.channels);
    const n: f64 = @floatFromInt(rows);
    for (b0..b1) |b| {
        const j0 = b * block;
        const w = @min(block, c - j0);
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

fn blocks(p: *const BnTrainParams) usize {
    return (u(p.channels) + block - 1) / block;
}

/// The forward pass: `output` = the normalized input, `stats` = [mean | variance | invStd] of the batch.
pub fn forward(p: *const BnTrainParams, input: [*]const f32, gamma: [*]const f32, beta: [*]const f32, output: [*]f32, stats: [*]f32) abi.Status {
    if (!valid(p)) return .invalid_argument;
    const args = Args{ .p = p, .x = input, .gamma = gamma, .beta = beta, .out = output, .stats = stats };
    thread_pool.runRanges(u(p.threads), blocks(p), 2, args, forwardBlocks);
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
    thread_pool.runRanges(u(p.threads), blocks(p), 2, args, backwardBlocks);
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
