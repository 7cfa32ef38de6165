/**
 * Metrics against tf-keras 2.16 (tests/fixtures/keras/metrics.json, written
 * by tools/py/keras_training_fixtures.py), Keras compile's choice of
 * "accuracy", equivalence with fit.ts's accuracy helpers, configs, and
 * larq's FlipRatio.
 */
import assert from "node:assert/strict";
import { type NestedArray, Tensor } from "../graph/tensor.ts";
import { seededRandom } from "../graph/random.ts";
import {
  accuracyFor,
  BinaryAccuracy,
  CategoricalAccuracy,
  FlipRatio,
  getMetric,
  Mean,
  type MetricConfig,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
} from "./metrics.ts";

interface MetricCase {
  metric: MetricConfig;
  batches: { y_true: NestedArray; y_pred: NestedArray }[];
  results: number[];
}
const fixture: {
  cases: MetricCase[];
  mean: { metric: MetricConfig; updates: { value: number | number[]; sample_weight: number }[]; results: number[] };
} = JSON.parse(Deno.readTextFileSync(new URL("../tests/fixtures/keras/metrics.json", import.meta.url)));

/** Non-finite scores are stored as strings ("NaN", "Infinity"): Number() reads them back. */
const tensor = (v: NestedArray) =>
  Tensor.from(JSON.parse(JSON.stringify(v), (_, x) => (typeof x === "string" ? Number(x) : x)));

Deno.test("FlipRatio: larq's sequence [1,1] → [2,2] → [1,2] gives 0, 1, 0.75", () => {
  const m = new FlipRatio();
  const got = [[1, 1], [2, 2], [1, 2]].map((v) => {
    m.update(Tensor.from(v));
    return m.result();
  });
  assert.deepEqual(got, [0, 1, 0.75]);
  m.reset();
  assert.equal(m.result(), 0);
  m.update(Tensor.from([1]));
  assert.throws(() => m.update(Tensor.from([1, 2])), RangeError);
});

Deno.test("metrics match tf-keras batch by batch: ties, non-finite scores, [N, 1] labels, thresholds; configs equal", () => {
  assert.equal(fixture.cases.length, 9);
  for (const c of fixture.cases) {
    const m = getMetric(c.metric);
    assert.deepEqual(m.getConfig(), c.metric);
    const got = c.batches.map((b) => {
      m.update(tensor(b.y_true), tensor(b.y_pred));
      return m.result();
    });
    // Keras keeps float32 totals.
    got.forEach((v, i) => assert(Math.abs(v - c.results[i]) < 1e-7, `${JSON.stringify(c.metric)}: ${got}`));
    m.reset();
    assert.equal(m.result(), 0);
  }
});

Deno.test("Mean: weighted as Keras's (tensor values each weighted), 0 before any update, config", () => {
  const m = new Mean();
  assert.equal(m.result(), 0);
  const got = fixture.mean.updates.map(({ value, sample_weight }) => {
    m.update(typeof value === "number" ? value : Tensor.from(value), sample_weight);
    return m.result();
  });
  assert.deepEqual(got, fixture.mean.results);
  assert.deepEqual(m.getConfig(), fixture.mean.metric);
  assert.throws(() => m.update(1, NaN), /sampleWeight must be a finite number/);
  assert.throws(() => m.update("1" as unknown as number), TypeError);
});

/** Oracles (the loops fit.ts had before the metric objects): first arg-max; label among the k highest (ties in). */
function accuracy(predictions: Tensor, labels: ArrayLike<number>): number {
  const classes = predictions.shape[1];
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (predictions.data[r * classes + c] > predictions.data[r * classes + best]) best = c;
    }
    if (best === labels[r]) hits++;
  }
  return hits / labels.length;
}

function topKAccuracy(predictions: Tensor, labels: ArrayLike<number>, k: number): number {
  const classes = predictions.shape[1];
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    const own = predictions.data[r * classes + labels[r]];
    let above = 0;
    for (let c = 0; c < classes; c++) if (predictions.data[r * classes + c] > own) above++;
    if (above < k) hits++;
  }
  return hits / labels.length;
}

Deno.test("the accuracies equal first-arg-max and in-top-k loops on ties and random scores", () => {
  const random = seededRandom(5);
  for (const classes of [1, 2, 7]) {
    // Scores on a coarse grid tie often.
    const p = new Tensor(Float32Array.from({ length: 50 * classes }, () => Math.floor(random() * 4) / 4), [
      50,
      classes,
    ]);
    const labels = Float32Array.from({ length: 50 }, () => Math.floor(random() * classes));
    const acc = new SparseCategoricalAccuracy();
    acc.update(new Tensor(labels, [50]), p);
    assert.equal(acc.result(), accuracy(p, labels));
    for (const k of [1, 2, 5]) {
      const top = new SparseTopKCategoricalAccuracy({ k });
      top.update(new Tensor(labels, [50]), p);
      assert.equal(top.result(), topKAccuracy(p, labels, k), `k = ${k}`);
    }
  }
});

