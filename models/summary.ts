/**
 * larq's `models.summary`: per layer the input precision, output shape,
 * parameters per bit width, memory and MACs per precision; then model
 * totals. Same rules and the same text as larq 0.13 (checked against its
 * output): BatchNorm counts 2 parameters per channel (beta folded into the
 * moving mean, gamma into the moving variance); MACs per non-bias weight =
 * count × output pixels at precision max(input precision, weight bits).
 * @module
 */
import type { Layer } from "../layers/layer.ts";
import { SymbolicTensor } from "../layers/symbolic.ts";
import type { Model } from "./model.ts";
import { htmlTable } from "../viz/html.ts";

interface WeightProfile {
  count: number;
  bits: number;
  trainable: boolean;
  bias: boolean;
}

interface LayerProfile {
  name: string;
  inputPrecision: number | null;
  /** One shape per output (batch axis first). */
  shapes: number[][];
  weights: WeightProfile[];
  /** MACs by precision; null where larq cannot count (unknown layer types). */
  macs: Map<number, number> | null;
}

/** Python's `f"{x:.{d}f}"`: round half to even on exact ties (JS toFixed rounds them up). */
function fixed(x: number, digits: number): string {
  const scaled = x * 10 ** digits;
  if (Number.isFinite(scaled) && Math.abs(scaled % 1) === 0.5) {
    const down = Math.trunc(scaled), even = down % 2 === 0 ? down : down + Math.sign(scaled);
    return (even / 10 ** digits).toFixed(digits);
  }
  return x.toFixed(digits);
}

/** larq's _number_as_readable_str: 3 significant figures with k/M/B/T. */
export function readableNumber(n: number): string {
  let num = Number(n.toPrecision(3));
  if (num < 1000) return String(num);
  if (num >= 1e15) return num.toExponential(2).toUpperCase().replace(/E\+?(-?)(\d)$/, "E+$10$2");
  let magnitude = 0;
  while (Math.abs(num) >= 1000 && magnitude < 4) {
    magnitude++;
    num /= 1000;
  }
  let s = num.toPrecision(3);
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s + ["", " k", " M", " B", " T"][magnitude];
}

