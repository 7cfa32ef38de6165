/**
 * Loading libonebit (the Zig kernels) through Deno FFI.
 *
 * The library, first match wins:
 * 1. a library path given as an option (`path`),
 * 2. the `ONEBIT_LIB` environment variable (a path to a native library),
 * 3. this checkout's own build (`zig-out/lib/<triple>/<file>` next to this module); when this module was
 *    imported by URL, that file is downloaded once, checked against the SHA-256 digests pinned in
 *    `_native_manifest.ts` and cached (`native_release.ts`: at import, or with {@link prepareNative}).
 *
 * A library named by 1 or 2 must load: a missing, stale (other ABI) or
 * foreign (other OS or CPU) file is a {@link NativeLibraryError} naming the
 * file and the fix, never a silent fallback. When the checkout's build cannot
 * be used, backend.ts falls back to the WebAssembly kernels, then to the
 * TypeScript reference, and says so once.
 *
 * Threads: a call's `threads` are the calling thread plus workers of the
 * library's one thread pool. The pool belongs to the loaded library, so one
 * per process per library file: Deno Workers that load the same file share
 * it (the workers start on first use and live as long as the process). It
 * runs one call at a time; a call that finds it busy, from another Worker,
 * runs whole on its own thread rather than wait, with the same result bits.
 * @module
 */
import { ABI_HASH, ABI_VERSION, type KernelLibrary, nativeKernels, symbols } from "./abi.ts";
import { fetchReleaseLibrary, ReleaseError, type ReleaseOptions } from "./native_release.ts";

/** Why the native library could not be used. */
export class NativeLibraryError extends Error {
  /**
   * `missing`: no file; `abi`: built from other ABI declarations; `platform`: built for another OS or CPU;
   * `load`: dlopen failed; `permission`: --allow-ffi or --allow-read missing; `remote`: onebit was imported by URL
   * and its released library could not be fetched (`download`) or did not match its pinned digest (`digest`).
   */
  readonly reason: "missing" | "abi" | "platform" | "load" | "permission" | "remote" | "download" | "digest";
  /** An error of kind `reason`; `message` names the file and the fix. */
  constructor(reason: NativeLibraryError["reason"], message: string) {
    super(message);
    this.name = "NativeLibraryError";
    this.reason = reason;
  }
}

/**
 * The opened library: Deno's symbol table of libonebit, one FFI function per C export that
 * `kernels_zig/abi.zig` lists (`onebit_bgemm_f32`, …; each returns a status code, 0 = ok).
 * @ignore generated from abi.zig: read that file for the signatures.
 */
export type NativeSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** Options for {@link openNative}. */
export interface OpenNativeOptions {
  /** File path or file: URL of libonebit; default: `ONEBIT_LIB`, else the build output next to this module. */
  path?: string | URL;
}

/** Where a native library was named: the `path` option, `ONEBIT_LIB`, or this checkout's build. */
export type LibrarySource = "option" | "ONEBIT_LIB" | "checkout";

/** A loaded libonebit: its symbols and kernels, its file, and how it was found. */
export interface NativeLibrary extends KernelLibrary {
  /** Always `"native"`: the kernels run in libonebit through Deno FFI. */
  readonly backend: "native";
  /** Deno's symbol table of the library: every C export, unvalidated (use BinaryKernels/FloatKernels instead). */
  readonly symbols: NativeSymbols;
  /** How the file was named: the `path` option, `ONEBIT_LIB`, or this checkout's build. */
  readonly source: LibrarySource;
}

/** The `zig-out/lib/<triple>` folder name of this process's platform (Zig's target triple). */
export function platformTriple(): string {
  const { arch, os } = Deno.build;
  if (os === "darwin") return `${arch}-macos-none`;
  if (os === "windows") return `${arch}-windows-gnu`;
  return `${arch}-linux-${os === "android" ? "android" : "gnu"}`;
}

/** The library's file name on this platform: `libonebit.so`, `libonebit.dylib` or `onebit.dll`. */
export function libraryFileName(): string {
  const os = Deno.build.os;
  return os === "windows" ? "onebit.dll" : os === "darwin" ? "libonebit.dylib" : "libonebit.so";
}

/** Where `zig build` puts the library for this platform, relative to this module. */
export function defaultLibraryUrl(): URL {
  return new URL(`../zig-out/lib/${platformTriple()}/${libraryFileName()}`, import.meta.url);
}

const cache = new Map<string, NativeLibrary>();

/** The released library of a module imported by URL: its cached path, or why there is none. */
const release: { path?: string; error?: NativeLibraryError } = {};

