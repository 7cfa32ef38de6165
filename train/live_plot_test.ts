/**
 * Training curves: History draws itself (SVG checked by a strict XML parser:
 * a point per epoch and series, axis titles, legend), LivePlot shows one
 * display replaced as epochs end, and fit adds a LivePlot by itself only in
 * a notebook (the kernel's display function mocked through
 * setJupyterDisplay) with verbose "auto".
 */
import assert from "node:assert/strict";
import { Sequential } from "../models/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { Dense } from "../layers/dense.ts";
import { LivePlot } from "./callbacks.ts";
import { type Callback, fit, type FitOptions, fitSync } from "./fit.ts";
import { History } from "./history.ts";
import { Adam } from "./optimizers.ts";
import { type DisplayOptions, JUPYTER_DISPLAY, type MediaBundle, setJupyterDisplay } from "../viz/html.ts";
import { marksOf, parseSvg, textsOf } from "../viz/_test_svg.ts";

const x = Tensor.from([[1, 0], [0, 1], [1, 1], [0, 0]]), y = [0, 1, 1, 0];
const model = () => new Sequential([new Dense(2, { activation: "softmax" })], { inputShape: [2], seed: 3 });
const options = (more: Partial<FitOptions> = {}): FitOptions => ({
  optimizer: new Adam(0.1),
  epochs: 3,
  batchSize: 2,
  validationData: { x, y },
  verbose: 0,
  ...more,
});

/** A display function that records its calls, and the order of events with `log`. */
function recorder(log: string[] = []) {
  const calls: { bundle: MediaBundle; options: DisplayOptions }[] = [];
  const display = (bundle: MediaBundle, options: DisplayOptions) => {
    calls.push({ bundle, options });
    log.push(`display ${calls.length - 1}`);
  };
  return { calls, display, log };
}

/** Marks an epoch's start in `log`. */
const beginLogger = (log: string[]): Callback => ({ onEpochBegin: (e) => void log.push(`begin ${e}`) });

Deno.test("History: fit returns one; its SVG has a point per epoch and series, epoch axes, train/validation legend", async () => {
  const h = await fit(model(), x, y, options());
  assert.ok(h instanceof History);
  assert.deepEqual(h.epoch, [0, 1, 2]);
  const svg = parseSvg(await h.toSvg());
  assert.equal(marksOf(svg, "mark-symbol role-mark").length, 2 * 2 * 3); // loss, accuracy x train, validation
  assert.deepEqual(textsOf(svg, "role-axis-title"), ["epoch", "epoch"]);
  assert.deepEqual(textsOf(svg, "role-legend-label"), ["train", "validation"]);
  const bundle = await h[JUPYTER_DISPLAY]();
  assert.equal(bundle["image/svg+xml"], await h.toSvg());
  assert.equal(bundle["text/plain"], String(h));
  const l = h.history.loss;
  assert.equal(
    String(h).split("\n").slice(0, 2).join("\n"),
    `History of 3 epochs\n  loss${" ".repeat(10)}${l[0].toFixed(4)} → ${l[2].toFixed(4)}`,
  );
  assert.equal(String(h).split("\n").length, 5);
  assert.deepEqual(await new History()[JUPYTER_DISPLAY](), { "text/plain": "History of 0 epochs" });
});

Deno.test("LivePlot in fit: one display per epoch, the same display_id, update after the first, awaited before the next epoch", async () => {
  const { calls, display, log } = recorder();
  const plot = new LivePlot({ display });
  await fit(model(), x, y, options({ callbacks: [beginLogger(log), plot] }));
  assert.deepEqual(log, ["begin 0", "display 0", "begin 1", "display 1", "begin 2", "display 2"]);
  assert.deepEqual(
    calls.map((c) => c.options),
    [0, 1, 2].map((e) => ({ raw: true, display_id: plot.displayId, update: e > 0 })),
  );
  assert.match(plot.displayId, /^onebit-fit-[0-9a-f-]{36}$/);
  calls.forEach((c, e) => {
    const svg = parseSvg(c.bundle["image/svg+xml"] as string);
    assert.equal(marksOf(svg, "mark-symbol role-mark").length, 2 * 2 * (e + 1), `epoch ${e}`);
    assert.match(c.bundle["text/plain"] as string, new RegExp(`^History of ${e + 1} epoch`));
  });
  // A second fit call draws into a new display.
  const first = plot.displayId;
  await fit(model(), x, y, options({ callbacks: [plot], epochs: 1 }));
  assert.notEqual(plot.displayId, first);
  assert.deepEqual(calls[3].options, { raw: true, display_id: plot.displayId, update: false });
});

Deno.test("fit adds a LivePlot in a notebook with verbose auto, and only there", async () => {
  const { calls, display } = recorder();
  setJupyterDisplay(display);
  try {
    await fit(model(), x, y, options({ verbose: "auto" }));
    assert.equal(calls.length, 3);
    assert.equal(new Set(calls.map((c) => c.options.display_id)).size, 1);
    assert.deepEqual(calls.map((c) => c.options.update), [false, true, true]);
    // verbose set by the user: no curves.
    await fit(model(), x, y, options({ verbose: 0 }));
    await fit(model(), x, y, options({ verbose: 2 }));
    assert.equal(calls.length, 3);
    // A LivePlot given by the user is not doubled.
    const own = recorder();
    await fit(model(), x, y, options({ verbose: "auto", callbacks: [new LivePlot({ display: own.display })] }));
    assert.equal(calls.length, 3);
    assert.equal(own.calls.length, 3);
    // fitSync never adds one.
    fitSync(model(), x, y, options({ verbose: "auto" }));
    assert.equal(calls.length, 3);
  } finally {
    setJupyterDisplay(undefined);
  }
  // Outside a notebook: a LivePlot without a display function draws nothing, and fit runs as before.
  const h = await fit(model(), x, y, options({ verbose: "auto", callbacks: [new LivePlot()] }));
  assert.equal(h.epoch.length, 3);
});

Deno.test("fitSync refuses a callback whose onEpochEnd returns a promise; LivePlot checks its display", () => {
  assert.throws(
    () => fitSync(model(), x, y, options({ callbacks: [new LivePlot({ display: () => {} })] })),
    /fitSync: a callback's onEpochEnd returned a promise; train with fit/,
  );
  assert.throws(() => new LivePlot({ display: 3 as never }), /display is number; a function/);
});

Deno.test("LivePlot: a failing display is reported once and training goes on; a missing metric is a RangeError", async () => {
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args.join(" "));
  let calls = 0;
  try {
    const plot = new LivePlot({
      display: () => {
        calls++;
        throw new Error("kernel gone");
      },
    });
    const h = await fit(model(), x, y, options({ callbacks: [plot] }));
    assert.equal(h.epoch.length, 3);
  } finally {
    console.error = original;
  }
  assert.equal(calls, 1);
  assert.deepEqual(errors, ["LivePlot: cannot show the training curves (kernel gone); training goes on"]);
  const wrong = new LivePlot({ display: () => {}, metrics: ["top5"] });
  await assert.rejects(fit(model(), x, y, options({ callbacks: [wrong] })), /no metric "top5"/);
});
