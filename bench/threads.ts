/**
 * 2-thread scaling of whole models, measured so that host noise shows: in
 * each round the same process runs the model on 1 thread, then on 2, and
 * probes how much of the second vCPU the host lends right then (a
 * register-only AVX-512/NEON peak loop, ~20 ms of work per thread so that it
 * spans the host's time slices: `cores` = 2 × the fastest 1-thread probe of
 * the run / the 2-thread probe, 2.0 when both vCPUs run at full speed, ~1
 * when the host lends one core's worth). A probe of a few µs, as before
 * 2026-12-06, fit inside one time slice and called a loaded host calm. Prints
 * the 2T/1T ratio of every round, its median, and its median over the rounds
 * whose probes (before and after) saw ≥ 1.9 cores. `--profile`: also the
 * time per op type on 1 and 2 threads and its 2T/1T (medians over the calm
 * rounds, or over every round when none was calm, said so).
 *
 *   deno run -A bench/threads.ts [bench/models/quicknet.tflite ...] [--rounds 20] [--runs 15] [--lib libonebit.so]
 *                                [--profile] [--json]
 */
import { parseArgs } from "node:util";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { Interpreter } from "../runtime/interpreter.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string" },
    runs: { type: "string" },
    lib: { type: "string" },
    json: { type: "boolean" },
    profile: { type: "boolean" },
  },
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
/** Iterations of ~20 ms at the 1-thread peak (assumed ≤ 2 T MAC/s): longer than a time slice. */
const probeIterations = Math.ceil(2e10 / peakKernel.peakMacsPerIteration);
let fastest1 = Infinity;
function cores(): number {
  const t1 = timeMs(() => native.peakLoop(peakKernel.index, probeIterations, 1));
  fastest1 = Math.min(fastest1, t1);
  const t2 = timeMs(() => native.peakLoop(peakKernel.index, probeIterations, 2));
  return (2 * fastest1) / t2;
}

/** ms per invoke of each op type (fusions by their label) in one profiled invoke-set. */
function byType(it: Interpreter): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of it.profile()) m.set(o.op, (m.get(o.op) ?? 0) + o.total_ms / Math.max(1, o.invocations));
  return m;
}

const results = [];
for (const path of models) {
  const bytes = await Deno.readFile(path);
  const its = [1, 2].map((numThreads) =>
    Interpreter.fromBytes(bytes, { numThreads, path: values.lib, profile: values.profile })
  );
  const n = its[0].inputs[0].shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1));
  for (const it of its) for (let i = 0; i < 5; i++) it.invoke([x]);
  const rows: { t1: number; t2: number; ratio: number; cores: number; ops?: Map<string, number>[] }[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = cores();
    const ops: Map<string, number>[] = [];
    const [t1, t2] = its.map((it) => {
      it.resetProfile();
      const t = median(Array.from({ length: runs }, () => timeMs(() => it.invoke([x]))));
      if (values.profile) ops.push(byType(it));
      return t;
    });
    rows.push({ t1, t2, ratio: t1 / t2, cores: Math.min(before, cores()), ops: values.profile ? ops : undefined });
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
  if (values.profile) {
    const from = calm.length > 0 ? calm : rows;
    const types = [...rows[0].ops![0].keys()].sort((a, b) => rows[0].ops![0].get(b)! - rows[0].ops![0].get(a)!);
    Object.assign(summary, {
      profile_rounds: calm.length > 0 ? "calm" : "all (none calm)",
      by_type: types.map((op) => {
        const [a, b] = [0, 1].map((k) => median(from.map((r) => r.ops![k].get(op) ?? 0)));
        return { op, t1_ms: a, t2_ms: b, ratio: a / b };
      }),
    });
  }
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
    const p = summary as {
      profile_rounds?: string;
      by_type?: { op: string; t1_ms: number; t2_ms: number; ratio: number }[];
    };
    if (p.by_type) {
      console.log(`  per op type, ms per invoke (medians over ${p.profile_rounds} rounds):`);
      for (const t of p.by_type) {
        console.log(
          `    ${t.op.padEnd(34)} 1T ${t.t1_ms.toFixed(3)}  2T ${t.t2_ms.toFixed(3)}  ${t.ratio.toFixed(2)}×`,
        );
      }
    }
  }
}
if (values.json) console.log(JSON.stringify(results.map(({ rows: _rows, ...s }) => s)));
