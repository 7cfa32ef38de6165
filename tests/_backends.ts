/**
 * The backends every conformance case runs on: the TS reference; the
 * native library with each micro-kernel this CPU supports (forced), on 1
 * and 2 threads; and both wasm modules (onebit_relaxed.wasm, the default
 * where the engine has relaxed SIMD, and the SIMD128 onebit.wasm) with
 * each of their micro-kernels forced (one thread: the module has no
 * threads). ONEBIT_REQUIRE_NATIVE=1 (set by tools/test.sh) turns a missing
 * native library into a failure instead of a run without it; the wasm
 * modules are committed and must always load. ONEBIT_QUICK=1 (the aarch64
 * runs under qemu) tests the default wasm module only. ONEBIT_WASM_THREADS=N
 * (tests/kernels_wasm_threads_test.ts) replaces the wasm modules with the
 * threaded onebit_threads.wasm (a pool of 5 threads) called on N threads;
 * with ONEBIT_WASM_THREADS_RELAXED=0, onebit_threads_simd128.wasm.
 * @module
 */
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { defaultWasm, defaultWasmUrl, instantiateWasm, type WasmLibrary } from "../kernels/wasm.ts";
import { instantiateWasmThreads } from "../kernels/wasm_threads.ts";

export interface NamedKernels {
  label: string;
  kernels: BinaryKernels;
}

export const reference = BinaryKernels.reference();

function loadNative(): BinaryKernels | undefined {
  try {
    return BinaryKernels.native();
  } catch (e) {
    if (Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
    console.warn(`native library unavailable, testing the reference only: ${(e as Error).message}`);
    return undefined;
  }
}

export const native = loadNative();

/** Native backends: every supported micro-kernel × threads {1, 2}. */
export function nativeVariants(): NamedKernels[] {
  if (!native) return [];
  const out: NamedKernels[] = [];
  for (const u of native.ukernels()) {
    if (!u.supported) continue;
    for (const threads of [1, 2]) {
      out.push({ label: `${u.name}/t${threads}`, kernels: native.with({ ukernel: u.index, threads }) });
    }
  }
  return out;
}

/** Threads of the wasm calls: 1, or ONEBIT_WASM_THREADS on the threaded module. */
export const wasmThreads = Number(Deno.env.get("ONEBIT_WASM_THREADS") ?? 1);
/** The threaded module's pool: the most threads a suite asks for (2-5 in the binary scheduling cases). */
const threadedRelaxed = Deno.env.get("ONEBIT_WASM_THREADS_RELAXED") !== "0";
const threadedPool = wasmThreads > 1
  ? await instantiateWasmThreads({ threads: Math.max(5, wasmThreads), relaxed: threadedRelaxed })
  : undefined;

/** The wasm modules: the default one (loaded on import) and, unless it is the same, the SIMD128 build. */
export const wasmModules: { label: string; wasm: WasmLibrary }[] = threadedPool
  ? [{ label: `onebit_threads${threadedRelaxed ? "" : "_simd128"}.wasm/t${wasmThreads}`, wasm: threadedPool }]
  : [{ label: defaultWasm().relaxed ? "onebit_relaxed.wasm" : "onebit.wasm", wasm: defaultWasm() }];
if (!threadedPool && defaultWasm().relaxed && Deno.env.get("ONEBIT_QUICK") !== "1") {
  const bytes = await Deno.readFile(defaultWasmUrl(false));
  wasmModules.push({ label: "onebit.wasm", wasm: await instantiateWasm({ bytes }) });
}

/** The default wasm module's binary kernels. */
export const wasm = BinaryKernels.wasm({ wasm: wasmModules[0].wasm, threads: wasmThreads });

/** Wasm backends: every micro-kernel of each module, forced. */
export function wasmVariants(): NamedKernels[] {
  return wasmModules.flatMap(({ label, wasm }) => {
    const k = BinaryKernels.wasm({ wasm, threads: wasmThreads });
    return k.ukernels().map((u) => ({
      label: `${u.name}@${label}/t${wasmThreads}`,
      kernels: k.with({ ukernel: u.index }),
    }));
  });
}

/** Every compiled backend: {@link nativeVariants} then {@link wasmVariants}. */
export function compiledVariants(): NamedKernels[] {
  return [...nativeVariants(), ...wasmVariants()];
}

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
export { seededRandom as rng } from "../graph/random.ts";

/** Random ±1 floats (with some exact zeros and -0, which pack as +1). */
export function randomSigns(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    out[i] = r < 0.05 ? 0 : r < 0.1 ? -0 : r < 0.55 ? 1 : -1;
  }
  return out;
}

/** Float kernels: the TS reference, and the native library with each float micro-kernel this CPU supports. */
export const floatReference = FloatKernels.reference();
export const floatNative = native ? FloatKernels.native() : undefined;
/** The default wasm module's float kernels. */
export const floatWasm = FloatKernels.wasm({ wasm: wasmModules[0].wasm, threads: wasmThreads });

export function floatVariants(): { label: string; float: FloatKernels }[] {
  if (!floatNative) return [];
  return floatNative.ukernels().filter((u) => u.supported).map((u) => ({
    label: u.name,
    float: floatNative!.with({ ukernel: u.index }),
  }));
}

/** Every float micro-kernel of each wasm module, forced. */
export function floatWasmVariants(): { label: string; float: FloatKernels }[] {
  return wasmModules.flatMap(({ label, wasm }) => {
    const k = FloatKernels.wasm({ wasm, threads: wasmThreads });
    return k.ukernels().map((u) => ({ label: `${u.name}@${label}`, float: k.with({ ukernel: u.index }) }));
  });
}

/**
 * The whole-float-kernel backends of the op-level suites (layout, unary, resize, pooling): native on 1 and 2
 * threads, and each wasm module with its default micro-kernels.
 */
export function floatBackends(): { label: string; float: FloatKernels; threads: number }[] {
  return [
    ...(floatNative
      ? [1, 2].map((threads) => ({ label: `native/t${threads}`, float: floatNative!.with({ threads }), threads }))
      : []),
    ...wasmModules.map(({ label, wasm }) => ({
      label,
      float: FloatKernels.wasm({ wasm, threads: wasmThreads }),
      threads: wasmThreads,
    })),
  ];
}
