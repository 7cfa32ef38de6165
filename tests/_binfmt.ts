/**
 * Small readers for the three shared-library formats libonebit is built in
 * (ELF, Mach-O, PE), enough for the tests to check a library's CPU, kind,
 * dependencies and exported symbols without running it. 64-bit
 * little-endian files only; anything else is an assertion failure.
 * @module
 */
import assert from "node:assert/strict";

/**
 * The bytes of `zig-out/lib/<triple>/<file>`; a missing file fails with how to build it.
 */
export function readBuiltLibrary(triple: string, file: string): Uint8Array {
  const url = new URL(`../zig-out/lib/${triple}/${file}`, import.meta.url);
  try {
    return Deno.readFileSync(url);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(
      `zig-out/lib/${triple}/${file} is missing: run tools/setup.sh --cross ` +
        `(or .tools/zig/ziglang/zig build -Dtarget=${triple})`,
    );
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The NUL-terminated string at `offset` (bounded by `end`). */
function cstr(bytes: Uint8Array, offset: number, end = bytes.length): string {
  let stop = offset;
  while (stop < end && bytes[stop] !== 0) stop++;
  return new TextDecoder().decode(bytes.subarray(offset, stop));
}

// ---------------------------------------------------------------------------------------------------------------- ELF

/** An ELF64 shared object, as far as the tests look. */
export interface Elf {
  /** e_machine: 62 x86-64, 183 AArch64. */
  machine: number;
  /** e_type: 3 is ET_DYN (a shared object). */
  type: number;
  /** p_align of every PT_LOAD segment. */
  loadAligns: number[];
  /** DT_NEEDED library names. */
  needed: string[];
  /** Section names. */
  sections: string[];
  /** Defined global or weak functions in .dynsym with default or protected visibility: what dlsym finds. */
  exportedFunctions: string[];
}

export function parseElf(bytes: Uint8Array): Elf {
  const v = view(bytes);
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
    return {
      name: u32(o),
      type: u32(o + 4),
      offset: u64(o + 0x18),
      size: u64(o + 0x20),
      link: u32(o + 0x28),
      entsize: u64(o + 0x38),
    };
  };
  const all = Array.from({ length: shnum }, (_, i) => sec(i));
  const shstr = all[shstrndx];
  const sections = all.map((s) => cstr(bytes, shstr.offset + s.name));
  const needed: string[] = [];
  const dynstr = all[sections.indexOf(".dynstr")];
  if (dynamic && dynstr) {
    for (let o = dynamic.offset; o < dynamic.offset + dynamic.size; o += 16) {
      const tag = u64(o);
      if (tag === 0) break;
      if (tag === 1) needed.push(cstr(bytes, dynstr.offset + u64(o + 8)));
    }
  }
  const exportedFunctions: string[] = [];
  const dynsym = all.find((s) => s.type === 11); // SHT_DYNSYM
  if (dynsym) {
    const strings = all[dynsym.link];
    for (let o = dynsym.offset; o < dynsym.offset + dynsym.size; o += dynsym.entsize || 24) {
      const info = bytes[o + 4], visibility = bytes[o + 5] & 3, shndx = u16(o + 6);
      const bind = info >> 4, type = info & 0xf;
      const global = bind === 1 || bind === 2; // STB_GLOBAL, STB_WEAK
      const visible = visibility === 0 || visibility === 3; // STV_DEFAULT, STV_PROTECTED
      if (shndx !== 0 && global && visible && type === 2) { // defined STT_FUNC
        exportedFunctions.push(cstr(bytes, strings.offset + u32(o)));
      }
    }
  }
  return { machine: u16(0x12), type: u16(0x10), loadAligns, needed, sections, exportedFunctions };
}

// ------------------------------------------------------------------------------------------------------------- Mach-O

export const MH_MAGIC_64 = 0xfeedfacf;
export const CPU_TYPE_X86_64 = 0x01000007;
export const CPU_TYPE_ARM64 = 0x0100000c;
export const MH_DYLIB = 6;
/** LC_BUILD_VERSION platform numbers. */
export const PLATFORM_MACOS = 1;

/** A 64-bit Mach-O file (not a fat/universal one), as far as the tests look. */
export interface MachO {
  cputype: number;
  /** 6 is MH_DYLIB. */
  filetype: number;
  /** LC_ID_DYLIB: the library's own install name. */
  installName: string | undefined;
  /** LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB: the libraries it links. */
  dylibs: string[];
  /** LC_BUILD_VERSION: platform (1 macOS, 2 iOS, ...) and minimum OS version "major.minor.patch". */
  platform: number | undefined;
  minos: string | undefined;
  /** Has an LC_CODE_SIGNATURE (arm64 macOS runs no unsigned code, not even ad-hoc unsigned). */
  codeSigned: boolean;
  /** Names in the exports trie (LC_DYLD_INFO_ONLY or LC_DYLD_EXPORTS_TRIE): what dlsym finds. C names carry a leading `_`. */
  trieExports: string[];
  /** Externally visible defined symbols of LC_SYMTAB (N_EXT, N_SECT). */
  symtabExports: string[];
}

/** Reads an unsigned LEB128 number at `offset`: [value, next offset]. */
function uleb(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0, scale = 1, o = offset;
  for (;;) {
    assert.ok(o < bytes.length, "ULEB128 runs past the end of the file");
    const b = bytes[o++];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, o];
  }
}

