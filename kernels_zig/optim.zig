//! Optimizer steps over one weight in place (abi.OptimizerOp): Adam, SGD,
//! SGD with momentum or Nesterov momentum, and larq's Bop, each followed by
//! the weight's clip (larq's weight_clip; ±inf: none). Every operation is
//! one float32 operation in the order of train/optimizers.ts's op-by-op
//! form (no fused multiply-add: Zig does not contract), so the results are
//! bit for bit the TypeScript ones.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const num = @import("num.zig");
const u = num.u;

/// One optimizer step of `count` values in place: `weights` updated from `grads`, slots `slot1`, `slot2`
/// (abi.OptimizerOp says which each op reads and writes), then clipped to [clamp_min, clamp_max].
pub const OptimizerF32Params = extern struct {
    count: i32,
    /// An abi.OptimizerOp.
    op: i32,
    /// adam: lr_t = lr·sqrt(1 - β2^t)/(1 - β1^t); sgd, momentum, nesterov: lr; bop: γ.
    rate: f32,
    /// adam: 1 - β1; momentum, nesterov: the momentum; bop: the threshold τ.
    a: f32,
    /// adam: 1 - β2.
    b: f32,
    /// adam: ε.
    epsilon: f32,
    clamp_min: f32,
    clamp_max: f32,
    threads: i32,
};

comptime {
    std.debug.assert(@sizeOf(OptimizerF32Params) == 9 * 4);
}

const Args = struct {
    p: *const OptimizerF32Params,
    op: abi.OptimizerOp,
    w: [*]f32,
    g: [*]const f32,
    s1: [*]f32,
    s2: [*]f32,
};

/// TF's ApplyAdam in float32: m += (g - m)·(1 - β1); v += (g² - v)·(1 - β2); w -= lr_t·m/(√v + ε).
inline fn adam(p: *const OptimizerF32Params, w: f32, g: f32, m: *f32, v: *f32) f32 {
    m.* = m.* + (g - m.*) * p.a;
    v.* = v.* + (g * g - v.*) * p.b;
    return w - (m.* * p.rate) / (@sqrt(v.*) + p.epsilon);
}

/// Keras's SGD with momentum: velocity = momentum·velocity - lr·g; w += velocity (Nesterov: w += momentum·velocity - lr·g).
inline fn momentum(p: *const OptimizerF32Params, w: f32, g: f32, velocity: *f32, nesterov: bool) f32 {
    const step = g * p.rate;
    velocity.* = velocity.* * p.a - step;
    return w + if (nesterov) velocity.* * p.a - step else velocity.*;
}

/// larq's Bop: m += γ(g - m); w ← -sign(w) where w·m > τ, +1 where w·m = τ, else sign(w) (sign(0) = +1).
inline fn bop(p: *const OptimizerF32Params, w: f32, g: f32, m: *f32) f32 {
    m.* = m.* + (g - m.*) * p.rate;
    const s: f32 = if (w < 0) -1 else 1;
    const wm = w * m.*;
    return if (wm > p.a) -s else if (wm == p.a) 1 else s;
}

fn stepRange(args: Args, begin: usize, end: usize) void {
    const p = args.p;
    const w = args.w;
    const g = args.g;
    for (begin..end) |i| {
        const next = switch (args.op) {
            .adam => adam(p, w[i], g[i], &args.s1[i], &args.s2[i]),
            .sgd => w[i] - g[i] * p.rate,
            .momentum => momentum(p, w[i], g[i], &args.s1[i], false),
            .nesterov => momentum(p, w[i], g[i], &args.s1[i], true),
            .bop => bop(p, w[i], g[i], &args.s1[i]),
        };
        w[i] = num.clamp(next, p.clamp_min, p.clamp_max);
    }
}

/// One step of op `p.op` over `p.count` values; split over threads from 64K values.
pub fn optimizerStep(p: *const OptimizerF32Params, w: [*]f32, g: [*]const f32, s1: [*]f32, s2: [*]f32) abi.Status {
    const op = abi.opCode(abi.OptimizerOp, p.op) orelse return .invalid_argument;
    if (p.count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const args: Args = .{ .p = p, .op = op, .w = w, .g = g, .s1 = s1, .s2 = s2 };
    thread_pool.runRanges(u(p.threads), u(p.count), 1 << 16, args, stepRange);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_optimizer_step_f32(
    params: *const OptimizerF32Params,
    weights: [*]f32,
    grads: [*]const f32,
    slot1: [*]f32,
    slot2: [*]f32,
) callconv(.c) i32 {
    return abi.code(optimizerStep(params, weights, grads, slot1, slot2));
}

test "optimizer steps: Adam's first step, a clip, Bop's flip and tie, a bad op" {
    var w = [_]f32{ 0.5, -0.5, 0.999 };
    const g = [_]f32{ 1, -1, 1 };
    var m = [_]f32{ 0, 0, 0 };
    var v = [_]f32{ 0, 0, 0 };
    var p: OptimizerF32Params = .{ .count = 3, .op = @intFromEnum(abi.OptimizerOp.adam), .rate = 0.1, .a = 0.1, .b = 0.001, .epsilon = 0, .clamp_min = -1, .clamp_max = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, optimizerStep(&p, &w, &g, &m, &v));
    // m = 0.1·g, v = 0.001·g², step = 0.1·m/√v = 0.1·0.1/√0.001 ≈ 0.316 against g's sign.
    try std.testing.expectApproxEqAbs(@as(f32, 0.5 - 0.31623), w[0], 1e-4);
    try std.testing.expectApproxEqAbs(@as(f32, -0.5 + 0.31623), w[1], 1e-4);
    try std.testing.expectApproxEqAbs(@as(f32, 0.999 - 0.31623), w[2], 1e-4);
    var bw = [_]f32{ 0.5, -0.5, 0, 0.25 };
    const bg = [_]f32{ 1, 1, 1, 0.5 };
    var bm = [_]f32{ 0, 0, 0, 0 };
    p = .{ .count = 4, .op = @intFromEnum(abi.OptimizerOp.bop), .rate = 1, .a = 0.125, .b = 0, .epsilon = 0, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, optimizerStep(&p, &bw, &bg, &bm, &bm));
    // w·m: 0.5 > τ flips; -0.5 keeps -1; 0 keeps +1; 0.125 = τ gives +1.
    try std.testing.expectEqualSlices(f32, &.{ -1, -1, 1, 1 }, &bw);
    p.op = @typeInfo(abi.OptimizerOp).@"enum".fields.len;
    try std.testing.expectEqual(abi.Status.invalid_argument, optimizerStep(&p, &bw, &bg, &bm, &bm));
}
