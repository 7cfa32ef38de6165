/**
 * What tests/concurrency_test.ts and its Workers (tests/_concurrency_worker.ts) share: the jobs and invoking an
 * interpreter in passes (the training run is tests/_concurrency_train.ts, loaded only by the workers that train).
 * @module
 */
import type { Interpreter } from "../runtime/interpreter.ts";

/** A job for the worker. */
export type ConcurrencyJob =
  | {
    kind: "invoke" | "loop";
    /**
     * `loop` only: [0] counts the invokes, [1] is 1 while one runs. The loop yields to the event loop every
     * `yieldEvery` invokes: Deno 2.9 does not end a Worker that never yields on `terminate()` (denoland/deno#35657).
     */
    progress?: Int32Array;
    yieldEvery?: number;
    bytes: Uint8Array;
    backend: "native" | "wasm";
    numThreads: number;
    inputs: Float32Array[];
    /** Passes over the inputs: at least `rounds`, and on until the clock reads `until` (ms since the epoch). */
    rounds: number;
    until?: number;
  }
  | { kind: "train"; seed: number; threads: number; epochs: number }
  /** Native binary GEMMs (3136 × 576 bits by 64 channels: the MNIST BNN's largest) on `threads` for `ms`. */
  | { kind: "gemm"; threads: number; ms: number };

/** What a `gemm` job posts back: the GEMMs done and their mean time. */
export interface GemmResult {
  jobs: number;
  msPerJob: number;
}

/** What an `invoke` job posts back. */
export interface InvokeResult {
  first: Uint8Array[][];
  mismatches: number;
  invokes: number;
}

/** The bytes of each output of a model. */
export function outputBytes(outputs: ArrayBufferView[]): Uint8Array[] {
  return outputs.map((o) => new Uint8Array(o.buffer, o.byteOffset, o.byteLength).slice());
}

/** Whether two lists of byte arrays are equal. */
export function sameBytes(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, j) => x.length === b[j].length && x.every((v, i) => v === b[j][i]));
}

/**
 * Passes over `inputs` on one interpreter (at least `rounds`, and until the clock reads `until`): the first pass's
 * outputs, how many later ones differed, and the invokes.
 */
export function invokeRounds(
  interpreter: Interpreter,
  inputs: Float32Array[],
  rounds: number,
  until = 0,
): InvokeResult {
  const first = inputs.map((x) => outputBytes(interpreter.invoke([x])));
  let mismatches = 0, r = 1;
  for (; r < rounds || Date.now() < until; r++) {
    inputs.forEach((x, k) => {
      if (!sameBytes(outputBytes(interpreter.invoke([x])), first[k])) mismatches++;
    });
  }
  return { first, mismatches, invokes: r * inputs.length };
}

const WORKER = new URL("./_concurrency_worker.ts", import.meta.url);

/** A Worker of tests/_concurrency_worker.ts, once it has loaded. */
export async function startWorker(): Promise<Worker> {
  const worker = new Worker(WORKER, { type: "module" });
  await new Promise<void>((resolve, reject) => {
    worker.onmessage = (e) => e.data === "ready" ? resolve() : reject(new Error(`worker said ${e.data}`));
    worker.onerror = (e) => reject(new Error(e.message));
  });
  return worker;
}

/** Sends `job` to a ready worker; resolves to its result (or "running" for a loop job). */
export function send<T>(worker: Worker, job: ConcurrencyJob): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      if (e.data === "running") resolve(e.data);
      else if ("ok" in e.data) resolve(e.data.ok);
      else reject(new Error(e.data.error));
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(job);
  });
}
