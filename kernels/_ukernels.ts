/**
 * Reading a compiled library's micro-kernel list (binary or float) once,
 * and resolving a requested micro-kernel by name or index: shared by
 * binary_kernels.ts and float_kernels.ts.
 * @module
 */
import {
  allocStruct,
  encodeStruct,
  type KernelBackend,
  type KernelLibrary,
  type LibrarySymbols,
  readI32,
  readString,
} from "./abi.ts";
import { REFERENCE } from "./reference_float.ts";
import { MAX_THREADS, STATUS } from "./_abi_generated.ts";
import { checkInt } from "./_check.ts";

/** A micro-kernel of a compiled library (native or wasm). */
export interface UkernelDescription {
  /** Position in the library's list; what the `ukernel` option takes besides the name. */
  index: number;
  /** e.g. `bgemm_8x32__avx512vpopcnt`: mr pixels x nr channels, then the ISA. */
  name: string;
  /** Pixels (rows) per tile. */
  mr: number;
  /** Output channels per tile. */
  nr: number;
  /** Whether this CPU can run it. */
  supported: boolean;
  /** MACs of one iteration of its register-only peak loop (binary MACs, or float multiply-adds). */
  peakMacsPerIteration: number;
  /**
   * Whether the library runs this one for a call that names none: the last supported of the list, but on a CPU of
   * in-order cores (Cortex-A53/A55, from /proc/cpuinfo) the kernel scheduled for them (`bgemm_8x4__neon`), which
   * the library then runs on GEMMs whose lhs rows have runs of at least 16 contiguous depth words (shorter ones, a
   * 3x3 convolution over 64 channels read in place, keep the other). The `ukernel` option, or
   * `ONEBIT_BGEMM_UKERNEL` for the native binary kernels, names another.
   */
  chosen: boolean;
}

export type UkernelKind = "binary" | "float";

const cache = { binary: new WeakMap(), float: new WeakMap() } as Record<
  UkernelKind,
  WeakMap<LibrarySymbols, readonly UkernelDescription[]>
>;

/** The list, read once per library (it cannot change, and peakLoop must not time these calls). */
export function describeUkernels(lib: LibrarySymbols, kind: UkernelKind): readonly UkernelDescription[] {
  const cached = cache[kind].get(lib);
  if (cached) return cached;
  const count = kind === "binary" ? lib.onebit_ukernel_count() : lib.onebit_sgemm_ukernel_count();
  const list: UkernelDescription[] = [];
  for (let i = 0; i < count; i++) {
    const info = allocStruct("UkernelInfo");
    const status = kind === "binary" ? lib.onebit_ukernel_info(i, info) : lib.onebit_sgemm_ukernel_info(i, info);
    if (status !== 0) throw new Error(`libonebit: no ${kind} micro-kernel ${i}`);
    list.push(Object.freeze({
      index: i,
      name: readString("UkernelInfo", info, "name"),
      mr: readI32("UkernelInfo", info, "mr"),
      nr: readI32("UkernelInfo", info, "nr"),
      supported: readI32("UkernelInfo", info, "supported") === 1,
      peakMacsPerIteration: readI32("UkernelInfo", info, "peak_macs_per_iteration"),
      chosen: readI32("UkernelInfo", info, "chosen") === 1,
    }));
  }
  const frozen = Object.freeze(list);
  cache[kind].set(lib, frozen);
  return frozen;
}

/** -1 (the fastest supported) for undefined, -1 or "auto"; else the index of a supported kernel, or a RangeError. */
export function resolveUkernel(
  lib: LibrarySymbols | undefined,
  kind: UkernelKind,
  u: number | string | undefined,
): number {
  if (u === undefined || u === -1 || u === "auto") return -1;
  if (!lib) {
    throw new RangeError(
      `ukernel ${JSON.stringify(u)} needs the native backend or the wasm one; the reference backend has none`,
    );
  }
  const list = describeUkernels(lib, kind);
  const found = typeof u === "string"
    ? list.find((k) => k.name === u)
    : Number.isInteger(u) && u >= 0 && u < list.length
    ? list[u]
    : undefined;
  if (!found) {
    throw new RangeError(
      `unknown ${kind} micro-kernel ${JSON.stringify(u)}; known: ${list.map((k) => k.name).join(", ")}`,
    );
  }
  if (!found.supported) throw new RangeError(`micro-kernel ${found.name} needs CPU features this machine lacks`);
  return found.index;
}

/** The variable that overrides the binary micro-kernel a native call runs when it names none. */
export const BGEMM_UKERNEL_ENV = "ONEBIT_BGEMM_UKERNEL";

/**
 * `ONEBIT_BGEMM_UKERNEL` (a native binary micro-kernel's name, e.g. `bgemm_4x16__neon` on a Cortex-A53 where the
 * library would choose `bgemm_8x4__neon`) when set, readable without a permission prompt, and the set is native;
 * a RangeError naming the variable when this library has no such kernel.
 */
function bgemmUkernelFromEnv(backend: string, lib: LibrarySymbols | undefined): string | undefined {
  if (backend !== "native" || !lib) return undefined;
  if (Deno.permissions.querySync({ name: "env", variable: BGEMM_UKERNEL_ENV }).state !== "granted") return undefined;
  const name = Deno.env.get(BGEMM_UKERNEL_ENV);
  if (name === undefined || name === "") return undefined;
  const list = describeUkernels(lib, "binary");
  if (!list.some((k) => k.name === name)) {
    throw new RangeError(
      `${BGEMM_UKERNEL_ENV}=${name} names no binary micro-kernel of this library; known: ${
        list.map((k) => k.name).join(", ")
      }`,
    );
  }
  return name;
}

