/**
 * recalibrateBatchNorm: each BatchNormalization's moving statistics become the mean of its batch statistics
 * (computed here by hand from the layer's inputs, and by Keras), nothing else changes, and frozen layers and failed
 * passes leave them as they were.
 */
import assert from "node:assert/strict";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D } from "../layers/conv.ts";
import { Flatten } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { Sequential } from "../models/sequential.ts";
import { seededRandom } from "../graph/random.ts";
import { type NestedArray, Tensor } from "../graph/tensor.ts";
import { Dataset } from "./data.ts";
import { recalibrateBatchNorm } from "./recalibrate.ts";

function randomTensor(shape: number[], seed: number, offset = 0.3, scale = 3): Tensor {
  const r = seededRandom(seed);
  return new Tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() - offset) * scale),
    shape,
  );
}

/** Per-channel mean and variance (Bessel-corrected when `bessel`) of rows `idx` of x, in float64. */
function moments(x: Tensor, idx: number[], bessel: boolean): { mean: number[]; variance: number[] } {
  const c = x.shape[x.rank - 1], per = x.size / x.shape[0], data = x.data;
  const mean = new Array(c).fill(0), sq = new Array(c).fill(0);
  const n = idx.length * per / c;
  for (const i of idx) for (let k = 0; k < per; k++) mean[k % c] += data[i * per + k] / n;
  for (const i of idx) for (let k = 0; k < per; k++) sq[k % c] += (data[i * per + k] - mean[k % c]) ** 2;
  return { mean, variance: sq.map((s) => s / (bessel ? n - 1 : n)) };
}

function close(actual: ArrayLike<number>, expected: number[], what: string): void {
  for (let j = 0; j < expected.length; j++) {
    const tol = 1e-5 * Math.max(1, Math.abs(expected[j]));
    assert.ok(Math.abs(actual[j] - expected[j]) <= tol, `${what}[${j}]: ${actual[j]} vs ${expected[j]}`);
  }
}

Deno.test("recalibrateBatchNorm: the moving statistics are the mean of the batches' (4-D Bessel-corrected, 2-D not)", async () => {
  for (const shape of [[12, 3, 4, 5], [12, 5]]) {
    const x = randomTensor(shape, 3);
    const model = new Sequential([new BatchNormalization({ name: "bn" })], { inputShape: shape.slice(1) });
    model.apply(x); // builds: moving statistics 0 and 1
    const r = await recalibrateBatchNorm(model, x, { batchSize: 5, shuffle: false });
    assert.deepEqual(r, { layers: ["bn"], batches: 3, samples: 12 });
    const batches = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]].map((idx) => moments(x, idx, shape.length === 4));
    const bn = model.layers[0] as BatchNormalization;
    const avg = (k: "mean" | "variance") => batches[0][k].map((_, j) => batches.reduce((a, b) => a + b[k][j], 0) / 3);
    close(bn.movingMean.data, avg("mean"), `[${shape}] moving mean`);
    close(bn.movingVariance.data, avg("variance"), `[${shape}] moving variance`);
    // One batch of everything: the whole set's moments.
    await recalibrateBatchNorm(model, x, { batchSize: 12 });
    const all = moments(x, Array.from({ length: 12 }, (_, i) => i), shape.length === 4);
    close(bn.movingMean.data, all.mean, `[${shape}] one batch mean`);
    close(bn.movingVariance.data, all.variance, `[${shape}] one batch variance`);
  }
});

Deno.test("recalibrateBatchNorm: weights, frozen layers and (with batches) the batch count as asked", async () => {
  const x = randomTensor([40, 6], 5);
  const frozen = new BatchNormalization({ name: "frozen" });
  const model = new Sequential([
    new Dense(4, { name: "d1" }),
    new BatchNormalization({ name: "bn1" }),
    new Dense(3, { name: "d2" }),
    frozen,
  ], { inputShape: [6], seed: 2 });
  model.apply(x);
  frozen.trainable = false;
  const before = model.weights.map((w) => w.variable.data.slice());
  const r = await recalibrateBatchNorm(model, x, { batchSize: 8, batches: 2, seed: 4 });
  assert.deepEqual(r, { layers: ["bn1"], batches: 2, samples: 16 });
  model.weights.forEach((w, i) => {
    const changed = w.variable.data.some((v, j) => v !== before[i][j]);
    assert.equal(changed, /bn1\/moving_/.test(w.variable.name), `${w.variable.name} changed: ${changed}`);
  });
});

