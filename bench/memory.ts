/**
 * Resident memory of the runtime on the user's path (`import` of mod.ts →
 * `Interpreter.fromFile` → `invoke`), each step measured in a fresh Deno
 * process and reported above an empty one, next to issue #18's budget
 * `model file + planned arena + 10 MiB`:
 *
 *   deno task bench:memory [bench/models/quicknet.tflite ...] [--backend native|wasm|reference|auto]
 *     [--invokes 5] [--repeats 3] [--entry mod.ts] [--json]
 *
 * Steps: `empty` (no import: the baseline), `import` (mod.ts, or the
 * module `--entry` names relative to the repository, e.g.
 * `runtime/interpreter.ts`: what a program that needs only the runtime
 * imports), `load`
 * (fromFile), `invoke` (N invokes), `gc` (then a full collection). Each is
 * the median RSS of `--repeats` processes. The breakdown: JS heap (V8's
 * heapTotal), external (ArrayBuffers: arena, constants, packed weights the
 * JS side holds) and native (the rest: compiled code, the native library,
 * module sources, allocator slack), all above the empty process.
 *
 * This file imports nothing at the top: a child process runs the same file
 * with `--child STEP` and imports mod.ts by a computed specifier, so Deno
 * does not load the library's module graph into the empty baseline.
 * @module
 */

/** The steps, in the order a user's program takes them; each includes the ones before it. */
export const STEPS = ["empty", "import", "load", "invoke", "gc"] as const;

/** One step of the user's path. */
export type Step = typeof STEPS[number];

/** What a child process reports after its step (bytes). */
export interface Sample {
  /** Resident set size of the process. */
  rss: number;
  /** V8's heap, committed. */
  heapTotal: number;
  /** Memory of ArrayBuffers and other objects outside the JS heap. */
  external: number;
  /** The interpreter's planned arena (load and later). */
  arenaBytes?: number;
  /** Bytes of constants the interpreter keeps (load and later). */
  constantBytes?: number;
}

const MIB = 1048576;

/** Runs `step` in this process (a child): imports, loads and invokes as far as `step`, then reports. */
async function child(step: Step, model: string, o: ChildOptions): Promise<Sample> {
  const { backend, invokes, entry } = o;
  const sample: Sample = { rss: 0, heapTotal: 0, external: 0 };
  if (step !== "empty") {
    const specifier = new URL(`../${entry}`, import.meta.url).href;
    const onebit = await import(specifier);
    if (step !== "import") {
      // deno-lint-ignore no-explicit-any
      const it: any = await onebit.Interpreter.fromFile(model, { backend });
      // Reachable until the sample is taken, whatever the optimizer thinks of the local.
      (globalThis as Record<string, unknown>).interpreter = it;
      sample.arenaBytes = it.arenaBytes;
      sample.constantBytes = it.constantBytes;
      if (step !== "load") {
        // deno-lint-ignore no-explicit-any
        const x = it.inputs.map((s: any) => new Float32Array(s.shape.reduce((a: number, b: number) => a * b, 1)));
        for (let i = 0; i < invokes; i++) it.invoke(x);
      }
      if (step === "gc") {
        // Twice, after macrotasks: ArrayBuffers' memory is freed by a task after the collection that found them.
        for (let i = 0; i < 2; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          (globalThis as unknown as { gc(): void }).gc();
        }
      }
    }
  }
  const m = Deno.memoryUsage();
  return { ...sample, rss: m.rss, heapTotal: m.heapTotal, external: m.external };
}

/** What a child process does: the backend, the invokes, the module imported (relative to the repository). */
interface ChildOptions {
  backend: string;
  invokes: number;
  entry: string;
}

