//! A counter for bench/_neon_model.ts's trip counts: one binary GEMM
//! (onebit_bgemm_b32_f32) or float GEMM (onebit_sgemm_f32) call on the
//! aarch64 library, run under qemu-aarch64 with `-singlestep -d exec` so that
//! every executed instruction is logged; the test counts how often the hot
//! loop's backward branch ran. Prints the library's load address first.
//!
//!   _neon_count LIB bgemm ROWS CHANNELS DEPTH_WORDS UKERNEL
//!   _neon_count LIB sgemm ROWS CHANNELS DEPTH UKERNEL
const std = @import("std");
const abi = @import("abi");

const DlInfo = extern struct { fname: ?[*:0]const u8, fbase: ?*anyopaque, sname: ?[*:0]const u8, saddr: ?*anyopaque };
extern fn dladdr(addr: *const anyopaque, info: *DlInfo) c_int;

const BgemmFn = *const fn (*const abi.BgemmParams, [*]const u32, [*]const u32, [*]const f32, [*]const f32, [*]f32) callconv(.c) i32;
const SgemmFn = *const fn (*const abi.SgemmParams, [*]const f32, [*]const f32, [*]const f32, [*]f32) callconv(.c) i32;

fn arg(args: []const [:0]u8, i: usize) i32 {
    if (i >= args.len) fail("missing argument {d}", .{i});
    return std.fmt.parseInt(i32, args[i], 10) catch fail("argument {d} '{s}' is not an integer", .{ i, args[i] });
}

fn fail(comptime fmt: []const u8, a: anytype) noreturn {
    std.debug.print("_neon_count: " ++ fmt ++ "\n", a);
    std.process.exit(2);
}

pub fn main() !void {
    const gpa = std.heap.c_allocator;
    const args = try std.process.argsAlloc(gpa);
    if (args.len != 7) fail("usage: _neon_count LIB bgemm|sgemm ROWS CHANNELS DEPTH UKERNEL", .{});
    const handle = std.c.dlopen(args[1], .{ .NOW = true }) orelse fail("dlopen {s} failed", .{args[1]});
    const rows = arg(args, 3);
    const channels = arg(args, 4);
    const depth = arg(args, 5);
    const ukernel = arg(args, 6);
    const padded: usize = @intCast(@divFloor(channels + 31, 32) * 32);
    const out = try gpa.alloc(f32, @as(usize, @intCast(rows)) * @as(usize, @intCast(channels)));
    const per_channel = try gpa.alloc(f32, padded);
    @memset(per_channel, 1);
    const kind = args[2];
    const name: [:0]const u8 = if (std.mem.eql(u8, kind, "bgemm")) "onebit_bgemm_b32_f32" else "onebit_sgemm_f32";
    const sym = std.c.dlsym(handle, name) orelse fail("no symbol {s}", .{name});
    var info: DlInfo = undefined;
    if (dladdr(sym, &info) == 0) fail("dladdr failed", .{});
    std.debug.print("base 0x{x}\n", .{@intFromPtr(info.fbase)});
    const status = if (std.mem.eql(u8, kind, "bgemm")) blk: {
        const lhs = try gpa.alloc(u32, @as(usize, @intCast(rows * depth)));
        const rhs = try gpa.alloc(u32, padded * @as(usize, @intCast(depth)));
        @memset(lhs, 0x5555_5555);
        @memset(rhs, 0x0f0f_0f0f);
        const p: abi.BgemmParams = .{ .rows = rows, .channels_out = channels, .depth_words = depth, .depth_bits = depth * 32, .clamp_min = std.math.minInt(i32), .clamp_max = std.math.maxInt(i32), .ukernel = ukernel, .threads = 1 };
        const f: BgemmFn = @ptrCast(@alignCast(sym));
        break :blk f(&p, lhs.ptr, rhs.ptr, per_channel.ptr, per_channel.ptr, out.ptr);
    } else if (std.mem.eql(u8, kind, "sgemm")) blk: {
        const lhs = try gpa.alloc(f32, @as(usize, @intCast(rows * depth)));
        const rhs = try gpa.alloc(f32, padded * @as(usize, @intCast(depth)));
        @memset(lhs, 0.5);
        @memset(rhs, 0.25);
        const p: abi.SgemmParams = .{ .rows = rows, .channels_out = channels, .depth = depth, .clamp_min = -std.math.inf(f32), .clamp_max = std.math.inf(f32), .ukernel = ukernel, .threads = 1 };
        const f: SgemmFn = @ptrCast(@alignCast(sym));
        break :blk f(&p, lhs.ptr, rhs.ptr, per_channel.ptr, out.ptr);
    } else fail("unknown kernel '{s}': bgemm or sgemm", .{kind});
    if (status != 0) fail("{s} returned status {d}", .{ name, status });
}
