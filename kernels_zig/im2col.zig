//! im2col for bitpacked NHWC inputs: one row of kernel_h*kernel_w*in_words
//! words per output pixel, taps in (kh, kw) order to match OHWI filters.
//! Out-of-bounds taps are zero words (+1, "same-one" padding).
const std = @import("std");
const abi = @import("abi.zig");

pub fn outputWords(p: *const abi.Im2colParams) usize {
    const rows: usize = @intCast(p.batch * p.out_h * p.out_w);
    const cols: usize = @intCast(p.kernel_h * p.kernel_w * p.in_words);
    return rows * cols;
}

pub fn run(p: *const abi.Im2colParams, input: [*]const u32, output: [*]u32) void {
    const words: usize = @intCast(p.in_words);
    const row_words = @as(usize, @intCast(p.kernel_h * p.kernel_w)) * words;
    var out_row: usize = 0;
    for (0..@intCast(p.batch)) |n| {
        const image = input + n * @as(usize, @intCast(p.in_h * p.in_w)) * words;
        for (0..@intCast(p.out_h)) |oy| {
            for (0..@intCast(p.out_w)) |ox| {
                const dst = output + out_row * row_words;
                var tap: usize = 0;
                for (0..@intCast(p.kernel_h)) |ky| {
                    const iy = @as(i64, @intCast(oy)) * p.stride_h + @as(i64, @intCast(ky)) * p.dilation_h - p.pad_top;
                    for (0..@intCast(p.kernel_w)) |kx| {
                        const ix = @as(i64, @intCast(ox)) * p.stride_w + @as(i64, @intCast(kx)) * p.dilation_w - p.pad_left;
                        const d = dst[tap * words ..][0..words];
                        if (iy < 0 or iy >= p.in_h or ix < 0 or ix >= p.in_w) {
                            @memset(d, 0);
                        } else {
                            const src = image + (@as(usize, @intCast(iy)) * @as(usize, @intCast(p.in_w)) + @as(usize, @intCast(ix))) * words;
                            @memcpy(d, src[0..words]);
                        }
                        tap += 1;
                    }
                }
                out_row += 1;
            }
        }
    }
}

test "3x3 same padding: border taps read zero words" {
    // 1x2x2 image, one word per pixel, values 1..4.
    const input = [_]u32{ 1, 2, 3, 4 };
    const p: abi.Im2colParams = .{ .batch = 1, .in_h = 2, .in_w = 2, .in_words = 1, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .out_h = 2, .out_w = 2 };
    var out: [36]u32 = undefined;
    run(&p, &input, &out);
    try std.testing.expectEqualSlices(u32, &.{ 0, 0, 0, 0, 1, 2, 0, 3, 4 }, out[0..9]);
    try std.testing.expectEqualSlices(u32, &.{ 1, 2, 0, 3, 4, 0, 0, 0, 0 }, out[27..36]);
}
