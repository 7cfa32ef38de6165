/**
 * Soak: one interpreter invoked many times on the MNIST BNN (larq's
 * introductory model with its trained weights, converted by onebit), on
 * each backend in turn. Every output must equal, byte for byte, the first
 * output of the same input (four inputs, cycled); resident memory is
 * sampled through the run and may grow by less than 1 MiB between the end
 * of the warm-up and the end; the process's threads and open file
 * descriptors must be the same at both points.
 *
 *     deno task soak [--invokes 1000000] [--warmup 20000] [--samples 10] [--backends native/t1,wasm/t1] [--json]
 *
 * Exits 1 when a backend breaks a promise. `--json` prints the report as
 * JSON (tests/soak_test.ts runs a short form that way). Linux reads
 * /proc/self; elsewhere RSS comes from `Deno.memoryUsage()` and threads
 * and descriptors are not counted.
 *
 * Run it with {@link SOAK_V8_FLAGS} (the task does): a full garbage
 * collection before each sample, and V8's young generation held at one
 * size, since V8 otherwise resizes it now and then (8 MiB steps of RSS,
 * up or down, hundreds of thousands of invokes in) whatever the kernels do.
 * @module
 */
import { parseArgs } from "node:util";
import { convert } from "../convert/convert.ts";
import { instantiateWasmThreads } from "../kernels/wasm_threads.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import type { TensorData } from "../runtime/ops/_types.ts";
import { seededRandom } from "../graph/random.ts";
import { larqMnistCnn } from "../zoo/larq_mnist.ts";

/** V8 flags of a soak run: `gc()` exposed, young-generation semi-spaces fixed at 1 MiB. */
export const SOAK_V8_FLAGS = "--expose-gc,--min-semi-space-size=1,--max-semi-space-size=1";

/** The most RSS may grow between the end of the warm-up and the end of a run. */
export const MAX_RSS_GROWTH = 1 << 20;

/** The backends a soak can run: the native library or a wasm module, on 1 or 2 threads. */
export const SOAK_BACKENDS = ["native/t1", "native/t2", "wasm/t1", "wasm-threads/t2"] as const;
export type SoakBackend = typeof SOAK_BACKENDS[number];

/** What the process holds at one moment (threads and fds are undefined off Linux). */
export interface ProcessStats {
  rss: number;
  /** Bytes V8 has reserved for this isolate's JS heap (`Deno.memoryUsage().heapTotal`): part of `rss`. */
  heapTotal: number;
  threads?: number;
  fds?: number;
}

/** One backend's soak. */
export interface SoakRun {
  backend: string;
  invokes: number;
  warmup: number;
  /** Mean microseconds per invoke after the warm-up. */
  usPerInvoke: number;
  /** Invokes whose output bytes differed from the first output of the same input. */
  mismatches: number;
  /** RSS and V8's heap after `invokes` invokes past the warm-up (the first sample: the end of the warm-up). */
  samples: { invokes: number; rss: number; heapTotal: number }[];
  /** RSS at the end minus RSS at the end of the warm-up. */
  rssGrowth: number;
  start: ProcessStats;
  end: ProcessStats;
}

/** Options of {@link soak}. */
export interface SoakOptions {
  /** Invokes after the warm-up. */
  invokes: number;
  /** Invokes before the first sample (allocators and JIT settle, pool threads start). */
  warmup: number;
  /** RSS samples after the warm-up's (at equal steps; the last at the end). */
  samples: number;
  /** Called before each sample, e.g. a forced garbage collection. */
  beforeSample?: () => void;
}

/**
 * Deno's blocking-I/O threads (tokio's pool, named "tokio-runtime-w"): started by async file operations and
 * ended after 10 s idle, whatever the kernels do, so the thread count leaves them out.
 */
const IO_POOL_THREAD = "tokio-runtime-w";

/** Threads of this process, Deno's blocking-I/O pool left out. */
function countThreads(): number {
  let n = 0;
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      if (Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim() !== IO_POOL_THREAD) n++;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // a thread that ended while we looked
    }
  }
  return n;
}

