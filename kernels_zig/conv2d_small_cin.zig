//! Direct float convolution for inputs of few channels (a network's first layer: a grey or RGB image), where
//! the im2col + GEMM path spends more on its tiles and K = kernel_h·kernel_w·channels_in of 9 or 27 than on
//! the arithmetic. Per output row, per 32-channel block of the packed filter (sgemm's [blocks, depth, 32]):
//! `pixels` output pixels keep their 32 sums in vector registers, each tap's value broadcast to them. The sums
//! are the GEMM micro-kernel's, in its order: 0, each tap in (ky, kx, ci) order (fused where the default
//! micro-kernel fuses), then the bias, then the clamp; an out-of-bounds tap (a zero of the im2col) is skipped.
//! Threads split output rows (each output's sum is made by one task: the same bits on any thread count). The
//! row loop has a copy per x86 ISA (isa_loops.zig).
const std = @import("std");
const builtin = @import("builtin");
const abi = @import("abi.zig");
const isa_loops = @import("isa_loops.zig");
const num = @import("num.zig");
const sgemm_ukernel = @import("sgemm_ukernel.zig");
const Window = @import("window.zig").Window;
const u = num.u;

/// Input channels and taps up to which the direct path runs: beyond, the GEMM's depth amortizes its tiles.
pub const max_channels_in = abi.small_cin_channels;
pub const max_depth = abi.small_cin_depth;

/// Whether `conv2d` (conv2d_f32.zig) runs this direct path: few input channels and taps, the default
/// micro-kernel (a forced one is honoured by the GEMM path).
pub fn applies(p: *const abi.Conv2dF32Params) bool {
    const depth = @as(i64, p.kernel_h) * p.kernel_w * p.channels_in;
    return p.ukernel < 0 and p.channels_in <= max_channels_in and depth <= max_depth;
}

/// The output channels of one packed block.
pub const block = 32;
/// Lanes of a vector: a zmm on the AVX-512 copy, a ymm on the AVX2 copy, else 4 (SSE, NEON, wasm simd128).
pub const lanes = if (builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f))
    16
else if (builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx2)) 8 else 4;
pub const V = @Vector(lanes, f32);
pub const nv = block / lanes;
/// Pixels whose sums stay in registers together: 2·6 zmm on AVX-512, 4·3 ymm on AVX2, 8·3 q on NEON, 8·2 else.
const pixels = switch (lanes) {
    16 => 6,
    8 => 3,
    else => if (builtin.cpu.arch == .aarch64) 3 else 2,
};
/// Pixels per step when a block's valid channels fill only `m` of its `nv` vectors (a layer of 8 or 16
/// filters, or the last block): the same register budget spread over more pixels, at most 12.
fn pixelsFor(comptime m: usize) usize {
    return @min(12, pixels * nv / m);
}
/// Fused multiply-adds where the default GEMM micro-kernel of this build fuses (ukernels.zig: the AVX2,
/// AVX-512, NEON and relaxed-SIMD entries).
const fma = switch (builtin.cpu.arch) {
    .x86_64 => std.Target.x86.featureSetHas(builtin.cpu.features, .fma) and lanes >= 8,
    .aarch64 => true,
    .wasm32 => std.Target.wasm.featureSetHas(builtin.cpu.features, .relaxed_simd),
    else => false,
};

fn madd(x: V, w: V, acc: V) V {
    return if (fma) sgemm_ukernel.mulAdd(V, x, w, acc) else acc + x * w;
}

