//! Binary GEMM driver: rhs packing, micro-kernel selection, tiling and
//! threading. The arithmetic lives in the micro-kernels (bgemm_ukernel.zig).
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const uk = @import("ukernels.zig");
const template = @import("bgemm_ukernel.zig");
const pool = @import("pool.zig");

const TileArgs = template.TileArgs;
const block = uk.channel_block;

pub const kernels = uk.forArch(builtin.cpu.arch);

const Entry = struct {
    f32: *const template.TileFn,
    b32: *const template.TileFn,
    peak: *const template.PeakFn,
};

/// Pointers to the micro-kernels of the per-ISA objects, in list order.
pub const table: [kernels.len]Entry = blk: {
    var t: [kernels.len]Entry = undefined;
    for (kernels, 0..) |e, i| {
        const prefix = "onebit_uk_" ++ e.name;
        t[i] = .{
            .f32 = @extern(*const template.TileFn, .{ .name = prefix ++ "_f32" }),
            .b32 = @extern(*const template.TileFn, .{ .name = prefix ++ "_b32" }),
            .peak = @extern(*const template.PeakFn, .{ .name = prefix ++ "_peak" }),
        };
    }
    break :blk t;
};

const selection = @import("select.zig").Selection(kernels);
pub const supported = selection.supported;
pub const select = selection.select;

fn roundUp(x: usize, m: usize) usize {
    return (x + m - 1) / m * m;
}

pub fn blocks(channels_out: usize) usize {
    return (channels_out + block - 1) / block;
}

pub fn packedRhsWords(channels_out: usize, depth_words: usize) usize {
    return blocks(channels_out) * depth_words * block;
}

/// [channels_out, depth] -> [blocks, depth, 32], zero for missing channels.
pub fn packRhs(channels_out: usize, depth_words: usize, rhs: [*]const u32, out: [*]u32) void {
    for (0..blocks(channels_out)) |b| {
        const dst = out + b * depth_words * block;
        for (0..depth_words) |k| {
            for (0..block) |j| {
                const c = b * block + j;
                dst[k * block + j] = if (c < channels_out) rhs[c * depth_words + k] else 0;
            }
        }
    }
}

pub const Output = union(enum) {
    f32: struct { multiplier: [*]const f32, bias: [*]const f32, out: [*]f32, epilogue: ?Epilogue = null },
    b32: struct { threshold: [*]const i32, out: [*]u32 },
};

/// Applied to float output rows right after a task writes them (still in cache): out = clamp(out + residual)
/// (a fused ADD), then, when `packed_out` is set, the LceQuantize of the sum (bit = 1 iff value < 0).
pub const Epilogue = struct {
    residual: [*]const f32,
    clamp_min: f32,
    clamp_max: f32,
    packed_out: ?[*]u32,

    /// Channels [32 b, 32 b + 32) of rows [row_begin, row_end), `n` channels a row.
    fn apply(e: Epilogue, out: [*]f32, n: usize, b: usize, row_begin: usize, row_end: usize) void {
        const c0 = b * block;
        const width = @min(block, n - c0);
        if (width == block) {
            // Whole blocks (the common case): one 32-lane vector a row.
            const V = @Vector(block, f32);
            const lo: V = @splat(e.clamp_min);
            const hi: V = @splat(e.clamp_max);
            for (row_begin..row_end) |r| {
                const o = out + r * n + c0;
                const v = @as(V, o[0..block].*) + @as(V, (e.residual + r * n + c0)[0..block].*);
                const low = @select(f32, v < lo, lo, v);
                const y = @select(f32, low > hi, hi, low);
                o[0..block].* = y;
                if (e.packed_out) |q| q[r * blocks(n) + b] = @bitCast(y < @as(V, @splat(0)));
            }
            return;
        }
        for (row_begin..row_end) |r| {
            const o = out + r * n + c0;
            const x = e.residual + r * n + c0;
            var word: u32 = 0;
            for (0..width) |j| {
                const v = o[j] + x[j];
                const low = if (v < e.clamp_min) e.clamp_min else v;
                const y = if (low > e.clamp_max) e.clamp_max else low;
                o[j] = y;
                word |= @as(u32, @intFromBool(y < 0)) << @intCast(j);
            }
            if (e.packed_out) |q| q[r * blocks(n) + b] = word;
        }
    }
};

