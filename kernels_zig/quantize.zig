//! QUANTIZE / DEQUANTIZE: float32 <-> int8/uint8 with a scale and zero point
//! (TFLite's rounding), and float16 -> float32.
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const u = @import("num.zig").u;

/// round(q) with halves away from zero (std::round), from trunc: exact for every f32, and vectorizable
/// (@round lowers to a libcall per element on x86).
inline fn roundHalfAway(q: f32) f32 {
    const t = @trunc(q);
    return if (@abs(q - t) >= 0.5) t + std.math.copysign(@as(f32, 1), q) else t;
}

fn quantizeTo(comptime T: type, p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8, begin: usize, end: usize) void {
    const x: [*]align(1) const f32 = @ptrCast(in);
    const y: [*]T = @ptrCast(out);
    const lo: f32 = std.math.minInt(T);
    const hi: f32 = std.math.maxInt(T);
    const zp: f32 = @floatFromInt(p.zero_point);
    for (begin..end) |i| {
        // TFLite: round(x / scale) in float, halves away from zero, plus the zero point, clamped; NaN -> 0.
        // Past ±2^24 the f32 sum is inexact but far outside [lo, hi], so the clamp decides alike.
        const q = roundHalfAway(x[i] / p.scale) + zp;
        const c = if (q < lo) lo else if (q > hi) hi else q;
        y[i] = if (q != q) 0 else @intFromFloat(c);
    }
}

fn dequantizeFrom(comptime T: type, p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8, begin: usize, end: usize) void {
    const q: [*]const T = @ptrCast(in);
    const y: [*]align(1) f32 = @ptrCast(out);
    const zp = p.zero_point;
    const scale = p.scale;
    // q - zero_point is an exact f32 (both in the type's range), and an f32 product is the exact product
    // rounded once: the value of TFLite's double arithmetic rounded to float.
    for (begin..end) |i| y[i] = @as(f32, @floatFromInt(@as(i32, q[i]) - zp)) * scale;
}

const QuantizeArgs = struct { p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8 };

fn quantizeRange(args: QuantizeArgs, begin: usize, end: usize) void {
    const p = args.p;
    const in = args.in;
    const out = args.out;
    switch (abi.opCode(abi.QuantizeKind, p.kind).?) {
        .f32_to_i8 => quantizeTo(i8, p, in, out, begin, end),
        .f32_to_u8 => quantizeTo(u8, p, in, out, begin, end),
        .i8_to_f32 => dequantizeFrom(i8, p, in, out, begin, end),
        .u8_to_f32 => dequantizeFrom(u8, p, in, out, begin, end),
        .f16_to_f32 => {
            const h: [*]align(1) const f16 = @ptrCast(in);
            const y: [*]align(1) f32 = @ptrCast(out);
            for (begin..end) |i| y[i] = h[i];
        },
    }
}

/// `kind` an abi.QuantizeKind: f32 to int8/uint8 (q = clamp(round(x / scale) + zero_point)); int8/uint8
/// to f32 ((q - zero_point) · scale in f64, rounded once); float16 to f32.
pub fn quantize(p: *const abi.QuantizeParams, in: [*]const u8, out: [*]u8) abi.Status {
    const kind = abi.opCode(abi.QuantizeKind, p.kind) orelse return .invalid_argument;
    if (p.count < 0 or !thread_pool.validThreads(p.threads)) return .invalid_argument;
    if ((kind == .f32_to_i8 or kind == .f32_to_u8) and !(p.scale > 0)) return .invalid_argument;
    const zp_ok = switch (kind) {
        .f32_to_i8, .i8_to_f32 => p.zero_point >= -128 and p.zero_point <= 127,
        .f32_to_u8, .u8_to_f32 => p.zero_point >= 0 and p.zero_point <= 255,
        .f16_to_f32 => true,
    };
    if (!zp_ok) return .invalid_argument;
    thread_pool.runRanges(u(p.threads), u(p.count), 1 << 16, QuantizeArgs{ .p = p, .in = in, .out = out }, quantizeRange);
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_quantize(params: *const abi.QuantizeParams, input: [*]const u8, output: [*]u8) callconv(.c) i32 {
    return abi.code(quantize(params, input, output));
}

test "quantize rounds halves away from zero and clamps; dequantize undoes it" {
    const x = [_]f32{ 0.25, -0.25, 0.75, 100, -100, std.math.nan(f32) };
    var q: [6]i8 = undefined;
    var p: abi.QuantizeParams = .{ .count = 6, .kind = 0, .scale = 0.5, .zero_point = 1, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, quantize(&p, @ptrCast(&x), @ptrCast(&q)));
    try std.testing.expectEqualSlices(i8, &.{ 2, 0, 3, 127, -128, 0 }, &q);
    var y: [6]f32 = undefined;
    p.kind = 2;
    try std.testing.expectEqual(abi.Status.ok, quantize(&p, @ptrCast(&q), @ptrCast(&y)));
    try std.testing.expectEqualSlices(f32, &.{ 0.5, -0.5, 1, 63, -64.5, -0.5 }, &y);
    const h = [_]u16{ 0x3c00, 0xc000, 0x0001, 0x7c00 };
    p = .{ .count = 4, .kind = 4, .scale = 0, .zero_point = 0, .threads = 1 };
    try std.testing.expectEqual(abi.Status.ok, quantize(&p, @ptrCast(&h), @ptrCast(&y)));
    try std.testing.expectEqualSlices(f32, &.{ 1, -2, 0x1p-24, std.math.inf(f32) }, y[0..4]);
}
