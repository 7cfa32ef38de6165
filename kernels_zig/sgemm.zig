//! Float GEMM driver: rhs packing, micro-kernel selection, tiling and
//! threading. The float convolution (conv2d_f32.zig) runs its tasks.
const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const abi = @import("abi.zig");
const uk = @import("ukernels.zig");
const template = @import("sgemm_ukernel.zig");
const thread_pool = @import("thread_pool.zig");

const block = uk.channel_block;

pub const kernels = uk.sgemmForCpu(builtin.cpu);

const Entry = struct {
    full: *const template.SgemmFn,
    /// nv / 2 vectors wide: a sub-tile with at most that many channels left runs on it.
    half: *const template.SgemmFn,
    /// One row tall (mr = 1): a tile of one row (a dense layer on one sample) runs on it rather than computing
    /// mr copies of the row.
    one: *const template.SgemmFn,
};

pub const table: [kernels.len]Entry = blk: {
    var t: [kernels.len]Entry = undefined;
    for (kernels, 0..) |e, i| t[i] = .{
        .full = @extern(*const template.SgemmFn, .{ .name = "onebit_uk_" ++ e.name }),
        .half = @extern(*const template.SgemmFn, .{ .name = "onebit_uk_" ++ e.name ++ "_half" }),
        .one = @extern(*const template.SgemmFn, .{ .name = "onebit_uk_" ++ e.name ++ "_r1" }),
    };
    break :blk t;
};

fn halfWidth(e: uk.SgemmEntry) usize {
    return e.lanes * @max(1, e.nv / 2);
}

const selection = @import("select.zig").Selection(kernels);
pub const supported = selection.supported;
pub const select = selection.select;

/// Fills `info` for micro-kernel `index` (< kernels.len), with the MACs of one iteration of its peak loop
/// (fma_peak.zig: its mr x nr accumulators, one multiply-add each).
pub fn describe(index: usize, info: *abi.UkernelInfo) void {
    selection.describe(index, kernels[index].mr * kernels[index].nr(), info);
}

pub fn blocks(channels_out: usize) usize {
    return (channels_out + block - 1) / block;
}

/// Weights [channels_out, depth] (e.g. OHWI) -> [blocks, depth, 32], zero for missing channels.
pub fn packRhs(channels_out: usize, depth: usize, rhs: [*]const f32, out: [*]f32) void {
    packRhsDepths(.{ .channels_out = channels_out, .depth = depth, .rhs = rhs, .out = out }, 0, depth);
}

/// packRhs for weights given as [depth, channels_out] rows: each row's 32-channel runs are already panel rows.
pub fn packRhsKn(channels_out: usize, depth: usize, rhs: [*]const f32, out: [*]f32) void {
    packRhsKnDepths(.{ .channels_out = channels_out, .depth = depth, .rhs = rhs, .out = out }, 0, depth);
}

const Pack = struct { channels_out: usize, depth: usize, rhs: [*]const f32, out: [*]f32 };

/// packRhs of depths [k0, k1): each block's panel rows k0..k1, one contiguous run of the packed weights per block.
fn packRhsDepths(a: Pack, k0: usize, k1: usize) void {
    for (0..blocks(a.channels_out)) |b| {
        const dst = a.out + b * a.depth * block;
        for (k0..k1) |k| {
            for (0..block) |j| {
                const c = b * block + j;
                dst[k * block + j] = if (c < a.channels_out) a.rhs[c * a.depth + k] else 0;
            }
        }
    }
}

/// packRhsKn of depths [k0, k1).
fn packRhsKnDepths(a: Pack, k0: usize, k1: usize) void {
    const n_blocks = blocks(a.channels_out);
    for (k0..k1) |k| {
        const row = a.rhs + k * a.channels_out;
        for (0..n_blocks) |b| {
            const dst = a.out + (b * a.depth + k) * block;
            const width = @min(block, a.channels_out - b * block);
            @memcpy(dst[0..width], row[b * block ..][0..width]);
            @memset(dst[width..block], 0);
        }
    }
}

