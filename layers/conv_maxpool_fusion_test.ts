/**
 * A Sequential model, and a functional Model, runs a first convolution and the max pooling after it as one op (QuantConv2D
 * applyWithMaxPool, graph/conv.ts conv2dMaxPool): the loss and every weight's gradient the same bits as the
 * layers called one by one, on native (1, 2 and 3 threads) and wasm; the input's gradient too where it is asked
 * for; and the layers it leaves alone (a bias, an activation, overlapping windows) still run as two.
 */
import assert from "node:assert/strict";
import { conv2dMaxPool } from "../graph/conv.ts";
import { setTrainingKernels } from "../graph/native.ts";
import * as ops from "../graph/ops.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import { compiledFloatKernels } from "../kernels/_test_train_backends.ts";
import { Model } from "../models/model.ts";
import { Sequential } from "../models/sequential.ts";
import { input } from "./symbolic.ts";
import { BatchNormalization } from "./batch_norm.ts";
import { QuantConv2D } from "./conv.ts";
import { Flatten } from "./core.ts";
import { QuantDense } from "./dense.ts";
import type { Layer } from "./layer.ts";
import { MaxPool2D } from "./pooling.ts";

/** Native on 1-3 threads and wasm (a missing native library is an error under ONEBIT_REQUIRE_NATIVE=1). */
const compiled = compiledFloatKernels.map(([, k]) => k);

