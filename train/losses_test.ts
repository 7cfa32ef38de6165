/**
 * Losses against tf-keras 2.16 (tests/fixtures/keras/losses.json, written by
 * tools/py/keras_training_fixtures.py): values and gradients from logits,
 * from softmax/sigmoid outputs and from probabilities; float64 gradients
 * against finite differences; configs equal to Keras's and round-tripped.
 */
import assert from "node:assert/strict";
import { passes, rand } from "../graph/_test_util.ts";
import * as ops from "../graph/ops.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { type NestedArray, Tensor } from "../graph/tensor.ts";
import {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  getLoss,
  type Loss,
  type LossConfig,
  MeanSquaredError,
  SparseCategoricalCrossentropy,
} from "./losses.ts";

interface Case {
  loss: LossConfig;
  y_true: NestedArray;
  input: "logits" | "probabilities" | "softmax" | "sigmoid";
  x: NestedArray;
  value: number;
  grad: NestedArray;
}
const fixture: { cases: Case[] } = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/keras/losses.json", import.meta.url)),
);

const through = {
  logits: (x: Tensor) => x,
  probabilities: (x: Tensor) => x,
  softmax: ops.softmax,
  sigmoid: ops.sigmoid,
};

function close(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

Deno.test("losses match tf-keras values and gradients (logits, softmax/sigmoid outputs, probabilities)", () => {
  assert.equal(fixture.cases.length, 18);
  for (const c of fixture.cases) {
    const what = `${c.loss.class_name} ${JSON.stringify(c.loss.config)} on ${c.input}`;
    const loss = getLoss(c.loss);
    assert.deepEqual(loss.getConfig(), c.loss, `${what}: config`);
    const x = Tensor.from(c.x), yTrue = Tensor.from(c.y_true);
    const warn = console.warn;
    console.warn = () => {}; // the fromLogits-on-a-softmax case warns, as Keras
    try {
      const { value, grads } = valueAndGrads(() => loss.call(yTrue, through[c.input](x)), [x]);
      close([value.item()], [c.value], 2e-6, 0, `${what}: value`);
      close(grads[0].data, Tensor.from(c.grad).data, 1e-4, 1e-7, `${what}: gradient`);
    } finally {
      console.warn = warn;
    }
  }
});

Deno.test("from a softmax/sigmoid output the loss ignores ε-clipping; plain probabilities are clipped", () => {
  // p(label) = e^-30 / (1 + e^-30): clipped to 1e-7 it would cost -log(1e-7) ≈ 16.1; from the logits 30.
  const z = Tensor.from([[30, 0]]);
  const sparse = new SparseCategoricalCrossentropy();
  assert(Math.abs(sparse.call(Tensor.from([1]), ops.softmax(z)).item() - 30) < 1e-5);
  const copy = Tensor.from([...ops.softmax(z).data]).data;
  const clipped = sparse.call(Tensor.from([1]), Tensor.from([[copy[0], copy[1]]])).item();
  assert(Math.abs(clipped - -Math.log(1e-7)) < 1e-3, `clipped: ${clipped}`);
  // A sigmoid's output is not a softmax's: categorical cross-entropy clips it.
  const s = ops.sigmoid(Tensor.from([[-40, 40]]));
  assert(Math.abs(new CategoricalCrossentropy().call(Tensor.from([[1, 0]]), s).item() - -Math.log(1e-7)) < 1e-3);
  const bce = new BinaryCrossentropy().call(Tensor.from([[1, 0]]), s).item();
  assert(Math.abs(bce - 40) < 1e-4, `bce ${bce}`);
});

Deno.test("loss gradients match central finite differences (float64), including σ's kink-free x = 0", () => {
  const logits = rand([4, 5], 21, -3, 3), probs = rand([4, 5], 22, 0.05, 1);
  const oneHot = Tensor.from([[1, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 1, 0, 0], [0.2, 0.2, 0.2, 0.2, 0.2]], "float64");
  const labels = Tensor.from([0, 4, 2, 1], "float64");
  const cases: [string, Loss, Tensor, Tensor, (x: Tensor) => Tensor][] = [
    ["sparse from logits", new SparseCategoricalCrossentropy({ fromLogits: true }), labels, logits, (x) => x],
    ["sparse from softmax", new SparseCategoricalCrossentropy(), labels, logits, ops.softmax],
    ["sparse from probabilities", new SparseCategoricalCrossentropy(), labels, probs, (x) => x],
    [
      "CE smoothed from logits",
      new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }),
      oneHot,
      logits,
      (
        x,
      ) => x,
    ],
    ["CE from softmax", new CategoricalCrossentropy({ labelSmoothing: 0.3 }), oneHot, logits, ops.softmax],
    ["CE from probabilities", new CategoricalCrossentropy(), oneHot, probs, (x) => x],
    ["BCE from logits", new BinaryCrossentropy({ fromLogits: true }), oneHot, logits, (x) => x],
    ["BCE from sigmoid", new BinaryCrossentropy({ labelSmoothing: 0.2 }), oneHot, logits, ops.sigmoid],
    ["BCE from probabilities", new BinaryCrossentropy(), oneHot, rand([4, 5], 23, 0.05, 0.95), (x) => x],
    ["MSE", new MeanSquaredError(), oneHot, logits, (x) => x],
  ];
  for (const [name, loss, yTrue, x, f] of cases) passes(name, (v) => loss.call(yTrue, f(v)), [x]);
  // TF's gradient of sigmoid_cross_entropy_with_logits at x = 0 is σ(0) - z = 0.5 - z.
  const x0 = Tensor.from([[0, 0]]);
  const { grads } = valueAndGrads(
    () => new BinaryCrossentropy({ fromLogits: true }).call(Tensor.from([[1, 0]]), x0),
    [x0],
  );
  assert.deepEqual(grads[0].toArray(), [[-0.25, 0.25]]);
});