function countEntries(path: string): number {
  let n = 0;
  for (const _ of Deno.readDirSync(path)) n++;
  return n;
}

/**
 * RSS, threads (Deno's blocking-I/O pool left out) and open descriptors (the directory read's own included,
 * always one) of this process.
 */
export function processStats(): ProcessStats {
  const { rss, heapTotal } = Deno.memoryUsage();
  if (Deno.build.os !== "linux") return { rss, heapTotal };
  const status = Deno.readTextFileSync("/proc/self/status");
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return { rss: kib * 1024, heapTotal, threads: countThreads(), fds: countEntries("/proc/self/fd") };
}

/** Four deterministic MNIST-shaped inputs in [0, 1). */
export function soakInputs(count = 4, seed = 21): Float32Array[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: 28 * 28 }, next));
}

function sameBytes(a: TensorData, b: TensorData): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Anything that runs a model like {@link Interpreter.invoke} (tests pass faulty ones). */
export interface Invokable {
  invoke(inputs: TensorData[]): TensorData[];
}

/**
 * Invokes `model` `warmup + invokes` times over `inputs` (cycled), compares every output with the first of its
 * input, and samples the process at the end of the warm-up and at `samples` equal steps after it.
 */
export function soak(model: Invokable, inputs: Float32Array[], label: string, options: SoakOptions): SoakRun {
  const { invokes, warmup, samples } = options;
  if (!Number.isInteger(invokes) || invokes < 1) {
    throw new RangeError(`invokes must be an integer >= 1, got ${invokes}`);
  }
  if (!Number.isInteger(warmup) || warmup < inputs.length) {
    throw new RangeError(`warmup must be an integer >= ${inputs.length} (one invoke per input), got ${warmup}`);
  }
  if (!Number.isInteger(samples) || samples < 1) {
    throw new RangeError(`samples must be an integer >= 1, got ${samples}`);
  }
  const first = inputs.map((x) => model.invoke([x]));
  let mismatches = 0;
  const run = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const k = i % inputs.length;
      const out = model.invoke([inputs[k]]);
      if (!out.every((o, j) => sameBytes(o, first[k][j]))) mismatches++;
    }
  };
  const sample = (): ProcessStats => {
    options.beforeSample?.();
    return processStats();
  };
  // The first full collection after a stretch of invokes leaves RSS a few hundred KiB (over 1 MiB on a loaded
  // machine) below where the next stretch settles, once: sample (collect) once mid-warm-up so the start is settled.
  const middle = Math.max(inputs.length, Math.floor(warmup / 2));
  run(inputs.length, middle);
  sample();
  run(middle, warmup);
  const start = sample();
  const taken = [{ invokes: 0, rss: start.rss, heapTotal: start.heapTotal }];
  let done = 0, ms = 0;
  for (let s = 1; s <= samples; s++) {
    const next = Math.round((invokes * s) / samples);
    const t0 = performance.now();
    run(warmup + done, warmup + next);
    ms += performance.now() - t0;
    done = next;
    if (s < samples) {
      const { rss, heapTotal } = sample();
      taken.push({ invokes: done, rss, heapTotal });
    }
  }
  const end = sample();
  taken.push({ invokes, rss: end.rss, heapTotal: end.heapTotal });
  return {
    backend: label,
    invokes,
    warmup,
    usPerInvoke: (ms * 1000) / invokes,
    mismatches,
    samples: taken,
    rssGrowth: end.rss - start.rss,
    start,
    end,
  };
}

/** Why a run broke the soak's promises (empty: it kept them). */
export function soakFailures(r: SoakRun): string[] {
  const out: string[] = [];
  if (r.mismatches > 0) out.push(`${r.mismatches} outputs differ from the first`);
  if (r.rssGrowth >= MAX_RSS_GROWTH) out.push(`RSS grew by ${mib(r.rssGrowth)} MiB`);
  if (r.start.threads !== r.end.threads) out.push(`threads ${r.start.threads} -> ${r.end.threads}`);
  if (r.start.fds !== r.end.fds) out.push(`open fds ${r.start.fds} -> ${r.end.fds}`);
  return out;
}

