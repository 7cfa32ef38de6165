import assert from "node:assert/strict";
import { Sequential } from "../models/sequential.ts";
import { Tensor, Variable } from "../graph/tensor.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { Dense, QuantDense } from "../layers/dense.ts";
import { seededRandom } from "../graph/random.ts";
import { type Weight, weightClip } from "../layers/layer.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { evaluate as evaluateLogs, fitSync as fit } from "./fit.ts";
import { summary } from "../models/summary.ts";
import { input, link } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { Add } from "../layers/merge.ts";
import { Adam, Bop, CaseOptimizer, isBinaryWeight, SGD } from "./optimizers.ts";

const evaluate = (...a: Parameters<typeof evaluateLogs>) => evaluateLogs(...a).accuracy;

function weight(values: number[], binary = true): Weight {
  return { variable: new Variable(Tensor.from(values)), constraint: null, quantizer: binary ? new SteSign() : null };
}

Deno.test("Bop: flips where w·m > τ, keeps sign(w) otherwise, sign(0) = +1", () => {
  const w = weight([1, -1, 1, -1, 0, 0.3]);
  const bop = new Bop(0.5, 1); // gamma 1: m = g
  bop.apply([{ weight: w, grad: Tensor.from([1, -1, -1, 1, 2, 0.1]) }]);
  // w·m: 1, 1, -1, -1, 0, 0.03 → flip the first two (> 0.5); 0 → +1; 0.3 → +1.
  assert.deepEqual(w.variable.toArray(), [-1, 1, 1, -1, 1, 1]);
  assert.throws(() => bop.apply([{ weight: weight([1], false), grad: Tensor.from([1]) }]), /binary weights only/);
});

Deno.test("Adam follows Keras's update (closed form over three steps)", () => {
  const w = weight([1], false);
  const adam = new Adam(0.1);
  let m = 0, v = 0, x = 1;
  for (let t = 1; t <= 3; t++) {
    const g = 2 * x; // gradient of x²
    adam.apply([{ weight: w, grad: Tensor.from([Math.fround(g)]) }]);
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    x -= (0.1 * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)) * m / (Math.sqrt(v) + 1e-7);
    assert(Math.abs(w.variable.data[0] - x) < 1e-6, `step ${t}: ${w.variable.data[0]} vs ${x}`);
  }
});

Deno.test("CaseOptimizer routes each variable to exactly one optimizer", () => {
  const bin = weight([0.5]), real = weight([0.5], false);
  const opt = new CaseOptimizer([[isBinaryWeight, new Bop(0, 1)]], new SGD(0.1));
  opt.apply([{ weight: bin, grad: Tensor.from([1]) }, { weight: real, grad: Tensor.from([1]) }]);
  assert.deepEqual(bin.variable.toArray(), [-1]);
  assert(Math.abs(real.variable.data[0] - 0.4) < 1e-7);
  const both = new CaseOptimizer([[() => true, new SGD()], [() => true, new SGD()]]);
  assert.throws(() => both.apply([{ weight: real, grad: Tensor.from([1]) }]), /matches 2 optimizers/);
});

function blobs(n: number, seed: number) {
  const r = seededRandom(seed);
  const x = new Float32Array(n * 8), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let j = 0; j < 8; j++) x[i * 8 + j] = (y[i] ? 0.6 : -0.6) * (j % 3 === 0 ? 1 : -1) + (r() - 0.5);
  }
  return { x: new Tensor(x, [n, 8]), y };
}

function bnn(seed: number) {
  const q = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
  return new Sequential([
    new QuantDense(16, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false }),
    new BatchNormalization({ momentum: 0.9 }),
    new QuantDense(2, { ...q, useBias: false }),
    new BatchNormalization({ momentum: 0.9 }),
    new Activation("softmax"),
  ], { seed });
}

Deno.test("fit trains a small BNN with Adam (weights clipped) and with Bop + Adam via CaseOptimizer", () => {
  const train = blobs(256, 1), test = blobs(128, 2);
  const m1 = bnn(3);
  const h = fit(m1, train.x, train.y, { optimizer: new Adam(0.01), epochs: 8, batchSize: 32, seed: 4 });
  const loss = h.history.loss;
  assert(loss[loss.length - 1] < loss[0], JSON.stringify(loss));
  assert(evaluate(m1, test.x, test.y) > 0.9);
  for (const w of m1.weights.filter((w) => w.constraint)) assert(Math.max(...w.variable.data.map(Math.abs)) <= 1);
  const m2 = bnn(5);
  const ratios: number[] = [];
  fit(m2, train.x, train.y, {
    flipRatio: true,
    callbacks: [{
      onEpochEnd: (_, logs) =>
        ratios.push(...Object.entries(logs).filter(([k]) => k.startsWith("flip_ratio/")).map(([, v]) => v)),
    }],
    optimizer: new CaseOptimizer([[isBinaryWeight, new Bop(1e-8, 1e-2)]], new Adam(0.01)),
    epochs: 8,
    batchSize: 32,
    seed: 6,
  });
  for (const w of m2.weights.filter(isBinaryWeight)) assert(w.variable.data.every((v) => v === 1 || v === -1));
  // Bop flips some signs, and never most of them.
  assert(ratios.length === 16 && ratios.some((r) => r > 0) && ratios.every((r) => r < 0.5), JSON.stringify(ratios));
  assert(evaluate(m2, test.x, test.y) > 0.8);
});

