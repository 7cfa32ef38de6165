//! Binary GEMM driver: rhs packing, micro-kernel selection, tiling and
//! threading. The arithmetic lives in the micro-kernels (bgemm_ukernel.zig).
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const uk = @import("ukernels.zig");
const template = @import("bgemm_ukernel.zig");
const pool = @import("pool.zig");
const Pixel = @import("pixel.zig").Pixel;

const TileArgs = template.TileArgs;
const block = uk.channel_block;

pub const kernels = uk.forArch(builtin.cpu.arch);
const max_mr = blk: {
    var m = 1;
    for (kernels) |e| m = @max(m, e.mr);
    break :blk m;
};

const Entry = struct {
    f32: *const template.TileFn,
    b32: *const template.TileFn,
    peak: *const template.PeakFn,
    /// One row tall (mr = 1): a last partial tile runs row by row on these
    /// rather than computing mr rows and storing a few.
    f32_r1: *const template.TileFn,
    b32_r1: *const template.TileFn,
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
            .f32_r1 = @extern(*const template.TileFn, .{ .name = prefix ++ "_f32_r1" }),
            .b32_r1 = @extern(*const template.TileFn, .{ .name = prefix ++ "_b32_r1" }),
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

/// Where the GEMM's lhs rows are: row r is pixel (n, y, x) of an out_h × out_w grid (r = (n·out_h + y)·out_w + x),
/// whose first word is base + n·image_words + y·y_words + x·x_words, and whose depth words lie in `segments` runs of
/// `segment_words`, `segment_stride` apart. A plain matrix (or im2col buffer) is one image of one line of `rows`
/// pixels, depth words apart, in one run; a convolution reading its (padded) input in place has a pixel per output
/// position, stride_w pixels and stride_h input rows apart, with kernel_h runs of kernel_w pixels.
pub const Lhs = struct {
    base: [*]const u32,
    out_h: usize,
    out_w: usize,
    image_words: usize,
    y_words: usize,
    x_words: usize,
    segments: usize,
    segment_words: usize,
    segment_stride: usize,

    pub fn dense(words: [*]const u32, rows: usize, depth_words: usize) Lhs {
        return .{ .base = words, .out_h = 1, .out_w = rows, .image_words = 0, .y_words = 0, .x_words = depth_words, .segments = 1, .segment_words = depth_words, .segment_stride = 0 };
    }

    /// First word of the row of pixel q.
    fn row(lhs: *const Lhs, q: Pixel) [*]const u32 {
        return lhs.base + q.n * lhs.image_words + q.oy * lhs.y_words + q.ox * lhs.x_words;
    }
};

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

/// The work of one GEMM is a grid of units, one micro-kernel tile of rows
/// by one 32-channel block, numbered tile-major (all blocks of tile 0, then
/// of tile 1, ...). Task t of n takes about units [t·U/n, (t+1)·U/n)
/// (`firstUnit`): a partly done tile's later blocks, then whole tiles with
/// every block (block by block over the run of tiles), then a tile's first
/// blocks. So n tasks, a multiple of the thread count, give every thread the
/// same work however the tiles and blocks divide, and each thread owns whole
/// output rows but for one tile at each end, as the ops before and after it
/// do.
const Job = struct {
    p: abi.BgemmParams,
    kernel: usize,
    lhs: Lhs,
    rhs: [*]const u32,
    output: Output,
    tiles: usize,
    n_blocks: usize,
    tasks: usize,
    /// When set, lhs rows are written (im2col) inside the tasks, just before
    /// the micro-kernels read them, while they are in cache.
    producer: ?Producer,
    /// Tiles per producer chunk, and each chunk's state (unwritten, being
    /// written, written): the first task to need a chunk writes it; a task
    /// that needs it meanwhile waits (a few µs at most: writing never
    /// waits), so no barrier separates im2col from the GEMM when two
    /// threads share a tile.
    chunk_tiles: usize,
    chunk_state: []std.atomic.Value(u32),
};

/// Writes lhs rows [row_begin, row_end) into the lhs buffer.
pub const Producer = struct {
    ctx: *const anyopaque,
    func: *const fn (ctx: *const anyopaque, row_begin: usize, row_end: usize) void,
};

const unwritten = 0;
const being_written = 1;
const written = 2;

/// Makes sure the lhs rows of tiles [tile_begin, tile_end) are written, writing each chunk no one has started.
fn ensureRows(job: *const Job, tile_begin: usize, tile_end: usize) void {
    const producer = job.producer orelse return;
    const mr = kernels[job.kernel].mr;
    const rows: usize = @intCast(job.p.rows);
    for (tile_begin / job.chunk_tiles..(tile_end + job.chunk_tiles - 1) / job.chunk_tiles) |c| {
        const state = &job.chunk_state[c];
        if (state.load(.acquire) == written) continue;
        if (state.cmpxchgStrong(unwritten, being_written, .acquire, .acquire) == null) {
            const begin = c * job.chunk_tiles * mr;
            producer.func(producer.ctx, begin, @min(rows, begin + job.chunk_tiles * mr));
            state.store(written, .release);
            continue;
        }
        while (state.load(.acquire) != written) std.atomic.spinLoopHint();
    }
}

/// Rows per task at most: enough tiles to amortise a task, few enough to stay in cache.
const target_rows_per_task = 192;
/// Tasks per thread at least, so that a thread the host slows down can be helped.
const tasks_per_thread = 8;
/// Producer chunks a job tracks (the state array lives on the stack).
const max_chunks = 512;

fn runTask(ctx: *const anyopaque, task: usize) void {
    const job: *const Job = @ptrCast(@alignCast(ctx));
    const nb = job.n_blocks;
    const u_begin = firstUnit(job, task);
    const u_end = firstUnit(job, task + 1);
    if (u_begin == u_end) return;
    var tile = u_begin / nb;
    // A partial first tile: blocks from mid-tile to its end (or to u_end).
    if (u_begin % nb != 0) {
        ensureRows(job, tile, tile + 1);
        for (u_begin % nb..@min(nb, u_begin % nb + (u_end - u_begin))) |b| runTiles(job, b, tile, tile + 1);
        tile += 1;
    }
    // Whole tiles, block by block over the run.
    const whole_end = u_end / nb;
    if (whole_end > tile) {
        ensureRows(job, tile, whole_end);
        for (0..nb) |b| runTiles(job, b, tile, whole_end);
        tile = whole_end;
    }
    // A partial last tile: its first blocks.
    if (tile * nb < u_end) {
        ensureRows(job, tile, tile + 1);
        for (0..u_end - tile * nb) |b| runTiles(job, b, tile, tile + 1);
    }
}

/// The first unit of task t (t = tasks: the end). Tasks get equal shares of rows × blocks: the units of a last
/// partial tile weigh its rows, not a tile's (its rows run one by one).
fn firstUnit(job: *const Job, t: usize) usize {
    const mr = kernels[job.kernel].mr;
    const rows: usize = @intCast(job.p.rows);
    const nb = job.n_blocks;
    const share: usize = @intCast(@as(u128, t) * (rows * nb) / job.tasks);
    const full_tiles = rows / mr;
    const full_share = full_tiles * mr * nb;
    if (share <= full_share) return share / mr;
    return full_tiles * nb + (share - full_share) / (rows % mr);
}

fn runTiles(job: *const Job, b: usize, tile_begin: usize, tile_end: usize) void {
    const mr = kernels[job.kernel].mr;
    runBlock(job, b, tile_begin * mr, @min(@as(usize, @intCast(job.p.rows)), tile_end * mr));
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
    var row_ptrs: [max_mr][*]const u32 = undefined;
    var args: TileArgs = .{
        .lhs_rows = &row_ptrs,
        .segments = job.lhs.segments,
        .segment_words = job.lhs.segment_words,
        .segment_stride = job.lhs.segment_stride,
        .rows = undefined,
        .rhs = undefined,
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
    const t = table[job.kernel];
    var q = Pixel.at(row_begin, job.lhs.out_h, job.lhs.out_w);
    var row_ptr = job.lhs.row(q);
    var r = row_begin;
    while (r < row_end) {
        // The last, partial tile of a GEMM runs row by row on the one-row kernel.
        const full = row_end - r >= mr;
        const height: usize = if (full) mr else 1;
        defer r += height;
        for (row_ptrs[0..height]) |*ptr| {
            ptr.* = row_ptr;
            q.next();
            // Along a line of output pixels the rows are x_words apart; a new line or image starts anew.
            row_ptr = if (q.ox != 0) row_ptr + job.lhs.x_words else job.lhs.row(q);
        }
        args.rows = height;
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
                    (if (full) t.f32 else t.f32_r1)(&args);
                },
                .b32 => |o| {
                    args.threshold = o.threshold + c0;
                    args.out_b32 = o.out + r * out_words + b;
                    args.bit_shift = @intCast(sub);
                    (if (full) t.b32 else t.b32_r1)(&args);
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
    if (p.rows < 0 or p.depth_words <= 0) return .invalid_argument;
    return runWith(p, .dense(lhs, @intCast(p.rows), @intCast(p.depth_words)), rhs, output, null);
}

/// `run` on any `Lhs` (its segments must hold depth_words words), with the lhs rows written by `producer`
/// inside the tasks when set.
pub fn runWith(p: *const abi.BgemmParams, lhs: Lhs, rhs: [*]const u32, output: Output, producer: ?Producer) abi.Status {
    if (p.rows < 0 or p.channels_out <= 0 or p.depth_words <= 0 or p.depth_bits <= 0 or
        @as(i64, p.depth_bits) > @as(i64, p.depth_words) * 32 or p.clamp_min > p.clamp_max or p.threads < 1)
        return .invalid_argument;
    const kernel = select(p.ukernel) orelse return .unsupported_ukernel;
    if (lhs.segments * lhs.segment_words != p.depth_words) return .invalid_argument;
    if (p.rows == 0) return .ok;
    const rows: usize = @intCast(p.rows);
    const mr = kernels[kernel].mr;
    const threads: usize = @min(@as(usize, @intCast(p.threads)), pool.max_threads);
    const n_blocks = blocks(@intCast(p.channels_out));
    const tiles = (rows + mr - 1) / mr;
    // Tasks of at most ~192 rows' worth of units, at least 8 per thread, a multiple of the thread count.
    const tiles_per_task = @max(1, target_rows_per_task / mr);
    var tasks = @max((tiles + tiles_per_task - 1) / tiles_per_task, if (threads > 1) tasks_per_thread * threads else 1);
    tasks = @min(roundUp(tasks, threads), tiles * n_blocks);
    const chunk_tiles = (tiles + max_chunks - 1) / max_chunks;
    var chunk_state: [max_chunks]std.atomic.Value(u32) = undefined;
    const chunks = (tiles + chunk_tiles - 1) / chunk_tiles;
    if (producer != null) {
        for (chunk_state[0..chunks]) |*c| c.* = .init(unwritten);
    }
    const job: Job = .{
        .p = p.*,
        .kernel = kernel,
        .lhs = lhs,
        .rhs = rhs,
        .output = output,
        .tiles = tiles,
        .n_blocks = n_blocks,
        .tasks = tasks,
        .producer = producer,
        .chunk_tiles = chunk_tiles,
        .chunk_state = chunk_state[0..chunks],
    };
    pool.run(threads, tasks, &job, runTask);
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
    const shapes = [_][3]usize{ .{ 1, 1, 1 }, .{ 7, 33, 3 }, .{ 9, 64, 31 }, .{ 13, 65, 32 }, .{ 25, 8, 70 }, .{ 3, 127, 300 }, .{ 203, 161, 18 } };
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
            // 2 and 3 threads: tasks start and end mid-tile (203 rows, 6 blocks).
            for ([_]i32{ 1, 2, 3 }) |threads| {
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
