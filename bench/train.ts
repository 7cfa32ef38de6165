/**
 * Training speed side by side in one run, on two models: larq's
 * introductory MNIST CNN (batch 64) and larq-zoo's QuickNetSmall, a
 * residual BNN, on 32×32×3 inputs with 10 classes (batch 32). onebit runs
 * on its native kernels (1 thread), its wasm build and pure TypeScript;
 * larq on TensorFlow CPU (tools/py/larq_train_bench.py, 1 thread) builds the
 * same architectures; TensorFlow.js (cpu backend) runs the MNIST CNN.
 * Both sides train as a user does, in one `fit` call over all the batches
 * (larq: Keras's `model.fit`; a batch's time is the time between consecutive
 * batch ends, warm-up batches dropped): until 2026-12-06 larq ran one
 * `train_on_batch` call per batch, whose per-call Python set-up made it look
 * about 1.4× slower than in its own loop. Both sides drop the same `--warmup`
 * batches first (default 100 for the MNIST CNN, 20 for QuickNetSmall): V8
 * compiles onebit's TypeScript for about that long (MNIST at 1 thread: medians
 * of 12.4, 11.9, 12.1, 11.5, 11.2, then 10.9-11.3 ms per 25 batches), and its
 * compiler threads share the two vCPUs with a 2-thread step meanwhile; until
 * 2026-12-07 onebit timed batches 3-32 (larq 6-35), as no training run spends
 * its time.
 * Prints the median time per batch and the ratios. `--threads N` runs onebit's
 * native kernels and larq's TensorFlow on N threads (the wasm and TS runs
 * stay on one). Beside each median wall time, the median CPU time per batch
 * (all of the process's threads) of onebit native and larq: on a shared,
 * loaded host the CPU ratio is the steadier one.
 *
 *     deno task bench:train [--model mnist|quicknet_small|all] [--threads 1] [--batches 30] [--quicknet-batches 8]
 *                           [--warmup N] [--wasm-batches 10] [--ts-batches 5] [--tfjs-batches 2] [--no-python] [--json]
 *     deno task bench:train --profile [--model …] [--batches 30] [--threads 1]   time per op kind, forward and backward (native)
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import {
  Adam,
  fitSync as fit,
  FloatKernels,
  larqMnistCnn,
  type Model,
  quickNet,
  type Sequential,
  setTrainingKernels,
  Tensor,
} from "../mod.ts";
import { TrainingProfile } from "../graph/profile.ts";
import { larqTrain, type TrainTimes } from "./_larq_train.ts";
import { tfjsTrainSteps } from "./_tfjs_train.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "all" },
    threads: { type: "string", default: "1" },
    batches: { type: "string", default: "30" },
    "quicknet-batches": { type: "string", default: "8" },
    "wasm-batches": { type: "string", default: "10" },
    "ts-batches": { type: "string", default: "5" },
    "tfjs-batches": { type: "string", default: "2" },
    "no-python": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    warmup: { type: "string" },
  },
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const threads = Number(values.threads);
if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`--threads ${values.threads}: use an integer ≥ 1`);

/** `--warmup`, else `fallback`: batches dropped before timing (at least 1: a batch is timed from the one before's end). */
function warmupOf(fallback: number): number {
  const n = values.warmup === undefined ? fallback : Number(values.warmup);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--warmup ${values.warmup}: use an integer ≥ 1`);
  return n;
}

/** A benchmarked model: its builder, input shape (no batch axis) and batch size. */
interface BenchModel {
  title: string;
  build: () => Model | Sequential;
  shape: number[];
  batch: number;
  /** Batches timed on the native kernels (wasm and TS take their own counts, scaled down alike). */
  batches: number;
  /** Batches run before the timed ones by onebit's native kernels and by larq (`--warmup` overrides it). */
  warmup: number;
}

const MODELS: Record<string, BenchModel> = {
  mnist: {
    title: "larq's MNIST CNN, batch 64",
    build: () => larqMnistCnn({ seed: 1 }),
    shape: [28, 28, 1],
    batch: 64,
    batches: Number(values.batches),
    warmup: warmupOf(100),
  },
  quicknet_small: {
    title: "QuickNetSmall (larq-zoo) on 32×32×3, 10 classes, batch 32",
    build: () => quickNet("quicknet_small", { inputShape: [32, 32, 3], numClasses: 10, seed: 1 }),
    shape: [32, 32, 3],
    batch: 32,
    batches: Number(values["quicknet-batches"]),
    warmup: warmupOf(20),
  },
};

/** Batches the wasm and TS runs drop before timing (the first builds the model and warms the kernels up). */
const SLOW_WARMUP_BATCHES = 2;

/** The model of `m`, `batches` batches of inputs and labels for it, and an Adam optimizer. */
function setUp(m: BenchModel, batches: number) {
  const model = m.build();
  const n = m.batch * batches, size = m.shape.reduce((a, b) => a * b, 1);
  const x = new Tensor(Float32Array.from({ length: n * size }, (_, i) => Math.sin(i)), [n, ...m.shape]);
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  return { model, x, y, optimizer: new Adam(0.001) };
}

/**
 * Wall and CPU ms of each of `batches` batches of onebit's training, as a user trains: one `fit` over
 * `warmup` + `batches` batches (not shuffled), a batch's time being the time between consecutive batch ends
 * (the step, the batch's slicing, metrics and callbacks), the warm-up batches dropped — as
 * tools/py/larq_train_bench.py times larq's `model.fit`.
 */
function onebit(
  m: BenchModel,
  batches: number,
  kernels: "auto" | "reference" | FloatKernels,
  warmup: number,
): TrainTimes {
  setTrainingKernels(kernels);
  const { model, x, y, optimizer } = setUp(m, warmup + batches);
  const ends: [number, number][] = [];
  const onBatchEnd = () => {
    const c = process.cpuUsage();
    ends.push([performance.now(), (c.user + c.system) / 1000]);
  };
  fit(model, x, y, {
    optimizer,
    epochs: 1,
    batchSize: m.batch,
    shuffle: false,
    verbose: 0,
    callbacks: [{ onBatchEnd }],
  });
  setTrainingKernels("auto");
  const timed = ends.slice(warmup - 1);
  return {
    wall: timed.slice(1).map(([t], i) => t - timed[i][0]),
    cpu: timed.slice(1).map(([, c], i) => c - timed[i][1]),
  };
}

/**
 * `batches` training steps of onebit in one `fit` call, as {@link onebit} trains (the step-scoped buffers
 * stay warm from batch to batch), after a warm-up `fit`, each step's ops timed into `profile`.
 */
function onebitProfile(
  m: BenchModel,
  batches: number,
  kernels: "auto" | FloatKernels,
  profile: TrainingProfile,
): number {
  setTrainingKernels(kernels);
  const { model, x, y, optimizer } = setUp(m, Math.max(batches, m.warmup));
  const perBatch = m.batch * m.shape.reduce((a, b) => a * b, 1);
  const fitOn = (n: number) =>
    fit(
      model,
      new Tensor(x.data.subarray(0, perBatch * n), [n * m.batch, ...m.shape]),
      y.subarray(0, n * m.batch),
      {
        optimizer,
        epochs: 1,
        batchSize: m.batch,
        seed: 1,
        verbose: 0,
      },
    );
  fitOn(m.warmup);
  const t0 = performance.now();
  profile.during(() => fitOn(batches));
  setTrainingKernels("auto");
  return (performance.now() - t0) / batches;
}

/** The median ms per batch of each runner on one model. */
async function measure(name: string, m: BenchModel): Promise<Record<string, number>> {
  // The slower runners time fewer batches: the same fraction of the native count.
  const scaled = (flag: "wasm-batches" | "ts-batches") =>
    Math.max(0, Math.round(Number(values[flag]) * m.batches / Number(values.batches)));
  const r: Record<string, number> = {};
  const native = onebit(m, m.batches, threads === 1 ? "auto" : FloatKernels.native({ threads }), m.warmup);
  r.onebit_native = median(native.wall);
  r.onebit_native_cpu = median(native.cpu);
  const wasm = scaled("wasm-batches"), ts = scaled("ts-batches");
  if (wasm > 0) r.onebit_wasm = median(onebit(m, wasm, FloatKernels.wasm(), SLOW_WARMUP_BATCHES).wall);
  if (ts > 0) r.onebit_ts = median(onebit(m, ts, "reference", SLOW_WARMUP_BATCHES).wall);
  if (!values["no-python"]) {
    const tf = await larqTrain(name, threads, m.batches, m.warmup);
    r.larq_tf = median(tf.wall);
    r.larq_tf_cpu = median(tf.cpu);
  }
  if (name === "mnist" && Number(values["tfjs-batches"]) > 0) {
    r.tfjs_cpu = median(await tfjsTrainSteps(Number(values["tfjs-batches"])));
  }
  return r;
}

function print(m: BenchModel, r: Record<string, number>): void {
  console.log(`${m.title}, ${threads} thread${threads === 1 ? "" : "s"} (native, larq): median ms per training batch`);
  for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(18)} ${v.toFixed(1).padStart(9)} ms`);
  if (r.larq_tf) console.log(`  onebit (native) / larq-TF: ${(r.onebit_native / r.larq_tf).toFixed(2)}×`);
  if (r.larq_tf_cpu) {
    console.log(`  CPU time, onebit (native) / larq-TF: ${(r.onebit_native_cpu / r.larq_tf_cpu).toFixed(2)}×`);
  }
  if (r.tfjs_cpu) console.log(`  tfjs-cpu / onebit (native): ${(r.tfjs_cpu / r.onebit_native).toFixed(0)}×`);
  if (r.onebit_wasm) console.log(`  onebit wasm / native: ${(r.onebit_wasm / r.onebit_native).toFixed(1)}×`);
  if (r.onebit_ts) console.log(`  onebit TS-only / native: ${(r.onebit_ts / r.onebit_native).toFixed(1)}×`);
}

