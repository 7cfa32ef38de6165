/**
 * Optimizers against tf-keras 2.16 (tests/fixtures/keras/optimizers.json,
 * written by tools/py/keras_training_fixtures.py): four steps of SGD
 * (momentum, Nesterov), Adam, AdamW and RMSprop (momentum, centered) with
 * clipping, weight decay, a schedule and learning rates changed between
 * steps, built from Keras's own configs; the settable learning rate, state
 * round trips, clipping edge cases, getOptimizer and configs.
 */
import assert from "node:assert/strict";
import { Tensor, Variable } from "../graph/tensor.ts";
import type { Weight } from "../layers/layer.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import {
  Adam,
  AdamW,
  Bop,
  getOptimizer,
  type Optimizer,
  type OptimizerConfig,
  optimizerFromConfig,
  type OptimizerState,
  RMSprop,
  SGD,
} from "./optimizers.ts";
import { exponentialDecay } from "./schedules.ts";

type Nested = number | Nested[];
const fixture: {
  variables: Nested[];
  gradients: Nested[][];
  cases: { optimizer: OptimizerConfig; learning_rate_changes: Record<string, number>; steps: Nested[][] }[];
} = JSON.parse(Deno.readTextFileSync(new URL("../tests/fixtures/keras/optimizers.json", import.meta.url)));

const weight = (values: Nested, binary = false): Weight => ({
  variable: new Variable(Tensor.from(values as number[])),
  constraint: null,
  quantizer: binary ? new SteSign() : null,
});

/** Every key onebit writes is Keras's, with Keras's value (Keras writes more: EMA, XLA, ...). */
function assertSubset(ours: unknown, keras: unknown, path: string): void {
  if (typeof ours === "object" && ours !== null) {
    for (const [k, v] of Object.entries(ours)) {
      assert.ok(k in (keras as object), `${path}.${k} is not a Keras key`);
      assertSubset(v, (keras as Record<string, unknown>)[k], `${path}.${k}`);
    }
  } else {
    assert.equal(ours, keras, path);
  }
}

Deno.test("SGD, Adam, AdamW, RMSprop from Keras's configs follow tf-keras step by step (clipping, decay, schedules)", () => {
  assert.equal(fixture.cases.length, 15);
  for (const c of fixture.cases) {
    const what = JSON.stringify(c.optimizer.config);
    const opt = optimizerFromConfig(c.optimizer);
    assert.equal(opt.name, c.optimizer.class_name);
    assertSubset(opt.getConfig(), c.optimizer, c.optimizer.class_name);
    const weights = fixture.variables.map((v) => weight(v));
    c.steps.forEach((want, step) => {
      const lr = c.learning_rate_changes[String(step)];
      if (lr !== undefined) opt.learningRate = lr;
      opt.apply(weights.map((w, i) => ({ weight: w, grad: Tensor.from(fixture.gradients[step][i] as number[]) })));
      weights.forEach((w, i) => {
        const expected = Tensor.from(want[i] as number[]).data;
        w.variable.data.forEach((v, j) => {
          const ok = Math.abs(v - expected[j]) <= 2e-7 + 1e-6 * Math.abs(expected[j]);
          assert(ok, `${c.optimizer.class_name} ${what} step ${step} variable ${i}[${j}]: ${v} vs ${expected[j]}`);
        });
      });
    });
  }
});

Deno.test("constructor styles: positional as before, or one options object", () => {
  assert.deepEqual(new SGD(0.05, 0.9).getConfig(), new SGD({ learningRate: 0.05, momentum: 0.9 }).getConfig());
  assert.deepEqual(
    new Adam(0.01, 0.8, 0.99, 1e-5).getConfig(),
    new Adam({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-5 }).getConfig(),
  );
  assert.equal(new AdamW(0.01, 0.1).weightDecay, 0.1);
  assert.equal(new AdamW().weightDecay, 0.004);
  assert.equal(new RMSprop(0.01).learningRate, 0.01);
  assert.deepEqual(new Bop(1e-6, 1e-3).getConfig(), new Bop({ threshold: 1e-6, gamma: 1e-3 }).getConfig());
  assert.deepEqual(new Bop({ clipValue: 1 }).getConfig().config, { threshold: 1e-8, gamma: 1e-4, clipvalue: 1 });
});

