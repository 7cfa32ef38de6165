//! libonebit: the native kernels behind onebit's runtime.
//!
//!   zig build                                   host library, ReleaseFast
//!   zig build -Dtarget=aarch64-linux-gnu        Linux ARM64 (glibc, threads)
//!   zig build -Dtarget=aarch64-linux-android    Android ARM64 (no libc: one thread)
//!   zig build -Dtarget=x86_64-macos             macOS Intel (libSystem, threads)
//!   zig build -Dtarget=aarch64-macos            macOS Apple silicon (libSystem, threads)
//!   zig build -Dtarget=x86_64-windows-gnu       Windows x64 (kernel32 only, threads)
//!   zig build -Dtarget=aarch64-windows-gnu      Windows ARM64 (kernel32 only, threads)
//!   zig build test [-Dtarget=aarch64-linux-musl -fqemu]   Zig unit tests (ReleaseSafe)
//!   zig build abi                               prints kernels/_abi_generated.ts
//!   zig build wasm                              zig-out/wasm/onebit.wasm (SIMD128) and onebit_relaxed.wasm
//!                                               (+ relaxed SIMD): wasm32-freestanding, one thread, no imports
//!                                               (-Dtarget=wasm32-freestanding builds the same)
//!   zig build update-wasm                       the same two modules into kernels/wasm/ (`deno task build:wasm`)
//!
//! The library lands in zig-out/lib/<arch>-<os>-<abi>/: libonebit.so on
//! Linux and Android, libonebit.dylib on macOS (<abi> is "none"), onebit.dll
//! on Windows. Each micro-kernel ISA is compiled as its own object with that
//! ISA's CPU features and linked into the one library; select.zig picks kernels
//! at run time from the CPU's features, so one x86_64 library serves any
//! x86-64-v2 CPU.
//!
//! The WebAssembly modules are committed in kernels/wasm/ so that a user who
//! imports onebit by URL needs no Zig: `zig build update-wasm` rewrites them
//! there (a step of their own, so that `zig build wasm --prefix <dir>` can
//! rebuild them elsewhere, which tests/kernels_wasm_build_test.ts does and
//! compares byte for byte with the committed ones).
const std = @import("std");
const uk = @import("kernels_zig/ukernels.zig");