Deno.test("accuracy by Keras compile's rule: one output → binary, labels of lower rank → sparse, else categorical", () => {
  assert.equal(accuracyFor([8], [8, 10]), "sparse_categorical_accuracy");
  assert.equal(accuracyFor([8, 1], [8, 10]), "sparse_categorical_accuracy");
  assert.equal(accuracyFor([8, 10], [8, 10]), "categorical_accuracy");
  assert.equal(accuracyFor([8, 1], [8, 1]), "binary_accuracy");
  assert.equal(accuracyFor([8], [8, 1]), "binary_accuracy");
  assert.equal(accuracyFor([8, 3], [8, 3]), "categorical_accuracy"); // multi-label: Keras's choice too
  const acc = getMetric("acc");
  assert.equal(acc.getConfig().config.fn, null);
  acc.update(Tensor.from([[1], [0]]), Tensor.from([[0.9], [0.7]]));
  assert.equal(acc.result(), 0.5);
  assert.deepEqual(acc.getConfig(), {
    class_name: "MeanMetricWrapper",
    config: { name: "acc", dtype: "float32", fn: "binary_accuracy" },
  });
  const again = getMetric(acc.getConfig());
  again.update(Tensor.from([[1], [0]]), Tensor.from([[0.9], [0.7]]));
  assert.equal(again.result(), 0.5);
  assert.ok(again instanceof BinaryAccuracy);
  assert.equal(getMetric({ class_name: "MeanMetricWrapper", config: { name: "accuracy", fn: null } }).name, "accuracy");
  // Keras's own serialisation of the wrapped function.
  const keras = { class_name: "function", config: "sparse_categorical_accuracy", module: "builtins" };
  assert.ok(
    getMetric({ class_name: "MeanMetricWrapper", config: { name: "accuracy", fn: keras } }) instanceof
      SparseCategoricalAccuracy,
  );
});

Deno.test("getMetric: Keras's names log under them, class names under Keras's defaults; configs round-trip", () => {
  const names: [string, string, number?][] = [
    ["sparse_categorical_accuracy", "sparse_categorical_accuracy"],
    ["top_k_categorical_accuracy", "top_k_categorical_accuracy", 5],
    ["sparse_top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", 5],
    ["TopKCategoricalAccuracy", "top_k_categorical_accuracy", 5],
    ["Accuracy", "Accuracy"],
  ];
  for (const [id, name, k] of names) {
    const m = getMetric(id);
    assert.equal(m.name, name);
    if (k) assert.equal(m.getConfig().config.k, k);
  }
  const metrics = [
    new SparseCategoricalAccuracy({ name: "acc" }),
    new CategoricalAccuracy(),
    new BinaryAccuracy({ threshold: 0.2 }),
    new SparseTopKCategoricalAccuracy({ k: 3 }),
    new TopKCategoricalAccuracy({ k: 1, name: "top1" }),
  ];
  for (const m of metrics) {
    assert.deepEqual(getMetric(m.getConfig()).getConfig(), m.getConfig());
    assert.equal(getMetric(m), m);
  }
});

Deno.test("metrics: typed errors name the value and the place", () => {
  assert.throws(() => getMetric("f1_score"), /unknown metric "f1_score"; onebit knows accuracy/);
  assert.throws(() => getMetric({ class_name: "AUC", config: {} }), /unknown metric class "AUC"/);
  assert.throws(
    () => getMetric({ class_name: "MeanMetricWrapper", config: { fn: "mae" } }),
    /MeanMetricWrapper of "mae"/,
  );
  assert.throws(() => getMetric({ class_name: "CategoricalAccuracy", config: { dtype: "float16" } }), /dtype float16/);
  assert.throws(() => getMetric(7 as unknown as string), TypeError);
  assert.throws(() => new TopKCategoricalAccuracy({ k: 0 }), /k must be a positive integer, got 0/);
  assert.throws(() => new BinaryAccuracy({ threshold: NaN }), /threshold must be a finite number/);
  assert.throws(() => new CategoricalAccuracy({ name: "" }), TypeError);
  assert.throws(
    () => new SparseCategoricalAccuracy().update(Tensor.from([1, 2, 3]), Tensor.from([[1, 0], [0, 1]])),
    /3 labels \(\[3\]\) for 2 predictions/,
  );
  assert.throws(
    () => new CategoricalAccuracy().update(Tensor.from([[1, 0]]), Tensor.from([[1, 0, 0]])),
    /yTrue \[1,2\] and yPred \[1,3\]/,
  );
});
