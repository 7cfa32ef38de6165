/**
 * What the side-by-side benchmarks (bench/compare.ts, bench/zoo.ts) share:
 * the zoo's benchmark files in bench/models (written on demand by
 * tools/py/zoo_models.py), timing with warm-ups, the logits model of a
 * file, and the reference runtimes in Python (tools/py/bench_ref.py: LCE's
 * interpreter on the LCE file, LiteRT/XNNPACK on the float file).
 * @module
 */
import { summarize } from "../tflite/inspect.ts";
import { readModel } from "../tflite/reader.ts";
import { Builtin } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";
import { python } from "./_openvino.ts";
import { type Bar, barChart } from "../viz/chart.ts";

const root = new URL("../", import.meta.url).pathname;

/** Where tools/py/zoo_models.py writes the zoo's benchmark files. */
export const modelsDir = `${root}bench/models`;

/** Runs `cmd` in the repository root; its stdout, or an Error with the end of its stderr. */
export async function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped", cwd: root }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr).slice(-3000)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The files tools/py/zoo_models.py writes for one zoo model. */
export interface ZooFiles {
  /** LCE's conversion (LceBconv2d …) of the larq-zoo model with random weights. */
  lce: string;
  /** The float equivalent (every quantizer removed), converted by TensorFlow: what LiteRT and tfjs run. */
  float: string;
  /** The random weights, as larq-zoo's `save_weights` writes them (legacy .h5). */
  weights: string;
}

/** The zoo files of `name` in bench/models. */
export function zooFiles(name: string): ZooFiles {
  return {
    lce: `${modelsDir}/${name}.tflite`,
    float: `${modelsDir}/${name}_float.tflite`,
    weights: `${modelsDir}/${name}_weights.h5`,
  };
}

/**
 * Writes the zoo files of `name` with tools/py/zoo_models.py (larq-zoo +
 * LCE's converter: minutes, needs the Python venv) unless every one of
 * `needed` exists.
 */
export async function ensureZooFiles(name: string, needed: readonly (keyof ZooFiles)[]): Promise<ZooFiles> {
  const files = zooFiles(name);
  const present = await Promise.all(needed.map((k) => exists(files[k])));
  if (!present.every(Boolean)) {
    console.error(`generating bench/models/${name}* with tools/py/zoo_models.py`);
    await sh(python, ["tools/py/zoo_models.py", modelsDir, name], { PYTHONPATH: `${root}tools/py` });
  }
  return files;
}

/** How many calls to time, after how many untimed ones. */
export interface TimingOptions {
  /** Timed calls. */
  runs: number;
  /** Untimed calls first. */
  warmup: number;
}

/** Milliseconds of each of `runs` calls of `fn`, after `warmup` untimed calls. */
export async function timeCalls(fn: () => unknown, { runs, warmup }: TimingOptions): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export { median } from "./_stats.ts";

/**
 * The model without its final SOFTMAX: random-weight zoo models saturate
 * it (one-hot outputs agree trivially), so correctness is checked on logits.
 */
export function logitsModel(bytes: Uint8Array): Uint8Array {
  const m = readModel(bytes);
  const g = m.subgraphs[0];
  const last = g.operators[g.operators.length - 1];
  if (m.operatorCodes[last.opcodeIndex].builtinCode !== Builtin.SOFTMAX) return bytes;
  g.operators.pop();
  g.outputs = [last.inputs[0]];
  m.signatureDefs = [];
  return writeModel(m);
}

