//! Output coordinates (image n, row oy, column ox) of consecutive output pixels of an out_h × out_w grid: the
//! divisions happen once, at the start, as they cost more than a pixel's im2col copies or a 3-channel stem's GEMM
//! row. Shared by the binary and float convolutions.
pub const Pixel = struct {
    n: usize,
    oy: usize,
    ox: usize,
    oh: usize,
    ow: usize,

    pub fn at(pixel: usize, oh: usize, ow: usize) Pixel {
        return .{ .n = pixel / (oh * ow), .oy = (pixel / ow) % oh, .ox = pixel % ow, .oh = oh, .ow = ow };
    }

    pub fn next(q: *Pixel) void {
        q.ox += 1;
        if (q.ox < q.ow) return;
        q.ox = 0;
        q.oy += 1;
        if (q.oy < q.oh) return;
        q.oy = 0;
        q.n += 1;
    }
};

test "steps across rows and images as the divisions would" {
    const std = @import("std");
    var q = Pixel.at(4, 2, 3);
    for (4..20) |pixel| {
        const want = Pixel.at(pixel, 2, 3);
        try std.testing.expectEqual(want.n, q.n);
        try std.testing.expectEqual(want.oy, q.oy);
        try std.testing.expectEqual(want.ox, q.ox);
        q.next();
    }
}
