/**
 * Executes the example notebooks through Jupyter with the Deno kernel (as a reader would) and checks what they show:
 * every code cell ran, no cell raised or wrote an error, and each notebook has the displays {@link EXPECTED} lists
 * for it (HTML tables, SVG pictures). `--write` stores each executed notebook that passes back in place, outputs
 * included, so the committed notebooks read well on a code host; `--output DIR` writes every executed notebook
 * (failed ones too) to DIR instead. `--strict` fails on pending displays too. `--timeout` bounds each cell
 * (default 120 s).
 *
 *     deno task notebooks [--write] [--strict] [--timeout SECONDS] [--output DIR] [examples/x.ipynb ...]
 *
 * Without notebook arguments it first checks the kernel itself: a 20-cell notebook must come back with every cell's
 * output (the Deno kernel has lost some; tools/py/run_notebook.py works around it).
 *
 * Jupyter comes from tools/setup_jupyter.sh (a pinned venv and the kernelspec, both in .tools/; run first, it is
 * quiet when done). Ends with the line `deno test` ends with (`ok | N passed | N failed`), which tools/test.sh counts.
 * @module
 */
import { intOption, parseCli, runCli, UsageError } from "../_cli.ts";
import {
  bars,
  compareChart,
  type CompareRun,
  curves,
  type DisplayCheck,
  fileGraph,
  interpreterDisplay,
} from "./notebook_displays.ts";

/** One display a notebook must show: outputs carrying `mime` (and matching `match`), at least `min` of them. */
export interface Expectation {
  /** What it is, for the reader of a failure. */
  what: string;
  /** The MIME type of the output (`text/html`, `image/svg+xml`, ...). */
  mime: string;
  /** A pattern the content must match (default: any content). */
  match?: RegExp;
  /** What the content must hold beyond `match` (a picture's elements): its problems, none when it holds. */
  check?: DisplayCheck;
  /** Only outputs of this type count (`display_data`: shown during the cell, e.g. live; default any). */
  outputType?: Output["output_type"];
  /** How many such outputs at least (default 1). */
  min?: number;
  /** Set while the display does not exist yet: reported, not failed (unless `--strict`). Delete it when it lands. */
  pending?: string;
}

/** An HTML table containing `word`. */
const tableWith = (word: string) => new RegExp(`<table[\\s>][\\s\\S]*${word}`);
const root = new URL("..", import.meta.url).pathname;
const compareRuns: CompareRun[] = JSON.parse(Deno.readTextFileSync(`${root}bench/results/compare.json`)).runs;
/** quickstart's fit: 3 epochs, loss and accuracy, each for training and validation. */
const QUICKSTART_CURVES = curves(3, 4);

/**
 * The displays each notebook must show, by file name under examples/, each picture checked by its elements
 * (tools/notebook_displays.ts). A display still to come can carry a `pending` note (the run says when it is met).
 */