/// Packed floats below which packing runs on the calling thread: a copy of less than a megabyte gains less from
/// a second thread than a pool job can cost on a busy host.
const min_split_pack_floats = 1 << 18;

/// packRhs (layout oi) or packRhsKn (io) with the depths split over `threads` threads: a pure copy, the same
/// bytes on any thread count; each thread writes its depths' run of every block.
pub fn packThreaded(layout: abi.RhsLayout, channels_out: usize, depth: usize, rhs: [*]const f32, out: [*]f32, threads: usize) void {
    const a: Pack = .{ .channels_out = channels_out, .depth = depth, .rhs = rhs, .out = out };
    // Depths per range: at least min_split_pack_floats packed floats' worth, and 16 (a 2 KB run per block).
    const per_depth = blocks(channels_out) * block;
    const min_depths = @max(16, (min_split_pack_floats + per_depth - 1) / per_depth);
    switch (layout) {
        .oi => thread_pool.runRanges(threads, depth, 2 * min_depths, a, packRhsDepths),
        .io => thread_pool.runRanges(threads, depth, 2 * min_depths, a, packRhsKnDepths),
    }
}

/// MACs below which a GEMM runs on the calling thread.
const min_split_macs = 1 << 16;

/// Rows per task at most (a float convolution's im2col tile holds this many rows).
pub const max_rows_per_task = abi.conv_tile_rows;

/// How a float GEMM is cut into tasks: the rows into chunks of about a quarter of a thread's share, in whole
/// tiles of `mr` rows and at most max_rows_per_task rows; a task is one chunk by one 32-channel block (`task`),
/// or, for a tiled convolution, one chunk by every block (`chunk`).
pub const Split = struct {
    rows: usize,
    rows_per_task: usize,
    row_tasks: usize,

    pub fn init(rows: usize, threads: usize, mr: usize) Split {
        assert(rows >= 1 and threads >= 1 and mr >= 1 and mr <= max_rows_per_task);
        const per_thread = (rows + 4 * threads - 1) / (4 * threads);
        const per_task = @min(@max(mr, max_rows_per_task / mr * mr), (per_thread + mr - 1) / mr * mr);
        // Whole tiles, so that a tile never straddles two tasks (TaskRows.in_place is per tile), and no more rows
        // than TaskRows or a convolution's tile holds.
        assert(per_task >= mr and per_task % mr == 0 and per_task <= max_rows_per_task);
        const s: Split = .{ .rows = rows, .rows_per_task = per_task, .row_tasks = (rows + per_task - 1) / per_task };
        assert(s.row_tasks >= 1 and (s.row_tasks - 1) * per_task < rows);
        return s;
    }

    /// Rows [begin, end) of row chunk i: non-empty, starting on a tile.
    pub fn chunk(s: Split, i: usize) struct { usize, usize } {
        assert(i < s.row_tasks);
        const begin = i * s.rows_per_task;
        const end = @min(s.rows, begin + s.rows_per_task);
        assert(begin < end and end - begin <= max_rows_per_task);
        return .{ begin, end };
    }

    /// GEMM task t of row_tasks · n_blocks: its channel block, then its rows. The row chunks form `groups`
    /// contiguous groups whose tasks are contiguous too, block-major inside a group (a block's weights stay in
    /// cache over the group's chunks): the thread pool gives each thread a contiguous run of tasks, so with one
    /// group per thread each thread writes whole output rows of its own (its own cache lines and pages, first
    /// touched by itself), and with one group the threads split the channel blocks. Any grouping runs the same
    /// micro-kernel calls on the same tiles, so the result does not depend on it.
    ///
    /// `order` .chunk_major: a group's tasks go chunk after chunk, each chunk's blocks in order instead (for
    /// weights small enough to stay in cache whatever the order: each output row is then written left to right,
    /// not in 32-channel strips across the whole output).
    pub fn task(s: Split, t: usize, n_blocks: usize, groups: usize, order: TaskOrder) struct { usize, usize, usize } {
        assert(groups >= 1 and groups <= s.row_tasks and t < s.row_tasks * n_blocks);
        // Group g holds chunks [g·row_tasks/groups, (g+1)·row_tasks/groups) and tasks n_blocks times those.
        const g = ((t / n_blocks + 1) * groups - 1) / s.row_tasks;
        const first = g * s.row_tasks / groups;
        const len = (g + 1) * s.row_tasks / groups - first;
        const local = t - n_blocks * first;
        assert(len >= 1 and local < n_blocks * len);
        const chunk_index, const b = switch (order) {
            .block_major => .{ local % len, local / len },
            .chunk_major => .{ local / n_blocks, local % n_blocks },
        };
        const begin, const end = s.chunk(first + chunk_index);
        return .{ b, begin, end };
    }
};

