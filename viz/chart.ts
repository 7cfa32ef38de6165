/**
 * Charts as SVG: Vega-Lite specs built here, compiled and rendered by the
 * `vega` and `vega-lite` packages (loaded on the first chart, so importing
 * onebit does not load them). Two shapes cover onebit's pictures: lines per
 * epoch (training curves, one panel per metric, train solid and validation
 * dashed) and horizontal bars (time per op, grouped for comparisons).
 *
 * The spec builders ({@link lineChartSpec}, {@link barChartSpec}) are pure
 * and synchronous; {@link renderSvg} draws any Vega-Lite spec.
 * @module
 */
import { loadVega } from "../_deps.ts";

/** A Vega-Lite specification (a JSON object; see https://vega.github.io/vega-lite/docs/). */
export type VegaLiteSpec = Record<string, unknown>;

/** One line of a {@link lineChart}: y values at x values. */
export interface Series {
  /** The legend entry (series of the same name share a colour and a dash). */
  name: string;
  /** The y values, one per point. */
  y: readonly number[];
  /** The x values (default 1, 2, …, one per y value). */
  x?: readonly number[];
  /** The panel the line is drawn in; panels sit side by side, each with its own y axis. Default: one panel. */
  panel?: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** A title above the chart. */
  title?: string;
  /** The x axis title (default "x"). */
  xTitle?: string;
  /** The y axis title (default none: panels are named above). */
  yTitle?: string;
  /** Series names drawn dashed (e.g. `["validation"]`). */
  dashed?: readonly string[];
  /** Width of one panel in pixels (default 260). */
  width?: number;
  /** Height in pixels (default 180). */
  height?: number;
}

/** One bar of a {@link barChart}. */
export interface Bar {
  /** The category (an op type, a model): one row of the chart. */
  label: string;
  /** The bar's length (≥ 0). */
  value: number;
  /** For grouped bars: which of the bars of a row this is (e.g. a runtime); one colour per group. */
  group?: string;
}

/** Options of {@link barChart}. */
export interface BarChartOptions {
  /** A title above the chart. */
  title?: string;
  /** The value axis title (e.g. "ms per invoke"). */
  valueTitle?: string;
  /** The category axis title (default none). */
  labelTitle?: string;
  /** Width in pixels (default 360). */
  width?: number;
  /** Height of one bar in pixels (default 16). */
  barHeight?: number;
}

/** Every value a number (NaN and ±Infinity too, when `gaps`: a diverged loss is left out of its line). */
function checkNumbers(values: readonly number[], what: string, place: string, gaps = false): void {
  if (!Array.isArray(values)) throw new TypeError(`${place}: ${what} is ${values}; an array of numbers is accepted`);
  const bad = values.findIndex((v) => typeof v !== "number" || (!gaps && !Number.isFinite(v)));
  if (bad >= 0) {
    throw new TypeError(
      `${place}: ${what}[${bad}] is ${values[bad]}; ${gaps ? "numbers" : "finite numbers"} are accepted`,
    );
  }
}

