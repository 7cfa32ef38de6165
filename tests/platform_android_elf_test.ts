/**
 * The Android build (zig build -Dtarget=aarch64-linux-android) is checked
 * as a file: an AArch64 shared object with no glibc symbol versions, no
 * NEEDED library that Android lacks, and LOAD segments aligned for 16 KiB
 * pages. It links no libc (Zig ships no bionic), so it runs single-threaded.
 * It is also run, not only inspected: tools/test.sh loads it into Deno's
 * arm64 build under qemu (ONEBIT_LIB) for the kernel conformance suites.
 */
import assert from "node:assert/strict";
import { parseElf, readBuiltLibrary } from "./_binfmt.ts";

Deno.test("Android library: AArch64 .so, no glibc versions, only Android's libraries, 16 KiB pages", () => {
  const elf = parseElf(readBuiltLibrary("aarch64-linux-android", "libonebit.so"));
  assert.equal(elf.machine, 183, "e_machine is not EM_AARCH64");
  assert.equal(elf.type, 3, "not a shared object (ET_DYN)");
  assert.ok(!elf.sections.includes(".gnu.version_r"), "has glibc symbol version requirements");
  const android = new Set(["libc.so", "libm.so", "libdl.so", "liblog.so"]);
  for (const lib of elf.needed) assert.ok(android.has(lib), `NEEDED ${lib} is not an Android system library`);
  assert.ok(elf.loadAligns.length > 0);
  for (const a of elf.loadAligns) assert.ok(a >= 16384, `LOAD segment aligned to ${a}, Android 15 wants 16384`);
});

Deno.test("the ELF checker itself rejects the glibc build", () => {
  const elf = parseElf(readBuiltLibrary("aarch64-linux-gnu", "libonebit.so"));
  assert.equal(elf.machine, 183);
  assert.ok(elf.needed.some((n) => n.startsWith("libc.so.6")), `glibc build should need libc.so.6: ${elf.needed}`);
});
