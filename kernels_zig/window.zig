//! The geometry of a window over an NHWC input, stated once for the ops that
//! slide one (binary and float convolutions, depthwise, pooling, im2col).
//! Their parameter structs (abi.zig) carry these fields under these names;
//! `Window.of` reads them from any of them, and the op code reads a Window.
const std = @import("std");

pub const Window = struct {
    batch: i32,
    in_h: i32,
    in_w: i32,
    kernel_h: i32,
    kernel_w: i32,
    stride_h: i32,
    stride_w: i32,
    dilation_h: i32,
    dilation_w: i32,
    pad_top: i32,
    pad_left: i32,
    out_h: i32,
    out_w: i32,

    /// The window of parameter struct `p` (a pointer to one of abi.zig's); dilation 1 where it has none
    /// (pooling).
    pub fn of(p: anytype) Window {
        const P = std.meta.Child(@TypeOf(p));
        var w: Window = undefined;
        inline for (@typeInfo(Window).@"struct".fields) |f| {
            if (@hasField(P, f.name)) {
                @field(w, f.name) = @field(p, f.name);
            } else if (comptime std.mem.startsWith(u8, f.name, "dilation")) {
                @field(w, f.name) = 1;
            } else {
                @compileError(@typeName(P) ++ " has no window field " ++ f.name);
            }
        }
        return w;
    }

    /// Sizes, strides and dilations positive, padding non-negative, batch non-negative.
    pub fn valid(w: Window) bool {
        return w.batch >= 0 and w.in_h > 0 and w.in_w > 0 and w.kernel_h > 0 and w.kernel_w > 0 and
            w.stride_h > 0 and w.stride_w > 0 and w.dilation_h > 0 and w.dilation_w > 0 and
            w.pad_top >= 0 and w.pad_left >= 0 and w.out_h > 0 and w.out_w > 0;
    }
};

test "of: the window fields of a parameter struct, dilation 1 where it has none" {
    const abi = @import("abi.zig");
    const p: abi.Pool2dF32Params = .{ .batch = 2, .in_h = 5, .in_w = 6, .channels = 3, .kernel_h = 2, .kernel_w = 3, .stride_h = 2, .stride_w = 1, .pad_top = 0, .pad_left = 1, .out_h = 3, .out_w = 6, .kind = 0, .clamp_min = 0, .clamp_max = 0, .threads = 1 };
    const w = Window.of(&p);
    try std.testing.expectEqual(Window{ .batch = 2, .in_h = 5, .in_w = 6, .kernel_h = 2, .kernel_w = 3, .stride_h = 2, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 0, .pad_left = 1, .out_h = 3, .out_w = 6 }, w);
    try std.testing.expect(w.valid());
    var bad = w;
    bad.stride_w = 0;
    try std.testing.expect(!bad.valid());
}
