import assert from "node:assert/strict";
import { summary } from "../models/summary.ts";
import { quickNet } from "./quicknet.ts";
import { biRealNet } from "./birealnet.ts";
import { Layer } from "../layers/layer.ts";
import { resetInputNames } from "../layers/symbolic.ts";

/** Totals of larq's summary table ("Total" row) and model stats, from a fixture written by larq. */
function larqTotals(text: string) {
  const total = text.split("\n").find((l) => l.startsWith("| Total "))!.split(/\s+/).filter((v) => /^[\d.]+$/.test(v));
  const stat = (k: string) =>
    text.split("\n").find((l) => l.startsWith(`| ${k} `))!.slice(2 + k.length).trim().replace(/\s*\|$/, "");
  return {
    oneBit: total[0],
    floats: total[1],
    memory: total[2],
    size: stat("Model size"),
    params: stat("Total params"),
  };
}

Deno.test("QuickNet and QuickNetSmall rebuilt in TS have larq-zoo's parameter counts and model sizes", () => {
  for (const variant of ["quicknet", "quicknet_small"] as const) {
    const want = larqTotals(
      Deno.readTextFileSync(new URL(`../tests/fixtures/larq/${variant}_summary.txt`, import.meta.url)),
    );
    // A small input keeps the test fast; parameter counts do not depend on it.
    const got = larqTotals(summary(quickNet(variant, { inputShape: [32, 32, 3] })));
    assert.deepEqual(
      { oneBit: got.oneBit, floats: got.floats, memory: got.memory, size: got.size, params: got.params },
      want,
      variant,
    );
  }
  // The documented values (larq-semantics.md).
  const q = larqTotals(summary(quickNet("quicknet", { inputShape: [32, 32, 3] })));
  assert.equal(Number(q.oneBit) + Number(q.floats), 13234088);
  assert.equal(q.size, "4.17 MiB");
});

Deno.test("QuickNet rebuilt in TS: larq's summary of larq-zoo's QuickNet, byte for byte", () => {
  Layer.resetNames();
  resetInputNames();
  const golden = Deno.readTextFileSync(new URL("../tests/fixtures/larq/quicknet_summary.txt", import.meta.url))
    .trimEnd();
  assert.equal(summary(quickNet("quicknet")), golden);
});

Deno.test("Bi-Real Net rebuilt in TS: larq's summary of larq-zoo's BiRealNet, byte for byte (names, shapes, parameters, MACs)", () => {
  Layer.resetNames();
  resetInputNames();
  const golden = Deno.readTextFileSync(new URL("../tests/fixtures/larq/birealnet_summary.txt", import.meta.url))
    .trimEnd();
  assert.equal(summary(biRealNet()), golden);
});
