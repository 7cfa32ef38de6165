/**
 * Latency of one `.tflite` model on onebit's interpreter, like LCE's
 * benchmark tool: a distribution over runs and, with --profile, the time
 * share by op type and the slowest ops.
 *
 *     deno task bench <model.tflite> [--threads N] [--runs R] [--warmup W]
 *                     [--backend auto|native|wasm|reference] [--profile] [--svg FILE] [--json] [--no-limit]
 *
 * Prints the CPU and the model's hardware limit measured in the same run
 * (bench/_limit.ts: binary MACs at the register-only peak of the binary
 * micro-kernel it runs, float MACs at the float kernel's in-cache peak, or
 * its bytes at the copy bandwidth if longer) with the median's % of it; with
 * --profile, each op's own limit and the micro-kernel it ran. `--no-limit`
 * skips measuring the peaks (about a second).
 * `--svg FILE` (implies --profile) draws the time per op type as a bar chart.
 * @module
 */
import { intOption, parseCli, runCli, UsageError } from "../_cli.ts";
import { writeFileAtomic } from "../_fs.ts";
import { barChart } from "../viz/chart.ts";
import { type Backend, badBackend, isBackend } from "../kernels/backend.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { libraryFromEnv } from "../kernels/native.ts";
import type { TensorData } from "../runtime/ops/_types.ts";
import { summarize } from "../tflite/summary.ts";
import { cpuModel } from "./_openvino.ts";
import { median } from "./_stats.ts";
import { formatPeaks, type Limit, limitOf, measurePeaks, modelWork, opWork, type Peaks } from "./_limit.ts";

export interface LatencyStats {
  runs: number;
  min_ms: number;
  median_ms: number;
  p90_ms: number;
  max_ms: number;
  mean_ms: number;
}

export function stats(times: number[]): LatencyStats {
  const s = [...times].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return {
    runs: s.length,
    min_ms: s[0],
    median_ms: median(s),
    p90_ms: at(0.9),
    max_ms: s[s.length - 1],
    mean_ms: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** Deterministic inputs in [-1, 1) for every model input (of an Interpreter, or specs of the same shape). */
export function randomInputs(it: Pick<Interpreter, "inputs">, seed = 1): TensorData[] {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1;
  return it.inputs.map((spec) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.type !== "FLOAT32") throw new TypeError(`input "${spec.name}" is ${spec.type}; bench feeds FLOAT32 only`);
    return Float32Array.from({ length: n }, next);
  });
}

export interface BenchOptions {
  threads?: number;
  runs?: number;
  warmup?: number;
  backend?: Backend;
  profile?: boolean;
  /**
   * The hardware limit to compare with: peaks measured on this machine for `threads` (see bench/_limit.ts); `true`
   * measures them first; undefined or false: none.
   */
  limit?: Peaks | boolean;
}

/** A model's (or op's) hardware limit beside its time. */
export interface LimitResult extends Limit {
  /** limit ms / measured median ms (1: at the limit). */
  fraction_of_limit: number;
}

export interface BenchResult {
  model: string;
  threads: number;
  backend: string;
  latency: LatencyStats;
  arena_bytes: number;
  scratch_bytes: number;
  constant_bytes: number;
  /** The CPU (model name, family, model, VPOPCNTDQ). */
  cpu_model: string;
  /** The peaks measured in this run (with `limit`). */
  peaks?: Peaks;
  /** The model's limit at those peaks, and the median latency's fraction of it (with `limit`). */
  limit?: LimitResult;
  /** By op type: total ms per invoke and share of the op time; with `limit`, the ops' limit too. */
  by_type?: { op: string; count: number; ms: number; share: number; limit_ms?: number; fraction_of_limit?: number }[];
  /** The slowest ops, ms per invoke; with `limit`, each op's MACs, limit and the micro-kernel it ran. */
  top_ops?: TopOp[];
}

/** One profiled op of {@link BenchResult.top_ops}. */
export interface TopOp {
  index: number;
  op: string;
  output: string;
  ms: number;
  binary_macs?: number;
  float_macs?: number;
  limit_ms?: number;
  fraction_of_limit?: number;
  /** The micro-kernel its MACs ran on (native backend): LceBconv2d the binary one; CONV_2D, TRANSPOSE_CONV and
   * FULLY_CONNECTED the float one; other ops none. */
  ukernel?: string;
}

/** The builtin ops whose float MACs run on the float GEMM micro-kernels (depthwise has a kernel of its own). */
const SGEMM_OPS = new Set(["CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED"]);

