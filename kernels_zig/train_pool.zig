//! Max pooling's backward pass in training: each output's gradient added to
//! the input its window's maximum came from (the argmax the forward pass
//! recorded, pool2d.zig `maxpool2dArgmax`), into a zeroed input gradient, in
//! output order (as the TypeScript reference, so that sums of overlapping
//! windows round alike).
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;
const isa_loops = @import("isa_loops.zig");
const Window = @import("window.zig").Window;

/// A scatter of `output_count` gradients into `input_count` values, on `threads` threads.
pub const MaxPoolGradParams = extern struct {
    input_count: i32,
    output_count: i32,
    threads: i32,
};

/// Input values below which the scatter runs on the calling thread: the split costs two pool jobs and a pass
/// over the indices, worth it from about a megabyte of gradient.
const min_split_inputs = 1 << 18;

/// grad_input = 0, then grad_input[argmax[o]] += grad_output[o] for each o; an index outside the input is an
/// invalid argument (nothing is written past it on one thread; on more, grad_input is then unspecified).
/// On threads the outputs are cut into one contiguous part per thread, at the start of an image or output row
/// near the even cut (`cleanCut`). When the parts' index ranges come in increasing order without overlapping,
/// each thread zeroes the inputs from its part's first index up to the next part's and adds its part's
/// gradients in output order: every value sums its gradients in the same order on any thread count (the bits
/// of one thread and of the TS reference). Other index patterns run on one thread.
pub fn maxpoolGrad(p: *const MaxPoolGradParams, grad_output: [*]const f32, argmax: [*]const i32, grad_input: [*]f32) abi.Status {
    if (p.input_count < 0 or p.output_count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const parts = @min(u(p.threads), u(p.output_count));
    if (parts <= 1 or p.input_count < min_split_inputs) return scatterSerial(p, grad_output, argmax, grad_input);
    var s: Parts = .{ .p = p, .grad_output = grad_output, .argmax = argmax, .grad_input = grad_input, .parts = parts };
    s.cut[0] = 0;
    s.cut[parts] = u(p.output_count);
    for (1..parts) |j| {
        s.cut[j] = cleanCut(argmax, s.cut[j - 1] + 1, j * u(p.output_count) / parts, u(p.output_count)) orelse
            return scatterSerial(p, grad_output, argmax, grad_input);
    }
    thread_pool.run(parts, parts, &s, Parts.measure);
    for (0..parts) |j| {
        if (s.lo[j] < 0 or s.hi[j] >= p.input_count) return .invalid_argument;
        if (j > 0 and s.lo[j] <= s.hi[j - 1]) return scatterSerial(p, grad_output, argmax, grad_input);
    }
    thread_pool.run(parts, parts, &s, Parts.scatter);
    return .ok;
}

/// Outputs looked at before and after a wanted cut (a pooling's output row holds width · channels of them).
const cut_search = 1 << 14;

/// The first output c in [max(first, near), near + cut_search), below `end`, whose index exceeds every index of
/// the cut_search outputs before it (the first output of an image, or of an output row when windows do not
/// overlap); null when none. A guess: `maxpoolGrad` checks the parts' index ranges themselves.
fn cleanCut(argmax: [*]const i32, first: usize, near: usize, end: usize) ?usize {
    const start = @max(first, near);
    var m: i32 = std.math.minInt(i32);
    for (argmax[start -| cut_search..start]) |i| m = @max(m, i);
    for (start..@min(end, near + cut_search)) |c| {
        if (argmax[c] > m) return c;
        m = @max(m, argmax[c]);
    }
    return null;
}

fn scatterSerial(p: *const MaxPoolGradParams, grad_output: [*]const f32, argmax: [*]const i32, grad_input: [*]f32) abi.Status {
    @memset(grad_input[0..u(p.input_count)], 0);
    for (0..u(p.output_count)) |o| {
        const i = argmax[o];
        if (i < 0 or i >= p.input_count) return .invalid_argument;
        grad_input[u(i)] += grad_output[o];
    }
    return .ok;
}

/// The scatter on `parts` threads: `measure` finds each part's smallest and largest index, `scatter` runs it.
const Parts = struct {
    p: *const MaxPoolGradParams,
    grad_output: [*]const f32,
    argmax: [*]const i32,
    grad_input: [*]f32,
    parts: usize,
    /// Part j is outputs [cut[j], cut[j + 1]): contiguous, non-empty, together every output.
    cut: [thread_pool.max_threads + 1]usize = undefined,
    lo: [thread_pool.max_threads]i32 = undefined,
    hi: [thread_pool.max_threads]i32 = undefined,

    fn outputs(s: *const Parts, j: usize) struct { usize, usize } {
        std.debug.assert(s.cut[j] < s.cut[j + 1]);
        return .{ s.cut[j], s.cut[j + 1] };
    }

    fn measure(ctx: *const anyopaque, j: usize) void {
        const s: *Parts = @constCast(@ptrCast(@alignCast(ctx)));
        const begin, const end = s.outputs(j);
        var lo: i32 = std.math.maxInt(i32);
        var hi: i32 = std.math.minInt(i32);
        for (s.argmax[begin..end]) |i| {
            lo = @min(lo, i);
            hi = @max(hi, i);
        }
        s.lo[j] = lo;
        s.hi[j] = hi;
    }

    /// Part j owns inputs [lo_j, lo_{j+1}) (from 0 for the first part, to the end for the last): zeroed, then its
    /// outputs added (all of them land there: the parts' index ranges are ordered and disjoint).
    fn scatter(ctx: *const anyopaque, j: usize) void {
        const s: *const Parts = @ptrCast(@alignCast(ctx));
        const from: usize = if (j == 0) 0 else u(s.lo[j]);
        const to: usize = if (j + 1 == s.parts) u(s.p.input_count) else u(s.lo[j + 1]);
        @memset(s.grad_input[from..to], 0);
        const begin, const end = s.outputs(j);
        for (s.argmax[begin..end], s.grad_output[begin..end]) |i, g| {
            std.debug.assert(u(i) >= from and u(i) < to);
            s.grad_input[u(i)] += g;
        }
    }
};

/// Windows that do not overlap (stride ≥ kernel on both axes): each input value is the argmax of at most one
/// window. Then `maxpoolGradWindows` writes every input gradient in one pass, row by row of the input.
pub fn disjoint(p: *const abi.Pool2dF32Params) bool {
    return p.stride_h >= p.kernel_h and p.stride_w >= p.kernel_w;
}

/// One gradient of disjoint windows as its row tasks read it (extern: the ISA objects' copies share it).
pub const GradRows = extern struct {
    p: *const abi.Pool2dF32Params,
    grad_output: [*]const f32,
    argmax: [*]const i32,
    grad_input: [*]f32,

    /// The output index of the window holding input position i (a row or a column), or null.
    pub fn window(i: usize, pad: i32, stride: i32, kernel: i32, out: i32) ?usize {
        const q = i + u(pad);
        const o = q / u(stride);
        return if (o < u(out) and q - o * u(stride) < u(kernel)) o else null;
    }

    /// Input row t (image t / in_h, row t % in_h): each value 0 + dy of its window where it is the window's
    /// argmax, else 0 (the scatter's sum over one gradient, the same bits).
    fn task(s: *const GradRows, t: usize) void {
        const p = s.p;
        const c = u(p.channels);
        const n = t / u(p.in_h);
        const iy = t % u(p.in_h);
        const row = s.grad_input + t * u(p.in_w) * c;
        const oy = window(iy, p.pad_top, p.stride_h, p.kernel_h, p.out_h) orelse return @memset(row[0 .. u(p.in_w) * c], 0);
        for (0..u(p.in_w)) |ix| {
            const dst = row + ix * c;
            const ox = window(ix, p.pad_left, p.stride_w, p.kernel_w, p.out_w) orelse {
                @memset(dst[0..c], 0);
                continue;
            };
            const o = ((n * u(p.out_h) + oy) * u(p.out_w) + ox) * c;
            const base: i32 = @intCast((t * u(p.in_w) + ix) * c);
            pickGradients(dst, s.grad_output + o, s.argmax + o, base, c);
        }
    }
};

/// dst[ch] = 0 + dy[ch] (dy, -0 made +0) where arg[ch] is input index base + ch, else +0, for ch < c: 32 channels at a time (the
/// last chunk overlapping the one before), a tail of fewer channels one by one.
pub fn pickGradients(dst: [*]f32, dy: [*]const f32, arg: [*]const i32, base: i32, c: usize) void {
    const chunk = 32;
    const V = @Vector(chunk, f32);
    const I = @Vector(chunk, i32);
    if (c < chunk) {
        for (0..c) |ch| dst[ch] = if (arg[ch] == base + @as(i32, @intCast(ch)) and dy[ch] != 0) dy[ch] else 0;
        return;
    }
    const zero: V = @splat(0);
    var ch: usize = 0;
    while (ch < c) {
        const at = @min(ch, c - chunk);
        const want = @as(I, @splat(base + @as(i32, @intCast(at)))) + std.simd.iota(i32, chunk);
        const d: V = dy[at..][0..chunk].*;
        const a: I = arg[at..][0..chunk].*;
        // 0 + dy (the scatter's sum) is dy but for -0, which becomes +0: LLVM folds the add away, so select.
        dst[at..][0..chunk].* = @select(f32, a == want, @select(f32, d != zero, d, zero), zero);
        ch = at + chunk;
    }
}

/// Input row t of the gradient `ctx` (a `*const GradRows`).
pub fn gradRowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const GradRows = @ptrCast(@alignCast(ctx));
    s.task(t);
}

