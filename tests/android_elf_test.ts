/**
 * The Android build (zig build -Dtarget=aarch64-linux-android) is checked
 * as a file: an AArch64 shared object with no glibc symbol versions, no
 * NEEDED library that Android lacks, and LOAD segments aligned for 16 KiB
 * pages. It links no libc (Zig ships no bionic), so it runs single-threaded.
 */
import assert from "node:assert/strict";

const path = new URL("../zig-out/lib/aarch64-linux-android/libonebit.so", import.meta.url);

interface Elf {
  machine: number;
  type: number;
  loadAligns: number[];
  needed: string[];
  sections: string[];
}

function parseElf(bytes: Uint8Array): Elf {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "not an ELF file");
  assert.equal(bytes[4], 2, "not ELF64");
  assert.equal(bytes[5], 1, "not little-endian");
  const u16 = (o: number) => v.getUint16(o, true);
  const u32 = (o: number) => v.getUint32(o, true);
  const u64 = (o: number) => Number(v.getBigUint64(o, true));
  const phoff = u64(0x20), shoff = u64(0x28);
  const phentsize = u16(0x36), phnum = u16(0x38), shentsize = u16(0x3a), shnum = u16(0x3c), shstrndx = u16(0x3e);
  const loadAligns: number[] = [];
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const type = u32(o);
    if (type === 1) loadAligns.push(u64(o + 0x30));
    if (type === 2) dynamic = { offset: u64(o + 0x08), size: u64(o + 0x20) };
  }
  const sec = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: u32(o), type: u32(o + 4), addr: u64(o + 0x10), offset: u64(o + 0x18), size: u64(o + 0x20) };
  };
  const strtab = sec(shstrndx);
  const cstr = (off: number) => {
    let end = off;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(off, end));
  };
  const all = Array.from({ length: shnum }, (_, i) => sec(i));
  const sections = all.map((s) => cstr(strtab.offset + s.name));
  const needed: string[] = [];
  const dynstr = all[sections.indexOf(".dynstr")];
  if (dynamic && dynstr) {
    for (let o = dynamic.offset; o < dynamic.offset + dynamic.size; o += 16) {
      const tag = u64(o);
      if (tag === 0) break;
      if (tag === 1) needed.push(cstr(dynstr.offset + u64(o + 8)));
    }
  }
  return { machine: u16(0x12), type: u16(0x10), loadAligns, needed, sections };
}

Deno.test("Android library: AArch64 .so, no glibc versions, only Android's libraries, 16 KiB pages", () => {
  const elf = parseElf(Deno.readFileSync(path));
  assert.equal(elf.machine, 183, "e_machine is not EM_AARCH64");
  assert.equal(elf.type, 3, "not a shared object (ET_DYN)");
  assert.ok(!elf.sections.includes(".gnu.version_r"), "has glibc symbol version requirements");
  const android = new Set(["libc.so", "libm.so", "libdl.so", "liblog.so"]);
  for (const lib of elf.needed) assert.ok(android.has(lib), `NEEDED ${lib} is not an Android system library`);
  assert.ok(elf.loadAligns.length > 0);
  for (const a of elf.loadAligns) assert.ok(a >= 16384, `LOAD segment aligned to ${a}, Android 15 wants 16384`);
});

Deno.test("the ELF checker itself rejects the glibc build", () => {
  const glibc = new URL("../zig-out/lib/aarch64-linux-gnu/libonebit.so", import.meta.url);
  const elf = parseElf(Deno.readFileSync(glibc));
  assert.equal(elf.machine, 183);
  assert.ok(elf.needed.some((n) => n.startsWith("libc.so.6")), `glibc build should need libc.so.6: ${elf.needed}`);
});
