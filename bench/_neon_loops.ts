/**
 * The loops of the aarch64 library as llvm-mca sees them: the disassembly of
 * an unstripped build with its DWARF lines (`llvm-objdump -d -l`), split by
 * function symbol; the innermost loops of a function (a backward branch whose
 * range holds no other backward branch); a loop found by a line of Zig source
 * it runs (a {@link Site}); whether it is vectorized (128-bit NEON ops); and
 * llvm-mca's cycles per iteration and "Block RThroughput" (the bound its
 * instruction mix alone sets on the model's pipes) for one CPU model.
 * @module
 */

/** One instruction of the disassembly, with the source line DWARF gives it. */
export interface Insn {
  /** Address in the library. */
  addr: number;
  /** Assembly text, comments dropped. */
  text: string;
  /** Source file's base name (`bgemm_ukernel.zig`), "" when unknown. */
  file: string;
  /** Source line, 0 when unknown. */
  line: number;
}

/** A loop: the instructions from a backward branch's target to the branch. */
export interface Loop {
  /** The function symbol holding it. */
  fn: string;
  /** Its instructions in address order; the last is the backward branch. */
  insns: Insn[];
}

/**
 * Splits `llvm-objdump -d -l --no-show-raw-insn` output into functions by
 * symbol, each instruction carrying the last `; path:line` comment before it.
 */
export function parseDisassembly(text: string): Map<string, Insn[]> {
  const fns = new Map<string, Insn[]>();
  let current: Insn[] | null = null;
  let file = "";
  let line = 0;
  for (const raw of text.split("\n")) {
    const sym = raw.match(/^[0-9a-f]+ <(.+)>:$/);
    if (sym) {
      current = [];
      fns.set(sym[1], current);
      file = "";
      line = 0;
      continue;
    }
    const src = raw.match(/^; (\S+):(\d+)/);
    if (src) {
      file = src[1].slice(src[1].lastIndexOf("/") + 1);
      line = Number(src[2]);
      continue;
    }
    const ins = raw.match(/^\s*([0-9a-f]+):\s+(.*)$/);
    if (ins && current) {
      const text = ins[2].replace(/\s*\/\/.*$/, "").replace(/\s+/g, " ").trim();
      if (text.length > 0) current.push({ addr: parseInt(ins[1], 16), text, file, line });
    }
  }
  return fns;
}

