//! Float 2-D convolution on the float GEMM (sgemm.zig): a 1x1, stride-1, unpadded filter is a GEMM on the
//! input; else the GEMM reads im2col rows, written all at once (`keep_cols`: training reads them again) or a
//! tile at a time inside the GEMM's tasks, each tile's rows read from the input in place where every window of
//! the tile lies inside it (dilation_w 1).
const std = @import("std");
const abi = @import("abi.zig");
const sgemm = @import("sgemm.zig");
const thread_pool = @import("thread_pool.zig");
const Pixel = @import("pixel.zig").Pixel;
const Window = @import("window.zig").Window;
const small_cin = @import("conv2d_small_cin.zig");

/// Float im2col of an input of `c` channels: one row of kernel_h*kernel_w*c values per output
/// pixel, taps in (ky, kx) order, zeros for out-of-bounds taps.
/// Rows [begin, end) are written to `out` from row `first` on (0: `out` is the whole im2col).
fn im2colPixels(g: *const Window, c: usize, input: [*]const f32, out: [*]f32, first: usize, begin: usize, end: usize) void {
    const kh: usize = @intCast(g.kernel_h);
    const kw: usize = @intCast(g.kernel_w);
    const oh: usize = @intCast(g.out_h);
    const ow: usize = @intCast(g.out_w);
    const ih: usize = @intCast(g.in_h);
    const iw: usize = @intCast(g.in_w);
    const row = kh * kw * c;
    var q = Pixel.at(begin, oh, ow);
    for (begin..end) |pix| {
        defer q.next();
        const n = q.n;
        const oy = q.oy;
        const ox = q.ox;
        var dst = out + (pix - first) * row;
        const ix0 = @as(isize, @intCast(ox * @as(usize, @intCast(g.stride_w)))) - g.pad_left;
        // With dilation_w 1 and the whole window row inside the input, a row of taps is one contiguous run.
        const row_inside = g.dilation_w == 1 and ix0 >= 0 and ix0 + @as(isize, @intCast(kw)) <= @as(isize, @intCast(iw));
        for (0..kh) |ky| {
            const iy = @as(isize, @intCast(oy * @as(usize, @intCast(g.stride_h)) + ky * @as(usize, @intCast(g.dilation_h)))) - g.pad_top;
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
                const ix = ix0 + @as(isize, @intCast(kx * @as(usize, @intCast(g.dilation_w))));
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
    g: *const Window,
    channels: usize,
    input: [*]const f32,
    out: [*]f32,
    pixels: usize,
    per_task: usize,

    fn task(ctx: *const anyopaque, t: usize) void {
        const self: *const Im2col = @ptrCast(@alignCast(ctx));
        const begin = t * self.per_task;
        im2colPixels(self.g, self.channels, self.input, self.out, 0, begin, @min(self.pixels, begin + self.per_task));
    }
};

/// Floats of workspace a convolution needs: none for a direct 1x1; the whole im2col with keep_cols; else one
/// tile of im2col rows per thread (kernels/float_kernels.ts computes the same).
pub fn workspaceFloats(p: *const abi.Conv2dF32Params) usize {
    if (direct(.of(p))) return 0;
    const pixels = @as(usize, @intCast(p.batch)) * @as(usize, @intCast(p.out_h)) * @as(usize, @intCast(p.out_w));
    const depth = @as(usize, @intCast(p.kernel_h)) * @as(usize, @intCast(p.kernel_w)) * @as(usize, @intCast(p.channels_in));
    if (p.keep_cols == 1) return pixels * depth;
    return @as(usize, @intCast(p.threads)) * @min(pixels, tile_rows) * depth;
}

/// Rows of a per-thread im2col tile: the GEMM's largest row task.
const tile_rows = sgemm.max_rows_per_task;

/// The free tiles are the bits of one word: a u64, but a u32 in the threaded wasm module (Zig allows wasm32 no
/// 64-bit atomics), whose tiled convolutions thus run on at most 32 threads.
const FreeBits = if (thread_pool.wasm_threads) u32 else u64;
const max_tiles = @bitSizeOf(FreeBits);
comptime {
    std.debug.assert(thread_pool.max_threads <= 64);
}

/// A convolution over per-thread tiles: each task writes the im2col rows of one row chunk into a free tile,
/// runs every channel block over them while they are in cache, and frees the tile. At most `threads` tasks run
/// at once, so `threads` tiles always leave one free.
const Tiled = struct {
    job: sgemm.Job,
    g: Window,
    channels: usize,
    input: [*]const f32,
    workspace: [*]f32,
    tile_floats: usize,
    /// Bit i: tile i is free. Without threads (Android, wasm32, which has no 64-bit atomics) tasks run one
    /// after another and only ever take tile 0.
    free: if (thread_pool.threading) std.atomic.Value(FreeBits) else void,

    /// Contiguous channel-block ranges each row chunk is cut into (1 but for layers of few output pixels).
    block_groups: usize,

    fn task(ctx: *const anyopaque, t: usize) void {
        const self: *Tiled = @constCast(@ptrCast(@alignCast(ctx)));
        const job = &self.job;
        // Group-major: a thread's consecutive tasks share its blocks' filter columns (a 1-pixel layer streams
        // each part of its filter on one thread only).
        const row_begin, const row_end = job.split.chunk(t % job.split.row_tasks);
        const block_begin, const block_end = blockRange(sgemm.blocks(@intCast(job.p.channels_out)), self.block_groups, t / job.split.row_tasks);
        // The chunk's im2col rows fit the tile.
        std.debug.assert((row_end - row_begin) * @as(usize, @intCast(job.p.depth)) <= self.tile_floats);
        const slot = self.acquire();
        defer if (thread_pool.threading) {
            _ = self.free.fetchOr(@as(FreeBits, 1) << @intCast(slot), .release);
        };
        const tile = self.workspace + slot * self.tile_floats;
        var task_rows: sgemm.TaskRows = undefined;
        if (job.in_place.segments == 0) {
            im2colPixels(&self.g, self.channels, self.input, tile, row_begin, row_begin, row_end);
            task_rows.dense = tile;
        } else {
            task_rows.dense = null;
            self.inPlaceRows(&task_rows, tile, row_begin, row_end);
        }
        for (block_begin..block_end) |b| job.runBlock(&task_rows, b, row_begin, row_end);
    }

    /// Rows [row_begin, row_end) read from the input in place, but for tiles with a window leaving the input (at
    /// the padded borders): those are written as im2col rows into `tile`.
    fn inPlaceRows(self: *const Tiled, task_rows: *sgemm.TaskRows, tile: [*]f32, row_begin: usize, row_end: usize) void {
        const g = &self.g;
        const mr = sgemm.kernels[self.job.kernel].mr;
        const depth: usize = @intCast(self.job.p.depth);
        const c = self.channels;
        const oh: usize = @intCast(g.out_h);
        const ow: usize = @intCast(g.out_w);
        const ih: isize = g.in_h;
        const iw: isize = g.in_w;
        const y_span: isize = (g.kernel_h - 1) * g.dilation_h;
        var q = Pixel.at(row_begin, oh, ow);
        var r = row_begin;
        while (r < row_end) : (r += mr) {
            const end = @min(row_end, r + mr);
            const i = r - row_begin;
            var inside = true;
            for (r..end, i..) |_, k| {
                defer q.next();
                const iy = @as(isize, @intCast(q.oy)) * g.stride_h - g.pad_top;
                const ix = @as(isize, @intCast(q.ox)) * g.stride_w - g.pad_left;
                // Keep stepping the coordinates to the tile's end even once it is known to be a border tile.
                if (!inside or iy < 0 or iy + y_span >= ih or ix < 0 or ix + g.kernel_w > iw) {
                    inside = false;
                    continue;
                }
                task_rows.ptrs[k] = self.input + ((q.n * @as(usize, @intCast(ih)) + @as(usize, @intCast(iy))) * @as(usize, @intCast(iw)) + @as(usize, @intCast(ix))) * c;
            }
            task_rows.in_place[i / mr] = inside;
            if (!inside) {
                im2colPixels(g, c, self.input, tile, row_begin, r, end);
                for (r..end, i..) |_, k| task_rows.ptrs[k] = tile + k * depth;
            }
        }
    }

    fn acquire(self: *Tiled) usize {
        if (!thread_pool.threading) return 0;
        while (true) {
            const bits = self.free.load(.acquire);
            if (bits == 0) {
                std.atomic.spinLoopHint();
                continue;
            }
            const slot: std.math.Log2Int(FreeBits) = @intCast(@ctz(bits));
            std.debug.assert(slot < @as(usize, @intCast(self.job.p.threads)));
            if (self.free.cmpxchgWeak(bits, bits & ~(@as(FreeBits, 1) << slot), .acquire, .monotonic) == null) return slot;
        }
    }
};

/// Blocks [begin, end) of group `i` of `groups` over `n_blocks` blocks: consecutive, non-empty when groups <= n_blocks.
fn blockRange(n_blocks: usize, groups: usize, i: usize) struct { usize, usize } {
    std.debug.assert(groups >= 1 and groups <= n_blocks and i < groups);
    return .{ i * n_blocks / groups, (i + 1) * n_blocks / groups };
}

/// Tasks per thread a tiled convolution aims at: few row chunks (a layer of 1 to ~100 output pixels) are cut
/// into channel-block groups too, so that every thread has work and a slowed thread can be helped.
const tasks_per_thread = 4;

/// Channel-block groups per row chunk: 1 when the row chunks alone give every thread `tasks_per_thread` tasks
/// (or on 1 thread), else enough groups for that, at most one per block. Any grouping computes every output
/// element with the same micro-kernel calls on the same tiles, so the result does not depend on it.
fn blockGroups(row_tasks: usize, n_blocks: usize, threads: usize) usize {
    const want = tasks_per_thread * threads;
    if (threads <= 1 or row_tasks >= want) return 1;
    return @min(n_blocks, (want + row_tasks - 1) / row_tasks);
}

/// A 1x1, stride-1, unpadded filter: a plain GEMM on the input.
fn direct(g: Window) bool {
    return g.kernel_h == 1 and g.kernel_w == 1 and g.stride_h == 1 and g.stride_w == 1 and
        g.pad_top == 0 and g.pad_left == 0 and g.out_h == g.in_h and g.out_w == g.in_w;
}

/// The float convolution of abi.Conv2dF32Params: the float GEMM over im2col rows (all at once with keep_cols,
/// else per-thread tiles inside the GEMM's tasks, read in place where the windows allow).
pub fn conv2d(p: *const abi.Conv2dF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, workspace: [*]f32, output: [*]f32) abi.Status {
    const g = Window.of(p);
    if (!g.valid() or p.channels_in <= 0 or p.channels_out <= 0 or !thread_pool.validThreads(p.threads))
        return .invalid_argument;
    const pixels = @as(i128, g.batch) * g.out_h * g.out_w;
    const depth = @as(i128, g.kernel_h) * g.kernel_w * p.channels_in;
    if (pixels > std.math.maxInt(i32) or depth > std.math.maxInt(i32)) return .invalid_argument;
    const gemm: abi.SgemmParams = .{
        .rows = @intCast(pixels),
        .channels_out = p.channels_out,
        .depth = @intCast(depth),
        .clamp_min = p.clamp_min,
        .clamp_max = p.clamp_max,
        .ukernel = p.ukernel,
        .threads = p.threads,
    };
    if (direct(g)) return sgemm.run(&gemm, input, filter, bias, output);
    if (p.keep_cols != 0 and p.keep_cols != 1) return .invalid_argument;
    if (pixels == 0) return .ok;
    const threads: usize = @min(@as(usize, @intCast(p.threads)), max_tiles);
    const n: usize = @intCast(pixels);
    const c: usize = @intCast(p.channels_in);
    if (small_cin.applies(p)) {
        if (p.keep_cols == 1) fillCols(&g, c, input, workspace, n, threads);
        small_cin.run(p, input, filter, bias, output);
        return .ok;
    }
    if (p.keep_cols == 0) {
        const kernel = sgemm.select(p.ukernel) orelse return .unsupported_ukernel;
        const split: sgemm.Split = .init(n, threads, sgemm.kernels[kernel].mr);
        const groups = blockGroups(split.row_tasks, sgemm.blocks(@intCast(p.channels_out)), threads);
        var tiled: Tiled = .{
            .job = .{
                .p = gemm,
                .kernel = kernel,
                .lhs = workspace,
                .rhs = filter,
                .bias = bias,
                .out = output,
                .split = split,
                // With dilation_w 1 a window row is kernel_w consecutive pixels: read the input in place.
                .in_place = if (g.dilation_w == 1) .{
                    .segments = @intCast(g.kernel_h),
                    .segment_len = @as(usize, @intCast(g.kernel_w)) * c,
                    .segment_stride = @as(usize, @intCast(g.dilation_h)) * @as(usize, @intCast(g.in_w)) * c,
                } else .{ .segments = 0, .segment_len = 0, .segment_stride = 0 },
            },
            .g = g,
            .channels = c,
            .input = input,
            .workspace = workspace,
            .tile_floats = @min(n, tile_rows) * @as(usize, @intCast(depth)),
            .free = if (!thread_pool.threading) {} else .init(if (threads >= max_tiles) std.math.maxInt(FreeBits) else (@as(FreeBits, 1) << @intCast(threads)) - 1),
            .block_groups = groups,
        };
        thread_pool.run(threads, split.row_tasks * groups, &tiled, Tiled.task);
        return .ok;
    }
    fillCols(&g, c, input, workspace, n, threads);
    return sgemm.run(&gemm, workspace, filter, bias, output);
}

/// The whole im2col of `n` output pixels into `workspace`, rows split over threads.
fn fillCols(g: *const Window, c: usize, input: [*]const f32, workspace: [*]f32, n: usize, threads: usize) void {
    const per_task = @max(1, (n + 4 * threads - 1) / (4 * threads));
    const fill: Im2col = .{ .g = g, .channels = c, .input = input, .out = workspace, .pixels = n, .per_task = per_task };
    thread_pool.run(threads, (n + per_task - 1) / per_task, &fill, Im2col.task);
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_conv2d_f32(params: *const abi.Conv2dF32Params, input: [*]const f32, packed_filter: [*]const f32, bias: [*]const f32, workspace: [*]f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(conv2d(params, input, packed_filter, bias, workspace, output));
}

test "blockGroups and blockRange: every block of a row chunk in exactly one group; enough tasks when it pays" {
    for ([_]usize{ 1, 2, 3, 8 }) |threads| {
        for ([_]usize{ 1, 2, 3, 7, 8, 40 }) |row_tasks| {
            for ([_]usize{ 1, 2, 5, 128 }) |n_blocks| {
                const groups = blockGroups(row_tasks, n_blocks, threads);
                try std.testing.expect(groups >= 1 and groups <= n_blocks);
                if (threads == 1) try std.testing.expectEqual(@as(usize, 1), groups);
                // Fewer tasks than asked only when the blocks run out.
                try std.testing.expect(row_tasks * groups >= tasks_per_thread * threads or groups == n_blocks or threads == 1);
                var next: usize = 0;
                for (0..groups) |i| {
                    const begin, const end = blockRange(n_blocks, groups, i);
                    try std.testing.expect(begin == next and end > begin);
                    next = end;
                }
                try std.testing.expectEqual(n_blocks, next);
            }
        }
    }
}