/**
 * What BinaryKernels and FloatKernels share: the backend (a compiled
 * library, native or wasm, or the pure-TS reference), the default threads
 * and micro-kernel, and the per-call resolution of both.
 */
export abstract class KernelSet {
  /** Which implementation runs the kernels. */
  readonly backend: "native" | "wasm" | "reference";
  /** The native library's file or the wasm module's URL (undefined on the reference backend). */
  readonly library: string | undefined;
  /**
   * Every kernel of the ABI on this set's backend.
   * @ignore internal to the kernel sets.
   */
  protected readonly impl: KernelBackend;
  /** The compiled library the kernels run on; undefined on the reference backend. */
  protected readonly compiled: KernelLibrary | undefined;
  /**
   * The compiled library's micro-kernel lists.
   * @ignore internal to the kernel sets.
   */
  protected readonly lib: LibrarySymbols | undefined;
  /** Threads a call uses unless its options say otherwise (1 to {@link MAX_THREADS}). */
  readonly threads: number;
  /** Index of the micro-kernel a call uses unless its options say otherwise. */
  protected readonly ukernel: number;
  readonly #kind: UkernelKind;

  /**
   * Wraps a compiled library (or the reference when undefined) with the default threads and micro-kernel, both checked.
   */
  protected constructor(
    compiled: KernelLibrary | undefined,
    options: { threads?: number; ukernel?: number | string },
    kind: UkernelKind,
  ) {
    this.compiled = compiled;
    this.lib = compiled?.symbols;
    this.library = compiled?.path;
    this.#kind = kind;
    this.backend = compiled?.backend ?? "reference";
    this.impl = compiled?.kernels ?? REFERENCE;
    this.threads = this.checkThreads(options.threads ?? 1);
    this.ukernel = this.resolveUkernel(
      options.ukernel ?? (kind === "binary" ? bgemmUkernelFromEnv(this.backend, this.lib) : undefined),
    );
  }

  /**
   * A bound op's constant (weights, per-channel arrays) as its calls should pass it: on wasm, copied into the
   * module's memory once instead of on every call. Only for arrays no other call will be passed.
   */
  protected resident<T extends Float32Array | Int32Array | Uint32Array>(a: T): T {
    return this.compiled ? this.compiled.resident(a) : a;
  }

  /**
   * The index of micro-kernel `u` (a name or an index; undefined: the fastest this CPU supports). Throws a RangeError
   * for an unknown one or one this CPU cannot run.
   */
  protected resolveUkernel(u: number | string | undefined): number {
    return resolveUkernel(this.lib, this.#kind, u);
  }

  /**
   * Runs micro-kernel `ukernel`'s inner-loop instruction mix on registers only (no loads) for `iterations` on each
   * of `threads` threads at once and returns the MACs performed: time it to get this CPU's limit for that mix. A
   * binary kernel's loop is its XORs, popcounts and adds (`onebit_peak_loop`; binary MACs), a float kernel's its
   * mr x nr multiply-adds (`onebit_fma_peak_loop`; float MACs, fused where the kernel fuses). vCPUs that share a
   * core's vector units do not add up.
   * @example
   * ```ts
   * import { FloatKernels } from "./float_kernels.ts";
   * const k = FloatKernels.wasm();
   * const u = k.ukernels().filter((u) => u.supported).at(-1)!;
   * console.log(k.peakLoop(u.index, 1000) === 1000 * u.mr * u.nr); // true
   * ```
   */
  peakLoop(ukernel: number | string, iterations: number, threads = 1): number {
    const lib = this.lib;
    if (!lib) {
      const set = this.#kind === "binary" ? "BinaryKernels" : "FloatKernels";
      throw new TypeError(
        `peakLoop needs the native backend or the wasm one: create the kernels with ${set}.native() or .wasm()`,
      );
    }
    const index = this.resolveUkernel(ukernel);
    checkInt("iterations", iterations, 0);
    checkInt("threads", threads, 1, MAX_THREADS);
    const params = encodeStruct("PeakParams", { ukernel: index, iterations, threads });
    const loop = this.#kind === "binary" ? lib.onebit_peak_loop : lib.onebit_fma_peak_loop;
    const status = loop(params, new Uint32Array(threads));
    if (status !== 0) throw new Error(`libonebit ${this.#kind} peak loop returned ${STATUS[status] ?? status}`);
    return threads * iterations * describeUkernels(lib, this.#kind)[index].peakMacsPerIteration;
  }

  /** `threads` checked: at most {@link MAX_THREADS}, and a threaded wasm library's pool (its `maxThreads`). */
  protected checkThreads(threads: number): number {
    const pool = (this.compiled as { maxThreads?: number } | undefined)?.maxThreads;
    if (pool !== undefined && Number.isInteger(threads) && threads > pool) {
      throw new RangeError(
        `threads ${threads} exceeds the threaded wasm library's ${pool} threads (instantiateWasmThreads' threads)`,
      );
    }
    return checkInt("threads", threads, 1, MAX_THREADS);
  }

  /** Threads and micro-kernel of one call: the options', else this set's defaults. */
  protected call(options: { threads?: number; ukernel?: number | string }): { threads: number; ukernel: number } {
    return {
      threads: options.threads === undefined ? this.threads : this.checkThreads(options.threads),
      ukernel: options.ukernel === undefined ? this.ukernel : this.resolveUkernel(options.ukernel),
    };
  }
}

export { MAX_THREADS };
