/**
 * The WebAssembly build of libonebit (`kernels/wasm/onebit_relaxed.wasm` and
 * `onebit.wasm`, committed; `deno task build:wasm` rebuilds them) as a
 * kernel backend: the same C ABI as the native library, compiled from the
 * same Zig sources for wasm32 with SIMD128 micro-kernels.
 *
 * **Loading.** The kernel choice is synchronous:
 * `Interpreter.fromBytes(bytes)` right after `import` can already run on
 * wasm, with no `await onebit.ready()` for every caller to remember. In
 * Deno, for a local onebit with read permission granted, the default
 * module is read and compiled synchronously on first use (about 3 ms; V8
 * compiles lazily), so a process on the native kernels never holds it;
 * otherwise (a browser, onebit over http, no read permission) importing
 * this module loads it with a top-level await. A module that does not load
 * is recorded, not thrown: the wasm backend then reports the error when
 * asked for, and `auto` moves on to the reference. The module is the
 * relaxed-SIMD build where the engine validates relaxed SIMD (a 36-byte
 * probe), else the SIMD128 one; a relaxed module that fails for another
 * reason is an error, not a silent step down. Deno imports it as an ES
 * module relative to `import.meta.url` (no permission flag for a local
 * file; for onebit imported over http, only the `--allow-import` the
 * TypeScript already needs); a browser fetches it
 * (`WebAssembly.instantiateStreaming`). {@link instantiateWasm} loads one
 * from other bytes or another URL; pass it as the `wasm` option.
 *
 * **Buffers.** The kernels read and write the module's linear memory. Each
 * call copies its arguments into one reused scratch block there and copies
 * the outputs back; constants of a bound op (packed weights, per-channel
 * multipliers, biases, thresholds) are copied once, at bind time, and stay
 * resident until the bound op is garbage-collected. Views of the memory are
 * taken after every allocation, so a `memory.grow` (which detaches the old
 * buffer) is never read through.
 * @module
 */
import {
  ABI_HASH,
  ABI_VERSION,
  type Encoded,
  encodeStruct,
  KERNEL_NAMES,
  type KernelBackend,
  type KernelLibrary,
  parameters,
  type StructName,
} from "./abi.ts";
import { STATUS } from "./_abi_generated.ts";

/** Why a wasm module cannot be used. */
export class WasmModuleError extends Error {
  /**
   * `unsupported`: the engine lacks WebAssembly SIMD128; `missing`: the file could not be read or fetched;
   * `compile`: not a valid module (truncated, corrupt); `abi`: built from other ABI declarations.
   */
  readonly reason: "unsupported" | "missing" | "compile" | "abi";
  /** An error of kind `reason`; `message` names the module and the fix. */
  constructor(reason: WasmModuleError["reason"], message: string) {
    super(message);
    this.name = "WasmModuleError";
    this.reason = reason;
  }
}

/** A kernel call (or a resident constant) that the module's linear memory cannot hold. */
export class WasmMemoryError extends RangeError {
  /** `message` names the bytes the call needed. */
  constructor(message: string) {
    super(message);
    this.name = "WasmMemoryError";
  }
}

/** A loaded wasm module: the kernels on its linear memory. */
export interface WasmLibrary extends KernelLibrary {
  /** Always `"wasm"`: the kernels run in the WebAssembly build. */
  readonly backend: "wasm";
  /** Whether it is the relaxed-SIMD build (its float GEMM fuses multiply-adds where the CPU has FMA). */
  readonly relaxed: boolean;
  /** Bytes of linear memory the module has now (it grows on demand and never shrinks). */
  readonly memoryBytes: number;
}

/** Where {@link instantiateWasm} gets a module. */
export interface WasmSource {
  /** The module's bytes. */
  bytes?: BufferSource;
  /** Its URL (file:, http(s): fetched; Deno needs --allow-read or --allow-net for it). */
  url?: string | URL;
  /**
   * Bytes of buffers this library may hold at once, scratch and resident constants (default and at most
   * 4 GiB, wasm32's address space).
   */
  memoryLimit?: number;
}

/** wasm32 addresses 4 GiB. */
const ADDRESS_SPACE = 2 ** 32;

