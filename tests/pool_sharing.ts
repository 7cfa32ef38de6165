/**
 * How Deno Workers share libonebit's one thread pool (one per process per
 * library: one job at a time; a caller that finds it busy runs its whole
 * job on its own thread). Two Workers run native binary GEMMs (the MNIST
 * BNN's largest) for a while, alone or at once, on 1 or 2 threads; the
 * table gives each Worker's GEMMs and ms per GEMM, and the CPU time the
 * pool's own thread spent (it works only for a caller that got the pool).
 *
 *     deno run -A tests/pool_sharing.ts [--ms 3000]
 * @module
 */
import { parseArgs } from "node:util";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { type GemmResult, send, startWorker } from "./_concurrency.ts";

/** CPU milliseconds (user + system) each thread of this process has used, by thread id. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(t.name, (Number(fields[11]) + Number(fields[12])) * 10); // clock ticks of 10 ms
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return out;
}

/** Starts the pool's one worker thread (a 2-thread job on this thread) and returns its thread id. */
function startPool(): string {
  const before = new Set(threadCpu().keys());
  const k = BinaryKernels.native({ threads: 2 });
  k.bgemmF32(new Uint32Array(3136 * 18), k.packRhs(new Uint32Array(64 * 18), 64));
  const added = [...threadCpu().keys()].filter((t) => !before.has(t));
  if (added.length !== 1) throw new Error(`expected one new pool thread, found ${added.length}`);
  return added[0];
}

async function main() {
  const { values } = parseArgs({ args: Deno.args, options: { ms: { type: "string", default: "3000" } } });
  const ms = Number(values.ms);
  const pool = startPool();
  const workers = [await startWorker(), await startWorker()];
  const scenarios: { name: string; threads: number[] }[] = [
    { name: "A alone, 1 thread", threads: [1] },
    { name: "A alone, 2 threads", threads: [2] },
    { name: "A 2 threads + B 2 threads", threads: [2, 2] },
    { name: "A 2 threads + B 1 thread", threads: [2, 1] },
    { name: "A 1 thread + B 1 thread", threads: [1, 1] },
  ];
  console.log(`| scenario | A: GEMMs, ms/GEMM | B: GEMMs, ms/GEMM | pool thread CPU ms / ${ms} ms |`);
  console.log("|---|---|---|---|");
  for (const { name, threads } of scenarios) {
    const cpu0 = threadCpu().get(pool) ?? 0;
    const results = await Promise.all(
      threads.map((t, i) => send<GemmResult>(workers[i], { kind: "gemm", threads: t, ms })),
    );
    const poolMs = (threadCpu().get(pool) ?? 0) - cpu0;
    const cell = (r?: GemmResult) => r ? `${r.jobs}, ${r.msPerJob.toFixed(2)}` : "-";
    console.log(`| ${name} | ${cell(results[0])} | ${cell(results[1])} | ${poolMs} |`);
  }
  for (const w of workers) w.terminate();
}

if (import.meta.main) await main();
