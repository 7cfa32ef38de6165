//! Op loops with a copy per x86 ISA object. The library's root is built for a portable baseline (x86-64-v2:
//! SSE, no FMA), so an op whose loops live there runs 4-float vectors even on an AVX-512 CPU. A loop listed
//! here is also compiled into the avx2 and avx512vpopcnt objects (isa_object.zig exports it, hidden) and `run`
//! calls the fastest copy this CPU supports; threading stays in the root (one thread pool). Every copy is the
//! same source with the same roundings (Zig does not contract a multiply and an add into an FMA), so the same
//! bits; the tests below check each copy against the baseline's.
const std = @import("std");
const builtin = @import("builtin");
const uk = @import("ukernels.zig");
const cpu = @import("cpu.zig");
const thread_pool = @import("thread_pool.zig");

/// One task (an output row, say) of a loop: `ctx` points to the op's extern struct (the objects share it).
pub const TaskFn = fn (ctx: *const anyopaque, t: usize) callconv(.c) void;

/// The ISAs with a copy of the loops, fastest last: the x86 objects (other targets' roots already have their
/// SIMD: NEON is aarch64's baseline, the wasm modules are built with theirs).
pub const isas: []const uk.Isa = if (builtin.cpu.arch == .x86_64) &.{ .avx2, .avx512vpopcnt } else &.{};

/// The symbol of loop `name`'s copy in the object of `isa`.
pub fn symbol(comptime name: []const u8, comptime isa: uk.Isa) [:0]const u8 {
    return "onebit_loop_" ++ name ++ "__" ++ @tagName(isa);
}

/// The loops with copies (isa_object.zig exports each op file's task under `symbol(name, isa)`): "depthwise_f32"
/// (depthwise_f32.zig rowTask), "conv2d_small_cin" (conv2d_small_cin.zig rowTask),
/// "conv2d_filter_small_cin" (train_conv2d_small_cin.zig gradTask), "conv2d_maxpool_f32" (conv2d_maxpool.zig
/// rowTask), "pool2d_f32" (pool2d.zig poolRowTask),
/// "maxpool_argmax_f32" (pool2d.zig argRowTask),
/// "maxpool_grad_windows_f32" (train_pool.zig gradRowTask), "softmax_f32" (softmax.zig rowTask), "bgemm_epilogue"
/// (bgemm.zig epilogueTask: a fused ADD, its pack and a same-zero border after a block), "channel_affine_f32" and
/// "scale_prelu_add_f32" (channel_affine.zig rowTask, preluRowTask), "sign_gemm_f32" (sign_gemm.zig tileTask),
/// "conv2d_backprop_input_f32" (conv2d_backprop_input.zig imageTask).
/// Loop `name`'s copy for the fastest of `isas` this CPU runs, or `baseline` (the root's own).
pub fn pick(comptime name: []const u8, baseline: *const TaskFn) *const TaskFn {
    comptime var i = isas.len;
    inline while (i > 0) {
        i -= 1;
        if (cpu.supports(isas[i])) return @extern(*const TaskFn, .{ .name = symbol(name, isas[i]) });
    }
    return baseline;
}

/// Runs tasks [0, tasks) of `func` on `threads` threads (thread_pool.run).
pub fn run(threads: usize, tasks: usize, ctx: *const anyopaque, func: *const TaskFn) void {
    const Call = struct {
        ctx: *const anyopaque,
        func: *const TaskFn,
        fn task(c: *const anyopaque, t: usize) void {
            const call: *const @This() = @ptrCast(@alignCast(c));
            call.func(call.ctx, t);
        }
    };
    const call: Call = .{ .ctx = ctx, .func = func };
    thread_pool.run(threads, tasks, &call, Call.task);
}

/// Every copy of loop `name` this CPU runs, baseline first, for the tests.
pub fn copies(comptime name: []const u8, baseline: *const TaskFn) std.BoundedArray(*const TaskFn, 4) {
    var list: std.BoundedArray(*const TaskFn, 4) = .{};
    list.appendAssumeCapacity(baseline);
    inline for (isas) |isa| {
        if (cpu.supports(isa)) list.appendAssumeCapacity(@extern(*const TaskFn, .{ .name = symbol(name, isa) }));
    }
    return list;
}