pub fn build(b: *std.Build) void {
    var query = b.standardTargetOptionsQueryOnly(.{});
    // A portable baseline unless -Dcpu says otherwise: faster ISAs come from
    // the per-ISA objects, chosen at run time.
    if (query.cpu_model == .determined_by_arch_os or query.cpu_model == .native) {
        const arch = query.cpu_arch orelse @import("builtin").cpu.arch;
        query.cpu_model = if (arch == .x86_64) .{ .explicit = &std.Target.x86.cpu.x86_64_v2 } else .baseline;
    }
    // macOS: as old as Deno itself runs on (Deno 2.9's binaries say 12.0), not Zig's default (13.0).
    if (query.os_tag == .macos and query.os_version_min == null) {
        query.os_version_min = .{ .semver = .{ .major = 12, .minor = 0, .patch = 0 } };
    }
    const target = b.resolveTargetQuery(query);
    const optimize_option = b.option(std.builtin.OptimizeMode, "optimize", "Optimization mode (library: ReleaseFast, tests: ReleaseSafe)");
    const optimize = optimize_option orelse .ReleaseFast;
    const test_optimize = optimize_option orelse .ReleaseSafe;
    // Without debug info the library's bytes do not depend on the checkout's path: the same sources and Zig give
    // the same file anywhere, which the release manifest's digests rely on (tools/release.ts).
    const strip = b.option(bool, "strip", "Strip debug info from the library (default true: reproducible bytes)") orelse true;

    const t = target.result;
    const wasm_step = b.step("wasm", "Build the WebAssembly modules zig-out/wasm/onebit{,_relaxed,_threads,_threads_simd128}.wasm");
    const update_wasm = b.addUpdateSourceFiles();
    b.step("update-wasm", "Rewrite the committed modules kernels/wasm/onebit{,_relaxed,_threads,_threads_simd128}.wasm").dependOn(&update_wasm.step);
    for (wasm_modules) |m| {
        const exe = addWasm(b, optimize, m.name, m.features);
        const install = b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "wasm" } } });
        wasm_step.dependOn(&install.step);
        update_wasm.addCopyFileToSource(exe.getEmittedBin(), b.fmt("kernels/wasm/{s}.wasm", .{m.name}));
    }
    if (t.cpu.arch.isWasm()) {
        // -Dtarget=wasm32-...: the install step is the wasm module (no native library, no tests).
        b.getInstallStep().dependOn(wasm_step);
        return;
    }
    // Android has no glibc and Zig ships no bionic: that build links no libc
    // and so runs single-threaded (kernels_zig/thread_pool.zig). Windows links no
    // libc either: its threads and futex are kernel32/ntdll, which Zig's std
    // calls directly, so the DLL needs no C runtime.
    const link_libc = t.abi != .android and t.os.tag != .windows;
    const triple = b.fmt("{s}-{s}-{s}", .{ @tagName(t.cpu.arch), @tagName(t.os.tag), @tagName(t.abi) });

    const lib = b.addLibrary(.{
        .linkage = .dynamic,
        .name = "onebit",
        .root_module = rootModule(b, target, optimize, link_libc, strip),
    });
    addIsaObjects(b, lib, query, optimize, link_libc, strip);
    // dladdr/dlopen (kernels_zig/thread_pool.zig) live in libdl before glibc 2.34.
    if (link_libc and t.os.tag == .linux and t.abi.isGnu()) lib.root_module.linkSystemLibrary("dl", .{});
    if (t.abi == .android) {
        // Android 15+ devices may use 16 KiB pages.
        lib.link_z_max_page_size = 16384;
        lib.link_z_common_page_size = 16384;
    }
    // Windows: the DLL (and its .pdb) go beside the others; no import library.
    const install = b.addInstallArtifact(lib, .{
        .dest_dir = .{ .override = .{ .custom = b.fmt("lib/{s}", .{triple}) } },
        .implib_dir = .disabled,
    });
    b.getInstallStep().dependOn(&install.step);

    const tests = b.addTest(.{ .root_module = rootModule(b, target, test_optimize, link_libc, false) });
    addIsaObjects(b, tests, query, test_optimize, link_libc, false);
    const run_tests = b.addRunArtifact(tests);
    b.step("test", "Run the Zig unit tests").dependOn(&run_tests.step);

    const gen = b.addExecutable(.{
        .name = "gen_abi",
        .root_module = b.createModule(.{
            .root_source_file = b.path("kernels_zig/gen_abi.zig"),
            .target = b.graph.host,
            .optimize = .Debug,
        }),
    });
    const run_gen = b.addRunArtifact(gen);
    b.step("abi", "Print the generated TypeScript ABI bindings").dependOn(&run_gen.step);
}

/// The WebAssembly modules: an engine refuses a whole module that uses a feature it lacks, hence one module per
/// feature set (kernels/wasm.ts loads the relaxed one where the engine has relaxed SIMD). Beyond SIMD128: bulk
/// memory (memory.copy/fill for memcpy/memset) and non-trapping float-to-int conversions, which every engine with
/// SIMD128 has (V8 since Chrome 75, Firefox 64, Safari 15).
const wasm_modules = [_]struct { name: []const u8, features: []const std.Target.wasm.Feature }{
    .{ .name = "onebit", .features = &.{ .simd128, .bulk_memory, .nontrapping_fptoint } },
    .{ .name = "onebit_relaxed", .features = &.{ .simd128, .bulk_memory, .nontrapping_fptoint, .relaxed_simd } },
    // Opt-in (kernels/wasm_threads.ts): relaxed SIMD + atomics on an imported shared memory, whose host runs the
    // thread pool's workers.
    .{ .name = "onebit_threads", .features = &.{ .simd128, .bulk_memory, .nontrapping_fptoint, .relaxed_simd, .atomics } },
    // The same without relaxed SIMD, for engines that lack it.
    .{ .name = "onebit_threads_simd128", .features = &.{ .simd128, .bulk_memory, .nontrapping_fptoint, .atomics } },
};

/// The threaded module's shared memory maximum: a shared memory must declare one, and engines reserve it up front.
pub const wasm_threads_max_memory = 1 << 30;