/** max |got - want| / max |want|: how far logits are apart, relative to the largest. */
export function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new RangeError(`maxRelDiff: ${got.length} values vs ${want.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return Number.isNaN(diff) ? NaN : diff / scale;
}

/** How many of each op (builtin name or custom code) a .tflite file holds. */
export function opCounts(bytes: Uint8Array): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of summarize(bytes).ops) counts.set(o.op, (counts.get(o.op) ?? 0) + 1);
  return counts;
}

/** Where two files' op multisets differ, as "OP ours vs theirs" per op (sorted; empty: the same multiset). */
export function opDiff(ours: Uint8Array, theirs: Uint8Array): string[] {
  const a = opCounts(ours), b = opCounts(theirs);
  return [...new Set([...a.keys(), ...b.keys()])].sort()
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => `${k} ${a.get(k) ?? 0} vs ${b.get(k) ?? 0}`);
}

/** What {@link referenceRuntimes} runs. */
export interface ReferenceOptions extends TimingOptions {
  /** LCE's file for its interpreter (undefined: LiteRT only). */
  lceFile?: string;
  /** The float-equivalent file for LiteRT. */
  floatFile: string;
  /** Thread counts to time. */
  threads: number[];
  /** The input fed to both. */
  input: Float32Array;
  /** A file whose LCE output (1 thread) to return, e.g. the logits model of `lceFile`. */
  checkFile?: string;
  /** A float file whose LiteRT output (1 thread) to return, e.g. the logits model of `floatFile`. */
  floatCheckFile?: string;
}

/** Latencies (ms per call, by thread count) of LCE's interpreter and LiteRT, and their outputs on the check files. */
export interface ReferenceResult {
  lce: Record<string, number[]>;
  litert: Record<string, number[]>;
  lceOutput?: Float32Array;
  litertOutput?: Float32Array;
}

/** Runs tools/py/bench_ref.py: LCE's interpreter and LiteRT (XNNPACK) in one Python process. */
export async function referenceRuntimes(options: ReferenceOptions): Promise<ReferenceResult> {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${tmp}/x.f32`, new Uint8Array(options.input.buffer));
    const check = options.checkFile && options.lceFile
      ? ["--check", options.checkFile, "--output", `${tmp}/y.f32`]
      : [];
    const floatCheck = options.floatCheckFile
      ? ["--float-check", options.floatCheckFile, "--float-output", `${tmp}/f.f32`]
      : [];
    const out = await sh(python, [
      "tools/py/bench_ref.py",
      options.lceFile ?? "-",
      options.floatFile,
      ...["--threads", ...options.threads.map(String)],
      ...["--runs", String(options.runs), "--warmup", String(options.warmup), "--input", `${tmp}/x.f32`],
      ...check,
      ...floatCheck,
    ], { PYTHONPATH: `${root}tools/py` });
    const result = JSON.parse(out.trim().split("\n").pop()!) as ReferenceResult;
    if (check.length) result.lceOutput = new Float32Array((await Deno.readFile(`${tmp}/y.f32`)).buffer);
    if (floatCheck.length) result.litertOutput = new Float32Array((await Deno.readFile(`${tmp}/f.f32`)).buffer);
    return result;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** The latency columns of a bench:compare row drawn by {@link compareSvg}, with their legend names, in order. */
export const LATENCY_COLUMNS: readonly (readonly [key: string, name: string])[] = [
  ["onebit_t1_ms", "onebit native 1T"],
  ["onebit_t2_ms", "onebit native 2T"],
  ["onebit_wasm_t1_ms", "onebit wasm 1T"],
  ["lce_t1_ms", "LCE 1T"],
  ["lce_t2_ms", "LCE 2T"],
  ["litert_t1_ms", "LiteRT (XNNPACK, float) 1T"],
  ["litert_t2_ms", "LiteRT (XNNPACK, float) 2T"],
  ["openvino_t1_ms", "OpenVINO 1T"],
  ["openvino_t2_ms", "OpenVINO 2T"],
  ["tfjs_wasm_t1_ms", "tfjs-wasm (float) 1T"],
];

/**
 * bench:compare's table (its --json rows) as a grouped bar chart: per model, the median latency of each runtime
 * the row has (columns of {@link LATENCY_COLUMNS}), one colour per runtime; the title names the CPU.
 */
export async function compareSvg(rows: readonly Record<string, number | string>[]): Promise<string> {
  if (!Array.isArray(rows) || rows.length === 0) throw new RangeError("compareSvg: no rows; bench:compare writes them");
  const bars: Bar[] = rows.flatMap((row, i) => {
    if (typeof row?.model !== "string") throw new TypeError(`compareSvg: rows[${i}].model is ${row?.model}; a name`);
    return LATENCY_COLUMNS.filter(([key]) => typeof row[key] === "number")
      .map(([key, name]) => ({ label: row.model as string, value: row[key] as number, group: name }));
  });
  const cpu = [...new Set(rows.map((r) => r.cpu).filter((c) => typeof c === "string"))].join(", ");
  return await barChart(bars, {
    title: `median latency per model${cpu ? ` on ${cpu}` : ""}`,
    valueTitle: "ms per inference (median)",
    barHeight: 10,
  });
}
