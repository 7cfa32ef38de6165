/**
 * Seeded fuzzing of onebit's other parsers (issue #21): safetensors
 * checkpoints (loadCheckpoint), Keras config JSON (modelFromConfig),
 * `.keras`/`.h5` model files (loadKerasModel), PNG/JPEG images (decodeImage,
 * what `deno task run` reads) and `.npy` arrays (readNpy). Each case runs in
 * a worker under a time limit; its outcome is one of:
 *
 * - accepted: the parser returned;
 * - typed: a RangeError, TypeError or the parser's own error class
 *   (NpyError, ImageError) with a message of its own (good);
 * - untyped: any other error, or a JavaScript engine message ("Cannot read
 *   properties of undefined", "Invalid typed array length", ...) (bad);
 * - crash: the worker died; hang: no answer within the limit (bad).
 *
 *     deno task fuzz:parsers [--cases 2000] [--seed 1] [--parsers safetensors,config,keras,image,npy]
 * @module
 */
import { parseArgs } from "node:util";
import { mutateBytes, rng } from "./fuzz.ts";
import { Sequential } from "../models/sequential.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Dense } from "../layers/dense.ts";
import { Flatten } from "../layers/core.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Tensor } from "../graph/tensor.ts";
import { checkpointTensors } from "../models/checkpoint.ts";
import { encodeSafetensors } from "../train/safetensors.ts";
import { Adam } from "../train/optimizers.ts";

/** The parsers fuzzed. */
export const PARSERS = ["safetensors", "config", "keras", "image", "npy"] as const;
/** One of {@link PARSERS}. */
export type Parser = typeof PARSERS[number];

/** What happened to one case. */
export type Outcome = "accepted" | "typed" | "untyped" | "crash" | "hang";

/** One parser's tally, with the first bad cases described. */
export interface ParserTally {
  /** Cases run. */
  cases: number;
  /** The parser returned. */
  accepted: number;
  /** Refused with a typed error (good). */
  typed: number;
  /** Refused with an untyped or engine error (bad). */
  untyped: number;
  /** The worker died (bad). */
  crash: number;
  /** No answer within the time limit (bad). */
  hang: number;
  /** The slowest case, in ms. */
  slowestMs: number;
  /** The first bad cases: seed, case, seed file, mutation, outcome and error. */
  bad: string[];
}

/** Time limits per case: HDF5 gets its own worker's 20 s limit plus room. */
const LIMIT_MS: Record<Parser, number> = { safetensors: 5000, config: 5000, keras: 30000, image: 5000, npy: 5000 };

/** Errors the JavaScript engine raises on its own: a parser that lets one through did not check its input. */
const ENGINE =
  /Cannot read propert|Cannot convert|is not a function|is not iterable|Invalid typed array length|Invalid array length|Array buffer allocation failed|Maximum call stack|out of bounds|Offset is outside|Invalid string length|Cannot destructure|Invalid DataView|Cannot create property/i;

/**
 * Typed: the parser's own error class (NpyError, ImageError: raised on
 * purpose, whatever detail they quote), or a RangeError/TypeError whose
 * message is not one the engine makes up.
 */
export function classifyError(name: string, message: string): "typed" | "untyped" {
  if (name === "NpyError" || name === "ImageError") return "typed";
  return (name === "RangeError" || name === "TypeError") && !ENGINE.test(message) ? "typed" : "untyped";
}

const fixtures = new URL("./fixtures/", import.meta.url);
const filesIn = (dir: string, re: RegExp) =>
  [...Deno.readDirSync(new URL(dir, fixtures))].filter((e) => re.test(e.name)).map((e) => e.name).sort()
    .map((name) => ({ name, bytes: Deno.readFileSync(new URL(`${dir}/${name}`, fixtures)) }));