/// A module: root.zig's exports plus an allocator (kernels_zig/wasm.zig), with the wasm micro-kernels its
/// `features` allow linked in as ISA objects like the native ones. wasm32-freestanding: no WASI imports to
/// provide.
fn addWasm(b: *std.Build, optimize: std.builtin.OptimizeMode, name: []const u8, features: []const std.Target.wasm.Feature) *std.Build.Step.Compile {
    const query: std.Target.Query = .{
        .cpu_arch = .wasm32,
        .os_tag = .freestanding,
        .cpu_model = .{ .explicit = &std.Target.wasm.cpu.generic },
        .cpu_features_add = std.Target.wasm.featureSet(features),
    };
    const threads = std.mem.indexOfScalar(std.Target.wasm.Feature, features, .atomics) != null;
    const exe = b.addExecutable(.{
        .name = name,
        .root_module = b.createModule(.{
            .root_source_file = b.path("kernels_zig/wasm.zig"),
            .target = b.resolveTargetQuery(query),
            .optimize = optimize,
            .single_threaded = !threads,
            .strip = optimize != .Debug, // DWARF would be 85% of the file
        }),
    });
    exe.entry = .disabled; // a library: no _start
    exe.rdynamic = true; // export every `export fn` (the ISA objects' symbols are hidden)
    if (threads) {
        // One memory for the main instance and every worker's: imported (the host makes it), shared, and sized up
        // front to its maximum (a shared memory must declare one): 1 GiB (kernels/wasm_threads.ts MAX_MEMORY).
        exe.import_memory = true;
        exe.shared_memory = true;
        exe.max_memory = wasm_threads_max_memory;
    }
    addIsaObjects(b, exe, query, optimize, false, optimize != .Debug);
    return exe;
}

fn rootModule(b: *std.Build, target: std.Build.ResolvedTarget, optimize: std.builtin.OptimizeMode, link_libc: bool, strip: bool) *std.Build.Module {
    return b.createModule(.{
        .root_source_file = b.path("kernels_zig/root.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = link_libc,
        .pic = true,
        .strip = strip,
    });
}

fn isaFeatures(isa: uk.Isa) std.Target.Cpu.Feature.Set {
    const x86 = std.Target.x86;
    return switch (isa) {
        .scalar, .neon => .empty,
        .avx2 => x86.featureSet(&.{ .avx2, .fma, .bmi2, .popcnt }),
        .avx512vpopcnt => x86.featureSet(&.{ .avx2, .fma, .bmi2, .popcnt, .avx512f, .avx512dq, .avx512bw, .avx512vl, .avx512vpopcntdq, .evex512 }),
        .wasmsimd, .wasmrelaxed => .empty, // the module's own features
    };
}

fn addIsaObjects(b: *std.Build, compile: *std.Build.Step.Compile, base: std.Target.Query, optimize: std.builtin.OptimizeMode, link_libc: bool, strip: bool) void {
    const cpu = b.resolveTargetQuery(base).result.cpu;
    const arch = cpu.arch;
    inline for (@typeInfo(uk.Isa).@"enum".fields) |field| {
        const isa: uk.Isa = @enumFromInt(field.value);
        if (uk.isaOnCpu(isa, cpu)) {
            var q = base;
            q.cpu_features_add.addFeatureSet(isaFeatures(isa)); // on top of the base's (wasm: the module's)
            // The x86-64-v2 base model splits every unaligned 32-byte load in two (slow_unaligned_mem_32, a
            // Sandy Bridge trait); no AVX2 CPU needs that.
            if (isa == .avx2 or isa == .avx512vpopcnt) q.cpu_features_sub.addFeature(@intFromEnum(std.Target.x86.Feature.slow_unaligned_mem_32));
            const options = b.addOptions();
            options.addOption([]const u8, "isa", field.name);
            const module = b.createModule(.{
                .root_source_file = b.path("kernels_zig/isa_object.zig"),
                .target = b.resolveTargetQuery(q),
                .optimize = optimize,
                .link_libc = link_libc,
                // Position-independent wasm would import its memory base and GOT entries.
                .pic = !arch.isWasm(),
                .single_threaded = if (arch.isWasm()) !std.Target.wasm.featureSetHas(cpu.features, .atomics) else null,
                .strip = strip,
            });
            module.addOptions("isa_options", options);
            const obj = b.addObject(.{ .name = "onebit_" ++ field.name, .root_module = module });
            compile.addObject(obj);
        }
    }
}