/** A module of one `() -> v128` function, before its code: what the two feature probes share. */
const PROBE_HEAD = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0];
/** Returns `i8x16.splat(0)`: `WebAssembly.validate` accepts it where the engine has SIMD128. */
const SIMD_PROBE = new Uint8Array([...PROBE_HEAD, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);
/** Returns `i8x16.relaxed_swizzle` of two splats: accepted where the engine also has relaxed SIMD. */
const RELAXED_CODE = [10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11];
const RELAXED_PROBE = new Uint8Array([...PROBE_HEAD, ...RELAXED_CODE]);

/** Whether this engine runs the relaxed-SIMD build. */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/** The URL of the module the default loader picks: the relaxed build if the engine has relaxed SIMD. */
export function defaultWasmUrl(relaxed: boolean = relaxedSimdSupported()): URL {
  return new URL(relaxed ? "./wasm/onebit_relaxed.wasm" : "./wasm/onebit.wasm", import.meta.url);
}

/** The exports of onebit*.wasm: abi.zig's functions (i32 addresses for pointers), its memory and allocator. */
interface WasmExports {
  memory: WebAssembly.Memory;
  onebit_alloc(bytes: number): number;
  onebit_free(ptr: number, bytes: number): void;
  [name: string]: unknown;
}

type Param = { kind: string; struct?: string; dir?: string };
type Block = { ptr: number; bytes: number };

/** An export as the call loop needs it: its parameters, and argument arrays it reuses (calls never nest). */
interface Call {
  name: string;
  fn: (...args: number[]) => number;
  slots: Slot[];
  ptrs: number[];
  views: (Uint8Array | undefined)[];
}

/** One parameter of an export. */
interface Slot {
  /** A buffer (else an i32 passed as is). */
  buffer: boolean;
  /** Copied back after the call. */
  out: boolean;
  /** The extern struct it encodes, if any. */
  struct: StructName | undefined;
}

function callOf(exports: WasmExports, name: string): Call {
  const slots = (parameters as Record<string, readonly Param[]>)[name].map((p) => ({
    buffer: p.kind === "struct" || p.dir !== undefined,
    out: p.dir === "out",
    struct: p.struct as StructName | undefined,
  }));
  const fn = exports[name] as Call["fn"];
  return { name, fn, slots, ptrs: slots.map(() => 0), views: slots.map(() => undefined) };
}

const align = (n: number) => Math.ceil(n / 16) * 16;

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The module's kernels and symbols over its memory. */
class WasmModule implements WasmLibrary {
  readonly backend = "wasm";
  readonly path: string;
  readonly relaxed: boolean;
  readonly kernels: KernelBackend;
  readonly symbols: KernelLibrary["symbols"];
  readonly #exports: WasmExports;
  readonly #limit: number;
  /** Throws when the module must not be called (a disposed threaded library); checked before every call. */
  readonly #guard: (() => void) | undefined;
  /** The scratch block every call copies its buffers into, reused and grown to the largest call. */
  #scratch: Block = { ptr: 0, bytes: 0 };
  /** Bytes allocated: scratch plus resident constants (what `memoryLimit` bounds). */
  #held = 0;
  readonly #resident = new WeakMap<object, Block>();
  #bytes: Uint8Array = new Uint8Array(0);
  readonly #finalizer = new FinalizationRegistry<Block>((b) => this.#release(b));

  constructor(exports: WasmExports, path: string, limit: number, guard?: () => void) {
    this.#exports = exports;
    this.#guard = guard;
    this.path = path;
    this.#limit = limit;
    const kernels: Record<string, (...args: unknown[]) => void> = {};
    for (const name of KERNEL_NAMES) {
      const call = callOf(exports, name);
      kernels[name] = (...args) => {
        const status = this.#call(call, args);
        if (status !== 0) {
          throw new Error(`${path}: ${name} returned ${STATUS[status] ?? status} after validation passed`);
        }
      };
    }
    this.kernels = kernels as unknown as KernelBackend;
    const symbol = (name: string) => {
      const call = callOf(exports, name);
      return (...args: unknown[]) => this.#call(call, args);
    };
    this.symbols = {
      onebit_ukernel_count: symbol("onebit_ukernel_count"),
      onebit_ukernel_info: symbol("onebit_ukernel_info"),
      onebit_sgemm_ukernel_count: symbol("onebit_sgemm_ukernel_count"),
      onebit_sgemm_ukernel_info: symbol("onebit_sgemm_ukernel_info"),
      onebit_peak_loop: symbol("onebit_peak_loop"),
      onebit_fma_peak_loop: symbol("onebit_fma_peak_loop"),
    };
    const floats = this.symbols.onebit_sgemm_ukernel_count();
    const info = new Uint8Array(56);
    this.relaxed = Array.from({ length: floats }, (_, i) => {
      this.symbols.onebit_sgemm_ukernel_info(i, info);
      return new TextDecoder().decode(info.subarray(0, info.indexOf(0)));
    }).some((name) => name.endsWith("__wasmrelaxed"));
  }

  get memoryBytes(): number {
    return this.#exports.memory.buffer.byteLength;
  }

  /**
   * `a`'s contents copied into linear memory once; the returned view (of `a`'s own buffer) makes every kernel
   * call read that copy instead of copying `a` again. For a bound op's constants: later changes to `a` are not
   * seen. The copy is freed when the view is garbage-collected.
   */
  resident<T extends Float32Array | Int32Array | Uint32Array>(a: T): T {
    const view = new (a.constructor as new (b: ArrayBufferLike, o: number, n: number) => T)(
      a.buffer,
      a.byteOffset,
      a.length,
    );
    const block = this.#allocate(a.byteLength, "a bound op's constant");
    this.#heap().set(bytesOf(a), block.ptr);
    this.#resident.set(view, block);
    this.#finalizer.register(view, block);
    return view;
  }

  /** Copies the buffers in, calls the export on their addresses, copies the outputs back; returns its status. */
  #call({ name, fn, slots, ptrs, views }: Call, args: unknown[]): number {
    this.#guard?.();
    const n = slots.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = slots[i], a = args[i];
      views[i] = undefined;
      if (!s.buffer) {
        ptrs[i] = a as number;
        continue;
      }
      const block = s.out ? undefined : this.#resident.get(a as object);
      if (block !== undefined) {
        ptrs[i] = block.ptr;
        continue;
      }
      const bytes = ArrayBuffer.isView(a)
        ? bytesOf(a)
        : ((a as Encoded<StructName>).bytes ??= encodeStruct(s.struct!, (a as Encoded<StructName>).values));
      views[i] = bytes;
      ptrs[i] = total;
      total += align(bytes.byteLength);
    }
    const base = this.#reserve(total, name);
    let heap = this.#heap();
    for (let i = 0; i < n; i++) {
      const v = views[i];
      if (v === undefined) continue;
      ptrs[i] += base;
      heap.set(v, ptrs[i]);
    }
    const status = fn(...ptrs);
    heap = this.#heap();
    for (let i = 0; i < n; i++) {
      const v = views[i];
      if (v !== undefined && slots[i].out) v.set(heap.subarray(ptrs[i], ptrs[i] + v.byteLength));
    }
    return status;
  }

  /** A byte view of the memory, made anew when `memory.grow` has replaced (and detached) the buffer. */
  #heap(): Uint8Array {
    const buffer = this.#exports.memory.buffer;
    if (this.#bytes.buffer !== buffer) this.#bytes = new Uint8Array(buffer);
    return this.#bytes;
  }

  /**
   * The scratch block, grown when a call needs more: to a power of two (the allocator's size classes, so a
   * freed block is reused), within the limit.
   */
  #reserve(bytes: number, what: string): number {
    if (bytes <= this.#scratch.bytes) return this.#scratch.ptr;
    if (this.#scratch.ptr !== 0) this.#release(this.#scratch);
    this.#scratch = { ptr: 0, bytes: 0 };
    const rounded = Math.min(Math.max(65536, 2 ** Math.ceil(Math.log2(bytes))), this.#limit - this.#held);
    this.#scratch = this.#allocate(Math.max(bytes, rounded), `${what}'s buffers`, bytes);
    return this.#scratch.ptr;
  }

  #allocate(bytes: number, what: string, needed = bytes): Block {
    // onebit_alloc takes a u32: a size of 2^32 or more must not reach it (it would wrap).
    const fits = bytes < ADDRESS_SPACE && this.#held + bytes <= this.#limit;
    const ptr = fits ? this.#exports.onebit_alloc(bytes) : 0;
    if (ptr === 0) {
      throw new WasmMemoryError(
        `${this.path}: no room for ${what} (${needed} bytes; ${this.#held} bytes already held, limit ${this.#limit}, ` +
          `${this.memoryBytes} bytes of linear memory): wasm32 addresses at most 4 GiB. ` +
          `Use the native backend, a smaller batch, or a larger memoryLimit`,
      );
    }
    this.#held += bytes;
    return { ptr, bytes };
  }

  #release(b: Block): void {
    this.#exports.onebit_free(b.ptr, b.bytes);
    this.#held -= b.bytes;
  }
}