/** The micro-kernel a profiled op (or fusion, named by its first op) runs its MACs on, if it uses one. */
export function ukernelOf(op: string, peaks: Pick<Peaks, "binary_ukernel" | "float_ukernel">): string | undefined {
  const first = op.split("+")[0];
  return first === "LceBconv2d" ? peaks.binary_ukernel : SGEMM_OPS.has(first) ? peaks.float_ukernel : undefined;
}

/** `limit` with the fraction of it that `ms` reached. */
function against(limit: Limit, ms: number): LimitResult {
  return { ...limit, fraction_of_limit: ms > 0 ? limit.ms / ms : 0 };
}

export async function bench(path: string, options: BenchOptions = {}): Promise<BenchResult> {
  const threads = options.threads ?? 1;
  const peaks = options.limit === true ? measurePeaks([threads])[0] : options.limit || undefined;
  if (peaks && peaks.threads !== threads) {
    throw new RangeError(`bench: limit peaks are for ${peaks.threads} thread(s), the run uses ${threads}`);
  }
  const it = await Interpreter.fromFile(path, {
    numThreads: threads,
    backend: options.backend ?? "auto",
    profile: options.profile,
  });
  const inputs = randomInputs(it);
  for (let i = 0; i < (options.warmup ?? 3); i++) it.invoke(inputs);
  if (options.profile) it.resetProfile();
  const times: number[] = [];
  for (let i = 0; i < (options.runs ?? 20); i++) {
    const t0 = performance.now();
    it.invoke(inputs);
    times.push(performance.now() - t0);
  }
  const result: BenchResult = {
    model: path,
    threads,
    backend: it.backend,
    latency: stats(times),
    arena_bytes: it.arenaBytes,
    scratch_bytes: it.scratchBytes,
    constant_bytes: it.constantBytes,
    cpu_model: cpuModel(),
  };
  const summary = peaks ? summarize(await Deno.readFile(path)) : undefined;
  if (peaks && summary) {
    result.peaks = peaks;
    result.limit = against(limitOf(modelWork(summary), peaks), result.latency.median_ms);
  }
  if (options.profile) {
    const ops = it.profile();
    const n = Math.max(1, ops[0]?.invocations ?? 1);
    const total = ops.reduce((a, o) => a + o.total_ms, 0) / n;
    const byType = new Map<string, { count: number; ms: number; limit_ms?: number; fraction_of_limit?: number }>();
    for (const o of ops) {
      const e = byType.get(o.op) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += o.total_ms / n;
      byType.set(o.op, e);
    }
    const top: TopOp[] = ops.map((o) => ({ index: o.index, op: o.op, output: o.output, ms: o.total_ms / n }));
    if (peaks && summary) {
      const limits = new Map<string, number>();
      for (const t of top) {
        const w = opWork(summary.ops, t.index, t.op);
        const l = limitOf(w, peaks);
        Object.assign(t, { binary_macs: w.binaryMacs, float_macs: w.floatMacs, limit_ms: l.ms });
        t.fraction_of_limit = against(l, t.ms).fraction_of_limit;
        const u = ukernelOf(t.op, peaks);
        if (u && it.backend === "native") t.ukernel = u;
        limits.set(t.op, (limits.get(t.op) ?? 0) + l.ms);
      }
      for (const [op, e] of byType) {
        e.limit_ms = limits.get(op) ?? 0;
        e.fraction_of_limit = e.ms > 0 ? e.limit_ms / e.ms : 0;
      }
    }
    result.by_type = [...byType].map(([op, e]) => ({ op, ...e, share: e.ms / total })).sort((a, b) => b.ms - a.ms);
    result.top_ops = top.sort((a, b) => b.ms - a.ms).slice(0, 10);
  }
  return result;
}

function fmt(ms: number): string {
  return ms.toFixed(ms < 10 ? 3 : 2);
}

/**
 * One line of a model's limit: its ms and parts, and the % of it a median of `medianMs` reaches.
 *
 * @example
 * ```ts
 * import { formatLimit } from "./bench.ts";
 * const limit = { binary_ms: 2, float_ms: 1, memory_ms: 0.5, ms: 3, bound: "compute" as const };
 * console.log(formatLimit(limit, 4)); // limit 3.000 ms (binary 2.000 + float 1.000; memory 0.500): 75.0% of limit
 * ```
 */
export function formatLimit(limit: Limit, medianMs: number): string {
  return `limit ${fmt(limit.ms)} ms (binary ${fmt(limit.binary_ms)} + float ${fmt(limit.float_ms)}; memory ${
    fmt(limit.memory_ms)
  }): ${(100 * limit.ms / medianMs).toFixed(1)}% of limit`;
}

/**
 * The profile of a bench result as an SVG bar chart: per op type (with its op count), the milliseconds per
 * invoke, slowest first; the title names the model, the median latency, the backend and the threads.
 */
