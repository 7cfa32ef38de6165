/**
 * The whole larq-zoo, like LCE's README table: each model's binary and
 * float MACs, file size, and latency of onebit (native at 1 and 2 threads,
 * WebAssembly at 1) beside LCE's interpreter on LCE's file, LiteRT/XNNPACK
 * and tfjs-wasm on the float-equivalent file, with same-run ratios; and
 * whether the outputs agree.
 *
 *     deno task bench:zoo [--models quicknet,xnornet] [--runs 10] [--big-runs 3] [--rounds 2]
 *                         [--warmup 2] [--backends native,wasm,reference] [--json]
 *
 * Files come from tools/py/zoo_models.py (written on demand into
 * bench/models): LCE's conversion of the larq-zoo model with random weights,
 * its float equivalent, and those weights as a `save_weights` .h5 file.
 * onebit runs LCE's file (the ratios are on that file) and its own
 * conversion of its zoo model with the same weights loaded. On one input it
 * checks logits (the final softmax removed): onebit on LCE's file, on each
 * backend, against LCE's interpreter; onebit's own file against the TS model
 * and against LCE; tfjs on the float file against LiteRT on it. Models with
 * more than 30 M weights (XNORNet, BinaryAlexNet) are timed with
 * `--big-runs` calls per round; DoReFaNet is shown as refused (onebit's
 * converter refuses its 2-bit activations, LCE's converter crashes on them).
 * @module
 */
import { intOption, parseCli, runCli, UsageError } from "../_cli.ts";
import { convert } from "../convert/convert.ts";
import { ConversionError } from "../convert/errors.ts";
import { noGrad } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import { loadWeightsH5 } from "../keras/weights.ts";
import { type Backend, badBackend, isBackend } from "../kernels/backend.ts";
import { Activation } from "../layers/core.ts";
import { Softmax } from "../layers/softmax.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import type { Model } from "../models/model.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import { summarize } from "../tflite/inspect.ts";
import { randomInputs } from "./bench.ts";
import {
  ensureZooFiles,
  logitsModel,
  maxRelDiff,
  median,
  opDiff,
  type ReferenceResult,
  referenceRuntimes,
  sh,
  timeCalls,
  type TimingOptions,
  type ZooFiles,
} from "./_compare.ts";
import { describeDifference, firstDifference } from "./_lce_diff.ts";
import { cpuModel } from "./_openvino.ts";
import { initTfjsWasm, tfjsModel } from "./_tfjs_tflite.ts";
import { buildZoo, LARQ_ZOO, LCE_CANNOT_CONVERT, zooInputShape, zooTitle } from "./_zoo.ts";

/** Logits further apart than this (max |diff| / max |logit|) are reported as different. */
export const TOLERANCE = 1e-4;
/** Models with more weights than this are timed with `bigRuns` calls per round. */
const BIG_WEIGHTS = 30e6;

/** How {@link benchZoo} measures. */
export interface ZooBenchOptions {
  /** Timed calls per configuration and round. */
  runs: number;
  /** The same for models with more than 30 M weights. */
  bigRuns: number;
  /** Untimed calls before each timing. */
  warmup: number;
  /** Interleaved rounds of onebit's configurations. */
  rounds: number;
  /** onebit's backends whose outputs are checked. */
  backends: Backend[];
}

/** A .tflite file's size and MACs (as `deno task inspect` counts them). */
export interface FileFacts {
  bytes: number;
  binaryMacs: number;
  floatMacs: number;
}

/** onebit's medians on one file, ms. */
export interface OnebitTimes {
  native1: number;
  native2: number;
  wasm1: number;
}

/** One model's results; a field left out was not measured (no such file). */
export interface ZooRow {
  name: string;
  weights: number;
  /** Timed calls of each configuration (onebit's over all rounds). */
  runs: number;
  /** Why onebit's converter refused the model. */
  refused?: string;
  /** Why onebit's interpreter cannot load LCE's file. */
  lceLoadError?: string;
  lceFile?: FileFacts;
  ownFile?: FileFacts;
  /** Where onebit's op multiset differs from LCE's: "OP ours vs LCE's" per op. */
  opsVsLce?: string[];
  onLceFile?: OnebitTimes;
  onOwnFile?: OnebitTimes;
  lce?: { t1: number; t2: number };
  litert: { t1: number; t2: number };
  tfjsWasm1: number;
  /** max |diff| / max |logit| of each output check (see the module doc). */
  diffs: Record<string, number>;
  /** Where and why onebit on LCE's file parts from LCE, when a check on that file is outside the tolerance. */
  lceDifference?: string;
}

