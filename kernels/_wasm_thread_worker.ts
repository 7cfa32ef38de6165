/**
 * One worker of kernels/wasm_threads.ts (node:worker_threads): the threaded module instantiated on the shared
 * memory, on its own stack, running the thread pool's worker loop until the library is disposed.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";

const { module, memory, stackTop } = workerData as {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  stackTop: number;
};
try {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const x = instance.exports as { onebit_worker_stack(top: number): void; onebit_worker_run(): void };
  x.onebit_worker_stack(stackTop);
  parentPort!.postMessage("running");
  // Let the message go out before this worker's event loop blocks for good.
  setTimeout(() => {
    x.onebit_worker_run(); // returns after onebit_pool_shutdown (dispose)
    // The parent's terminate() may have arrived while this thread was still in wasm, where it is lost: end ourselves.
    (globalThis as { close?: () => void }).close?.();
  }, 0);
} catch (e) {
  parentPort!.postMessage(`worker failed: ${(e as Error).message}`);
}
