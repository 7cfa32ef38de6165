//! A small thread pool: `run(threads, tasks, ctx, func)` calls func(ctx, t)
//! for every t in 0..tasks on up to `threads` threads (the caller is one of
//! them) and returns when all are done.
//!
//! Workers are created on first use and live for the rest of the process
//! (the one long-lived resource the library owns). They spin briefly before
//! sleeping on a futex, so back-to-back layer calls do not pay a wake-up.
//! Needs the OS's threads: libc's, or kernel32's on Windows; without libc
//! elsewhere (the Android build) everything runs on the calling thread. One
//! job runs at a time; a caller that finds the pool busy (another Deno worker
//! calling in) runs its job on its own thread.
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");

/// The threaded wasm module (+atomics, shared memory): its workers are not spawned here but by the host, which
/// instantiates the module once more per worker on the same memory and calls `wasmWorker` there (kernels_zig/wasm.zig).
pub const wasm_threads = builtin.cpu.arch.isWasm() and !builtin.single_threaded and
    std.Target.wasm.featureSetHas(builtin.cpu.features, .atomics);
pub const threading = (builtin.link_libc or builtin.os.tag == .windows or wasm_threads) and !builtin.single_threaded;
pub const max_threads = abi.max_threads;

/// A `threads` parameter of the ABI a call can run with.
pub fn validThreads(threads: i32) bool {
    return threads >= 1 and threads <= max_threads;
}

pub const TaskFn = *const fn (ctx: *const anyopaque, task: usize) void;

const Job = struct {
    func: TaskFn,
    ctx: *const anyopaque,
    tasks: usize,
    /// Workers with index below this take tasks; the others skip the job.
    active_workers: usize,
    /// The caller and the active workers.
    participants: usize,
};

/// Participant i of a job (0: the caller, i > 0: worker i - 1) owns the contiguous tasks [i·tasks/n,
/// (i+1)·tasks/n) and takes them in order; when its own run out it takes the others' (the same counters, so
/// each task still runs once). Consecutive ops thus give each thread the same rows, whose data stays in its
/// own cache, and a thread the host slows down still gets helped.
const Cursor = struct {
    next: std.atomic.Value(usize) align(std.atomic.cache_line),
    end: usize,
};

/// A job's descriptor. Jobs alternate between two slots, so the caller returns as soon as every task has run —
/// it never waits for a worker to wake up and acknowledge (on a loaded host a descheduled worker used to stall
/// every op by a scheduler tick). A worker that wakes late finds the tasks taken and leaves; `readers` counts
/// the workers looking at the slot, and a slot is rewritten only when none are (two jobs later, so in practice
/// without waiting).
const Slot = struct {
    /// The generation whose job this slot holds; `invalid` while the caller rewrites it.
    gen: std.atomic.Value(u32) align(std.atomic.cache_line) = .init(invalid),
    readers: std.atomic.Value(u32) align(std.atomic.cache_line) = .init(0),
    /// Tasks finished (each participant adds its count when its drain ends).
    done: std.atomic.Value(u32) align(std.atomic.cache_line) = .init(0),
    job: Job = undefined,
    cursors: [max_threads]Cursor = undefined,
};
const invalid: u32 = 0;

var submit_mutex: std.Thread.Mutex = .{};
var grow_mutex: std.Thread.Mutex = .{};
var workers: usize = 0;
var slots: [2]Slot = .{ .{}, .{} };
/// The latest job's generation (never `invalid`: it starts at 1 and skips 0 when it wraps).
var generation = std.atomic.Value(u32).init(1);
const spin_limit = 50_000;

/// Runs tasks of `slot`'s job as participant `self` until none are left; returns how many it ran.
fn drain(slot: *Slot, self: usize) u32 {
    const n = slot.job.participants;
    var ran: u32 = 0;
    for (0..n) |k| {
        const c = &slot.cursors[(self + k) % n];
        while (true) {
            const t = c.next.fetchAdd(1, .monotonic);
            if (t >= c.end) break;
            slot.job.func(slot.job.ctx, t);
            ran += 1;
        }
    }
    return ran;
}

