/**
 * Schedules (Keras's formulas at exact steps), optimizers following a
 * schedule, validation logs, early stopping (with best-weight restore),
 * checkpoint callbacks, larq's HyperparameterScheduler, predict and top-k.
 */
import assert from "node:assert/strict";
import { Sequential } from "../models/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { Dense } from "../layers/dense.ts";
import { seededRandom } from "../layers/initializers.ts";
import { earlyStopping, hyperparameterScheduler, modelCheckpoint } from "./callbacks.ts";
import { loadCheckpoint } from "../models/load.ts";
import { evaluate as evaluateLogs, fitSync as fit, predict } from "./fit.ts";
import { SparseTopKCategoricalAccuracy } from "./metrics.ts";
import { Adam, Bop, optimizerFromConfig, SGD } from "./optimizers.ts";
import {
  cosineDecay,
  exponentialDecay,
  learningRateConfig,
  learningRateFromConfig,
  piecewiseConstantDecay,
} from "./schedules.ts";

function data(n: number, seed: number) {
  const r = seededRandom(seed);
  const x = Float32Array.from({ length: n * 4 }, () => r() * 2 - 1);
  const y = Int32Array.from(
    { length: n },
    (_, i) => (x[i * 4] + x[i * 4 + 1] > 0 ? 1 : 0) + (x[i * 4 + 2] > 0.5 ? 1 : 0),
  );
  return { x: new Tensor(x, [n, 4]), y };
}
const model = (seed = 1) =>
  new Sequential([new Dense(8, { activation: "relu" }), new Dense(3, { activation: "softmax" })], {
    seed,
    inputShape: [4],
  });

Deno.test("schedules: Keras's CosineDecay (with warmup), ExponentialDecay and PiecewiseConstantDecay at exact steps", () => {
  const c = cosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.1 });
  assert.equal(c.at(0), 0.1);
  assert.ok(Math.abs(c.at(50) - 0.1 * (0.9 * 0.5 + 0.1)) < 1e-12);
  assert.ok(Math.abs(c.at(100) - 0.01) < 1e-12);
  assert.equal(c.at(1000), c.at(100));
  const w = cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupSteps: 4, warmupTarget: 0.2 });
  assert.deepEqual([w.at(0), w.at(2), w.at(4)], [0, 0.1, 0.2]);
  assert.ok(Math.abs(w.at(9) - 0.2 * 0.5 * (1 + Math.cos(Math.PI * 0.5))) < 1e-12);
  assert.equal(w.at(14), 0);
  const e = exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5, staircase: true });
  assert.deepEqual([e.at(9), e.at(10), e.at(25)], [1, 0.5, 0.25]);
  const p = piecewiseConstantDecay([10, 20], [1, 0.5, 0.1]);
  assert.deepEqual([p.at(10), p.at(11), p.at(20), p.at(21)], [1, 0.5, 0.5, 0.1]);
  for (const s of [c, w, e, p]) {
    assert.deepEqual(learningRateConfig(learningRateFromConfig(s.getConfig())), s.getConfig());
  }
  assert.throws(() => piecewiseConstantDecay([1], [1]), /one more value/);
});

Deno.test("optimizers follow a schedule step by step, and their configs round-trip", () => {
  // SGD with lr(step) = 1 for step ≤ 0, then 0: only the first update moves the weight.
  const sgd = new SGD(piecewiseConstantDecay([0], [1, 0]));
  const m = model();
  const { x, y } = data(8, 2);
  fit(m, x, y, { optimizer: sgd, epochs: 1, batchSize: 4, verbose: 0 }); // steps 0 and 1
  const after = m.weights.map((w) => [...w.variable.data]);
  fit(m, x, y, { optimizer: sgd, epochs: 1, batchSize: 4, verbose: 0 });
  assert.deepEqual(m.weights.map((w) => [...w.variable.data]), after);
  const adam = new Adam(cosineDecay({ initialLearningRate: 0.01, decaySteps: 5 }));
  assert.deepEqual(optimizerFromConfig(adam.getConfig()).getConfig(), adam.getConfig());
  assert.throws(() => new Adam(-1), /learning rate must be/);
});

