/**
 * Many users at once (issue #21): interpreters of different models on
 * native 1/2/4 threads, wasm and threaded wasm, interleaved in one thread
 * and running at once in Deno Workers (model bytes shared through a
 * SharedArrayBuffer or copied), give the outputs each gives alone; training
 * runs in Workers at once give the weights each gives alone; the native
 * thread pool (one per process, shared by the Workers) survives Workers
 * starting and being terminated mid-invoke, and still runs 2-thread jobs
 * right.
 */
import assert from "node:assert/strict";
import { seededRandom } from "../graph/random.ts";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { instantiateWasmThreads } from "../kernels/wasm_threads.ts";
import { Interpreter, type InterpreterOptions } from "../runtime/interpreter.ts";
import {
  type ConcurrencyJob,
  type InvokeResult,
  invokeRounds,
  outputBytes,
  sameBytes,
  send,
  startWorker,
} from "./_concurrency.ts";
import { soakModel } from "./soak.ts";

const lce = (name: string) => Deno.readFileSync(new URL(`./fixtures/lce/${name}.tflite`, import.meta.url));
const models = [
  { name: "mnist", bytes: await soakModel() },
  { name: "quicknet_block", bytes: lce("quicknet_block") },
  { name: "bconv_chain", bytes: lce("bconv_chain") },
];

/** Three seeded inputs of the model's one input, in [-1, 1). */
function inputsOf(bytes: Uint8Array, seed: number): Float32Array[] {
  const [spec] = Interpreter.fromBytes(bytes, { backend: "reference" }).inputs;
  const next = seededRandom(seed);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  return [0, 1, 2].map(() => Float32Array.from({ length: size }, () => 2 * next() - 1));
}
const inputs = models.map((m, i) => inputsOf(m.bytes, 100 + i));

/** The outputs of a fresh interpreter, alone on this thread: one per input. */
function alone(model: number, options: InterpreterOptions): Uint8Array[][] {
  return invokeRounds(Interpreter.fromBytes(models[model].bytes, options), inputs[model], 1).first;
}

/** `bytes` in a SharedArrayBuffer: a Worker sent it reads the same memory, no copy. */
function shared(bytes: Uint8Array): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(bytes.length));
  view.set(bytes);
  return view;
}

Deno.test("one thread: 3 models × native 1/2/4 threads, wasm, threaded wasm, interleaved, give their outputs alone", async () => {
  const wasmThreads = await instantiateWasmThreads({ threads: 2 });
  try {
    const configs: { label: string; options: InterpreterOptions }[] = [
      ...[1, 2, 4].map((numThreads) => ({
        label: `native/t${numThreads}`,
        options: { backend: "native" as const, numThreads },
      })),
      { label: "wasm/t1", options: { backend: "wasm" } },
      { label: "wasm-threads/t2", options: { backend: "wasm", wasm: wasmThreads, numThreads: 2 } },
    ];
    const runs = models.flatMap((_, m) =>
      configs.map(({ label, options }) => ({
        label: `${models[m].name} ${label}`,
        model: m,
        expected: alone(m, options),
        interpreter: Interpreter.fromBytes(models[m].bytes, options),
      }))
    );
    // A native call that finds the pool busy runs on 1 thread: results must not depend on the thread count.
    for (let m = 0; m < models.length; m++) {
      const [t1, t2, t4] = runs.filter((r) => r.model === m).map((r) => r.expected);
      assert.ok(
        t1.every((out, k) => sameBytes(out, t2[k]) && sameBytes(out, t4[k])),
        `${models[m].name} 1/2/4 threads`,
      );
    }
    const mismatches: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (let j = 0; j < runs.length; j++) {
        const run = runs[(j * 7 + round) % runs.length]; // a different order each round
        const k = (round + j) % 3;
        const out = outputBytes(run.interpreter.invoke([inputs[run.model][k]]));
        if (!sameBytes(out, run.expected[k])) mismatches.push(`${run.label} input ${k} round ${round}`);
      }
    }
    assert.deepEqual(mismatches, []);
  } finally {
    wasmThreads.dispose();
  }
});

Deno.test("5 Workers at once (native 1/2/4 threads, wasm; bytes shared or copied) and this thread give their outputs alone", async () => {
  const mnistShared = shared(models[0].bytes);
  const jobs: { model: number; options: InterpreterOptions; bytes: Uint8Array }[] = [
    { model: 0, options: { backend: "native", numThreads: 2 }, bytes: mnistShared },
    { model: 0, options: { backend: "native", numThreads: 1 }, bytes: mnistShared },
    { model: 0, options: { backend: "wasm", numThreads: 1 }, bytes: mnistShared },
    { model: 1, options: { backend: "native", numThreads: 4 }, bytes: models[1].bytes.slice() },
    { model: 2, options: { backend: "native", numThreads: 2 }, bytes: models[2].bytes.slice() },
  ];
  const expected = jobs.map((j) => alone(j.model, j.options));
  const mine = Interpreter.fromBytes(models[0].bytes, { backend: "native", numThreads: 2 });
  // One first: the others then find its modules compiled and type-checked.
  const workers = [await startWorker()];
  workers.push(...await Promise.all(jobs.slice(1).map(startWorker)));
  try {
    // All run until one deadline, so they overlap whatever their speeds; this thread invokes meanwhile.
    const until = Date.now() + 2500;
    const results = workers.map((w, i) =>
      send<InvokeResult>(w, {
        kind: "invoke",
        bytes: jobs[i].bytes,
        backend: jobs[i].options.backend as "native" | "wasm",
        numThreads: jobs[i].options.numThreads!,
        inputs: inputs[jobs[i].model],
        rounds: 20,
        until,
      })
    );
    const here = invokeRounds(mine, inputs[0], 20, until);
    assert.equal(here.mismatches, 0);
    assert.ok(here.first.every((out, k) => sameBytes(out, expected[0][k])), "this thread's native/t2 outputs");
    for (const [i, result] of (await Promise.all(results)).entries()) {
      const label = `worker ${i}: ${models[jobs[i].model].name} ${jobs[i].options.backend}/t${
        jobs[i].options.numThreads
      }`;
      assert.equal(result.mismatches, 0, label);
      assert.ok(result.first.every((out, k) => sameBytes(out, expected[i][k])), label);
      assert.ok(result.invokes >= 60, `${label}: ${result.invokes} invokes`);
    }
  } finally {
    for (const w of workers) w.terminate();
  }
});

