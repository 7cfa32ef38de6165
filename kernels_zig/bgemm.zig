//! Binary GEMM driver: rhs packing, micro-kernel selection, tiling and
//! threading. The arithmetic lives in the micro-kernels (bgemm_ukernel.zig).
const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const abi = @import("abi.zig");
const uk = @import("ukernels.zig");
const template = @import("bgemm_ukernel.zig");
const thread_pool = @import("thread_pool.zig");
const Pixel = @import("pixel.zig").Pixel;
const num = @import("num.zig");
const neon = @import("neon_loops.zig");
const isa_loops = @import("isa_loops.zig");
const clamp = num.clamp;
const clampVector = num.clampVector;

const block_template = @import("bgemm_block.zig");
const BlockArgs = block_template.BlockArgs;
const block = uk.channel_block;
/// Whether the fused ADD's epilogue runs inside the float tile kernels (`Entry.block_f32_add`) rather than over each
/// block after its tiles: on x86, where it was measured faster (BENCHMARKS.md); the ARM and wasm builds keep
/// the separate pass until measured there.
pub const epilogue_in_tile = builtin.cpu.arch == .x86_64;

pub const kernels = uk.forCpu(builtin.cpu);

const Entry = struct {
    f32: *const template.TileFn,
    b32: *const template.TileFn,
    peak: *const template.PeakFn,
    /// One row tall (mr = 1): a last partial tile runs row by row on these
    /// rather than computing mr rows and storing a few.
    f32_r1: *const template.TileFn,
    b32_r1: *const template.TileFn,
    /// A whole 32-channel block over a run of rows (bgemm_block.zig): what the driver calls; block_f32_add with a
    /// fused ADD's epilogue in its tiles, where `epilogue_in_tile` (null elsewhere).
    block_f32: *const block_template.BlockFn,
    block_b32: *const block_template.BlockFn,
    block_f32_add: ?*const block_template.BlockFn,
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
            .block_f32 = @extern(*const block_template.BlockFn, .{ .name = prefix ++ "_block_f32" }),
            .block_b32 = @extern(*const block_template.BlockFn, .{ .name = prefix ++ "_block_b32" }),
            .block_f32_add = if (epilogue_in_tile) @extern(*const block_template.BlockFn, .{ .name = prefix ++ "_block_f32_add" }) else null,
        };
    }
    break :blk t;
};

const selection = @import("select.zig").Selection(kernels);
pub const supported = selection.supported;
pub const select = selection.select;

/// Fills `info` for micro-kernel `index` (< kernels.len), with the MACs of one iteration of its peak loop.
pub fn describe(index: usize, info: *abi.UkernelInfo) void {
    const e = kernels[index];
    selection.describe(index, e.mr * e.nr() * 32, info);
}

/// Runs micro-kernel `ukernel`'s register-only peak loop `iterations` times on `threads` threads at once, thread
/// t's result in sink[t] (so that no loop is dead code).
pub fn peak(p: *const abi.PeakParams, sink: [*]u32) abi.Status {
    if (p.ukernel < 0) return .invalid_argument;
    const i = select(p.ukernel) orelse return .unsupported_ukernel;
    return runPeak(table[i].peak, p, sink);
}