Deno.test("fit: validation logs, early stopping with best weights, checkpoint callbacks, quiet when not a TTY", async () => {
  const train = data(64, 3), val = data(32, 4);
  const m = model(2);
  const stop = earlyStopping({ monitor: "val_loss", patience: 1, restoreBestWeights: true });
  const dir = await Deno.makeTempDir();
  const ckpt = modelCheckpoint(`${dir}/epoch{epoch}.safetensors`, { monitor: "val_accuracy", saveBestOnly: false });
  const bests: number[] = [];
  const { history: h } = fit(m, train.x, train.y, {
    optimizer: new SGD(2), // too large on purpose: validation loss gets worse and stops training
    epochs: 30,
    batchSize: 16,
    validationData: { x: val.x, y: val.y },
    callbacks: [stop, ckpt, { onEpochEnd: (_, logs) => bests.push(logs.val_loss) }],
    verbose: 0,
  });
  try {
    assert.equal(h.val_loss!.length, h.loss.length);
    assert.ok(stop.stoppedEpoch !== null && stop.stoppedEpoch < 29, "early stopping never fired");
    assert.equal(h.loss.length, stop.stoppedEpoch! + 1);
    // Restored weights are the best epoch's: their validation loss is the minimum seen.
    const v = evaluateLogs(m, val.x, val.y);
    assert.ok(Math.abs(v.loss - Math.min(...bests)) < 1e-6, `${v.loss} vs best ${Math.min(...bests)}`);
    assert.equal(ckpt.saved.length, h.loss.length);
    const { model: first } = await loadCheckpoint(ckpt.saved[0]);
    assert.equal(first.weights.length, m.weights.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.throws(
    () => fit(model(), train.x, train.y, { optimizer: new SGD(), callbacks: [earlyStopping()], verbose: 0 }),
    /monitors "val_loss", which fit does not report/,
  );
});

Deno.test("larq's HyperparameterScheduler sets Bop's gamma each epoch; predict and top-k accuracy", () => {
  const bop = new Bop(1e-8, 1e-4);
  const seen: number[] = [];
  const sched = hyperparameterScheduler((epoch) => 1e-3 * 0.5 ** epoch, "gamma", bop);
  sched.onEpochBegin!(0, undefined as never);
  seen.push(bop.gamma);
  sched.onEpochBegin!(2, undefined as never);
  seen.push(bop.gamma);
  assert.deepEqual(seen, [1e-3, 2.5e-4]);
  assert.throws(() => hyperparameterScheduler(() => 1, "momentum", bop), /no hyperparameter "momentum"/);
  const m = model();
  const { x } = data(10, 5);
  const p = predict(m, x, 3);
  assert.deepEqual(p.shape, [10, 3]);
  assert.deepEqual([...p.data], [...m.apply(x).data]);
  const scores = Tensor.from([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]]);
  const topK = (k: number) => {
    const metric = new SparseTopKCategoricalAccuracy({ k });
    metric.update(Tensor.from([2, 2]), scores);
    return metric.result();
  };
  assert.equal(topK(1), 0);
  assert.equal(topK(2), 0.5);
  assert.equal(topK(3), 1);
});

Deno.test("fit trains a two-input model (one tensor per input) and refuses two outputs", async () => {
  const { input, link } = await import("../layers/symbolic.ts");
  const { Model } = await import("../models/model.ts");
  const { Concatenate } = await import("../layers/merge.ts");
  const a = input([4]), b = input([3]);
  const h = link(new Concatenate(), link(new Dense(6, { activation: "relu" }).seed(seededRandom(1)), a), b);
  const out = link(new Dense(3, { activation: "softmax" }).seed(seededRandom(2)), h);
  const m = new Model([a, b], out);
  const { x, y } = data(64, 6);
  const xb = new Tensor(Float32Array.from({ length: 64 * 3 }, (_, i) => Math.sin(i)), [64, 3]);
  const { history: hist } = fit(m, [x, xb], y, { optimizer: new Adam(0.05), epochs: 8, batchSize: 16, verbose: 0 });
  assert.ok(hist.loss[7] < hist.loss[0], `loss ${hist.loss[0]} → ${hist.loss[7]}`);
  assert.deepEqual(predict(m, [x, xb]).shape, [64, 3]);
  const two = new Model([a, b], [out, h]);
  assert.throws(() => fit(two, [x, xb], y, { optimizer: new Adam(), verbose: 0 }), /fit trains single-output models/);
  assert.throws(
    () => fit(m, [x, Tensor.zeros([10, 3])], y, { optimizer: new Adam(), verbose: 0 }),
    /different sample counts/,
  );
});

Deno.test("earlyStopping counts patience as Keras does (patience 2: stops on the second epoch without improvement)", () => {
  const stop = earlyStopping({ monitor: "loss", patience: 2 });
  const ctx = { model: model(), optimizer: new SGD(), epochs: 10, stopTraining: false };
  const losses = [1.0, 0.9, 0.95, 0.97, 0.5];
  let epoch = 0;
  for (; epoch < losses.length && !ctx.stopTraining; epoch++) {
    stop.onEpochEnd!(epoch, { loss: losses[epoch], accuracy: 0 }, ctx);
  }
  assert.equal(stop.stoppedEpoch, 3);
  assert.equal(epoch, 4);
});
