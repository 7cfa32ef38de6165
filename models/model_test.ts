/**
 * The Keras-shaped model API: Sequential is a Model; compile with names;
 * `await fit` yields to the event loop between batches (fitSync does not);
 * validationSplit holds out the last samples; evaluate, predict, getLayer,
 * setWeights, save / loadModel; errors before training starts for bad input.
 */
import assert from "node:assert/strict";
import { Tensor } from "../graph/tensor.ts";
import { seededRandom } from "../graph/random.ts";
import { Activation, BatchNormalization, Dense, QuantDense } from "../layers/all.ts";
import { input } from "../layers/symbolic.ts";
import { evaluate } from "../train/fit.ts";
import { Adam } from "../train/optimizers.ts";
import { loadCheckpoint, loadModel } from "./load.ts";
import { Model } from "./model.ts";
import { Sequential } from "./sequential.ts";

function blobs(n: number, seed: number) {
  const r = seededRandom(seed);
  const x = new Float32Array(n * 6), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < 6; j++) x[i * 6 + j] = (j % 3 === y[i] ? 1 : -0.5) + 0.6 * (r() - 0.5);
  }
  return { x: new Tensor(x, [n, 6]), y };
}

function bnn(seed = 1): Sequential {
  const m = new Sequential([], { seed });
  m.add(new QuantDense(16, { kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip", inputShape: [6] }));
  m.add(new BatchNormalization());
  m.add(
    new QuantDense(3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" }),
  );
  m.add(new Activation("softmax"));
  return m;
}

Deno.test("Sequential is a Model: compile by names, await fit, evaluate and predict", async () => {
  const m = bnn();
  assert.ok(m instanceof Model);
  assert.deepEqual(m.inputShape, [6], "taken from the first layer's inputShape");
  m.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  const train = blobs(300, 1), test = blobs(90, 2);
  const h = await m.fit(train.x, train.y, { epochs: 20, batchSize: 16, verbose: 0 });
  assert.deepEqual(Object.keys(h.history), ["loss", "accuracy"]);
  assert.deepEqual(h.epoch, Array.from({ length: 20 }, (_, i) => i));
  assert.ok(h.history.loss[19] < h.history.loss[0]);
  const logs = m.evaluate(test.x, test.y);
  assert.ok(logs.accuracy > 0.9, JSON.stringify(logs));
  assert.deepEqual(m.predict(test.x, { batchSize: 7 }).shape, [90, 3]);
  assert.deepEqual([...m.predict(test.x).data], [...m.apply(test.x).data]);
});

Deno.test("await fit yields to the event loop between batches; fitSync does not", async () => {
  const { x, y } = blobs(64, 3);
  for (const sync of [false, true]) {
    const m = bnn(2);
    m.compile({ optimizer: new Adam(0.01), loss: "sparse_categorical_crossentropy" });
    let batches = 0, firedAt: number | null = null;
    setTimeout(() => (firedAt = batches), 0);
    // The first batch takes 60 ms, longer than fit's 50 ms between yields.
    const slow = {
      onBatchEnd: () => {
        if (batches++ === 0) {
          const until = performance.now() + 60;
          while (performance.now() < until);
        }
      },
    };
    const options = { epochs: 1, batchSize: 8, verbose: 0 as const, callbacks: [slow] };
    if (sync) m.fitSync(x, y, options);
    else await m.fit(x, y, options);
    await new Promise((r) => setTimeout(r, 0));
    if (sync) assert.equal(firedAt, 8, "fitSync ran every batch before the timer");
    else assert.ok(firedAt !== null && firedAt < 8, `the timer fired after batch ${firedAt} of 8`);
  }
});

Deno.test("validationSplit holds out the last samples before shuffling, as Keras", async () => {
  const { x, y } = blobs(40, 4);
  const m = bnn(3);
  m.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  const h = await m.fit(x, y, { epochs: 2, batchSize: 8, validationSplit: 0.25, verbose: 0 });
  assert.deepEqual(Object.keys(h.history), ["loss", "accuracy", "val_loss", "val_accuracy"]);
  const tailX = new Tensor(x.data.slice(30 * 6), [10, 6]), tailY = y.slice(30);
  const v = m.evaluate(tailX, tailY);
  assert.equal(h.history.val_loss[1], v.loss);
  assert.equal(h.history.val_accuracy[1], v.accuracy);
  await assert.rejects(() => m.fit(x, y, { validationSplit: 1.5 }), /validationSplit must be in \(0, 1\)/);
});

Deno.test("getLayer, getWeights/setWeights (list or map; nothing assigned on a bad shape)", () => {
  const a = input([6], { name: "features" });
  const h = new Dense(4, { name: "hidden", activation: "relu" }).apply(a);
  const m = new Model(a, new Dense(3, { name: "head" }).apply(h));
  assert.equal(m.getLayer("head").name, "head");
  assert.equal(m.getLayer(0).name, "hidden");
  assert.throws(() => m.getLayer("tail"), /no layer "tail"; its layers are hidden, head/);
  const values = m.weights.map((w) => Tensor.fill(w.variable.shape, 0.5));
  m.setWeights(values);
  assert.ok(m.weights.every((w) => w.variable.data.every((v) => v === 0.5)));
  const before = m.weights.map((w) => [...w.variable.data]);
  const bad = [...values];
  bad[3] = Tensor.zeros([4]);
  assert.throws(() => m.setWeights(bad), /weight "head\/bias" is \[3\], got \[4\]/);
  assert.deepEqual(m.weights.map((w) => [...w.variable.data]), before, "nothing assigned");
  m.setWeights(new Map([...m.getWeights()].map(([k, t]) => [k, Tensor.fill(t.shape, 0.25)])));
  assert.ok(m.weights.every((w) => w.variable.data.every((v) => v === 0.25)));
});

Deno.test("model.save and loadModel: the same model and, when compiled, the optimizer's state", async () => {
  const { x, y } = blobs(48, 5);
  const m = bnn(4);
  m.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy" });
  await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await m.save(path);
    const again = await loadModel(path);
    assert.ok(again instanceof Sequential);
    assert.deepEqual([...again.predict(x).data], [...m.predict(x).data]);
    await assert.rejects(() => m.save("model.keras"), /for a Keras file use saveKerasModel\(model, path\)/);
    const { optimizer } = await loadCheckpoint(path);
    assert.equal(optimizer?.name, "Adam");
    assert.deepEqual(optimizer!.getState().step, m.optimizer.getState().step);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("bad input fails before training: shapes, targets, names, an uncompiled model", async () => {
  const { x, y } = blobs(20, 6);
  const m = bnn(5);
  await assert.rejects(() => m.fit(x, y), /model "sequential" is not compiled: call model.compile/);
  assert.throws(() => m.compile({ optimizer: "adam", loss: "hinge_loss" }), /unknown loss "hinge_loss"/);
  assert.throws(() => m.compile({ optimizer: "adamax" }), /adamax/);
  assert.throws(() => m.compile({ optimizer: "adam", metrics: ["accuracy", "accuracy"] }), /given twice/);
  m.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy" });
  const before = m.weights.map((w) => [...w.variable.data]);
  await assert.rejects(() => m.fit(Tensor.zeros([20, 5]), y, { verbose: 0 }), /takes \[batch, 6\], got \[20,5\]/);
  await assert.rejects(() => m.fit(x, y.slice(3), { verbose: 0 }), /17 targets for 20 samples/);
  await assert.rejects(() => m.fit(x, y, { batchSize: 0, verbose: 0 }), /batchSize must be a positive integer/);
  assert.deepEqual(m.weights.map((w) => [...w.variable.data]), before, "nothing trained");
  assert.throws(() => evaluate(m, [x, x], y), /takes 1 inputs, x has 2/);
});

Deno.test("kernel and bias regularizers add their penalties to the training loss, as Keras", async () => {
  const { x, y } = blobs(8, 7);
  const make = (regularized: boolean) => {
    const m = new Sequential([
      new Dense(3, {
        activation: "softmax",
        ...(regularized ? { kernelRegularizer: "l2", biasRegularizer: { class_name: "L1", config: { l1: 0.5 } } } : {}),
      }),
    ], { inputShape: [6], seed: 8 });
    m.compile({
      optimizer: { class_name: "SGD", config: { learning_rate: 0 } },
      loss: "sparse_categorical_crossentropy",
    });
    return m;
  };
  const plain = make(false), reg = make(true);
  reg.setWeights(plain.weights.map((w) => w.variable));
  const bias = Tensor.from([0.5, -1, 0.25]);
  plain.getLayer(0).setWeights([plain.weights[0].variable, bias]);
  reg.getLayer(0).setWeights([plain.weights[0].variable, bias]);
  const k = plain.weights[0].variable.data;
  const penalty = 0.01 * [...k].reduce((s, v) => s + v * v, 0) + 0.5 * (0.5 + 1 + 0.25);
  const a = await plain.fit(x, y, { batchSize: 8, verbose: 0 }), b = await reg.fit(x, y, { batchSize: 8, verbose: 0 });
  assert.ok(
    Math.abs(b.history.loss[0] - a.history.loss[0] - penalty) < 1e-5,
    `${b.history.loss[0]} - ${a.history.loss[0]}`,
  );
  assert.deepEqual((reg.getLayer(0).getConfig() as { kernel_regularizer: unknown }).kernel_regularizer, {
    class_name: "L2",
    config: { l2: 0.01 },
  });
});

Deno.test("fit on a Dataset of { x, y } batches, with augmentation layers that are the identity at inference", async () => {
  const { Dataset } = await import("../train/data.ts");
  const { RandomFlip, Reshape } = await import("../layers/all.ts");
  const train = blobs(240, 9), test = blobs(60, 10);
  const m = new Sequential([
    new Reshape([1, 6, 1]),
    new RandomFlip("vertical", { seed: 4 }), // a 1-pixel-high image: flipping it vertically changes nothing
    new Reshape([6]),
    new Dense(8, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ], { inputShape: [6], seed: 3 });
  m.compile({ optimizer: new Adam(0.02), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  const data = Dataset.fromTensors(train.x, new Tensor(Float32Array.from(train.y), [240])).shuffle(240, { seed: 1 })
    .batch(24).prefetch(2);
  const h = await m.fit(data, { epochs: 8, verbose: 0, validationData: { x: test.x, y: test.y } });
  assert.equal(h.history.loss.length, 8);
  assert.ok(h.history.val_accuracy[7] > 0.9, JSON.stringify(h.history.val_accuracy));
  await assert.rejects(() => m.fit(data, { validationSplit: 0.2, verbose: 0 }), /validationSplit needs arrays/);
  const unbatched = Dataset.fromTensors(train.x);
  await assert.rejects(() => m.fit(unbatched, { verbose: 0 }), /yields \{ x, y \} batches/);
});

Deno.test("losses by name: one-hot categorical cross-entropy and MSE train through the same fit", async () => {
  const { x, y } = blobs(120, 11);
  const oneHot = new Tensor(
    Float32Array.from({ length: 120 * 3 }, (_, i) => (y[Math.floor(i / 3)] === i % 3 ? 1 : 0)),
    [
      120,
      3,
    ],
  );
  const m = new Sequential([new Dense(3, { activation: "softmax" })], { inputShape: [6], seed: 2 });
  m.compile({
    optimizer: new Adam(0.05),
    loss: "categorical_crossentropy",
    metrics: ["accuracy", "top_k_categorical_accuracy"],
  });
  const h = await m.fit(x, oneHot, { epochs: 10, batchSize: 20, verbose: 0 });
  assert.deepEqual(Object.keys(h.history), ["loss", "accuracy", "top_k_categorical_accuracy"]);
  assert.ok(h.history.accuracy[9] > 0.9 && h.history.loss[9] < h.history.loss[0], JSON.stringify(h.history));
  const r = new Sequential([new Dense(1)], { inputShape: [6], seed: 2 });
  r.compile({ optimizer: "sgd", loss: "mse" });
  const target = new Tensor(Float32Array.from({ length: 120 }, (_, i) => x.data[i * 6] - 2 * x.data[i * 6 + 1]), [
    120,
    1,
  ]);
  const hr = await r.fit(x, target, { epochs: 20, batchSize: 10, verbose: 0 });
  assert.ok(hr.history.loss[19] < 0.1 * hr.history.loss[0], JSON.stringify(hr.history.loss));
});
