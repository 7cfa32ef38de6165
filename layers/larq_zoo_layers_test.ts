/**
 * The layers larq-zoo's models brought (PReLU, Softmax, Multiply, Split,
 * AddToLastChannels, the clip_by_value_activation activation): outputs and
 * the gradients of Σ y·r against TensorFlow's (tests/fixtures/larq/
 * zoo_layers.json, tools/py/zoo_fixtures.py; exact zeros and clip edges
 * included), Keras's configs read, gradients against central differences
 * in float64, and Split's several outputs through a functional model,
 * its config and larq's summary.
 */
import assert from "node:assert/strict";
import { assertClose, passes, rand } from "../graph/_test_util.ts";
import * as nn from "../graph/nn.ts";
import { noGrad, valueAndGrads } from "../graph/tape.ts";
import { Tensor, type Variable } from "../graph/tensor.ts";
import * as all from "./all.ts";
import type { Layer } from "./layer.ts";
import { deserializeLayer } from "./registry.ts";
import { input } from "./symbolic.ts";
import { Model } from "../models/model.ts";
import { modelFromConfig } from "../models/serialize.ts";
import { summary } from "../models/summary.ts";
import * as ops from "../graph/ops.ts";

type Nested = number | Nested[];
interface Case {
  config: Record<string, unknown> | null;
  inputs: Nested[];
  weights: Nested[];
  outputs: Nested[];
  r: Nested[];
  grads: Nested[];
}

const FIXTURE = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/larq/zoo_layers.json", import.meta.url)),
) as Record<string, Case>;

const tensor = (v: Nested) => Tensor.from(v as number[]);
const flat = (v: Nested) => tensor(v).data;

/** The layer for a fixture case: from Keras's config where Keras wrote one. */
const LAYERS: Record<string, (c: Case) => Layer> = {
  prelu_shared: (c) => deserializeLayer({ class_name: "PReLU", config: c.config! }),
  prelu: (c) => deserializeLayer({ class_name: "PReLU", config: c.config! }),
  softmax: (c) => deserializeLayer({ class_name: "Softmax", config: c.config! }),
  multiply: (c) => deserializeLayer({ class_name: "Multiply", config: c.config! }),
  split: () => new all.Split(4),
  add_to_last_channels: () => new all.AddToLastChannels(),
  clip_by_value_activation: () => new all.Activation("clip_by_value_activation"),
};

for (const [name, make] of Object.entries(LAYERS)) {
  Deno.test(`${name}: outputs and gradients as TensorFlow's (exact zeros, clip edges)`, () => {
    const c = FIXTURE[name], layer = make(c);
    const xs = c.inputs.map(tensor);
    const call = () => layer.applyOutputs(xs.length === 1 ? xs[0] : xs, { training: true });
    noGrad(call); // builds
    if (c.weights.length) layer.setWeights(c.weights.map(tensor));
    const trainable = layer.weights.filter((w) => w.variable.trainable).map((w) => w.variable);
    const { grads } = valueAndGrads(() => {
      const ys = call();
      ys.forEach((y, i) => assertClose(`${name} output ${i}`, y.data, flat(c.outputs[i]), 1e-6));
      return ys.map((y, i) => ops.sum(ops.mul(y, tensor(c.r[i])))).reduce((a, b) => ops.add(a, b));
    }, [...xs, ...trainable]);
    assert.equal(grads.length, c.grads.length);
    grads.forEach((g, i) => assertClose(`${name} gradient ${i}`, g.data, flat(c.grads[i]), 1e-6));
  });
}

Deno.test("Keras's PReLU config is read (initializer, shared axes) and written back the same way", () => {
  const keras = FIXTURE.prelu_shared.config!;
  const p = deserializeLayer({ class_name: "PReLU", config: keras }) as all.PReLU;
  assert.deepEqual(p.sharedAxes, [1, 2]);
  p.apply(Tensor.zeros([1, 3, 2, 4]));
  assert.deepEqual(p.alpha.shape, [1, 1, 4]);
  assert.deepEqual(p.getConfig().shared_axes, [1, 2]);
  assert.equal(p.name, "p_re_lu"); // Keras's default name stem for PReLU
  assert.throws(() => new all.PReLU({ sharedAxes: [0] }), /PReLU shared_axes must be axes ≥ 1 .*got \[0\]/);
  assert.throws(
    () => new all.PReLU({ sharedAxes: [4] }).apply(Tensor.zeros([1, 2, 2, 3])),
    /shared axis 4 is out of range/,
  );
  assert.throws(() => new all.Softmax({ axis: 1 }), /Softmax axis must be -1 \(the last axis\), got 1/);
});

