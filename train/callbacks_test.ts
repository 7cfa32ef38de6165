/**
 * Schedules (Keras's formulas at exact steps), optimizers following a
 * schedule, validation logs, early stopping (with best-weight restore),
 * checkpoint callbacks, larq's HyperparameterScheduler, predict and top-k;
 * ReduceLROnPlateau and CSVLogger against tf-keras 2.16
 * (tests/fixtures/keras/callbacks.json, written by
 * tools/py/keras_training_fixtures.py), LearningRateScheduler,
 * TerminateOnNaN, callback configs.
 */
import assert from "node:assert/strict";
import { Sequential } from "../models/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { Dense } from "../layers/dense.ts";
import { seededRandom } from "../graph/random.ts";
import {
  type CallbackConfig,
  callbackFromConfig,
  CSVLogger,
  EarlyStopping,
  earlyStopping,
  HyperparameterScheduler,
  hyperparameterScheduler,
  LearningRateScheduler,
  ModelCheckpoint,
  modelCheckpoint,
  pythonFloat,
  ReduceLROnPlateau,
  TerminateOnNaN,
} from "./callbacks.ts";
import { loadCheckpoint } from "../models/load.ts";
import { type EpochLogs, evaluate as evaluateLogs, fitSync as fit, predict, type TrainingContext } from "./fit.ts";
import { SparseTopKCategoricalAccuracy } from "./metrics.ts";
import { Adam, Bop, CaseOptimizer, isBinaryWeight, optimizerFromConfig, SGD } from "./optimizers.ts";
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
    callbacks: [stop, ckpt, { onEpochEnd: (_, logs) => bests.push(logs.val_loss!) }],
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

const kerasCallbacks: {
  csv_logger: Record<
    string,
    { runs: Record<string, number | string>[][]; options: Record<string, unknown>; text: string }
  >;
  reduce_lr_on_plateau: {
    monitor: string;
    options: Record<string, number | string>;
    values: number[];
    learning_rates: number[];
  }[];
} = JSON.parse(Deno.readTextFileSync(new URL("../tests/fixtures/keras/callbacks.json", import.meta.url)));

/** A context for driving callbacks by hand (they read the optimizer and set stopTraining). */
const contextWith = (optimizer: TrainingContext["optimizer"]) =>
  ({ model: model(), optimizer, epochs: 10, stopTraining: false }) as TrainingContext;
const logs = (o: Record<string, number>) => o as unknown as EpochLogs;

Deno.test("ReduceLROnPlateau follows tf-keras: patience, cooldown, min_lr, min_delta, auto/max modes; logs lr", () => {
  assert.equal(kerasCallbacks.reduce_lr_on_plateau.length, 5);
  for (const c of kerasCallbacks.reduce_lr_on_plateau) {
    const o = c.options as Record<string, number>;
    const cb = new ReduceLROnPlateau({
      monitor: c.monitor,
      factor: o.factor,
      patience: o.patience,
      cooldown: o.cooldown,
      minLr: o.min_lr,
      minDelta: o.min_delta,
      mode: c.options.mode as "auto" | "min" | "max" | undefined,
    });
    const optimizer = new SGD(1), ctx = contextWith(optimizer);
    cb.onTrainBegin();
    const seen = c.values.map((v, epoch) => {
      const l = logs({ [c.monitor]: v });
      cb.onEpochEnd(epoch, l, ctx);
      assert.equal((l as unknown as Record<string, number>).lr, Math.fround(c.learning_rates[Math.max(epoch - 1, 0)]));
      return Math.fround(optimizer.learningRate as number);
    });
    assert.deepEqual(seen, c.learning_rates, `${c.monitor} ${JSON.stringify(c.options)}`);
  }
});

Deno.test("CSVLogger writes tf-keras's file byte for byte (sorted keys, val_ twins, NA, Python floats, append)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [label, c] of Object.entries(kerasCallbacks.csv_logger)) {
      const path = `${dir}/${label}.csv`;
      for (const run of c.runs) {
        const cb = new CSVLogger(path, c.options as { separator?: string; append?: boolean });
        cb.onTrainBegin();
        run.forEach((epochLogs, epoch) => {
          const values = Object.fromEntries(Object.entries(epochLogs).map(([k, v]) => [k, Number(v)]));
          cb.onEpochEnd(epoch, logs(values));
        });
      }
      assert.equal(Deno.readTextFileSync(path), c.text, label);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const cases: [number, string][] = [
    [0.1, "0.1"],
    [1, "1.0"],
    [-2.5e-7, "-2.5e-07"],
    [1e16, "1e+16"],
    [
      123456789012345680,
      "1.2345678901234568e+17",
    ],
    [0.0001, "0.0001"],
    [1e22, "1e+22"],
    [-0, "-0.0"],
    [-Infinity, "-inf"],
    [12.5, "12.5"],
    [1234567, "1234567.0"],
  ];
  for (const [x, want] of cases) assert.equal(pythonFloat(x), want, String(x));
});

Deno.test("LearningRateScheduler sets schedule(epoch, lr) each epoch and logs lr; a scheduled optimizer refuses, as Keras", () => {
  function halve(epoch: number, lr: number) {
    return epoch === 0 ? lr : lr / 2;
  }
  const optimizer = new Adam(0.01), ctx = contextWith(optimizer);
  const cb = new LearningRateScheduler(halve);
  const seen = [0, 1, 2].map((epoch) => {
    cb.onEpochBegin(epoch, ctx);
    const l = logs({ loss: 1 });
    cb.onEpochEnd(epoch, l, ctx);
    return (l as unknown as Record<string, number>).lr;
  });
  assert.deepEqual(seen, [0.01, 0.005, 0.0025].map(Math.fround));
  const scheduled = new SGD(exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 }));
  assert.throws(() => cb.onEpochBegin(1, contextWith(scheduled)), /not settable to a number/);
  const bop = contextWith(new CaseOptimizer([[isBinaryWeight, new Bop()]]));
  assert.throws(() => cb.onEpochBegin(0, bop), /optimizer CaseOptimizer has no learning rate/);
  assert.throws(() => new LearningRateScheduler(() => NaN).onEpochBegin(0, ctx), /must return a finite number/);
});