/** Runs `step` in a fresh Deno process and returns its sample. */
async function measure(step: Step, model: string, o: ChildOptions): Promise<Sample> {
  const args = [
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    new URL(import.meta.url).pathname,
    "--child",
    step,
    model,
    JSON.stringify(o),
  ];
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`the ${step} step failed for ${model}:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The median sample (field by field) of `repeats` fresh processes. */
async function medianSample(step: Step, model: string, o: ChildOptions, repeats: number): Promise<Sample> {
  const samples: Sample[] = [];
  for (let r = 0; r < repeats; r++) samples.push(await measure(step, model, o));
  const field = (k: keyof Sample) => median(samples.map((s) => s[k] ?? 0));
  return {
    rss: field("rss"),
    heapTotal: field("heapTotal"),
    external: field("external"),
    arenaBytes: samples[0].arenaBytes,
    constantBytes: samples[0].constantBytes,
  };
}

/** One model's measurements: every step's sample, the file's size, and the budget. */
export interface ModelMemory {
  /** The model's path. */
  model: string;
  /** Bytes of the .tflite file. */
  fileBytes: number;
  /** The planned arena (bytes). */
  arenaBytes: number;
  /** `fileBytes + arenaBytes + 10 MiB`: issue #18's bound on RSS above an empty Deno after loading. */
  budgetBytes: number;
  /** The sample of each step. */
  steps: Record<Step, Sample>;
}

/** Measures every step of `model` on `backend`. */
export async function measureModel(
  model: string,
  options: { backend?: string; invokes?: number; repeats?: number; entry?: string } = {},
): Promise<ModelMemory> {
  const { backend = "auto", invokes = 5, repeats = 3, entry = "mod.ts" } = options;
  const fileBytes = (await Deno.stat(model)).size;
  const steps = {} as Record<Step, Sample>;
  for (const step of STEPS) steps[step] = await medianSample(step, model, { backend, invokes, entry }, repeats);
  const arenaBytes = steps.load.arenaBytes ?? 0;
  return { model, fileBytes, arenaBytes, budgetBytes: fileBytes + arenaBytes + 10 * MIB, steps };
}

/** The table of one model: each step's RSS above the empty process and its breakdown, in MiB. */
export function formatModel(m: ModelMemory): string {
  const base = m.steps.empty;
  const mib = (b: number) => (b / MIB).toFixed(1).padStart(7);
  const lines = [
    `${m.model}: file ${(m.fileBytes / MIB).toFixed(2)} MiB, arena ${(m.arenaBytes / MIB).toFixed(2)} MiB, ` +
    `budget (file + arena + 10 MiB) ${(m.budgetBytes / MIB).toFixed(1)} MiB above an empty Deno ` +
    `(${(base.rss / MIB).toFixed(1)} MiB)`,
    `  step     above empty    JS heap   external     native   constants`,
  ];
  for (const step of STEPS.slice(1)) {
    const s = m.steps[step];
    const rss = s.rss - base.rss, heap = s.heapTotal - base.heapTotal, ext = s.external - base.external;
    const over = rss > m.budgetBytes && step !== "import" ? "  over budget" : "";
    lines.push(
      `  ${step.padEnd(8)} ${mib(rss)}       ${mib(heap)}    ${mib(ext)}    ${mib(rss - heap - ext)}     ${
        s.constantBytes === undefined ? "      -" : mib(s.constantBytes)
      }${over}`,
    );
  }
  return lines.join("\n");
}

function parse(
  args: string[],
): { models: string[]; backend: string; invokes: number; repeats: number; entry: string; json: boolean } {
  const models: string[] = [];
  const o = { backend: "auto", invokes: 5, repeats: 3, entry: "mod.ts", json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") o.json = true;
    else if (a === "--backend") o.backend = args[++i];
    else if (a === "--invokes") o.invokes = Number(args[++i]);
    else if (a === "--repeats") o.repeats = Number(args[++i]);
    else if (a === "--entry") o.entry = args[++i];
    else if (a.startsWith("--")) throw new TypeError(`bench:memory: unknown option ${a}`);
    else models.push(a);
  }
  if (!["auto", "native", "wasm", "reference"].includes(o.backend)) {
    throw new TypeError(`bench:memory: --backend must be auto, native, wasm or reference, got ${o.backend}`);
  }
  for (const [k, v] of [["invokes", o.invokes], ["repeats", o.repeats]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`bench:memory: --${k} must be a positive integer`);
  }
  const dir = new URL("./models/", import.meta.url).pathname;
  return {
    ...o,
    models: models.length > 0 ? models : ["quicknet_small", "quicknet", "birealnet"].map((n) => `${dir}${n}.tflite`),
  };
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") {
    const [, step, model, options] = Deno.args;
    console.log(JSON.stringify(await child(step as Step, model, JSON.parse(options))));
  } else {
    let options;
    try {
      options = parse(Deno.args);
    } catch (e) {
      console.error((e as Error).message);
      Deno.exit(1);
    }
    const results: ModelMemory[] = [];
    for (const model of options.models) {
      try {
        await Deno.stat(model);
      } catch {
        console.error(`bench:memory: ${model} not found (tools/py/zoo_models.py writes the zoo's files); skipped`);
        continue;
      }
      const r = await measureModel(model, options);
      results.push(r);
      if (!options.json) console.log(formatModel(r));
    }
    if (options.json) console.log(JSON.stringify(results, null, 2));
    else {
      console.log(
        `Deno ${Deno.version.deno}, backend ${options.backend}, ${options.invokes} invokes, import ${options.entry}`,
      );
    }
  }
}
