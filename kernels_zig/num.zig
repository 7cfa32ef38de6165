//! Numeric helpers the op files share: an ABI count as an index, and the
//! clamp every float output goes through.

/// An i32 size or count of a parameter struct (validated non-negative) as usize.
pub fn u(x: i32) usize {
    return @intCast(x);
}

/// Clamp that keeps NaN (Zig's @min/@max would return the bound), as the TS reference's
/// Math.min(Math.max()).
pub inline fn clamp(v: f32, lo: f32, hi: f32) f32 {
    const low = if (v < lo) lo else v;
    return if (low > hi) hi else low;
}

/// `clamp` on every lane of a float vector, by compare-and-select.
pub inline fn clampVector(comptime V: type, v: V, lo: V, hi: V) V {
    const low = @select(f32, v < lo, lo, v);
    return @select(f32, low > hi, hi, low);
}

test "clamps keep NaN" {
    const std = @import("std");
    try std.testing.expect(std.math.isNan(clamp(std.math.nan(f32), 0, 6)));
    try std.testing.expectEqual(@as(f32, 6), clamp(7, 0, 6));
    try std.testing.expectEqual(@as(f32, 0), clamp(-1, 0, 6));
    const V = @Vector(2, f32);
    const v = clampVector(V, .{ std.math.nan(f32), 7 }, @splat(0), @splat(6));
    try std.testing.expect(std.math.isNan(v[0]));
    try std.testing.expectEqual(@as(f32, 6), v[1]);
}