/**
 * Checks the exports against this module's ABI and wraps them; `path` names the module in errors, `guard` (the
 * threaded library's, kernels/wasm_threads.ts) runs before every call.
 */
export function wrap(exports: WasmExports, path: string, limit: number | undefined, guard?: () => void): WasmLibrary {
  const version = (exports.onebit_abi_version as (() => number) | undefined)?.();
  const hash = ((exports.onebit_abi_hash as (() => number) | undefined)?.() ?? 0) >>> 0;
  const missing = [...KERNEL_NAMES, "onebit_alloc", "onebit_free"].filter((f) => typeof exports[f] !== "function");
  if (
    version !== ABI_VERSION || hash !== ABI_HASH || missing.length > 0 ||
    !(exports.memory instanceof WebAssembly.Memory)
  ) {
    throw new WasmModuleError(
      "abi",
      `${path} is not the wasm build of this onebit version (ABI ${version ?? "none"}/0x${hash.toString(16)}, ` +
        `expected ${ABI_VERSION}/0x${ABI_HASH.toString(16)}${missing.length ? `; missing ${missing[0]}` : ""}): ` +
        `rebuild it with 'deno task build:wasm', or load the module that came with this onebit`,
    );
  }
  const max = limit ?? ADDRESS_SPACE;
  if (typeof max !== "number" || !(max > 0) || max > ADDRESS_SPACE) {
    throw new RangeError(`memoryLimit must be a number of bytes in (0, 2^32], got ${String(limit)}`);
  }
  return new WasmModule(exports, path, max, guard);
}