Deno.test("TerminateOnNaN stops on a NaN or infinite batch loss only", () => {
  const cb = new TerminateOnNaN(), ctx = contextWith(new SGD());
  const log = console.log;
  const printed: string[] = [];
  console.log = (s: string) => printed.push(s);
  try {
    cb.onBatchEnd(0, { loss: 1e30 }, ctx);
    assert.equal(ctx.stopTraining, false);
    cb.onBatchEnd(3, { loss: Infinity }, ctx);
    assert.equal(ctx.stopTraining, true);
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed, ["Batch 3: Invalid loss, terminating training"]);
});

Deno.test("the new callbacks run in fit: lr in the logs, CSV rows per epoch, hyperparameters logged", async () => {
  const train = data(32, 7), val = data(16, 8);
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  const seen: number[] = [];
  try {
    fit(model(3), train.x, train.y, {
      optimizer: new SGD(0.1),
      epochs: 3,
      batchSize: 16,
      validationData: { x: val.x, y: val.y },
      callbacks: [
        new ReduceLROnPlateau({ monitor: "val_loss", patience: 0, factor: 0.5, minDelta: 10 }),
        new TerminateOnNaN(),
        new CSVLogger(path),
        { onEpochEnd: (_, l) => seen.push((l as unknown as Record<string, number>).lr) },
      ],
      verbose: 0,
    });
    // Epoch 0 improves on nothing; then min_delta 10 makes every epoch a plateau: lr halves after epoch 1 and 2.
    assert.deepEqual(seen, [0.1, 0.1, 0.05].map(Math.fround));
    const lines = Deno.readTextFileSync(path).split("\r\n");
    assert.equal(lines[0], "epoch,accuracy,loss,lr,val_accuracy,val_loss");
    assert.equal(lines.length, 5); // header, three epochs, the empty string after the last \r\n
  } finally {
    await Deno.remove(path);
  }
  const bop = new Bop();
  const sched = new HyperparameterScheduler(
    function gammaDecay(epoch: number) {
      return 1e-3 / (epoch + 1);
    },
    "gamma",
    bop,
  );
  const l = logs({ loss: 1 });
  sched.onEpochBegin(1, contextWith(bop));
  sched.onEpochEnd(1, l, contextWith(bop));
  assert.equal((l as unknown as Record<string, number>).gamma, 5e-4);
});

Deno.test("callback configs round-trip through callbackFromConfig (schedules by name); typed errors", () => {
  function schedule(epoch: number, lr: number) {
    return lr * 0.9 ** epoch;
  }
  const callbacks = [
    new EarlyStopping({ monitor: "val_accuracy", patience: 3, minDelta: 0.01, restoreBestWeights: true }),
    new ModelCheckpoint("/tmp/ckpt-{epoch}.safetensors", { monitor: "loss", saveBestOnly: true }),
    new ReduceLROnPlateau({ factor: 0.2, patience: 4, cooldown: 1, minLr: 1e-5, mode: "min" }),
    new LearningRateScheduler(schedule, 1),
    new HyperparameterScheduler(schedule, "gamma", new Bop()),
    new CSVLogger("log.csv", { separator: ";", append: true }),
    new TerminateOnNaN(),
  ];
  const customObjects = { schedule };
  for (const cb of callbacks) {
    const again = callbackFromConfig(cb.getConfig(), { customObjects, optimizer: new Bop() });
    assert.deepEqual((again as typeof cb).getConfig(), cb.getConfig());
  }
  // Keras's own EarlyStopping config (verbose, baseline, start_from_epoch at their defaults) reads.
  const keras: CallbackConfig = {
    class_name: "EarlyStopping",
    config: {
      monitor: "loss",
      min_delta: 0,
      patience: 2,
      verbose: 0,
      mode: "auto",
      baseline: null,
      start_from_epoch: 0,
    },
  };
  assert.equal((callbackFromConfig(keras) as EarlyStopping).patience, 2);
  assert.throws(() => callbackFromConfig({ ...keras, config: { baseline: 0.5 } }), /baseline = 0.5 is not supported/);
  assert.throws(() => callbackFromConfig({ class_name: "TensorBoard", config: {} }), /unknown callback TensorBoard/);
  assert.throws(
    () => callbackFromConfig(new LearningRateScheduler(schedule).getConfig()),
    /schedule "schedule" is not in customObjects/,
  );
  assert.throws(() => new LearningRateScheduler((e, lr) => lr + e).getConfig(), /anonymous function/);
  assert.throws(() => new ReduceLROnPlateau({ factor: 1 }), /does not support a factor ≥ 1, got 1/);
  assert.throws(() => new ReduceLROnPlateau({ patience: -1 }), /patience must be an integer ≥ 0, got -1/);
  assert.throws(() => new EarlyStopping({ mode: "maximum" as "max" }), /mode must be "auto", "min" or "max"/);
  assert.throws(() => new CSVLogger("x.csv", { separator: ";;" }), /separator must be one character/);
  assert.throws(() => new ModelCheckpoint(""), TypeError);
});