/** A checkpoint of a small BNN with an optimizer (the seed files of the safetensors fuzzer). */
function checkpointSeed(): Uint8Array {
  const model = new Sequential([
    new QuantConv2D(4, 3, { kernelQuantizer: "ste_sign", inputQuantizer: "ste_sign" }),
    new BatchNormalization(),
    new Flatten(),
    new Dense(3),
  ], { inputShape: [5, 5, 2], seed: 1 });
  model.apply(Tensor.zeros([1, 5, 5, 2]));
  const { tensors, metadata } = checkpointTensors(model, { optimizer: new Adam() });
  return encodeSafetensors(tensors, metadata);
}

/** The seed files of each parser. */
export function seeds(parser: Parser): { name: string; bytes: Uint8Array }[] {
  switch (parser) {
    case "safetensors":
      return [{ name: "bnn_adam", bytes: checkpointSeed() }, ...filesIn("checkpoints", /\.safetensors$/)];
    case "config": {
      const models = JSON.parse(Deno.readTextFileSync(new URL("larq/keras_configs.json", fixtures))).models;
      return Object.entries<{ json: string }>(models).map(([name, m]) => ({
        name,
        bytes: new TextEncoder().encode(m.json),
      }));
    }
    case "keras":
      return filesIn("keras_files", /^(two_inputs|k3_functional|quicknet_style)\.(keras|h5)$/);
    case "image":
      return filesIn("images", /\.(png|jpg)$/);
    case "npy":
      return filesIn("images", /\.npy$/).slice(0, 12);
  }
}

/** Hostile values put into a JSON config. */
const HOSTILE: unknown[] = [null, -1, 0, 1e12, 2 ** 31, 2 ** 53, -1e300, 0.5, "x", "", [], {}, true, [-1, -1], [
  null,
  1e9,
  1e9,
]];

/** Replaces, deletes or duplicates one value somewhere in a JSON document. */
function mutateJson(text: string, r: () => number): { bytes: Uint8Array; how: string } {
  if (r() < 0.2) {
    const m = mutateBytes(new TextEncoder().encode(text), r);
    return m;
  }
  const doc = JSON.parse(text);
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (v && typeof v === "object") {
      for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
    }
  };
  walk(doc, []);
  const path = paths[1 + Math.floor(r() * (paths.length - 1))];
  // deno-lint-ignore no-explicit-any
  const parent = path.slice(0, -1).reduce((o: any, k) => o[k], doc);
  const key = path[path.length - 1];
  const value = HOSTILE[Math.floor(r() * HOSTILE.length)];
  let how: string;
  if (r() < 0.15 && !Array.isArray(parent)) {
    delete parent[key];
    how = `deleted ${path.join(".")}`;
  } else {
    parent[key] = value;
    how = `${path.join(".")} = ${JSON.stringify(value)}`;
  }
  return { bytes: new TextEncoder().encode(JSON.stringify(doc)), how };
}

/**
 * A worker that runs the cases one at a time; replaced after a crash or a hang. A case's time limit starts once
 * the worker has loaded its modules (it says "ready"): on a loaded machine loading alone can take longer than a case.
 */