/// One call as its row tasks read it (extern: the ISA objects' copies share it).
pub const Rows = extern struct {
    p: *const abi.Conv2dF32Params,
    input: [*]const f32,
    filter: [*]const f32,
    bias: [*]const f32,
    /// Where output row `out_row0`'s first value goes (conv2d_maxpool.zig computes a few rows into a buffer).
    out: [*]f32,
    out_row0: usize = 0,

    /// Output row t (image t / out_h, row t % out_h), every channel block.
    pub fn task(s: *const Rows, t: usize) void {
        const g = Window.of(s.p);
        const oh = u(g.out_h);
        const ow = u(g.out_w);
        const n = t / oh;
        const oy = t % oh;
        // Columns whose window lies inside the input along x: [x_begin, x_end).
        var x_begin: usize = 0;
        while (x_begin < ow and !insideX(&g, x_begin)) x_begin += 1;
        var x_end = x_begin;
        while (x_end < ow and insideX(&g, x_end)) x_end += 1;
        const blocks = (u(s.p.channels_out) + block - 1) / block;
        for (0..blocks) |b| {
            // Vectors holding valid channels: a narrow block sums only those (the GEMM's padding lanes are
            // zeros it never stores), rounded up to a quarter, half or all of the block; on the x86 copies only
            // (measured there; 4-lane builds keep one copy of the loop: the wasm modules' size).
            const need = if (lanes >= 8) (@min(block, u(s.p.channels_out) - b * block) + lanes - 1) / lanes else nv;
            if (nv >= 4 and need <= nv / 4) {
                s.blockRowOf(&g, nv / 4, b, n, oy, x_begin, x_end);
            } else if (need <= nv / 2) {
                s.blockRowOf(&g, nv / 2, b, n, oy, x_begin, x_end);
            } else {
                s.blockRowOf(&g, nv, b, n, oy, x_begin, x_end);
            }
        }
    }

    /// blockRow with the channel count as a constant: the tap loop unrolled over it.
    fn blockRowOf(s: *const Rows, g: *const Window, comptime m: usize, b: usize, n: usize, oy: usize, x_begin: usize, x_end: usize) void {
        switch (u(s.p.channels_in)) {
            inline 1...max_channels_in => |c| s.blockRow(g, c, m, b, n, oy, x_begin, x_end),
            else => unreachable,
        }
    }

    /// Every output pixel of row oy, channel block b, whose first `m` vectors hold its valid channels.
    fn blockRow(s: *const Rows, g: *const Window, comptime c: usize, comptime m: usize, b: usize, n: usize, oy: usize, x_begin: usize, x_end: usize) void {
        const step = comptime pixelsFor(m);
        const ow = u(g.out_w);
        var ox: usize = 0;
        while (ox < ow) {
            if (ox >= x_begin and ox + step <= x_end) {
                s.pixelBlock(g, c, m, b, n, oy, ox, step, false);
                ox += step;
            } else {
                s.pixelBlock(g, c, m, b, n, oy, ox, 1, true);
                ox += 1;
            }
        }
    }

    /// Output pixels [ox, ox + count) of row oy, channel block b; `check_x`: taps may leave the input along x.
    inline fn pixelBlock(s: *const Rows, g: *const Window, comptime c: usize, comptime m: usize, b: usize, n: usize, oy: usize, ox: usize, comptime count: usize, comptime check_x: bool) void {
        const kw = u(g.kernel_w);
        const depth = u(g.kernel_h) * kw * c;
        var acc: [count][m]V = @splat(@splat(@splat(0)));
        const ix0 = @as(isize, @intCast(ox * u(g.stride_w))) - g.pad_left;
        for (0..u(g.kernel_h)) |ky| {
            const iy = @as(isize, @intCast(oy * u(g.stride_h) + ky * u(g.dilation_h))) - g.pad_top;
            if (iy < 0 or iy >= g.in_h) continue;
            const row = s.input + (n * u(g.in_h) + @as(usize, @intCast(iy))) * u(g.in_w) * c;
            var w = s.filter + (b * depth + ky * kw * c) * block;
            for (0..kw) |kx| {
                defer w += c * block;
                const ix = ix0 + @as(isize, @intCast(kx * u(g.dilation_w)));
                if (check_x and (ix < 0 or ix >= g.in_w)) continue;
                const x = row + @as(usize, @intCast(ix)) * c;
                inline for (0..c) |ci| {
                    var wv: [m]V = undefined;
                    inline for (0..m) |j| wv[j] = (w + ci * block)[j * lanes ..][0..lanes].*;
                    inline for (0..count) |i| {
                        const xv: V = @splat(x[i * u(g.stride_w) * c + ci]);
                        inline for (0..m) |j| acc[i][j] = madd(xv, wv[j], acc[i][j]);
                    }
                }
            }
        }
        s.store(m, b, ((n * u(g.out_h) + oy - s.out_row0) * u(g.out_w) + ox), count, acc);
    }

    /// Sums plus bias, clamped, into the block's valid channels of `count` consecutive output pixels.
    inline fn store(s: *const Rows, comptime m: usize, b: usize, pixel: usize, comptime count: usize, acc: [count][m]V) void {
        const cout = u(s.p.channels_out);
        const cols = @min(block, cout - b * block);
        const lo: V = @splat(s.p.clamp_min);
        const hi: V = @splat(s.p.clamp_max);
        inline for (0..count) |i| {
            const o = s.out + (pixel + i) * cout + b * block;
            inline for (0..m) |j| {
                const bias: V = s.bias[b * block + j * lanes ..][0..lanes].*;
                const v = num.clampVector(V, acc[i][j] + bias, lo, hi);
                if (cols >= (j + 1) * lanes) {
                    o[j * lanes ..][0..lanes].* = v;
                } else if (cols > j * lanes) {
                    const arr: [lanes]f32 = v;
                    for (0..cols - j * lanes) |k| o[j * lanes + k] = arr[k];
                }
            }
        }
    }
};

/// Whether every tap of output column ox lies inside the input along x.
fn insideX(g: *const Window, ox: usize) bool {
    const ix0 = @as(isize, @intCast(ox * u(g.stride_w))) - g.pad_left;
    return ix0 >= 0 and ix0 + (g.kernel_w - 1) * g.dilation_w < g.in_w;
}

/// Output row t of the convolution `ctx` (a `*const Rows`).
pub fn rowTask(ctx: *const anyopaque, t: usize) callconv(.c) void {
    const s: *const Rows = @ptrCast(@alignCast(ctx));
    s.task(t);
}

/// The convolution of `p` (validated by the caller, `applies(p)`), filter packed as the GEMM's
/// ([ceil(channels_out / 32), depth, 32]), bias padded to the block: threads split output rows.
pub fn run(p: *const abi.Conv2dF32Params, input: [*]const f32, filter: [*]const f32, bias: [*]const f32, out: [*]f32) void {
    std.debug.assert(applies(p));
    const s: Rows = .{ .p = p, .input = input, .filter = filter, .bias = bias, .out = out };
    isa_loops.run(u(p.threads), u(p.batch) * u(p.out_h), &s, isa_loops.pick("conv2d_small_cin", rowTask));
}