/** Deno's permission errors pass through: they name the file and the flag. */
function isPermissionError(e: unknown): boolean {
  return e instanceof Error && (e.name === "NotCapable" || e.name === "PermissionDenied");
}

function missingError(path: string, why: string): WasmModuleError {
  return new WasmModuleError(
    "missing",
    `${path} not found (${why}): restore kernels/wasm/ from onebit's source, or pass the module as bytes`,
  );
}

function invalidError(path: string, e: unknown): WasmModuleError {
  const message = e instanceof Error ? e.message : String(e);
  return new WasmModuleError(
    "compile",
    `${path} is not a valid WebAssembly module (${message.split("\n")[0]}): it is truncated or corrupt; ` +
      `restore it from onebit's source or rebuild it with 'deno task build:wasm'`,
  );
}

function checkSimd(): void {
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new WasmModuleError(
      "unsupported",
      "this JavaScript engine has no WebAssembly SIMD128, which onebit's wasm kernels need: " +
        "use a current Deno, Chromium, Firefox or Safari (16.4+), or the native or reference backend",
    );
  }
}

/**
 * Loads a wasm build of libonebit from `bytes` or a `url` (fetched: Deno needs --allow-read or --allow-net for
 * it), checked against this module's ABI. Throws {@link WasmModuleError} naming the file and the fix.
 *
 * @example
 * ```ts
 * import { defaultWasmUrl, instantiateWasm } from "./wasm.ts";
 * const wasm = await instantiateWasm({ bytes: await Deno.readFile(defaultWasmUrl()) });
 * console.log(wasm.backend); // "wasm"
 * ```
 */