/// The order of a row group's tasks (Split.task): block by block (a block's weights reused over the group's
/// chunks), or chunk by chunk (each chunk's output rows written whole).
pub const TaskOrder = enum { block_major, chunk_major };

/// Packed weight bytes up to which a GEMM's tasks go chunk-major (TaskOrder): half of a 1 MiB L2, where the
/// weights stay whatever the order.
const chunk_major_max_rhs_bytes = 256 << 10;

/// The task order of a GEMM with this packed rhs (see TaskOrder).
pub fn taskOrder(channels_out: usize, depth: usize) TaskOrder {
    return if (blocks(channels_out) * block * depth * @sizeOf(f32) <= chunk_major_max_rhs_bytes) .chunk_major else .block_major;
}

/// Row groups of a GEMM on `threads` threads (see Split.task): one per thread when the weights are no larger
/// than the lhs (N ≤ M: each thread then reads all weights but only its rows, and owns its output rows), else
/// one (each thread reads every lhs row but only its channel blocks' weights).
pub fn rowGroups(s: Split, channels_out: usize, threads: usize) usize {
    if (threads <= 1 or channels_out > s.rows) return 1;
    return @min(threads, s.row_tasks);
}

/// Where one task's lhs rows are: contiguous rows from `dense` on (a matrix, or im2col rows), else a pointer per
/// row and per tile whether it reads a convolution's input in place (the job's `in_place` segments) or is
/// contiguous.
pub const TaskRows = struct {
    dense: ?[*]const f32,
    ptrs: [max_rows_per_task][*]const f32,
    in_place: [max_rows_per_task]bool,
};