/** onebit's own conversion of its zoo model with `weights` loaded, or the converter's refusal. */
async function ownConversion(
  name: string,
  weights: string,
): Promise<{ model: Model; bytes?: Uint8Array; refused?: string }> {
  const warn = console.warn;
  console.warn = () => {}; // DoReFaNet's layers warn about unconstrained binary kernels; its refusal says more
  try {
    const model = buildZoo(name);
    await loadWeightsH5(model, weights);
    try {
      return { model, bytes: convert(model).bytes };
    } catch (e) {
      if (e instanceof ConversionError) return { model, refused: e.message };
      throw e;
    }
  } finally {
    console.warn = warn;
  }
}

function fileFacts(bytes: Uint8Array): FileFacts {
  const s = summarize(bytes);
  return { bytes: bytes.length, binaryMacs: s.binaryMacs, floatMacs: s.floatMacs };
}

/** The symbolic tensor a final softmax reads (the logits), else the output. */
function logitsTensor(model: Model): SymbolicTensor {
  const out = model.output, layer = out.node?.layer;
  const softmax = layer instanceof Softmax || (layer instanceof Activation && layer.activation === "softmax");
  return softmax ? out.node!.inputs[0] : out;
}

/** The TS model's logits on `x`. */
function modelLogits(model: Model, x: Float32Array): Float32Array {
  const values = noGrad(() => model.run(new Tensor(x, [1, ...model.input.shape]), false));
  return values.get(logitsTensor(model))!.data as Float32Array;
}

/** onebit's logits (softmax removed) on `bytes`, by backend. */
function onebitLogits(bytes: Uint8Array, x: Float32Array, backends: Backend[]): [Backend, Float32Array][] {
  const logits = logitsModel(bytes);
  return backends.map((
    backend,
  ) => [backend, Interpreter.fromBytes(logits, { backend }).invoke([x])[0] as Float32Array]);
}

/**
 * Medians of onebit native 1T, 2T and wasm 1T on each file (undefined: no
 * file, not timed), in interleaved rounds: a neighbour's load then hits
 * every column alike.
 */
async function timeOnebit(
  files: (Uint8Array | undefined)[],
  x: Float32Array,
  runs: number,
  o: ZooBenchOptions,
): Promise<(OnebitTimes | undefined)[]> {
  const settings = [{ numThreads: 1 }, { numThreads: 2 }, { backend: "wasm" as const }];
  const its = files.map((bytes) =>
    bytes && settings.map((s) => Interpreter.fromBytes(bytes, { backend: "native", ...s }))
  );
  const samples = its.map((list) => list?.map(() => [] as number[]));
  for (let r = 0; r < o.rounds; r++) {
    for (const [f, list] of its.entries()) {
      for (const [k, it] of (list ?? []).entries()) {
        samples[f]![k].push(...await timeCalls(() => it.invoke([x]), { runs, warmup: o.warmup }));
      }
    }
  }
  return samples.map((s) => s && { native1: median(s[0]), native2: median(s[1]), wasm1: median(s[2]) });
}

/** Why onebit's interpreter cannot load `bytes`, or undefined when it can. */
function loadError(bytes: Uint8Array): string | undefined {
  try {
    Interpreter.fromBytes(bytes, { backend: "native" });
    return undefined;
  } catch (e) {
    if (e instanceof UnsupportedModelError || e instanceof ModelValidationError) return e.message;
    throw e;
  }
}

/** tfjs-wasm's median on the float file, and its logits (the file without its softmax). */
async function tfjsOnFloatFile(
  bytes: Uint8Array,
  x: Float32Array,
  timing: TimingOptions,
): Promise<{ ms: number; logits: Float32Array }> {
  const check = tfjsModel(logitsModel(bytes));
  const logits = (await check.run(x))[0];
  check.dispose();
  const model = tfjsModel(bytes);
  const ms = median(await timeCalls(() => model.run(x), timing));
  model.dispose();
  return { ms, logits };
}