/// Adds `ran` finished tasks to `slot`'s count and wakes the caller when they were the last.
fn finish(slot: *Slot, ran: u32) void {
    if (ran == 0) return;
    if (slot.done.fetchAdd(ran, .acq_rel) + ran == slot.job.tasks) std.Thread.Futex.wake(&slot.done, 1);
}

/// Worker `index` joins generation `g`'s job if its slot still holds it (announcing itself in `readers` first,
/// so the slot cannot be rewritten under it) and the job wants this worker.
fn serve(index: usize, g: u32) void {
    const slot = &slots[g & 1];
    _ = slot.readers.fetchAdd(1, .seq_cst);
    defer _ = slot.readers.fetchSub(1, .release);
    if (slot.gen.load(.seq_cst) != g) return; // rewritten for a later job: that one has its own wake-up
    if (index >= slot.job.active_workers) return;
    finish(slot, drain(slot, index + 1));
}

/// Workers asleep on `generation` or about to be: a job wakes them only when there are any, so the common case
/// (workers still spinning after the op before) costs the caller no futex syscall.
var sleepers = std.atomic.Value(u32).init(0);

/// Set once by `shutdown` (the threaded wasm module's dispose): workers leave their loop at their next wake-up.
var stopping = std.atomic.Value(bool).init(false);

fn workerMain(index: usize, start_generation: u32) void {
    var seen = start_generation;
    while (true) {
        var spins: usize = 0;
        while (generation.load(.acquire) == seen and spins < spin_limit) : (spins += 1) {
            std.atomic.spinLoopHint();
        }
        if (generation.load(.acquire) == seen) {
            // Announce the sleep before the last look at `generation` (both seq_cst, as the caller's store and
            // its look at `sleepers`): either this sees the new job or the caller sees a sleeper and wakes it.
            _ = sleepers.fetchAdd(1, .seq_cst);
            while (generation.load(.seq_cst) == seen) std.Thread.Futex.wait(&generation, seen);
            _ = sleepers.fetchSub(1, .release);
        }
        if (stopping.load(.acquire)) return;
        seen = generation.load(.acquire);
        serve(index, seen);
    }
}

/// Ends the pool for good (the threaded wasm module's dispose: its workers are host threads that a blocked
/// `memory.atomic.wait32` keeps alive through `terminate()`): every worker returns from `wasmWorker` at its next
/// wake-up, which this triggers. Later jobs run on the calling thread.
pub fn shutdown() void {
    submit_mutex.lock();
    defer submit_mutex.unlock();
    stopping.store(true, .release);
    _ = generation.fetchAdd(1, .acq_rel);
    std.Thread.Futex.wake(&generation, std.math.maxInt(u32));
}

const Dl_info = extern struct {
    dli_fname: ?[*:0]const u8,
    dli_fbase: ?*anyopaque,
    dli_sname: ?[*:0]const u8,
    dli_saddr: ?*anyopaque,
};
extern "c" fn dladdr(addr: *const anyopaque, info: *Dl_info) c_int;
extern "c" fn dlopen(path: ?[*:0]const u8, flags: c_int) ?*anyopaque;
const RTLD_NOW = 2;
const RTLD_NODELETE = if (builtin.os.tag.isDarwin()) 0x80 else 0x1000;
extern "kernel32" fn GetModuleHandleExW(flags: u32, name: ?*const anyopaque, module: *?*anyopaque) callconv(.winapi) c_int;
const GET_MODULE_HANDLE_EX_FLAG_PIN = 0x1;
const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS = 0x4;

var pinned = false;

