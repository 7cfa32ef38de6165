/**
 * Opt-in multi-threaded WebAssembly kernels for Deno: kernels/wasm/onebit_threads.wasm (relaxed SIMD + atomics,
 * an imported shared memory; onebit_threads_simd128.wasm where the engine lacks relaxed SIMD) with `threads - 1` workers (node:worker_threads, unref'd: they never keep the
 * process alive) as its thread pool's workers. Every worker instantiates the same module on the same
 * `WebAssembly.Memory({ shared: true })`, moves its stack pointer to a block the main instance allocated for it,
 * and calls `onebit_worker_run()`, which serves the pool's jobs until `dispose()` (kernels_zig/thread_pool.zig),
 * sleeping in memory.atomic.wait32. A kernel call on the main thread runs the pool as natively: it hands out
 * tasks, takes its share, and waits for the workers (memory.atomic.wait32: allowed on Deno's main thread).
 *
 * The default wasm backend stays the single-threaded module; this one is used only when passed as `wasm`:
 *
 * ```ts ignore
 * import { instantiateWasmThreads } from "@onebit/onebit/wasm-threads";
 * const wasm = await instantiateWasmThreads({ threads: 2 });
 * const interpreter = Interpreter.fromBytes(bytes, { backend: "wasm", wasm, numThreads: 2 });
 * // ... BinaryKernels.wasm({ wasm, threads: 2 }), FloatKernels.wasm({ wasm, threads: 2 })
 * wasm.dispose(); // optional: the workers are unref'd and end with the process
 * ```
 * @module
 */
import { Worker } from "node:worker_threads";
import { MAX_THREADS } from "./_ukernels.ts";
import { relaxedSimdSupported, type WasmLibrary, WasmModuleError, wrap } from "./wasm.ts";

/** The shared memory's maximum, as the module declares it (build.zig wasm_threads_max_memory): 1 GiB. */
export const WASM_THREADS_MAX_MEMORY = 1 << 30;
/** Bytes of stack per worker (the native workers get 256 KiB; the main instance's is 1 MiB). */
const WORKER_STACK = 1 << 20;
/** How long a worker may take to instantiate the module and report in. */
const DEFAULT_STARTUP_MS = 30_000;

/** Why the threaded library cannot be used: a worker did not start or died (`worker`), or it was disposed. */
export class WasmThreadsError extends Error {
  readonly reason: "worker" | "disposed";
  constructor(reason: WasmThreadsError["reason"], message: string) {
    super(message);
    this.name = "WasmThreadsError";
    this.reason = reason;
  }
}

/** The threaded module's kernels: a {@link WasmLibrary} whose calls may run on up to `maxThreads` threads. */
export interface WasmThreadsLibrary extends WasmLibrary {
  /** The pool's threads: the calling thread plus the workers. Kernels bound with more throw a RangeError. */
  readonly maxThreads: number;
  /** Ends the workers; any later call throws a {@link WasmThreadsError} (`disposed`). Idempotent. */
  dispose(): void;
}

/** Options of {@link instantiateWasmThreads}. */
export interface WasmThreadsOptions {
  /** Threads of the pool, the calling one included: 2 to {@link MAX_THREADS}. */
  threads: number;
  /**
   * The relaxed-SIMD build (onebit_threads.wasm) or the SIMD128 one (onebit_threads_simd128.wasm); default: relaxed
   * where the engine has relaxed SIMD.
   */
  relaxed?: boolean;
  /** The module's bytes (default: the chosen module beside this file, in kernels/wasm/, read with fetch). */
  bytes?: BufferSource;
  /** Milliseconds the workers may take to start (default 30 000); past it, a {@link WasmThreadsError}. */
  startupTimeoutMs?: number;
  /** @internal The worker script (tests inject failing ones). */
  workerUrl?: URL;
}

interface Exports {
  onebit_alloc(bytes: number): number;
  onebit_worker_stack(top: number): void;
  onebit_worker_run(): void;
  /** Ends the pool's worker loops (older modules lack it). */
  onebit_pool_shutdown?(): void;
  [name: string]: unknown;
}

