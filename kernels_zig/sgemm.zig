//! Float GEMM driver (rhs packing, micro-kernel selection, tiling,
//! threading) and the float convolution built on it: im2col when the
//! filter is not 1x1/stride 1/unpadded, then the GEMM with bias and clamp.
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const uk = @import("ukernels.zig");
const template = @import("sgemm_ukernel.zig");
const pool = @import("pool.zig");
const Pixel = @import("pixel.zig").Pixel;

const block = uk.channel_block;

pub const kernels = uk.sgemmForArch(builtin.cpu.arch);

const Entry = struct {
    full: *const template.SgemmFn,
    /// nv / 2 vectors wide: a sub-tile with at most that many channels left runs on it.
    half: *const template.SgemmFn,
};

pub const table: [kernels.len]Entry = blk: {
    var t: [kernels.len]Entry = undefined;
    for (kernels, 0..) |e, i| t[i] = .{
        .full = @extern(*const template.SgemmFn, .{ .name = "onebit_uk_" ++ e.name }),
        .half = @extern(*const template.SgemmFn, .{ .name = "onebit_uk_" ++ e.name ++ "_half" }),
    };
    break :blk t;
};

fn halfWidth(e: uk.SgemmEntry) usize {
    return e.lanes * @max(1, e.nv / 2);
}

const selection = @import("select.zig").Selection(kernels);
pub const supported = selection.supported;
pub const select = selection.select;

pub fn blocks(channels_out: usize) usize {
    return (channels_out + block - 1) / block;
}

/// Weights [channels_out, depth] (e.g. OHWI) -> [blocks, depth, 32], zero for missing channels.
pub fn packRhs(channels_out: usize, depth: usize, rhs: [*]const f32, out: [*]f32) void {
    for (0..blocks(channels_out)) |b| {
        const dst = out + b * depth * block;
        for (0..depth) |k| {
            for (0..block) |j| {
                const c = b * block + j;
                dst[k * block + j] = if (c < channels_out) rhs[c * depth + k] else 0;
            }
        }
    }
}

/// packRhs for weights given as [depth, channels_out] rows: each row's 32-channel runs are already panel rows.
pub fn packRhsKn(channels_out: usize, depth: usize, rhs: [*]const f32, out: [*]f32) void {
    const n_blocks = blocks(channels_out);
    for (0..depth) |k| {
        const row = rhs + k * channels_out;
        for (0..n_blocks) |b| {
            const dst = out + (b * depth + k) * block;
            const width = @min(block, channels_out - b * block);
            @memcpy(dst[0..width], row[b * block ..][0..width]);
            @memset(dst[width..block], 0);
        }
    }
}

/// Rows per task: a few tasks per thread, whole tiles, at most this many rows.
const max_rows_per_task = 128;

/// About four tasks per thread, in whole tiles of `mr` rows, at most max_rows_per_task rows each.
fn rowsPerTask(rows: usize, threads: usize, mr: usize) usize {
    const per_thread = (rows + 4 * threads - 1) / (4 * threads);
    return @min(@max(mr, max_rows_per_task / mr * mr), (per_thread + mr - 1) / mr * mr);
}

/// Where one task's lhs rows are: contiguous rows from `dense` on (a matrix, or im2col rows), else a pointer per
/// row and per tile whether it reads a convolution's input in place (the job's `in_place` segments) or is
/// contiguous.
const TaskRows = struct {
    dense: ?[*]const f32,
    ptrs: [max_rows_per_task][*]const f32,
    in_place: [max_rows_per_task]bool,
};

const Job = struct {
    p: abi.SgemmParams,
    kernel: usize,
    lhs: [*]const f32,
    rhs: [*]const f32,
    bias: [*]const f32,
    out: [*]f32,
    rows_per_task: usize,
    row_tasks: usize,
    /// Segments of a row read in place (kernel_h runs of kernel_w pixels), for tiles whose TaskRows say so.
    in_place: struct { segments: usize, segment_len: usize, segment_stride: usize } = .{ .segments = 0, .segment_len = 0, .segment_stride = 0 },

    fn task(ctx: *const anyopaque, t: usize) void {
        const job: *const Job = @ptrCast(@alignCast(ctx));
        const rows: usize = @intCast(job.p.rows);
        const row_begin = (t % job.row_tasks) * job.rows_per_task;
        const row_end = @min(rows, row_begin + job.rows_per_task);
        var task_rows: TaskRows = undefined;
        task_rows.dense = job.lhs + row_begin * @as(usize, @intCast(job.p.depth));
        job.runBlock(&task_rows, t / job.row_tasks, row_begin, row_end);
    }

    /// Channels [32 b, 32 b + 32) of rows [row_begin, row_end), whose lhs rows `task_rows` locates.
    fn runBlock(job: *const Job, task_rows: *const TaskRows, b: usize, row_begin: usize, row_end: usize) void {
        const e = kernels[job.kernel];
        const n: usize = @intCast(job.p.channels_out);
        const depth: usize = @intCast(job.p.depth);
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
                (if (half) table[job.kernel].half else table[job.kernel].full)(&args);
            }
        }
    }
};

