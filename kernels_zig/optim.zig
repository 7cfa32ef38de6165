//! Optimizer steps over one weight in place (abi.OptimizerOp): Adam, SGD,
//! SGD with momentum or Nesterov momentum, and larq's Bop, each followed by
//! the weight's clip (larq's weight_clip; ±inf: none). Every operation is
//! one float32 operation in the order of train/optimizers.ts's op-by-op
//! form (no fused multiply-add: Zig does not contract), so the results are
//! bit for bit the TypeScript ones. Each op is its own loop (comptime), in
//! float vectors of the CPU's width.
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
    w: [*]f32,
    g: [*]const f32,
    s1: [*]f32,
    s2: [*]f32,
};

/// The lanes of one vector loop: the CPU's float vector width (1 on a target without vectors).
const lanes = std.simd.suggestVectorLength(f32) orelse 1;

/// `a` where `c`, else `b`, lane by lane.
inline fn pick(comptime T: type, c: @Vector(@typeInfo(T).vector.len, bool), a: T, b: T) T {
    return @select(f32, c, a, b);
}

/// The next weights of `T.len` values at `i` for op `op`, the slots updated in place. T is a float vector (of
/// `lanes` values in the body, of 1 in the tail), so both run the same float32 operations in the same order:
/// every lane is the scalar operation, bit for bit (vector division and square root are IEEE-exact).
inline fn stepAt(comptime op: abi.OptimizerOp, comptime T: type, args: Args, i: usize) T {
    const n = @typeInfo(T).vector.len;
    const p = args.p;
    const w: T = args.w[i..][0..n].*;
    const g: T = args.g[i..][0..n].*;
    const rate: T = @splat(p.rate);
    const a: T = @splat(p.a);
    switch (op) {
        // TF's ApplyAdam in float32: m += (g - m)·(1 - β1); v += (g² - v)·(1 - β2); w -= lr_t·m/(√v + ε).
        .adam => {
            var m: T = args.s1[i..][0..n].*;
            var v: T = args.s2[i..][0..n].*;
            m = m + (g - m) * a;
            v = v + (g * g - v) * @as(T, @splat(p.b));
            args.s1[i..][0..n].* = m;
            args.s2[i..][0..n].* = v;
            return w - (m * rate) / (@sqrt(v) + @as(T, @splat(p.epsilon)));
        },
        .sgd => return w - g * rate,
        // Keras's SGD with momentum: velocity = momentum·velocity - lr·g; w += velocity (Nesterov: w += momentum·velocity - lr·g).
        .momentum, .nesterov => {
            const step = g * rate;
            const velocity = @as(T, args.s1[i..][0..n].*) * a - step;
            args.s1[i..][0..n].* = velocity;
            return w + if (op == .nesterov) velocity * a - step else velocity;
        },
        // larq's Bop: m += γ(g - m); w ← -sign(w) where w·m > τ, +1 where w·m = τ, else sign(w) (sign(0) = +1).
        .bop => {
            var m: T = args.s1[i..][0..n].*;
            m = m + (g - m) * rate;
            args.s1[i..][0..n].* = m;
            const one: T = @splat(1);
            const s = pick(T, w < @as(T, @splat(0)), -one, one);
            const wm = w * m;
            return pick(T, wm > a, -s, pick(T, wm == a, one, s));
        },
    }
}

/// Op `op` over [begin, end): `lanes` values at a time, then one at a time, each weight clipped.
fn stepRange(comptime op: abi.OptimizerOp) fn (Args, usize, usize) void {
    return struct {
        fn run(args: Args, begin: usize, end: usize) void {
            var i = begin;
            inline for (.{ lanes, 1 }) |n| {
                const T = @Vector(n, f32);
                const lo: T = @splat(args.p.clamp_min);
                const hi: T = @splat(args.p.clamp_max);
                while (i + n <= end) : (i += n) {
                    args.w[i..][0..n].* = num.clampVector(T, stepAt(op, T, args, i), lo, hi);
                }
            }
        }
    }.run;
}

/// One step of op `p.op` over `p.count` values; split over threads from 16K values (element-wise: any split gives the
/// same bits; larq's MNIST CNN's 36,864-weight Adam steps took 39-46 us on one thread of a 2-thread step).
pub fn optimizerStep(p: *const OptimizerF32Params, w: [*]f32, g: [*]const f32, s1: [*]f32, s2: [*]f32) abi.Status {
    const op = abi.opCode(abi.OptimizerOp, p.op) orelse return .invalid_argument;
    if (p.count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const args: Args = .{ .p = p, .w = w, .g = g, .s1 = s1, .s2 = s2 };
    switch (op) {
        inline else => |o| thread_pool.runRanges(u(p.threads), u(p.count), 1 << 14, args, stepRange(o)),
    }
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