export const EXPECTED: Record<string, Expectation[]> = {
  "quickstart.ipynb": [
    { what: "tensor previews", mime: "text/html", match: /^<div><b>Tensor float32 \[\d+(, \d+)*\]<\/b>/, min: 2 },
    {
      what: "the model summary as a table",
      mime: "text/html",
      match: /^<table><caption>[^<]* stats<\/caption>[\s\S]*1-bit MACs/,
    },
    {
      what: "fit's live training curves",
      mime: "image/svg+xml",
      outputType: "display_data",
      check: QUICKSTART_CURVES,
    },
    { what: "the history's curves", mime: "image/svg+xml", outputType: "execute_result", check: QUICKSTART_CURVES },
    {
      what: "the conversion report as a table",
      mime: "text/html",
      match: /<caption>Conversion report<\/caption>[\s\S]*QuantConv2D[\s\S]*float twin/,
    },
    { what: "the converted model on each backend as a table", mime: "text/html", match: tableWith("reference") },
  ],
  "convert_inspect.ipynb": [
    {
      what: "the model summary as a table",
      mime: "text/html",
      match: /^<table><caption>[^<]* stats<\/caption>[\s\S]*1-bit MACs/,
    },
    {
      what: "the conversion report with the float twin's size and latency per layer",
      mime: "text/html",
      match: /Conversion report[\s\S]*<th[^>]*>speed-up<\/th>[\s\S]*float twin[\s\S]*Latency per layer/,
    },
    { what: "the file's graph picture", mime: "image/svg+xml", check: fileGraph },
    {
      what: "the interpreter's display",
      mime: "text/html",
      match: /^<div class="onebit-interpreter">/,
      check: interpreterDisplay,
    },
    {
      what: "the TypeScript model vs the file on each backend",
      mime: "text/html",
      match: tableWith("reference"),
    },
  ],
  "benchmark.ipynb": [
    ...(["native", "wasm", "reference"] as const).map((backend) => ({
      what: `per-op latency on ${backend} as a chart`,
      mime: "image/svg+xml",
      match: new RegExp(`ms, ${backend}, 1 thread`),
      check: bars(5),
    })),
    { what: "per-op latency on each backend as a table", mime: "text/html", match: tableWith("reference") },
    {
      what: "each committed bench:compare run as a chart",
      mime: "image/svg+xml",
      match: /median latency per model/,
      check: compareChart(compareRuns),
      min: compareRuns.length,
    },
    {
      what: "each run's date and CPU as a caption",
      mime: "text/markdown",
      match: /^\d{4}-\d\d-\d\d, .+: `deno /,
      min: compareRuns.length,
    },
    { what: "onebit against LCE, LiteRT, OpenVINO and tfjs", mime: "text/html", match: tableWith("OpenVINO") },
  ],
};

/** A notebook as nbformat 4 stores it (the fields this script reads). */
export interface Notebook {
  /** The cells, in order. */
  cells: Cell[];
  /** The notebook's metadata (`kernelspec` names the kernel). */
  metadata: Record<string, unknown>;
  /** The format's major version (4). */
  nbformat: number;
  /** The format's minor version. */
  nbformat_minor: number;
}

/** A notebook cell. */
export interface Cell {
  /** What the cell holds. */
  cell_type: "code" | "markdown" | "raw";
  /** The cell's id (nbformat 4.5). */
  id?: string;
  /** The cell's text, whole or as lines. */
  source: string | string[];
  /** The cell's metadata (`execution` holds the kernel's timestamps). */
  metadata: Record<string, unknown>;
  /** A code cell's run number; null when it did not run. */
  execution_count?: number | null;
  /** A code cell's outputs. */
  outputs?: Output[];
}

/** A code cell's output: a stream, a display or result (MIME bundle), or an error. */
export interface Output {
  /** The kind of output. */
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  /** A stream's name: `stdout` or `stderr`. */
  name?: string;
  /** A stream's text. */
  text?: string | string[];
  /** A display's or result's MIME bundle. */
  data?: Record<string, string | string[] | object>;
  /** An error's name (`RangeError`). */
  ename?: string;
  /** An error's message. */
  evalue?: string;
}

/** What {@link checkNotebook} found. */
export interface CheckResult {
  /** Why the notebook fails (empty: it passes). */
  problems: string[];
  /** Pending expectations, each with whether it is already met. */
  pending: { what: string; note: string; met: boolean }[];
}

const text = (t: string | string[] | object | undefined): string =>
  typeof t === "string" ? t : Array.isArray(t) ? t.join("") : t === undefined ? "" : JSON.stringify(t);

/** stderr that means trouble; the backend's once-per-process notice ("onebit: running on ...") is not. */
function stderrError(stream: string): string | undefined {
  return stream.split("\n").find((line) => /\b(error|uncaught|panic)/i.test(line) && !/^onebit: running on/.test(line));
}

/** The problems of each code cell: it did not run, it raised, or it wrote an error on stderr. */
function cellProblems(cell: Cell, n: number): string[] {
  if (cell.cell_type !== "code") return [];
  const problems = cell.execution_count == null ? [`cell ${n} did not run`] : [];
  for (const o of cell.outputs ?? []) {
    if (o.output_type === "error") problems.push(`cell ${n} raised ${o.ename}: ${o.evalue}`);
    const line = o.output_type === "stream" && o.name === "stderr" ? stderrError(text(o.text)) : undefined;
    if (line !== undefined) problems.push(`cell ${n} wrote an error on stderr: ${line.trim()}`);
  }
  return problems;
}

/** What the outputs of `nb` show of `e`: how many meet it, and the check's problems of those that match but fail. */
export function findDisplays(nb: Notebook, e: Expectation): { count: number; problems: string[] } {
  let count = 0;
  const problems: string[] = [];
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      const content = o.data?.[e.mime];
      if (content === undefined || (e.outputType !== undefined && o.output_type !== e.outputType)) continue;
      if (e.match !== undefined && !e.match.test(text(content))) continue;
      const found = e.check?.(text(content), o.data!) ?? [];
      if (found.length === 0) count++;
      else problems.push(...found);
    }
  }
  return { count, problems };
}

/** How many outputs of `nb` meet `e` (its MIME type, output type, pattern and check). */
export function countDisplays(nb: Notebook, e: Expectation): number {
  return findDisplays(nb, e).count;
}

/**
 * Checks an executed notebook: every code cell ran without an error and the expected displays are there.
 * @example
 * ```ts
 * import { checkNotebook } from "./notebooks.ts";
 * const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code" as const, source: "1",
 *   metadata: {}, execution_count: 1, outputs: [{ output_type: "execute_result" as const, data: { "text/html": "<table></table>" } }] }] };
 * const { problems } = checkNotebook(nb, [{ what: "a table", mime: "text/html", match: /<table>/ }]);
 * if (problems.length !== 0) throw new Error(problems.join("; "));
 * ```
 */
export function checkNotebook(nb: Notebook, expected: Expectation[], options: { strict?: boolean } = {}): CheckResult {
  const problems = nb.cells.flatMap((cell, i) => cellProblems(cell, i + 1));
  const pending: CheckResult["pending"] = [];
  for (const e of expected) {
    const found = findDisplays(nb, e), min = e.min ?? 1;
    if (e.pending !== undefined && !options.strict) {
      pending.push({ what: e.what, note: e.pending, met: found.count >= min });
    } else if (found.count < min) {
      const kind = e.outputType ? ` ${e.outputType}` : "";
      const pattern = e.match ? ` matching ${e.match}` : "";
      const why = found.problems.length ? ` (${found.problems.join("; ")})` : "";
      problems.push(
        `expected ${e.what}: at least ${min}${kind} ${e.mime} output(s)${pattern}, found ${found.count}${why}`,
      );
    }
  }
  return { problems, pending };
}

/** `t` (a string or nbformat's lines) with every `from` replaced by `to`. */
function replaceIn<T extends string | string[] | object>(t: T, from: string, to: string): T {
  if (typeof t === "string") return t.replaceAll(from, to) as T;
  return (Array.isArray(t) ? t.map((line) => line.replaceAll(from, to)) : t) as T;
}

/** An output with the checkout's path (`/home/me/onebit/`) taken out of its text: `zig-out/lib/...` on any machine. */
function withoutCheckout(o: Output, checkout: string): Output {
  const text = o.text === undefined ? {} : { text: replaceIn(o.text, checkout, "") };
  const data = o.data === undefined
    ? {}
    : { data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, replaceIn(v, checkout, "")])) };
  return { ...o, ...text, ...data };
}

/**
 * The notebook as it is committed: the executed one without per-cell execution timestamps (noise in diffs) and
 * without the path of the checkout it ran in (`checkout`, default this repository's root) in its outputs.
 */
export function forCommit(nb: Notebook, checkout = root): Notebook {
  const cells = nb.cells.map((cell) => {
    const { execution: _, ...metadata } = cell.metadata;
    const outputs = cell.outputs?.map((o) => withoutCheckout(o, checkout));
    return { ...cell, metadata, ...(outputs ? { outputs } : {}) };
  });
  return { ...nb, cells };
}

/** nbformat's own layout (one-space indent, final newline), so a re-run changes only what changed. */
export function notebookJson(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

const JUPYTER_HOME = `${root}.tools/jupyter`;

/**
 * Jupyter's directories inside .tools/ (as tools/setup_jupyter.sh made them): nothing is read from or written to ~.
 * The kernel inherits this environment.
 */
function jupyterEnv(): Record<string, string> {
  return {
    JUPYTER_PATH: `${JUPYTER_HOME}/jupyter`,
    JUPYTER_DATA_DIR: `${JUPYTER_HOME}/jupyter`,
    JUPYTER_CONFIG_DIR: `${JUPYTER_HOME}/config`,
    JUPYTER_RUNTIME_DIR: `${JUPYTER_HOME}/runtime`,
    JUPYTER_PLATFORM_DIRS: "1",
    // Plain text outputs: the committed notebooks read on code hosts that show ANSI colour codes as text.
    NO_COLOR: "1",
  };
}

async function setupJupyter(): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: [`${root}tools/setup_jupyter.sh`],
    env: { DENO: Deno.execPath() },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("tools/setup_jupyter.sh failed (its message is above)");
}

/**
 * Runs `path` through Jupyter with the kernel its metadata names (nbclient, in tools/py/run_notebook.py: `jupyter
 * execute --allow-errors` plus two workarounds for outputs the Deno kernel loses) and returns the executed notebook.
 */
export async function executeNotebook(path: string, cellTimeoutSeconds: number): Promise<Notebook> {
  const dir = await Deno.makeTempDir({ prefix: "onebit_nb_" });
  try {
    const out = await new Deno.Command(`${root}.tools/jupyter-venv/bin/python`, {
      args: [`${root}tools/py/run_notebook.py`, path, `${dir}/executed.ipynb`, `--timeout=${cellTimeoutSeconds}`],
      env: jupyterEnv(),
      stdout: "piped",
      stderr: "piped",
      // nbclient stops a cell at its timeout and shuts the kernel down; this kill is the last resort.
      signal: AbortSignal.timeout((2 * cellTimeoutSeconds + 60) * 1000),
    }).output();
    if (!out.success) {
      const log = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("; ");
      throw new Error(`executing ${path} failed (code ${out.code}, ${out.signal ?? "no signal"}): ${log}`);
    }
    return JSON.parse(await Deno.readTextFile(`${dir}/executed.ipynb`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A notebook of `cells` code cells, each printing a line and ending with a table of its number, every other one
 * after an `await`: what the Deno kernel must deliver whole for {@link EXPECTED}'s checks to mean anything.
 */
export function kernelCheckNotebook(cells = 20): Notebook {
  const source = (i: number) =>
    `${i % 2 ? "await Promise.resolve();\n" : ""}console.log("line ${i}");\nDeno.jupyter.html\`<table>${i}</table>\`;`;
  return {
    cells: Array.from({ length: cells }, (_, i) => ({
      cell_type: "code",
      id: `kernel-check-${i}`,
      source: source(i),
      metadata: {},
      execution_count: null,
      outputs: [],
    })),
    metadata: { kernelspec: { display_name: "Deno", language: "typescript", name: "deno" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** The cells of an executed {@link kernelCheckNotebook} that lost their line or their table. */
export function kernelCheckProblems(nb: Notebook): string[] {
  return nb.cells.flatMap((cell, i) => {
    const outputs = cell.outputs ?? [];
    const line = outputs.some((o) => o.output_type === "stream" && new RegExp(`^line ${i}$`, "m").test(text(o.text)));
    const table = outputs.some((o) => text(o.data?.["text/html"]) === `<table>${i}</table>`);
    return line && table ? [] : [`cell ${i + 1} lost its ${line ? "table" : table ? "line" : "line and table"}`];
  });
}

/** Runs {@link kernelCheckNotebook} through the kernel; prints its result line; true when every output arrived. */
async function kernelCheck(timeout: number): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "onebit_kernel_check_" });
  const t0 = performance.now();
  let problems: string[];
  try {
    await Deno.writeTextFile(`${dir}/kernel_check.ipynb`, notebookJson(kernelCheckNotebook()));
    problems = kernelCheckProblems(await executeNotebook(`${dir}/kernel_check.ipynb`, timeout));
  } catch (e) {
    problems = [(e as Error).message];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`the Deno kernel delivers every cell's output ... ${problems.length ? "FAILED" : "ok"} (${seconds}s)`);
  for (const p of problems) console.log(`  ${p}`);
  return problems.length === 0;
}