/// One float GEMM call (or the GEMM of a tiled convolution): its parameters and operands, the micro-kernel,
/// and its tasks.
pub const Job = struct {
    p: abi.SgemmParams,
    kernel: usize,
    lhs: [*]const f32,
    rhs: [*]const f32,
    bias: [*]const f32,
    out: [*]f32,
    split: Split,
    /// Row groups of a plain GEMM's tasks (Split.task); a tiled convolution cuts its own.
    row_groups: usize = 1,
    /// The order of a plain GEMM's tasks in a row group (Split.task).
    order: TaskOrder = .block_major,
    /// Segments of a row read in place (kernel_h runs of kernel_w pixels), for tiles whose TaskRows say so.
    in_place: struct { segments: usize, segment_len: usize, segment_stride: usize } = .{ .segments = 0, .segment_len = 0, .segment_stride = 0 },

    fn task(ctx: *const anyopaque, t: usize) void {
        const job: *const Job = @ptrCast(@alignCast(ctx));
        const b, const row_begin, const row_end = job.split.task(t, blocks(@intCast(job.p.channels_out)), job.row_groups, job.order);
        var task_rows: TaskRows = undefined;
        task_rows.dense = job.lhs + row_begin * @as(usize, @intCast(job.p.depth));
        job.runBlock(&task_rows, b, row_begin, row_end);
    }

    /// Channels [32 b, 32 b + 32) of rows [row_begin, row_end), whose lhs rows `task_rows` locates.
    pub fn runBlock(job: *const Job, task_rows: *const TaskRows, b: usize, row_begin: usize, row_end: usize) void {
        const e = kernels[job.kernel];
        const n: usize = @intCast(job.p.channels_out);
        const depth: usize = @intCast(job.p.depth);
        // A chunk of whole tiles (TaskRows' per-tile entries) within TaskRows, and a block with channels.
        assert(row_begin < row_end and row_end - row_begin <= max_rows_per_task and row_begin % e.mr == 0);
        assert(b * block < n);
        var args: template.SgemmArgs = .{
            .lhs_rows = undefined,
            .lhs = undefined,
            .lhs_stride = depth,
            .segments = undefined,
            .segment_len = undefined,
            .segment_stride = undefined,
            .rows = undefined,
            .rhs = undefined,
            .bias = undefined,
            .clamp_min = job.p.clamp_min,
            .clamp_max = job.p.clamp_max,
            .cols = undefined,
            .out = undefined,
            .out_stride = n,
        };
        // Row tiles outside, channel sub-tiles inside: a tile's lhs rows stay in cache across the block.
        var r = row_begin;
        while (r < row_end) : (r += e.mr) {
            const i = r - row_begin;
            args.rows = @min(e.mr, row_end - r);
            if (task_rows.dense) |lhs| {
                args.lhs_rows = null;
                args.lhs = lhs + i * depth;
            } else {
                args.lhs_rows = task_rows.ptrs[i..].ptr;
            }
            if (task_rows.dense == null and task_rows.in_place[i / e.mr]) {
                args.segments = job.in_place.segments;
                args.segment_len = job.in_place.segment_len;
                args.segment_stride = job.in_place.segment_stride;
            } else {
                args.segments = 1;
                args.segment_len = depth;
                args.segment_stride = 0;
            }
            var sub: usize = 0;
            while (sub < block) {
                const c0 = b * block + sub;
                if (c0 >= n) break;
                // The last channels of a layer narrower than the tile run on the half-width kernel.
                const half = n - c0 <= halfWidth(e) and halfWidth(e) < e.nr();
                const width = if (half) halfWidth(e) else e.nr();
                defer sub += width;
                args.rhs = job.rhs + b * depth * block + sub;
                args.bias = job.bias + c0;
                args.cols = @min(width, n - c0);
                args.out = job.out + r * n + c0;
                const t = table[job.kernel];
                (if (half) t.half else if (args.rows == 1) t.one else t.full)(&args);
            }
        }
    }
};

/// out[r, c] = clamp(sum_k lhs[r, k] * w[c, k] + bias[c], clamp_min, clamp_max).
/// `bias` holds ceil(channels_out/32)*32 entries.
pub fn run(p: *const abi.SgemmParams, lhs: [*]const f32, rhs: [*]const f32, bias: [*]const f32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.channels_out <= 0 or p.depth <= 0 or !thread_pool.validThreads(p.threads))
        return .invalid_argument;
    if (p.rows == 0) return .ok;
    const kernel = select(p.ukernel) orelse return .unsupported_ukernel;
    // A GEMM of a few thousand MACs (Real-to-Binary Net's 33 squeeze-excite dense layers, 8-512 wide) runs in
    // less time than a pool job costs (~0.5 µs).
    const macs = @as(u64, @intCast(p.rows)) * @as(u64, @intCast(p.depth)) * @as(u64, @intCast(p.channels_out));
    const threads: usize = if (macs < min_split_macs) 1 else @intCast(p.threads);
    const split: Split = .init(@intCast(p.rows), threads, kernels[kernel].mr);
    const job: Job = .{
        .p = p.*,
        .kernel = kernel,
        .lhs = lhs,
        .rhs = rhs,
        .bias = bias,
        .out = out,
        .split = split,
        .row_groups = rowGroups(split, @intCast(p.channels_out), threads),
        .order = taskOrder(@intCast(p.channels_out), @intCast(p.depth)),
    };
    thread_pool.run(threads, job.split.row_tasks * blocks(@intCast(p.channels_out)), &job, Job.task);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_sgemm_ukernel_count() callconv(.c) i32 {
    return kernels.len;
}

pub fn onebit_sgemm_ukernel_info(index: i32, info: *abi.UkernelInfo) callconv(.c) i32 {
    if (index < 0 or index >= kernels.len) return abi.code(.invalid_argument);
    describe(@intCast(index), info);
    return abi.code(.ok);
}

