/**
 * Seeded fuzzing of model loading and invocation: mutate valid `.tflite`
 * files (byte-level: bit flips, truncation, overwritten words, spliced
 * ranges; model-level through the writer: huge or negative dims, bad
 * indices, wrong types, reordered ops, wrong buffers, corrupted options)
 * and require every failure to be a typed model error.
 *
 *     deno task fuzz [--cases 20000] [--seed 1]
 *     deno task fuzz --litert [--cases 300] [--seed 1]   # the same mutations, onebit and LiteRT side by side
 *
 * `--litert` feeds the mutations of the builtin-only corpus to onebit and,
 * each file in its own process under a time limit, to LiteRT's Python
 * interpreter (the cross-check venv, tools/py/litert_case.py), and prints
 * both tallies: ran, clean rejections, crashes (signals), hangs.
 * @module
 */
import { parseArgs } from "node:util";
import { ModelFormatError, ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import type { TfliteModel } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import { writeModel } from "../tflite/writer.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import type { TensorData } from "../runtime/ops/_types.ts";

/** xorshift32: reproducible from the seed alone. */
export function rng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const fixtureDir = new URL("./fixtures/lce/", import.meta.url);

/** The fuzz corpus: every committed fixture. */
export function corpus(): { name: string; bytes: Uint8Array }[] {
  const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", fixtureDir)));
  return Object.keys(manifest.models).map((name) => ({
    name,
    bytes: Deno.readFileSync(new URL(`${name}.tflite`, fixtureDir)),
  }));
}

const WORDS = [0, 1, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 65536, 1 << 30];

/** One byte-level mutation of `bytes` (bit flips, truncation, an overwritten word, a copied range), from `r`. */
export function mutateBytes(bytes: Uint8Array, r: () => number): { bytes: Uint8Array; how: string } {
  const out = bytes.slice();
  const pick = (n: number) => Math.floor(r() * n);
  switch (pick(4)) {
    case 0: {
      const flips = 1 + pick(8);
      for (let i = 0; i < flips; i++) out[pick(out.length)] ^= 1 << pick(8);
      return { bytes: out, how: `${flips} bit flips` };
    }
    case 1: {
      const len = pick(out.length);
      return { bytes: out.subarray(0, len), how: `truncated to ${len}` };
    }
    case 2: {
      if (out.length < 4) return { bytes: out.subarray(0, pick(out.length + 1)), how: "truncated" };
      const at = pick(out.length - 4) & ~3;
      const w = WORDS[pick(WORDS.length)];
      new DataView(out.buffer).setUint32(at, w, true);
      return { bytes: out, how: `word ${w} at ${at}` };
    }
    default: {
      const from = pick(out.length), to = pick(out.length), len = pick(64);
      out.copyWithin(to, from, from + len);
      return { bytes: out, how: `copied ${len} bytes ${from}→${to}` };
    }
  }
}

function mutateModel(m: TfliteModel, r: () => number): string {
  const pick = (n: number) => Math.floor(r() * n);
  const g = m.subgraphs[0];
  const t = g.tensors[pick(g.tensors.length)];
  const op = g.operators[pick(g.operators.length)];
  const huge = [-1, -7, 0, 1 << 20, 2 ** 31 - 1, 3][pick(6)];
  switch (pick(9)) {
    case 0:
      if (t.shape.length > 0) t.shape[pick(t.shape.length)] = huge;
      return `tensor "${t.name}" dim ${huge}`;
    case 1:
      t.type = pick(20);
      return `tensor "${t.name}" type ${t.type}`;
    case 2:
      t.buffer = [pick(m.buffers.length), m.buffers.length + 3, 0][pick(3)];
      return `tensor "${t.name}" buffer ${t.buffer}`;
    case 3:
      if (op.inputs.length > 0) op.inputs[pick(op.inputs.length)] = [-1, -5, g.tensors.length, huge][pick(4)];
      return "operator input index";
    case 4:
      op.outputs[pick(op.outputs.length)] = [pick(g.tensors.length), g.tensors.length + 1][pick(2)];
      return "operator output index";
    case 5: {
      // Swap two operators: a consumer before its producer (a cycle in execution order).
      const i = pick(g.operators.length), j = pick(g.operators.length);
      [g.operators[i], g.operators[j]] = [g.operators[j], g.operators[i]];
      return `swapped operators ${i} and ${j}`;
    }
    case 6:
      op.opcodeIndex = [m.operatorCodes.length, pick(m.operatorCodes.length)][pick(2)];
      return `opcode index ${op.opcodeIndex}`;
    case 7:
      if (op.customOptions !== null) {
        const c = op.customOptions.slice();
        for (let k = 0; k < 3; k++) c[pick(c.length)] = pick(256);
        op.customOptions = c;
        return "corrupted custom options";
      }
      if (op.builtinOptions !== null) {
        const keys = Object.keys(op.builtinOptions);
        if (keys.length > 0) op.builtinOptions[keys[pick(keys.length)]] = huge;
      }
      return "builtin option value";
    default:
      g.inputs = [pick(g.tensors.length)];
      return `model input ${g.inputs[0]}`;
  }
}

/** What {@link fuzz} saw. */
export interface FuzzReport {
  /** Mutated files tried. */
  cases: number;
  /** Files the interpreter loaded. */
  loaded: number;
  /** Files it also invoked. */
  invoked: number;
  /** Typed model errors by class name. */
  errors: Record<string, number>;
  /** The slowest case, in ms. */
  slowest_ms: number;
}

function zeroInputs(it: Interpreter): TensorData[] {
  return it.inputs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    switch (s.type) {
      case "FLOAT32":
        return new Float32Array(n);
      case "INT32":
        return new Int32Array(n);
      case "INT8":
        return new Int8Array(n);
      default:
        return new Uint8Array(n);
    }
  });
}

