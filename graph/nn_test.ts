import assert from "node:assert/strict";
import { passes, rand } from "./_test_util.ts";
import * as nn from "./nn.ts";
import { conv2dTranspose } from "./conv.ts";
import * as ops from "./ops.ts";
import { valueAndGrads } from "./tape.ts";
import { Tensor } from "./tensor.ts";

Deno.test("pooling, pad, slice, concat, transpose: gradients match finite differences", () => {
  const x = rand([2, 5, 4, 3], 1);
  passes("maxPool valid", (v) => nn.maxPool2d(v, { poolSize: 2 }), [x]);
  passes("maxPool same strided", (v) => nn.maxPool2d(v, { poolSize: 3, strides: 2, padding: "same" }), [x]);
  passes("avgPool same", (v) => nn.avgPool2d(v, { poolSize: 3, strides: [2, 1], padding: "same" }), [x]);
  passes("global avg", (v) => nn.globalAvgPool2d(v), [x]);
  passes("pad", (v) => nn.pad(v, [[0, 0], [1, 2], [0, 1], [0, 0]], 1.5), [x]);
  passes("slice", (v) => nn.slice(v, [1, 1, 0, 1], [1, 3, -1, 2]), [x]);
  passes("concat", (a, b) => nn.concat([a, b], 2), [x, rand([2, 5, 2, 3], 2)]);
  passes("transpose", (v) => nn.transpose(v, [3, 0, 2, 1]), [x]);
  passes("flatten", (v) => nn.flatten(v), [x]);
});

Deno.test("activations, batch norm and losses: gradients match finite differences", () => {
  const raw = rand([3, 8], 3, -8, 8).data.map((v) => ([0, 6, 1, -1].some((k) => Math.abs(v - k) < 0.05) ? v + 0.2 : v));
  const x = new Tensor(raw, [3, 8]);
  passes("relu6", nn.relu6, [x]);
  passes("leakyRelu", (v) => nn.leakyRelu(v, 0.2), [x]);
  passes("leakyTanh", (v) => nn.leakyTanh(v), [x]);
  const f = rand([4, 3], 4, -2, 2);
  passes("batchNorm training", (v, g, b) => {
    const { mean, variance } = nn.moments(v);
    return nn.batchNorm(v, mean, variance, g, b, 1e-3);
  }, [f, rand([3], 5, 0.5, 1.5), rand([3], 6)]);
  passes("batchNormTraining (fused)", (v, g, b) => nn.batchNormTraining(v, g, b, 1e-3).y, [
    rand([2, 3, 2, 3], 11, -2, 2),
    rand([3], 12, 0.5, 1.5),
    rand([3], 13),
  ]);
  passes("batchNormTraining without γ, β", (v) => nn.batchNormTraining(v, null, null, 1e-3).y, [
    rand([5, 4], 14, -2, 2),
  ]);
  const logits = rand([4, 5], 7, -3, 3);
  passes("sparse CE from logits", (v) => nn.sparseCategoricalCrossentropy([0, 4, 2, 2], v, { fromLogits: true }), [
    logits,
  ]);
  passes("sparse CE from probabilities", (v) => nn.sparseCategoricalCrossentropy([3, 0, 1, 4], v), [
    rand([4, 5], 15, 0.05, 1),
  ]);
  passes("sparse softmax CE per row, rank 3", (v) => nn.sparseSoftmaxCrossEntropy([1, 0, 2, 2, 0, 1], v), [
    rand([2, 3, 3], 16, -4, 4),
  ]);
  passes("CE from probabilities", (v) => nn.categoricalCrossentropy(rand([4, 5], 8, 0, 1), v), [
    rand([4, 5], 9, 0.1, 1),
  ]);
  passes("MSE", (v) => nn.meanSquaredError(rand([4, 5], 10), v), [logits]);
});

Deno.test("exact behaviours: relu6 kinks, max-pool ties to the first, SAME avg excludes padding, CE clipping", () => {
  const g = (f: (t: Tensor) => Tensor, v: Tensor) => valueAndGrads(() => ops.sum(f(v)), [v]).grads[0].toArray();
  assert.deepEqual(g(nn.relu6, Tensor.from([-1, 0, 3, 6, 7])), [0, 0, 1, 0, 0]);
  assert.deepEqual(g((v) => nn.maxPool2d(v, { poolSize: [1, 3] }), Tensor.from([[[[2], [5], [5]]]])), [[[[0], [1], [
    0,
  ]]]]);
  assert.deepEqual(
    nn.avgPool2d(Tensor.from([[[[1], [2]], [[3], [4]]]]), { poolSize: 2, strides: 1, padding: "same" }).toArray(),
    [[[[2.5], [3]], [[3.5], [4]]]],
  );
  // A zero probability is clipped to 1e-7: -log(1e-7), as Keras.
  const ce = nn.sparseCategoricalCrossentropy([1], Tensor.from([[1, 0]], "float64"));
  assert(Math.abs(ce.item() + Math.log(1e-7)) < 1e-9, String(ce.item()));
  assert.throws(() => nn.sparseCategoricalCrossentropy([2], Tensor.from([[1, 0]])), /label 2/);
  assert.throws(() => nn.pad(Tensor.zeros([2]), [[1, -1]]), /paddings/);
  assert.throws(() => nn.transpose(Tensor.zeros([2, 3]), [0, 0]), /permutation/);
  assert.throws(() => nn.dropout(Tensor.zeros([2]), 1, Math.random), /rate/);
});