/// Runs a register-only peak loop (binary here, float in fma_peak.zig) `p.iterations` times on each of `p.threads`
/// threads at once, thread t's result in sink[t].
pub fn runPeak(loop: *const template.PeakFn, p: *const abi.PeakParams, sink: [*]u32) abi.Status {
    if (p.iterations < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    const Ctx = struct {
        peak: *const template.PeakFn,
        iterations: usize,
        sink: [*]u32,
        fn task(ctx: *const anyopaque, t: usize) void {
            const c: *const @This() = @ptrCast(@alignCast(ctx));
            c.peak(c.iterations, &c.sink[t]);
        }
    };
    const threads: usize = @intCast(p.threads);
    const ctx: Ctx = .{ .peak = loop, .iterations = @intCast(p.iterations), .sink = sink };
    thread_pool.run(threads, threads, &ctx, Ctx.task);
    return .ok;
}

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

    /// First words of rows [begin, begin + out.len).
    fn rowPointers(lhs: *const Lhs, begin: usize, out: [][*]const u32) void {
        var q = Pixel.at(begin, lhs.out_h, lhs.out_w);
        var ptr = lhs.row(q);
        for (out) |*o| {
            o.* = ptr;
            q.next();
            // Along a line of output pixels the rows are x_words apart; a new line or image starts anew.
            ptr = if (q.ox != 0) ptr + lhs.x_words else lhs.row(q);
        }
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
    /// Same-zero padding's correction, subtracted from the border pixels before the add (null: none).
    border: ?Border = null,

    /// A same-zero convolution's border: `slots[p]` is output pixel p's (of an image's `image_pixels`) row in
    /// `fix` (-1: an inner pixel), `fix` holds channels_out values a row, the float output's excess from the
    /// +1s the kernel read for the out-of-bounds taps. out -= fix on those pixels, as a separate pass would.
    pub const Border = struct {
        slots: [*]const i32,
        fix: [*]const f32,
        image_pixels: usize,

        fn subtract(d: Border, out: [*]f32, n: usize, b: usize, row_begin: usize, row_end: usize) void {
            const c0 = b * block;
            const width = @min(block, n - c0);
            for (row_begin..row_end) |r| {
                const slot = d.slots[r % d.image_pixels];
                if (slot < 0) continue;
                const o = out + r * n + c0;
                const f = d.fix + @as(usize, @intCast(slot)) * n + c0;
                for (0..width) |j| o[j] -= f[j];
            }
        }
    };

    /// Whether the clamp does anything: an ADD without activation has infinite bounds, where it is the identity
    /// (NaN and -0 included).
    fn clamping(e: Epilogue) bool {
        return !(e.clamp_min == -std.math.inf(f32) and e.clamp_max == std.math.inf(f32));
    }

    /// Channels [32 b, 32 b + 32) of rows [row_begin, row_end), `n` channels a row.
    /// `apply` on the fastest ISA copy this CPU runs (isa_loops.zig: the root's x86 baseline has 4-float
    /// vectors; the same arithmetic, so the same bits).
    fn applyFastest(e: Epilogue, out: [*]f32, n: usize, b: usize, row_begin: usize, row_end: usize) void {
        if (isa_loops.isas.len == 0) return e.apply(out, n, b, row_begin, row_end);
        const call: EpilogueCall = .{
            .residual = e.residual,
            .clamp_min = e.clamp_min,
            .clamp_max = e.clamp_max,
            .packed_out = e.packed_out,
            .slots = if (e.border) |d| d.slots else null,
            .fix = if (e.border) |d| d.fix else e.residual,
            .image_pixels = if (e.border) |d| d.image_pixels else 1,
            .out = out,
            .n = n,
            .b = b,
            .row_begin = row_begin,
            .row_end = row_end,
        };
        isa_loops.pick("bgemm_epilogue", epilogueTask)(&call, 0);
    }

    fn apply(e: Epilogue, out: [*]f32, n: usize, b: usize, row_begin: usize, row_end: usize) void {
        if (e.border) |d| d.subtract(out, n, b, row_begin, row_end);
        const c0 = b * block;
        const width = @min(block, n - c0);
        if (width == block) {
            // Whole blocks (the common case): a loop specialised on whether it clamps (an ADD without activation
            // has infinite bounds, where the clamp is the identity, NaN and -0 included) and whether it packs.
            switch (@as(u2, @intFromBool(e.clamping())) * 2 + @intFromBool(e.packed_out != null)) {
                inline else => |mode| e.wholeBlocks(mode >= 2, mode % 2 == 1, out, n, b, row_begin, row_end),
            }
            return;
        }
        for (row_begin..row_end) |r| {
            const o = out + r * n + c0;
            const x = e.residual + r * n + c0;
            var word: u32 = 0;
            for (0..width) |j| {
                const y = clamp(o[j] + x[j], e.clamp_min, e.clamp_max);
                o[j] = y;
                word |= @as(u32, @intFromBool(y < 0)) << @intCast(j);
            }
            if (e.packed_out) |q| q[r * blocks(n) + b] = word;
        }
    }

    /// `apply` on a whole block: one 32-lane vector a row.
    fn wholeBlocks(e: Epilogue, comptime clamps: bool, comptime packs: bool, out: [*]f32, n: usize, b: usize, row_begin: usize, row_end: usize) void {
        const V = @Vector(block, f32);
        const lo: V = @splat(e.clamp_min);
        const hi: V = @splat(e.clamp_max);
        const c0 = b * block;
        // A ReLU: clamp to [+0, +inf].
        const relu = @as(u32, @bitCast(e.clamp_min)) == 0 and e.clamp_max == std.math.inf(f32);
        if (neon.available and (!clamps or relu)) {
            // Hand-scheduled NEON loops (neon_loops.zig), the same results and bits.
            const o = out + row_begin * n + c0;
            const x = e.residual + row_begin * n + c0;
            const rows = row_end - row_begin;
            const q = if (packs) e.packed_out.? + row_begin * blocks(n) + b else undefined;
            switch (clamps) {
                inline else => |r| if (packs) neon.addPackRows(r, o, x, n, q, blocks(n), rows) else neon.addRows(r, o, x, n, rows),
            }
            return;
        }
        for (row_begin..row_end) |r| {
            const o = out + r * n + c0;
            const sum = @as(V, o[0..block].*) + @as(V, (e.residual + r * n + c0)[0..block].*);
            const y = if (clamps) clampVector(V, sum, lo, hi) else sum;
            o[0..block].* = y;
            if (packs) e.packed_out.?[r * blocks(n) + b] = @bitCast(y < @as(V, @splat(0)));
        }
    }
};

/// One `Epilogue.apply` call as the ISA copies of `epilogueTask` read it (extern: the objects share it).
pub const EpilogueCall = extern struct {
    residual: [*]const f32,
    clamp_min: f32,
    clamp_max: f32,
    packed_out: ?[*]u32,
    /// Border.slots, or null without a border (then `fix` and `image_pixels` are unused).
    slots: ?[*]const i32,
    fix: [*]const f32,
    image_pixels: usize,
    out: [*]f32,
    n: usize,
    b: usize,
    row_begin: usize,
    row_end: usize,
};

/// The epilogue of one block's rows (`ctx`: an EpilogueCall; the task index is unused): the loop isa_loops.zig
/// copies per ISA.
pub fn epilogueTask(ctx: *const anyopaque, _: usize) callconv(.c) void {
    const c: *const EpilogueCall = @ptrCast(@alignCast(ctx));
    const e: Epilogue = .{
        .residual = c.residual,
        .clamp_min = c.clamp_min,
        .clamp_max = c.clamp_max,
        .packed_out = c.packed_out,
        .border = if (c.slots) |slots| .{ .slots = slots, .fix = c.fix, .image_pixels = c.image_pixels } else null,
    };
    e.apply(c.out, c.n, c.b, c.row_begin, c.row_end);
}

/// The work of one GEMM is a grid of units, one micro-kernel tile of rows
/// by one 32-channel block, numbered tile-major (all blocks of tile 0, then
/// of tile 1, ...). Task t of n takes about units [t·U/n, (t+1)·U/n)
/// (`firstUnit`): a partly done tile's later blocks, then whole tiles with
/// every block (block by block over the run of tiles), then a tile's first
/// blocks (`runs`). So n tasks, a multiple of the thread count, give every
/// thread the same work however the tiles and blocks divide, and each thread
/// owns whole output rows but for one tile at each end, as the ops before and
/// after it do.
pub const Split = struct {
    rows: usize,
    mr: usize,
    n_blocks: usize,
    tiles: usize,
    tasks: usize,

    /// Tasks of at most ~192 rows' worth of units, at least 8 per thread, a multiple of the thread count.
    pub fn init(rows: usize, mr: usize, n_blocks: usize, threads: usize) Split {
        assert(rows >= 1 and mr >= 1 and n_blocks >= 1 and threads >= 1 and threads <= thread_pool.max_threads);
        const tiles = (rows + mr - 1) / mr;
        const tiles_per_task = @max(1, target_rows_per_task / mr);
        var tasks = @max((tiles + tiles_per_task - 1) / tiles_per_task, if (threads > 1) tasks_per_thread * threads else 1);
        tasks = @min(roundUp(tasks, threads), tiles * n_blocks);
        // No more tasks than units, and a multiple of the thread count unless the units are fewer.
        assert(tasks >= 1 and tasks <= tiles * n_blocks);
        assert(tasks % threads == 0 or tasks == tiles * n_blocks);
        return .{ .rows = rows, .mr = mr, .n_blocks = n_blocks, .tiles = tiles, .tasks = tasks };
    }

    /// Rows × blocks before unit `unit`: a unit of the last, partial tile weighs its rows, not a tile's (its rows
    /// run one by one).
    fn weight(s: Split, unit: usize) usize {
        const full_units = s.rows / s.mr * s.n_blocks;
        if (unit <= full_units) return unit * s.mr;
        return full_units * s.mr + (unit - full_units) * (s.rows % s.mr);
    }

    /// The first unit of task t (t = tasks: the end): the last whose weight is within task t's equal share.
    pub fn firstUnit(s: Split, t: usize) usize {
        assert(t <= s.tasks);
        const share: usize = @intCast(@as(u128, t) * (s.rows * s.n_blocks) / s.tasks);
        const full_tiles = s.rows / s.mr;
        const full_share = full_tiles * s.mr * s.n_blocks;
        if (share <= full_share) return share / s.mr;
        // Past the full tiles' share only when a partial tile follows them.
        assert(s.rows % s.mr != 0);
        return full_tiles * s.n_blocks + (share - full_share) / (s.rows % s.mr);
    }

    /// Blocks [block_begin, block_end) of tiles [tile_begin, tile_end), run block by block over the tiles.
    pub const Run = struct { tile_begin: usize, tile_end: usize, block_begin: usize, block_end: usize };

    /// Task t's units [firstUnit(t), firstUnit(t + 1)) as at most three runs, in unit order: a partly done
    /// tile's later blocks, whole tiles with every block, a tile's first blocks.
    pub fn runs(s: Split, t: usize) std.BoundedArray(Run, 3) {
        const nb = s.n_blocks;
        const u_begin = s.firstUnit(t);
        const u_end = s.firstUnit(t + 1);
        assert(u_begin <= u_end and u_end <= s.tiles * nb);
        var list: std.BoundedArray(Run, 3) = .{};
        if (u_begin == u_end) return list;
        var tile = u_begin / nb;
        if (u_begin % nb != 0) {
            list.appendAssumeCapacity(.{ .tile_begin = tile, .tile_end = tile + 1, .block_begin = u_begin % nb, .block_end = @min(nb, u_begin % nb + (u_end - u_begin)) });
            tile += 1;
        }
        const whole_end = u_end / nb;
        if (whole_end > tile) {
            list.appendAssumeCapacity(.{ .tile_begin = tile, .tile_end = whole_end, .block_begin = 0, .block_end = nb });
            tile = whole_end;
        }
        if (tile * nb < u_end) {
            list.appendAssumeCapacity(.{ .tile_begin = tile, .tile_end = tile + 1, .block_begin = 0, .block_end = u_end - tile * nb });
        }
        if (std.debug.runtime_safety) s.checkRuns(t, list.slice());
        return list;
    }

    /// The runs of task t are non-empty, inside the grid, and cover its units exactly, in order; its work is
    /// within a tile's weight of an equal share.
    fn checkRuns(s: Split, t: usize, list: []const Run) void {
        const nb = s.n_blocks;
        var next = s.firstUnit(t);
        for (list) |r| {
            assert(r.tile_begin < r.tile_end and r.tile_end <= s.tiles and r.block_begin < r.block_end and r.block_end <= nb);
            // Several tiles only with every block, so that the run is consecutive units.
            assert(r.tile_end - r.tile_begin == 1 or (r.block_begin == 0 and r.block_end == nb));
            assert(r.tile_begin * nb + r.block_begin == next);
            next = (r.tile_end - 1) * nb + r.block_end;
        }
        assert(next == s.firstUnit(t + 1));
        const total = s.rows * nb;
        const work = s.weight(s.firstUnit(t + 1)) - s.weight(s.firstUnit(t));
        assert(work + s.mr > total / s.tasks and work < (total + s.tasks - 1) / s.tasks + s.mr);
    }
};

/// One GEMM call: its parameters and operands, the micro-kernel, and its units' tasks.
const Job = struct {
    p: abi.BgemmParams,
    kernel: usize,
    lhs: Lhs,
    rhs: [*]const u32,
    output: Output,
    split: Split,
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
    assert(tile_begin < tile_end and tile_end <= job.split.tiles);
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

/// Lhs row pointers a task computes at once: a longer run goes in pieces of whole tiles.
const max_piece_rows = 240;

fn runTask(ctx: *const anyopaque, task: usize) void {
    const job: *const Job = @ptrCast(@alignCast(ctx));
    const mr = kernels[job.kernel].mr;
    const rows: usize = @intCast(job.p.rows);
    const step = max_piece_rows / mr * mr;
    var row_ptrs: [max_piece_rows][*]const u32 = undefined;
    const runs = job.split.runs(task);
    for (runs.constSlice()) |r| {
        ensureRows(job, r.tile_begin, r.tile_end);
        const end = @min(rows, r.tile_end * mr);
        var begin = r.tile_begin * mr;
        while (begin < end) : (begin += step) {
            const stop = @min(end, begin + step);
            // The rows' pointers once for every block of the run.
            job.lhs.rowPointers(begin, row_ptrs[0 .. stop - begin]);
            for (r.block_begin..r.block_end) |b| runBlock(job, &row_ptrs, b, begin, stop);
        }
    }
}

/// Output channels [32 b, 32 b + 32) of rows [row_begin, row_end) (lhs rows at `row_ptrs`): one call of the
/// micro-kernel's block function (bgemm_block.zig), then the fused epilogue while the rows are in cache.
fn runBlock(job: *const Job, row_ptrs: [*]const [*]const u32, b: usize, row_begin: usize, row_end: usize) void {
    const mr = kernels[job.kernel].mr;
    const p = job.p;
    // Whole tiles but for the GEMM's last one (the only rows the one-row kernel runs), of a block with channels.
    assert(row_begin < row_end and row_end <= job.split.rows and row_begin % mr == 0);
    assert(row_end % mr == 0 or row_end == job.split.rows);
    assert(b < job.split.n_blocks);
    const n: usize = @intCast(p.channels_out);
    const depth: usize = @intCast(p.depth_words);
    const out_words = blocks(n);
    const c0 = b * block;
    var args: BlockArgs = .{
        .tile = .{
            .lhs_rows = row_ptrs,
            .segments = job.lhs.segments,
            .segment_words = job.lhs.segment_words,
            .segment_stride = job.lhs.segment_stride,
            .rows = undefined,
            .rhs = job.rhs + b * depth * block,
            .depth_bits = p.depth_bits,
            .clamp_min = p.clamp_min,
            .clamp_max = p.clamp_max,
            .multiplier = undefined,
            .bias = undefined,
            .threshold = undefined,
            .cols = @min(block, n - c0),
            .out_f32 = undefined,
            .out_f32_stride = n,
            .out_b32 = undefined,
            .out_b32_stride = out_words,
            .bit_shift = 0,
            .residual = undefined,
            .add_min = 0,
            .add_max = 0,
            .add_clamps = false,
            .add_packs = false,
        },
        .lhs_rows = row_ptrs,
        .rows = row_end - row_begin,
    };
    // A fused ADD on a whole block runs inside the tiles, on x86 (measured there: one pass over the output while
    // it is in registers); elsewhere, and on a last partial block, after the block (Epilogue.apply).
    const in_tile: ?Epilogue = switch (job.output) {
        .f32 => |o| if (epilogue_in_tile and (b + 1) * block <= n and (o.epilogue == null or o.epilogue.?.border == null)) o.epilogue else null,
        .b32 => null,
    };
    if (in_tile) |epi| {
        args.tile.add_min = epi.clamp_min;
        args.tile.add_max = epi.clamp_max;
        args.tile.add_clamps = epi.clamping();
        args.tile.add_packs = epi.packed_out != null;
    }
    const t = table[job.kernel];
    switch (job.output) {
        .f32 => |o| {
            args.tile.multiplier = o.multiplier + c0;
            args.tile.bias = o.bias + c0;
            args.tile.out_f32 = o.out + row_begin * n + c0;
            if (in_tile) |epi| {
                args.tile.residual = epi.residual + row_begin * n + c0;
                if (epi.packed_out) |words| args.tile.out_b32 = words + row_begin * out_words + b;
                t.block_f32_add.?(&args);
            } else {
                t.block_f32(&args);
                if (o.epilogue) |epi| epi.applyFastest(o.out, n, b, row_begin, row_end);
            }
        },
        .b32 => |o| {
            args.tile.threshold = o.threshold + c0;
            args.tile.out_b32 = o.out + row_begin * out_words + b;
            t.block_b32(&args);
        },
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
    const kernel = selection.selectForRuns(p.ukernel, lhs.segment_words) orelse return .unsupported_ukernel;
    if (lhs.segments * lhs.segment_words != p.depth_words) return .invalid_argument;
    if (p.rows == 0) return .ok;
    const threads: usize = @min(@as(usize, @intCast(p.threads)), thread_pool.max_threads);
    const split: Split = .init(@intCast(p.rows), kernels[kernel].mr, blocks(@intCast(p.channels_out)), threads);
    const tiles = split.tiles;
    const chunk_tiles = (tiles + max_chunks - 1) / max_chunks;
    var chunk_state: [max_chunks]std.atomic.Value(u32) = undefined;
    const chunks = (tiles + chunk_tiles - 1) / chunk_tiles;
    assert(chunks <= max_chunks and chunks * chunk_tiles >= tiles);
    if (producer != null) {
        for (chunk_state[0..chunks]) |*c| c.* = .init(unwritten);
    }
    const job: Job = .{
        .p = p.*,
        .kernel = kernel,
        .lhs = lhs,
        .rhs = rhs,
        .output = output,
        .split = split,
        .producer = producer,
        .chunk_tiles = chunk_tiles,
        .chunk_state = chunk_state[0..chunks],
    };
    thread_pool.run(threads, split.tasks, &job, runTask);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_ukernel_count() callconv(.c) i32 {
    return kernels.len;
}

pub fn onebit_ukernel_info(index: i32, info: *abi.UkernelInfo) callconv(.c) i32 {
    if (index < 0 or index >= kernels.len) return abi.code(.invalid_argument);
    describe(@intCast(index), info);
    return abi.code(.ok);
}

/// `sink` holds one word per thread (the loops' results, so none is dead code).
pub fn onebit_peak_loop(params: *const abi.PeakParams, sink: [*]u32) callconv(.c) i32 {
    return abi.code(peak(params, sink));
}

pub fn onebit_bgemm_pack_rhs_b32(params: *const abi.PackRhsParams, rhs: [*]const u32, packed_rhs: [*]u32) callconv(.c) i32 {
    if (params.channels_out <= 0 or params.depth_words <= 0) return abi.code(.invalid_argument);
    packRhs(@intCast(params.channels_out), @intCast(params.depth_words), rhs, packed_rhs);
    return abi.code(.ok);
}

pub fn onebit_bgemm_b32_f32(params: *const abi.BgemmParams, lhs: [*]const u32, packed_rhs: [*]const u32, multiplier: [*]const f32, bias: [*]const f32, output: [*]f32) callconv(.c) i32 {
    return abi.code(run(params, lhs, packed_rhs, .{ .f32 = .{ .multiplier = multiplier, .bias = bias, .out = output } }));
}

pub fn onebit_bgemm_b32_b32(params: *const abi.BgemmParams, lhs: [*]const u32, packed_rhs: [*]const u32, threshold: [*]const i32, output: [*]u32) callconv(.c) i32 {
    return abi.code(run(params, lhs, packed_rhs, .{ .b32 = .{ .threshold = threshold, .out = output } }));
}

test "Split: every unit of a GEMM in exactly one task, in equal shares, on any size and thread count" {
    const gpa = std.testing.allocator;
    for ([_]usize{ 1, 4, 6, 8 }) |mr| {
        for ([_]usize{ 1, 2, 3, 5, 8, 64 }) |threads| {
            for ([_]usize{ 1, 2, 7, 8, 9, 49, 196, 203, 784, 3136, 12544 }) |rows| {
                for ([_]usize{ 1, 2, 6, 16 }) |n_blocks| {
                    const s: Split = .init(rows, mr, n_blocks, threads);
                    const hits = try gpa.alloc(u8, s.tiles * n_blocks);
                    defer gpa.free(hits);
                    @memset(hits, 0);
                    for (0..s.tasks) |t| {
                        // runs() checks each task's runs in ReleaseSafe (checkRuns); here, the whole grid.
                        for (s.runs(t).constSlice()) |r| {
                            for (r.tile_begin..r.tile_end) |tile| {
                                for (r.block_begin..r.block_end) |b| hits[tile * n_blocks + b] += 1;
                            }
                        }
                    }
                    for (hits) |h| try std.testing.expectEqual(@as(u8, 1), h);
                    try std.testing.expectEqual(@as(usize, 0), s.firstUnit(0));
                    try std.testing.expectEqual(s.tiles * n_blocks, s.firstUnit(s.tasks));
                }
            }
        }
    }
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
