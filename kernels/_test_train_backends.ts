/**
 * The compiled training passes the TrainKernels tests compare with the TypeScript reference: the native library
 * on 1, 2 and 3 threads and the wasm module. A missing native library is skipped with a warning unless
 * ONEBIT_REQUIRE_NATIVE=1 (set by tools/test.sh); the wasm modules are committed and must always load.
 * @module
 */
import { TrainKernels } from "./train_kernels.ts";

function load(make: () => TrainKernels, what: string): TrainKernels | undefined {
  try {
    return make();
  } catch (e) {
    if (what === "wasm" || Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
    console.warn(`${what} unavailable: ${(e as Error).message}`);
    return undefined;
  }
}

/** [label, passes] of every compiled backend that loaded: native/t1, native/t2, native/t3, wasm. */
export const compiledTrainKernels: [string, TrainKernels][] = [
  ...[1, 2, 3].map((t): [string, TrainKernels | undefined] => [
    `native/t${t}`,
    load(() => TrainKernels.native({ threads: t }), "native"),
  ]),
  ["wasm", load(() => TrainKernels.wasm(), "wasm")] as [string, TrainKernels | undefined],
].filter((e): e is [string, TrainKernels] => e[1] !== undefined);