/// out[r, c] = clamp(sum_k lhs[r, k] * w[c, k] + bias[c], clamp_min, clamp_max).
/// `bias` holds ceil(channels_out/32)*32 entries.
pub fn run(p: *const abi.SgemmParams, lhs: [*]const f32, rhs: [*]const f32, bias: [*]const f32, out: [*]f32) abi.Status {
    if (p.rows < 0 or p.channels_out <= 0 or p.depth <= 0 or p.threads < 1 or p.threads > pool.max_threads)
        return .invalid_argument;
    if (p.rows == 0) return .ok;
    const kernel = select(p.ukernel) orelse return .unsupported_ukernel;
    const mr = kernels[kernel].mr;
    const rows: usize = @intCast(p.rows);
    const threads: usize = @intCast(p.threads);
    const rows_per_task = rowsPerTask(rows, threads, mr);
    const row_tasks = (rows + rows_per_task - 1) / rows_per_task;
    const job: Job = .{
        .p = p.*,
        .kernel = kernel,
        .lhs = lhs,
        .rhs = rhs,
        .bias = bias,
        .out = out,
        .rows_per_task = rows_per_task,
        .row_tasks = row_tasks,
    };
    pool.run(threads, row_tasks * blocks(@intCast(p.channels_out)), &job, Job.task);
    return .ok;
}

/// Float im2col: one row of kernel_h*kernel_w*channels_in values per output
/// pixel, taps in (ky, kx) order, zeros for out-of-bounds taps.
/// Rows [begin, end) are written to `out` from row `first` on (0: `out` is the whole im2col).
fn im2colPixels(p: *const abi.Conv2dF32Params, input: [*]const f32, out: [*]f32, first: usize, begin: usize, end: usize) void {
    const c: usize = @intCast(p.channels_in);
    const kh: usize = @intCast(p.kernel_h);
    const kw: usize = @intCast(p.kernel_w);
    const oh: usize = @intCast(p.out_h);
    const ow: usize = @intCast(p.out_w);
    const ih: usize = @intCast(p.in_h);
    const iw: usize = @intCast(p.in_w);
    const row = kh * kw * c;
    var q = Pixel.at(begin, oh, ow);
    for (begin..end) |pix| {
        defer q.next();
        const n = q.n;
        const oy = q.oy;
        const ox = q.ox;
        var dst = out + (pix - first) * row;
        const ix0 = @as(isize, @intCast(ox * @as(usize, @intCast(p.stride_w)))) - p.pad_left;
        // With dilation_w 1 and the whole window row inside the input, a row of taps is one contiguous run.
        const row_inside = p.dilation_w == 1 and ix0 >= 0 and ix0 + @as(isize, @intCast(kw)) <= @as(isize, @intCast(iw));
        for (0..kh) |ky| {
            const iy = @as(isize, @intCast(oy * @as(usize, @intCast(p.stride_h)) + ky * @as(usize, @intCast(p.dilation_h)))) - p.pad_top;
            if (iy < 0 or iy >= ih) {
                zeroRun(dst, kw * c);
                dst += kw * c;
                continue;
            }
            const src_row = input + (n * ih + @as(usize, @intCast(iy))) * iw * c;
            if (row_inside) {
                copyRun(dst, src_row + @as(usize, @intCast(ix0)) * c, kw * c);
                dst += kw * c;
                continue;
            }
            for (0..kw) |kx| {
                const ix = ix0 + @as(isize, @intCast(kx * @as(usize, @intCast(p.dilation_w))));
                if (ix < 0 or ix >= iw) zeroRun(dst, c) else copyRun(dst, src_row + @as(usize, @intCast(ix)) * c, c);
                dst += c;
            }
        }
    }
}

/// Short runs (a 3-channel image's taps) in a loop: a memcpy call per 12 bytes cost more than the GEMM.
inline fn copyRun(dst: [*]f32, src: [*]const f32, n: usize) void {
    if (n > 32) return @memcpy(dst[0..n], src[0..n]);
    // 4-float moves, the last one overlapping (LLVM turns a plain copy loop back into a memcpy call).
    if (n >= 4) {
        var i: usize = 0;
        while (i + 4 < n) : (i += 4) dst[i..][0..4].* = @as(@Vector(4, f32), src[i..][0..4].*);
        dst[n - 4 ..][0..4].* = @as(@Vector(4, f32), src[n - 4 ..][0..4].*);
    } else {
        for (0..n) |i| dst[i] = src[i];
    }
}

