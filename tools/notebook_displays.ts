/**
 * What tools/notebooks.ts checks inside a notebook's displays, beyond their MIME type: each picture parsed as strict
 * XML (a broken SVG shows as nothing on a code host) with the elements it must draw, counted against an independent
 * source — the op count its text twin states, the op table beside it, the numbers of bench/results/compare.json.
 *
 * Each check takes the display's content (one MIME type's text) and the whole output (for its other MIME types) and
 * returns what is wrong with it: empty when it holds.
 * @module
 */
import { byClass, marksOf, parseSvg, type SvgElement } from "../viz/_test_svg.ts";
import { NODE_COLORS } from "../viz/graph.ts";
import { isBinaryOp } from "../tflite/summary.ts";
import { LATENCY_COLUMNS } from "../bench/_compare.ts";

/** A notebook output's MIME bundle, as nbformat stores it (a string or its lines). */
export type OutputData = Record<string, string | string[] | object>;

/** What a display must hold: the problems found in `content` (the MIME type checked) of an output with `data`. */
export type DisplayCheck = (content: string, data: OutputData) => string[];

/** The text of one MIME type of an output ("" when absent). */
export function mimeText(data: OutputData, mime: string): string {
  const t = data[mime];
  return typeof t === "string" ? t : Array.isArray(t) ? t.join("") : t === undefined ? "" : JSON.stringify(t);
}

/** Parses `svg` strictly and runs `inner` on its root; a parse failure is the one problem. */
function withSvg(svg: string, inner: (root: SvgElement) => string[]): string[] {
  let root: SvgElement;
  try {
    root = parseSvg(svg);
  } catch (e) {
    return [`not a valid SVG: ${(e as Error).message}`];
  }
  return inner(root);
}

/** The op boxes of a graph picture (`<g class="node binary|float">`), with their kind, label and fill. */
function opBoxes(root: SvgElement): { kind: string; label: string; fill: string | null }[] {
  return byClass(root, "node").filter((g) => g.nodeName === "g").flatMap((g) => {
    const kind = (g.getAttribute("class") ?? "").split(/\s+/)[1];
    if (kind !== "binary" && kind !== "float") return [];
    const rect = g.getElementsByTagName("rect")[0];
    return [{ kind, label: g.getElementsByTagName("text")[0]?.textContent ?? "", fill: rect?.getAttribute("fill") }];
  });
}

/**
 * The problems of a graph picture's boxes against `ops` op boxes expected, of which `binary` binary: the counts,
 * each box's kind (binary exactly when its op is LCE's) and its fill (the binary or float colour).
 */
function graphBoxProblems(root: SvgElement, ops: number, binary: number): string[] {
  const boxes = opBoxes(root);
  const problems: string[] = [];
  const found = boxes.filter((b) => b.kind === "binary").length;
  if (boxes.length !== ops || found !== binary) {
    problems.push(`${boxes.length} op boxes (${found} binary), expected ${ops} (${binary} binary)`);
  }
  for (const b of boxes) {
    if ((b.kind === "binary") !== isBinaryOp(b.label)) problems.push(`the ${b.label} box is drawn ${b.kind}`);
    const fill = NODE_COLORS[b.kind as "binary" | "float"].fill;
    if (b.fill !== fill) problems.push(`the ${b.label} box (${b.kind}) is filled ${b.fill}, not ${fill}`);
  }
  return problems;
}

/**
 * A `.tflite` file's graph picture (`modelSvg`, `inspect --svg`) whose text twin is `deno task inspect`'s summary
 * (first line `... N ops`): one box per op of the file, LCE's ops coloured binary, the others float.
 */
export function fileGraph(svg: string, data: OutputData): string[] {
  const ops = /, (\d+) ops\b/.exec(mimeText(data, "text/plain").split("\n")[0]);
  if (!ops) return ["its text twin does not state the op count (`..., N ops` on its first line)"];
  const lceOps = [...mimeText(data, "text/plain").matchAll(/^\s+\d+\s+(Lce\w+)/gm)].length;
  return withSvg(svg, (root) => graphBoxProblems(root, Number(ops[1]), lceOps));
}

/** The rows of the interpreter display's op table: op label, count, marked binary. */
function opTableRows(html: string): { op: string; count: number; binary: boolean }[] {
  const table = /<caption>Ops as they run[^<]*<\/caption>[\s\S]*?<\/table>/.exec(html)?.[0] ?? "";
  return [...table.matchAll(/<tr( class="binary")?><td>([^<]+)<\/td><td[^>]*>(\d+)<\/td>/g)].map((m) => ({
    op: m[2],
    count: Number(m[3]),
    binary: m[1] !== undefined,
  }));
}

/**
 * The interpreter's display (HTML): its op table has rows, and its graph picture draws one box per op the table
 * counts, as many binary as the rows marked binary count.
 */
export function interpreterDisplay(html: string, _data: OutputData): string[] {
  const rows = opTableRows(html);
  if (rows.length === 0) return ["no op table (caption `Ops as they run`)"];
  const svg = /<svg[\s\S]*<\/svg>/.exec(html)?.[0];
  if (svg === undefined) return ["no graph picture"];
  const sum = (rs: typeof rows) => rs.reduce((s, r) => s + r.count, 0);
  return withSvg(svg, (root) => graphBoxProblems(root, sum(rows), sum(rows.filter((r) => r.binary))));
}

/**
 * Training curves of `epochs` epochs with `lines` lines (a metric's train and validation series are two): a point
 * per epoch on each line.
 */
export function curves(epochs: number, lines: number): DisplayCheck {
  return (svg) =>
    withSvg(svg, (root) => {
      const drawn = marksOf(root, "mark-line role-mark").length;
      const points = marksOf(root, "mark-symbol role-mark").length;
      return drawn === lines && points === epochs * lines
        ? []
        : [`${drawn} lines and ${points} points, expected ${lines} lines of ${epochs} points`];
    });
}

/** A bar chart (per-op latency) with at least `min` bars. */
export function bars(min: number): DisplayCheck {
  return (svg) =>
    withSvg(svg, (root) => {
      const n = marksOf(root, "mark-rect role-mark").length;
      return n >= min ? [] : [`${n} bars, expected at least ${min}`];
    });
}

/** A run of bench/results/compare.json: what the notebook draws of it. */
export interface CompareRun {
  /** The day of the run. */
  date: string;
  /** The machine's CPU. */
  cpu: string;
  /** The command that produced it. */
  command: string;
  /** One row per model: `model` and latency fields (`onebit_t1_ms`, ...). */
  rows: Record<string, number | string>[];
}

/**
 * A run of `runs` drawn by `compareSvg`: the run is found by its command in the text twin (the caption), and the
 * chart has one bar per latency number of that run, and names its CPU.
 */
export function compareChart(runs: readonly CompareRun[]): DisplayCheck {
  return (svg, data) => {
    const caption = mimeText(data, "text/plain");
    const run = runs.find((r) => caption.includes(r.command) && caption.includes(r.date));
    if (run === undefined) return [`its caption names no committed run (date and command): ${caption.slice(0, 80)}`];
    const expected = run.rows.reduce(
      (n, row) => n + LATENCY_COLUMNS.filter(([key]) => typeof row[key] === "number").length,
      0,
    );
    return withSvg(svg, (root) => {
      const n = marksOf(root, "mark-rect role-mark").length;
      const problems = n === expected ? [] : [`${n} bars for ${run.command}, expected ${expected}`];
      return svg.includes(run.cpu) ? problems : [...problems, `the chart does not name the CPU ${run.cpu}`];
    });
  };
}
