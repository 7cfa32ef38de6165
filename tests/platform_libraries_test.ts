/**
 * Every library `tools/setup.sh --cross` builds, checked as a file: its
 * format, CPU and kind, that it links only the OS's own libraries, and
 * that it exports every symbol of the C ABI (kernels/_abi_generated.ts)
 * and no other `onebit_` name (the micro-kernels stay hidden). macOS and
 * Windows libraries are only inspected here; the Linux and Android ones
 * also run the test suites (tools/test.sh).
 */
import assert from "node:assert/strict";
import { symbols } from "../kernels/abi.ts";
import {
  CPU_TYPE_ARM64,
  CPU_TYPE_X86_64,
  IMAGE_FILE_DLL,
  IMAGE_FILE_MACHINE_AMD64,
  IMAGE_FILE_MACHINE_ARM64,
  MH_DYLIB,
  parseElf,
  parseMachO,
  parsePe,
  PE32_PLUS,
  PLATFORM_MACOS,
  readBuiltLibrary,
} from "./_binfmt.ts";

const abiNames = Object.keys(symbols).sort();

/** `exported` has every ABI symbol, and its `onebit_` names are exactly the ABI's. */
function assertAbiExports(exported: string[], where: string): void {
  const names = new Set(exported);
  const missing = abiNames.filter((n) => !names.has(n));
  assert.deepEqual(missing, [], `${where} does not export ${missing.join(", ")}`);
  const extra = [...names].filter((n) => n.startsWith("onebit_") && !(n in symbols)).sort();
  assert.deepEqual(extra, [], `${where} exports onebit_ names outside the ABI: ${extra.join(", ")}`);
}

Deno.test("the ABI symbol list is not empty", () => {
  assert.ok(abiNames.length > 10, `only ${abiNames.length} ABI symbols`);
  assert.ok(abiNames.includes("onebit_abi_version") && abiNames.includes("onebit_abi_hash"));
});

const elfTargets = [
  { triple: "x86_64-linux-gnu", machine: 62, name: "EM_X86_64" },
  { triple: "aarch64-linux-gnu", machine: 183, name: "EM_AARCH64" },
  { triple: "aarch64-linux-android", machine: 183, name: "EM_AARCH64" },
];

for (const { triple, machine, name } of elfTargets) {
  Deno.test(`${triple}/libonebit.so: ELF shared object for ${name}, exports the ABI`, () => {
    const elf = parseElf(readBuiltLibrary(triple, "libonebit.so"));
    assert.equal(elf.machine, machine, `e_machine ${elf.machine} is not ${name} (${machine})`);
    assert.equal(elf.type, 3, "not a shared object (ET_DYN)");
    assertAbiExports(elf.exportedFunctions, `${triple}/libonebit.so (.dynsym)`);
  });
}

const machOTargets = [
  { triple: "x86_64-macos-none", cputype: CPU_TYPE_X86_64, name: "x86_64" },
  { triple: "aarch64-macos-none", cputype: CPU_TYPE_ARM64, name: "arm64" },
];

for (const { triple, cputype, name } of machOTargets) {
  Deno.test(`${triple}/libonebit.dylib: Mach-O 64 dylib for ${name}, macOS, libSystem only, exports the ABI`, () => {
    const m = parseMachO(readBuiltLibrary(triple, "libonebit.dylib"));
    assert.equal(m.cputype, cputype, `cputype 0x${m.cputype.toString(16)} is not ${name} (0x${cputype.toString(16)})`);
    assert.equal(m.filetype, MH_DYLIB, `filetype ${m.filetype} is not MH_DYLIB`);
    assert.equal(m.platform, PLATFORM_MACOS, `LC_BUILD_VERSION platform ${m.platform} is not macOS`);
    assert.equal(m.installName, "@rpath/libonebit.dylib");
    // Deno 2.9's own macOS binaries need macOS 12.0 (their LC_BUILD_VERSION); the library should not need more.
    assert.ok(m.minos && Number(m.minos.split(".")[0]) <= 12, `needs macOS ${m.minos}, Deno runs on 12.0`);
    for (const d of m.dylibs) assert.match(d, /^\/usr\/lib\/libSystem\.B\.dylib$/, `links ${d}, not only libSystem`);
    // Apple silicon runs no unsigned code: the linker's ad-hoc signature must be there.
    if (cputype === CPU_TYPE_ARM64) assert.ok(m.codeSigned, "arm64 dylib has no LC_CODE_SIGNATURE");
    // C symbols carry a leading underscore in Mach-O; dlsym("onebit_...") finds "_onebit_...".
    const c = (names: string[]) => names.filter((n) => n.startsWith("_")).map((n) => n.slice(1));
    assertAbiExports(c(m.trieExports), `${triple}/libonebit.dylib (exports trie)`);
    assertAbiExports(c(m.symtabExports), `${triple}/libonebit.dylib (LC_SYMTAB)`);
  });
}

const peTargets = [
  { triple: "x86_64-windows-gnu", machine: IMAGE_FILE_MACHINE_AMD64, name: "x64 (AMD64)" },
  { triple: "aarch64-windows-gnu", machine: IMAGE_FILE_MACHINE_ARM64, name: "ARM64" },
];

for (const { triple, machine, name } of peTargets) {
  Deno.test(`${triple}/onebit.dll: PE32+ DLL for ${name}, core Windows DLLs only, exports the ABI`, () => {
    const pe = parsePe(readBuiltLibrary(triple, "onebit.dll"));
    assert.equal(pe.magic, PE32_PLUS);
    assert.equal(
      pe.machine,
      machine,
      `machine 0x${pe.machine.toString(16)} is not ${name} (0x${machine.toString(16)})`,
    );
    assert.ok(pe.characteristics & IMAGE_FILE_DLL, "IMAGE_FILE_DLL is not set");
    assert.equal(pe.dllName, "onebit.dll");
    // No C runtime: threads, futex and module pinning come from kernel32/ntdll (kernels_zig/thread_pool.zig).
    const system = new Set(["kernel32.dll", "ntdll.dll"]);
    for (const d of pe.imports) assert.ok(system.has(d.toLowerCase()), `imports ${d}, not a core Windows DLL`);
    assertAbiExports(pe.exports, `${triple}/onebit.dll (export directory)`);
  });
}

Deno.test("the readers reject the wrong format", () => {
  const elf = readBuiltLibrary("x86_64-linux-gnu", "libonebit.so");
  assert.throws(() => parseMachO(elf), /not a 64-bit little-endian Mach-O/);
  assert.throws(() => parsePe(elf), /not a PE file/);
  assert.throws(() => parseElf(readBuiltLibrary("x86_64-windows-gnu", "onebit.dll")), /not an ELF file/);
});