Deno.test("sparse softmax CE: -logSoftmax at the label bit for bit; its gradient (softmax - one-hot)·dy", () => {
  const x = new Tensor(Float32Array.from(rand([6, 10], 31, -6, 6).data), [6, 10]);
  const labels = [0, 9, 3, 3, 7, 1];
  const logp = ops.logSoftmax(x).data;
  assert.deepEqual(
    Array.from(nn.sparseSoftmaxCrossEntropy(labels, x).data),
    labels.map((l, r) => -logp[r * 10 + l]),
  );
  // The ops it replaced (one-hot targets times logSoftmax, summed): the same loss, gradients within a few ulps.
  const oneHot = new Tensor(new Float32Array(60).map((_, i) => (labels[Math.floor(i / 10)] === i % 10 ? 1 : 0)), [
    6,
    10,
  ]);
  const fused = valueAndGrads(() => ops.mean(nn.sparseSoftmaxCrossEntropy(labels, x)), [x]);
  const chain = valueAndGrads(() => ops.mean(ops.neg(ops.sum(ops.mul(oneHot, ops.logSoftmax(x)), -1))), [x]);
  assert.equal(fused.value.item(), chain.value.item());
  fused.grads[0].data.forEach((g, i) => assert(Math.abs(g - chain.grads[0].data[i]) <= 3e-8, `${i}: ${g}`));
  // A class at -Infinity has probability 0 (the one-hot product made the loss NaN); a wrong label names itself.
  const minusInf = Tensor.from([[-Infinity, 0, 0]]);
  assert.equal(nn.sparseSoftmaxCrossEntropy([1], minusInf).item(), Math.fround(Math.log(2)));
  assert.throws(() => nn.sparseSoftmaxCrossEntropy([0.5], minusInf), /label 0.5 at 0 is not a class in \[0, 3\)/);
  assert.throws(() => nn.sparseSoftmaxCrossEntropy([0, 1], minusInf), /2 labels for 1 predictions/);
});

Deno.test("dropout keeps the expected value and drops about `rate` of the values", () => {
  let s = 1;
  const random = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const y = nn.dropout(Tensor.fill([10000], 1), 0.3, random);
  const dropped = y.data.filter((v) => v === 0).length;
  assert(Math.abs(dropped / 10000 - 0.3) < 0.02, String(dropped));
  assert(Math.abs(ops.mean(y).item() - 1) < 0.03);
});

Deno.test("Keras details: sparse CE clips before renormalising; transposed conv default size with kernel < stride", () => {
  const p = Tensor.from([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]], "float64");
  const loss = nn.sparseCategoricalCrossentropy([0], p).item();
  // -log((1 - 1e-7) / (1 - 1e-7 + 9e-7)), Keras's value, not -log(1 - 1e-7).
  assert(Math.abs(loss - -Math.log((1 - 1e-7) / (1 + 8e-7))) < 1e-12, String(loss));
  assert.deepEqual(conv2dTranspose(Tensor.zeros([1, 2, 2, 1]), Tensor.zeros([1, 1, 3, 1]), { strides: 2 }).shape, [
    1,
    4,
    4,
    3,
  ]);
});

Deno.test("batchNormTraining equals moments + batchNorm bit for bit (float32)", () => {
  const x = rand([4, 5, 5, 7], 21, -3, 3), g = rand([7], 22, 0.5, 1.5), b = rand([7], 23);
  const [x32, g32, b32] = [x, g, b].map((t) => new Tensor(Float32Array.from(t.data), t.shape));
  const { mean, variance } = nn.moments(x32);
  const want = nn.batchNorm(x32, mean, variance, g32, b32, 1e-3);
  const got = nn.batchNormTraining(x32, g32, b32, 1e-3);
  assert.deepEqual([...got.y.data], [...want.data]);
  assert.deepEqual([...got.mean.data], [...mean.data]);
  assert.deepEqual([...got.variance.data], [...variance.data]);
  const noAffine = nn.batchNormTraining(x32, null, null, 1e-3).y;
  assert.deepEqual([...noAffine.data], [...nn.batchNorm(x32, mean, variance, null, null, 1e-3).data]);
});

Deno.test("pad and slice equal an index-by-index copy (runs joined over whole trailing axes)", () => {
  const shapes: [number[], [number, number][]][] = [
    [[2, 3, 4, 5], [[0, 0], [1, 2], [2, 1], [0, 0]]],
    [[2, 3, 4, 5], [[0, 0], [0, 0], [0, 0], [1, 0]]],
    [[3, 4], [[1, 1], [0, 0]]],
    [[2, 1, 3], [[0, 0], [0, 0], [0, 0]]],
    [[5], [[2, 3]]],
    [[2, 0, 3], [[1, 0], [1, 1], [0, 0]]],
  ];
  for (const [shape, paddings] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = new Tensor(Float32Array.from({ length: size }, (_, i) => i + 1), shape);
    const outShape = shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    const want = new Float32Array(outShape.reduce((a, b) => a * b, 1)).fill(-7);
    for (let i = 0; i < size; i++) {
      let rest = i, o = 0;
      const idx = shape.map(() => 0);
      for (let d = shape.length - 1; d >= 0; d--) idx[d] = rest % shape[d], rest = Math.floor(rest / shape[d]);
      for (let d = 0; d < shape.length; d++) o = o * outShape[d] + idx[d] + paddings[d][0];
      want[o] = i + 1;
    }
    const y = nn.pad(x, paddings, -7);
    assert.deepEqual([...y.data], [...want], `pad [${shape}] ${JSON.stringify(paddings)}`);
    const back = nn.slice(y, paddings.map((p) => p[0]), shape);
    assert.deepEqual([...back.data], [...x.data], `slice back [${shape}]`);
  }
});