/** larq's MNIST CNN's head, smaller: ste_sign kernel, weight_clip, no bias; then a pool, BN, a dense layer. */
function model(conv: Partial<ConstructorParameters<typeof QuantConv2D>[2]> = {}, poolStrides?: [number, number]) {
  return new Sequential([
    new QuantConv2D(32, 3, {
      kernelQuantizer: "ste_sign",
      kernelConstraint: "weight_clip",
      useBias: false,
      ...conv,
    }),
    new MaxPool2D(2, { strides: poolStrides }),
    new BatchNormalization({ scale: false }),
    new Flatten(),
    new QuantDense(10, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", useBias: false }),
  ], { seed: 3, inputShape: [14, 13, 1] });
}

const x = new Tensor(Float32Array.from({ length: 5 * 14 * 13 }, (_, i) => Math.sin(i * 0.37) * 2), [5, 14, 13, 1]);
const probe = new Tensor(Float32Array.from({ length: 50 }, (_, i) => Math.cos(i)), [5, 10]);
const bits = (t: Tensor | null) => t === null ? null : [...new Uint32Array((t.data as Float32Array).slice().buffer)];

/** Loss and gradients (the input's with `input`), through the model (fused) or its layers one by one. */
function grads(m: Sequential, fused: boolean, input: boolean) {
  const run = () =>
    fused ? m.apply(x, { training: true }) : (m.layers as Layer[]).reduce((y, l) => l.apply(y, { training: true }), x);
  const vars = m.weights.map((w) => w.variable);
  const r = valueAndGrads(() => ops.sum(ops.mul(run(), probe)), input ? [x, ...vars] : vars);
  return { loss: bits(r.value), grads: r.grads.map(bits) };
}

Deno.test("Sequential: a first convolution and its max pool as one op, the layers' loss and gradients bit for bit", () => {
  assert(compiled.length >= (Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1" ? 3 : 1));
  try {
    for (const kernels of compiled) {
      setTrainingKernels(kernels);
      for (const input of [false, true]) {
        const m = model();
        m.apply(x); // built
        const [conv, pool] = m.layers as [QuantConv2D, MaxPool2D];
        assert.notEqual(conv.applyWithMaxPool(x, pool), null, "the pair fuses");
        assert.deepEqual(grads(m, true, input), grads(m, false, input), `${kernels.backend}, input gradient ${input}`);
      }
    }
  } finally {
    setTrainingKernels("auto");
  }
});

Deno.test("Sequential: a convolution with a bias, an activation, or overlapping pool windows runs as two ops", () => {
  try {
    setTrainingKernels(compiled[0]);
    for (
      const [m, why] of [
        [model({ useBias: true }), "bias"],
        [model({ activation: "relu" }), "activation"],
        [model({}, [1, 1]), "overlapping windows"],
      ] as const
    ) {
      m.apply(x);
      const [conv, pool] = m.layers as [QuantConv2D, MaxPool2D];
      assert.equal(conv.applyWithMaxPool(x, pool), null, why);
      assert.deepEqual(grads(m, true, false), grads(m, false, false), why);
    }
    // The op itself declines what it cannot fuse: more input channels than the direct path takes.
    assert.equal(
      conv2dMaxPool(Tensor.zeros([1, 6, 6, 8]), Tensor.zeros([3, 3, 8, 4]), {}, {
        poolSize: [2, 2],
        strides: [2, 2],
      }),
      null,
    );
  } finally {
    setTrainingKernels("auto");
  }
});

Deno.test("conv2dMaxPool: training kernels switched to the reference between the passes give the same gradient", () => {
  if (compiled.length === 0) return;
  const w = new Tensor(Float32Array.from({ length: 9 * 32 }, (_, i) => Math.cos(i * 0.7)), [3, 3, 1, 32]);
  const pool = { poolSize: [2, 2] as [number, number], strides: [2, 2] as [number, number] };
  const probe = new Tensor(Float32Array.from({ length: 5 * 6 * 5 * 32 }, (_, i) => Math.sin(i)), [5, 6, 5, 32]);
  try {
    setTrainingKernels(compiled[0]);
    const want = valueAndGrads(() => ops.sum(ops.mul(conv2dMaxPool(x, w, {}, pool)!, probe)), [w]);
    const got = valueAndGrads(() => {
      const y = conv2dMaxPool(x, w, {}, pool)!;
      setTrainingKernels("reference");
      return ops.sum(ops.mul(y, probe));
    }, [w]);
    assert.deepEqual(bits(got.grads[0]), bits(want.grads[0]));
  } finally {
    setTrainingKernels("auto");
  }
});

/** The same layers as `model()` in a functional Model; `tap`: the convolution's output is also a model output. */
function functional(tap = false) {
  const m = model();
  const [conv, pool, ...rest] = m.layers as Layer[];
  const x = input([14, 13, 1]);
  const c = conv.apply(x);
  const y = rest.reduce((t, l) => l.apply(t), pool.apply(c));
  return { model: new Model(tap ? [x] : x, tap ? [y, c] : y), conv: conv as QuantConv2D };
}

/** Counts `conv.applyWithMaxPool` calls that fused (returned a tensor). */
function countFusions(conv: QuantConv2D): { fused: number } {
  const count = { fused: 0 }, original = conv.applyWithMaxPool.bind(conv);
  conv.applyWithMaxPool = (x, pool) => {
    const y = original(x, pool);
    if (y) count.fused++;
    return y;
  };
  return count;
}

Deno.test("Model: a convolution read only by a max pool runs with it as one op, the layers' loss and gradients bit for bit", () => {
  try {
    for (const kernels of compiled) {
      setTrainingKernels(kernels);
      const { model: m, conv } = functional();
      const count = countFusions(conv);
      const vars = m.weights.map((w) => w.variable);
      const fused = valueAndGrads(() => ops.sum(ops.mul(m.apply(x, { training: true }), probe)), vars);
      assert.equal(count.fused, 1, `${kernels.backend}: the pair fused`);
      // run without fuse: the layers one by one.
      const plain = valueAndGrads(
        () => ops.sum(ops.mul(m.run([x], true).get(m.output)!, probe)),
        vars,
      );
      assert.equal(count.fused, 1, "run() without fuse calls the layers");
      assert.deepEqual(
        [bits(fused.value), ...fused.grads.map(bits)],
        [bits(plain.value), ...plain.grads.map(bits)],
        kernels.backend,
      );
    }
  } finally {
    setTrainingKernels("auto");
  }
});

Deno.test("Model: a convolution whose output is also a model output runs as its own op", () => {
  const { model: m, conv } = functional(true);
  const count = countFusions(conv);
  const [y, c] = m.call([x]);
  assert.equal(count.fused, 0);
  assert.deepEqual([y.shape, c.shape], [[5, 10], [5, 12, 11, 32]]);
});
