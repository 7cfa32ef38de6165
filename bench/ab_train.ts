/**
 * Training A/B of two onebit trees in one process (each with its own TS and
 * native library, e.g. an export of an older commit with its zig-out/), on
 * bench/train.ts's models: rounds alternate A and B, each timing `--batches`
 * training steps of one `fit` call (after a warm-up batch); larq/TF (tools/py/larq_train_bench.py, 1
 * thread) runs between rounds, so that both sides' ratios to larq come from
 * the same minutes of a shared machine. Prints medians of wall and of CPU
 * time (this process's, all threads: it moves less with the neighbours'
 * load) and their ratios.
 *
 *     deno run -A bench/ab_train.ts --a /tmp/old_tree --b . [--model mnist|quicknet_small] [--rounds 5]
 *                                   [--batches 10] [--threads 1] [--reference] [--no-python]
 *
 * `--reference`: both sides on their pure-TS path (setTrainingKernels("reference")). `--threads N`: both sides'
 * native kernels and larq/TF on N threads.
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { larqTrain } from "./_larq_train.ts";
import { median } from "./_stats.ts";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    model: { type: "string", default: "mnist" },
    rounds: { type: "string", default: "5" },
    batches: { type: "string", default: "10" },
    threads: { type: "string", default: "1" },
    reference: { type: "boolean", default: false },
    "no-python": { type: "boolean", default: false },
  },
});
if (!values.a || !values.b || !["mnist", "quicknet_small"].includes(values.model!)) {
  throw new TypeError("usage: bench/ab_train.ts --a <tree> --b <tree> [--model mnist|quicknet_small] [--rounds N]");
}

// deno-lint-ignore no-explicit-any
type Onebit = any;

const threads = Number(values.threads);
if (!Number.isInteger(threads) || threads < 1) {
  throw new RangeError(`--threads must be an integer ≥ 1, got ${values.threads}`);
}

/** Milliseconds of CPU this process has used (user + system, every thread). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * One tree's model, ready to time: returns a function that trains one `fit` over 1 + `batches` batches and gives
 * the wall and CPU ms of each batch after the first (the time between consecutive batch ends), as bench/train.ts
 * and larq's side time a batch.
 */
async function side(tree: string): Promise<(batches: number) => [number[], number[]]> {
  const o: Onebit = await import(new URL(`${tree.replace(/\/?$/, "/")}mod.ts`, `file://${Deno.cwd()}/`).href);
  o.setTrainingKernels(values.reference ? "reference" : threads === 1 ? "auto" : o.FloatKernels.native({ threads }));
  const mnist = values.model === "mnist";
  const model = mnist
    ? o.larqMnistCnn({ seed: 1 })
    : o.quickNet("quicknet_small", { inputShape: [32, 32, 3], numClasses: 10, seed: 1 });
  const shape = mnist ? [28, 28, 1] : [32, 32, 3], n = mnist ? 64 : 32, size = shape.reduce((a, b) => a * b, 1);
  const optimizer = new o.Adam(0.001);
  const train = (batches: number) => {
    const x = new o.Tensor(Float32Array.from({ length: batches * n * size }, (_, i) => Math.sin(i)), [
      batches * n,
      ...shape,
    ]);
    const y = Int32Array.from({ length: batches * n }, (_, i) => i % 10);
    const ends: [number, number][] = [];
    const onBatchEnd = () => ends.push([performance.now(), cpuMs()]);
    o.fitSync(model, x, y, {
      optimizer,
      epochs: 1,
      batchSize: n,
      shuffle: false,
      verbose: 0,
      callbacks: [{ onBatchEnd }],
    });
    return ends;
  };
  train(1);
  return (batches) => {
    const ends = train(1 + batches);
    return [ends.slice(1).map(([t], i) => t - ends[i][0]), ends.slice(1).map(([, c], i) => c - ends[i][1])];
  };
}

const a = await side(values.a), b = await side(values.b);
const times: Record<"a" | "b" | "aCpu" | "bCpu" | "larq" | "larqCpu", number[]> = {
  a: [],
  b: [],
  aCpu: [],
  bCpu: [],
  larq: [],
  larqCpu: [],
};
const time = (f: (batches: number) => [number[], number[]], wall: number[], cpu: number[]) => {
  const [w, c] = f(batches);
  wall.push(...w);
  cpu.push(...c);
};
const batches = Number(values.batches);
for (let r = 0; r < Number(values.rounds); r++) {
  // Which side runs first alternates: the one right after larq's process (or first in the round) is penalised.
  if (r % 2 === 0) {
    time(a, times.a, times.aCpu);
    time(b, times.b, times.bCpu);
  } else {
    time(b, times.b, times.bCpu);
    time(a, times.a, times.aCpu);
  }
  if (!values["no-python"]) {
    const l = await larqTrain(values.model!, threads, batches);
    times.larq.push(...l.wall);
    times.larqCpu.push(...l.cpu);
  }
}
const [ma, mb] = [median(times.a), median(times.b)];
console.log(
  `${values.model}, ${
    values.reference ? "TS reference" : "native"
  }, ${threads} thread(s), ms per training step (median)`,
);
console.log(`  wall: A ${values.a} ${ma.toFixed(1)}   B ${values.b} ${mb.toFixed(1)}   B/A ${(mb / ma).toFixed(3)}`);
const [ca, cb] = [median(times.aCpu), median(times.bCpu)];
console.log(`  CPU:  A ${ca.toFixed(1)}   B ${cb.toFixed(1)}   B/A ${(cb / ca).toFixed(3)}`);
if (times.larq.length) {
  const ml = median(times.larq);
  console.log(`  larq/TF wall: ${ml.toFixed(1)}   A/larq ${(ma / ml).toFixed(2)}×   B/larq ${(mb / ml).toFixed(2)}×`);
  const cl = median(times.larqCpu);
  console.log(`  larq/TF CPU:  ${cl.toFixed(1)}   A/larq ${(ca / cl).toFixed(2)}×   B/larq ${(cb / cl).toFixed(2)}×`);
}
