//! im2col for bitpacked NHWC inputs: one row of kernel_h*kernel_w*in_words
//! words per output pixel, taps in (kh, kw) order to match OHWI filters.
//! Out-of-bounds taps are zero words (+1, "same-one" padding).
const std = @import("std");
const abi = @import("abi.zig");
const thread_pool = @import("thread_pool.zig");
const Pixel = @import("pixel.zig").Pixel;
const Window = @import("window.zig").Window;

/// The whole im2col of an input of `words` words a pixel (`g` valid, words > 0).
pub fn run(g: *const Window, words: usize, input: [*]const u32, output: [*]u32) void {
    runPixels(g, words, input, output, 0, @intCast(g.batch * g.out_h * g.out_w));
}

/// Rows [pixel_begin, pixel_end) of the output, a row being one output pixel
/// (image, y, x) in NHWC order.
pub fn runPixels(g: *const Window, words: usize, input: [*]const u32, output: [*]u32, pixel_begin: usize, pixel_end: usize) void {
    const kw: usize = @intCast(g.kernel_w);
    const in_w: usize = @intCast(g.in_w);
    const out_w: usize = @intCast(g.out_w);
    const out_h: usize = @intCast(g.out_h);
    const row_words = @as(usize, @intCast(g.kernel_h)) * kw * words;
    var q = Pixel.at(pixel_begin, out_h, out_w);
    for (pixel_begin..pixel_end) |pixel| {
        defer q.next();
        const n = q.n;
        const oy = q.oy;
        const ox = q.ox;
        const image = input + n * @as(usize, @intCast(g.in_h)) * in_w * words;
        const dst = output + pixel * row_words;
        const x0 = @as(i64, @intCast(ox)) * g.stride_w - g.pad_left;
        const x_last = x0 + @as(i64, @intCast(kw - 1)) * g.dilation_w;
        const row_inside = x0 >= 0 and x_last < g.in_w;
        for (0..@intCast(g.kernel_h)) |ky| {
            const iy = @as(i64, @intCast(oy)) * g.stride_h + @as(i64, @intCast(ky)) * g.dilation_h - g.pad_top;
            const d = dst + ky * kw * words;
            if (iy < 0 or iy >= g.in_h) {
                @memset(d[0 .. kw * words], 0);
                continue;
            }
            const src_row = image + @as(usize, @intCast(iy)) * in_w * words;
            if (row_inside and g.dilation_w == 1) {
                // The kernel row is one contiguous run of the input row.
                const src = src_row + @as(usize, @intCast(x0)) * words;
                @memcpy(d[0 .. kw * words], src[0 .. kw * words]);
                continue;
            }
            for (0..kw) |kx| {
                const ix = x0 + @as(i64, @intCast(kx)) * g.dilation_w;
                const t = d[kx * words ..][0..words];
                if (ix < 0 or ix >= g.in_w) {
                    @memset(t, 0);
                } else {
                    @memcpy(t, (src_row + @as(usize, @intCast(ix)) * words)[0..words]);
                }
            }
        }
    }
}