export async function profileSvg(r: BenchResult): Promise<string> {
  if (!r.by_type) throw new RangeError(`profileSvg: the result for ${r.model} has no profile; bench it with profile`);
  return await barChart(r.by_type.map((t) => ({ label: `${t.op} (${t.count})`, value: t.ms })), {
    title: `${r.model.split("/").pop()}: median ${fmt(r.latency.median_ms)} ms, ${r.backend}, ${r.threads} thread(s)`,
    valueTitle: "ms per invoke (all ops of the type)",
  });
}

/**
 * The peaks on `threads` threads, or false (with a note on stderr) when no native library is there. A library the
 * user named (ONEBIT_LIB) that does not load is their error: it propagates, as one line, like the bench's own.
 */
function peaksOrNone(threads: number): Peaks | false {
  try {
    return measurePeaks([threads])[0];
  } catch (e) {
    if (libraryFromEnv() !== undefined) throw e;
    console.error(`no limit: the peaks need the native library (${(e as Error).message.split("\n")[0]})`);
    return false;
  }
}

const USAGE =
  "usage: deno task bench <model.tflite> [--threads N] [--runs R] [--warmup W] [--backend auto|native|wasm|reference] [--profile] [--svg FILE] [--json] [--no-limit]";

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, {
    threads: { type: "string" },
    runs: { type: "string" },
    warmup: { type: "string" },
    backend: { type: "string", default: "auto" },
    profile: { type: "boolean", default: false },
    svg: { type: "string" },
    json: { type: "boolean", default: false },
    "no-limit": { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one model.tflite, got ${positionals.length}`);
  const backend = values.backend;
  if (!isBackend(backend)) throw new UsageError(badBackend("--backend", backend));
  const threads = intOption("threads", values.threads, 1, 1, 64);
  const r = await bench(positionals[0], {
    threads,
    runs: intOption("runs", values.runs, 20),
    warmup: intOption("warmup", values.warmup, 3, 0),
    backend,
    profile: values.profile || values.svg !== undefined,
    limit: !values["no-limit"] && backend !== "reference" && peaksOrNone(threads),
  });
  if (values.svg !== undefined) {
    if (values.svg === "") throw new UsageError("--svg needs a file name");
    await writeFileAtomic(values.svg, new TextEncoder().encode(await profileSvg(r)));
    console.error(`wrote ${values.svg} (time per op type)`);
  }
  if (values.json) {
    console.log(JSON.stringify(r, null, 1));
  } else {
    const l = r.latency;
    console.log(`${r.model}: ${r.threads} thread(s), backend ${r.backend}`);
    console.log(`CPU: ${r.cpu_model}`);
    if (r.peaks) console.log(`peaks this run, ${formatPeaks(r.peaks)}`);
    console.log(
      `latency over ${l.runs} runs: median ${fmt(l.median_ms)} ms, min ${fmt(l.min_ms)}, p90 ${fmt(l.p90_ms)}, max ${
        fmt(l.max_ms)
      }, mean ${fmt(l.mean_ms)}`,
    );
    if (r.limit) console.log(formatLimit(r.limit, l.median_ms));
    console.log(
      `memory: arena ${(r.arena_bytes / 2 ** 20).toFixed(2)} MiB, scratch ${
        (r.scratch_bytes / 2 ** 20).toFixed(2)
      } MiB, constants ${(r.constant_bytes / 2 ** 20).toFixed(2)} MiB`,
    );
    if (r.by_type) {
      const pct = (f: number | undefined) => f === undefined ? "" : `${(100 * f).toFixed(1).padStart(6)}%`;
      console.log(`\nby op type:            count      ms   share${r.limit ? "  limit ms  % limit" : ""}`);
      for (const t of r.by_type) {
        const limit = t.limit_ms === undefined ? "" : `  ${fmt(t.limit_ms).padStart(8)} ${pct(t.fraction_of_limit)}`;
        console.log(
          `  ${t.op.padEnd(20)} ${String(t.count).padStart(5)} ${fmt(t.ms).padStart(8)} ${pct(t.share)}${limit}`,
        );
      }
      console.log(`\nslowest ops:${r.limit ? " ms, limit ms, % of limit, micro-kernel, output" : ""}`);
      for (const o of r.top_ops!) {
        const limit = o.limit_ms === undefined
          ? ""
          : ` ${fmt(o.limit_ms).padStart(8)} ${pct(o.fraction_of_limit)}  ${(o.ukernel ?? "-").padEnd(26)}`;
        console.log(
          `  #${String(o.index).padEnd(4)} ${o.op.padEnd(20)} ${fmt(o.ms).padStart(8)} ms${limit}  ${o.output}`,
        );
      }
    }
  }
}

if (import.meta.main) await runCli("bench", USAGE, () => main(Deno.args));