test "every ISA copy of depthwise and pooling writes the baseline's bits" {
    const abi = @import("abi.zig");
    const depthwise = @import("depthwise_f32.zig");
    const pool2d = @import("pool2d.zig");
    const gpa = std.testing.allocator;
    var prng = std.Random.DefaultPrng.init(7);
    const rnd = prng.random();
    const in = try gpa.alloc(f32, 2 * 13 * 11 * 40);
    defer gpa.free(in);
    for (in) |*x| x.* = rnd.floatNorm(f32);
    const w = try gpa.alloc(f32, 3 * 3 * 80);
    defer gpa.free(w);
    for (w) |*x| x.* = rnd.floatNorm(f32);
    const want = try gpa.alloc(f32, 2 * 13 * 11 * 80);
    defer gpa.free(want);
    const got = try gpa.alloc(f32, want.len);
    defer gpa.free(got);
    // Channels 40 (a tail past 8-lane groups), 16 and 8 (one 8-lane group); multiplier 1 and 2; stride 1 and 2;
    // SAME and VALID.
    for ([_][4]i32{ .{ 40, 1, 1, 1 }, .{ 16, 1, 2, 1 }, .{ 40, 2, 1, 0 }, .{ 16, 1, 2, 0 }, .{ 8, 1, 1, 0 } }) |c| {
        const ch, const mult, const stride, const same = c;
        const pad: i32 = if (same == 1) 1 else 0;
        const oh = if (same == 1) @divFloor(13 + stride - 1, stride) else @divFloor(13 - 3, stride) + 1;
        const ow = if (same == 1) @divFloor(11 + stride - 1, stride) else @divFloor(11 - 3, stride) + 1;
        const p: abi.DepthwiseF32Params = .{ .batch = 2, .in_h = 13, .in_w = 11, .channels_in = ch, .multiplier = mult, .kernel_h = 3, .kernel_w = 3, .stride_h = stride, .stride_w = stride, .dilation_h = 1, .dilation_w = 1, .pad_top = pad, .pad_left = pad, .out_h = oh, .out_w = ow, .clamp_min = -1, .clamp_max = 2, .threads = 1 };
        const n: usize = @intCast(2 * oh * ow * ch * mult);
        const list = copies("depthwise_f32", depthwise.rowTask);
        for (list.constSlice(), 0..) |f, k| {
            const out = if (k == 0) want else got;
            @memset(out, std.math.nan(f32));
            const s: depthwise.Rows = .{ .p = &p, .input = in.ptr, .filter = w.ptr, .bias = w.ptr, .out = out.ptr, .rows = @intCast(2 * oh), .groups = 1 };
            run(1, @intCast(2 * oh), &s, f);
            if (k > 0) try std.testing.expectEqualSlices(u32, @ptrCast(want[0..n]), @ptrCast(got[0..n]));
        }
    }
    // Max and average, 2x2 stride 1 (QuickNet's) and 3x3 stride 2 SAME, 40 channels (chunks of 32 overlap).
    for ([_][3]i32{ .{ 2, 1, 0 }, .{ 3, 2, 1 }, .{ 2, 1, 1 } }) |c| {
        const k_, const stride, const kind = c;
        const pad: i32 = if (stride == 2) 1 else 0;
        const oh = if (stride == 2) @divFloor(13 + 1, 2) else 13 - k_ + 1;
        const ow = if (stride == 2) @divFloor(11 + 1, 2) else 11 - k_ + 1;
        const p: abi.Pool2dF32Params = .{ .batch = 2, .in_h = 13, .in_w = 11, .channels = 40, .kernel_h = k_, .kernel_w = k_, .stride_h = stride, .stride_w = stride, .pad_top = pad, .pad_left = pad, .out_h = oh, .out_w = ow, .kind = kind, .clamp_min = -1, .clamp_max = 2, .threads = 1 };
        const n: usize = @intCast(2 * oh * ow * 40);
        const list = copies("pool2d_f32", pool2d.poolRowTask);
        const rows: usize = @intCast(2 * oh);
        // Whole rows (the contiguous run), then each row in two channel groups (window by window).
        for ([_]pool2d.Split{ .{ .rows = rows, .groups = 1, .unit = 32 }, .{ .rows = rows, .groups = 2, .unit = 8 } }) |split| {
            for (list.constSlice(), 0..) |f, k| {
                const out = if (k == 0 and split.groups == 1) want else got;
                @memset(out, std.math.nan(f32));
                const s: pool2d.PoolRows = .{ .p = &p, .input = in.ptr, .out = out.ptr, .split = split };
                run(1, split.tasks(), &s, f);
                if (k > 0 or split.groups > 1) try std.testing.expectEqualSlices(u32, @ptrCast(want[0..n]), @ptrCast(got[0..n]));
            }
        }
    }
}