inline fn zeroRun(dst: [*]f32, n: usize) void {
    if (n <= 32) {
        for (0..n) |i| dst[i] = 0;
    } else @memset(dst[0..n], 0);
}

const Im2col = struct {
    p: *const abi.Conv2dF32Params,
    input: [*]const f32,
    out: [*]f32,
    pixels: usize,
    per_task: usize,

    fn task(ctx: *const anyopaque, t: usize) void {
        const self: *const Im2col = @ptrCast(@alignCast(ctx));
        const begin = t * self.per_task;
        im2colPixels(self.p, self.input, self.out, 0, begin, @min(self.pixels, begin + self.per_task));
    }
};

/// Floats of workspace a convolution needs: none for a direct 1x1; the whole im2col with keep_cols; else one
/// tile of im2col rows per thread (kernels/float_kernels.ts computes the same).
pub fn workspaceFloats(p: *const abi.Conv2dF32Params) usize {
    if (direct(p)) return 0;
    const pixels = @as(usize, @intCast(p.batch)) * @as(usize, @intCast(p.out_h)) * @as(usize, @intCast(p.out_w));
    const depth = @as(usize, @intCast(p.kernel_h)) * @as(usize, @intCast(p.kernel_w)) * @as(usize, @intCast(p.channels_in));
    if (p.keep_cols == 1) return pixels * depth;
    return @as(usize, @intCast(p.threads)) * @min(pixels, tile_rows) * depth;
}

/// Rows of a per-thread im2col tile: the GEMM's largest row task.
const tile_rows = max_rows_per_task;

/// A convolution over per-thread tiles: each task writes the im2col rows of one row chunk into a free tile,
/// runs every channel block over them while they are in cache, and frees the tile. At most `threads` tasks run
/// at once, so `threads` tiles always leave one free.
const Tiled = struct {
    job: Job,
    conv: *const abi.Conv2dF32Params,
    input: [*]const f32,
    workspace: [*]f32,
    tile_floats: usize,
    free: std.atomic.Value(u64),

    fn task(ctx: *const anyopaque, t: usize) void {
        const self: *Tiled = @constCast(@ptrCast(@alignCast(ctx)));
        const job = &self.job;
        const rows: usize = @intCast(job.p.rows);
        const row_begin = t * job.rows_per_task;
        const row_end = @min(rows, row_begin + job.rows_per_task);
        const slot = self.acquire();
        defer _ = self.free.fetchOr(@as(u64, 1) << @intCast(slot), .release);
        const tile = self.workspace + slot * self.tile_floats;
        var task_rows: TaskRows = undefined;
        if (job.in_place.segments == 0) {
            im2colPixels(self.conv, self.input, tile, row_begin, row_begin, row_end);
            task_rows.dense = tile;
        } else {
            task_rows.dense = null;
            self.inPlaceRows(&task_rows, tile, row_begin, row_end);
        }
        for (0..blocks(@intCast(job.p.channels_out))) |b| job.runBlock(&task_rows, b, row_begin, row_end);
    }

    /// Rows [row_begin, row_end) read from the input in place, but for tiles with a window leaving the input (at
    /// the padded borders): those are written as im2col rows into `tile`.
    fn inPlaceRows(self: *const Tiled, task_rows: *TaskRows, tile: [*]f32, row_begin: usize, row_end: usize) void {
        const p = self.conv;
        const mr = kernels[self.job.kernel].mr;
        const depth: usize = @intCast(self.job.p.depth);
        const c: usize = @intCast(p.channels_in);
        const oh: usize = @intCast(p.out_h);
        const ow: usize = @intCast(p.out_w);
        const ih: isize = p.in_h;
        const iw: isize = p.in_w;
        const y_span: isize = (p.kernel_h - 1) * p.dilation_h;
        var q = Pixel.at(row_begin, oh, ow);
        var r = row_begin;
        while (r < row_end) : (r += mr) {
            const end = @min(row_end, r + mr);
            const i = r - row_begin;
            var inside = true;
            for (r..end, i..) |_, k| {
                defer q.next();
                const iy = @as(isize, @intCast(q.oy)) * p.stride_h - p.pad_top;
                const ix = @as(isize, @intCast(q.ox)) * p.stride_w - p.pad_left;
                // Keep stepping the coordinates to the tile's end even once it is known to be a border tile.
                if (!inside or iy < 0 or iy + y_span >= ih or ix < 0 or ix + p.kernel_w > iw) {
                    inside = false;
                    continue;
                }
                task_rows.ptrs[k] = self.input + ((q.n * @as(usize, @intCast(ih)) + @as(usize, @intCast(iy))) * @as(usize, @intCast(iw)) + @as(usize, @intCast(ix))) * c;
            }
            task_rows.in_place[i / mr] = inside;
            if (!inside) {
                im2colPixels(p, self.input, tile, row_begin, r, end);
                for (r..end, i..) |_, k| task_rows.ptrs[k] = tile + k * depth;
            }
        }
    }

    fn acquire(self: *Tiled) usize {
        while (true) {
            const bits = self.free.load(.acquire);
            if (bits == 0) {
                std.atomic.spinLoopHint();
                continue;
            }
            const slot: u6 = @intCast(@ctz(bits));
            if (self.free.cmpxchgWeak(bits, bits & ~(@as(u64, 1) << slot), .acquire, .monotonic) == null) return slot;
        }
    }
};