/// Max pooling's input gradient for disjoint windows (`disjoint`), from the forward pass's argmax: one pass
/// writing every input value (no zeroing first), threads split input rows. The same bits as `maxpoolGrad` for
/// the argmax of pool2d.zig `maxpool2dArgmax` (an index outside its window drops that gradient).
pub fn maxpoolGradWindows(p: *const abi.Pool2dF32Params, grad_output: [*]const f32, argmax: [*]const i32, grad_input: [*]f32) abi.Status {
    const g = Window.of(p);
    if (!g.valid() or p.channels <= 0 or !thread_pool.validThreads(p.threads) or !disjoint(p)) return .invalid_argument;
    if (@as(i64, g.batch) * g.in_h * g.in_w * p.channels > std.math.maxInt(i32)) return .invalid_argument;
    const s: GradRows = .{ .p = p, .grad_output = grad_output, .argmax = argmax, .grad_input = grad_input };
    const rows = u(g.batch) * u(g.in_h);
    const threads = if (rows * u(g.in_w) * u(p.channels) < min_split_inputs) 1 else u(p.threads);
    isa_loops.run(threads, rows, &s, isa_loops.pick("maxpool_grad_windows_f32", gradRowTask));
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_maxpool2d_argmax_grad_windows_f32(params: *const abi.Pool2dF32Params, grad_output: [*]const f32, argmax: [*]const i32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(maxpoolGradWindows(params, grad_output, argmax, grad_input));
}

pub fn onebit_maxpool2d_argmax_grad_f32(params: *const MaxPoolGradParams, grad_output: [*]const f32, argmax: [*]const i32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(maxpoolGrad(params, grad_output, argmax, grad_input));
}

test "maxpoolGrad: scatters and sums into the argmax, zero elsewhere; an index past the input is refused" {
    const dy = [_]f32{ 1, 2, 4 };
    const arg = [_]i32{ 3, 0, 3 };
    var dx = [_]f32{ 9, 9, 9, 9, 9 };
    const p: MaxPoolGradParams = .{ .input_count = 5, .output_count = 3, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, maxpoolGrad(&p, &dy, &arg, &dx));
    try std.testing.expectEqualSlices(f32, &.{ 2, 0, 0, 5, 0 }, &dx);
    const bad = [_]i32{ 5, 0, 0 };
    try std.testing.expectEqual(abi.Status.invalid_argument, maxpoolGrad(&p, &dy, &bad, &dx));
}

test "maxpoolGrad: 1, 2 and 3 threads give the same bits, on row-ordered indices (split) and scattered ones (one thread)" {
    const n_in = 300_001;
    const n_out = 200_000;
    const dy = try std.testing.allocator.alloc(f32, n_out);
    defer std.testing.allocator.free(dy);
    const arg = try std.testing.allocator.alloc(i32, n_out);
    defer std.testing.allocator.free(arg);
    var rng = std.Random.DefaultPrng.init(19);
    for ([_]bool{ true, false }) |ordered| {
        // Ordered: non-decreasing with repeats (sums of several values, whose rounding depends on their order),
        // as overlapping windows give; scattered: any index, many repeats.
        var at: u32 = 0;
        for (dy, arg) |*d, *a| {
            d.* = rng.random().floatNorm(f32);
            at = @min(n_in - 1, at + rng.random().uintLessThan(u32, 3));
            a.* = @intCast(if (ordered) at else rng.random().uintLessThan(u32, n_in) / 37 * 37);
        }
        const want = try std.testing.allocator.alloc(f32, n_in);
        defer std.testing.allocator.free(want);
        const got = try std.testing.allocator.alloc(f32, n_in);
        defer std.testing.allocator.free(got);
        try std.testing.expectEqual(abi.Status.ok, maxpoolGrad(&.{ .input_count = n_in, .output_count = n_out, .threads = 1 }, dy.ptr, arg.ptr, want.ptr));
        for ([_]i32{ 2, 3 }) |threads| {
            @memset(got, 9);
            try std.testing.expectEqual(abi.Status.ok, maxpoolGrad(&.{ .input_count = n_in, .output_count = n_out, .threads = threads }, dy.ptr, arg.ptr, got.ptr));
            try std.testing.expectEqualSlices(u32, @ptrCast(want), @ptrCast(got));
        }
        const last = arg[n_out - 1];
        arg[n_out - 1] = n_in;
        try std.testing.expectEqual(abi.Status.invalid_argument, maxpoolGrad(&.{ .input_count = n_in, .output_count = n_out, .threads = 2 }, dy.ptr, arg.ptr, got.ptr));
        arg[n_out - 1] = last;
    }
}
