/**
 * 2-thread scaling of whole models, measured so that host noise shows: in
 * each round the same process runs the model on 1 thread, then on 2, and
 * probes how much of the second vCPU the host lends right then (a
 * register-only AVX-512/NEON peak loop on 1 and 2 threads: `cores` = 2·t1/t2,
 * 2.0 when both vCPUs run at full speed). Prints the 2T/1T ratio of every
 * round, its median, and its median over the rounds whose probe saw ≥ 1.9
 * cores.
 *
 *   deno run -A bench/threads.ts [bench/models/quicknet.tflite ...] [--rounds 20] [--runs 15] [--lib libonebit.so] [--json]
 */
import { parseArgs } from "node:util";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { Interpreter } from "../runtime/interpreter.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string" }, runs: { type: "string" }, lib: { type: "string" }, json: { type: "boolean" } },
});
const rounds = Number(values.rounds ?? 20), runs = Number(values.runs ?? 15);
const models = positionals.length > 0 ? positionals : ["bench/models/quicknet.tflite"];
const native = BinaryKernels.native({ path: values.lib });
const peakKernel = native.ukernels().filter((u) => u.supported).at(-1)!;

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
function timeMs(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}
function cores(): number {
  const iterations = Math.ceil(2e7 / peakKernel.peakMacsPerIteration);
  const t1 = Math.min(...[0, 1, 2].map(() => timeMs(() => native.peakLoop(peakKernel.index, iterations, 1))));
  const t2 = Math.min(...[0, 1, 2].map(() => timeMs(() => native.peakLoop(peakKernel.index, iterations, 2))));
  return (2 * t1) / t2;
}

const results = [];
for (const path of models) {
  const bytes = await Deno.readFile(path);
  const its = [1, 2].map((numThreads) => Interpreter.fromBytes(bytes, { numThreads, path: values.lib }));
  const n = its[0].inputs[0].shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1));
  for (const it of its) for (let i = 0; i < 5; i++) it.invoke([x]);
  const rows: { t1: number; t2: number; ratio: number; cores: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const c = cores();
    const [t1, t2] = its.map((it) => median(Array.from({ length: runs }, () => timeMs(() => it.invoke([x])))));
    rows.push({ t1, t2, ratio: t1 / t2, cores: c });
  }
  const calm = rows.filter((r) => r.cores >= 1.9);
  const summary = {
    model: path,
    rounds,
    runs,
    t1_ms: median(rows.map((r) => r.t1)),
    t2_ms: median(rows.map((r) => r.t2)),
    ratio_median: median(rows.map((r) => r.ratio)),
    ratio_min: Math.min(...rows.map((r) => r.ratio)),
    ratio_max: Math.max(...rows.map((r) => r.ratio)),
    calm_rounds: calm.length,
    calm_ratio_median: calm.length ? median(calm.map((r) => r.ratio)) : null,
    rows,
  };
  results.push(summary);
  if (!values.json) {
    console.log(`${path}: ${rounds} rounds of ${runs} runs per thread count`);
    for (const r of rows) {
      console.log(
        `  1T ${r.t1.toFixed(3)} ms  2T ${r.t2.toFixed(3)} ms  2T/1T ${r.ratio.toFixed(2)}×  cores ${
          r.cores.toFixed(2)
        }`,
      );
    }
    console.log(
      `  median 1T ${summary.t1_ms.toFixed(3)} ms, 2T ${summary.t2_ms.toFixed(3)} ms; 2T/1T median ${
        summary.ratio_median.toFixed(2)
      }× (${summary.ratio_min.toFixed(2)}-${
        summary.ratio_max.toFixed(2)
      }); rounds with ≥ 1.9 cores: ${calm.length}, median ${summary.calm_ratio_median?.toFixed(2) ?? "-"}×`,
    );
  }
}
if (values.json) console.log(JSON.stringify(results.map(({ rows: _rows, ...s }) => s)));