/** LCE's interpreter on LCE's file (if any) and LiteRT on the float file: times, and logits of both files. */
async function referenceRun(
  files: ZooFiles,
  lceBytes: Uint8Array | undefined,
  floatBytes: Uint8Array,
  x: Float32Array,
  timing: TimingOptions,
): Promise<ReferenceResult> {
  const dir = await Deno.makeTempDir();
  try {
    if (lceBytes) await Deno.writeFile(`${dir}/lce.tflite`, logitsModel(lceBytes));
    await Deno.writeFile(`${dir}/float.tflite`, logitsModel(floatBytes));
    return await referenceRuntimes({
      lceFile: lceBytes ? files.lce : undefined,
      floatFile: files.float,
      threads: [1, 2],
      input: x,
      checkFile: lceBytes ? `${dir}/lce.tflite` : undefined,
      floatCheckFile: `${dir}/float.tflite`,
      ...timing,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The output checks the files allow, as max |diff| / max |logit| by check:
 * `lce.bytes` is LCE's file when onebit runs it, `lce.logits` LCE's
 * interpreter's logits on it.
 */
function outputDiffs(
  x: Float32Array,
  backends: Backend[],
  lce: { bytes?: Uint8Array; logits: Float32Array } | undefined,
  own: { bytes: Uint8Array; model: Model } | undefined,
): Record<string, number> {
  const diffs: Record<string, number> = {};
  const onLce = lce?.bytes ? onebitLogits(lce.bytes, x, backends) : [];
  for (const [b, y] of onLce) diffs[`lce_file_${b}_vs_lce`] = maxRelDiff(y, lce!.logits);
  if (!own) return diffs;
  const want = modelLogits(own.model, x);
  for (const [k, [b, y]] of onebitLogits(own.bytes, x, backends).entries()) {
    diffs[`own_file_${b}_vs_model`] = maxRelDiff(y, want);
    if (k > 0) continue;
    if (lce) diffs[`own_file_${b}_vs_lce`] = maxRelDiff(y, lce.logits);
    if (onLce.length) diffs[`own_file_${b}_vs_lce_file_${b}`] = maxRelDiff(y, onLce[0][1]);
  }
  return diffs;
}

/** Everything bench:zoo measures on one model (its files are written first if missing: needs Python). */
export async function benchZoo(name: string, options: ZooBenchOptions): Promise<ZooRow> {
  const lceConverts = !Object.hasOwn(LCE_CANNOT_CONVERT, name);
  const files = await ensureZooFiles(name, lceConverts ? ["lce", "float", "weights"] : ["float", "weights"]);
  const own = await ownConversion(name, files.weights);
  const weights = own.model.weights.reduce((n, w) => n + w.variable.size, 0);
  const runs = weights > BIG_WEIGHTS ? options.bigRuns : options.runs;
  const timing = { runs: runs * options.rounds, warmup: options.warmup };
  const lceBytes = lceConverts ? await Deno.readFile(files.lce) : undefined;
  const lceLoadError = lceBytes && loadError(lceBytes);
  const onebitRunsLce = lceLoadError ? undefined : lceBytes;
  const spec = { name: "input", shape: [1, ...zooInputShape(name)], type: "FLOAT32", index: 0 };
  const x = randomInputs({ inputs: [spec] })[0] as Float32Array;
  const [onLceFile, onOwnFile] = await timeOnebit([onebitRunsLce, own.bytes], x, runs, options);
  const floatBytes = await Deno.readFile(files.float);
  const ref = await referenceRun(files, lceBytes, floatBytes, x, timing);
  const tfjs = await tfjsOnFloatFile(floatBytes, x, timing);
  const lce = lceBytes && { bytes: onebitRunsLce, logits: ref.lceOutput! };
  const diffs = {
    ...outputDiffs(x, options.backends, lce, own.bytes && { bytes: own.bytes, model: own.model }),
    tfjs_vs_litert_on_float_file: maxRelDiff(tfjs.logits, ref.litertOutput!),
  };
  const lceOff = Object.entries(diffs).some(([k, v]) => k.startsWith("lce_file_") && !(v <= TOLERANCE));
  return {
    name,
    weights,
    runs: timing.runs,
    ...(own.refused ? { refused: own.refused } : {}),
    ...(lceLoadError ? { lceLoadError } : {}),
    ...(lceBytes ? { lceFile: fileFacts(lceBytes), lce: pair(ref.lce) } : {}),
    ...(own.bytes ? { ownFile: fileFacts(own.bytes) } : {}),
    ...(onLceFile ? { onLceFile } : {}),
    ...(onOwnFile ? { onOwnFile } : {}),
    ...(lceBytes && own.bytes ? { opsVsLce: opDiff(own.bytes, lceBytes) } : {}),
    litert: pair(ref.litert),
    tfjsWasm1: tfjs.ms,
    diffs,
    ...(onebitRunsLce && lceOff ? { lceDifference: await explainLceDifference(onebitRunsLce, x) } : {}),
  };
}

/** Why onebit on LCE's file differs from LCE (see bench/_lce_diff.ts). */
async function explainLceDifference(bytes: Uint8Array, x: Float32Array): Promise<string> {
  const d = await firstDifference(bytes, x);
  return d ? describeDifference(d) : "no bitpacked tensor differs: the logits differ in float ops alone";
}

/** Medians at 1 and 2 threads of a bench_ref.py result. */
function pair(byThreads: Record<string, number[]>): { t1: number; t2: number } {
  return { t1: median(byThreads["1"]), t2: median(byThreads["2"]) };
}

const ms = (v: number) => Number.isNaN(v) ? "—" : v.toFixed(v < 10 ? 2 : 1);
const times = (v: number) => `${v.toFixed(1)}×`;
const millions = (v: number) => (v / 1e6).toFixed(v < 1e7 ? 1 : 0);
const mib = (v: number) => (v / 2 ** 20).toFixed(2);
const diff = (v: number | undefined) =>
  v === undefined ? "—" : v > TOLERANCE || Number.isNaN(v) ? `**${v.toExponential(1)}**` : v.toExponential(1);
/** One value when LCE's file and onebit's agree, else "LCE's / onebit's". */
const both = (a: number | undefined, b: number | undefined, f: (v: number) => string) =>
  a === undefined ? (b === undefined ? "—" : f(b)) : b === undefined || f(a) === f(b) ? f(a) : `${f(a)} / ${f(b)}`;
const table = (head: string[], rows: string[][]) =>
  [head, head.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");

/** The model table: weights, MACs, file sizes, ops. */
function modelTable(rows: ZooRow[]): string {
  return table(
    [
      "model",
      "weights (M)",
      "binary MACs (M)",
      "float MACs (M)",
      "LCE's file (MiB)",
      "onebit's file (MiB)",
      "onebit's ops vs LCE's",
    ],
    rows.map((r) => [
      zooTitle(r.name),
      millions(r.weights),
      both(r.lceFile?.binaryMacs, r.ownFile?.binaryMacs, millions),
      both(r.lceFile?.floatMacs, r.ownFile?.floatMacs, millions),
      r.lceFile ? mib(r.lceFile.bytes) : LCE_CANNOT_CONVERT[r.name] ?? "—",
      r.ownFile ? mib(r.ownFile.bytes) : "refused (below)",
      r.opsVsLce ? (r.opsVsLce.length ? r.opsVsLce.join(", ") : "same multiset") : "—",
    ]),
  );
}

/** The latency table: onebit on LCE's file beside LCE, LiteRT and tfjs, with same-run ratios. */
function latencyTable(rows: ZooRow[]): string {
  return table(
    [
      ...["model", "runs", "onebit 1T", "onebit 2T", "onebit wasm 1T", "LCE 1T", "LCE 2T", "LiteRT 1T", "LiteRT 2T"],
      ...["tfjs-wasm 1T", "vs LCE 1T / 2T", "vs LiteRT 1T / 2T", "vs tfjs-wasm", "wasm vs LiteRT / tfjs-wasm"],
    ],
    rows.map((r) => {
      const o = r.onLceFile, l = r.lce, lt = r.litert;
      const ours = o ? [ms(o.native1), ms(o.native2), ms(o.wasm1)] : ["—", "—", "—"];
      const ratios = o && l
        ? [
          `${times(l.t1 / o.native1)} / ${times(l.t2 / o.native2)}`,
          `${times(lt.t1 / o.native1)} / ${times(lt.t2 / o.native2)}`,
          times(r.tfjsWasm1 / o.native1),
          `${times(lt.t1 / o.wasm1)} / ${times(r.tfjsWasm1 / o.wasm1)}`,
        ]
        : ["—", "—", "—", "—"];
      return [
        zooTitle(r.name),
        String(r.runs),
        ...ours,
        ms(l?.t1 ?? NaN),
        ms(l?.t2 ?? NaN),
        ms(lt.t1),
        ms(lt.t2),
        ms(r.tfjsWasm1),
        ...ratios,
      ];
    }),
  );
}

/** onebit on its own conversion (same weights), next to its time on LCE's file. */
function ownFileTable(rows: ZooRow[]): string {
  return table(
    ["model", "onebit 1T", "onebit 2T", "onebit wasm 1T", "LCE's file / onebit's file (1T)"],
    rows.map((r) => {
      const o = r.onOwnFile, l = r.onLceFile;
      if (!o) return [zooTitle(r.name), "refused (below)", "—", "—", "—"];
      return [zooTitle(r.name), ms(o.native1), ms(o.native2), ms(o.wasm1), l ? times(l.native1 / o.native1) : "—"];
    }),
  );
}

/** The output checks (max |diff| / max |logit|; bold: above the tolerance). */
function outputTable(rows: ZooRow[], backends: Backend[]): string {
  const keys = [
    ...backends.map((b) => [`LCE's file, ${b}, vs LCE`, `lce_file_${b}_vs_lce`]),
    ...backends.map((b) => [`onebit's file, ${b}, vs TS model`, `own_file_${b}_vs_model`]),
    [`onebit's file, ${backends[0]}, vs LCE`, `own_file_${backends[0]}_vs_lce`],
    [`onebit's file vs LCE's, both onebit ${backends[0]}`, `own_file_${backends[0]}_vs_lce_file_${backends[0]}`],
    ["tfjs vs LiteRT, float file", "tfjs_vs_litert_on_float_file"],
  ];
  return table(
    ["model", ...keys.map((k) => k[0])],
    rows.map((r) => [zooTitle(r.name), ...keys.map((k) => diff(r.diffs[k[1]]))]),
  );
}

/** Every check outside the tolerance, one line each. */
function disagreements(rows: ZooRow[]): string[] {
  return rows.flatMap((r) =>
    Object.entries(r.diffs).filter(([, v]) => !(v <= TOLERANCE)).map(([k, v]) =>
      `${zooTitle(r.name)}: ${k} ${v.toExponential(2)}`
    )
  );
}

/** The report: the tables and what disagrees. */
export function formatZooReport(rows: ZooRow[], backends: Backend[]): string {
  const refused = rows.filter((r) => r.refused).map((r) => `${zooTitle(r.name)}: onebit's converter: ${r.refused}`);
  const why = rows.filter((r) => r.lceDifference).map((r) => `${zooTitle(r.name)} on LCE's file: ${r.lceDifference}`);
  const unloadable = rows.filter((r) => r.lceLoadError).map((r) =>
    `${zooTitle(r.name)}: onebit's interpreter cannot load LCE's file: ${r.lceLoadError}`
  );
  const off = disagreements(rows);
  return [
    modelTable(rows),
    "Latency, ms (medians; ratio = their median / onebit's on LCE's file, same run):",
    latencyTable(rows),
    "onebit on its own conversion (the same weights), ms:",
    ownFileTable(rows),
    `Logits, max |diff| / max |logit| (tolerance ${TOLERANCE}):`,
    outputTable(rows, backends),
    ...refused,
    ...unloadable,
    off.length ? `Outside the tolerance:\n${off.join("\n")}` : "Every check within the tolerance.",
    ...why,
  ].join("\n\n");
}

const USAGE = "usage: deno task bench:zoo [--models a,b,...] [--runs N] [--big-runs N] [--rounds N] [--warmup N] " +
  "[--backends native,wasm,reference] [--json]";

function parseBackends(value: string): Backend[] {
  const list = value.split(",");
  for (const b of list) {
    if (!isBackend(b) || b === "auto") throw new UsageError(badBackend("--backends", b).replace("auto, ", ""));
  }
  return list as Backend[];
}

async function main(args: string[]): Promise<void> {
  const { values } = parseCli(args, {
    models: { type: "string", default: LARQ_ZOO.join(",") },
    runs: { type: "string" },
    "big-runs": { type: "string" },
    rounds: { type: "string" },
    warmup: { type: "string" },
    backends: { type: "string", default: "native,wasm,reference" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return console.log(USAGE);
  const names = values.models.split(",");
  for (const n of names) {
    try {
      zooTitle(n);
    } catch (e) {
      throw new UsageError(`--models: ${(e as Error).message}`);
    }
  }
  const options: ZooBenchOptions = {
    runs: intOption("runs", values.runs, 10),
    bigRuns: intOption("big-runs", values["big-runs"], 3),
    rounds: intOption("rounds", values.rounds, 2),
    warmup: intOption("warmup", values.warmup, 2, 0),
    backends: parseBackends(values.backends),
  };
  await sh("bash", ["tools/setup_py.sh"]);
  await initTfjsWasm(1);
  const rows: ZooRow[] = [];
  for (const name of names) {
    const t0 = performance.now();
    rows.push(await benchZoo(name, options));
    console.error(`bench:zoo: ${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  if (values.json) return console.log(JSON.stringify({ cpu: cpuModel(), options, rows }, null, 1));
  console.log(`CPU: ${cpuModel()}; ${new Date().toISOString().slice(0, 10)}; deno ${Deno.version.deno}\n`);
  console.log(formatZooReport(rows, options.backends));
}

if (import.meta.main) await runCli("bench:zoo", USAGE, () => main(Deno.args));