test "every ISA copy of the channel affine and of scale-PRELU-add writes the baseline's bits" {
    const abi = @import("abi.zig");
    const ca = @import("channel_affine.zig");
    var prng = std.Random.DefaultPrng.init(23);
    const c = 45; // a word and a tail; 2 vectors of 16 and a tail
    const rows = 9;
    var x: [rows * c]f32 = undefined;
    var r: [rows * c]f32 = undefined;
    var scale: [c]f32 = undefined;
    var shift: [c]f32 = undefined;
    for (&x, &r) |*v, *w| {
        v.* = prng.random().floatNorm(f32);
        w.* = prng.random().floatNorm(f32);
    }
    for (&scale, &shift) |*v, *w| {
        v.* = prng.random().floatNorm(f32);
        w.* = prng.random().floatNorm(f32);
    }
    var want: [rows * c]f32 = undefined;
    var got: [rows * c]f32 = undefined;
    var want_bits: [rows * 2]u32 = undefined;
    var got_bits: [rows * 2]u32 = undefined;
    const p: abi.ChannelAffineParams = .{ .rows = rows, .channels = c, .outputs = 3, .threads = 1, .values_stride = 0, .bits_stride = 0 };
    for (copies("channel_affine_f32", ca.rowTask).constSlice(), 0..) |f, k| {
        const s: ca.Rows = .{ .p = &p, .scale = &scale, .shift = &shift, .input = &x, .values = if (k == 0) &want else &got, .bits = if (k == 0) &want_bits else &got_bits };
        run(1, rows, &s, f);
        if (k > 0) {
            try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&got));
            try std.testing.expectEqualSlices(u32, &want_bits, &got_bits);
        }
    }
    for (copies("scale_prelu_add_f32", ca.preluRowTask).constSlice(), 0..) |f, k| {
        const s: ca.PreluRows = .{ .p = &p, .scale = &scale, .alpha = &shift, .residual = &r, .input = &x, .out = if (k == 0) &want else &got };
        run(1, rows, &s, f);
        if (k > 0) try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&got));
    }
}

test "every ISA copy of softmax writes the baseline's bits" {
    const abi = @import("abi.zig");
    const softmax = @import("softmax.zig");
    var prng = std.Random.DefaultPrng.init(18);
    var x: [3 * 1001]f32 = undefined;
    for (&x) |*v| v.* = prng.random().floatNorm(f32) * 30;
    x[5] = -std.math.inf(f32);
    var want: [x.len]f32 = undefined;
    var got: [x.len]f32 = undefined;
    // Depth 1001: 125 whole 8-lane groups and a tail of 1; depth 7: the tail alone.
    for ([_][2]i32{ .{ 3, 1001 }, .{ 429, 7 } }) |shape| {
        const p: abi.SoftmaxF32Params = .{ .rows = shape[0], .depth = shape[1], .beta = 0.7, .threads = 1 };
        const n: usize = @intCast(shape[0] * shape[1]);
        const s: softmax.Rows = .{ .p = &p, .x = &x, .out = undefined };
        for (copies("softmax_f32", softmax.rowTask).constSlice(), 0..) |f, k| {
            var c = s;
            c.out = if (k == 0) &want else &got;
            run(1, @intCast(shape[0]), &c, f);
            if (k > 0) try std.testing.expectEqualSlices(u32, @ptrCast(want[0..n]), @ptrCast(got[0..n]));
        }
    }
}

test "every ISA copy of the GEMM's after-block epilogue writes the baseline's bits" {
    const bgemm = @import("bgemm.zig");
    var prng = std.Random.DefaultPrng.init(99);
    const rows = 37;
    const n = 70; // blocks 0 and 1 whole, block 2 of 6 channels
    var conv: [rows * n]f32 = undefined;
    var residual: [rows * n]f32 = undefined;
    var fix: [5 * n]f32 = undefined;
    for (&conv) |*v| v.* = prng.random().floatNorm(f32) * 3;
    for (&residual) |*v| v.* = prng.random().floatNorm(f32) * 3;
    for (&fix) |*v| v.* = prng.random().floatNorm(f32);
    // An "image" of 9 pixels, 5 of them on the border.
    const slots = [_]i32{ 0, 1, 2, 3, -1, 4, -1, -1, -1 };
    var want: [rows * n]f32 = undefined;
    var got: [rows * n]f32 = undefined;
    var want_q: [rows * 3]u32 = undefined;
    var got_q: [rows * 3]u32 = undefined;
    for ([_]bool{ false, true }) |border| {
        for ([_][2]f32{ .{ -std.math.inf(f32), std.math.inf(f32) }, .{ 0, 6 } }) |clamps| {
            for (0..3) |b| {
                for (copies("bgemm_epilogue", bgemm.epilogueTask).constSlice(), 0..) |f, k| {
                    const out = if (k == 0) &want else &got;
                    const q = if (k == 0) &want_q else &got_q;
                    out.* = conv;
                    @memset(q, 0);
                    const call: bgemm.EpilogueCall = .{ .residual = &residual, .clamp_min = clamps[0], .clamp_max = clamps[1], .packed_out = q, .slots = if (border) &slots else null, .fix = &fix, .image_pixels = slots.len, .out = out, .n = n, .b = b, .row_begin = 3, .row_end = rows };
                    f(&call, 0);
                    if (k > 0) {
                        try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&got));
                        try std.testing.expectEqualSlices(u32, &want_q, &got_q);
                    }
                }
            }
        }
    }
}

