//! Hand-scheduled aarch64 NEON loops for the hot element loops around the
//! binary GEMM and of LceQuantize, where the compiler's own code ran 1.14-1.20
//! times the instruction-mix bound llvm-mca gives on the Cortex-A72/A76 model
//! (bench:neon). Each is one inline-asm loop over 32-channel words, ordered so
//! that the model's 3-µop dispatch groups stay full (a 2-µop q-register op
//! beside a 1-µop load or integer op; `ldr q` rather than `ldp q`, which is 3
//! µops there). Other targets keep the portable code (`available` is false).
//!
//! Scratch general registers are early-clobber outputs or named clobbers; a clobber list stays under 32 entries
//! (Zig 0.14 drops a list of exactly 32, and the inputs may then share the scratch registers).
//!
//! Packing 32 floats into a word (bit = 1 iff x < 0, as bitpack.zig): fcmlt
//! gives each lane's mask, `and` with (1, 2, 4, 8) keeps bit i in lane i, three
//! levels of `sli` (shift left and insert) gather the eight vectors' nibbles
//! into bits 4k + i, and `addv` adds the four lanes' disjoint bits.
const std = @import("std");
const builtin = @import("builtin");

/// Whether this build has the loops (aarch64); callers fall back to their portable code otherwise.
pub const available = builtin.cpu.arch == .aarch64;

/// Lane i of the packing mask: bit i.
const lane_bits: [4]u32 align(16) = .{ 1, 2, 4, 8 };

