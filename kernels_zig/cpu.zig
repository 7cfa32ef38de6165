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

/// Arm's MIDR part numbers of the in-order cores the `.in_order` micro-kernels are scheduled for.
const in_order_parts = [_]u16{
    0xd03, // Cortex-A53
    0xd05, // Cortex-A55
};
const arm_implementer = 0x41;

/// Whether every core /proc/cpuinfo lists is an in-order Arm core (its "CPU implementer" 0x41 and "CPU part" one of
/// `in_order_parts`); null when it lists no part. On big.LITTLE (say 4 x A55 + 4 x A76) the answer is no: the kernel
/// is chosen for the big cores, where the scheduler puts busy threads.
pub fn inOrderFromCpuinfo(text: []const u8) ?bool {
    var implementer: ?u16 = null;
    var parts: usize = 0;
    var lines = std.mem.splitScalar(u8, text, '\n');
    while (lines.next()) |line| {
        const colon = std.mem.indexOfScalar(u8, line, ':') orelse continue;
        const key = std.mem.trim(u8, line[0..colon], " \t");
        const value = std.mem.trim(u8, line[colon + 1 ..], " \t\r");
        const number = std.fmt.parseInt(u16, value, 0) catch continue;
        if (std.mem.eql(u8, key, "CPU implementer")) implementer = number;
        if (!std.mem.eql(u8, key, "CPU part")) continue;
        parts += 1;
        const known = std.mem.indexOfScalar(u16, &in_order_parts, number) != null;
        if (implementer != arm_implementer or !known) return false;
    }
    return if (parts == 0) null else true;
}

var in_order_cached: ?bool = null;

/// Whether this CPU is made of in-order cores (Linux and Android on aarch64, from /proc/cpuinfo; false elsewhere or
/// when unreadable). Read once.
pub fn inOrder() bool {
    if (builtin.cpu.arch != .aarch64 or builtin.os.tag != .linux) return false;
    // Benign race: every thread computes the same value.
    if (in_order_cached) |v| return v;
    var buf: [64 * 1024]u8 = undefined;
    const v = blk: {
        const f = std.fs.openFileAbsolute("/proc/cpuinfo", .{}) catch break :blk false;
        defer f.close();
        const n = f.readAll(&buf) catch break :blk false;
        break :blk inOrderFromCpuinfo(buf[0..n]) orelse false;
    };
    in_order_cached = v;
    return v;
}

test "inOrderFromCpuinfo: Pi 3 (A53) yes, Pi 4 (A72) no, a big.LITTLE phone (A55 + A76) no, x86 and qemu unknown" {
    const pi3 =
        \\processor       : 0
        \\BogoMIPS        : 38.40
        \\Features        : fp asimd evtstrm crc32 cpuid
        \\CPU implementer : 0x41
        \\CPU architecture: 8
        \\CPU variant     : 0x0
        \\CPU part        : 0xd03
        \\CPU revision    : 4
        \\
        \\processor       : 1
        \\CPU implementer : 0x41
        \\CPU part        : 0xd03
        \\
        \\Hardware        : BCM2835
        \\Model           : Raspberry Pi 3 Model B Plus Rev 1.3
    ;
    try std.testing.expectEqual(@as(?bool, true), inOrderFromCpuinfo(pi3));
    const pi4 =
        \\processor       : 0
        \\CPU implementer : 0x41
        \\CPU architecture: 8
        \\CPU part        : 0xd08
        \\processor       : 1
        \\CPU implementer : 0x41
        \\CPU part        : 0xd08
        \\Model           : Raspberry Pi 4 Model B Rev 1.4
    ;
    try std.testing.expectEqual(@as(?bool, false), inOrderFromCpuinfo(pi4));
    // Snapdragon 855-like: little A55s listed first, then the big cores; the big ones win.
    const phone =
        \\processor       : 0
        \\CPU implementer : 0x41
        \\CPU part        : 0xd05
        \\processor       : 4
        \\CPU implementer : 0x41
        \\CPU part        : 0xd0b
    ;
    try std.testing.expectEqual(@as(?bool, false), inOrderFromCpuinfo(phone));
    const a55_only = "CPU implementer\t: 0x41\nCPU part\t: 0xd05\r\nCPU implementer\t: 0x41\nCPU part\t: 0xd05\n";
    try std.testing.expectEqual(@as(?bool, true), inOrderFromCpuinfo(a55_only));
    // Another implementer's part 0xd03 is not a Cortex-A53.
    try std.testing.expectEqual(@as(?bool, false), inOrderFromCpuinfo("CPU implementer\t: 0x51\nCPU part\t: 0xd03\n"));
    try std.testing.expectEqual(@as(?bool, null), inOrderFromCpuinfo("processor\t: 0\nvendor_id\t: AuthenticAMD\n"));
    try std.testing.expectEqual(@as(?bool, null), inOrderFromCpuinfo(""));
}