export async function instantiateWasm(source: WasmSource): Promise<WasmLibrary> {
  checkSimd();
  const { bytes, url, memoryLimit } = source;
  if ((bytes === undefined) === (url === undefined)) throw new TypeError("instantiateWasm takes bytes or a url");
  const path = bytes !== undefined ? "the given wasm bytes" : String(url);
  let body: BufferSource | Response = bytes!;
  if (url !== undefined) {
    try {
      body = await fetch(url);
    } catch (e) {
      if (isPermissionError(e)) throw e;
      throw missingError(path, (e as Error).message);
    }
    if (!body.ok) throw missingError(path, `${body.status} ${body.statusText}`.trim());
  }
  let instance: WebAssembly.Instance;
  try {
    instance = body instanceof Response
      ? body.headers.get("content-type")?.startsWith("application/wasm")
        ? (await WebAssembly.instantiateStreaming(body, {})).instance
        : (await WebAssembly.instantiate(await body.arrayBuffer(), {})).instance
      : (await WebAssembly.instantiate(body, {})).instance;
  } catch (e) {
    throw invalidError(path, e);
  }
  return wrap(instance.exports as unknown as WasmExports, path, memoryLimit);
}

/** The module beside this file: an ES-module import in Deno (no permission flags), fetched elsewhere. */
async function loadDefault(): Promise<WasmLibrary> {
  checkSimd();
  const relaxed = relaxedSimdSupported(), url = defaultWasmUrl(relaxed);
  if (!("Deno" in globalThis)) return await instantiateWasm({ url });
  let exports: WasmExports;
  try {
    // Literal specifiers: Deno resolves them with the module graph, so a local file needs no --allow-read.
    exports = (relaxed
      ? await import("./wasm/onebit_relaxed.wasm")
      : await import("./wasm/onebit.wasm")) as unknown as WasmExports;
  } catch (e) {
    // Deno reports a missing module as "Module not found", a bad one with the engine's compile error.
    throw /Module not found/.test((e as Error).message)
      ? missingError(url.href, "Module not found")
      : invalidError(url.href, e);
  }
  return wrap(exports, url.href, undefined);
}

/** The default module from the file beside this one, compiled synchronously (kernel choice stays synchronous). */
function loadDefaultSync(): WasmLibrary {
  checkSimd();
  const url = defaultWasmUrl();
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Deno.readFileSync(url) as Uint8Array<ArrayBuffer>;
  } catch (e) {
    throw missingError(url.href, (e as Error).message);
  }
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  } catch (e) {
    throw invalidError(url.href, e);
  }
  return wrap(instance.exports as unknown as WasmExports, url.href, undefined);
}

/**
 * Whether the default module can wait for its first use: in Deno, for a local onebit, with read permission for
 * the module already granted (no prompt). Then `defaultWasm()` reads and compiles it synchronously when first
 * called, and a process that runs on the native kernels never pays for it (~6 MiB of resident memory: the
 * compiled module and its linear memory). Otherwise (a browser, onebit imported over http, no read
 * permission) it loads at import, as it always did.
 */
function canLoadLater(): boolean {
  if (!("Deno" in globalThis) || new URL(import.meta.url).protocol !== "file:") return false;
  try {
    return Deno.permissions.querySync({ name: "read", path: defaultWasmUrl() }).state === "granted";
  } catch {
    return false;
  }
}

/** The default module's load as an error to report, not throw, at import (`auto` then moves on). */
function asLoadError(e: unknown): WasmModuleError {
  return e instanceof WasmModuleError
    ? e
    : new WasmModuleError("compile", `${defaultWasmUrl().href}: ${(e as Error).message}`);
}

let loaded: WasmLibrary | WasmModuleError | undefined = canLoadLater()
  ? undefined
  : await loadDefault().catch(asLoadError);

/**
 * The default module: loaded when this file was imported, or on this first call (see the module doc); throws
 * its {@link WasmModuleError} if it did not load.
 */
export function defaultWasm(): WasmLibrary {
  if (loaded === undefined) {
    try {
      loaded = loadDefaultSync();
    } catch (e) {
      loaded = asLoadError(e);
    }
  }
  if (loaded instanceof WasmModuleError) throw loaded;
  return loaded;
}
