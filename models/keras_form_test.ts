/**
 * Model configs in Keras's form: every call written as Keras writes it
 * (x + y as a TFOpLambda call with y in its kwargs, as larq's own config);
 * and checkpoints written before onebit's float layers dropped larq's keys
 * (tests/fixtures/checkpoints/onebit_0f45883.safetensors, written by commit
 * 0f45883: `input_quantizer: null`, `pad_values: 0` on Conv2D,
 * DepthwiseConv2D, SeparableConv2D and Dense, and `x + y` as a call on two
 * tensors) still load, with the outputs they were saved with, and are then
 * written in Keras's form.
 */
import assert from "node:assert/strict";
import { assertClose } from "../graph/_test_util.ts";
import { Tensor } from "../graph/tensor.ts";
import { loadWeights } from "./checkpoint.ts";
import { loadCheckpoint } from "./load.ts";
import { modelFromConfig } from "./serialize.ts";

const FIXTURE = new URL("../tests/fixtures/checkpoints/onebit_0f45883.safetensors", import.meta.url).pathname;

Deno.test("an older checkpoint (larq's keys on float layers, x + y on two tensors) loads with its saved outputs", async () => {
  const { model, optimizer, metadata } = await loadCheckpoint(FIXTURE);
  const old = JSON.parse(metadata.model);
  assert.equal(old.config.layers.find((l: { name: string }) => l.name === "conv").config.input_quantizer, null);
  const x = JSON.parse(metadata.input), want = JSON.parse(metadata.output);
  const y = model.apply(new Tensor(Float32Array.from(x.data), x.shape));
  assert.deepEqual(y.shape, want.shape);
  assertClose("outputs", y.data, want.data, 1e-5);
  assert.equal(optimizer?.name, "Adam");

  // Written again: Keras's keys on the float layers, larq's on QuantConv2D, x + y with y in kwargs.
  const config = model.toConfig();
  const byName = new Map(config.config.layers.map((l) => [l.name, l]));
  for (const name of ["conv", "depthwise", "separable", "head"]) {
    const larq = Object.keys(byName.get(name)!.config).filter((k) => /quantizer|pad_values/.test(k));
    assert.deepEqual(larq, [], name);
  }
  assert.equal(byName.get("binary")!.config.pad_values, 1);
  assert.deepEqual(byName.get("sum")!.inbound_nodes, [["binary", 0, 0, { y: ["conv", 0, 0], name: null }]]);
  const again = modelFromConfig(JSON.parse(JSON.stringify(config)));
  loadWeights(again, new Map(model.weights.map((w) => [w.variable.name, w.variable])));
  assertClose(
    "outputs from the new config",
    again.apply(new Tensor(Float32Array.from(x.data), x.shape)).data,
    want.data,
    1e-5,
  );
});

Deno.test("toConfig writes every call as Keras does: larq's residual_operator config comes back node for node", () => {
  const fixtures = JSON.parse(
    Deno.readTextFileSync(new URL("../tests/fixtures/larq/keras_configs.json", import.meta.url)),
  );
  const keras = JSON.parse(fixtures.models.residual_operator.json);
  const ours = modelFromConfig(keras).toConfig();
  const nodes = (c: typeof ours) => c.config.layers.map((l) => [l.class_name, l.name, l.inbound_nodes]);
  assert.deepEqual(nodes(ours), nodes(keras));
});
