import assert from "node:assert/strict";
import { barChart, barChartSpec, historyChart, historySeries, lineChart, lineChartSpec } from "./chart.ts";
import { byClass, marksOf, parseSvg, textsOf } from "./_test_svg.ts";

const history = {
  epoch: [0, 1, 2],
  history: {
    loss: [0.9, 0.5, 0.3],
    accuracy: [0.5, 0.7, 0.8],
    val_loss: [1, 0.8, 0.7],
    val_accuracy: [0.4, 0.6, 0.7],
    lr: [0.1, 0.1, 0.05],
    "flip_ratio/kernel": [0.1, 0.05, 0.01],
  },
};

Deno.test("historyChart: valid SVG, a point per epoch and series, a panel per metric, epoch axes, train/validation legend", async () => {
  const svg = parseSvg(await historyChart(history));
  // 2 panels (loss, accuracy) x 2 series x 3 epochs.
  assert.equal(marksOf(svg, "mark-symbol role-mark").length, 12);
  assert.equal(marksOf(svg, "mark-line role-mark").length, 4);
  assert.deepEqual(textsOf(svg, "role-axis-title"), ["epoch", "epoch"]);
  assert.deepEqual(textsOf(svg, "role-title-text"), ["loss", "accuracy"]);
  assert.deepEqual(textsOf(svg, "role-legend-label"), ["train", "validation"]);
});

Deno.test("historyChart: validation lines are dashed, train lines solid", async () => {
  const svg = parseSvg(await historyChart({ epoch: [0, 1], history: { loss: [2, 1], val_loss: [3, 2] } }));
  const lines = marksOf(svg, "mark-line role-mark");
  assert.equal(lines.length, 2);
  const dashes = lines.map((l) => l.getAttribute("stroke-dasharray")).sort();
  assert.deepEqual(dashes, ["1,0", "6,4"]);
});

Deno.test("historySeries: metrics, their val_ twins, 1-based epochs; lr and flip ratios left out", () => {
  const s = historySeries(history);
  assert.deepEqual(s.map((x) => [x.panel, x.name]), [
    ["loss", "train"],
    ["loss", "validation"],
    ["accuracy", "train"],
    ["accuracy", "validation"],
  ]);
  assert.deepEqual(s[0].x, [1, 2, 3]);
  assert.deepEqual(s[1].y, [1, 0.8, 0.7]);
  assert.deepEqual(historySeries(history, { metrics: ["lr"] }).map((x) => x.name), ["train"]);
  assert.throws(() => historySeries(history, { metrics: ["top5"] }), /no metric "top5".*loss, accuracy/);
  assert.throws(() => historySeries({} as never), TypeError);
});

Deno.test("historyChart: an empty history is a RangeError", async () => {
  await assert.rejects(historyChart({ epoch: [], history: {} }), /no epochs/);
});

Deno.test("lineChart: one panel without panels; x values given; NaN is left out, not a failure", async () => {
  const spec = lineChartSpec([{ name: "a", y: [1, 2] }]);
  assert.equal(spec.facet, undefined);
  const svg = parseSvg(await lineChart([{ name: "a", x: [10, 20, 30], y: [1, NaN, 3] }], { xTitle: "step" }));
  assert.equal(marksOf(svg, "mark-symbol role-mark").length, 2);
  assert.deepEqual(textsOf(svg, "role-axis-title"), ["step"]);
});

Deno.test("lineChart: bad input names the value and what is accepted", () => {
  assert.throws(() => lineChartSpec([]), /series is empty/);
  assert.throws(
    () => lineChartSpec([{ name: "a", y: [1, "2" as never] }]),
    /series\[0\]\.y\[1\] is 2; numbers are accepted/,
  );
  assert.throws(() => lineChartSpec([{ name: "a", x: [1], y: [1, 2] }]), /1 x values and 2 y values/);
  assert.throws(() => lineChartSpec([{ name: 3 as never, y: [1] }]), TypeError);
  assert.throws(() => lineChartSpec([{ name: "a", y: [1] }], { width: -1 }), /width is -1/);
});

Deno.test("barChart: a bar per entry in the given order, the value axis title, no legend without groups", async () => {
  const bars = [{ label: "CONV_2D", value: 1.5 }, { label: "ADD", value: 0.2 }, { label: "SOFTMAX", value: 0.01 }];
  const svg = parseSvg(await barChart(bars, { valueTitle: "ms per invoke" }));
  const rects = marksOf(svg, "mark-rect role-mark");
  assert.equal(rects.length, 3);
  assert.deepEqual(textsOf(svg, "role-axis-title"), ["ms per invoke"]);
  assert.deepEqual(textsOf(svg, "role-axis-label").filter((t) => /[A-Z]/.test(t)), ["CONV_2D", "ADD", "SOFTMAX"]);
  assert.equal(byClass(svg, "role-legend").length, 0);
});

Deno.test("barChart: grouped bars, one per (label, group), a legend entry per group, bar lengths in proportion", async () => {
  const bars = [
    { label: "quicknet", value: 4, group: "onebit" },
    { label: "quicknet", value: 8, group: "LCE" },
    { label: "birealnet", value: 2, group: "onebit" },
    { label: "birealnet", value: 6, group: "LCE" },
  ];
  const svg = parseSvg(await barChart(bars));
  const rects = marksOf(svg, "mark-rect role-mark");
  assert.equal(rects.length, 4);
  assert.deepEqual(textsOf(svg, "role-legend-label"), ["onebit", "LCE"]);
  // Each bar is a path "M x,y h WIDTH v H h -W Z": widths in the ratio of the values.
  const widths = rects.map((r) => Number(/h(-?[\d.]+)/.exec(r.getAttribute("d")!)![1]));
  for (let i = 1; i < 4; i++) {
    assert.ok(Math.abs(widths[i] / widths[0] - bars[i].value / bars[0].value) < 0.02, `${widths}`);
  }
});

Deno.test("barChart: bad input names the value and what is accepted", () => {
  assert.throws(() => barChartSpec([]), /bars is empty/);
  assert.throws(() => barChartSpec([{ label: "a", value: -1 }]), /bars\[0\]\.value is -1; a finite number ≥ 0/);
  assert.throws(() => barChartSpec([{ label: "a", value: Infinity }]), RangeError);
  assert.throws(() => barChartSpec([{ label: 1 as never, value: 1 }]), /bars\[0\]\.label is 1; a string/);
});

Deno.test("lineChart: x values must be finite", () => {
  assert.throws(() => lineChartSpec([{ name: "a", x: [1, NaN], y: [1, 2] }]), /x\[1\] is NaN; finite numbers/);
  assert.throws(() => lineChartSpec([{ name: "a", y: 3 as never }]), /y is 3; an array of numbers/);
});