/// Workers run this library's code for the rest of the process, so the
/// library must never be unmapped under them (Deno closes dynamic libraries
/// at exit, which crashed a spinning worker). Opening ourselves once more
/// with RTLD_NODELETE keeps the mapping (on Windows: GetModuleHandleExW
/// with the PIN flag). Without it, no worker is started.
fn pinLibrary() bool {
    if (pinned) return true;
    const is_shared_library = builtin.output_mode == .Lib and builtin.link_mode == .dynamic;
    if (!is_shared_library) {
        pinned = true;
        return true;
    }
    if (builtin.os.tag == .windows) {
        var module: ?*anyopaque = null;
        const flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN;
        pinned = GetModuleHandleExW(flags, @ptrCast(&pinLibrary), &module) != 0;
        return pinned;
    }
    var info: Dl_info = undefined;
    if (dladdr(@ptrCast(&pinLibrary), &info) == 0) return false;
    const path = info.dli_fname orelse return false;
    pinned = dlopen(path, RTLD_NOW | RTLD_NODELETE) != null;
    return pinned;
}

/// Makes sure `wanted` workers exist. Returns how many do (fewer when the
/// OS refuses a thread: the job then runs on fewer threads, never fails).
fn ensureWorkers(wanted: usize) usize {
    if (wasm_threads) return workers; // as many as the host has started (counted under submit_mutex)
    grow_mutex.lock();
    defer grow_mutex.unlock();
    if (workers < wanted and !pinLibrary()) return workers;
    while (workers < wanted) {
        // The generation is handed over at spawn (no job runs while the caller
        // holds submit_mutex), so a worker that starts late still sees the
        // next job as new.
        const t = std.Thread.spawn(.{ .stack_size = 256 * 1024 }, workerMain, .{ workers, generation.load(.acquire) }) catch break;
        t.detach();
        workers += 1;
    }
    return workers;
}

/// A host-started worker of the threaded wasm module: joins the pool and serves its jobs until `shutdown`. It counts itself
/// under submit_mutex, so no job is running: it takes the next generation, as a worker spawned here would.
pub fn wasmWorker() void {
    comptime std.debug.assert(wasm_threads);
    submit_mutex.lock();
    const index = workers;
    const start = generation.load(.acquire);
    workers += 1;
    submit_mutex.unlock();
    if (!stopping.load(.acquire)) workerMain(index, start);
}

pub fn run(threads: usize, tasks: usize, ctx: *const anyopaque, func: TaskFn) void {
    const want = @min(@min(threads, max_threads), tasks);
    std.debug.assert(tasks <= std.math.maxInt(u32));
    if (!threading or want <= 1 or stopping.load(.monotonic) or !submit_mutex.tryLock()) {
        for (0..tasks) |t| func(ctx, t);
        return;
    }
    defer submit_mutex.unlock();
    if (ensureWorkers(want - 1) == 0) {
        for (0..tasks) |t| func(ctx, t);
        return;
    }
    const g = nextGeneration(generation.load(.monotonic));
    const slot = &slots[g & 1];
    // Close the slot (its job is two generations old), then wait for late readers of it to leave: workers check
    // `gen` after announcing themselves, so none can start on the descriptor being rewritten.
    slot.gen.store(invalid, .seq_cst);
    var waits: usize = 0;
    while (slot.readers.load(.seq_cst) != 0) : (waits += 1) {
        if (waits < 1000 or wasm_threads) std.atomic.spinLoopHint() else std.Thread.yield() catch {};
    }
    slot.job = .{ .func = func, .ctx = ctx, .tasks = tasks, .active_workers = want - 1, .participants = want };
    for (0..want) |i| {
        slot.cursors[i].next.store(i * tasks / want, .monotonic);
        slot.cursors[i].end = (i + 1) * tasks / want;
        // Consecutive, non-empty (want <= tasks) and together [0, tasks): every task is owned once.
        std.debug.assert(slot.cursors[i].end > i * tasks / want);
    }
    std.debug.assert(slot.cursors[want - 1].end == tasks);
    slot.done.store(0, .monotonic);
    slot.gen.store(g, .seq_cst);
    generation.store(g, .seq_cst);
    if (sleepers.load(.seq_cst) != 0) std.Thread.Futex.wake(&generation, std.math.maxInt(u32));
    _ = slot.done.fetchAdd(drain(slot, 0), .acq_rel);
    // Every task is claimed now; wait only for the ones still running on a worker.
    var spins: usize = 0;
    while (true) {
        const finished = slot.done.load(.acquire);
        if (finished == tasks) break;
        if (spins < spin_limit) {
            spins += 1;
            std.atomic.spinLoopHint();
        } else {
            std.Thread.Futex.wait(&slot.done, finished);
        }
    }
}