/** Every terminal name of a Mach-O exports trie starting at `start`, `size` bytes long. */
function exportsTrie(bytes: Uint8Array, start: number, size: number): string[] {
  const names: string[] = [];
  const seen = new Set<number>();
  const visit = (node: number, prefix: string) => {
    assert.ok(node < size && !seen.has(node), `exports trie node at ${node} is out of range or revisited`);
    seen.add(node);
    const [terminalSize, afterSize] = uleb(bytes, start + node);
    if (terminalSize > 0) names.push(prefix);
    let o = afterSize + terminalSize;
    const children = bytes[o++];
    for (let i = 0; i < children; i++) {
      const edge = cstr(bytes, o, start + size);
      o += new TextEncoder().encode(edge).length + 1;
      const [child, next] = uleb(bytes, o);
      o = next;
      visit(child, prefix + edge);
    }
  };
  if (size > 0) visit(0, "");
  return names;
}

export function parseMachO(bytes: Uint8Array): MachO {
  const v = view(bytes);
  const u32 = (o: number) => v.getUint32(o, true);
  assert.equal(u32(0), MH_MAGIC_64, `not a 64-bit little-endian Mach-O file (magic 0x${u32(0).toString(16)})`);
  const result: MachO = {
    cputype: u32(4),
    filetype: u32(12),
    installName: undefined,
    dylibs: [],
    platform: undefined,
    minos: undefined,
    codeSigned: false,
    trieExports: [],
    symtabExports: [],
  };
  const ncmds = u32(16);
  let o = 32; // sizeof(mach_header_64)
  for (let i = 0; i < ncmds; i++) {
    const cmd = u32(o), size = u32(o + 4);
    assert.ok(size >= 8 && o + size <= bytes.length, `load command ${i} (0x${cmd.toString(16)}) is malformed`);
    const dylibName = () => cstr(bytes, o + u32(o + 8), o + size);
    switch (cmd) {
      case 0x0d: // LC_ID_DYLIB
        result.installName = dylibName();
        break;
      case 0x0c: // LC_LOAD_DYLIB
      case 0x80000018: // LC_LOAD_WEAK_DYLIB
      case 0x8000001f: // LC_REEXPORT_DYLIB
        result.dylibs.push(dylibName());
        break;
      case 0x32: { // LC_BUILD_VERSION
        const minos = u32(o + 12);
        result.platform = u32(o + 8);
        result.minos = `${minos >>> 16}.${(minos >> 8) & 0xff}.${minos & 0xff}`;
        break;
      }
      case 0x1d: // LC_CODE_SIGNATURE
        result.codeSigned = u32(o + 12) > 0;
        break;
      case 0x22: // LC_DYLD_INFO
      case 0x80000022: // LC_DYLD_INFO_ONLY
        result.trieExports.push(...exportsTrie(bytes, u32(o + 40), u32(o + 44)));
        break;
      case 0x80000033: // LC_DYLD_EXPORTS_TRIE
        result.trieExports.push(...exportsTrie(bytes, u32(o + 8), u32(o + 12)));
        break;
      case 0x02: { // LC_SYMTAB
        const symoff = u32(o + 8), nsyms = u32(o + 12), stroff = u32(o + 16), strsize = u32(o + 20);
        for (let s = 0; s < nsyms; s++) {
          const e = symoff + s * 16; // nlist_64
          const type = bytes[e + 4];
          const stab = (type & 0xe0) !== 0, external = (type & 0x01) !== 0, inSection = (type & 0x0e) === 0x0e;
          if (!stab && external && inSection) result.symtabExports.push(cstr(bytes, stroff + u32(e), stroff + strsize));
        }
        break;
      }
    }
    o += size;
  }
  return result;
}