/** larq's memory_as_readable_str: bytes with binary prefixes, "{:,.2f}". */
export function readableMemory(bits: number): string {
  const suffixes = ["B", "KiB", "MiB", "GiB"];
  let value = bits / 8, i = 0;
  while (i < suffixes.length - 1 && value / 1024 ** i >= 1024) i++;
  value /= 1024 ** i;
  const [int, frac] = fixed(value, 2).split(".");
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${frac} ${suffixes[i]}`;
}

function profile(layer: Layer, shapes: number[][]): LayerProfile {
  const weights = layer.summaryWeights().map((w) => ({
    count: w.variable.size,
    bits: w.quantizer?.precision ?? 32,
    trainable: w.variable.trainable && layer.trainable,
    bias: w.variable.name.includes("bias"),
  }));
  const macs = shapes.length === 1 ? layer.macs(shapes[0]) : null;
  return { name: layer.name, inputPrecision: layer.inputPrecision, shapes, weights, macs };
}

/** Python's str of an output shape tuple, or of the list of them for a layer with several outputs. */
function shapeText(shapes: number[][]): string {
  const tuple = (s: number[]) => `(${s.join(", ")}${s.length === 1 ? "," : ""})`;
  return shapes.length === 1 ? tuple(shapes[0]) : `[${shapes.map(tuple).join(", ")}]`;
}

function memoryBits(ws: WeightProfile[]): number {
  return ws.reduce((s, w) => s + w.bits * w.count, 0);
}

type Cell = string;

/** terminaltables' AsciiTable without inner column borders. */
function asciiTable(
  rows: Cell[][],
  title: string,
  opts: { rightFrom: number; heading: boolean; footing: boolean },
): string {
  const cols = rows[0].length;
  const widths = Array.from(
    { length: cols },
    (_, c) => Math.max(...rows.map((r) => Math.max(...r[c].split("\n").map((l) => l.length)))),
  );
  const inner = widths.reduce((s, w) => s + w + 2, 0);
  const line = (fill: string) => `+${fill}+`;
  const render = (r: Cell[]) => {
    const lines = Math.max(...r.map((c) => c.split("\n").length));
    const out: string[] = [];
    for (let i = 0; i < lines; i++) {
      out.push(
        "|" + r.map((c, j) => {
          const text = c.split("\n")[i] ?? "";
          return " " + (j >= opts.rightFrom ? text.padStart(widths[j]) : text.padEnd(widths[j])) + " ";
        }).join("") + "|",
      );
    }
    return out;
  };
  const out = [line(title + "-".repeat(Math.max(0, inner - title.length)))];
  rows.forEach((r, i) => {
    if (opts.footing && i === rows.length - 1) out.push(line("-".repeat(inner)));
    out.push(...render(r));
    if (opts.heading && i === 0) out.push(line("-".repeat(inner)));
  });
  out.push(line("-".repeat(inner)));
  return out.join("\n");
}

/** larq's summary of a model as data: what both the text ({@link summary}) and the HTML ({@link summaryHtml}) show. */
export interface SummaryTables {
  /** The model name the titles carry (`<name> stats`, `<name> summary`). */
  name: string;
  /** larq's column headers (some on two lines, split by "\n"). */
  headers: string[];
  /** One row per layer (and per input layer of a functional model), in Keras's order. */
  rows: string[][];
  /** Each row's parameter count, every bit width together. */
  params: number[];
  /** The "Total" row. */
  total: string[];
  /** The model totals as label and value ("Total params", "Model size", …). */
  stats: [string, string][];
}

/**
 * larq's summary of a model as tables of text cells: the numbers of `model.summary()`, computed once for the
 * text and the notebook display. A Sequential model needs its input shape (given, or from a first call).
 */
export function summaryTables(model: Model, options: { name?: string } = {}): SummaryTables {
  const name = options.name ?? model.name;
  // Keras lists the input layers of a functional model as rows of their own, in its depth order.
  const batch = model.inputs[0].batchSize ?? -1;
  const shapes = new Map(model.nodes.map((n) => [n.layer, n.outputs.map((o) => [batch, ...o.shape])]));
  const profiles: LayerProfile[] = model.ordered().map((item) =>
    item instanceof SymbolicTensor
      ? {
        name: item.name,
        inputPrecision: null,
        shapes: [[item.batchSize ?? -1, ...item.shape]],
        weights: [],
        macs: null,
      }
      : profile(item, shapes.get(item)!)
  );
  const all = profiles.flatMap((p) => p.weights);
  const bitwidths = [...new Set(all.map((w) => w.bits))].sort((a, b) => a - b);
  const precisions = [...new Set(profiles.flatMap((p) => [...(p.macs?.keys() ?? [])]))].sort((a, b) => a - b);
  const count = (ws: WeightProfile[], bits: number) =>
    ws.filter((w) => w.bits === bits).reduce((s, w) => s + w.count, 0);
  const memoryCell = (bits: number) => (bits === 0 ? "0" : fixed(bits / 8192, 2));
  const macsOf = (p: LayerProfile, precision: number) => (p.macs === null ? "?" : String(p.macs.get(precision) ?? 0));
  const headers = [
    "Layer",
    "Input prec.\n(bit)",
    "Outputs",
    ...bitwidths.map((b) => `# ${b}-bit\nx 1`),
    "Memory\n(kB)",
    ...precisions.map((p) => `${p}-bit MACs`),
  ];
  const rows = profiles.map((p) => [
    p.name,
    p.inputPrecision ? String(p.inputPrecision) : "-",
    shapeText(p.shapes),
    ...bitwidths.map((b) => String(count(p.weights, b))),
    memoryCell(memoryBits(p.weights)),
    ...precisions.map((q) => macsOf(p, q)),
  ]);
  const totalMacs = (q: number) => profiles.reduce((s, p) => s + (p.macs?.get(q) ?? 0), 0);
  const total = [
    "Total",
    "",
    "",
    ...bitwidths.map((b) => String(count(all, b))),
    memoryCell(memoryBits(all)),
    ...precisions.map((q) => String(totalMacs(q))),
  ];
  const params = profiles.map((p) => p.weights.reduce((s, w) => s + w.count, 0));
  return { name, headers, rows, params, total, stats: modelStats(all, precisions.map(totalMacs), precisions) };
}

/** larq's second table: parameter counts, sizes, the compression ratio, MACs and the binarized share. */
function modelStats(all: WeightProfile[], macsByPrecision: number[], precisions: number[]): [string, string][] {
  const memory = memoryBits(all), fp32 = 32 * all.reduce((s, w) => s + w.count, 0);
  const int8 = all.reduce((s, w) => s + (w.bits > 8 ? 8 : w.bits) * w.count, 0);
  const macs = macsByPrecision.reduce((s, m) => s + m, 0);
  const macsAt = (q: number) => macsByPrecision[precisions.indexOf(q)] ?? 0;
  const stats: [string, string][] = [
    ["Total params", readableNumber(all.reduce((s, w) => s + w.count, 0))],
    ["Trainable params", readableNumber(all.filter((w) => w.trainable).reduce((s, w) => s + w.count, 0))],
    ["Non-trainable params", readableNumber(all.filter((w) => !w.trainable).reduce((s, w) => s + w.count, 0))],
    ["Model size", readableMemory(memory)],
    ["Model size (8-bit FP weights)", readableMemory(int8)],
    ["Float-32 Equivalent", readableMemory(fp32)],
    ["Compression Ratio of Memory", fixed(memory / Math.max(1e-8, fp32), 2)],
    ["Number of MACs", readableNumber(macs)],
  ];
  const binarized = macsAt(1) / Math.max(1, macs), ternarized = macsAt(2) / Math.max(1, macs);
  if (binarized > 0) stats.push(["Ratio of MACs that are binarized", fixed(binarized, 4)]);
  if (ternarized > 0) stats.push(["Ratio of MACs that are ternarized", fixed(ternarized, 4)]);
  return stats;
}

