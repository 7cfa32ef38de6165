//! Root of the WebAssembly modules (`zig build wasm`): importing root.zig
//! exports abi.zig's api exactly as in the native library, and this file
//! adds what a native host has in its own heap: onebit_alloc/onebit_free,
//! which place buffers in the module's linear memory (exported as `memory`)
//! for kernels/wasm.ts. onebit.wasm and onebit_relaxed.wasm: single-threaded, no imports.
//!
//! The threaded module (onebit_threads.wasm: +atomics, imported shared memory) runs the same thread pool as the
//! native library, but its workers are host threads (Web Workers) that instantiate the module on the same memory
//! and call onebit_worker_stack(top) then onebit_worker_run() (which returns only after onebit_pool_shutdown):
//! kernels/wasm_threads.ts.
const std = @import("std");
const builtin = @import("builtin");
const thread_pool = @import("thread_pool.zig");

comptime {
    _ = @import("root.zig");
    std.debug.assert(builtin.cpu.arch.isWasm() and (builtin.single_threaded or thread_pool.wasm_threads));
}

const heap = if (builtin.single_threaded) std.heap.wasm_allocator else @import("wasm_allocator.zig").allocator;

/// Every buffer is aligned for a v128 load (the kernels do unaligned ones anyway).
const alignment = 16;

/// `bytes` bytes of linear memory, 16-byte aligned, or 0 when memory cannot grow.
/// Growing memory detaches the host's views of the old buffer: re-create them after a call.
pub export fn onebit_alloc(bytes: usize) callconv(.c) usize {
    const a = heap.rawAlloc(@max(bytes, 1), .fromByteUnits(alignment), @returnAddress()) orelse return 0;
    return @intFromPtr(a);
}

/// Frees a block of onebit_alloc, given its size.
pub export fn onebit_free(ptr: usize, bytes: usize) callconv(.c) void {
    if (ptr == 0) return;
    const p: [*]u8 = @ptrFromInt(ptr);
    heap.rawFree(p[0..@max(bytes, 1)], .fromByteUnits(alignment), @returnAddress());
}

comptime {
    if (thread_pool.wasm_threads) {
        @export(&onebit_worker_stack, .{ .name = "onebit_worker_stack" });
        @export(&onebit_worker_run, .{ .name = "onebit_worker_run" });
        @export(&onebit_pool_shutdown, .{ .name = "onebit_pool_shutdown" });
    }
}

/// A worker instance's first call: its own stack (every instance starts with the same __stack_pointer, the top of
/// the main thread's stack), `top` being the end of a block the main thread allocated for it. A leaf: it has no
/// frame on the stack it replaces.
fn onebit_worker_stack(top: usize) callconv(.c) void {
    asm volatile (
        \\ local.get %[top]
        \\ global.set __stack_pointer
        :
        : [top] "r" (top),
    );
}

/// A worker instance's second call: serves the pool's jobs (sleeping in memory.atomic.wait32) until
/// `onebit_pool_shutdown`, then returns.
fn onebit_worker_run() callconv(.c) void {
    thread_pool.wasmWorker();
}

/// Called once by the main instance when the library is disposed: every worker's `onebit_worker_run` returns (a
/// host cannot end a thread blocked in memory.atomic.wait32); later calls run on the calling thread.
fn onebit_pool_shutdown() callconv(.c) void {
    thread_pool.shutdown();
}
