//! Writes kernels/_abi_generated.ts from abi.zig to stdout: the shared
//! constants, the status names, the Deno FFI symbol table, each parameter's
//! role, and every extern struct's layout.
//! Run through `deno task gen:abi`; tests/kernels_abi_drift_test.ts fails when the
//! committed file differs from this output.
const std = @import("std");
const abi = @import("abi.zig");

fn elemName(comptime T: type) []const u8 {
    return switch (T) {
        f32 => "f32",
        u32 => "u32",
        i32 => "i32",
        u8 => "u8",
        else => @compileError("no TS name for " ++ @typeName(T)),
    };
}

fn structName(comptime T: type) []const u8 {
    const full = @typeName(T);
    const dot = std.mem.lastIndexOfScalar(u8, full, '.') orelse return full;
    return full[dot + 1 ..];
}

pub fn main() !void {
    @setEvalBranchQuota(100_000);
    var buf = std.ArrayList(u8).init(std.heap.page_allocator);
    defer buf.deinit();
    const w = buf.writer();
    try w.writeAll("// GENERATED from kernels_zig/abi.zig by kernels_zig/gen_abi.zig: do not edit. Regenerate: deno task gen:abi\n");
    try w.writeAll("// deno-fmt-ignore-file\n");
    try w.print("export const ABI_VERSION = {d};\n", .{abi.version});
    try w.print("export const ABI_HASH = 0x{x:0>8};\n\n", .{abi.hash});

    inline for (abi.constants) |c| try w.print("/** {s} */\nexport const {s} = {d};\n", .{ c.doc, c.name, c.value });
    try w.writeAll("\n/** Names of the status codes every export returns, by code. */\nexport const STATUS = [");
    inline for (@typeInfo(abi.Status).@"enum".fields, 0..) |f, i| {
        if (f.value != i) @compileError("status codes must be 0, 1, 2, ...");
        if (i > 0) try w.writeAll(", ");
        try w.print("\"{s}\"", .{f.name});
    }
    try w.writeAll("] as const;\n\n");

    inline for (abi.enums) |e| {
        try w.print("/** The codes of abi.zig's {s}, by value. */\nexport const {s} = [", .{ structName(e.type), e.name });
        inline for (@typeInfo(e.type).@"enum".fields, 0..) |f, i| {
            if (f.value != i) @compileError(e.name ++ ": codes must be 0, 1, 2, ...");
            if (i > 0) try w.writeAll(", ");
            try w.print("\"{s}\"", .{f.name});
        }
        try w.writeAll("] as const;\n");
    }
    try w.writeAll("\n");

    try w.writeAll("/** Deno.dlopen symbol table of libonebit. */\nexport const symbols = {\n");
    inline for (abi.api) |f| {
        try w.print("  {s}: {{ parameters: [", .{f.name});
        inline for (f.params, 0..) |p, i| {
            if (i > 0) try w.writeAll(", ");
            try w.writeAll(if (p.type == i32) "\"i32\"" else "\"buffer\"");
        }
        try w.writeAll("], result: \"i32\" },\n");
    }
    try w.writeAll("} as const;\n\n");

    try w.writeAll("/** Each parameter's name and role: a scalar, an extern struct, or a buffer read (in) or written (out). */\nexport const parameters = {\n");
    inline for (abi.api) |f| {
        try w.print("  {s}: [", .{f.name});
        inline for (f.params, 0..) |p, i| {
            if (i > 0) try w.writeAll(", ");
            const info = @typeInfo(p.type);
            if (p.type == i32) {
                try w.print("{{ name: \"{s}\", kind: \"i32\" }}", .{p.name});
            } else if (info == .pointer and info.pointer.size == .one) {
                const dir = if (info.pointer.is_const) "in" else "out";
                try w.print("{{ name: \"{s}\", kind: \"struct\", struct: \"{s}\", dir: \"{s}\" }}", .{ p.name, structName(info.pointer.child), dir });
            } else if (info == .pointer and info.pointer.size == .many) {
                const dir = if (info.pointer.is_const) "in" else "out";
                try w.print("{{ name: \"{s}\", kind: \"{s}\", dir: \"{s}\" }}", .{ p.name, elemName(info.pointer.child), dir });
            } else {
                @compileError("unsupported parameter type in " ++ f.name);
            }
        }
        try w.writeAll("],\n");
    }
    try w.writeAll("} as const;\n\n");

    try w.writeAll("/** Byte layout of every extern struct. */\nexport const structs = {\n");
    inline for (abi.structs) |S| {
        try w.print("  {s}: {{\n    size: {d},\n    fields: {{\n", .{ structName(S), @sizeOf(S) });
        inline for (@typeInfo(S).@"struct".fields) |field| {
            const fi = @typeInfo(field.type);
            if (fi == .array) {
                try w.print("      {s}: {{ offset: {d}, type: \"{s}\", count: {d} }},\n", .{ field.name, @offsetOf(S, field.name), elemName(fi.array.child), fi.array.len });
            } else {
                try w.print("      {s}: {{ offset: {d}, type: \"{s}\", count: 1 }},\n", .{ field.name, @offsetOf(S, field.name), elemName(field.type) });
            }
        }
        try w.writeAll("    },\n  },\n");
    }
    try w.writeAll("} as const;\n");
    try std.io.getStdOut().writeAll(buf.items);
}