const Job = struct {
    p: abi.BgemmParams,
    kernel: usize,
    lhs: [*]const u32,
    rhs: [*]const u32,
    output: Output,
    rows_per_task: usize,
    row_tasks: usize,
    /// When set, a task first writes its own lhs rows (im2col) and then runs
    /// every block over them: no barrier between the two, and the rows are
    /// still in cache when the micro-kernels read them.
    producer: ?Producer,
    /// Tasks are row chunks with every channel block (else one block of one
    /// row chunk): on several threads, each thread then owns whole output
    /// rows, as the ops before and after it do.
    whole_rows: bool,
};

/// Writes lhs rows [row_begin, row_end) into the lhs buffer.
pub const Producer = struct {
    ctx: *const anyopaque,
    func: *const fn (ctx: *const anyopaque, row_begin: usize, row_end: usize) void,
};

/// Runs a producer over all rows on the pool, before an unfused GEMM.
const Prefill = struct {
    producer: Producer,
    rows_per_task: usize,
    rows: usize,

    fn task(ctx: *const anyopaque, t: usize) void {
        const self: *const Prefill = @ptrCast(@alignCast(ctx));
        const begin = t * self.rows_per_task;
        self.producer.func(self.producer.ctx, begin, @min(self.rows, begin + self.rows_per_task));
    }
};

/// Rows per task: enough tiles to amortise a task, few enough to balance.
const target_rows_per_task = 192;

fn runTask(ctx: *const anyopaque, task: usize) void {
    const job: *const Job = @ptrCast(@alignCast(ctx));
    const rows: usize = @intCast(job.p.rows);
    if (job.whole_rows) {
        const row_begin = task * job.rows_per_task;
        const row_end = @min(rows, row_begin + job.rows_per_task);
        if (job.producer) |producer| producer.func(producer.ctx, row_begin, row_end);
        for (0..blocks(@intCast(job.p.channels_out))) |b| runBlock(job, b, row_begin, row_end);
    } else {
        // Consecutive tasks share a block of packed weights.
        const row_begin = (task % job.row_tasks) * job.rows_per_task;
        runBlock(job, task / job.row_tasks, row_begin, @min(rows, row_begin + job.rows_per_task));
    }
}

/// Output channels [32 b, 32 b + 32) of rows [row_begin, row_end).
fn runBlock(job: *const Job, b: usize, row_begin: usize, row_end: usize) void {
    const e = kernels[job.kernel];
    const mr = e.mr;
    const nr = e.nr();
    const p = job.p;
    const n: usize = @intCast(p.channels_out);
    const depth: usize = @intCast(p.depth_words);
    const out_words = blocks(n);

    var args: TileArgs = .{
        .lhs = undefined,
        .lhs_stride_words = depth,
        .rows = undefined,
        .rhs = undefined,
        .depth_words = depth,
        .depth_bits = p.depth_bits,
        .clamp_min = p.clamp_min,
        .clamp_max = p.clamp_max,
        .multiplier = undefined,
        .bias = undefined,
        .threshold = undefined,
        .cols = undefined,
        .out_f32 = undefined,
        .out_f32_stride = n,
        .out_b32 = undefined,
        .out_b32_stride = out_words,
        .bit_shift = 0,
    };
    var r = row_begin;
    while (r < row_end) : (r += mr) {
        args.lhs = job.lhs + r * depth;
        args.rows = @min(mr, row_end - r);
        var sub: usize = 0;
        while (sub < block) : (sub += nr) {
            const c0 = b * block + sub;
            if (c0 >= n) break;
            args.rhs = job.rhs + b * depth * block + sub;
            args.cols = @min(nr, n - c0);
            switch (job.output) {
                .f32 => |o| {
                    args.multiplier = o.multiplier + c0;
                    args.bias = o.bias + c0;
                    args.out_f32 = o.out + r * n + c0;
                    table[job.kernel].f32(&args);
                },
                .b32 => |o| {
                    args.threshold = o.threshold + c0;
                    args.out_b32 = o.out + r * out_words + b;
                    args.bit_shift = @intCast(sub);
                    table[job.kernel].b32(&args);
                },
            }
        }
    }
    switch (job.output) {
        .f32 => |o| if (o.epilogue) |epi| epi.apply(o.out, n, b, row_begin, row_end),
        .b32 => {},
    }
}