/**
 * Loads the threaded module and starts `threads - 1` workers on its shared memory. Throws a
 * {@link WasmModuleError} (`unsupported`) where the engine lacks relaxed SIMD or shared memory, a RangeError for a
 * bad `threads`, and a {@link WasmThreadsError} when a worker fails to start or misses the startup deadline.
 */
export async function instantiateWasmThreads(options: WasmThreadsOptions): Promise<WasmThreadsLibrary> {
  const { threads, startupTimeoutMs = DEFAULT_STARTUP_MS } = options;
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_THREADS) {
    throw new RangeError(`threads must be an integer in [2, ${MAX_THREADS}], got ${threads}`);
  }
  const relaxed = options.relaxed ?? relaxedSimdSupported();
  const name = relaxed ? "onebit_threads.wasm" : "onebit_threads_simd128.wasm";
  if ((relaxed && !relaxedSimdSupported()) || typeof SharedArrayBuffer !== "function") {
    throw new WasmModuleError(
      "unsupported",
      `${name} needs WebAssembly ${relaxed ? "relaxed SIMD and " : ""}shared memory, which this engine lacks: ` +
        "use the single-threaded wasm backend (instantiateWasm) or the native one",
    );
  }
  const url = new URL(`./wasm/${name}`, import.meta.url);
  const path = options.bytes !== undefined ? "the given wasm bytes" : url.href;
  let module: WebAssembly.Module;
  try {
    const bytes = options.bytes ?? await (await fetch(url)).arrayBuffer();
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw new WasmModuleError("compile", `${path}: ${(e as Error).message}`);
  }
  // 64 pages: above the module's declared minimum (its 1 MiB stack and data); it grows on demand to the maximum.
  const memory = new WebAssembly.Memory({ initial: 64, maximum: WASM_THREADS_MAX_MEMORY / 65536, shared: true });
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch (e) {
    throw new WasmModuleError("compile", `${path}: ${(e as Error).message}`);
  }
  const exports = { ...instance.exports, memory } as unknown as Exports;
  if (typeof exports.onebit_worker_run !== "function") {
    throw new WasmModuleError("abi", `${path} is not onebit's threaded module (no onebit_worker_run)`);
  }
  const workers: Worker[] = [];
  let failure: WasmThreadsError | undefined;
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    // Workers sleeping in memory.atomic.wait32 outlive terminate(): the pool releases them first.
    exports.onebit_pool_shutdown?.();
    for (const w of workers) w.terminate();
  };
  const started: Promise<void>[] = [];
  for (let i = 1; i < threads; i++) {
    const stack = exports.onebit_alloc(WORKER_STACK);
    if (stack === 0) throw new RangeError("no memory for a worker's stack");
    const worker = new Worker(options.workerUrl ?? new URL("./_wasm_thread_worker.ts", import.meta.url), {
      workerData: { module, memory, stackTop: stack + WORKER_STACK },
    });
    workers.push(worker);
    started.push(
      new Promise<void>((resolve, reject) => {
        worker.once("message", (m) => m === "running" ? resolve() : reject(new Error(String(m))));
        worker.on("error", (e) => reject(e)); // `on`: an unlistened worker error would throw here
        worker.once("exit", (code) => {
          const error = new WasmThreadsError("worker", `${path}: worker ${i} of ${threads - 1} exited (code ${code})`);
          if (!disposed) failure ??= error;
          reject(error);
        });
      }),
    );
    worker.unref();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not running after ${startupTimeoutMs} ms`)),
      startupTimeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(started), deadline]);
  } catch (e) {
    dispose();
    throw e instanceof WasmThreadsError
      ? e
      : new WasmThreadsError("worker", `${path}: a worker failed to start: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const guard = () => {
    if (disposed) throw new WasmThreadsError("disposed", `${path}: the threaded wasm library was disposed`);
    if (failure) throw failure;
  };
  const lib = wrap(exports as never, path, WASM_THREADS_MAX_MEMORY, guard);
  return Object.assign(lib, { maxThreads: threads, dispose }) as WasmThreadsLibrary;
}