/**
 * Fetches this platform's released library when onebit was imported by URL (see `native_release.ts`): from the
 * cache, else downloaded from beside the module and checked against the pinned digest. Runs once at import when the
 * module URL is remote and `--allow-ffi` is granted; call it to use another cache directory or to retry. Resolves to
 * the library's path, or rejects with a {@link NativeLibraryError} naming the file and the fix.
 */
export async function prepareNative(options: ReleaseOptions = {}): Promise<string> {
  const url = defaultLibraryUrl();
  if (url.protocol === "file:") return fileUrlToPath(url);
  try {
    release.path = await fetchReleaseLibrary(url, platformTriple(), options);
    release.error = undefined;
    return release.path;
  } catch (e) {
    if (!(e instanceof ReleaseError)) throw e;
    const reason = e.reason === "digest" || e.reason === "download" ? e.reason : "remote";
    release.error = new NativeLibraryError(reason, e.message);
    throw release.error;
  }
}

function remoteError(url: URL, source: LibrarySource): NativeLibraryError {
  if (source !== "checkout") {
    return new NativeLibraryError(
      "remote",
      `${url.href}${NAMED_BY[source]} is not a file: name a local libonebit built for ${platformTriple()}`,
    );
  }
  return release.error ?? new NativeLibraryError(
    "remote",
    `onebit was imported from ${url.origin}, and its native library is fetched only with --allow-ffi ` +
      `(and --allow-net, --allow-read, --allow-write for its cache): grant them, or set ONEBIT_LIB to a local libonebit`,
  );
}

// A module imported by URL fetches its native library now, so that choosing the backend stays synchronous.
// (Not in a browser, where there is no Deno and no FFI.)
if (
  "Deno" in globalThis && defaultLibraryUrl().protocol !== "file:" &&
  Deno.permissions.querySync({ name: "ffi" }).state === "granted" && libraryFromEnv() === undefined
) {
  await prepareNative().catch(() => {});
}

/**
 * Opens libonebit (the `path` option, else `ONEBIT_LIB`, else this
 * checkout's build) and checks that it was built for this platform from the
 * same ABI declarations as this module. Throws {@link NativeLibraryError}
 * with the fix.
 *
 * @example
 * ```ts
 * import { NativeLibraryError, openNative } from "./native.ts";
 * try {
 *   const lib = openNative();
 *   console.log(lib.onebit_ukernel_count());
 * } catch (e) {
 *   if (!(e instanceof NativeLibraryError)) throw e;
 * }
 * ```
 */
export function openNative(options: OpenNativeOptions = {}): NativeSymbols {
  return loadNative(options).symbols;
}

/** {@link openNative}, also telling which file was opened and how it was named. */
export function loadNative(options: OpenNativeOptions = {}): NativeLibrary {
  if (!("Deno" in globalThis)) {
    throw new NativeLibraryError(
      "platform",
      'native libraries load through Deno FFI only: in a browser use backend "wasm"',
    );
  }
  const { url, source } = requestedLibrary(options);
  const cached = cache.get(url.href);
  if (cached) return { ...cached, source };
  const where = NAMED_BY[source];
  let path: string;
  if (url.protocol === "file:") path = fileUrlToPath(url);
  else if (source === "checkout" && release.path !== undefined) path = release.path;
  else throw remoteError(url, source);
  checkPermissions(path);
  const header = readHeader(path, source);
  checkPlatform(path, header, where);
  const lib = dlopen(path);
  checkAbi(lib, path);
  const loaded: NativeLibrary = {
    backend: "native",
    symbols: lib.symbols,
    kernels: nativeKernels(lib.symbols),
    resident: (a) => a, // the kernels read the caller's memory: nothing to copy
    path,
    source,
  };
  cache.set(url.href, loaded);
  return loaded;
}

function requestedLibrary(options: OpenNativeOptions): { url: URL; source: LibrarySource } {
  if (options.path !== undefined) return { url: toUrl(options.path), source: "option" };
  const env = libraryFromEnv();
  if (env !== undefined) return { url: toUrl(env), source: "ONEBIT_LIB" };
  return { url: defaultLibraryUrl(), source: "checkout" };
}

/** `ONEBIT_LIB`, when set and readable without a permission prompt. */
export function libraryFromEnv(): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: "ONEBIT_LIB" }).state !== "granted") return undefined;
  const value = Deno.env.get("ONEBIT_LIB");
  return value === undefined || value === "" ? undefined : value;
}

function toUrl(path: string | URL): URL {
  if (path instanceof URL) return path;
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(path)) return new URL(path);
  const cwd = Deno.cwd().replaceAll("\\", "/");
  return new URL(encodeURI(path.replaceAll("\\", "/")), `file://${cwd.startsWith("/") ? "" : "/"}${cwd}/`);
}