const branchTarget = /^(?:b\.\w+|b|cbnz \w+,|cbz \w+,|tbnz \w+, #\d+,|tbz \w+, #\d+,) 0x([0-9a-f]+)/;

/** The backward branches of `insns` as [target index, branch index]. */
function backEdges(insns: Insn[]): [number, number][] {
  const edges: [number, number][] = [];
  insns.forEach((insn, i) => {
    const m = insn.text.match(branchTarget);
    if (!m) return;
    const target = parseInt(m[1], 16);
    if (target > insn.addr) return;
    const t = insns.findIndex((x) => x.addr === target);
    if (t >= 0) edges.push([t, i]);
  });
  return edges;
}

/**
 * The innermost loops of function `fn`: back-edge ranges that hold no other
 * back edge, without calls (a loop around a call is the callee's caller).
 */
export function innermostLoops(fns: Map<string, Insn[]>, fn: string): Loop[] {
  const insns = fns.get(fn);
  if (!insns) throw new RangeError(`innermostLoops: no function '${fn}' in the disassembly`);
  const edges = backEdges(insns);
  return edges
    .filter(([t, b]) => !edges.some(([t2, b2]) => (t2 !== t || b2 !== b) && t <= t2 && b2 <= b))
    .map(([t, b]) => ({ fn, insns: insns.slice(t, b + 1) }))
    .filter((loop) => !loop.insns.some((x) => /^(bl|blr|br) /.test(x.text)));
}

/** A hot loop named by a line of source it runs, inside functions matching `fn`. */
export interface Site {
  /** Short name for tables (`bgemm_4x16 depth word`). */
  name: string;
  /** Function symbols to search (exact name, or a pattern for generated names). */
  fn: string | RegExp;
  /** Source file's base name under kernels_zig/. */
  file: string;
  /** A text that occurs on exactly one line of that file: the loop must run that line. */
  snippet: string;
  /** Prefer a vectorized loop (an auto-vectorized loop and its scalar remainder both run the line). */
  vector?: boolean;
  /** Lines the loop must not run (to pick one comptime specialisation of several), each as file and snippet. */
  without?: readonly { file: string; snippet: string }[];
  /** An instruction the loop must hold (to pick one comptime variant of an inline-asm loop: `^bit `). */
  has?: RegExp;
}

/** A site's source line, and the lines its loop must not run. */
export interface SiteLines {
  line: number;
  exclude: { file: string; line: number }[];
}

/** Resolves a site's snippets to lines of kernels_zig/ files (read by `read`, given a base name). */
export async function siteLines(site: Site, read: (file: string) => Promise<string>): Promise<SiteLines> {
  const where = `site '${site.name}'`;
  const exclude = [];
  for (const w of site.without ?? []) {
    exclude.push({ file: w.file, line: lineOf(await read(w.file), w.snippet, where) });
  }
  return { line: lineOf(await read(site.file), site.snippet, where), exclude };
}

/** The 1-based line of `file` (its text) holding `snippet`; a RangeError if none or several do. */
export function lineOf(source: string, snippet: string, where: string): number {
  const lines = source.split("\n");
  const hits = lines.flatMap((l, i) => (l.includes(snippet) ? [i + 1] : []));
  if (hits.length !== 1) {
    throw new RangeError(`${where}: '${snippet}' is on ${hits.length} lines; a site needs exactly one`);
  }
  return hits[0];
}

/**
 * The smallest innermost loop of the functions matching `site.fn` that runs
 * `site.file`:`line` and none of `exclude` (with `site.vector`, the smallest
 * vectorized one if any); a RangeError naming the site when none does.
 */
export function loopOfSite(
  fns: Map<string, Insn[]>,
  site: Site,
  line: number,
  exclude: readonly { file: string; line: number }[] = [],
): Loop {
  const names = [...fns.keys()].filter((n) => typeof site.fn === "string" ? n === site.fn : site.fn.test(n));
  if (names.length === 0) throw new RangeError(`site '${site.name}': no function matches ${site.fn}`);
  const loops = names.flatMap((n) => innermostLoops(fns, n))
    .filter((l) => l.insns.some((x) => x.file === site.file && x.line === line))
    .filter((l) => !l.insns.some((x) => exclude.some((e) => x.file === e.file && x.line === e.line)))
    .filter((l) => !site.has || l.insns.some((x) => site.has!.test(x.text)));
  if (loops.length === 0) {
    throw new RangeError(`site '${site.name}': no innermost loop of ${names.join(", ")} runs ${site.file}:${line}`);
  }
  const vectorized = loops.filter((l) => vectorMix(l).q > 0);
  const pool = site.vector && vectorized.length > 0 ? vectorized : loops;
  return pool.reduce((a, b) => (b.insns.length < a.insns.length ? b : a));
}

/** 128-bit vector ops (`.16b/.8h/.4s/.2d` arrangements, q-register loads and stores) and all ops of a loop. */
export function vectorMix(loop: Loop): { q: number; total: number } {
  const q = loop.insns.filter((x) => /\bv\d+\.(16b|8h|4s|2d)\b|\bq\d+\b/.test(x.text)).length;
  return { q, total: loop.insns.length };
}

/** The loop as assembly llvm-mca accepts: branch targets and resolved addresses become a label. */
export function mcaSource(loop: Loop): string {
  const body = loop.insns.map((x) =>
    x.text.replace(/0x[0-9a-f]+ <[^>]*>/, ".Lloop").replace(/ 0x[0-9a-f]+$/, " .Lloop")
  );
  return ".Lloop:\n" + body.join("\n") + "\n";
}

/** What llvm-mca predicts for a block run many times on one CPU model. */
export interface McaResult {
  /** Total cycles / iterations (steady state). */
  cyclesPerIteration: number;
  /** "Block RThroughput": the reciprocal throughput the block's resource use alone allows. */
  rThroughput: number;
}

/** Reads llvm-mca's summary view; a TypeError when the report lacks one of its fields. */
export function parseMca(report: string): McaResult {
  const field = (name: string) => {
    const m = report.match(new RegExp(`${name}:\\s+([0-9.]+)`));
    if (!m) throw new TypeError(`parseMca: the llvm-mca report has no '${name}' field`);
    return Number(m[1]);
  };
  return { cyclesPerIteration: field("Total Cycles") / field("Iterations"), rThroughput: field("Block RThroughput") };
}

const root = new URL("../", import.meta.url).pathname;

/**
 * Where {@link buildMcaLibrary} installs the unstripped aarch64 library: `ONEBIT_NEON_MCA_PREFIX` when set (worktrees
 * that share one .tools must not build into the same place at once), else .tools/neon-mca.
 */
export const MCA_PREFIX = Deno.env.get("ONEBIT_NEON_MCA_PREFIX") ?? `${root}.tools/neon-mca`;

/**
 * Builds the aarch64 library with symbols and DWARF lines (the stripped
 * zig-out one has neither) into {@link MCA_PREFIX}; Zig's cache makes a
 * second call quick. Returns the library's path.
 */
export async function buildMcaLibrary(): Promise<string> {
  const zig = `${root}.tools/zig/ziglang/zig`;
  await run(zig, ["build", "-Dtarget=aarch64-linux-gnu", "-Dstrip=false", "--prefix", MCA_PREFIX], undefined, root);
  return `${MCA_PREFIX}/lib/aarch64-linux-gnu/libonebit.so`;
}

/** The functions of `lib` (see {@link parseDisassembly}). */
export async function disassemble(lib: string): Promise<Map<string, Insn[]>> {
  return parseDisassembly(await run("llvm-objdump-14", ["-d", "-l", "--no-show-raw-insn", lib]));
}

/** Runs `cmd` with `stdin`; its stdout, or an Error with its stderr. */
export async function run(cmd: string, args: string[], stdin?: string, cwd?: string): Promise<string> {
  const child = new Deno.Command(cmd, { args, cwd, stdin: stdin ? "piped" : "null", stdout: "piped", stderr: "piped" })
    .spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** llvm-mca-14 on `asm` for `cpu` (`cortex-a72`, …), 200 iterations. */
export async function mca(asm: string, cpu: string): Promise<McaResult> {
  return parseMca(await run("llvm-mca-14", ["-mtriple=aarch64", `-mcpu=${cpu}`, "-iterations=200"], asm));
}

/**
 * f32 values a loop stores per iteration (`str q` 4, `stp q` 8, `str s` 1, …):
 * the elements per iteration of an elementwise float loop.
 */
export function floatsStoredPerIteration(loop: Loop): number {
  let n = 0;
  for (const { text } of loop.insns) {
    if (/^stp q/.test(text)) n += 8;
    else if (/^str q/.test(text)) n += 4;
    else if (/^stp s/.test(text)) n += 2;
    else if (/^str s/.test(text)) n += 1;
    else if (/^st1 \{/.test(text)) n += 4 * (text.match(/v\d+\.4s/g) ?? []).length;
  }
  return n;
}