/// Rows [row_begin, row_end) of the zero-padded input a convolution reads in place: `padded_h` rows of `padded_w`
/// pixels an image, padded row y and pixel x holding input row y - pad_top and pixel x - pad_left, zero words
/// ("same-one" padding: +1) outside the input; input rows and pixels past the padded size are not read.
pub fn padRows(g: *const Window, words: usize, padded_h: usize, padded_w: usize, input: [*]const u32, output: [*]u32, row_begin: usize, row_end: usize) void {
    const in_h: usize = @intCast(g.in_h);
    const in_w: usize = @intCast(g.in_w);
    const top: usize = @intCast(g.pad_top);
    const left = @min(padded_w, @as(usize, @intCast(g.pad_left)));
    const inside = @min(in_w, padded_w - left);
    for (row_begin..row_end) |row| {
        const dst = output + row * padded_w * words;
        const n = row / padded_h;
        const y = row % padded_h;
        if (y < top or y - top >= in_h) {
            @memset(dst[0 .. padded_w * words], 0);
            continue;
        }
        const src = input + (n * in_h + (y - top)) * in_w * words;
        @memset(dst[0 .. left * words], 0);
        @memcpy(dst[left * words ..][0 .. inside * words], src[0 .. inside * words]);
        @memset(dst[(left + inside) * words .. padded_w * words], 0);
    }
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

/// The whole im2col with its output pixels split over `threads` threads (one thread below thread_pool.min_split_values
/// output words, as bitpack). Each pixel's row is written by one thread: the same words on any count.
pub fn runThreaded(g: *const Window, words: usize, input: [*]const u32, output: [*]u32, threads: usize) void {
    const Args = struct { g: *const Window, words: usize, input: [*]const u32, output: [*]u32 };
    const pixels: usize = @intCast(g.batch * g.out_h * g.out_w);
    const row_words = @as(usize, @intCast(g.kernel_h * g.kernel_w)) * words;
    const min_pixels = thread_pool.minSplitItems(row_words);
    thread_pool.runRanges(threads, pixels, min_pixels, Args{ .g = g, .words = words, .input = input, .output = output }, struct {
        fn rows(a: Args, begin: usize, end: usize) void {
            runPixels(a.g, a.words, a.input, a.output, begin, end);
        }
    }.rows);
}

pub fn onebit_im2col_b32(params: *const abi.Im2colParams, input: [*]const u32, output: [*]u32) callconv(.c) i32 {
    const g = Window.of(params);
    if (!g.valid() or params.in_words <= 0 or !thread_pool.validThreads(params.threads)) return abi.code(.invalid_argument);
    runThreaded(&g, @intCast(params.in_words), input, output, @intCast(params.threads));
    return abi.code(.ok);
}

test "3x3 same padding: border taps read zero words" {
    // 1x2x2 image, one word per pixel, values 1..4.
    const input = [_]u32{ 1, 2, 3, 4 };
    const g: Window = .{ .batch = 1, .in_h = 2, .in_w = 2, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .out_h = 2, .out_w = 2 };
    var out: [36]u32 = undefined;
    run(&g, 1, &input, &out);
    try std.testing.expectEqualSlices(u32, &.{ 0, 0, 0, 0, 1, 2, 0, 3, 4 }, out[0..9]);
    try std.testing.expectEqualSlices(u32, &.{ 1, 2, 0, 3, 4, 0, 0, 0, 0 }, out[27..36]);
}

test "threaded: the same words on 1-3 threads, above and below the split" {
    const alloc = std.testing.allocator;
    for ([_][3]i32{ .{ 2, 9, 1 }, .{ 3, 40, 2 } }) |c| {
        const batch = c[0];
        const size = c[1];
        const words: usize = @intCast(c[2]);
        const g: Window = .{ .batch = batch, .in_h = size, .in_w = size, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .out_h = size, .out_w = size };
        const n: usize = @intCast(batch * size * size);
        const input = try alloc.alloc(u32, n * words);
        defer alloc.free(input);
        for (input, 0..) |*v, i| v.* = @truncate(i *% 2654435761);
        const want = try alloc.alloc(u32, n * 9 * words);
        defer alloc.free(want);
        const got = try alloc.alloc(u32, n * 9 * words);
        defer alloc.free(got);
        run(&g, words, input.ptr, want.ptr);
        for (1..4) |threads| {
            @memset(got, 0xdead);
            runThreaded(&g, words, input.ptr, got.ptr, threads);
            try std.testing.expectEqualSlices(u32, want, got);
        }
    }
}

test "padRows: zero words around the input, rows and pixels past the padded size dropped" {
    // 1x2x3 image, one word per pixel; pad 1 top/left, padded 4x4 (one input pixel a row dropped: none here).
    const input = [_]u32{ 1, 2, 3, 4, 5, 6 };
    const g: Window = .{ .batch = 1, .in_h = 2, .in_w = 3, .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .out_h = 2, .out_w = 2 };
    var out: [16]u32 = undefined;
    @memset(&out, 0xdead);
    padRows(&g, 1, 4, 4, &input, &out, 0, 4);
    try std.testing.expectEqualSlices(u32, &.{ 0, 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0 }, &out);
    // Padded width 3: the last input pixel of each row is not read.
    var narrow: [12]u32 = undefined;
    padRows(&g, 1, 4, 3, &input, &narrow, 0, 4);
    try std.testing.expectEqualSlices(u32, &.{ 0, 0, 0, 0, 1, 2, 0, 4, 5, 0, 0, 0 }, &narrow);
}