Deno.test("recalibrateBatchNorm: a Dataset of { x } batches, and a pass that fails leaves every statistic", async () => {
  const x = randomTensor([20, 4], 8);
  const model = new Sequential([new BatchNormalization({ name: "bn" })], { inputShape: [4] });
  model.apply(x);
  const bn = model.layers[0] as BatchNormalization;
  const r = await recalibrateBatchNorm(model, Dataset.fromTensors(x).batch(10));
  assert.deepEqual(r, { layers: ["bn"], batches: 2, samples: 20 });
  const halves = [0, 10].map((s) => moments(x, Array.from({ length: 10 }, (_, i) => s + i), false));
  close(bn.movingMean.data, halves[0].mean.map((m, j) => (m + halves[1].mean[j]) / 2), "dataset mean");
  const saved = [bn.movingMean.data.slice(), bn.movingVariance.data.slice()];
  async function* bad() {
    yield { x: randomTensor([10, 4], 1) };
    yield { x: randomTensor([10, 5], 1) };
  }
  await assert.rejects(() => recalibrateBatchNorm(model, bad()), RangeError);
  assert.deepEqual([bn.movingMean.data, bn.movingVariance.data], saved);
  // The layer is free again: a second recalibration runs.
  await recalibrateBatchNorm(model, x, { batchSize: 20 });
  assert.notDeepEqual(bn.movingMean.data, saved[0]);
});

Deno.test("recalibrateBatchNorm: bad options and inputs are typed errors naming them", async () => {
  const model = new Sequential([new BatchNormalization()], { inputShape: [4] });
  const x = randomTensor([8, 4], 1);
  await assert.rejects(() => recalibrateBatchNorm(model, x, { batchSize: 0 }), /batchSize must be a positive integer/);
  await assert.rejects(() => recalibrateBatchNorm(model, x, { batches: 1.5 }), /batches must be a positive integer/);
  await assert.rejects(() => recalibrateBatchNorm(model, randomTensor([8, 3], 1)), RangeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => recalibrateBatchNorm(model, 7 as any), /takes input tensors or a Dataset/);
  // A model without a BatchNormalization is not run, but its inputs are checked.
  const dense = new Sequential([new Dense(2)], { inputShape: [4] });
  assert.deepEqual(await recalibrateBatchNorm(dense, x), { layers: [], batches: 0, samples: 0 });
  await assert.rejects(() => recalibrateBatchNorm(dense, randomTensor([8, 3], 1)), RangeError);
  await assert.rejects(() => recalibrateBatchNorm(model, [{ y: x }]), /elements are \{ x \} batches/);
});

Deno.test("recalibrateBatchNorm: Keras's statistics after the same pass (tools/py/bn_recalibrate.py, momentum k/(k+1))", async () => {
  // tests/fixtures/keras/batch_norm_recalibration.json, by tools/py/keras_training_fixtures.py.
  const fixture: {
    batch_size: number;
    x: NestedArray;
    weights: { name: string; shape: number[]; value: NestedArray }[];
    after: Record<string, NestedArray>;
  } = JSON.parse(
    Deno.readTextFileSync(new URL("../tests/fixtures/keras/batch_norm_recalibration.json", import.meta.url)),
  );
  const model = new Sequential([
    new Conv2D(4, 3),
    new BatchNormalization(),
    new Flatten(),
    new Dense(5),
    new BatchNormalization(),
  ], { inputShape: [6, 6, 2] });
  const weights = model.weights;
  assert.equal(weights.length, fixture.weights.length);
  weights.forEach((w, i) => {
    const k = fixture.weights[i];
    assert.deepEqual(w.variable.shape, k.shape, k.name);
    w.variable.assign(Tensor.from(k.value).data);
  });
  const x = Tensor.from(fixture.x);
  await recalibrateBatchNorm(model, x, { batchSize: fixture.batch_size, shuffle: false });
  weights.forEach((w, i) => {
    const k = fixture.weights[i], after = fixture.after[k.name];
    const expected = after ? Tensor.from(after).data : Tensor.from(k.value).data;
    for (let j = 0; j < expected.length; j++) {
      const tol = 2e-6 * Math.max(1, Math.abs(expected[j]));
      assert.ok(
        Math.abs(w.variable.data[j] - expected[j]) <= tol,
        `${k.name}[${j}]: ${w.variable.data[j]} vs ${expected[j]}`,
      );
    }
  });
});
