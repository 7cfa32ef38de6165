import assert from "node:assert/strict";
import { passes, rand } from "./_test_util.ts";
import * as ops from "./ops.ts";
import { customGradient, noGrad, record, stopGradient, valueAndGrads } from "./tape.ts";
import { Tensor, Variable } from "./tensor.ts";

Deno.test("gradients of elementwise binary ops with broadcasting match finite differences", () => {
  const pairs: [number[], number[]][] = [[[2, 3], [2, 3]], [[2, 3], [3]], [[4, 1, 3], [2, 1]], [[3], []]];
  for (const [sa, sb] of pairs) {
    const a = rand(sa, 1), b = rand(sb, 2, 0.5, 2);
    passes(`add ${sa} ${sb}`, ops.add, [a, b]);
    passes(`sub ${sa} ${sb}`, ops.sub, [a, b]);
    passes(`mul ${sa} ${sb}`, ops.mul, [a, b]);
    passes(`div ${sa} ${sb}`, ops.div, [a, b]);
    passes(`maximum ${sa} ${sb}`, ops.maximum, [a, ops.add(b, 0.013)]);
    passes(`minimum ${sa} ${sb}`, ops.minimum, [a, ops.add(b, 0.013)]);
  }
});

Deno.test("gradients of unary ops match finite differences (away from kinks)", () => {
  const x = rand([3, 4], 3).data.map((v) => (Math.abs(v) < 0.05 ? 0.3 : v));
  const t = new Tensor(x, [3, 4]);
  const pos = rand([3, 4], 4, 0.2, 3);
  for (
    const [name, f] of Object.entries({
      neg: ops.neg,
      abs: ops.abs,
      exp: ops.exp,
      square: ops.square,
      tanh: ops.tanh,
      cosh: ops.cosh,
      sigmoid: ops.sigmoid,
      relu: ops.relu,
    })
  ) {
    passes(name, f, [t]);
  }
  passes("log", ops.log, [pos]);
  passes("sqrt", ops.sqrt, [pos]);
  passes("clipByValue", (v) => ops.clipByValue(v, -0.5, 0.5), [t]);
  passes("where", (a, b) => ops.where(ops.greater(t, 0), a, b), [rand([3, 4], 5), rand([4], 6)]);
});

Deno.test("gradients of reductions, reshape, matmul and log-softmax match finite differences", () => {
  const x = rand([2, 3, 4], 7);
  passes("sum all", (v) => ops.sum(v), [x]);
  passes("sum axis 1", (v) => ops.mul(ops.sum(v, 1), rand([2, 4], 8)), [x]);
  passes("sum axes keepDims", (v) => ops.mul(ops.sum(v, [0, 2], true), rand([1, 3, 1], 9)), [x]);
  passes("mean", (v) => ops.mul(ops.mean(v, -1), rand([2, 3], 10)), [x]);
  passes("max", (v) => ops.mul(ops.max(v, 1), rand([2, 4], 11)), [x]);
  passes("reshape", (v) => ops.mul(ops.reshape(v, [6, -1]), rand([6, 4], 12)), [x]);
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const a = rand(ta ? [4, 3] : [3, 4], 13), b = rand(tb ? [5, 4] : [4, 5], 14);
    passes(`matmul ${ta} ${tb}`, (p, q) => ops.mul(ops.matmul(p, q, ta, tb), rand([3, 5], 15)), [a, b]);
  }
  passes("logSoftmax", (v) => ops.mul(ops.logSoftmax(v), rand([2, 3, 4], 16)), [x]);
  passes("softmax", (v) => ops.mul(ops.softmax(v), rand([2, 3, 4], 17)), [x]);
});

Deno.test("softmax: each value the float64 softmax rounded once (float32), or within 1e-14 (float64)", () => {
  for (const dtype of ["float32", "float64"] as const) {
    const x64 = rand([5, 7], 18, -9, 9);
    const x = dtype === "float32" ? new Tensor(Float32Array.from(x64.data), [5, 7]) : x64;
    const y = ops.softmax(x);
    assert.equal(y.dtype, dtype);
    for (let r = 0; r < 5; r++) {
      const row = Array.from(x.data.slice(r * 7, r * 7 + 7)), m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b);
      e.forEach((v, i) => {
        const got = y.data[r * 7 + i], exact = v / s;
        assert(Math.abs(got - exact) <= exact * (dtype === "float32" ? 2 ** -24 : 1e-14), `${dtype} ${r} ${i}`);
      });
    }
  }
  // Underflow: a value far below its row's maximum is 0, not NaN; ties share.
  assert.deepEqual(ops.softmax(Tensor.from([[0, -1000, 0]])).toArray(), [[0.5, 0, 0.5]]);
});

Deno.test("exact kinks: sign(0) = +1, relu'(0) = 0, clip gradient inclusive, max ties split the gradient", () => {
  const x = Tensor.from([-1, -0, 0, 1e-30, 2]);
  assert.deepEqual(ops.sign(x).toArray(), [-1, 1, 1, 1, 1]);
  assert.deepEqual(ops.heaviside(x).toArray(), [0, 0, 0, 1, 1]);
  const g = (f: (t: Tensor) => Tensor, v: Tensor) => valueAndGrads(() => ops.sum(f(v)), [v]).grads[0].toArray();
  assert.deepEqual(g(ops.relu, Tensor.from([-1, 0, 1])), [0, 0, 1]);
  assert.deepEqual(g((v) => ops.clipByValue(v, -1, 1), Tensor.from([-1.5, -1, 0, 1, 1.5])), [0, 1, 1, 1, 0]);
  assert.deepEqual(g((v) => ops.max(v), Tensor.from([3, 1, 3])), [0.5, 0, 0.5]);
  assert.deepEqual(ops.roundHalfEven(Tensor.from([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999])).toArray(), [0, 2, 2, -0, -2, 2]);
});