/** One mutated model file: case number, the file it came from, the mutation and the bytes. */
export interface FuzzCase {
  /** The case number (from 0). */
  k: number;
  /** The corpus file mutated. */
  base: string;
  /** The mutation, in words. */
  how: string;
  /** The mutated file. */
  bytes: Uint8Array;
}

/** The seeded mutations, round-robin over `files` (the same sequence for onebit and LiteRT). */
export function* mutatedModels(
  cases: number,
  seed: number,
  files: { name: string; bytes: Uint8Array }[] = corpus(),
): Generator<FuzzCase> {
  const r = rng(seed);
  for (let k = 0; k < cases; k++) {
    const base = files[k % files.length];
    if (r() < 0.5) {
      const { bytes, how } = mutateBytes(base.bytes, r);
      yield { k, base: base.name, how, bytes };
    } else {
      const m = readModel(base.bytes);
      const how = mutateModel(m, r);
      yield { k, base: base.name, how, bytes: writeModel(m) };
    }
  }
}

/**
 * Runs `cases` mutations round-robin over the corpus. Throws on the first
 * failure that is not a typed model error, with the seed, case and mutation.
 */
export function fuzz(cases: number, seed: number, files = corpus()): FuzzReport {
  const report: FuzzReport = { cases, loaded: 0, invoked: 0, errors: {}, slowest_ms: 0 };
  for (const c of mutatedModels(cases, seed, files)) {
    const t0 = performance.now();
    const outcome = runCase(c, seed);
    if (outcome === "invoked" || outcome.loaded) report.loaded++;
    if (outcome === "invoked") report.invoked++;
    if (typeof outcome === "object") report.errors[outcome.error] = (report.errors[outcome.error] ?? 0) + 1;
    report.slowest_ms = Math.max(report.slowest_ms, performance.now() - t0);
  }
  return report;
}

/**
 * Loads and invokes one mutated file: "invoked", "loaded" never (invoke
 * throws or not), or the typed model error's name. Anything else throws,
 * naming the seed, the case and the mutation.
 */
function runCase(c: FuzzCase, seed: number): "invoked" | { error: string; loaded: boolean } {
  let loaded = false;
  try {
    // Native kernels when the library is built: nothing unverified may reach them.
    const it = Interpreter.fromBytes(c.bytes, { backend: "auto", numThreads: 1 + (c.k % 2) });
    loaded = true;
    it.invoke(zeroInputs(it));
    return "invoked";
  } catch (e) {
    if (!(e instanceof ModelFormatError || e instanceof ModelValidationError || e instanceof UnsupportedModelError)) {
      throw new Error(
        `fuzz seed ${seed} case ${c.k} (${c.base}, ${c.how}): untyped failure: ${(e as Error)?.stack ?? e}`,
      );
    }
    return { error: e.name, loaded };
  }
}

