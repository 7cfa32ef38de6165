/**
 * The display checks of tools/notebook_displays.ts (tested here, beside examples/notebook_test.ts, where tools/test.sh
 * runs them) on real pictures — onebit's graph picture, curves, bar charts and interpreter display: each passes what
 * is right and names what is wrong when one element is changed.
 */
import assert from "node:assert/strict";
import {
  bars,
  compareChart,
  type CompareRun,
  curves,
  fileGraph,
  interpreterDisplay,
  mimeText,
} from "../tools/notebook_displays.ts";
import { type GraphDescription, graphSvg, NODE_COLORS } from "../viz/graph.ts";
import { barChart, historyChart } from "../viz/chart.ts";
import { compareSvg } from "../bench/_compare.ts";
import { JUPYTER_DISPLAY } from "../viz/html.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { convert } from "../convert/convert.ts";
import { Sequential } from "../models/sequential.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Dense } from "../layers/dense.ts";

const GRAPH: GraphDescription = {
  nodes: [
    { id: "x", label: "input_1", kind: "input" },
    { id: "q", label: "LceQuantize", kind: "binary" },
    { id: "c", label: "LceBconv2d", kind: "binary" },
    { id: "s", label: "SOFTMAX", kind: "float" },
    { id: "y", label: "out", kind: "output" },
  ],
  edges: [
    { from: "x", to: "q", label: "1x8x8x32" },
    { from: "q", to: "c", label: "1x8x8x1", packed: true },
    { from: "c", to: "s", label: "1x6x6x8" },
    { from: "s", to: "y", label: "1x6x6x8" },
  ],
};
/** `deno task inspect`'s summary of a file with GRAPH's ops, as the text twin of its picture. */
const SUMMARY = '120 bytes, "m", 3 ops\n\n   0  LceQuantize\n   1  LceBconv2d  binary  padding=VALID\n   2  SOFTMAX\n';

Deno.test("fileGraph: one box per op of the text twin, LCE's ops binary in the binary colour, the others float", async () => {
  const svg = await graphSvg(GRAPH);
  assert.deepEqual(fileGraph(svg, { "text/plain": SUMMARY }), []);
  assert.deepEqual(fileGraph(svg, { "text/plain": SUMMARY.replace("3 ops", "4 ops") }), [
    "3 op boxes (2 binary), expected 4 (2 binary)",
  ]);
  const recoloured = svg.replace(`fill="${NODE_COLORS.binary.fill}"`, `fill="${NODE_COLORS.float.fill}"`);
  assert.deepEqual(fileGraph(recoloured, { "text/plain": SUMMARY }), [
    `the LceQuantize box (binary) is filled ${NODE_COLORS.float.fill}, not ${NODE_COLORS.binary.fill}`,
  ]);
  const floatBconv = await graphSvg({
    ...GRAPH,
    nodes: GRAPH.nodes.map((n) => (n.id === "c" ? { ...n, kind: "float" as const } : n)),
  });
  assert.deepEqual(fileGraph(floatBconv, { "text/plain": SUMMARY }), [
    "3 op boxes (1 binary), expected 3 (2 binary)",
    "the LceBconv2d box is drawn float",
  ]);
  assert.match(fileGraph(svg.replace("</svg>", ""), { "text/plain": SUMMARY })[0], /^not a valid SVG: /);
  assert.deepEqual(fileGraph(svg, { "text/plain": "a picture" }), [
    "its text twin does not state the op count (`..., N ops` on its first line)",
  ]);
});

Deno.test("interpreterDisplay: the graph picture has a box per op the op table counts, binary as marked", async () => {
  const model = new Sequential([
    new QuantConv2D(32, 3, {
      inputQuantizer: "ste_sign",
      kernelQuantizer: "ste_sign",
      kernelConstraint: "weight_clip",
    }),
    new Dense(4),
  ], { seed: 1 });
  const it = Interpreter.fromBytes(convert(model, { inputShape: [8, 8, 32] }).bytes, { backend: "reference" });
  const html = mimeText(await it[JUPYTER_DISPLAY](), "text/html");
  assert.deepEqual(interpreterDisplay(html, {}), []);
  const counted = html.replace(/(<tr class="binary"><td>LceBconv2d<\/td><td[^>]*>)1</, "$12<");
  assert.notEqual(counted, html);
  assert.match(interpreterDisplay(counted, {})[0], /^\d+ op boxes \(\d+ binary\), expected \d+ \(\d+ binary\)$/);
  const unmarked = html.replace('<tr class="binary"><td>LceBconv2d', "<tr><td>LceBconv2d");
  assert.match(interpreterDisplay(unmarked, {})[0], /op boxes/);
  assert.deepEqual(interpreterDisplay(html.replace(/<svg[\s\S]*<\/svg>/, ""), {}), ["no graph picture"]);
  assert.deepEqual(interpreterDisplay("<div></div>", {}), ["no op table (caption `Ops as they run`)"]);
});

Deno.test("curves: a point per epoch on each line", async () => {
  const svg = await historyChart({
    epoch: [0, 1, 2],
    history: { loss: [3, 2, 1], val_loss: [4, 3, 2], accuracy: [0.5, 0.6, 0.7], val_accuracy: [0.4, 0.5, 0.6] },
  });
  assert.deepEqual(curves(3, 4)(svg, {}), []);
  assert.deepEqual(curves(2, 4)(svg, {}), ["4 lines and 12 points, expected 4 lines of 2 points"]);
  assert.deepEqual(curves(3, 2)(svg, {}), ["4 lines and 12 points, expected 2 lines of 3 points"]);
});

Deno.test("bars: at least the bars asked for", async () => {
  const svg = await barChart([{ label: "CONV_2D", value: 2 }, { label: "SOFTMAX", value: 0.1 }]);
  assert.deepEqual(bars(2)(svg, {}), []);
  assert.deepEqual(bars(3)(svg, {}), ["2 bars, expected at least 3"]);
});

Deno.test("compareChart: the run named by the caption, a bar per latency number, its CPU named", async () => {
  const run: CompareRun = {
    date: "2026-12-06",
    cpu: "Some CPU",
    command: "deno task bench:compare --models quicknet",
    rows: [{ model: "quicknet", onebit_t1_ms: 3, lce_t1_ms: 130 }, { model: "birealnet", onebit_t1_ms: 5 }],
  };
  const caption = { "text/plain": `${run.date}, ${run.cpu}: ${run.command}` };
  const svg = await compareSvg(run.rows.map((r) => ({ ...r, cpu: run.cpu })));
  assert.deepEqual(compareChart([run])(svg, caption), []);
  const more = { ...run, rows: [...run.rows, { model: "x", onebit_t2_ms: 1 }] };
  assert.deepEqual(compareChart([more])(svg, caption), [`3 bars for ${run.command}, expected 4`]);
  const noCpu = await compareSvg(run.rows);
  assert.deepEqual(compareChart([run])(noCpu, caption), ["the chart does not name the CPU Some CPU"]);
  assert.match(compareChart([run])(svg, { "text/plain": "another run" })[0], /^its caption names no committed run/);
});
