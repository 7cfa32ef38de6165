//! The one list of binary-GEMM micro-kernels. It feeds the per-ISA objects
//! (isa_object.zig instantiates what it names), run-time selection
//! (select.zig), the tests and the benchmarks (through onebit_ukernel_info).
//!
//! Naming: `bgemm_{mr}x{nr}__{isa}`, mr output pixels by nr output channels.
const std = @import("std");
const abi = @import("abi.zig");

/// `wasmsimd`: WebAssembly SIMD128; `wasmrelaxed`: plus relaxed SIMD. A wasm module
/// is validated as a whole, so there is no run-time choice: each wasm build is
/// compiled with its features throughout and lists only the kernels they allow.
pub const Isa = enum { scalar, avx2, avx512vpopcnt, neon, wasmsimd, wasmrelaxed };

/// How a kernel counts bits.
pub const Mode = enum {
    /// Scalar u32 popcount per (pixel, channel, word).
    scalar,
    /// Byte popcount (`cnt.16b`, AVX2 nibble table) added into u8 lanes for
    /// at most 31 depth words, then folded into u32 lanes.
    bytes,
    /// u32 lane popcount (AVX-512 VPOPCNTDQ `vpopcntd`) added into u32 lanes.
    u32,
    /// Depth-contiguous (bgemm_inorder.zig): 4 depth words of a row and of a channel in one vector each, byte counts
    /// summed by an addp tree into u16 lanes; no broadcast. nr = 4 (lanes = 4, nv = 1).
    depth,
};

/// The cores a kernel is chosen for when the caller asks for none (select.zig).
pub const Cores = enum {
    /// Any CPU with the ISA: the list's last such kernel is the default.
    any,
    /// Only in-order cores (Cortex-A53/A55, cpu.zig): the default there, never elsewhere.
    in_order,
};

pub const Entry = struct {
    name: []const u8,
    isa: Isa,
    /// Output pixels per tile.
    mr: usize,
    /// u32 lanes per vector register (1 for scalar).
    lanes: usize,
    /// Vectors of output channels per tile: nr = lanes * nv.
    nv: usize,
    mode: Mode,
    cores: Cores = .any,

    pub fn nr(e: Entry) usize {
        return e.lanes * e.nv;
    }
};

/// Output channels are packed in blocks of this many (one bitpacked word).
pub const channel_block = abi.channel_block;

pub const all = [_]Entry{
    .{ .name = "bgemm_4x8__scalar", .isa = .scalar, .mr = 4, .lanes = 1, .nv = 8, .mode = .scalar },
    .{ .name = "bgemm_4x16__avx2", .isa = .avx2, .mr = 4, .lanes = 8, .nv = 2, .mode = .bytes },
    .{ .name = "bgemm_8x32__avx512vpopcnt", .isa = .avx512vpopcnt, .mr = 8, .lanes = 16, .nv = 2, .mode = .u32 },
    .{ .name = "bgemm_6x8__neon", .isa = .neon, .mr = 6, .lanes = 4, .nv = 2, .mode = .bytes },
    // Scheduled for in-order cores: before 4x16 in the list, which stays the default elsewhere.
    .{ .name = "bgemm_8x4__neon", .isa = .neon, .mr = 8, .lanes = 4, .nv = 1, .mode = .depth, .cores = .in_order },
    .{ .name = "bgemm_4x16__neon", .isa = .neon, .mr = 4, .lanes = 4, .nv = 4, .mode = .bytes },
    // i8x16.popcnt into u8 lanes (one `cnt` on arm64 engines; on x86 ones a pshufb sequence, as AVX2's). A
    // v128 is an xmm register there: 16, one of them the engine's scratch.
    .{ .name = "bgemm_4x8__wasmsimd", .isa = .wasmsimd, .mr = 4, .lanes = 4, .nv = 2, .mode = .bytes },
    .{ .name = "bgemm_3x16__wasmsimd", .isa = .wasmsimd, .mr = 3, .lanes = 4, .nv = 4, .mode = .bytes },
};

/// A float GEMM micro-kernel (sgemm_ukernel.zig): mr rows by nr = lanes*nv channels.
pub const SgemmEntry = struct {
    name: []const u8,
    isa: Isa,
    mr: usize,
    /// f32 lanes per vector register.
    lanes: usize,
    nv: usize,
    /// Fused multiply-add (the baseline x86-64-v2 object has none).
    fma: bool,

    pub fn nr(e: SgemmEntry) usize {
        return e.lanes * e.nv;
    }
};

/// Float micro-kernels, most portable first. The AVX-512 one lives in the
/// avx512vpopcnt object, so it needs that object's features (VPOPCNTDQ
/// included); AVX-512 CPUs without VPOPCNTDQ run the AVX2 kernel.
pub const sgemm_all = [_]SgemmEntry{
    .{ .name = "sgemm_4x8__scalar", .isa = .scalar, .mr = 4, .lanes = 4, .nv = 2, .fma = false },
    .{ .name = "sgemm_6x16__avx2", .isa = .avx2, .mr = 6, .lanes = 8, .nv = 2, .fma = true },
    .{ .name = "sgemm_8x32__avx512", .isa = .avx512vpopcnt, .mr = 8, .lanes = 16, .nv = 2, .fma = true },
    .{ .name = "sgemm_8x8__neon", .isa = .neon, .mr = 8, .lanes = 4, .nv = 2, .fma = true },
    // SIMD128 has no FMA: mul then add. Relaxed SIMD's madd fuses where the CPU has FMA (then bit-equal to the
    // TS reference, as the native FMA kernels are).
    .{ .name = "sgemm_4x16__wasmsimd", .isa = .wasmsimd, .mr = 4, .lanes = 4, .nv = 4, .fma = false },
    .{ .name = "sgemm_6x8__wasmrelaxed", .isa = .wasmrelaxed, .mr = 6, .lanes = 4, .nv = 2, .fma = true },
};

pub fn sgemmForCpu(comptime cpu: std.Target.Cpu) []const SgemmEntry {
    comptime {
        var list: []const SgemmEntry = &.{};
        for (sgemm_all) |e| {
            if (isaOnCpu(e.isa, cpu)) list = list ++ [_]SgemmEntry{e};
        }
        return list;
    }
}

/// Whether objects for `isa` are built for a library of base CPU `cpu` at all: by its
/// architecture (the native ISAs are chosen at run time), and for wasm by the
/// module's features too.
pub fn isaOnCpu(isa: Isa, cpu: std.Target.Cpu) bool {
    const arch = cpu.arch;
    return switch (isa) {
        .scalar => true,
        .avx2, .avx512vpopcnt => arch == .x86_64,
        .neon => arch == .aarch64,
        .wasmsimd => arch.isWasm(),
        .wasmrelaxed => arch.isWasm() and std.Target.wasm.featureSetHas(cpu.features, .relaxed_simd),
    };
}

/// The kernels built for `cpu`, in list order: indices into this are the
/// `ukernel` numbers of the ABI.
pub fn forCpu(comptime cpu: std.Target.Cpu) []const Entry {
    comptime {
        var list: []const Entry = &.{};
        for (all) |e| {
            if (isaOnCpu(e.isa, cpu)) list = list ++ [_]Entry{e};
        }
        return list;
    }
}

comptime {
    for (all) |e| {
        std.debug.assert(channel_block % e.nr() == 0);
        std.debug.assert(e.name.len < 40);
    }
    for (sgemm_all) |e| {
        std.debug.assert(channel_block % e.nr() == 0);
        std.debug.assert(e.name.len < 40);
    }
}
