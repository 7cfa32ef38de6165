/**
 * Regularizers against tf-keras 2.16 (tests/fixtures/keras/regularizers.json,
 * written by tools/py/keras_training_fixtures.py): values, gradients (|w|'s
 * is 0 at 0, as TF), configs; float64 gradients against finite differences.
 */
import assert from "node:assert/strict";
import { passes, rand } from "../graph/_test_util.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { type NestedArray, Tensor } from "../graph/tensor.ts";
import { getRegularizer, L1, L1L2, L2, type RegularizerConfig } from "./regularizers.ts";

const fixture: {
  w: NestedArray;
  cases: { regularizer: RegularizerConfig; value: number; grad: NestedArray }[];
} = JSON.parse(Deno.readTextFileSync(new URL("../tests/fixtures/keras/regularizers.json", import.meta.url)));

/** Keras stores the factors as float32 in its configs (0.01 → 0.009999999776482582). */
function sameConfig(got: RegularizerConfig, keras: RegularizerConfig): void {
  assert.equal(got.class_name, keras.class_name);
  assert.deepEqual(Object.keys(got.config).sort(), Object.keys(keras.config).sort());
  for (const [k, v] of Object.entries(got.config)) assert.equal(Math.fround(v as number), keras.config[k], k);
}

Deno.test("L1, L2, L1L2 match tf-keras values, gradients and configs", () => {
  const identifiers = [new L1(), new L2(0.05), new L1L2({ l1: 0.01, l2: 0.02 }), new L1L2(), getRegularizer("l1_l2")!];
  assert.equal(fixture.cases.length, identifiers.length);
  fixture.cases.forEach((c, i) => {
    const r = identifiers[i], w = Tensor.from(fixture.w);
    sameConfig(r.getConfig(), c.regularizer);
    sameConfig(getRegularizer(c.regularizer)!.getConfig(), c.regularizer);
    const { value, grads } = valueAndGrads(() => r.call(w), [w]);
    assert(Math.abs(value.item() - c.value) <= 1e-6 * Math.abs(c.value), `${i}: ${value.item()} vs ${c.value}`);
    const want = Tensor.from(c.grad).data;
    grads[0].data.forEach((g, j) => assert(Math.abs(g - want[j]) <= 1e-7 + 1e-6 * Math.abs(want[j]), `${i}[${j}]`));
  });
});

Deno.test("regularizer gradients match central finite differences (float64)", () => {
  const w = rand([3, 4], 31, -2, 2);
  for (const r of [new L1(0.3), new L2(0.2), new L1L2({ l1: 0.1, l2: 0.4 })]) {
    passes(JSON.stringify(r.getConfig()), (v) => r.call(v), [w]);
  }
});

Deno.test("getRegularizer: Keras's names (l1 and l2 mean 0.01), configs round-trip, null, typed errors", () => {
  assert.deepEqual(getRegularizer("l1")!.getConfig(), { class_name: "L1", config: { l1: 0.01 } });
  assert.deepEqual(getRegularizer("l2")!.getConfig(), { class_name: "L2", config: { l2: 0.01 } });
  assert.deepEqual(getRegularizer("L1L2")!.getConfig(), { class_name: "L1L2", config: { l1: 0, l2: 0 } });
  assert.equal(getRegularizer(null), null);
  assert.equal(getRegularizer(undefined), null);
  for (const r of [new L1(0.2), new L2(0), new L1L2({ l2: 1e-4 })]) {
    assert.deepEqual(getRegularizer(r.getConfig())!.getConfig(), r.getConfig());
    assert.equal(getRegularizer(r), r);
  }
  assert.equal(new L1L2().call(Tensor.from([1, 2])).item(), 0);
  assert.throws(() => getRegularizer("l3"), /unknown regularizer "l3"; onebit knows l1/);
  assert.throws(() => getRegularizer({ class_name: "Orthogonal", config: {} }), /unknown regularizer class/);
  assert.throws(() => getRegularizer({ class_name: "L1", config: { l2: 1 } }), /unknown keys l2/);
  assert.throws(() => new L2(-1), /L2: l2 must be a finite number ≥ 0, got -1/);
  assert.throws(() => new L1L2({ l1: NaN }), /L1L2: l1/);
  assert.throws(() => getRegularizer(3 as unknown as string), TypeError);
});
