//! Run-time CPU feature detection for micro-kernel selection.
const std = @import("std");
const builtin = @import("builtin");
const uk = @import("ukernels.zig");

const X86 = struct {
    avx2: bool = false,
    avx512vpopcnt: bool = false,
};

fn cpuid(leaf: u32, sub: u32) [4]u32 {
    var a: u32 = undefined;
    var b: u32 = undefined;
    var c: u32 = undefined;
    var d: u32 = undefined;
    asm volatile ("cpuid"
        : [a] "={eax}" (a),
          [b] "={ebx}" (b),
          [c] "={ecx}" (c),
          [d] "={edx}" (d),
        : [leaf] "{eax}" (leaf),
          [sub] "{ecx}" (sub),
    );
    return .{ a, b, c, d };
}

fn xgetbv0() u64 {
    var lo: u32 = undefined;
    var hi: u32 = undefined;
    asm volatile ("xgetbv"
        : [lo] "={eax}" (lo),
          [hi] "={edx}" (hi),
        : [c] "{ecx}" (@as(u32, 0)),
    );
    return @as(u64, hi) << 32 | lo;
}

fn detectX86() X86 {
    const max_leaf = cpuid(0, 0)[0];
    if (max_leaf < 7) return .{};
    const l1 = cpuid(1, 0);
    const osxsave = (l1[2] >> 27) & 1 == 1;
    if (!osxsave) return .{};
    const xcr0 = xgetbv0();
    const os_avx = xcr0 & 0x6 == 0x6;
    const os_avx512 = os_avx and xcr0 & 0xe0 == 0xe0;
    const l7 = cpuid(7, 0);
    const bit = struct {
        fn on(reg: u32, n: u5) bool {
            return (reg >> n) & 1 == 1;
        }
    }.on;
    const popcnt = bit(l1[2], 23);
    const avx2 = os_avx and popcnt and bit(l1[2], 28) and bit(l7[1], 5) and bit(l1[2], 12) and bit(l7[1], 3) and bit(l7[1], 8);
    const avx512 = os_avx512 and avx2 and bit(l7[1], 16) and bit(l7[1], 17) and bit(l7[1], 30) and bit(l7[1], 31) and bit(l7[2], 14);
    return .{ .avx2 = avx2, .avx512vpopcnt = avx512 };
}

var cached: ?X86 = null;

pub fn supports(isa: uk.Isa) bool {
    return switch (isa) {
        .scalar => true,
        .neon => builtin.cpu.arch == .aarch64,
        // Compiled in only where the module has the features (ukernels.isaOnCpu).
        .wasmsimd, .wasmrelaxed => builtin.cpu.arch.isWasm(),
        .avx2, .avx512vpopcnt => blk: {
            if (builtin.cpu.arch != .x86_64) break :blk false;
            // Benign race: every thread computes the same value.
            const f = cached orelse f: {
                const d = detectX86();
                cached = d;
                break :f d;
            };
            break :blk if (isa == .avx2) f.avx2 else f.avx512vpopcnt;
        },
    };
}