/**
 * larq's two summary tables for a model (`model.summary()` prints them).
 * A Sequential model needs its input shape (given, or from a first call).
 *
 * @example
 * ```ts
 * import { summary } from "./summary.ts";
 * import { Sequential } from "./sequential.ts";
 * import { QuantDense } from "../layers/dense.ts";
 * const m = new Sequential([new QuantDense(4, { kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" })], { inputShape: [8] });
 * console.log(summary(m).includes("Ratio of MACs that are binarized")); // false: 32-bit inputs
 * ```
 */
export function summary(model: Model, options: { name?: string } = {}): string {
  return summaryText(summaryTables(model, options));
}

/** larq's text of {@link summaryTables}: two ASCII tables. */
export function summaryText(t: SummaryTables): string {
  const rows = [t.headers, ...t.rows, t.total];
  const layers = asciiTable(rows, `${t.name} stats`, { rightFrom: 1, heading: true, footing: true });
  const stats = asciiTable(t.stats, `${t.name} summary`, { rightFrom: Infinity, heading: false, footing: false });
  return `${layers}\n${stats}`;
}

/**
 * larq's summary as two HTML tables (per layer, then the model totals), as a notebook shows a model; layers whose
 * inputs are binary (input precision 1) carry the class "binary".
 * @example
 * ```ts
 * import { summaryHtml, summaryTables } from "./summary.ts";
 * import { Sequential } from "./sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * const html = summaryHtml(summaryTables(new Sequential([new Dense(2)], { inputShape: [3] })));
 * console.log(html.includes("<td>dense</td>")); // true
 * ```
 */
export function summaryHtml(t: SummaryTables): string {
  const right = t.headers.map((_, j) => j).slice(1);
  const layers = htmlTable(t.headers.map((h) => h.replace("\n", " ")), t.rows, {
    caption: `${t.name} stats`,
    numeric: right,
    footer: [t.total],
    rowClass: (i) => (t.rows[i][1] === "1" ? "binary" : undefined),
  });
  const stats = htmlTable([], t.stats, { caption: `${t.name} summary`, numeric: [1] });
  return layers + stats;
}

/**
 * A model in a few lines (what `Deno.inspect(model)` and `console.log(model)` print): its class, name, layer count,
 * parameters and size, then per layer its name, output shape and parameter count. A model without its input shape
 * yet lists its layers' names and classes.
 * @example
 * ```ts
 * import { modelOutline } from "./summary.ts";
 * import { Sequential } from "./sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * console.log(modelOutline(new Sequential([new Dense(2)], { inputShape: [3], name: "tiny" })));
 * // Sequential "tiny": 1 layer, 8 params, 32.00 B
 * //   dense  (-1, 2)  8
 * ```
 */
export function modelOutline(model: Model): string {
  const kind = model.constructor.name;
  let t: SummaryTables;
  try {
    t = summaryTables(model);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const layers = model.ordered().filter((l): l is Layer => !(l instanceof SymbolicTensor));
    return [`${kind} "${model.name}": ${plural(layers.length, "layer")}, not built (${e.message})`]
      .concat(layers.map((l) => `  ${l.name}  ${l.constructor.name}`)).join("\n");
  }
  const stat = new Map(t.stats);
  const binary = stat.get("Ratio of MACs that are binarized");
  const head = `${kind} "${t.name}": ${plural(model.layers.length, "layer")}, ${stat.get("Total params")} params, ` +
    `${stat.get("Model size")}${binary ? `, ${binary} of MACs binarized` : ""}`;
  const cols = [t.rows.map((r) => r[0]), t.rows.map((r) => r[2])];
  const width = cols.map((c) => Math.max(...c.map((s) => s.length)));
  const digits = Math.max(...t.params.map((p) => String(p).length));
  const lines = t.rows.map((r, i) =>
    `  ${r[0].padEnd(width[0])}  ${r[2].padEnd(width[1])}  ${String(t.params[i]).padStart(digits)}`
  );
  return [head, ...lines].join("\n");
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
