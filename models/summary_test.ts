import assert from "node:assert/strict";
import { Sequential } from "./sequential.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { Dense, QuantDense } from "../layers/dense.ts";
import { weightClip } from "../layers/layer.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { modelOutline, readableMemory, readableNumber, summary } from "./summary.ts";
import { JUPYTER_DISPLAY } from "../viz/html.ts";
import { parseXml, tableRows } from "../viz/_test_svg.ts";

/** The model of tests/fixtures/larq/summary.txt (larq's summary, written by larq). */
function larqModel(): Sequential {
  const q = (useBias = false) =>
    ({ inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias }) as const;
  return new Sequential([
    new QuantConv2D(32, 3, {
      kernelQuantizer: "ste_sign",
      kernelConstraint: weightClip(),
      useBias: false,
      name: "quant_conv2d",
    }),
    new MaxPool2D(2, { name: "max_pooling2d" }),
    new BatchNormalization({ scale: false, name: "batch_normalization" }),
    new QuantConv2D(64, 3, { ...q(), name: "quant_conv2d_1" }),
    new BatchNormalization({ scale: false, name: "batch_normalization_1" }),
    new Flatten({ name: "flatten" }),
    new QuantDense(64, { ...q(), name: "quant_dense" }),
    new BatchNormalization({ scale: false, name: "batch_normalization_2" }),
    new QuantDense(10, { ...q(true), name: "quant_dense_1" }),
    new BatchNormalization({ name: "batch_normalization_3" }),
    new Dense(3, { name: "dense" }),
    new Activation("softmax", { name: "activation" }),
  ], { inputShape: [28, 28, 1] });
}

const golden = Deno.readTextFileSync(new URL("../tests/fixtures/larq/summary.txt", import.meta.url)).trimEnd();

Deno.test("summary reproduces larq's text for the same model (tests/fixtures/larq/summary.txt, written by larq)", () => {
  const model = larqModel();
  assert.equal(summary(model), golden);
  assert.equal(model.summary({ printFn: null }), golden);
});

Deno.test("readable numbers and memory as larq formats them", () => {
  assert.equal(readableNumber(515359), "515 k");
  assert.equal(readableNumber(340), "340");
  assert.equal(readableNumber(2921246), "2.92 M");
  assert.equal(readableNumber(999000), "999 k");
  assert.equal(readableNumber(999999), "1 M");
  assert.equal(readableNumber(13234088), "13.2 M");
  assert.equal(readableMemory(8 * 1024 * 4.17 * 1024), "4.17 MiB");
  assert.equal(readableMemory(8 * 1536 * 1024 * 1024), "1,536.00 MiB".replace("1,536.00 MiB", "1.50 GiB"));
});

/** The cells of larq's text table rows (between its rules), split where larq put two or more spaces. */
function goldenRows(first: string, last: string): string[][] {
  const lines = golden.split("\n");
  const from = lines.findIndex((l) => l.startsWith(`| ${first} `)),
    to = lines.findIndex((l) => l.startsWith(`| ${last}`));
  return lines.slice(from, to + 1).map((l) => l.slice(2, -2).trim().split(/\s{2,}/));
}

Deno.test("a notebook shows a model as larq's tables: one HTML row per layer with larq's numbers, totals, stats", () => {
  const model = larqModel();
  const bundle = model[JUPYTER_DISPLAY]();
  assert.equal(bundle["text/plain"], golden);
  const html = parseXml(`<div>${bundle["text/html"]}</div>`);
  const body = tableRows(html, "tbody");
  const layers = body.slice(0, model.layers.length);
  assert.equal(layers.length, 12);
  assert.deepEqual(layers, goldenRows("quant_conv2d", "activation"));
  assert.deepEqual(tableRows(html, "tfoot"), [["Total", "", "", "514976", "383", "64.36", "2726528", "194718"]]);
  assert.deepEqual(
    tableRows(html, "thead")[0],
    [
      "Layer",
      "Input prec. (bit)",
      "Outputs",
      "# 1-bit x 1",
      "# 32-bit x 1",
      "Memory (kB)",
      "1-bit MACs",
      "32-bit MACs",
    ],
  );
  const stats = body.slice(model.layers.length);
  assert.deepEqual(stats, goldenRows("Total params", "Ratio of MACs").map((r) => r.map((c) => c.trim())));
  // Rows of layers with binary inputs are marked.
  const classes = bundle["text/html"].toString().match(/<tr( class="binary")?><td>[a-z_0-9]+</g)!;
  assert.deepEqual(classes.map((c) => c.includes("binary")), layers.map((r) => r[1] === "1"));
});

Deno.test("Deno.inspect(model): the outline, a line per layer with its output shape and parameters", () => {
  const model = larqModel();
  const text = Deno.inspect(model);
  assert.equal(text, modelOutline(model));
  const lines = text.split("\n");
  assert.equal(lines[0], 'Sequential "sequential": 12 layers, 515 k params, 64.36 KiB, 0.9333 of MACs binarized');
  assert.equal(lines.length, 13);
  assert.match(lines[4], /^ {2}quant_conv2d_1 +\(-1, 11, 11, 64\) +18432$/);
  assert.match(lines[11], /^ {2}dense +\(-1, 3\) +33$/);
  const unbuilt = new Sequential([new Dense(2, { name: "d" })], { name: "s" });
  assert.equal(Deno.inspect(unbuilt).split("\n")[1], "  d  Dense");
  assert.match(Deno.inspect(unbuilt), /^Sequential "s": 1 layer, not built \(.*no input shape yet/);
  assert.deepEqual(unbuilt[JUPYTER_DISPLAY](), { "text/plain": Deno.inspect(unbuilt) });
});