function fileUrlToPath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.replace(/^\/([a-zA-Z]:)/, "$1") : path;
}

function checkPermissions(path: string): void {
  const read = Deno.permissions.querySync({ name: "read", path }).state;
  const ffi = Deno.permissions.querySync({ name: "ffi", path }).state;
  if (read !== "granted" || ffi !== "granted") {
    throw new NativeLibraryError(
      "permission",
      `no permission to open ${path}: run deno with --allow-read and --allow-ffi (or -A)`,
    );
  }
}

/** How a library was named, for messages (the checkout's own build needs no note). */
const NAMED_BY: Record<LibrarySource, string> = {
  option: " (the path option)",
  ONEBIT_LIB: " (named by ONEBIT_LIB)",
  checkout: "",
};

const MISSING_FIX: Record<LibrarySource, string> = {
  option: "pass the path of an existing libonebit",
  ONEBIT_LIB: "set ONEBIT_LIB to an existing libonebit file, or unset it",
  checkout: "run 'deno task build' (or tools/setup.sh) in the onebit checkout to build it",
};

function readHeader(path: string, source: LibrarySource): Uint8Array {
  try {
    const file = Deno.openSync(path);
    try {
      const header = new Uint8Array(4096);
      const n = file.readSync(header) ?? 0;
      return header.subarray(0, n);
    } finally {
      file.close();
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new NativeLibraryError(
        "missing",
        `libonebit not found at ${path}${NAMED_BY[source]}: ${MISSING_FIX[source]}`,
      );
    }
    throw new NativeLibraryError("load", `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The object format and CPU of a shared library, from its header (undefined when not one of the three). */
export function libraryPlatform(header: Uint8Array): { format: "ELF" | "Mach-O" | "PE"; arch: string } | undefined {
  if (header.length < 64) return undefined;
  const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const name = (table: Record<number, string>, key: number) => table[key] ?? `machine 0x${key.toString(16)}`;
  if (v.getUint32(0, false) === 0x7f454c46) {
    return {
      format: "ELF",
      arch: name({ 62: "x86_64", 183: "aarch64", 40: "arm", 3: "x86" }, v.getUint16(0x12, true)),
    };
  }
  if (v.getUint32(0, true) === 0xfeedfacf) {
    return { format: "Mach-O", arch: name({ 0x01000007: "x86_64", 0x0100000c: "aarch64" }, v.getUint32(4, true)) };
  }
  if (v.getUint16(0, true) === 0x5a4d) {
    const pe = v.getUint32(0x3c, true);
    if (pe + 6 <= header.length && v.getUint32(pe, true) === 0x4550) {
      return { format: "PE", arch: name({ 0x8664: "x86_64", 0xaa64: "aarch64" }, v.getUint16(pe + 4, true)) };
    }
  }
  return undefined;
}

function checkPlatform(path: string, header: Uint8Array, where: string): void {
  const os = Deno.build.os;
  const format = os === "windows" ? "PE" : os === "darwin" ? "Mach-O" : "ELF";
  const wanted = `${format} ${Deno.build.arch}`;
  const found = libraryPlatform(header);
  if (found && `${found.format} ${found.arch}` === wanted) return;
  throw new NativeLibraryError(
    "platform",
    `${path}${where} is ${found ? `an ${found.format} ${found.arch} library` : "not a shared library"}, ` +
      `this process needs an ${wanted} one: use zig-out/lib/${platformTriple()}/${libraryFileName()} ` +
      `('deno task build', or 'zig build -Dtarget=${platformTriple()}')`,
  );
}

function dlopen(path: string): Deno.DynamicLibrary<typeof symbols> {
  try {
    return Deno.dlopen(path, symbols);
  } catch (e) {
    throw new NativeLibraryError(
      "load",
      `cannot open ${path} (${(e as Error).message}): rebuild it for ${platformTriple()} with 'deno task build'`,
    );
  }
}

function checkAbi(lib: Deno.DynamicLibrary<typeof symbols>, path: string): void {
  const version = lib.symbols.onebit_abi_version();
  const hash = lib.symbols.onebit_abi_hash() >>> 0;
  if (version === ABI_VERSION && hash === ABI_HASH) return;
  lib.close();
  throw new NativeLibraryError(
    "abi",
    `${path} is stale: built for ABI ${version}/0x${hash.toString(16)}, this module expects ${ABI_VERSION}/0x${
      ABI_HASH.toString(16)
    }: rebuild it with 'deno task build' from the same onebit version`,
  );
}