// ----------------------------------------------------------------------------------------------------------------- PE

export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
export const IMAGE_FILE_MACHINE_ARM64 = 0xaa64;
export const IMAGE_FILE_DLL = 0x2000;
export const PE32_PLUS = 0x20b;

/** A PE32+ image (a 64-bit Windows DLL or EXE), as far as the tests look. */
export interface Pe {
  machine: number;
  /** COFF characteristics: IMAGE_FILE_DLL (0x2000) for a DLL. */
  characteristics: number;
  /** Optional header magic: 0x20b is PE32+. */
  magic: number;
  /** The export directory's DLL name. */
  dllName: string | undefined;
  /** Names in the export directory: what GetProcAddress finds by name. */
  exports: string[];
  /** DLLs named by the import directory. */
  imports: string[];
}

export function parsePe(bytes: Uint8Array): Pe {
  const v = view(bytes);
  const u16 = (o: number) => v.getUint16(o, true);
  const u32 = (o: number) => v.getUint32(o, true);
  assert.equal(u16(0), 0x5a4d, "not a PE file (no MZ header)");
  const pe = u32(0x3c);
  assert.equal(u32(pe), 0x4550, "not a PE file (no PE\\0\\0 signature)");
  const coff = pe + 4;
  const machine = u16(coff), sectionCount = u16(coff + 2), optionalSize = u16(coff + 16);
  const characteristics = u16(coff + 18);
  const opt = coff + 20;
  const magic = u16(opt);
  assert.equal(magic, PE32_PLUS, `not PE32+ (optional header magic 0x${magic.toString(16)})`);
  const directories = u32(opt + 108);
  const directory = (i: number) =>
    i < directories ? { rva: u32(opt + 112 + 8 * i), size: u32(opt + 116 + 8 * i) } : undefined;
  const sections = Array.from({ length: sectionCount }, (_, i) => {
    const s = opt + optionalSize + 40 * i;
    return { va: u32(s + 12), vsize: Math.max(u32(s + 8), u32(s + 16)), raw: u32(s + 20) };
  });
  const offset = (rva: number) => {
    const s = sections.find((s) => rva >= s.va && rva < s.va + s.vsize);
    assert.ok(s, `RVA 0x${rva.toString(16)} is in no section`);
    return rva - s.va + s.raw;
  };
  const exports: string[] = [];
  let dllName: string | undefined;
  const exp = directory(0);
  if (exp && exp.size > 0) {
    const d = offset(exp.rva);
    dllName = cstr(bytes, offset(u32(d + 12)));
    const names = u32(d + 24), namesAt = offset(u32(d + 32));
    for (let i = 0; i < names; i++) exports.push(cstr(bytes, offset(u32(namesAt + 4 * i))));
  }
  const imports: string[] = [];
  const imp = directory(1);
  if (imp && imp.size > 0) {
    for (let d = offset(imp.rva);; d += 20) {
      const name = u32(d + 12);
      if (name === 0 && u32(d) === 0 && u32(d + 16) === 0) break;
      imports.push(cstr(bytes, offset(name)));
    }
  }
  return { machine, characteristics, magic, dllName, exports, imports };
}