/** The soak's model: larq's MNIST BNN with its trained weights, converted to a `.tflite` by onebit. */
export async function soakModel(): Promise<Uint8Array> {
  const weights = new URL("./fixtures/keras_files/larq_mnist_weights.h5", import.meta.url);
  return convert(await larqMnistCnn({ weights: await Deno.readFile(weights) })).bytes;
}

/** An interpreter of `bytes` on `backend` (and the threaded wasm library to dispose, if one was started). */
export async function soakInterpreter(
  bytes: Uint8Array,
  backend: SoakBackend,
): Promise<{ interpreter: Interpreter; dispose: () => void }> {
  const numThreads = Number(backend.slice(backend.indexOf("/t") + 2));
  if (backend === "wasm-threads/t2") {
    const wasm = await instantiateWasmThreads({ threads: numThreads });
    return { interpreter: Interpreter.fromBytes(bytes, { backend: "wasm", wasm, numThreads }), dispose: wasm.dispose };
  }
  const kind = backend.startsWith("native") ? "native" : "wasm";
  return { interpreter: Interpreter.fromBytes(bytes, { backend: kind, numThreads }), dispose: () => {} };
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(2);
}

/** A run as a small table: the RSS curve, then the counts. */
export function formatSoak(r: SoakRun): string {
  const rows = r.samples.map((s) =>
    `  ${String(s.invokes).padStart(10)}  ${mib(s.rss).padStart(9)}  ${mib(s.heapTotal).padStart(12)}`
  );
  const failures = soakFailures(r);
  return [
    `${r.backend}: ${r.invokes} invokes after ${r.warmup} of warm-up, ${r.usPerInvoke.toFixed(1)} us/invoke`,
    `     invokes   RSS MiB  V8 heap MiB`,
    ...rows,
    `  RSS growth ${mib(r.rssGrowth)} MiB; threads ${r.start.threads} -> ${r.end.threads}; ` +
    `open fds ${r.start.fds} -> ${r.end.fds}; outputs differing ${r.mismatches}`,
    `  ${failures.length === 0 ? "ok" : `FAILED: ${failures.join("; ")}`}`,
  ].join("\n");
}

function parseBackends(list: string): SoakBackend[] {
  return list.split(",").map((b) => {
    if (!(SOAK_BACKENDS as readonly string[]).includes(b)) {
      throw new RangeError(`--backends: unknown backend "${b}"; known: ${SOAK_BACKENDS.join(", ")}`);
    }
    return b as SoakBackend;
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      invokes: { type: "string", default: "1000000" },
      warmup: { type: "string", default: "20000" },
      samples: { type: "string", default: "10" },
      backends: { type: "string", default: SOAK_BACKENDS.join(",") },
      json: { type: "boolean", default: false },
    },
  });
  const options: SoakOptions = {
    invokes: Number(values.invokes),
    warmup: Number(values.warmup),
    samples: Number(values.samples),
    beforeSample: (globalThis as { gc?: () => void }).gc,
  };
  const bytes = await soakModel();
  const inputs = soakInputs();
  const runs: SoakRun[] = [];
  for (const backend of parseBackends(values.backends)) {
    const { interpreter, dispose } = await soakInterpreter(bytes, backend);
    const label = `${backend} (${interpreter.library?.split("/").pop() ?? "reference"})`;
    runs.push(soak(interpreter, inputs, label, options));
    dispose();
    if (!values.json) console.log(formatSoak(runs.at(-1)!) + "\n");
  }
  if (values.json) console.log(JSON.stringify({ gc: options.beforeSample !== undefined, runs }));
  return runs.every((r) => soakFailures(r).length === 0) ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`soak: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
