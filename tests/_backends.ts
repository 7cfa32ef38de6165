/**
 * The backends every conformance case runs on: the TS reference, and the
 * native library with each micro-kernel this CPU supports (forced), on 1
 * and 2 threads. ONEBIT_REQUIRE_NATIVE=1 (set by tools/test.sh) turns a
 * missing native library into a failure instead of a reference-only run.
 * @module
 */
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";

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

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
export { seededRandom as rng } from "../layers/initializers.ts";

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

export function floatVariants(): { label: string; float: FloatKernels }[] {
  if (!floatNative) return [];
  return floatNative.ukernels().filter((u) => u.supported).map((u) => ({
    label: u.name,
    float: floatNative!.with({ ukernel: u.index }),
  }));
}
