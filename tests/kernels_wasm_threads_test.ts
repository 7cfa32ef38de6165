/**
 * The opt-in threaded wasm library (kernels/wasm_threads.ts, onebit_threads.wasm): the binary and float
 * conformance suites (and the rest of the kernel suites) at 2 threads on it, every LCE fixture model giving the same
 * outputs on it at 2 threads as on the single-threaded module, the thread limit, dispose, the startup deadline, and
 * a script that uses it exiting by itself.
 */
import assert from "node:assert/strict";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { defaultWasm, defaultWasmUrl, instantiateWasm, WasmModuleError } from "../kernels/wasm.ts";
import { instantiateWasmThreads, WasmThreadsError } from "../kernels/wasm_threads.ts";
import { Interpreter } from "../runtime/interpreter.ts";

const ROOT = new URL("..", import.meta.url);
const wasm = await instantiateWasmThreads({ threads: 2 });
const simd128 = await instantiateWasmThreads({ threads: 2, relaxed: false });
const singleSimd128 = await instantiateWasm({ bytes: await Deno.readFile(defaultWasmUrl(false)) });

async function deno(args: string[], env: Record<string, string> = {}): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, env, stdout: "piped", stderr: "piped" })
    .output();
}

for (const relaxed of [true, false]) {
  const name = relaxed ? "onebit_threads.wasm" : "onebit_threads_simd128.wasm";
  Deno.test(`the kernel conformance suites pass with ${name} on 2 threads as their wasm backend`, async () => {
    const suites = [...Deno.readDirSync(new URL("tests/", ROOT))].map((e) => e.name)
      .filter((n) => /^kernels_.*conformance_test\.ts$/.test(n)).sort().map((n) => `tests/${n}`);
    assert.ok(suites.includes("tests/kernels_binary_conformance_test.ts"));
    assert.ok(suites.includes("tests/kernels_float_conformance_test.ts"));
    const out = await deno(["test", "-A", ...suites], {
      ONEBIT_WASM_THREADS: "2",
      ONEBIT_WASM_THREADS_RELAXED: relaxed ? "1" : "0",
    });
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text.slice(-4000));
    assert.match(text, / 0 failed/);
  });
}

function randomInput(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
}

Deno.test("every LCE fixture model: the same outputs at 2 threads on onebit_threads.wasm as on 1 thread", () => {
  const dir = new URL("tests/fixtures/lce/", ROOT);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tflite")).sort();
  assert.ok(names.length >= 10);
  const single = defaultWasm();
  for (const name of names) {
    const bytes = Deno.readFileSync(new URL(name, dir));
    const one = Interpreter.fromBytes(bytes, { backend: "wasm", wasm: single });
    const oneThreaded = Interpreter.fromBytes(bytes, { backend: "wasm", wasm });
    const two = Interpreter.fromBytes(bytes, { backend: "wasm", wasm, numThreads: 2 });
    const xs = one.inputs.map((t, i) => randomInput(t.shape.reduce((a, b) => a * b, 1), 7 + i));
    const want = one.invoke(xs);
    const wantSimd128 = Interpreter.fromBytes(bytes, { backend: "wasm", wasm: singleSimd128 }).invoke(xs);
    assert.deepEqual(oneThreaded.invoke(xs), want, `${name}: threaded module at 1 thread`);
    assert.deepEqual(two.invoke(xs), want, `${name}: threaded module at 2 threads`);
    const simd = Interpreter.fromBytes(bytes, { backend: "wasm", wasm: simd128, numThreads: 2 });
    assert.deepEqual(simd.invoke(xs), wantSimd128, `${name}: onebit_threads_simd128.wasm at 2 threads`);
  }
});

Deno.test("threads above the pool are a RangeError at bind time naming the limit", () => {
  assert.equal(wasm.maxThreads, 2);
  assert.throws(() => BinaryKernels.wasm({ wasm, threads: 3 }), /threads 3 exceeds .* 2 threads/);
  assert.throws(() => FloatKernels.wasm({ wasm, threads: 4 }), RangeError);
  assert.throws(() => BinaryKernels.wasm({ wasm }).with({ threads: 3 }), RangeError);
  const bytes = Deno.readFileSync(new URL("tests/fixtures/lce/bconv_chain.tflite", ROOT));
  assert.throws(() => Interpreter.fromBytes(bytes, { backend: "wasm", wasm, numThreads: 3 }), RangeError);
});