/** Prints the time per op kind of `--batches` native training steps of each model, and what the tape does not see. */
function printProfiles(names: string[]): void {
  for (const name of names) {
    const m = MODELS[name], profile = new TrainingProfile();
    const kernels = threads === 1 ? "auto" : FloatKernels.native({ threads });
    const total = onebitProfile(m, m.batches, kernels, profile);
    console.log(
      `${m.title}, native, ${threads} thread${
        threads === 1 ? "" : "s"
      }: ms per training step by op kind (${m.batches} steps)`,
    );
    console.log(profile.table(m.batches));
    const taped = profile.totalMs() / m.batches;
    console.log(
      `ops on the tape ${taped.toFixed(2)} ms + outside it (optimizer, loss, metrics, fit) ` +
        `${(total - taped).toFixed(2)} ms = ${total.toFixed(2)} ms per step\n`,
    );
  }
}

const names = values.model === "all" ? Object.keys(MODELS) : [values.model!];
for (const name of names) {
  if (!MODELS[name]) {
    throw new RangeError(`--model ${JSON.stringify(name)}: use ${[...Object.keys(MODELS), "all"].join(", ")}`);
  }
}
if (values.profile) {
  printProfiles(names);
} else {
  const results: Record<string, Record<string, number>> = {};
  for (const name of names) results[name] = await measure(name, MODELS[name]);
  if (values.json) console.log(JSON.stringify(values.model === "all" ? results : results[names[0]]));
  else for (const name of names) print(MODELS[name], results[name]);
}
