/**
 * Training speed of larq's introductory MNIST CNN, side by side in one run:
 * onebit (native SGEMM, 1 thread; its wasm build; and pure TypeScript), larq on TensorFlow
 * CPU (tools/py/larq_train_bench.py, 1 thread), and TensorFlow.js (cpu
 * backend). Prints the median time per batch of 64 and the ratios.
 *
 *     deno task bench:train [--batches 30] [--wasm-batches 10] [--ts-batches 5] [--tfjs-batches 2] [--no-python] [--json]
 * @module
 */
import { parseArgs } from "node:util";
import { Adam, fitSync as fit, FloatKernels, larqMnistCnn, setTrainingKernels, Tensor } from "../mod.ts";
import { tfjsTrainSteps } from "./_tfjs_train.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "30" },
    "wasm-batches": { type: "string", default: "10" },
    "ts-batches": { type: "string", default: "5" },
    "tfjs-batches": { type: "string", default: "2" },
    "no-python": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const root = new URL("../", import.meta.url).pathname;

/** ms per batch of onebit's fit on `batches` batches of 64 (after one warm-up batch). */
function onebit(batches: number, kernels: "auto" | "reference" | FloatKernels): number[] {
  setTrainingKernels(kernels);
  const model = larqMnistCnn({ seed: 1 });
  const n = 64;
  const x = new Tensor(Float32Array.from({ length: n * 784 }, (_, i) => Math.sin(i)), [n, 28, 28, 1]);
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  const optimizer = new Adam(0.001);
  fit(model, x, y, { optimizer, epochs: 1, batchSize: n, seed: 1, verbose: 0 });
  const times: number[] = [];
  for (let i = 0; i < batches; i++) {
    const t0 = performance.now();
    fit(model, x, y, { optimizer, epochs: 1, batchSize: n, seed: 1, verbose: 0 });
    times.push(performance.now() - t0);
  }
  setTrainingKernels("auto");
  return times;
}

const results: Record<string, number> = {};
results.onebit_native = median(onebit(Number(values.batches), "auto"));
if (Number(values["wasm-batches"]) > 0) {
  results.onebit_wasm = median(onebit(Number(values["wasm-batches"]), FloatKernels.wasm()));
}
if (Number(values["ts-batches"]) > 0) results.onebit_ts = median(onebit(Number(values["ts-batches"]), "reference"));
if (!values["no-python"]) {
  const out = await new Deno.Command(`${root}.tools/venv/bin/python`, {
    args: ["tools/py/larq_train_bench.py", "--threads", "1", "--batches", values.batches!],
    env: { PYTHONPATH: "tools/py", TF_CPP_MIN_LOG_LEVEL: "3" },
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).slice(-2000));
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  results.larq_tf = median(JSON.parse(line).ms_per_batch);
}
if (Number(values["tfjs-batches"]) > 0) results.tfjs_cpu = median(await tfjsTrainSteps(Number(values["tfjs-batches"])));
if (values.json) {
  console.log(JSON.stringify(results));
} else {
  console.log("larq's MNIST CNN, batch 64, 1 thread: median ms per training batch");
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(14)} ${v.toFixed(1).padStart(9)} ms`);
  if (results.larq_tf) {
    console.log(`  onebit (native) / larq-TF: ${(results.onebit_native / results.larq_tf).toFixed(2)}×`);
  }
  if (results.tfjs_cpu) {
    console.log(`  tfjs-cpu / onebit (native): ${(results.tfjs_cpu / results.onebit_native).toFixed(0)}×`);
  }
  if (results.onebit_wasm) {
    console.log(`  onebit wasm / native: ${(results.onebit_wasm / results.onebit_native).toFixed(1)}×`);
  }
  if (results.onebit_ts) {
    console.log(`  onebit TS-only / native: ${(results.onebit_ts / results.onebit_native).toFixed(1)}×`);
  }
}