Deno.test("the learning rate is settable between steps; a schedule only by a schedule, as Keras", () => {
  const sgd = new SGD(0.5);
  const w = weight([1]);
  sgd.apply([{ weight: w, grad: Tensor.from([1]) }]);
  sgd.learningRate = 0.25;
  assert.equal(sgd.currentLearningRate, 0.25);
  sgd.apply([{ weight: w, grad: Tensor.from([1]) }]);
  assert.equal(w.variable.data[0], 0.25);
  const scheduled = new Adam(exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 }));
  assert.equal(scheduled.currentLearningRate, 1);
  scheduled.apply([{ weight: w, grad: Tensor.from([1]) }]);
  scheduled.apply([{ weight: w, grad: Tensor.from([1]) }]);
  assert.equal(scheduled.iterations, 2);
  assert.equal(scheduled.currentLearningRate, 0.5); // the rate of the last step (step 1)
  assert.throws(() => (scheduled.learningRate = 0.1), TypeError);
  scheduled.learningRate = exponentialDecay({ initialLearningRate: 2, decaySteps: 1, decayRate: 1 });
  assert.equal(scheduled.currentLearningRate, 2);
  assert.throws(() => (sgd.learningRate = -1), /learning rate must be a non-negative number or a schedule, got -1/);
  sgd.learningRate = 0; // Keras allows 0 (warmup schedules start there)
});

/** `state` with every slot re-keyed from the variables of `from` to those of `to`. */
function remap(state: OptimizerState, from: Weight[], to: Weight[]): OptimizerState {
  const map = new Map(from.map((w, i) => [w.variable, to[i].variable]));
  const slots = Object.fromEntries(
    Object.entries(state.slots).map(([k, m]) => [k, new Map([...m].map(([v, t]) => [map.get(v)!, t]))]),
  );
  return { step: state.step, slots };
}

Deno.test("state round trip: a fresh optimizer from the config and the state continues bit-identically", () => {
  const makers: [string, () => Optimizer, boolean][] = [
    ["SGD nesterov", () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), false],
    ["AdamW", () => new AdamW({ learningRate: 0.01, clipNorm: 0.5 }), false],
    ["RMSprop", () => new RMSprop({ momentum: 0.5, centered: true, globalClipnorm: 1 }), false],
    ["Bop", () => new Bop({ threshold: 1e-3, gamma: 0.5, clipValue: 0.1 }), true],
  ];
  const grads = (k: number) => [Tensor.from([0.3 * k, -0.2, 0.1]), Tensor.from([[k, -1], [0.5, 2]])];
  for (const [label, make, binary] of makers) {
    const a = make(), wa = fixture.variables.map((v) => weight(v, binary));
    for (const k of [1, 2]) a.apply(wa.map((w, i) => ({ weight: w, grad: grads(k)[i] })));
    const b = optimizerFromConfig(a.getConfig()), wb = wa.map((w) => weight(w.variable.toArray() as Nested, binary));
    b.setState(remap(a.getState(), wa, wb));
    for (const k of [3, 4]) {
      a.apply(wa.map((w, i) => ({ weight: w, grad: grads(k)[i] })));
      b.apply(wb.map((w, i) => ({ weight: w, grad: grads(k)[i] })));
    }
    assert.deepEqual(wb.map((w) => [...w.variable.data]), wa.map((w) => [...w.variable.data]), label);
    assert.deepEqual(Object.keys(b.getState().slots), Object.keys(a.getState().slots), label);
  }
  assert.deepEqual(Object.keys(new RMSprop().getState().slots), ["velocity"]);
  assert.deepEqual(Object.keys(new RMSprop({ momentum: 0.1, centered: true }).getState().slots), [
    "velocity",
    "momentum",
    "average_gradient",
  ]);
});

