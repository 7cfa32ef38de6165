/**
 * The compiled backends the training tests compare with the TypeScript reference: the native library on 1, 2
 * and 3 threads and the wasm module, as TrainKernels (the training passes) and as FloatKernels (the float ops a
 * training step also runs: depthwise convolutions, the optimizer step). A missing native library is skipped with a warning unless
 * ONEBIT_REQUIRE_NATIVE=1 (set by tools/test.sh); the wasm modules are committed and must always load.
 * @module
 */
import { FloatKernels } from "./float_kernels.ts";
import { TrainKernels } from "./train_kernels.ts";

function load<K>(make: () => K, what: string): K | undefined {
  try {
    return make();
  } catch (e) {
    if (what === "wasm" || Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
    console.warn(`${what} unavailable: ${(e as Error).message}`);
    return undefined;
  }
}

/** [label, kernels] of each backend that loaded: native/t1, native/t2, native/t3 (from `native(threads)`), wasm. */
function compiled<K>(native: (threads: number) => K, wasm: () => K): [string, K][] {
  return [
    ...[1, 2, 3].map((t): [string, K | undefined] => [`native/t${t}`, load(() => native(t), "native")]),
    ["wasm", load(wasm, "wasm")] as [string, K | undefined],
  ].filter((e): e is [string, K] => e[1] !== undefined);
}

/** [label, passes] of every compiled backend that loaded: native/t1, native/t2, native/t3, wasm. */
export const compiledTrainKernels: [string, TrainKernels][] = compiled(
  (threads) => TrainKernels.native({ threads }),
  () => TrainKernels.wasm(),
);

/** [label, kernels] of every compiled float backend that loaded: native/t1, native/t2, native/t3, wasm. */
export const compiledFloatKernels: [string, FloatKernels][] = compiled(
  (threads) => FloatKernels.native({ threads }),
  () => FloatKernels.wasm(),
);
