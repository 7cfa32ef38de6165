//! The library's root: it exports exactly the functions of abi.zig's `api`,
//! each from the op file the entry names (`pub fn onebit_...(...)
//! callconv(.c) i32` there), and holds nothing else. A new export is one
//! entry in `api` and one function in its op's file; nothing here changes.
//! Arguments are validated in TypeScript before a call; the checks in the
//! ops return Status.invalid_argument and exist so that a caller other than
//! ours gets an error, not a crash.
const std = @import("std");
const abi = @import("abi.zig");

comptime {
    for (abi.api) |f| {
        const func = @field(f.in, f.name);
        const info = @typeInfo(@TypeOf(func)).@"fn";
        if (info.return_type.? != i32) @compileError(f.name ++ " must return i32");
        if (info.params.len != f.params.len) @compileError(f.name ++ ": parameter count differs from abi.zig");
        for (info.params, f.params) |a, b| {
            if (a.type.? != b.type) @compileError(f.name ++ ": parameter " ++ b.name ++ " differs from abi.zig");
        }
        @export(&func, .{ .name = f.name });
    }
    // No op file defines an onebit_ function that api does not list (it would silently not be exported).
    @setEvalBranchQuota(20_000);
    for (abi.api) |f| {
        for (@typeInfo(f.in).@"struct".decls) |d| {
            if (!std.mem.startsWith(u8, d.name, "onebit_")) continue;
            for (abi.api) |g| {
                if (std.mem.eql(u8, g.name, d.name)) break;
            } else @compileError(d.name ++ " is defined but not listed in abi.api");
        }
    }
}

test {
    // zig build test runs the tests of every op file and of the shared helpers.
    inline for (abi.api) |f| _ = f.in;
    inline for (.{ @import("thread_pool.zig"), @import("num.zig"), @import("window.zig"), @import("pixel.zig"), @import("isa_loops.zig"), @import("cpu.zig"), @import("select.zig"), @import("neon_loops.zig") }) |file| _ = file;
}