pub fn run(p: *const abi.BgemmParams, lhs: [*]const u32, rhs: [*]const u32, output: Output) abi.Status {
    return runWith(p, lhs, rhs, output, null);
}

/// `run`, with the lhs rows written by `producer` inside the tasks, when
/// there are enough row chunks to share (else the producer runs first, on
/// all threads, and the GEMM splits along output channels too).
pub fn runWith(p: *const abi.BgemmParams, lhs: [*]const u32, rhs: [*]const u32, output: Output, producer: ?Producer) abi.Status {
    if (p.rows < 0 or p.channels_out <= 0 or p.depth_words <= 0 or p.depth_bits <= 0 or
        @as(i64, p.depth_bits) > @as(i64, p.depth_words) * 32 or p.clamp_min > p.clamp_max or p.threads < 1)
        return .invalid_argument;
    const kernel = select(p.ukernel) orelse return .unsupported_ukernel;
    if (p.rows == 0) return .ok;
    const rows: usize = @intCast(p.rows);
    const mr = kernels[kernel].mr;
    const threads: usize = @intCast(p.threads);
    const n_blocks = blocks(@intCast(p.channels_out));
    // Round to whole tiles; split finer when there are too few tasks to share.
    const max_rows_per_task = @max(mr, (target_rows_per_task / mr) * mr);
    var rows_per_task = max_rows_per_task;
    const min_tasks = 4 * threads;
    if (threads > 1 and n_blocks * ((rows + rows_per_task - 1) / rows_per_task) < min_tasks) {
        const per = (rows * n_blocks + min_tasks - 1) / min_tasks;
        rows_per_task = @max(mr, roundUp(per, mr));
    }
    var row_tasks = (rows + rows_per_task - 1) / rows_per_task;
    var fused = producer;
    const whole_rows_each = std.math.clamp(roundUp((rows + 8 * threads - 1) / (8 * threads), mr), mr, max_rows_per_task);
    const whole_row_tasks = (rows + whole_rows_each - 1) / whole_rows_each;
    var whole_rows = false;
    if (producer == null and threads > 1 and whole_row_tasks >= 4 * threads) {
        rows_per_task = whole_rows_each;
        row_tasks = whole_row_tasks;
        whole_rows = true;
    }
    if (producer) |prod| {
        if (threads == 1 or whole_row_tasks >= 4 * threads) {
            rows_per_task = whole_rows_each;
            row_tasks = whole_row_tasks;
            whole_rows = true;
        } else {
            fused = null;
            const per = (rows + 4 * threads - 1) / (4 * threads);
            const all_rows: Prefill = .{ .producer = prod, .rows_per_task = per, .rows = rows };
            pool.run(threads, (rows + per - 1) / per, &all_rows, Prefill.task);
        }
    }
    const job: Job = .{
        .p = p.*,
        .kernel = kernel,
        .lhs = lhs,
        .rhs = rhs,
        .output = output,
        .rows_per_task = rows_per_task,
        .row_tasks = row_tasks,
        .producer = fused,
        .whole_rows = whole_rows,
    };
    pool.run(threads, if (whole_rows) row_tasks else row_tasks * n_blocks, &job, runTask);
    return .ok;
}