pub fn onebit_sgemm_pack_rhs_f32(params: *const abi.SpackParams, rhs: [*]const f32, packed_rhs: [*]f32) callconv(.c) i32 {
    if (params.channels_out <= 0 or params.depth <= 0 or !thread_pool.validThreads(params.threads))
        return abi.code(.invalid_argument);
    const layout = abi.opCode(abi.RhsLayout, params.rhs_layout) orelse return abi.code(.invalid_argument);
    packThreaded(layout, @intCast(params.channels_out), @intCast(params.depth), rhs, packed_rhs, @intCast(params.threads));
    return abi.code(.ok);
}

pub fn onebit_sgemm_f32(params: *const abi.SgemmParams, lhs: [*]const f32, packed_rhs: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(run(params, lhs, packed_rhs, bias, output));
}

test "sgemm: every supported kernel matches a scalar loop, edges included" {
    const m = 13;
    const n = 37;
    const k = 19;
    var lhs: [m * k]f32 = undefined;
    var w: [n * k]f32 = undefined;
    var bias: [64]f32 = @splat(0);
    for (&lhs, 0..) |*v, i| v.* = @floatFromInt(@as(i32, @intCast(i % 7)) - 3);
    for (&w, 0..) |*v, i| v.* = @floatFromInt(@as(i32, @intCast(i % 5)) - 2);
    for (0..n) |c| bias[c] = @floatFromInt(c);
    var packed_rhs: [2 * k * block]f32 = undefined;
    packRhs(n, k, &w, &packed_rhs);
    for (0..kernels.len) |ki| {
        if (!supported(ki)) continue;
        var out: [m * n]f32 = undefined;
        const p: abi.SgemmParams = .{ .rows = m, .channels_out = n, .depth = k, .clamp_min = -20, .clamp_max = 30, .ukernel = @intCast(ki), .threads = 2 };
        try std.testing.expectEqual(abi.Status.ok, run(&p, &lhs, &packed_rhs, &bias, &out));
        for (0..m) |r| {
            for (0..n) |c| {
                var s: f32 = bias[c];
                for (0..k) |q| s += lhs[r * k + q] * w[c * k + q];
                try std.testing.expectEqual(@min(@max(s, -20), 30), out[r * n + c]);
            }
        }
    }
}

test "Split: every (row, block) of a GEMM in exactly one task, in whole tiles of at most max_rows_per_task rows" {
    var seen: [1000 * 3]u8 = undefined;
    for ([_]usize{ 1, 4, 6, 8 }) |mr| {
        for ([_]usize{ 1, 2, 3, 7, 64 }) |threads| {
            for ([_]usize{ 1, 2, 5, 8, 9, 31, 127, 128, 129, 500, 999, 1000 }) |rows| {
                const n_blocks = 3;
                const s: Split = .init(rows, threads, mr);
                @memset(seen[0 .. rows * n_blocks], 0);
                for (0..2 * @min(threads, s.row_tasks)) |case| {
                    const groups = case / 2 + 1;
                    const order: TaskOrder = if (case % 2 == 0) .block_major else .chunk_major;
                    @memset(seen[0 .. rows * n_blocks], 0);
                    var last_group: usize = 0;
                    for (0..s.row_tasks * n_blocks) |t| {
                        const b, const begin, const end = s.task(t, n_blocks, groups, order);
                        try std.testing.expect(b < n_blocks and begin < end and end <= rows);
                        try std.testing.expect(begin % mr == 0 and end - begin <= max_rows_per_task);
                        for (begin..end) |r| seen[r * n_blocks + b] += 1;
                        // A group's tasks are contiguous: the group of a task's chunk never goes back.
                        const c = begin / s.rows_per_task;
                        var g: usize = 0;
                        while ((g + 1) * s.row_tasks / groups <= c) g += 1;
                        try std.testing.expect(g >= last_group);
                        last_group = g;
                    }
                    for (seen[0 .. rows * n_blocks]) |hits| try std.testing.expectEqual(@as(u8, 1), hits);
                }
                // At most four chunks a thread, unless chunks are at their largest (whole tiles).
                const largest = @max(mr, max_rows_per_task / mr * mr);
                try std.testing.expect(s.row_tasks <= 4 * threads or s.rows_per_task == largest);
            }
        }
    }
}