/// The generation after `g`, skipping `invalid`.
fn nextGeneration(g: u32) u32 {
    const n = g +% 1;
    return if (n == invalid) n +% 1 else n;
}

/// Values below which a pass over memory (element-wise ops, packing, im2col, transposes, softmax rows) stays on
/// the calling thread: a job costs the caller ~0.5 µs to hand out and wait for, 32K values ~5 µs or more of work.
pub const min_split_values: usize = 1 << 15;

/// The fewest items worth splitting over threads when each item (a row, a pixel) holds `values_per_item` values:
/// min_split_values in whole items (runRanges's `min_split`).
pub fn minSplitItems(values_per_item: usize) usize {
    return (min_split_values + values_per_item - 1) / @max(1, values_per_item);
}

/// `threads`, or 1 when a pass over `values` values is too small to split (below min_split_values).
pub fn threadsForValues(values: usize, threads: usize) usize {
    return if (values < min_split_values) 1 else threads;
}

/// Calls `func(args, begin, end)` over [0, n): once, on the calling thread, when `threads` is 1 or n is below
/// `min_split` (a wake-up costs more than it saves), else in about two chunks per thread.
pub fn runRanges(threads: usize, n: usize, min_split: usize, args: anytype, comptime func: fn (@TypeOf(args), usize, usize) void) void {
    if (threads <= 1 or n < min_split) return func(args, 0, n);
    const per = (n + 2 * threads - 1) / (2 * threads);
    std.debug.assert(per >= 1 and (n + per - 1) / per <= 2 * threads);
    const Ranges = struct {
        args: @TypeOf(args),
        n: usize,
        per: usize,
        fn task(ctx: *const anyopaque, t: usize) void {
            const r: *const @This() = @ptrCast(@alignCast(ctx));
            func(r.args, t * r.per, @min(r.n, (t + 1) * r.per));
        }
    };
    const r: Ranges = .{ .args = args, .n = n, .per = per };
    run(threads, (n + per - 1) / per, &r, Ranges.task);
}

/// Items per task when `items` items of `each` values split over `threads`: two tasks per thread, but never
/// under 16K values a task (a task's claim and its cache lines cost more than that much work saves).
pub fn itemsPerTask(items: usize, each: usize, threads: usize) usize {
    if (threads <= 1) return @max(1, items);
    const even = (items + 2 * threads - 1) / (2 * threads);
    return @max(1, @max(even, (16384 + each - 1) / @max(1, each)));
}

test "every task runs exactly once, on any thread count" {
    const Ctx = struct {
        hits: [1000]std.atomic.Value(u32),
        fn call(p: *const anyopaque, t: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(p));
            _ = @constCast(&self.hits[t]).fetchAdd(1, .monotonic);
        }
    };
    for ([_]usize{ 1, 2, 3, 8 }) |threads| {
        for ([_]usize{ 0, 1, 7, 1000 }) |tasks| {
            var ctx: Ctx = .{ .hits = undefined };
            for (&ctx.hits) |*h| h.* = .init(0);
            run(threads, tasks, &ctx, Ctx.call);
            for (ctx.hits[0..tasks]) |h| try std.testing.expectEqual(@as(u32, 1), h.load(.monotonic));
            for (ctx.hits[tasks..]) |h| try std.testing.expectEqual(@as(u32, 0), h.load(.monotonic));
        }
    }
}