function checkSize(value: number | undefined, what: string, place: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${place}: ${what} is ${value}; a positive number of pixels is accepted`);
  }
}

/** The rows of a line chart's data: one per point. */
function lineRows(series: readonly Series[]): Record<string, unknown>[] {
  if (!Array.isArray(series) || series.length === 0) {
    throw new RangeError("lineChart: series is empty; at least one { name, y } is accepted");
  }
  return series.flatMap((s: Series, i: number) => {
    if (typeof s?.name !== "string") {
      throw new TypeError(`lineChart: series[${i}].name is ${s?.name}; a string is accepted`);
    }
    checkNumbers(s.y, `series[${i}].y`, "lineChart", true);
    if (s.x !== undefined) {
      checkNumbers(s.x, `series[${i}].x`, "lineChart");
      if (s.x.length !== s.y.length) {
        throw new RangeError(`lineChart: series[${i}] has ${s.x.length} x values and ${s.y.length} y values`);
      }
    }
    // A non-finite value (a diverged loss) is left out of its line rather than failing the chart.
    return s.y.map((y: number, j: number) => ({
      x: s.x?.[j] ?? j + 1,
      y: Number.isFinite(y) ? y : null,
      series: s.name,
      panel: s.panel ?? "",
    }));
  });
}

/**
 * The Vega-Lite spec of {@link lineChart}: lines with a point per value, a colour per series name, one panel per
 * distinct `panel` (independent y axes).
 */
export function lineChartSpec(series: readonly Series[], options: LineChartOptions = {}): VegaLiteSpec {
  checkSize(options.width, "width", "lineChart");
  checkSize(options.height, "height", "lineChart");
  const rows = lineRows(series);
  const names = [...new Set(series.map((s) => s.name))];
  const dashed = new Set(options.dashed ?? []);
  // One legend for colour and dash, drawn as line pieces (a dashed entry looks dashed).
  const legend = { symbolType: "stroke", symbolStrokeWidth: 2, labelLimit: 0 };
  const layer = {
    width: options.width ?? 260,
    height: options.height ?? 180,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "x", type: "quantitative", title: options.xTitle ?? "x", axis: { tickMinStep: 1 } },
      y: { field: "y", type: "quantitative", title: options.yTitle ?? null, scale: { zero: false } },
      color: { field: "series", type: "nominal", title: null, sort: names, legend },
      strokeDash: {
        field: "series",
        type: "nominal",
        title: null,
        sort: names,
        legend,
        scale: { domain: names, range: names.map((n) => (dashed.has(n) ? [6, 4] : [1, 0])) },
      },
    },
  };
  const panels = [...new Set(rows.map((r) => r.panel))];
  const spec: VegaLiteSpec = panels.length > 1 || panels[0] !== ""
    ? {
      facet: { column: { field: "panel", type: "nominal", title: null, sort: panels } },
      spec: layer,
      resolve: { scale: { y: "independent" } },
    }
    : layer;
  return { data: { values: rows }, ...(options.title ? { title: options.title } : {}), ...spec };
}

/**
 * The Vega-Lite spec of {@link barChart}: horizontal bars in the order given, grouped (one colour per group) when
 * bars have a `group`.
 */
export function barChartSpec(bars: readonly Bar[], options: BarChartOptions = {}): VegaLiteSpec {
  checkSize(options.width, "width", "barChart");
  checkSize(options.barHeight, "barHeight", "barChart");
  if (!Array.isArray(bars) || bars.length === 0) {
    throw new RangeError("barChart: bars is empty; at least one { label, value } is accepted");
  }
  bars.forEach((b: Bar, i: number) => {
    if (typeof b?.label !== "string") {
      throw new TypeError(`barChart: bars[${i}].label is ${b?.label}; a string is accepted`);
    }
    if (!(Number.isFinite(b.value) && b.value >= 0)) {
      throw new RangeError(`barChart: bars[${i}].value is ${b.value}; a finite number ≥ 0 is accepted`);
    }
  });
  const labels = [...new Set(bars.map((b) => b.label))];
  const groups = [...new Set(bars.flatMap((b) => (b.group === undefined ? [] : [b.group])))];
  const perRow = Math.max(1, groups.length);
  const encoding: Record<string, unknown> = {
    // Fused op names are long: labels are not cut short.
    y: { field: "label", type: "nominal", title: options.labelTitle ?? null, sort: labels, axis: { labelLimit: 0 } },
    x: { field: "value", type: "quantitative", title: options.valueTitle ?? null },
    tooltip: [{ field: "label" }, { field: "value", type: "quantitative" }],
  };
  if (groups.length) {
    encoding.yOffset = { field: "group", type: "nominal", sort: groups };
    encoding.color = { field: "group", type: "nominal", title: null, sort: groups, legend: { labelLimit: 0 } };
  }
  return {
    ...(options.title ? { title: options.title } : {}),
    data: { values: bars.map((b) => ({ label: b.label, value: b.value, group: b.group ?? "" })) },
    width: options.width ?? 360,
    height: { step: (options.barHeight ?? 16) * perRow + 4 },
    mark: { type: "bar" },
    encoding,
  };
}

/**
 * Renders a Vega-Lite spec to an SVG document (the first call loads vega, a few hundred milliseconds).
 * @example
 * ```ts
 * import { renderSvg } from "./chart.ts";
 * const svg = await renderSvg({ data: { values: [{ a: 1 }] }, mark: "point", encoding: { x: { field: "a", type: "quantitative" } } });
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  // deno-lint-ignore no-explicit-any
  const compiled = vegaLite.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * A line chart as SVG: one line (with a point per value) per series, coloured by name, in one panel per `panel`.
 * @example
 * ```ts
 * import { lineChart } from "./chart.ts";
 * const svg = await lineChart([
 *   { name: "train", y: [0.9, 0.5, 0.3], panel: "loss" },
 *   { name: "validation", y: [1.0, 0.7, 0.6], panel: "loss" },
 * ], { xTitle: "epoch", dashed: ["validation"] });
 * console.log(svg.includes(">epoch</text>")); // true
 * ```
 */
export async function lineChart(series: readonly Series[], options: LineChartOptions = {}): Promise<string> {
  return await renderSvg(lineChartSpec(series, options));
}

/**
 * A horizontal bar chart as SVG: one bar per entry in the order given; entries with a `group` become grouped bars
 * (one colour per group, a legend).
 * @example
 * ```ts
 * import { barChart } from "./chart.ts";
 * const svg = await barChart([{ label: "CONV_2D", value: 1.5 }, { label: "ADD", value: 0.2 }], {
 *   valueTitle: "ms per invoke",
 * });
 * console.log(svg.includes(">CONV_2D</text>")); // true
 * ```
 */
export async function barChart(bars: readonly Bar[], options: BarChartOptions = {}): Promise<string> {
  return await renderSvg(barChartSpec(bars, options));
}

/** What {@link historyChart} reads: Keras's History shape (`fit` returns one). */
export interface HistoryLike {
  /** The epochs run (0-based). */
  epoch: readonly number[];
  /** Per log key (`loss`, `accuracy`, `val_loss`, …), one value per epoch. */
  history: Readonly<Record<string, readonly number[]>>;
}

/** Options of {@link historyChart}. */
export interface HistoryChartOptions {
  /** The metrics to draw, one panel each (default: every logged key but `val_*`, `flip_ratio/*`, `lr`). */
  metrics?: readonly string[];
  /** A title above the chart. */
  title?: string;
}

/**
 * Training curves as line series: one panel per metric, its train values ("train") and, when logged, its
 * `val_` twin ("validation"); x is the 1-based epoch (as fit's progress prints it).
 */
export function historySeries(history: HistoryLike, options: { metrics?: readonly string[] } = {}): Series[] {
  if (!history || !Array.isArray(history.epoch) || typeof history.history !== "object") {
    throw new TypeError("historyChart: history must be { epoch, history } (what fit returns)");
  }
  const keys = Object.keys(history.history);
  const metrics = options.metrics ??
    keys.filter((k) => !k.startsWith("val_") && !k.startsWith("flip_ratio/") && k !== "lr");
  const x = history.epoch.map((e) => e + 1);
  return metrics.flatMap((m) => {
    if (!(m in history.history)) {
      throw new RangeError(`historyChart: no metric "${m}" in the history; it has ${keys.join(", ") || "none"}`);
    }
    const val = history.history[`val_${m}`];
    return [
      { name: "train", x, y: history.history[m], panel: m },
      ...(val ? [{ name: "validation", x, y: val, panel: m }] : []),
    ];
  });
}

/**
 * A training history as SVG: one panel per metric, train solid, validation dashed, x the epoch.
 * @example
 * ```ts
 * import { historyChart } from "./chart.ts";
 * const svg = await historyChart({ epoch: [0, 1], history: { loss: [0.9, 0.4], val_loss: [1, 0.6] } });
 * console.log(svg.includes(">validation</text>")); // true
 * ```
 */
export async function historyChart(history: HistoryLike, options: HistoryChartOptions = {}): Promise<string> {
  if (history?.epoch?.length === 0) throw new RangeError("historyChart: the history has no epochs yet");
  return await lineChart(historySeries(history, options), {
    xTitle: "epoch",
    dashed: ["validation"],
    title: options.title,
  });
}

/**
 * A history in one line per logged key: its first and last values and the epoch count (the plain-text twin of
 * the curves).
 * @example
 * ```ts
 * import { historyText } from "./chart.ts";
 * console.log(historyText({ epoch: [0, 1], history: { loss: [0.9, 0.4] } }));
 * // History of 2 epochs
 * //   loss  0.9000 → 0.4000
 * ```
 */
export function historyText(history: HistoryLike): string {
  const n = history.epoch.length;
  const keys = Object.keys(history.history);
  const width = Math.max(0, ...keys.map((k) => k.length));
  const line = (k: string) => {
    const v = history.history[k];
    return `  ${k.padEnd(width)}  ${v[0]?.toFixed(4)} → ${v[v.length - 1]?.toFixed(4)}`;
  };
  return [`History of ${n} epoch${n === 1 ? "" : "s"}`, ...keys.map(line)].join("\n");
}
