/**
 * A Deno Worker of tests/concurrency_test.ts: runs each job it is sent (see
 * {@link ConcurrencyJob}) and posts back `{ ok: result }` or `{ error }`
 * ("ready" first, once its modules have loaded).
 * A `loop` job invokes without end, posting "running" after its first
 * invoke and counting invokes in its shared `progress`: the test
 * terminates it, mid-invoke as likely as not.
 * @module
 */
/// <reference lib="deno.worker" />
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { type ConcurrencyJob, type GemmResult, invokeRounds } from "./_concurrency.ts";

function gemm(threads: number, ms: number): GemmResult {
  const k = BinaryKernels.native({ threads });
  const rhs = k.packRhs(new Uint32Array(64 * 18).fill(0x5a5a5a5a), 64);
  const lhs = new Uint32Array(3136 * 18).fill(0x12345678);
  const start = performance.now();
  let jobs = 0;
  while (performance.now() - start < ms) {
    k.bgemmF32(lhs, rhs);
    jobs++;
  }
  return { jobs, msPerJob: (performance.now() - start) / jobs };
}

async function run(job: ConcurrencyJob): Promise<unknown> {
  if (job.kind === "gemm") return gemm(job.threads, job.ms);
  if (job.kind === "train") {
    const { trainTiny } = await import("./_concurrency_train.ts");
    return trainTiny(job.seed, job.threads, job.epochs);
  }
  const interpreter = Interpreter.fromBytes(job.bytes, { backend: job.backend, numThreads: job.numThreads });
  if (job.kind === "invoke") return invokeRounds(interpreter, job.inputs, job.rounds, job.until);
  const progress = job.progress ?? new Int32Array(2);
  interpreter.invoke([job.inputs[0]]);
  self.postMessage("running");
  for (let i = 0;; i++) {
    Atomics.store(progress, 1, 1);
    interpreter.invoke([job.inputs[i % job.inputs.length]]);
    Atomics.store(progress, 1, 0);
    Atomics.add(progress, 0, 1);
    if (i % (job.yieldEvery ?? 1) === 0) await new Promise((r) => setTimeout(r, 0));
  }
}

self.postMessage("ready");
self.onmessage = async (e: MessageEvent<ConcurrencyJob>) => {
  try {
    self.postMessage({ ok: await run(e.data) });
  } catch (error) {
    self.postMessage({ error: String((error as Error).stack ?? error) });
  }
};
