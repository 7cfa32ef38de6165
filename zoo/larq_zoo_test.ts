/**
 * larq-zoo's models rebuilt in TS: larq's summary of each (written by
 * tools/py/zoo_summary.py from larq-zoo itself) reproduced byte for byte —
 * layer names, order, output shapes, parameters per bit width, memory,
 * MACs per precision and the model statistics — at larq-zoo's default size
 * and in the variants that take other code paths (small-input stems, no
 * classifier head).
 */
import assert from "node:assert/strict";
import { Layer } from "../layers/layer.ts";
import { resetInputNames } from "../layers/symbolic.ts";
import type { Model } from "../models/model.ts";
import { summary } from "../models/summary.ts";
import { binaryAlexNet } from "./binary_alexnet.ts";
import { binaryDenseNet, transitionFilters } from "./densenet.ts";
import { doReFaNet } from "./dorefanet.ts";
import { meliusNet22 } from "./meliusnet.ts";
import { quickNet } from "./quicknet.ts";
import { realToBinaryNet } from "./real_to_binary_net.ts";
import { binaryResNetE18 } from "./resnet_e.ts";
import { xnorNet } from "./xnornet.ts";

const small = { inputShape: [32, 32, 3], numClasses: 10 };

/** Fixture name → the builder call that mirrors tools/py/zoo_summary.py's larq-zoo call. */
const MODELS: [string, () => Model][] = [
  ["quicknet_large", () => quickNet("quicknet_large")],
  ["binary_resnet_e18", () => binaryResNetE18()],
  ["binary_resnet_e18_32px", () => binaryResNetE18(small)],
  ["binary_densenet28", () => binaryDenseNet("binary_densenet28")],
  ["binary_densenet28_32px", () => binaryDenseNet("binary_densenet28", small)],
  ["binary_densenet37", () => binaryDenseNet("binary_densenet37")],
  ["binary_densenet37_dilated", () => binaryDenseNet("binary_densenet37_dilated")],
  ["binary_densenet45", () => binaryDenseNet("binary_densenet45")],
  ["meliusnet22", () => meliusNet22()],
  ["meliusnet22_notop", () => meliusNet22({ includeTop: false })],
  ["xnornet", () => xnorNet()],
  ["dorefanet", () => doReFaNet()],
  ["binary_alexnet", () => binaryAlexNet()],
  ["real_to_binary_net", () => realToBinaryNet()],
  ["real_to_binary_net_notop", () => realToBinaryNet({ inputShape: [96, 96, 3], includeTop: false })],
];

/** Builds with fresh default names (Keras's clear_session) and console.warn captured. */
function build(make: () => Model): { model: Model; warnings: string[] } {
  Layer.resetNames();
  resetInputNames();
  const warnings: string[] = [], warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    return { model: make(), warnings };
  } finally {
    console.warn = warn;
  }
}

for (const [fixture, make] of MODELS) {
  Deno.test(`${fixture}: larq's summary of larq-zoo's model, byte for byte`, () => {
    const golden = Deno.readTextFileSync(new URL(`../tests/fixtures/larq/${fixture}_summary.txt`, import.meta.url));
    const { model, warnings } = build(make);
    assert.equal(summary(model), golden.trimEnd());
    // larq warns of starved weights for DoReFa-Net's six unconstrained binary kernels, and only there.
    assert.equal(warnings.filter((w) => w.includes("starved weights")).length, fixture === "dorefanet" ? 6 : 0);
  });
}

Deno.test("BinaryDenseNet's transition widths: larq-zoo's round(C // reduction / 32) · 32 with Python's rounding", () => {
  assert.equal(transitionFilters(448, 2.7), 160); // 165 / 32 = 5.16
  assert.equal(transitionFilters(576, 3.3), 160); // 174 / 32 = 5.44
  assert.equal(transitionFilters(1088, 4), 256); // 272 / 32 = 8.5: half to even
  assert.equal(transitionFilters(1216, 4), 320); // 304 / 32 = 9.5: half to even
});

Deno.test("zoo builders: bad options name the builder, the value and what is accepted", () => {
  assert.throws(
    () => binaryResNetE18({ inputShape: [32, 32] }),
    /binaryResNetE18: inputShape must be \[height, width, channels\], got \[32,32\]/,
  );
  assert.throws(() => meliusNet22({ numClasses: 0 }), /meliusNet22: numClasses must be a positive integer, got 0/);
  assert.throws(() => xnorNet({ includeTop: "yes" as never }), /xnorNet: includeTop must be true or false, got "yes"/);
  assert.throws(
    () => binaryDenseNet("binary_densenet121" as never),
    /unknown BinaryDenseNet variant "binary_densenet121"; use binary_densenet28, /,
  );
  assert.throws(
    () => binaryAlexNet({ inflationRatio: 1.5 }),
    /binaryAlexNet: inflationRatio must be a positive integer, got 1.5/,
  );
});
