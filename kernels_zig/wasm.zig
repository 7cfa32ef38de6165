//! Root of the WebAssembly modules (`zig build wasm`): importing root.zig
//! exports abi.zig's api exactly as in the native library, and this file
//! adds what a native host has in its own heap: onebit_alloc/onebit_free,
//! which place buffers in the module's linear memory (exported as `memory`)
//! for kernels/wasm.ts. Single-threaded; no imports.
const std = @import("std");
const builtin = @import("builtin");

comptime {
    _ = @import("root.zig");
    std.debug.assert(builtin.cpu.arch.isWasm() and builtin.single_threaded);
}

/// Every buffer is aligned for a v128 load (the kernels do unaligned ones anyway).
const alignment = 16;

/// `bytes` bytes of linear memory, 16-byte aligned, or 0 when memory cannot grow.
/// Growing memory detaches the host's views of the old buffer: re-create them after a call.
pub export fn onebit_alloc(bytes: usize) callconv(.c) usize {
    const a = std.heap.wasm_allocator.rawAlloc(@max(bytes, 1), .fromByteUnits(alignment), @returnAddress()) orelse return 0;
    return @intFromPtr(a);
}

/// Frees a block of onebit_alloc, given its size.
pub export fn onebit_free(ptr: usize, bytes: usize) callconv(.c) void {
    if (ptr == 0) return;
    const p: [*]u8 = @ptrFromInt(ptr);
    std.heap.wasm_allocator.rawFree(p[0..@max(bytes, 1)], .fromByteUnits(alignment), @returnAddress());
}