Deno.test("customGradient, stopGradient, noGrad and variables", () => {
  const w = new Variable(Tensor.from([0.5, -2]));
  const twice = customGradient((x: Tensor) => ({ value: ops.mul(x, 3), grad: (dy) => ops.mul(dy, 2) }));
  const { value, grads } = valueAndGrads(() => ops.sum(twice(w)), [w]);
  assert.equal(value.item(), -4.5);
  assert.deepEqual(grads[0].toArray(), [2, 2]);
  const stopped = valueAndGrads(() => ops.sum(ops.mul(stopGradient(w), w)), [w]).grads[0];
  assert.deepEqual(stopped.toArray(), [0.5, -2]);
  const none = valueAndGrads(() => noGrad(() => ops.sum(ops.mul(w, w))), [w]).grads[0];
  assert.deepEqual(none.toArray(), [0, 0]);
  // Two inputs, a custom gradient for each; and a branch used twice accumulates.
  const f = customGradient((a: Tensor, b: Tensor) => ({ value: ops.mul(a, b), grad: (dy) => [dy, ops.neg(dy)] }));
  const a = Tensor.from([1, 2]), b = Tensor.from([3, 4]);
  const r = valueAndGrads(() => ops.add(ops.sum(f(a, b)), ops.sum(f(a, b))), [a, b]);
  assert.deepEqual(r.grads.map((t) => t.toArray()), [[2, 2], [-2, -2]]);
  w.assign(Tensor.from([1, 1]));
  assert.deepEqual(w.toArray(), [1, 1]);
  assert.throws(() => w.assign(Tensor.from([1])), RangeError);
});

Deno.test("valueAndGrads hands each input a gradient array of its own: shared ones are copied, others handed over", () => {
  const a = Tensor.from([1, 2]), b = Tensor.from([3, 4]), c = Tensor.from([5, 6]);
  // add's gradient is dy for both inputs (one array), a listed twice, c's gradient computed for c alone.
  const r = valueAndGrads(() => ops.add(ops.sum(ops.add(a, b)), ops.sum(ops.mul(c, c))), [a, b, a, c]);
  const arrays = r.grads.map((g) => g.data);
  assert.equal(new Set(arrays).size, 4, "no two gradients share an array");
  r.grads[0].data[0] = 99;
  assert.deepEqual(r.grads.map((g) => g.toArray()), [[99, 1], [1, 1], [1, 1], [10, 12]]);
  // A gradient shared only with an intermediate's (reshape passes dy's array on) is handed over, not copied.
  let reached: Tensor | undefined;
  const capture = customGradient((t: Tensor) => ({ value: ops.mul(t, 1), grad: (dy) => (reached = dy) }));
  const w = Tensor.from([[1, 2], [3, 4]]);
  const q = valueAndGrads(() => ops.sum(ops.mul(ops.reshape(capture(w), [4]), Tensor.from([1, 2, 3, 4]))), [w]);
  assert.deepEqual(q.grads[0].toArray(), [[1, 2], [3, 4]]);
  assert.equal(q.grads[0].data, reached!.data);
});

Deno.test("bad input: shapes that do not broadcast, bad axes, bad reshape, bad matmul", () => {
  assert.throws(() => ops.add(Tensor.zeros([2, 3]), Tensor.zeros([4])), /do not broadcast/);
  assert.throws(() => ops.sum(Tensor.zeros([2]), 3), /axis 3/);
  assert.throws(() => ops.reshape(Tensor.zeros([6]), [4, -1]), /cannot reshape/);
  assert.throws(() => ops.matmul(Tensor.zeros([2, 3]), Tensor.zeros([2, 3])), /inner dimensions/);
  assert.throws(() => new Tensor(new Float32Array(3), [2, 2]), RangeError);
  assert.throws(() => Tensor.zeros([-1]), TypeError);
});

Deno.test("the tape refuses nested valueAndGrads and variables assigned after use", () => {
  const x = Tensor.from([1, 2]);
  assert.throws(() => valueAndGrads(() => valueAndGrads(() => ops.sum(x), [x]).value, [x]), /cannot be nested/);
  // The tape is usable again afterwards.
  assert.deepEqual(valueAndGrads(() => ops.sum(ops.mul(x, x)), [x]).grads[0].toArray(), [2, 4]);
  const v = new Variable(Tensor.from([2]));
  assert.throws(() =>
    valueAndGrads(() => {
      const y = ops.mul(v, v);
      v.assign(Tensor.from([10]));
      return ops.sum(y);
    }, [v]), /assigned after "mul" used it/);
});

Deno.test("an op without a registered gradient records, and fails at backward time naming the op", () => {
  const x = Tensor.from([1, 2]);
  const { value } = valueAndGrads(() => ops.sum(x), [x]);
  assert.equal(value.item(), 3);
  assert.throws(
    () =>
      valueAndGrads(() => {
        const y = new Tensor(Float32Array.from(x.data, (v) => v * v), x.shape);
        record("square_without_gradient", [x], y);
        return ops.sum(y);
      }, [x]),
    /op "square_without_gradient" has no gradient: .*registerGradient\("square_without_gradient"/,
  );
});