Deno.test("instantiateWasmThreads: bad threads, a missed startup deadline, dispose then a call", async () => {
  await assert.rejects(instantiateWasmThreads({ threads: 1 }), RangeError);
  await assert.rejects(instantiateWasmThreads({ threads: 1.5 }), RangeError);
  await assert.rejects(
    instantiateWasmThreads({ threads: 2, bytes: Deno.readFileSync(new URL("kernels/wasm/onebit.wasm", ROOT)) }),
    (e) => e instanceof WasmModuleError,
  );
  const dir = await Deno.makeTempDir();
  try {
    const throwing = new URL(`file://${dir}/throwing.ts`), silent = new URL(`file://${dir}/silent.ts`);
    Deno.writeTextFileSync(throwing, 'throw new Error("no luck");');
    Deno.writeTextFileSync(silent, "setInterval(() => {}, 1000);");
    await assert.rejects(
      instantiateWasmThreads({ threads: 3, workerUrl: throwing }),
      (e) => e instanceof WasmThreadsError && e.reason === "worker",
    );
    const t0 = performance.now();
    await assert.rejects(
      instantiateWasmThreads({ threads: 2, workerUrl: silent, startupTimeoutMs: 300 }),
      (e) => e instanceof WasmThreadsError && e.reason === "worker" && /not running after 300 ms/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 10_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const lib = await instantiateWasmThreads({ threads: 2 });
  const k = FloatKernels.wasm({ wasm: lib, threads: 2 });
  const a = new Float32Array(64 * 64).fill(1);
  const w = k.packRhs(a, 64);
  assert.equal(k.sgemm(a, w)[0], 64);
  lib.dispose();
  lib.dispose();
  assert.throws(
    () => k.sgemm(a, w),
    (e) => e instanceof WasmThreadsError && e.reason === "disposed",
  );
});

Deno.test("a script using the threaded library exits by itself (its workers are unref'd)", async () => {
  const script = `
    import { instantiateWasmThreads } from ${JSON.stringify(new URL("kernels/wasm_threads.ts", ROOT).href)};
    import { FloatKernels } from ${JSON.stringify(new URL("kernels/float_kernels.ts", ROOT).href)};
    const wasm = await instantiateWasmThreads({ threads: 2 });
    const k = FloatKernels.wasm({ wasm, threads: 2 });
    const a = new Float32Array(256 * 256).fill(1);
    console.log("done", k.sgemm(a, k.packRhs(a, 256))[0]);
  `;
  const t0 = performance.now();
  const out = await deno(["eval", "--ext=ts", script]);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "done 256");
  assert.ok(performance.now() - t0 < 30_000);
});

Deno.test("dispose ends the workers' threads: create, use and dispose three times leaves no thread behind", async () => {
  const threadNames = () =>
    [...Deno.readDirSync("/proc/self/task")].map((t) => Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim())
      .filter((n) => /^worker-\d+$/.test(n));
  if (Deno.build.os !== "linux") return;
  const before = new Set(threadNames()); // other tests' libraries (not disposed) keep theirs
  const ours = () => threadNames().filter((n) => !before.has(n));
  const a = new Float32Array(64 * 64).fill(1);
  for (let cycle = 0; cycle < 3; cycle++) {
    const lib = await instantiateWasmThreads({ threads: 3 });
    const k = FloatKernels.wasm({ wasm: lib, threads: 3 });
    const w = k.packRhs(a, 64);
    for (let i = 0; i < 50; i++) assert.equal(k.sgemm(a, w)[0], 64);
    lib.dispose();
  }
  // Workers leave onebit_worker_run at their next wake-up and close; give them a moment.
  const deadline = performance.now() + 10_000;
  while (ours().length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(ours(), [], "the disposed libraries' worker threads");
});