fn direct(p: *const abi.Conv2dF32Params) bool {
    return p.kernel_h == 1 and p.kernel_w == 1 and p.stride_h == 1 and p.stride_w == 1 and
        p.pad_top == 0 and p.pad_left == 0 and p.out_h == p.in_h and p.out_w == p.in_w;
}

pub fn conv2d(p: *const abi.Conv2dF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, workspace: [*]f32, output: [*]f32) abi.Status {
    if (p.batch < 0 or p.in_h <= 0 or p.in_w <= 0 or p.channels_in <= 0 or p.channels_out <= 0 or
        p.kernel_h <= 0 or p.kernel_w <= 0 or p.stride_h <= 0 or p.stride_w <= 0 or p.dilation_h <= 0 or
        p.dilation_w <= 0 or p.pad_top < 0 or p.pad_left < 0 or p.out_h <= 0 or p.out_w <= 0 or
        p.threads < 1 or p.threads > pool.max_threads) return .invalid_argument;
    const pixels = @as(i128, p.batch) * p.out_h * p.out_w;
    const depth = @as(i128, p.kernel_h) * p.kernel_w * p.channels_in;
    if (pixels > std.math.maxInt(i32) or depth > std.math.maxInt(i32)) return .invalid_argument;
    const g: abi.SgemmParams = .{
        .rows = @intCast(pixels),
        .channels_out = p.channels_out,
        .depth = @intCast(depth),
        .clamp_min = p.clamp_min,
        .clamp_max = p.clamp_max,
        .ukernel = p.ukernel,
        .threads = p.threads,
    };
    if (direct(p)) return run(&g, input, filter, bias, output);
    if (p.keep_cols != 0 and p.keep_cols != 1) return .invalid_argument;
    const threads: usize = @intCast(p.threads);
    const n: usize = @intCast(pixels);
    if (p.keep_cols == 0) {
        const kernel = select(p.ukernel) orelse return .unsupported_ukernel;
        const mr = kernels[kernel].mr;
        const rows_per_task = rowsPerTask(n, threads, mr);
        const c: usize = @intCast(p.channels_in);
        var tiled: Tiled = .{
            .job = .{
                .p = g,
                .kernel = kernel,
                .lhs = workspace,
                .rhs = filter,
                .bias = bias,
                .out = output,
                .rows_per_task = rows_per_task,
                .row_tasks = (n + rows_per_task - 1) / rows_per_task,
                // With dilation_w 1 a window row is kernel_w consecutive pixels: read the input in place.
                .in_place = if (p.dilation_w == 1) .{
                    .segments = @intCast(p.kernel_h),
                    .segment_len = @as(usize, @intCast(p.kernel_w)) * c,
                    .segment_stride = @as(usize, @intCast(p.dilation_h)) * @as(usize, @intCast(p.in_w)) * c,
                } else .{ .segments = 0, .segment_len = 0, .segment_stride = 0 },
            },
            .conv = p,
            .input = input,
            .workspace = workspace,
            .tile_floats = @min(n, tile_rows) * @as(usize, @intCast(depth)),
            .free = .init(if (threads >= 64) std.math.maxInt(u64) else (@as(u64, 1) << @intCast(threads)) - 1),
        };
        pool.run(threads, tiled.job.row_tasks, &tiled, Tiled.task);
        return .ok;
    }
    const per_task = @max(1, (n + 4 * threads - 1) / (4 * threads));
    const fill: Im2col = .{ .p = p, .input = input, .out = workspace, .pixels = n, .per_task = per_task };
    pool.run(threads, (n + per_task - 1) / per_task, &fill, Im2col.task);
    return run(&g, workspace, filter, bias, output);
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