Deno.test("BatchNormalization keeps Keras's moving statistics (fused 4-D: Bessel-corrected variance)", () => {
  const bn = new BatchNormalization({ momentum: 0.5 });
  const x = Tensor.from([[[[1], [3]]]]); // [1, 1, 2, 1]: mean 2, biased var 1, unbiased 2
  bn.apply(x, { training: true });
  assert.deepEqual(bn.movingMean.toArray(), [1]); // 0·0.5 + 2·0.5
  assert.deepEqual(bn.movingVariance.toArray(), [1.5]); // 1·0.5 + 2·0.5
  const bn2 = new BatchNormalization({ momentum: 0.5 });
  bn2.apply(Tensor.from([[1], [3]]), { training: true });
  assert.deepEqual(bn2.movingVariance.toArray(), [1]); // 1·0.5 + 1·0.5 (non-fused: biased)
});

Deno.test("QuantConv2D quantizes the input before padding with pad_values", () => {
  const c = new QuantConv2D(1, 3, {
    padding: "same",
    padValues: 1,
    inputQuantizer: "ste_sign",
    kernelConstraint: weightClip(),
    kernelInitializer: "ones",
    useBias: false,
  });
  const y = c.apply(Tensor.fill([1, 3, 3, 1], -0.5));
  // Corner: 4 in-bounds taps of sign(-0.5) = -1 and 5 padded taps of +1.
  assert.equal(y.data[0], 1);
  assert.equal(y.data[4], -9);
});

Deno.test("layers name themselves in errors", () => {
  const d = new Dense(3, { name: "head" });
  d.apply(Tensor.zeros([1, 4]));
  assert.throws(() => d.apply(Tensor.zeros([1, 5])), /layer "head": expects 4 input features/);
  assert.throws(
    () =>
      new Sequential([
        new Flatten({ name: "f" }),
        new Dense(2, { name: "head" }),
        new Dense(2, { name: "head" }),
      ]),
    /unique/,
  );
  assert.throws(() => new QuantDense(2, { kernelQuantizer: "ste_sgn" }), /unknown quantizer "ste_sgn"/);
});

Deno.test("review: Bop ties give +1, CaseOptimizer needs every optimizer to claim a variable, frozen layers keep their values", () => {
  const w = weight([-1, -1]);
  new Bop(0, 1).apply([{ weight: w, grad: Tensor.from([0, 1]) }]); // w·m = 0 = τ → +1; -1·1 < 0 → keep -1
  assert.deepEqual(w.variable.toArray(), [1, -1]);
  const unclaimed = new CaseOptimizer([[isBinaryWeight, new Bop()]], new SGD());
  assert.throws(
    () => unclaimed.apply([{ weight: weight([1], false), grad: Tensor.from([1]) }]),
    /did not claim any variables/,
  );
  const train = blobs(64, 7);
  const model = bnn(8);
  model.apply(train.x);
  const frozen = model.layers[0], bn = model.layers[1] as BatchNormalization;
  frozen.trainable = false;
  bn.trainable = false;
  const kernel = Float32Array.from(frozen.weights[0].variable.data), mean = Float32Array.from(bn.movingMean.data);
  fit(model, train.x, train.y, { optimizer: new Adam(0.01), epochs: 1, batchSize: 16 });
  assert.deepEqual(frozen.weights[0].variable.data, kernel);
  assert.deepEqual(bn.movingMean.data, mean);
  // Constraints are the optimizer's job: a bare optimizer step clips too.
  const clipped: Weight = { variable: new Variable(Tensor.from([0.9])), constraint: weightClip(), quantizer: null };
  new SGD(1).apply([{ weight: clipped, grad: Tensor.from([-5]) }]);
  assert.deepEqual(clipped.variable.toArray(), [1]);
});

Deno.test("a functional model with a residual Add trains with fit, and summary lists its input row", () => {
  const x0 = input([8]);
  let h = link(new QuantDense(8, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false }), x0);
  h = link(new BatchNormalization(), h);
  const r = link(new Add(), x0, h);
  const out = link(new Dense(2, { activation: "softmax" }), r);
  const model = new Model(x0, out, { name: "residual" });
  const train = blobs(256, 11), test = blobs(128, 12);
  fit(model, train.x, train.y, { optimizer: new Adam(0.01), epochs: 6, batchSize: 32, seed: 1 });
  assert(evaluate(model, test.x, test.y) > 0.85);
  const text = summary(model);
  assert.match(text, /^\+residual stats/);
  assert.match(text, /\| input_\d+ +- +\(-1, 8\) /);
});

Deno.test("Adam's one-pass float32 update equals TF's op-by-op float32 arithmetic bit for bit", () => {
  const r = seededRandom(3);
  const w = weight(Array.from({ length: 50 }, () => r() * 2 - 1), false);
  const adam = new Adam(0.01);
  let x = Float32Array.from(w.variable.data), m = new Float32Array(50), v = new Float32Array(50);
  const f = Math.fround;
  for (let t = 1; t <= 4; t++) {
    const g = Float32Array.from({ length: 50 }, () => r() * 4 - 2);
    adam.apply([{ weight: w, grad: new Tensor(g, [50]) }]);
    const lr = f(f(0.01) * f(Math.sqrt(f(1 - f(0.999 ** t)))) / f(1 - f(0.9 ** t)));
    // ops.add(m, ops.mul(ops.sub(g, m), 1 - β1)), etc., each op rounding to float32.
    m = m.map((mi, i) => f(mi + f(f(g[i] - mi) * f(0.1))));
    v = v.map((vi, i) => f(vi + f(f(f(g[i] * g[i]) - vi) * f(0.001))));
    x = x.map((xi, i) => f(xi - f(f(m[i] * lr) / f(f(Math.sqrt(v[i])) + f(1e-7)))));
    assert.deepEqual([...w.variable.data], [...x], `step ${t}`);
  }
});