Deno.test("training in 4 Workers at once (seeds 1-3, native SGEMM on 1/2/4 threads) gives the weights of each alone", async () => {
  const jobs = [{ seed: 1, threads: 1 }, { seed: 1, threads: 2 }, { seed: 2, threads: 2 }, { seed: 3, threads: 4 }]
    .map((j) => ({ kind: "train" as const, epochs: 6, ...j }));
  const train = async (job: ConcurrencyJob) => {
    const worker = await startWorker();
    try {
      return await send<Float32Array[]>(worker, job);
    } finally {
      worker.terminate();
    }
  };
  const expected: Float32Array[][] = [];
  for (const job of jobs) expected.push(await train(job)); // one at a time
  const together = await Promise.all(jobs.map(train));
  const bytes = (ws: Float32Array[]) => outputBytes(ws);
  together.forEach((weights, i) => {
    assert.equal(weights.length, 14);
    assert.ok(sameBytes(bytes(weights), bytes(expected[i])), `seed ${jobs[i].seed} on ${jobs[i].threads} threads`);
  });
  assert.ok(!sameBytes(bytes(expected[1]), bytes(expected[2])), "different seeds train different weights");
});

/** Resolves once a loop worker's invoke count stays put for 300 ms; rejects if it still moves after 10 s. */
async function stopped(progress: Int32Array): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let last = Atomics.load(progress, 0), still = 0;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && still < 6; await sleep(50)) {
    const now = Atomics.load(progress, 0);
    still = now === last ? still + 1 : 0;
    last = now;
  }
  if (still < 6) throw new Error(`a terminated worker still invokes (${last} invokes)`);
}

Deno.test("the native pool survives Workers starting, ending and terminated mid-invoke; 2-thread jobs stay right", async () => {
  const expected = alone(0, { backend: "native", numThreads: 2 });
  const mine = Interpreter.fromBytes(models[0].bytes, { backend: "native", numThreads: 2 });
  const next = seededRandom(21);
  let terminated = 0, midInvoke = 0;
  for (let i = 0; i < 9; i++) {
    const worker = await startWorker();
    const progress = new Int32Array(new SharedArrayBuffer(8));
    const job: ConcurrencyJob = {
      kind: i % 3 === 2 ? "invoke" : "loop", // every third one ends on its own, the others are cut off
      bytes: models[0].bytes,
      backend: "native",
      numThreads: [2, 4, 1][i % 3],
      inputs: inputs[0],
      rounds: 50,
      progress,
      yieldEvery: 50,
    };
    const result = await send<InvokeResult | "running">(worker, job);
    if (result !== "running") assert.equal(result.mismatches, 0);
    else {
      await new Promise((r) => setTimeout(r, Math.floor(next() * 20))); // it keeps invoking meanwhile
      // Terminate it while it is inside invoke (where it spends most of its time): on a loaded machine a single
      // look may find it between invokes every time.
      for (const until = Date.now() + 2000; Atomics.load(progress, 1) === 0 && Date.now() < until;);
    }
    midInvoke += Atomics.load(progress, 1);
    worker.terminate();
    // At once with the terminated worker's last invoke, which runs to its end.
    const here = invokeRounds(mine, inputs[0], 30);
    assert.equal(here.mismatches, 0, `after worker ${i}`);
    assert.ok(here.first.every((out, k) => sameBytes(out, expected[k])), `after worker ${i}`);
    if (result === "running") {
      await stopped(progress);
      terminated++;
    }
  }
  assert.equal(terminated, 6);
  assert.ok(midInvoke >= 1, "no terminate() came while a worker was inside invoke");
  // The pool's jobs themselves: a 2-thread binary GEMM equals the 1-thread one.
  const next2 = seededRandom(5);
  const rhsBits = Uint32Array.from({ length: 64 * 18 }, () => (next2() * 2 ** 32) >>> 0);
  const lhs = Uint32Array.from({ length: 784 * 18 }, () => (next2() * 2 ** 32) >>> 0);
  const one = BinaryKernels.native({ threads: 1 });
  const two = BinaryKernels.native({ threads: 2 });
  const reference = one.bgemmF32(lhs, one.packRhs(rhsBits, 64));
  for (let i = 0; i < 200; i++) assert.deepEqual(two.bgemmF32(lhs, two.packRhs(rhsBits, 64)), reference);
});