test "every ISA copy of the small-cin filter gradient and of max pooling's argmax and gradient writes the baseline's bits" {
    const abi = @import("abi.zig");
    const grad = @import("train_conv2d_small_cin.zig");
    const pool2d = @import("pool2d.zig");
    const train_pool = @import("train_pool.zig");
    const gpa = std.testing.allocator;
    var prng = std.Random.DefaultPrng.init(19);
    const x = try gpa.alloc(f32, 2 * 11 * 13 * 40);
    defer gpa.free(x);
    for (x) |*v| v.* = @round(prng.random().floatNorm(f32) * 2);
    const dy = try gpa.alloc(f32, 2 * 11 * 13 * 40);
    defer gpa.free(dy);
    for (dy) |*v| v.* = prng.random().floatNorm(f32);
    const want = try gpa.alloc(f32, x.len);
    defer gpa.free(want);
    const got = try gpa.alloc(f32, x.len);
    defer gpa.free(got);
    // The filter gradient: 3 channels, 3x3 SAME (border taps), 40 filters (a partial second block).
    const cp: abi.Conv2dF32Params = .{ .batch = 2, .in_h = 11, .in_w = 13, .channels_in = 3, .channels_out = 40, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 2, .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .out_h = 11, .out_w = 7, .clamp_min = 0, .clamp_max = 0, .ukernel = -1, .threads = 1, .keep_cols = 0 };
    // Both channel blocks, 9 taps a task, the 22 output rows in 3 chunks: the partial sums.
    const partials = 3 * 27 * 32;
    for (copies("conv2d_filter_small_cin", grad.gradTask).constSlice(), 0..) |f, k| {
        for (0..2) |b| {
            const out = if (k == 0) want else got;
            const s: grad.Grad = .{ .p = &cp, .input = x.ptr, .dy = dy.ptr, .partials = out[b * partials ..].ptr, .b = b, .groups = 3, .chunks = 3 };
            run(1, 3 * 3, &s, f);
        }
        if (k > 0) try std.testing.expectEqualSlices(u32, @ptrCast(want[0 .. 2 * partials]), @ptrCast(got[0 .. 2 * partials]));
    }
    // Max pooling 2x2/2 over 40 channels (chunks of 32 overlap), VALID (a row and a column no window covers).
    const pp: abi.Pool2dF32Params = .{ .batch = 2, .in_h = 11, .in_w = 13, .channels = 40, .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2, .pad_top = 0, .pad_left = 0, .out_h = 5, .out_w = 6, .kind = 0, .clamp_min = 0, .clamp_max = 0, .threads = 1 };
    const outputs = 2 * 5 * 6 * 40;
    var arg_want: [outputs]i32 = undefined;
    var arg_got: [outputs]i32 = undefined;
    for (copies("maxpool_argmax_f32", pool2d.argRowTask).constSlice(), 0..) |f, k| {
        const r: pool2d.ArgRows = .{ .p = &pp, .input = x.ptr, .out = if (k == 0) want.ptr else got.ptr, .arg = if (k == 0) &arg_want else &arg_got, .split = .{ .rows = 10, .groups = 1, .unit = 32 } };
        run(1, 10, &r, f);
        if (k > 0) {
            try std.testing.expectEqualSlices(u32, @ptrCast(want[0..outputs]), @ptrCast(got[0..outputs]));
            try std.testing.expectEqualSlices(i32, &arg_want, &arg_got);
        }
    }
    for (copies("maxpool_grad_windows_f32", train_pool.gradRowTask).constSlice(), 0..) |f, k| {
        const out = if (k == 0) want else got;
        const s: train_pool.GradRows = .{ .p = &pp, .grad_output = dy.ptr, .argmax = &arg_want, .grad_input = out.ptr };
        run(1, 2 * 11, &s, f);
        if (k > 0) try std.testing.expectEqualSlices(u32, @ptrCast(want), @ptrCast(got));
    }
}