test "back-to-back jobs on short-lived contexts: late workers never run a finished job's tasks" {
    // Each job's context lives on this frame only while run() is active and is poisoned right after, so a worker
    // that ran a task of a finished job (a stale descriptor) would count into a poisoned context or a later job's.
    const Ctx = struct {
        hits: [64]std.atomic.Value(u32),
        live: std.atomic.Value(bool),
        stale: *std.atomic.Value(u32),
        fn call(p: *const anyopaque, t: usize) void {
            const self: *@This() = @constCast(@ptrCast(@alignCast(p)));
            if (!self.live.load(.acquire)) _ = self.stale.fetchAdd(1, .monotonic);
            _ = self.hits[t].fetchAdd(1, .monotonic);
            // Some tasks take longer, so workers are still busy or asleep at varied moments.
            if (t % 7 == 3) {
                for (0..200) |_| std.atomic.spinLoopHint();
            }
        }
    };
    var stale = std.atomic.Value(u32).init(0);
    var job_index: usize = 0;
    while (job_index < 20_000) : (job_index += 1) {
        const pattern = [_]usize{ 2, 8, 3, 2, 5 };
        const threads = pattern[job_index % pattern.len];
        const tasks = 1 + job_index % 64;
        var ctx: Ctx = .{ .hits = undefined, .live = .init(true), .stale = &stale };
        for (&ctx.hits) |*h| h.* = .init(0);
        run(threads, tasks, &ctx, Ctx.call);
        ctx.live.store(false, .release);
        for (ctx.hits[0..tasks]) |h| try std.testing.expectEqual(@as(u32, 1), h.load(.monotonic));
        for (ctx.hits[tasks..]) |h| try std.testing.expectEqual(@as(u32, 0), h.load(.monotonic));
    }
    try std.testing.expectEqual(@as(u32, 0), stale.load(.monotonic));
}

test "a caller does not wait for idle workers: a job on 2 threads ignores the 6 others" {
    const Ctx = struct {
        sum: std.atomic.Value(usize),
        fn call(p: *const anyopaque, t: usize) void {
            const self: *@This() = @constCast(@ptrCast(@alignCast(p)));
            _ = self.sum.fetchAdd(t + 1, .monotonic);
        }
    };
    var ctx: Ctx = .{ .sum = .init(0) };
    run(8, 8, &ctx, Ctx.call); // spawns 7 workers
    for (0..1000) |_| run(2, 2, &ctx, Ctx.call);
    try std.testing.expectEqual(@as(usize, 36 + 1000 * 3), ctx.sum.load(.monotonic));
}

test "jobs after the workers fall asleep still reach them (the wake-up is skipped only while none sleeps)" {
    const Ctx = struct {
        ran_on: [2]std.atomic.Value(u32),
        fn call(p: *const anyopaque, t: usize) void {
            const self: *@This() = @constCast(@ptrCast(@alignCast(p)));
            _ = self.ran_on[t].fetchAdd(1, .monotonic);
            // Task 0 (the caller's) waits until task 1 has run: only a worker can run it, so this returns only
            // when a worker took the job.
            if (t == 0) {
                while (self.ran_on[1].load(.monotonic) == 0) std.atomic.spinLoopHint();
            }
        }
    };
    if (!threading) return error.SkipZigTest;
    for (0..5) |_| {
        // Long enough for every worker to finish spinning and sleep on the futex.
        std.Thread.sleep(20 * std.time.ns_per_ms);
        var ctx: Ctx = .{ .ran_on = .{ .init(0), .init(0) } };
        run(2, 2, &ctx, Ctx.call);
        try std.testing.expectEqual(@as(u32, 1), ctx.ran_on[0].load(.monotonic));
        try std.testing.expectEqual(@as(u32, 1), ctx.ran_on[1].load(.monotonic));
    }
}
