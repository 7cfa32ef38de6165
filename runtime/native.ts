/**
 * Loading libonebit (the Zig kernels) through Deno FFI.
 * @module
 */
import { ABI_HASH, ABI_VERSION, symbols } from "./abi.ts";

/** Why the native library could not be used. */
export class NativeLibraryError extends Error {
  /** `missing`: no file; `abi`: built from other ABI declarations; `load`: dlopen failed; `permission`: --allow-ffi missing. */
  readonly reason: "missing" | "abi" | "load" | "permission";
  constructor(reason: NativeLibraryError["reason"], message: string) {
    super(message);
    this.name = "NativeLibraryError";
    this.reason = reason;
  }
}

/** The opened library: Deno's symbol table of libonebit. */
export type NativeSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** Options for {@link openNative}. */
export interface OpenNativeOptions {
  /** File path or file: URL of libonebit; default: the build output next to this module. */
  path?: string | URL;
}

/** The `zig-out/lib/<triple>` folder name of this process's platform. */
export function platformTriple(): string {
  const { arch, os } = Deno.build;
  const abi = os === "android" ? "android" : "gnu";
  return `${arch}-${os}-${abi}`;
}

/** Where `zig build` puts the library for this platform, relative to this module. */
export function defaultLibraryUrl(): URL {
  return new URL(`../zig-out/lib/${platformTriple()}/libonebit.so`, import.meta.url);
}

const cache = new Map<string, NativeSymbols>();

/**
 * Opens libonebit and checks that it was built from the same ABI
 * declarations as this module. Throws {@link NativeLibraryError} with the fix.
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
  const url = options.path === undefined
    ? defaultLibraryUrl()
    : options.path instanceof URL
    ? options.path
    : new URL(options.path, `file://${Deno.cwd()}/`);
  if (url.protocol !== "file:") {
    throw new NativeLibraryError(
      "missing",
      `libonebit must be a local file, not ${url.href}: build it with 'zig build' in a checkout and pass options.path`,
    );
  }
  const cached = cache.get(url.href);
  if (cached) return cached;
  const path = decodeURIComponent(url.pathname);
  try {
    Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new NativeLibraryError("permission", `cannot read ${path}: run deno with --allow-read and --allow-ffi`);
    }
    throw new NativeLibraryError(
      "missing",
      `libonebit not found at ${path}: run 'deno task build' (or tools/setup.sh) to build it`,
    );
  }
  let lib: Deno.DynamicLibrary<typeof symbols>;
  try {
    lib = Deno.dlopen(path, symbols);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new NativeLibraryError("permission", `cannot open ${path}: run deno with --allow-ffi`);
    }
    throw new NativeLibraryError(
      "load",
      `cannot open ${path} (${(e as Error).message}): rebuild it for ${platformTriple()} with 'deno task build'`,
    );
  }
  const version = lib.symbols.onebit_abi_version();
  const hash = lib.symbols.onebit_abi_hash() >>> 0;
  if (version !== ABI_VERSION || hash !== ABI_HASH) {
    lib.close();
    throw new NativeLibraryError(
      "abi",
      `${path} was built for ABI ${version}/0x${hash.toString(16)}, this module expects ${ABI_VERSION}/0x${
        ABI_HASH.toString(16)
      }: rebuild with 'deno task build'`,
    );
  }
  cache.set(url.href, lib.symbols);
  return lib.symbols;
}