test "the AVX2 and AVX-512 copies of the direct stem convolution write the same bits (both fuse), narrow blocks too" {
    const abi = @import("abi.zig");
    const small_cin = @import("conv2d_small_cin.zig");
    var prng = std.Random.DefaultPrng.init(21);
    const rnd = prng.random();
    var in: [2 * 9 * 13 * 3]f32 = undefined;
    for (&in) |*x| x.* = rnd.floatNorm(f32);
    // Filter packed as the GEMM's [blocks, 27, 32], bias padded to the block: 64 channels' room.
    var filter: [2 * 27 * 32]f32 = undefined;
    for (&filter) |*x| x.* = rnd.floatNorm(f32);
    var bias: [64]f32 = undefined;
    for (&bias) |*x| x.* = rnd.floatNorm(f32);
    var want: [2 * 9 * 13 * 64]f32 = undefined;
    var got: [want.len]f32 = undefined;
    // 8, 16, 24 filters: 1, 2, 3 of the 4 ymm of a block on AVX2; 40: a whole block, then 8 channels.
    for ([_]i32{ 8, 16, 24, 40 }) |cout| {
        const p: abi.Conv2dF32Params = .{ .batch = 2, .in_h = 9, .in_w = 13, .channels_in = 3, .channels_out = cout, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .out_h = 9, .out_w = 13, .clamp_min = -2, .clamp_max = 3, .ukernel = -1, .threads = 1, .keep_cols = 0 };
        const n: usize = @intCast(2 * 9 * 13 * cout);
        const list = copies("conv2d_small_cin", small_cin.rowTask);
        // The baseline copy (SSE) does not fuse: only the fused copies (index 1 on) are compared.
        for (list.constSlice()[1..], 0..) |f, k| {
            const out = if (k == 0) &want else &got;
            @memset(out, std.math.nan(f32));
            const s: small_cin.Rows = .{ .p = &p, .input = &in, .filter = &filter, .bias = &bias, .out = out };
            run(1, 2 * 9, &s, f);
            if (k > 0) try std.testing.expectEqualSlices(u32, @ptrCast(want[0..n]), @ptrCast(got[0..n]));
        }
    }
}

test "every ISA copy of the batch norm loops writes the baseline's bits (16- and 8-lane sums and their tails)" {
    const bn = @import("train_bn.zig");
    var prng = std.Random.DefaultPrng.init(29);
    const rows = 50;
    const c = 45;
    var x: [rows * c]f32 = undefined;
    var dy: [rows * c]f32 = undefined;
    var gamma: [c]f32 = undefined;
    var beta: [c]f32 = undefined;
    for (&x, &dy) |*v, *d| {
        v.* = prng.random().floatNorm(f32) * 3 + 1;
        d.* = prng.random().floatNorm(f32);
    }
    for (&gamma, &beta) |*g, *b| {
        g.* = prng.random().float(f32) + 0.5;
        b.* = prng.random().floatNorm(f32);
    }
    const p: bn.BnTrainParams = .{ .rows = rows, .channels = c, .has_gamma = 1, .has_beta = 1, .epsilon = 1e-3, .threads = 1 };
    // out = [y | dx], stats, dgamma, dbeta of each copy.
    const Result = struct { out: [2 * rows * c]f32, stats: [3 * c]f32, dg: [c]f32, db: [c]f32 };
    var want: Result = undefined;
    var got: Result = undefined;
    for (copies("bn_train_f32", bn.rangeTask).constSlice(), 0..) |f, k| {
        const r = if (k == 0) &want else &got;
        @memset(&r.out, std.math.nan(f32));
        var a: bn.Args = .{ .p = &p, .x = &x, .gamma = &gamma, .beta = &beta, .out = &r.out, .stats = &r.stats };
        const fwd: bn.Ranges = .{ .args = a, .loop = .forward_blocks, .n = 1, .per = 1 };
        run(1, 1, &fwd, f);
        a.out = r.out[rows * c ..].ptr;
        a.dy = &dy;
        a.dgamma = &r.dg;
        a.dbeta = &r.db;
        const bwd: bn.Ranges = .{ .args = a, .loop = .backward_blocks, .n = 1, .per = 1 };
        run(1, 1, &bwd, f);
        if (k > 0) {
            try std.testing.expectEqualSlices(u32, @ptrCast(&want.out), @ptrCast(&got.out));
            try std.testing.expectEqualSlices(u32, @ptrCast(&want.stats), @ptrCast(&got.stats));
            try std.testing.expectEqualSlices(u32, @ptrCast(&want.dg), @ptrCast(&got.dg));
            try std.testing.expectEqualSlices(u32, @ptrCast(&want.db), @ptrCast(&got.db));
        }
    }
}