/// out[r][0..32] += residual[r][0..32] for `rows` ≥ 1 rows, both `stride` floats apart; with `relu`, then
/// clamped to [+0, +inf] as num.clamp does (a sum below +0 becomes +0; -0 and NaN stay).
pub fn addRows(comptime relu: bool, out: [*]f32, residual: [*]const f32, stride: usize, rows: usize) void {
    std.debug.assert(available and rows >= 1);
    const loop = if (relu)
        \\ldr q0, [x9, #0]
        \\ldr q16, [x10, #0]
        \\ldr q1, [x9, #16]
        \\ldr q17, [x10, #16]
        \\ldr q2, [x9, #32]
        \\ldr q18, [x10, #32]
        \\ldr q3, [x9, #48]
        \\ldr q19, [x10, #48]
        \\fadd v0.4s, v0.4s, v16.4s
        \\ldr q4, [x9, #64]
        \\fadd v1.4s, v1.4s, v17.4s
        \\ldr q20, [x10, #64]
        \\fadd v2.4s, v2.4s, v18.4s
        \\ldr q5, [x9, #80]
        \\fadd v3.4s, v3.4s, v19.4s
        \\ldr q21, [x10, #80]
        \\fadd v4.4s, v4.4s, v20.4s
        \\ldr q6, [x9, #96]
        \\fadd v5.4s, v5.4s, v21.4s
        \\ldr q22, [x10, #96]
        \\ldr q7, [x9, #112]
        \\fadd v6.4s, v6.4s, v22.4s
        \\ldr q23, [x10, #112]
        \\fadd v7.4s, v7.4s, v23.4s
        \\fcmgt v16.4s, v27.4s, v0.4s
        \\bic v0.16b, v0.16b, v16.16b
        \\fcmgt v17.4s, v27.4s, v1.4s
        \\bic v1.16b, v1.16b, v17.16b
        \\stp q0, q1, [x9, #0]
        \\add x10, x10, x13
        \\fcmgt v18.4s, v27.4s, v2.4s
        \\bic v2.16b, v2.16b, v18.16b
        \\fcmgt v19.4s, v27.4s, v3.4s
        \\bic v3.16b, v3.16b, v19.16b
        \\stp q2, q3, [x9, #32]
        \\subs x12, x12, #1
        \\fcmgt v20.4s, v27.4s, v4.4s
        \\bic v4.16b, v4.16b, v20.16b
        \\fcmgt v21.4s, v27.4s, v5.4s
        \\bic v5.16b, v5.16b, v21.16b
        \\stp q4, q5, [x9, #64]
        \\fcmgt v22.4s, v27.4s, v6.4s
        \\bic v6.16b, v6.16b, v22.16b
        \\fcmgt v23.4s, v27.4s, v7.4s
        \\bic v7.16b, v7.16b, v23.16b
        \\stp q6, q7, [x9, #96]
        \\add x9, x9, x13
        \\b.ne 1b
    else
        \\ldr q0, [x9, #0]
        \\ldr q16, [x10, #0]
        \\ldr q1, [x9, #16]
        \\ldr q17, [x10, #16]
        \\ldr q2, [x9, #32]
        \\ldr q18, [x10, #32]
        \\ldr q3, [x9, #48]
        \\ldr q19, [x10, #48]
        \\fadd v0.4s, v0.4s, v16.4s
        \\ldr q4, [x9, #64]
        \\fadd v1.4s, v1.4s, v17.4s
        \\ldr q20, [x10, #64]
        \\fadd v2.4s, v2.4s, v18.4s
        \\ldr q5, [x9, #80]
        \\fadd v3.4s, v3.4s, v19.4s
        \\ldr q21, [x10, #80]
        \\fadd v4.4s, v4.4s, v20.4s
        \\ldr q6, [x9, #96]
        \\fadd v5.4s, v5.4s, v21.4s
        \\ldr q22, [x10, #96]
        \\ldr q7, [x9, #112]
        \\fadd v6.4s, v6.4s, v22.4s
        \\ldr q23, [x10, #112]
        \\fadd v7.4s, v7.4s, v23.4s
        \\stp q0, q1, [x9, #0]
        \\add x10, x10, x13
        \\stp q2, q3, [x9, #32]
        \\subs x12, x12, #1
        \\stp q4, q5, [x9, #64]
        \\stp q6, q7, [x9, #96]
        \\add x9, x9, x13
        \\b.ne 1b
    ;
    const add_rows_head =
        \\mov x9, %[o]
        \\mov x10, %[r]
        \\mov x12, %[rows]
        \\lsl x13, %[stride], #2
        \\movi v27.2d, #0
        \\1:
        \\
    ;
    asm volatile (add_rows_head ++ loop
        :
        : [o] "r" (out),
          [r] "r" (residual),
          [rows] "r" (rows),
          [stride] "r" (stride),
        : "x9", "x10", "x12", "x13", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v27", "cc", "memory"
    );
}

/// `addRows`, then each row's 32 results packed into packed_out[r * packed_stride] (bit c = 1 iff result c < 0).
pub fn addPackRows(comptime relu: bool, out: [*]f32, residual: [*]const f32, stride: usize, packed_out: [*]u32, packed_stride: usize, rows: usize) void {
    std.debug.assert(available and rows >= 1);
    const loop = if (relu)
        \\ldr q0, [x9, #0]
        \\ldr q16, [x10, #0]
        \\ldr q1, [x9, #16]
        \\ldr q17, [x10, #16]
        \\ldr q2, [x9, #32]
        \\ldr q18, [x10, #32]
        \\ldr q3, [x9, #48]
        \\ldr q19, [x10, #48]
        \\fadd v0.4s, v0.4s, v16.4s
        \\ldr q4, [x9, #64]
        \\fadd v1.4s, v1.4s, v17.4s
        \\ldr q20, [x10, #64]
        \\fadd v2.4s, v2.4s, v18.4s
        \\ldr q5, [x9, #80]
        \\fadd v3.4s, v3.4s, v19.4s
        \\ldr q21, [x10, #80]
        \\fadd v4.4s, v4.4s, v20.4s
        \\ldr q6, [x9, #96]
        \\fadd v5.4s, v5.4s, v21.4s
        \\ldr q22, [x10, #96]
        \\ldr q7, [x9, #112]
        \\fadd v6.4s, v6.4s, v22.4s
        \\ldr q23, [x10, #112]
        \\fadd v7.4s, v7.4s, v23.4s
        \\fcmgt v16.4s, v27.4s, v0.4s
        \\bic v0.16b, v0.16b, v16.16b
        \\fcmgt v17.4s, v27.4s, v1.4s
        \\bic v1.16b, v1.16b, v17.16b
        \\fcmgt v18.4s, v27.4s, v2.4s
        \\bic v2.16b, v2.16b, v18.16b
        \\fcmgt v19.4s, v27.4s, v3.4s
        \\bic v3.16b, v3.16b, v19.16b
        \\fcmgt v20.4s, v27.4s, v4.4s
        \\bic v4.16b, v4.16b, v20.16b
        \\fcmgt v21.4s, v27.4s, v5.4s
        \\bic v5.16b, v5.16b, v21.16b
        \\fcmgt v22.4s, v27.4s, v6.4s
        \\bic v6.16b, v6.16b, v22.16b
        \\fcmgt v23.4s, v27.4s, v7.4s
        \\bic v7.16b, v7.16b, v23.16b
        \\fcmlt v16.4s, v0.4s, #0.0
        \\fcmlt v17.4s, v1.4s, #0.0
        \\stp q0, q1, [x9, #0]
        \\fcmlt v18.4s, v2.4s, #0.0
        \\fcmlt v19.4s, v3.4s, #0.0
        \\and v16.16b, v16.16b, v26.16b
        \\stp q2, q3, [x9, #32]
        \\fcmlt v20.4s, v4.4s, #0.0
        \\and v17.16b, v17.16b, v26.16b
        \\fcmlt v21.4s, v5.4s, #0.0
        \\and v18.16b, v18.16b, v26.16b
        \\stp q4, q5, [x9, #64]
        \\fcmlt v22.4s, v6.4s, #0.0
        \\and v19.16b, v19.16b, v26.16b
        \\fcmlt v23.4s, v7.4s, #0.0
        \\and v20.16b, v20.16b, v26.16b
        \\stp q6, q7, [x9, #96]
        \\and v21.16b, v21.16b, v26.16b
        \\and v22.16b, v22.16b, v26.16b
        \\and v23.16b, v23.16b, v26.16b
        \\sli v16.4s, v17.4s, #4
        \\sli v18.4s, v19.4s, #4
        \\add x10, x10, x13
        \\sli v20.4s, v21.4s, #4
        \\sli v22.4s, v23.4s, #4
        \\add x9, x9, x13
        \\sli v16.4s, v18.4s, #8
        \\sli v20.4s, v22.4s, #8
        \\subs x12, x12, #1
        \\sli v16.4s, v20.4s, #16
        \\addv s16, v16.4s
        \\str s16, [x11]
        \\add x11, x11, x14
        \\b.ne 1b
    else
        \\ldr q0, [x9, #0]
        \\ldr q16, [x10, #0]
        \\ldr q1, [x9, #16]
        \\ldr q17, [x10, #16]
        \\ldr q2, [x9, #32]
        \\ldr q18, [x10, #32]
        \\ldr q3, [x9, #48]
        \\ldr q19, [x10, #48]
        \\fadd v0.4s, v0.4s, v16.4s
        \\ldr q4, [x9, #64]
        \\fadd v1.4s, v1.4s, v17.4s
        \\ldr q20, [x10, #64]
        \\fadd v2.4s, v2.4s, v18.4s
        \\ldr q5, [x9, #80]
        \\fadd v3.4s, v3.4s, v19.4s
        \\ldr q21, [x10, #80]
        \\fadd v4.4s, v4.4s, v20.4s
        \\ldr q6, [x9, #96]
        \\fadd v5.4s, v5.4s, v21.4s
        \\ldr q22, [x10, #96]
        \\ldr q7, [x9, #112]
        \\fadd v6.4s, v6.4s, v22.4s
        \\ldr q23, [x10, #112]
        \\fadd v7.4s, v7.4s, v23.4s
        \\fcmlt v16.4s, v0.4s, #0.0
        \\fcmlt v17.4s, v1.4s, #0.0
        \\stp q0, q1, [x9, #0]
        \\fcmlt v18.4s, v2.4s, #0.0
        \\fcmlt v19.4s, v3.4s, #0.0
        \\and v16.16b, v16.16b, v26.16b
        \\stp q2, q3, [x9, #32]
        \\fcmlt v20.4s, v4.4s, #0.0
        \\and v17.16b, v17.16b, v26.16b
        \\fcmlt v21.4s, v5.4s, #0.0
        \\and v18.16b, v18.16b, v26.16b
        \\stp q4, q5, [x9, #64]
        \\fcmlt v22.4s, v6.4s, #0.0
        \\and v19.16b, v19.16b, v26.16b
        \\fcmlt v23.4s, v7.4s, #0.0
        \\and v20.16b, v20.16b, v26.16b
        \\stp q6, q7, [x9, #96]
        \\and v21.16b, v21.16b, v26.16b
        \\and v22.16b, v22.16b, v26.16b
        \\and v23.16b, v23.16b, v26.16b
        \\sli v16.4s, v17.4s, #4
        \\sli v18.4s, v19.4s, #4
        \\add x10, x10, x13
        \\sli v20.4s, v21.4s, #4
        \\sli v22.4s, v23.4s, #4
        \\add x9, x9, x13
        \\sli v16.4s, v18.4s, #8
        \\sli v20.4s, v22.4s, #8
        \\subs x12, x12, #1
        \\sli v16.4s, v20.4s, #16
        \\addv s16, v16.4s
        \\str s16, [x11]
        \\add x11, x11, x14
        \\b.ne 1b
    ;
    const add_pack_head =
        \\mov x9, %[o]
        \\mov x10, %[r]
        \\mov x11, %[q]
        \\mov x12, %[rows]
        \\lsl x13, %[stride], #2
        \\lsl x14, %[qstride], #2
        \\ldr q26, [%[bits]]
        \\movi v27.2d, #0
        \\1:
        \\
    ;
    asm volatile (add_pack_head ++ loop
        :
        : [o] "r" (out),
          [r] "r" (residual),
          [q] "r" (packed_out),
          [rows] "r" (rows),
          [stride] "r" (stride),
          [qstride] "r" (packed_stride),
          [bits] "r" (&lane_bits),
        : "x9", "x10", "x11", "x12", "x13", "x14", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v26", "v27", "cc", "memory"
    );
}

/// output[w] = the word of floats input[32 w ..][0..32] (bit = 1 iff x < 0), for `words` ≥ 1 words.
pub fn packWords(input: [*]const f32, output: [*]u32, words: usize) void {
    std.debug.assert(available and words >= 1);
    asm volatile ( // packWords loop
        \\mov x9, %[in]
        \\mov x11, %[out]
        \\mov x12, %[words]
        \\ldr q26, [%[bits]]
        \\1:
        \\ldr q0, [x9, #0]
        \\ldr q1, [x9, #16]
        \\ldr q2, [x9, #32]
        \\ldr q3, [x9, #48]
        \\fcmlt v16.4s, v0.4s, #0.0
        \\ldr q4, [x9, #64]
        \\fcmlt v17.4s, v1.4s, #0.0
        \\ldr q5, [x9, #80]
        \\fcmlt v18.4s, v2.4s, #0.0
        \\ldr q6, [x9, #96]
        \\fcmlt v19.4s, v3.4s, #0.0
        \\ldr q7, [x9, #112]
        \\and v16.16b, v16.16b, v26.16b
        \\fcmlt v20.4s, v4.4s, #0.0
        \\and v17.16b, v17.16b, v26.16b
        \\fcmlt v21.4s, v5.4s, #0.0
        \\and v18.16b, v18.16b, v26.16b
        \\fcmlt v22.4s, v6.4s, #0.0
        \\and v19.16b, v19.16b, v26.16b
        \\fcmlt v23.4s, v7.4s, #0.0
        \\and v20.16b, v20.16b, v26.16b
        \\and v21.16b, v21.16b, v26.16b
        \\and v22.16b, v22.16b, v26.16b
        \\and v23.16b, v23.16b, v26.16b
        \\sli v16.4s, v17.4s, #4
        \\sli v18.4s, v19.4s, #4
        \\add x9, x9, #128
        \\sli v20.4s, v21.4s, #4
        \\sli v22.4s, v23.4s, #4
        \\subs x12, x12, #1
        \\sli v16.4s, v18.4s, #8
        \\sli v20.4s, v22.4s, #8
        \\sli v16.4s, v20.4s, #16
        \\addv s16, v16.4s
        \\str s16, [x11], #4
        \\b.ne 1b
        :
        : [in] "r" (input),
          [out] "r" (output),
          [words] "r" (words),
          [bits] "r" (&lane_bits),
        : "x9", "x11", "x12", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v26", "cc", "memory"
    );
}

/// out[i] = a[i] + b[i] for 32 · `words` ≥ 32 floats (an ADD without activation, elementwise.zig).
pub fn addFloats(a: [*]const f32, b: [*]const f32, out: [*]f32, words: usize) void {
    std.debug.assert(available and words >= 1);
    asm volatile ( // addFloats loop
        \\mov x9, %[a]
        \\mov x10, %[b]
        \\mov x11, %[out]
        \\mov x12, %[words]
        \\1:
        \\ldr q0, [x9, #0]
        \\ldr q16, [x10, #0]
        \\ldr q1, [x9, #16]
        \\ldr q17, [x10, #16]
        \\ldr q2, [x9, #32]
        \\ldr q18, [x10, #32]
        \\ldr q3, [x9, #48]
        \\ldr q19, [x10, #48]
        \\fadd v0.4s, v0.4s, v16.4s
        \\ldr q4, [x9, #64]
        \\fadd v1.4s, v1.4s, v17.4s
        \\ldr q20, [x10, #64]
        \\fadd v2.4s, v2.4s, v18.4s
        \\ldr q5, [x9, #80]
        \\fadd v3.4s, v3.4s, v19.4s
        \\ldr q21, [x10, #80]
        \\add x9, x9, #128
        \\ldr q6, [x9, #-32]
        \\ldr q22, [x10, #96]
        \\fadd v4.4s, v4.4s, v20.4s
        \\ldr q7, [x9, #-16]
        \\fadd v5.4s, v5.4s, v21.4s
        \\ldr q23, [x10, #112]
        \\add x10, x10, #128
        \\fadd v6.4s, v6.4s, v22.4s
        \\fadd v7.4s, v7.4s, v23.4s
        \\stp q0, q1, [x11, #0]
        \\subs x12, x12, #1
        \\stp q2, q3, [x11, #32]
        \\stp q4, q5, [x11, #64]
        \\stp q6, q7, [x11, #96]
        \\add x11, x11, #128
        \\b.ne 1b
        :
        : [a] "r" (a),
          [b] "r" (b),
          [out] "r" (out),
          [words] "r" (words),
        : "x9", "x10", "x11", "x12", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "cc", "memory"
    );
}

/// Init value of a max pool's accumulators (the TS reference's: a NaN tap never replaces it).
const minus_inf: [4]f32 align(16) = .{-std.math.inf(f32)} ** 4;

/// One 32-channel chunk of a pooling window: out[0..32] = the max (x > acc ? x : acc, from -inf, taps in row
/// order) or the sum (from 0) of the taps at first + y · row_stride + x · tap_stride floats, y < `rows` ≥ 1,
/// x < `taps` ≥ 1 (pool2d.zig scales and clamps it).
pub fn poolChunk(comptime max: bool, first: [*]const f32, rows: usize, taps: usize, tap_stride: usize, row_stride: usize, out: [*]f32) void {
    std.debug.assert(available and rows >= 1 and taps >= 1);
    var x9: usize = undefined;
    var x10: usize = undefined;
    var x11: usize = undefined;
    var x12: usize = undefined;
    var x13: usize = undefined;
    var x14: usize = undefined;
    const init = if (max)
        \\ldr q0, [%[inf]]
        \\mov v1.16b, v0.16b
        \\mov v2.16b, v0.16b
        \\mov v3.16b, v0.16b
        \\mov v4.16b, v0.16b
        \\mov v5.16b, v0.16b
        \\mov v6.16b, v0.16b
        \\mov v7.16b, v0.16b
        \\
    else
        \\movi v0.2d, #0
        \\movi v1.2d, #0
        \\movi v2.2d, #0
        \\movi v3.2d, #0
        \\movi v4.2d, #0
        \\movi v5.2d, #0
        \\movi v6.2d, #0
        \\movi v7.2d, #0
        \\
    ;
    const tap_loop = if (max)
        \\ldr q16, [%[x11], #0]
        \\ldr q17, [%[x11], #16]
        \\fcmgt v24.4s, v16.4s, v0.4s
        \\ldr q18, [%[x11], #32]
        \\fcmgt v25.4s, v17.4s, v1.4s
        \\ldr q19, [%[x11], #48]
        \\bit v0.16b, v16.16b, v24.16b
        \\ldr q20, [%[x11], #64]
        \\fcmgt v26.4s, v18.4s, v2.4s
        \\ldr q21, [%[x11], #80]
        \\bit v1.16b, v17.16b, v25.16b
        \\ldr q22, [%[x11], #96]
        \\fcmgt v27.4s, v19.4s, v3.4s
        \\ldr q23, [%[x11], #112]
        \\bit v2.16b, v18.16b, v26.16b
        \\add %[x11], %[x11], %[x13]
        \\fcmgt v28.4s, v20.4s, v4.4s
        \\subs %[x12], %[x12], #1
        \\bit v3.16b, v19.16b, v27.16b
        \\fcmgt v29.4s, v21.4s, v5.4s
        \\bit v4.16b, v20.16b, v28.16b
        \\fcmgt v30.4s, v22.4s, v6.4s
        \\bit v5.16b, v21.16b, v29.16b
        \\fcmgt v31.4s, v23.4s, v7.4s
        \\bit v6.16b, v22.16b, v30.16b
        \\bit v7.16b, v23.16b, v31.16b
        \\b.ne 1b
        \\
    else
        \\ldr q16, [%[x11], #0]
        \\ldr q17, [%[x11], #16]
        \\fadd v0.4s, v0.4s, v16.4s
        \\ldr q18, [%[x11], #32]
        \\fadd v1.4s, v1.4s, v17.4s
        \\ldr q19, [%[x11], #48]
        \\fadd v2.4s, v2.4s, v18.4s
        \\ldr q20, [%[x11], #64]
        \\fadd v3.4s, v3.4s, v19.4s
        \\ldr q21, [%[x11], #80]
        \\fadd v4.4s, v4.4s, v20.4s
        \\ldr q22, [%[x11], #96]
        \\fadd v5.4s, v5.4s, v21.4s
        \\ldr q23, [%[x11], #112]
        \\fadd v6.4s, v6.4s, v22.4s
        \\add %[x11], %[x11], %[x13]
        \\fadd v7.4s, v7.4s, v23.4s
        \\subs %[x12], %[x12], #1
        \\b.ne 1b
        \\
    ;
    const pool_head =
        \\mov %[x9], %[first]
        \\mov %[x10], %[rows]
        \\lsl %[x13], %[tap_stride], #2
        \\lsl %[x14], %[row_stride], #2
        \\2:
        \\mov %[x11], %[x9]
        \\mov %[x12], %[taps]
        \\1:
        \\
    ;
    const pool_tail =
        \\add %[x9], %[x9], %[x14]
        \\subs %[x10], %[x10], #1
        \\b.ne 2b
        \\stp q0, q1, [%[out]]
        \\stp q2, q3, [%[out], #32]
        \\stp q4, q5, [%[out], #64]
        \\stp q6, q7, [%[out], #96]
    ;
    asm volatile (init ++ pool_head ++ tap_loop ++ pool_tail
        : [x9] "=&r" (x9),
          [x10] "=&r" (x10),
          [x11] "=&r" (x11),
          [x12] "=&r" (x12),
          [x13] "=&r" (x13),
          [x14] "=&r" (x14),
        : [first] "r" (first),
          [rows] "r" (rows),
          [taps] "r" (taps),
          [tap_stride] "r" (tap_stride),
          [row_stride] "r" (row_stride),
          [out] "r" (out),
          [inf] "r" (&minus_inf),
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory"
    );
}

/// Depthwise convolution, multiplier 1, 4 output pixels × 8 channels whose every tap is in bounds
/// (depthwise_f32.zig interiorBlock): out_j[0..8] = bias[0..8] + Σ over `rows` ≥ 1 kernel rows and
/// `kernel_w` ≥ 1 taps of x · w, in that order (mul then add, as the portable loop), unclamped. Pixel j's tap kx
/// of kernel row ky is at x + ky · x_row_step + j · pixel_step + kx · tap_step floats, its weights at
/// w + ky · w_row_step + kx · w_step; pixel j's output at out + j · out_step.
pub const DepthwiseBlock = extern struct {
    x: [*]const f32,
    w: [*]const f32,
    bias: [*]const f32,
    out: [*]f32,
    rows: usize,
    kernel_w: usize,
    pixel_step: usize,
    tap_step: usize,
    x_row_step: usize,
    w_step: usize,
    w_row_step: usize,
    out_step: usize,
};

/// See `DepthwiseBlock`. The sums are software-pipelined: each tap's products are added during the next tap (from
/// -0.0 products at the start, which leave any sum as it is, -0 included).
pub fn depthwiseBlock(d: *const DepthwiseBlock) void {
    std.debug.assert(available and d.rows >= 1 and d.kernel_w >= 1);
    var x1: usize = undefined;
    var x2: usize = undefined;
    var x3: usize = undefined;
    var x4: usize = undefined;
    var x5: usize = undefined;
    var x6: usize = undefined;
    var x7: usize = undefined;
    var x8: usize = undefined;
    var x9: usize = undefined;
    var x10: usize = undefined;
    var x11: usize = undefined;
    var x12: usize = undefined;
    var x13: usize = undefined;
    var x14: usize = undefined;
    var x15: usize = undefined;
    var x16: usize = undefined;
    var x17: usize = undefined;
    asm volatile ( // depthwiseBlock loop
        \\ldp %[x17], %[x8], [%[d]]
        \\ldp %[x4], %[x5], [%[d], #16]
        \\ldp %[x7], %[x14], [%[d], #32]
        \\ldp %[x6], %[x13], [%[d], #48]
        \\ldp %[x3], %[x12], [%[d], #64]
        \\ldp %[x2], %[x1], [%[d], #80]
        \\lsl %[x6], %[x6], #2
        \\lsl %[x13], %[x13], #2
        \\lsl %[x3], %[x3], #2
        \\lsl %[x12], %[x12], #2
        \\lsl %[x2], %[x2], #2
        \\lsl %[x1], %[x1], #2
        \\ldp q0, q1, [%[x4]]
        \\mov v2.16b, v0.16b
        \\mov v3.16b, v1.16b
        \\mov v4.16b, v0.16b
        \\mov v5.16b, v1.16b
        \\mov v6.16b, v0.16b
        \\mov v7.16b, v1.16b
        \\movi v8.4s, #0x80, lsl #24
        \\mov v9.16b, v8.16b
        \\mov v10.16b, v8.16b
        \\mov v11.16b, v8.16b
        \\mov v12.16b, v8.16b
        \\mov v13.16b, v8.16b
        \\mov v14.16b, v8.16b
        \\mov v15.16b, v8.16b
        \\2:
        \\mov %[x9], %[x17]
        \\add %[x10], %[x9], %[x6]
        \\add %[x15], %[x10], %[x6]
        \\add %[x16], %[x15], %[x6]
        \\mov %[x11], %[x8]
        \\ldr %[x14], [%[d], #40]
        \\1:
        \\ldr q24, [%[x11]]
        \\fadd v0.4s, v0.4s, v8.4s
        \\ldr q25, [%[x11], #16]
        \\fadd v1.4s, v1.4s, v9.4s
        \\ldr q16, [%[x9]]
        \\fadd v2.4s, v2.4s, v10.4s
        \\ldr q17, [%[x9], #16]
        \\fadd v3.4s, v3.4s, v11.4s
        \\ldr q18, [%[x10]]
        \\fadd v4.4s, v4.4s, v12.4s
        \\ldr q19, [%[x10], #16]
        \\fadd v5.4s, v5.4s, v13.4s
        \\ldr q20, [%[x15]]
        \\fadd v6.4s, v6.4s, v14.4s
        \\ldr q21, [%[x15], #16]
        \\fadd v7.4s, v7.4s, v15.4s
        \\ldr q22, [%[x16]]
        \\fmul v8.4s, v16.4s, v24.4s
        \\ldr q23, [%[x16], #16]
        \\fmul v9.4s, v17.4s, v25.4s
        \\add %[x11], %[x11], %[x12]
        \\fmul v10.4s, v18.4s, v24.4s
        \\add %[x9], %[x9], %[x13]
        \\fmul v11.4s, v19.4s, v25.4s
        \\add %[x10], %[x10], %[x13]
        \\fmul v12.4s, v20.4s, v24.4s
        \\add %[x15], %[x15], %[x13]
        \\fmul v13.4s, v21.4s, v25.4s
        \\add %[x16], %[x16], %[x13]
        \\fmul v14.4s, v22.4s, v24.4s
        \\subs %[x14], %[x14], #1
        \\fmul v15.4s, v23.4s, v25.4s
        \\b.ne 1b
        \\add %[x17], %[x17], %[x3]
        \\add %[x8], %[x8], %[x2]
        \\subs %[x7], %[x7], #1
        \\b.ne 2b
        \\fadd v0.4s, v0.4s, v8.4s
        \\fadd v1.4s, v1.4s, v9.4s
        \\fadd v2.4s, v2.4s, v10.4s
        \\fadd v3.4s, v3.4s, v11.4s
        \\fadd v4.4s, v4.4s, v12.4s
        \\fadd v5.4s, v5.4s, v13.4s
        \\fadd v6.4s, v6.4s, v14.4s
        \\fadd v7.4s, v7.4s, v15.4s
        \\stp q0, q1, [%[x5]]
        \\add %[x5], %[x5], %[x1]
        \\stp q2, q3, [%[x5]]
        \\add %[x5], %[x5], %[x1]
        \\stp q4, q5, [%[x5]]
        \\add %[x5], %[x5], %[x1]
        \\stp q6, q7, [%[x5]]
        : [x1] "=&r" (x1),
          [x2] "=&r" (x2),
          [x3] "=&r" (x3),
          [x4] "=&r" (x4),
          [x5] "=&r" (x5),
          [x6] "=&r" (x6),
          [x7] "=&r" (x7),
          [x8] "=&r" (x8),
          [x9] "=&r" (x9),
          [x10] "=&r" (x10),
          [x11] "=&r" (x11),
          [x12] "=&r" (x12),
          [x13] "=&r" (x13),
          [x14] "=&r" (x14),
          [x15] "=&r" (x15),
          [x16] "=&r" (x16),
          [x17] "=&r" (x17),
        : [d] "r" (d),
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "cc", "memory"
    );
}

/// out[i] += x[i] · w[i] (a multiply, then an add, as the portable loop) for 16 · `blocks` ≥ 16 floats: a depthwise
/// edge pixel's tap over its channels (depthwise_f32.zig).
pub fn mulAddFloats(out: [*]f32, x: [*]const f32, w: [*]const f32, blocks: usize) void {
    std.debug.assert(available and blocks >= 1);
    asm volatile ( // mulAddFloats loop
        \\mov x9, %[out]
        \\mov x10, %[x]
        \\mov x11, %[w]
        \\mov x12, %[blocks]
        \\1:
        \\ldr q16, [x10, #0]
        \\ldr q20, [x11, #0]
        \\ldr q17, [x10, #16]
        \\ldr q21, [x11, #16]
        \\fmul v16.4s, v16.4s, v20.4s
        \\ldr q0, [x9, #0]
        \\fmul v17.4s, v17.4s, v21.4s
        \\ldr q1, [x9, #16]
        \\ldr q18, [x10, #32]
        \\ldr q22, [x11, #32]
        \\fadd v0.4s, v0.4s, v16.4s
        \\ldr q19, [x10, #48]
        \\fadd v1.4s, v1.4s, v17.4s
        \\ldr q23, [x11, #48]
        \\fmul v18.4s, v18.4s, v22.4s
        \\ldr q2, [x9, #32]
        \\fmul v19.4s, v19.4s, v23.4s
        \\ldr q3, [x9, #48]
        \\add x10, x10, #64
        \\fadd v2.4s, v2.4s, v18.4s
        \\add x11, x11, #64
        \\fadd v3.4s, v3.4s, v19.4s
        \\stp q0, q1, [x9]
        \\subs x12, x12, #1
        \\stp q2, q3, [x9, #32]
        \\add x9, x9, #64
        \\b.ne 1b
        :
        : [out] "r" (out),
          [x] "r" (x),
          [w] "r" (w),
          [blocks] "r" (blocks),
        : "x9", "x10", "x11", "x12", "v0", "v1", "v2", "v3", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "cc", "memory"
    );
}

// ---- tests: each loop against the portable arithmetic, on aarch64 (zig build test -Dtarget=aarch64-linux-musl -fqemu) ----

fn fill(rnd: std.Random, xs: []f32) void {
    const special = [_]f32{ 0.0, -0.0, std.math.nan(f32), -std.math.nan(f32), std.math.inf(f32), -std.math.inf(f32), 1e-40, -1e-40 };
    for (xs) |*x| x.* = if (rnd.uintLessThan(u8, 5) == 0) special[rnd.uintLessThan(usize, special.len)] else rnd.floatNorm(f32);
}

fn packOracle(xs: []const f32) u32 {
    var w: u32 = 0;
    for (xs, 0..) |x, i| w |= @as(u32, @intFromBool(x < 0)) << @intCast(i);
    return w;
}

test "addRows / addPackRows: the sums (then ReLU) bit for bit and their sign words, rows of a wider matrix, 1 to 9 rows" {
    if (!available) return error.SkipZigTest;
    var prng = std.Random.DefaultPrng.init(7);
    const rnd = prng.random();
    const stride = 96; // three blocks a row: the loops touch one
    for (1..10) |rows| {
        var out: [9 * stride]f32 = undefined;
        var res: [9 * stride]f32 = undefined;
        fill(rnd, &out);
        fill(rnd, &res);
        var want = out;
        for (0..rows) |r| {
            for (32..64) |c| want[r * stride + c] = out[r * stride + c] + res[r * stride + c];
        }
        inline for (.{ false, true }) |relu| {
            if (relu) {
                for (0..rows) |r| {
                    for (32..64) |c| want[r * stride + c] = @import("num.zig").clamp(want[r * stride + c], 0, std.math.inf(f32));
                }
            }
            var got = out;
            addRows(relu, got[32..].ptr, res[32..].ptr, stride, rows);
            try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&got));
            got = out;
            var words = [_]u32{0xdead_beef} ** (9 * 3);
            addPackRows(relu, got[32..].ptr, res[32..].ptr, stride, words[1..].ptr, 3, rows);
            try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&got));
            for (0..9) |r| {
                for (0..3) |b| {
                    const expect = if (r < rows and b == 1) packOracle(want[r * stride + 32 ..][0..32]) else 0xdead_beef;
                    try std.testing.expectEqual(expect, words[r * 3 + b]);
                }
            }
        }
    }
}

test "packWords: bit = x < 0 (+0, -0 and NaN pack as 0), 1 to 5 words" {
    if (!available) return error.SkipZigTest;
    var prng = std.Random.DefaultPrng.init(11);
    const rnd = prng.random();
    for (1..6) |words| {
        var in: [5 * 32]f32 = undefined;
        fill(rnd, &in);
        var out = [_]u32{0xdead_beef} ** 6;
        packWords(&in, &out, words);
        for (0..6) |w| {
            const expect = if (w < words) packOracle(in[w * 32 ..][0..32]) else 0xdead_beef;
            try std.testing.expectEqual(expect, out[w]);
        }
    }
}

test "addFloats: a + b bit for bit, 1 to 3 words of 32, output = an input" {
    if (!available) return error.SkipZigTest;
    var prng = std.Random.DefaultPrng.init(5);
    const rnd = prng.random();
    for (1..4) |words| {
        var a: [3 * 32 + 1]f32 = undefined;
        var b: [3 * 32 + 1]f32 = undefined;
        fill(rnd, &a);
        fill(rnd, &b);
        var want = a;
        for (0..words * 32) |i| want[i] = a[i] + b[i];
        var out = a;
        addFloats(&a, &b, &out, words);
        try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&out));
        // In place, as the interpreter may run it.
        addFloats(&a, &b, &a, words);
        try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&a));
    }
}

test "poolChunk: max (first maximum, NaN taps skipped, -inf when all are NaN) and sum in tap order, windows 1x1 to 3x3" {
    if (!available) return error.SkipZigTest;
    var prng = std.Random.DefaultPrng.init(3);
    const rnd = prng.random();
    const c = 40; // channels of the image: taps 40 floats apart
    const w = 4; // image width: rows 160 floats apart
    var img: [4 * w * c]f32 = undefined;
    fill(rnd, &img);
    // Channel 0 NaN at every tap: a max of -inf.
    for (0..3) |y| {
        for (0..3) |x| img[w * c + c + 5 + y * w * c + x * c] = std.math.nan(f32);
    }
    for (1..4) |rows| {
        for (1..4) |taps| {
            inline for (.{ true, false }) |max| {
                const first = img[w * c + c + 5 ..];
                var want: [32]f32 = undefined;
                for (0..32) |ch| {
                    var acc: f32 = if (max) -std.math.inf(f32) else 0;
                    for (0..rows) |y| {
                        for (0..taps) |x| {
                            const v = first[y * w * c + x * c + ch];
                            acc = if (max) (if (v > acc) v else acc) else acc + v;
                        }
                    }
                    want[ch] = acc;
                }
                var got: [33]f32 = .{0} ** 33;
                poolChunk(max, first.ptr, rows, taps, c, w * c, &got);
                try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(got[0..32]));
                try std.testing.expectEqual(@as(f32, 0), got[32]);
            }
        }
    }
}

test "depthwiseBlock: bias + x·w summed tap by tap as the portable loop (bit for bit, -0 bias kept), strides and dilations 1 and 2" {
    if (!available) return error.SkipZigTest;
    var prng = std.Random.DefaultPrng.init(9);
    const rnd = prng.random();
    const c = 24; // channels: the block reads 8 of them
    const in_w = 16;
    var img: [7 * in_w * c]f32 = undefined;
    var filt: [3 * 3 * c]f32 = undefined;
    var bias: [c]f32 = undefined;
    fill(rnd, &img);
    fill(rnd, &filt);
    fill(rnd, &bias);
    bias[8] = -0.0;
    for (1..4) |rows| {
        for (1..4) |kw| {
            for ([_][2]usize{ .{ 1, 1 }, .{ 2, 1 }, .{ 1, 2 }, .{ 2, 2 } }) |sd| {
                const stride, const dil = sd;
                const d: DepthwiseBlock = .{
                    .x = img[c + 8 ..].ptr,
                    .w = filt[8..].ptr,
                    .bias = bias[8..].ptr,
                    .out = undefined,
                    .rows = rows,
                    .kernel_w = kw,
                    .pixel_step = stride * c,
                    .tap_step = dil * c,
                    .x_row_step = dil * in_w * c,
                    .w_step = c,
                    .w_row_step = 3 * c,
                    .out_step = c,
                };
                var got: [4 * c]f32 = .{1} ** (4 * c);
                var dd = d;
                dd.out = got[8..].ptr;
                depthwiseBlock(&dd);
                for (0..4) |j| {
                    for (0..c) |ch| {
                        if (ch < 8 or ch >= 16) {
                            try std.testing.expectEqual(@as(f32, 1), got[j * c + ch]);
                            continue;
                        }
                        const k = ch - 8;
                        var acc = d.bias[k];
                        for (0..rows) |ky| {
                            for (0..kw) |kx| acc += d.x[ky * d.x_row_step + j * d.pixel_step + kx * d.tap_step + k] * d.w[ky * d.w_row_step + kx * d.w_step + k];
                        }
                        try std.testing.expectEqual(@as(u32, @bitCast(acc)), @as(u32, @bitCast(got[j * c + ch])));
                    }
                }
            }
        }
    }
}

test "mulAddFloats: out + x·w bit for bit (mul then add), 1 to 3 blocks of 16" {
    if (!available) return error.SkipZigTest;
    var prng = std.Random.DefaultPrng.init(13);
    const rnd = prng.random();
    for (1..4) |blocks| {
        var o: [49]f32 = undefined;
        var x: [49]f32 = undefined;
        var w: [49]f32 = undefined;
        fill(rnd, &o);
        fill(rnd, &x);
        fill(rnd, &w);
        var want = o;
        for (0..blocks * 16) |i| want[i] += x[i] * w[i];
        mulAddFloats(&o, &x, &w, blocks);
        try std.testing.expectEqualSlices(u32, @ptrCast(&want), @ptrCast(&o));
    }
}
