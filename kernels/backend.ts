/**
 * Which kernels run. `auto` takes the first that loads:
 * 1. the native library (native.ts: the `path` option, `ONEBIT_LIB`, or this checkout's build),
 * 2. the WebAssembly build (wasm.ts: the `wasm` option, else the module shipped beside it),
 * 3. the TypeScript reference kernels (the spec; same results, 20-60× slower than native).
 *
 * A native library named by `path` or `ONEBIT_LIB` must load (a
 * NativeLibraryError otherwise, never a silent fallback), and `native`,
 * `wasm` force one backend. When `auto` falls back it says so once per
 * process on stderr: which backend runs, why the faster one does not, and
 * how to choose it without the note.
 * @module
 */
import type { KernelLibrary } from "./abi.ts";
import { libraryFromEnv, loadNative, NativeLibraryError, type OpenNativeOptions } from "./native.ts";
import { defaultWasm, type WasmLibrary, WasmModuleError } from "./wasm.ts";

/** The backends, in `auto`'s order after `auto` itself. */
export const BACKENDS = ["auto", "native", "wasm", "reference"] as const;

/** A backend choice: `auto` (the first that loads), or one forced. */
export type Backend = typeof BACKENDS[number];

/** Where the compiled backends come from. */
export interface LibraryOptions extends OpenNativeOptions {
  /** The wasm module (from `instantiateWasm`); default: the one loaded beside kernels/wasm.ts. */
  wasm?: WasmLibrary;
}

/** Whether `value` names a {@link Backend}. */
export function isBackend(value: unknown): value is Backend {
  return BACKENDS.includes(value as Backend);
}

/** The message of a bad backend choice: `<what> must be auto, native, wasm or reference, got <value>`. */
export function badBackend(what: string, value: unknown): string {
  return `${what} must be ${BACKENDS.slice(0, -1).join(", ")} or ${BACKENDS.at(-1)}, got ${JSON.stringify(value)}`;
}

/** `value` as a {@link Backend}, or a TypeError naming the choices. */
export function checkBackend(value: unknown): Backend {
  if (!isBackend(value)) throw new TypeError(badBackend("backend", value));
  return value;
}

/**
 * The compiled library `backend` runs on, or undefined for the reference. Throws NativeLibraryError
 * (`native`, or `auto` with a named library) or WasmModuleError (`wasm`) with the fix.
 */
export function chooseLibrary(backend: Backend, options: LibraryOptions = {}): KernelLibrary | undefined {
  switch (checkBackend(backend)) {
    case "reference":
      return undefined;
    case "native":
      return loadNative(options);
    case "wasm":
      return options.wasm ?? defaultWasm();
    case "auto":
      return autoLibrary(options);
  }
}

function autoLibrary(options: LibraryOptions): KernelLibrary | undefined {
  if (!("Deno" in globalThis)) {
    // A browser: no FFI, so WebAssembly is the fast backend (nothing to announce), else the reference.
    try {
      return options.wasm ?? defaultWasm();
    } catch (e) {
      if (!(e instanceof WasmModuleError)) throw e;
      announce(`onebit: running on the TypeScript reference kernels: ${e.message}`);
      return undefined;
    }
  }
  if (options.path !== undefined || libraryFromEnv() !== undefined) return loadNative(options);
  let native: NativeLibraryError;
  try {
    return loadNative(options);
  } catch (e) {
    if (!(e instanceof NativeLibraryError)) throw e;
    native = e;
  }
  try {
    const wasm = options.wasm ?? defaultWasm();
    announce(
      `onebit: running on the WebAssembly kernels (${wasm.path}), 3-10x slower than native. ${native.message}. ` +
        `(backend: "wasm" chooses them without this note.)`,
    );
    return wasm;
  } catch (e) {
    if (!(e instanceof WasmModuleError)) throw e;
    announce(
      `onebit: running on the TypeScript reference kernels, 20-60x slower than native. ${native.message}; ` +
        `the WebAssembly kernels did not load either: ${e.message}. ` +
        `(backend: "reference" chooses them without this note.)`,
    );
    return undefined;
  }
}

let announced = false;

/** Says once per process that a slower backend runs. */
function announce(message: string): void {
  if (announced) return;
  announced = true;
  console.error(message);
}