Deno.test("gradients of the new layers match central differences (float64)", () => {
  // Away from the kinks (0 for PReLU, 0 and 1 for the clip): there the one-sided slopes differ.
  const x = new Tensor(rand([2, 3, 2, 4], 1, -2, 2).data.map((v) => (Math.abs(v) < 0.01 ? v + 0.05 : v)), [2, 3, 2, 4]);
  const prelu = new all.PReLU({ sharedAxes: [1, 2] });
  prelu.apply(Tensor.zeros([1, 3, 2, 4]));
  passes("PReLU (input, alpha)", (v, a) => {
    prelu.alpha = a as Variable; // float64 α, so the whole computation is float64
    return prelu.apply(v);
  }, [x, rand([1, 1, 4], 2, -0.5, 0.5)]);
  passes("Softmax", (v) => new all.Softmax().apply(v), [rand([3, 5], 3, -3, 3)]);
  passes("Multiply (broadcast)", (a, b) => new all.Multiply().apply([a, b]), [
    rand([2, 3, 3, 4], 4),
    rand([2, 1, 1, 4], 5),
  ]);
  passes(
    "Split (outputs rejoined in reverse)",
    (v) => nn.concat(new all.Split([3, 1, 4]).applyOutputs(v).reverse(), 3),
    [
      rand([2, 2, 3, 8], 6),
    ],
  );
  passes("AddToLastChannels", (a, b) => new all.AddToLastChannels().apply([a, b]), [
    rand([2, 2, 3, 5], 7),
    rand([2, 2, 3, 2], 8),
  ]);
  const edges = rand([3, 5], 9, -1, 2).data.map((v) => ([0, 1].some((k) => Math.abs(v - k) < 0.01) ? v + 0.05 : v));
  passes("clip_by_value_activation", (v) => new all.Activation("clip_by_value_activation").apply(v), [
    new Tensor(edges, [3, 5]),
  ]);
});

Deno.test("a layer with several outputs in a functional model: run, toConfig/modelFromConfig, summary, errors", () => {
  const x = input([4, 4, 6]);
  const split = new all.Split(3, { name: "split" });
  const parts = split.applyOutputs(x);
  assert.deepEqual(parts.map((p) => p.shape), [[4, 4, 2], [4, 4, 2], [4, 4, 2]]);
  const convs = parts.map((p, i) => new all.Conv2D(1, 1, { name: `conv${i}`, useBias: false }).apply(p));
  const y = new all.Concatenate({ name: "join" }).apply([convs[2], convs[0], parts[1]]);
  const model = new Model(x, y, { name: "groups" });
  const kernel = (a: number, b: number) => new Tensor(Float32Array.from([a, b]), [1, 1, 2, 1]);
  model.setWeights(new Map([["conv0/kernel", kernel(2, 0.5)], ["conv2/kernel", kernel(1, -1)]]));
  const xs = rand([1, 4, 4, 6], 10);
  const out = model.apply(new Tensor(Float32Array.from(xs.data), xs.shape));
  // conv2 sees channels 4, 5 (kernel [1, -1]); conv0 sees channels 0, 1 (kernel [2, 0.5]); then channels 2, 3 unchanged.
  for (let p = 0; p < 16; p++) {
    const px = [...xs.data.slice(p * 6, p * 6 + 6)], got = [...out.data.slice(p * 4, p * 4 + 4)];
    assertClose(`pixel ${p}`, got, [px[4] - px[5], 2 * px[0] + 0.5 * px[1], px[2], px[3]], 1e-6);
  }
  const config = model.toConfig();
  const join = config.config.layers.find((l) => l.name === "join")!;
  assert.deepEqual(join.inbound_nodes![0], [["conv2", 0, 0, {}], ["conv0", 0, 0, {}], ["split", 0, 1, {}]]);
  const again = modelFromConfig(JSON.parse(JSON.stringify(config)));
  again.setWeights(model.weights.map((w) => w.variable));
  assert.deepEqual([...again.apply(new Tensor(Float32Array.from(xs.data), xs.shape)).data], [...out.data]);
  assert.match(summary(model), /\| split +- +\[\(-1, 4, 4, 2\), \(-1, 4, 4, 2\), \(-1, 4, 4, 2\)\] +0 +0 +\? \|/);
  assert.throws(
    () => split.apply(Tensor.zeros([1, 2, 2, 6])),
    /layer "split" has 3 outputs: call applyOutputs, not apply/,
  );
  assert.throws(
    () => new all.Split(4).applyOutputs(Tensor.zeros([1, 2, 2, 6])),
    /cannot split an axis of 6 into 4 equal parts/,
  );
  assert.throws(
    () => new all.Split([2, 2]).applyOutputs(Tensor.zeros([1, 2, 2, 6])),
    /split sizes \[2,2\] add up to 4, the axis has 6/,
  );
  assert.throws(() => new all.Split(0), /Split num_or_size_splits must be a positive integer or a list of them, got 0/);
});