const USAGE =
  "usage: deno task notebooks [--write] [--strict] [--timeout SECONDS] [--output DIR] [examples/x.ipynb ...]";

interface RunOptions {
  write: boolean;
  strict: boolean;
  timeout: number;
  output?: string;
}

/** Executes and checks one notebook; prints its result line; true when it passes. */
async function runOne(path: string, options: RunOptions): Promise<boolean> {
  const name = path.split("/").at(-1)!;
  const t0 = performance.now();
  let result: CheckResult, nb: Notebook | undefined;
  try {
    nb = await executeNotebook(path, options.timeout);
    result = checkNotebook(nb, EXPECTED[name], options);
  } catch (e) {
    result = { problems: [(e as Error).message], pending: [] };
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const ok = result.problems.length === 0;
  console.log(`${path.replace(root, "")} ... ${ok ? "ok" : "FAILED"} (${seconds}s)`);
  for (const p of result.problems) console.log(`  ${p}`);
  for (const p of result.pending) {
    console.log(`  pending: ${p.what} (${p.note})${p.met ? ": already shown, delete its pending note" : ""}`);
  }
  if (nb && options.output) await Deno.writeTextFile(`${options.output}/${name}`, notebookJson(forCommit(nb)));
  if (nb && ok && options.write) await Deno.writeTextFile(path, notebookJson(forCommit(nb)));
  return ok;
}

async function main(): Promise<void> {
  const { values, positionals } = parseCli(Deno.args, {
    write: { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
    timeout: { type: "string" },
    output: { type: "string" },
  });
  const timeout = intOption("--timeout", values.timeout, 120);
  const paths = positionals.length ? positionals : Object.keys(EXPECTED).map((n) => `${root}examples/${n}`);
  for (const p of paths) {
    const name = p.split("/").at(-1)!;
    if (!(name in EXPECTED)) {
      throw new UsageError(`${p}: no expectations for this notebook; add "${name}" to EXPECTED in tools/notebooks.ts`);
    }
  }
  await setupJupyter();
  const t0 = performance.now();
  let passed = 0;
  if (values.output) await Deno.mkdir(values.output, { recursive: true });
  const options = { write: values.write, strict: values.strict, timeout, output: values.output };
  const checkKernel = positionals.length === 0;
  if (checkKernel && await kernelCheck(timeout)) passed++;
  for (const p of paths) if (await runOne(p, options)) passed++;
  const failed = paths.length + (checkKernel ? 1 : 0) - passed;
  const seconds = Math.round((performance.now() - t0) / 1000);
  console.log(`${failed ? "FAILED" : "ok"} | ${passed} passed | ${failed} failed (${seconds}s)`);
  if (failed) Deno.exit(1);
}

if (import.meta.main) await runCli("notebooks", USAGE, main);