class Runner {
  #worker: Promise<Worker> | null = null;
  #instance: Worker | null = null;
  readonly scratch: string;
  constructor(scratch: string) {
    this.scratch = scratch;
  }
  #start(): Promise<Worker> {
    return this.#worker ??= new Promise((resolve, reject) => {
      const worker = new Worker(new URL("./_fuzz_parsers_worker.ts", import.meta.url), { type: "module" });
      this.#instance = worker;
      worker.onmessage = (e) => e.data === "ready" ? resolve(worker) : reject(new Error(`the worker said ${e.data}`));
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`the worker did not load: ${e.message}`));
      };
    });
  }
  /** Runs one case under `limitMs`: the outcome, and the error's name and message when there was one. */
  async run(parser: Parser, bytes: Uint8Array, limitMs: number): Promise<{ outcome: Outcome; detail: string }> {
    const worker = await this.#start();
    return new Promise((resolve) => {
      const done = (outcome: Outcome, detail: string, restart: boolean) => {
        clearTimeout(timer);
        worker.onmessage = worker.onerror = null;
        if (restart) this.stop();
        resolve({ outcome, detail });
      };
      const timer = setTimeout(() => done("hang", `no answer in ${limitMs} ms`, true), limitMs);
      worker.onmessage = (e) => {
        const r = e.data as { ok: boolean; name?: string; message?: string; stack?: string };
        if (r.ok) return done("accepted", "", false);
        // HDF5's own worker limit (keras/_h5.ts) bounds a decoder that loops: still a hang to report.
        const outcome = /did not finish in/.test(r.message!) ? "hang" : classifyError(r.name!, r.message!);
        done(outcome, `${r.name}: ${outcome === "typed" ? r.message : r.stack}`, false);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        done("crash", `worker died: ${e.message}`, true);
      };
      worker.postMessage({ parser, bytes, scratch: this.scratch });
    });
  }
  stop(): void {
    this.#instance?.terminate();
    this.#worker = this.#instance = null;
  }
}

/** Fuzzes `parsers` with `cases` seeded mutations each. */
export async function fuzzParsers(
  options: {
    cases: number;
    seed: number;
    parsers?: readonly Parser[];
    log?: (line: string) => void;
    /** Multiplies the time limits (a loaded machine); default 1. */
    slack?: number;
  },
): Promise<Record<string, ParserTally>> {
  const dir = await Deno.makeTempDir({ prefix: "onebit-fuzz-parsers-" });
  const runner = new Runner(`${dir}/case.safetensors`);
  const report: Record<string, ParserTally> = {};
  try {
    for (const parser of options.parsers ?? PARSERS) {
      const r = rng(options.seed);
      const files = seeds(parser);
      const t: ParserTally = { cases: 0, accepted: 0, typed: 0, untyped: 0, crash: 0, hang: 0, slowestMs: 0, bad: [] };
      for (let k = 0; k < options.cases; k++) {
        const base = files[k % files.length];
        const { bytes, how } = parser === "config"
          ? mutateJson(new TextDecoder().decode(base.bytes), r)
          : mutateBytes(base.bytes, r);
        const t0 = performance.now();
        const { outcome, detail } = await runner.run(parser, bytes, LIMIT_MS[parser] * (options.slack ?? 1));
        t.slowestMs = Math.max(t.slowestMs, Math.round(performance.now() - t0));
        t.cases++;
        t[outcome]++;
        if (outcome !== "accepted" && outcome !== "typed" && t.bad.length < 10) {
          t.bad.push(`seed ${options.seed} case ${k} (${base.name}, ${how}): ${outcome}: ${detail.slice(0, 600)}`);
          options.log?.(t.bad[t.bad.length - 1]);
        }
      }
      report[parser] = t;
    }
  } finally {
    runner.stop();
    await Deno.remove(dir, { recursive: true });
  }
  return report;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      cases: { type: "string", default: "2000" },
      seed: { type: "string", default: "1" },
      parsers: { type: "string" },
    },
  });
  const parsers = (values.parsers?.split(",") ?? PARSERS) as Parser[];
  for (const p of parsers) {
    if (!(PARSERS as readonly string[]).includes(p)) {
      console.error(`--parsers: unknown parser ${p}; known: ${PARSERS.join(", ")}`);
      Deno.exit(1);
    }
  }
  const t0 = performance.now();
  const report = await fuzzParsers({
    cases: Number(values.cases),
    seed: Number(values.seed),
    parsers,
    log: console.log,
  });
  console.table(Object.fromEntries(Object.entries(report).map(([k, { bad: _, ...t }]) => [k, t])));
  console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const bad = Object.values(report).reduce((s, t) => s + t.untyped + t.crash + t.hang, 0);
  if (bad > 0) Deno.exit(1);
}