/** What one runtime did with the mutated files. */
export interface SideTally {
  /** Loaded and invoked. */
  ran: number;
  /** Refused with an error (a typed model error for onebit, a Python exception for LiteRT). */
  rejected: number;
  /** Killed by a signal (segfault, abort). */
  crashes: number;
  /** Did not finish within the time limit. */
  hangs: number;
  /** Cases that crashed or hung, as "case: base, mutation (signal)". */
  examples: string[];
}

const VENV_PYTHON = new URL("../.tools/venv/bin/python", import.meta.url).pathname;

/** The corpus files LiteRT can run: no custom operators (LCE's need LCE's interpreter). */
export function builtinCorpus(): { name: string; bytes: Uint8Array }[] {
  return corpus().filter((f) => readModel(f.bytes).operatorCodes.every((c) => c.customCode === null));
}

/** Runs one file in LiteRT's Python interpreter, in its own process, under a time limit: "ran", "rejected", "hang", "crash SIGSEGV", "exit N". */
async function litertCase(path: string, timeoutMs: number): Promise<"ran" | "rejected" | "hang" | string> {
  const child = new Deno.Command(VENV_PYTHON, {
    args: [new URL("../tools/py/litert_case.py", import.meta.url).pathname, path],
    stdout: "null",
    stderr: "null",
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const status = await child.status;
  clearTimeout(timer);
  if (timedOut) return "hang";
  if (status.signal) return `crash ${status.signal}`;
  return status.code === 0 ? "ran" : status.code === 3 ? "rejected" : `exit ${status.code}`;
}

/**
 * The same seeded mutations of the builtin-only corpus fed to onebit (in
 * this process) and to LiteRT (ai-edge-litert, one process per file): both
 * tallies. onebit's untyped failures still throw, as in {@link fuzz}.
 */
export async function fuzzSideBySide(
  cases: number,
  seed: number,
  options: { timeoutMs?: number } = {},
): Promise<{ onebit: SideTally; litert: SideTally }> {
  const empty = (): SideTally => ({ ran: 0, rejected: 0, crashes: 0, hangs: 0, examples: [] });
  const tally = { onebit: empty(), litert: empty() };
  const dir = await Deno.makeTempDir({ prefix: "onebit-fuzz-litert-" });
  try {
    for (const c of mutatedModels(cases, seed, builtinCorpus())) {
      const t0 = performance.now();
      if (runCase(c, seed) === "invoked") tally.onebit.ran++;
      else tally.onebit.rejected++;
      const ms = performance.now() - t0;
      if (ms > (options.timeoutMs ?? 10_000)) { // in-process: a hang is seen once it ends
        tally.onebit.hangs++;
        tally.onebit.examples.push(`${c.k}: ${c.base}, ${c.how} (${ms.toFixed(0)} ms)`);
      }
      const path = `${dir}/case.tflite`;
      await Deno.writeFile(path, c.bytes);
      const outcome = await litertCase(path, options.timeoutMs ?? 10_000);
      if (outcome === "ran") tally.litert.ran++;
      else if (outcome === "hang") tally.litert.hangs++;
      else if (outcome.startsWith("crash")) tally.litert.crashes++;
      else tally.litert.rejected++; // a Python exception (exit 3), or another exit code, listed in the examples
      if (outcome !== "ran" && outcome !== "rejected" && tally.litert.examples.length < 10) {
        tally.litert.examples.push(`${c.k}: ${c.base}, ${c.how} (${outcome})`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return tally;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      cases: { type: "string" },
      seed: { type: "string", default: "1" },
      litert: { type: "boolean", default: false },
    },
  });
  if (values.litert) {
    const cases = Number(values.cases ?? 300), seed = Number(values.seed);
    const t = await fuzzSideBySide(cases, seed);
    console.log(`${cases} mutations of the builtin-only corpus (${builtinCorpus().map((f) => f.name)}), seed ${seed}:`);
    for (const [who, s] of Object.entries(t)) {
      console.log(
        `  ${who.padEnd(6)} ran ${s.ran}, clean rejections ${s.rejected}, crashes ${s.crashes}, hangs ${s.hangs}` +
          (s.examples.length ? `; e.g. ${s.examples.slice(0, 3).join("; ")}` : ""),
      );
    }
  } else {
    const report = fuzz(Number(values.cases ?? 20000), Number(values.seed));
    console.log(JSON.stringify(report, null, 1));
  }
}
