/**
 * Seeded fuzzing of model loading and invocation: mutate valid `.tflite`
 * files (byte-level: bit flips, truncation, overwritten words, spliced
 * ranges; model-level through the writer: huge or negative dims, bad
 * indices, wrong types, reordered ops, wrong buffers, corrupted options)
 * and require every failure to be a typed model error.
 *
 *     deno task fuzz [--cases 20000] [--seed 1]
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

function mutateBytes(bytes: Uint8Array, r: () => number): { bytes: Uint8Array; how: string } {
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

export interface FuzzReport {
  cases: number;
  loaded: number;
  invoked: number;
  errors: Record<string, number>;
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

/**
 * Runs `cases` mutations round-robin over the corpus. Throws on the first
 * failure that is not a typed model error, with the seed, case and mutation.
 */
export function fuzz(cases: number, seed: number): FuzzReport {
  const files = corpus();
  const r = rng(seed);
  const report: FuzzReport = { cases, loaded: 0, invoked: 0, errors: {}, slowest_ms: 0 };
  for (let k = 0; k < cases; k++) {
    const base = files[k % files.length];
    let bytes: Uint8Array;
    let how: string;
    if (r() < 0.5) {
      ({ bytes, how } = mutateBytes(base.bytes, r));
    } else {
      const m = readModel(base.bytes);
      how = mutateModel(m, r);
      bytes = writeModel(m);
    }
    const t0 = performance.now();
    try {
      // Native kernels when the library is built: nothing unverified may reach them.
      const it = Interpreter.fromBytes(bytes, { backend: "auto", numThreads: 1 + (k % 2) });
      report.loaded++;
      it.invoke(zeroInputs(it));
      report.invoked++;
    } catch (e) {
      if (
        !(e instanceof ModelFormatError || e instanceof ModelValidationError || e instanceof UnsupportedModelError)
      ) {
        throw new Error(
          `fuzz seed ${seed} case ${k} (${base.name}, ${how}): untyped failure: ${(e as Error)?.stack ?? e}`,
        );
      }
      report.errors[e.name] = (report.errors[e.name] ?? 0) + 1;
    }
    report.slowest_ms = Math.max(report.slowest_ms, performance.now() - t0);
  }
  return report;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { cases: { type: "string", default: "20000" }, seed: { type: "string", default: "1" } },
  });
  const report = fuzz(Number(values.cases), Number(values.seed));
  console.log(JSON.stringify(report, null, 1));
}