Deno.test("clipping edge cases: a zero gradient keeps its value, a non-finite global norm makes NaN, Bop clips", () => {
  const w = weight([1, 2]);
  new SGD({ learningRate: 1, clipNorm: 1 }).apply([{ weight: w, grad: Tensor.from([0, 0]) }]);
  assert.deepEqual([...w.variable.data], [1, 2]);
  new SGD({ learningRate: 1, clipNorm: 1 }).apply([{ weight: w, grad: Tensor.from([3, 4]) }]);
  const f = Math.fround;
  assert.deepEqual([...w.variable.data], [f(1 - f(0.6)), f(2 - f(0.8))]); // g·1/5 in float32
  const v = weight([0, 0]);
  new SGD({ learningRate: 1, globalClipnorm: 1 }).apply([
    { weight: v, grad: Tensor.from([Infinity, 1]) },
  ]);
  assert.ok(v.variable.data.every(Number.isNaN));
  const b = weight([1, 1], true);
  new Bop({ threshold: 0, gamma: 1, clipValue: 0.5 }).apply([{ weight: b, grad: Tensor.from([2, -2]) }]);
  assert.deepEqual([...b.variable.data], [-1, 1]); // m = clip(g) = ±0.5: w·m = 0.5 > 0 flips, -0.5 keeps
});

Deno.test("getOptimizer: Keras's names in any case, configs, the optimizer itself; typed errors", () => {
  const names: [string, string][] = [["sgd", "SGD"], ["Adam", "Adam"], ["adamw", "AdamW"], ["RMSprop", "RMSprop"], [
    "bop",
    "Bop",
  ]];
  for (const [id, name] of names) assert.equal(getOptimizer(id).name, name);
  assert.equal(getOptimizer("adamw").getConfig().config.weight_decay, 0.004);
  const rms = new RMSprop({ learningRate: 0.01, rho: 0.8, centered: true, clipValue: 2, weightDecay: 0.1 });
  assert.deepEqual(getOptimizer(rms.getConfig()).getConfig(), rms.getConfig());
  assert.equal(getOptimizer(rms), rms);
  assert.throws(() => getOptimizer("adagrad"), /unknown optimizer "adagrad"; onebit knows sgd, adam/);
  assert.throws(() => getOptimizer(5 as unknown as string), TypeError);
  assert.throws(() => optimizerFromConfig({ class_name: "Adam", config: { amsgrad: true } }), /amsgrad = true/);
  assert.throws(() => optimizerFromConfig({ class_name: "Adam", config: { use_ema: true } }), /use_ema = true/);
  assert.throws(() => optimizerFromConfig({ class_name: "SGD", config: { beta_1: 0.9 } }), /unknown key "beta_1"/);
  assert.throws(() => optimizerFromConfig({ class_name: "Bop", config: { weight_decay: 0.1 } }), /weight_decay/);
  assert.throws(() => new Adam({ clipNorm: 1, clipValue: 1 }), /at most one of clipNorm, clipValue, globalClipnorm/);
  assert.throws(() => new SGD({ clipNorm: 0 }), /SGD: clipNorm must be a positive number or null, got 0/);
  assert.throws(() => new RMSprop({ rho: 1 }), /RMSprop: rho must be in \[0, 1\), got 1/);
  assert.throws(() => new AdamW({ weightDecay: -1 }), /AdamW: weightDecay must be a number ≥ 0/);
  assert.throws(() => new AdamW({ weightDecay: null }), /AdamW: weightDecay is required/);
  assert.throws(() => new Adam({ beta1: 1 }), /Adam: beta1 must be in \[0, 1\)/);
  assert.throws(() => new SGD("0.1" as unknown as number), TypeError);
});