Deno.test("getLoss: Keras's names and aliases, configs round-trip, typed errors", () => {
  const names: [string, string][] = [
    ["sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"],
    ["categorical_crossentropy", "CategoricalCrossentropy"],
    ["binary_crossentropy", "BinaryCrossentropy"],
    ["bce", "BinaryCrossentropy"],
    ["mse", "MeanSquaredError"],
    ["mean_squared_error", "MeanSquaredError"],
    ["MeanSquaredError", "MeanSquaredError"],
  ];
  for (const [name, cls] of names) assert.equal(getLoss(name).getConfig().class_name, cls, name);
  const losses = [
    new SparseCategoricalCrossentropy({ fromLogits: true, name: "sce" }),
    new CategoricalCrossentropy({ labelSmoothing: 0.2 }),
    new BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }),
    new MeanSquaredError(),
  ];
  for (const l of losses) {
    assert.deepEqual(getLoss(l.getConfig()).getConfig(), l.getConfig());
    assert.equal(getLoss(l), l);
  }
  assert.throws(() => getLoss("hinge"), /unknown loss "hinge"; onebit knows/);
  assert.throws(() => getLoss({ class_name: "Huber", config: {} }), /unknown loss class "Huber"/);
  assert.throws(
    () => getLoss({ class_name: "CategoricalCrossentropy", config: { reduction: "sum" } }),
    /reduction "sum"/,
  );
  assert.throws(() => getLoss({ class_name: "CategoricalCrossentropy", config: { axis: 1 } }), /axis 1/);
  assert.throws(() => getLoss({ class_name: "MeanSquaredError", config: { delta: 1 } }), /unknown keys delta/);
  assert.throws(() => getLoss(42 as unknown as string), TypeError);
  assert.throws(() => new CategoricalCrossentropy({ labelSmoothing: 1.5 }), RangeError);
  assert.throws(() => new BinaryCrossentropy({ fromLogits: "yes" as unknown as boolean }), TypeError);
  assert.throws(
    () => new CategoricalCrossentropy().call(Tensor.from([[1, 0]]), Tensor.from([[0.5, 0.3, 0.2]])),
    /yTrue \[1,2\] and yPred \[1,3\]/,
  );
  assert.throws(() => new SparseCategoricalCrossentropy().call(Tensor.from([3]), Tensor.from([[0.5, 0.5]])), /label 3/);
});

Deno.test("BinaryCrossentropy takes [N] targets for [N, 1] predictions, as Keras squeezes them", () => {
  const p = Tensor.from([[0.2], [0.9]]);
  const a = new BinaryCrossentropy().call(Tensor.from([0, 1]), p).item();
  const b = new BinaryCrossentropy().call(Tensor.from([[0], [1]]), p).item();
  assert.equal(a, b);
  assert(Math.abs(a - -(Math.log(0.8 + 1e-7) + Math.log(0.9 + 1e-7)) / 2) < 1e-6);
});