// ---- tests: every supported micro-kernel against a scalar oracle ----

fn oracle(depth: usize, lhs: []const u32, rhs: []const u32, r: usize, c: usize) i32 {
    var acc: i32 = 0;
    for (0..depth) |k| acc += @popCount(lhs[r * depth + k] ^ rhs[c * depth + k]);
    return acc;
}

test "every supported micro-kernel matches the oracle on tile edges" {
    const gpa = std.testing.allocator;
    var prng = std.Random.DefaultPrng.init(42);
    const rnd = prng.random();
    const shapes = [_][3]usize{ .{ 1, 1, 1 }, .{ 7, 33, 3 }, .{ 9, 64, 31 }, .{ 13, 65, 32 }, .{ 25, 8, 70 }, .{ 3, 127, 300 } };
    for (0..kernels.len) |ki| {
        if (!supported(ki)) continue;
        for (shapes) |s| {
            const rows, const n, const depth = s;
            const lhs = try gpa.alloc(u32, rows * depth);
            defer gpa.free(lhs);
            const rhs = try gpa.alloc(u32, n * depth);
            defer gpa.free(rhs);
            for (lhs) |*x| x.* = rnd.int(u32);
            for (rhs) |*x| x.* = rnd.int(u32);
            const packed_rhs = try gpa.alloc(u32, packedRhsWords(n, depth));
            defer gpa.free(packed_rhs);
            packRhs(n, depth, rhs.ptr, packed_rhs.ptr);
            const np = blocks(n) * block;
            const mult = try gpa.alloc(f32, np);
            defer gpa.free(mult);
            const bias = try gpa.alloc(f32, np);
            defer gpa.free(bias);
            const thr = try gpa.alloc(i32, np);
            defer gpa.free(thr);
            for (mult, bias, thr, 0..) |*m, *b, *t, i| {
                m.* = 0.5 + @as(f32, @floatFromInt(i % 3));
                b.* = @floatFromInt(@as(i32, @intCast(i % 5)) - 2);
                t.* = @intCast((depth * 32 / 2) + i % 7);
            }
            const out = try gpa.alloc(f32, rows * n);
            defer gpa.free(out);
            const outb = try gpa.alloc(u32, rows * blocks(n));
            defer gpa.free(outb);
            @memset(outb, 0xdead_beef);
            for ([_]i32{ 1, 2 }) |threads| {
                const p: abi.BgemmParams = .{ .rows = @intCast(rows), .channels_out = @intCast(n), .depth_words = @intCast(depth), .depth_bits = @intCast(depth * 32), .clamp_min = -1000, .clamp_max = 1000, .ukernel = @intCast(ki), .threads = threads };
                try std.testing.expectEqual(abi.Status.ok, run(&p, lhs.ptr, packed_rhs.ptr, .{ .f32 = .{ .multiplier = mult.ptr, .bias = bias.ptr, .out = out.ptr } }));
                try std.testing.expectEqual(abi.Status.ok, run(&p, lhs.ptr, packed_rhs.ptr, .{ .b32 = .{ .threshold = thr.ptr, .out = outb.ptr } }));
                for (0..rows) |r| {
                    for (0..n) |c| {
                        const acc = oracle(depth, lhs, rhs, r, c);
                        const dot = std.math.clamp(@as(i32, @intCast(depth * 32)) - 2 * acc, -1000, 1000);
                        const want = @as(f32, @floatFromInt(dot)) * mult[c] + bias[c];
                        try std.testing.expectEqual(want, out[r * n + c]);
                        const bit = (outb[r * blocks(n) + c / 32] >> @intCast(c % 32)) & 1;
                        try std.testing.expectEqual(@intFromBool(acc > thr[c]), bit);
                    }
                    // Padding bits of the last word are zero.
                    if (n % 32 != 0) try std.testing.expectEqual(@as(u32, 0), outb[r * blocks(n) + n / 32] >> @intCast(n % 32));
                }
            }
        }
    }
}
