/**
 * fit's step-scoped buffer reuse (`reuseBuffers`, kernels/_step_buffers.ts) changes no bit: the weights after a few
 * steps are the same with the pool on and off, on larq's MNIST CNN, QuickNet-small and a small functional model
 * (BatchNorm, Dropout, a residual add, max and average pooling, dense), on the native backend (1 and 2 threads),
 * wasm and the TypeScript reference. A tensor kept from a step throws a clear error when read after it.
 */
import assert from "node:assert/strict";
import {
  Adam,
  fitSync,
  FloatKernels,
  input,
  larqMnistCnn,
  link,
  Model,
  quickNet,
  setTrainingKernels,
  Tensor,
} from "../mod.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Dropout, Flatten } from "../layers/core.ts";
import { QuantDense } from "../layers/dense.ts";
import { OperatorAdd } from "../layers/merge.ts";
import { AveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { Layer } from "../layers/layer.ts";
import { weightClip } from "../layers/layer.ts";
import { seededRandom } from "../graph/random.ts";
import {
  STEP_BUFFER_MIN_ELEMENTS,
  stepBufferReuses,
  stepBuffersHeldBytes,
  stepBuffersOpen,
} from "../kernels/_step_buffers.ts";
import { Bop, CaseOptimizer, isBinaryWeight, type Optimizer, RMSprop, SGD } from "../train/optimizers.ts";

type Which = "mnist" | "quicknet_small" | "mixed";

function available(make: () => FloatKernels): boolean {
  try {
    make();
    return true;
  } catch {
    return false;
  }
}

/** Conv + BN + Dropout + residual add + max pool + conv + average pool + dense: big enough to use the pool. */
function mixedModel(): Model {
  const bin = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
  const x = input([24, 24, 3]);
  let h = link(
    new QuantConv2D(16, 3, { padding: "same", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }).seed(
      seededRandom(5),
    ),
    x,
  );
  h = link(new BatchNormalization(), h);
  h = link(new Dropout(0.25).seed(seededRandom(9)), h);
  const r = h;
  h = link(new QuantConv2D(16, 3, { ...bin, padding: "same" }).seed(seededRandom(6)), h);
  h = link(new BatchNormalization(), h);
  h = link(new OperatorAdd(), h, r);
  h = link(new MaxPool2D(2), h);
  h = link(new QuantConv2D(16, 3, { ...bin, padding: "same" }).seed(seededRandom(7)), h);
  h = link(new AveragePooling2D(2), h);
  h = link(new Flatten(), h);
  h = link(new QuantDense(10, { ...bin }).seed(seededRandom(8)), h);
  return new Model(x, link(new Activation("softmax"), h));
}

function build(which: Which): { model: Model; shape: number[]; n: number } {
  if (which === "mnist") return { model: larqMnistCnn({ seed: 3 }), shape: [28, 28, 1], n: 32 };
  if (which === "quicknet_small") {
    const model = quickNet("quicknet_small", { inputShape: [32, 32, 3], numClasses: 10, seed: 3 });
    return { model, shape: [32, 32, 3], n: 8 };
  }
  return { model: mixedModel(), shape: [24, 24, 3], n: 16 };
}

/** Every weight after three Adam steps, as words, in the model's order. */
function trainedWords(which: Which, kernels: FloatKernels | "reference", reuseBuffers: boolean): Uint32Array[] {
  setTrainingKernels(kernels);
  try {
    const { model, shape, n } = build(which);
    const size = shape.reduce((a, b) => a * b, 1), r = seededRandom(11);
    const x = new Tensor(Float32Array.from({ length: 3 * n * size }, () => r() * 2 - 1), [3 * n, ...shape]);
    const y = Int32Array.from({ length: 3 * n }, (_, i) => (i * 7) % 10);
    fitSync(model, x, y, { optimizer: new Adam(0.01), batchSize: n, seed: 1, verbose: 0, reuseBuffers });
    return [...model.getWeights()].map(([, t]) => new Uint32Array(Float32Array.from(t.data).buffer));
  } finally {
    setTrainingKernels("auto");
  }
}

const BACKENDS: [string, () => FloatKernels | "reference"][] = [
  ["native 1 thread", () => FloatKernels.native({ threads: 1 })],
  ["native 2 threads", () => FloatKernels.native({ threads: 2 })],
  ["wasm", () => FloatKernels.wasm()],
  ["reference", () => "reference"],
];

for (const [label, make] of BACKENDS) {
  const ok = label === "reference" || available(make as () => FloatKernels);
  for (const which of ["mnist", "quicknet_small", "mixed"] as const) {
    Deno.test({
      name: `reuseBuffers: ${which} on ${label} trains to the same bits with the pool on and off`,
      ignore: !ok || (label === "reference" && which === "quicknet_small"),
      fn() {
        const want = trainedWords(which, make(), false), before = stepBufferReuses();
        const got = trainedWords(which, make(), true);
        assert.ok(stepBufferReuses() > before, "the pool handed no array out twice");
        assert.equal(got.length, want.length);
        for (const [k, w] of want.entries()) {
          const i = got[k].findIndex((v, j) => v !== w[j]);
          assert.equal(got[k].length, w.length);
          assert.equal(i, -1, `${which} on ${label}: weight ${k}, element ${i} differs with reuseBuffers`);
        }
      },
    });
  }
}

/** A layer that keeps its (big) input of each training call: what a user's debugging layer might do. */
class Keep extends Layer {
  kept: Tensor[] = [];
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    this.kept.push(x);
    return x;
  }
  getConfig() {
    return { name: this.name };
  }
}

Deno.test("reuseBuffers: a tensor kept from a step throws a clear error when read after the step", () => {
  const keep = new Keep();
  const x = input([24, 24, 3]);
  let h = link(new QuantConv2D(16, 3, { padding: "same" }).seed(seededRandom(5)), x);
  h = link(keep, h);
  h = link(new Flatten(), h);
  const model = new Model(x, link(new Activation("softmax"), link(new QuantDense(10, {}).seed(seededRandom(8)), h)));
  const r = seededRandom(2);
  const data = new Tensor(Float32Array.from({ length: 16 * 24 * 24 * 3 }, () => r() * 2 - 1), [16, 24, 24, 3]);
  const y = Int32Array.from({ length: 16 }, (_, i) => i % 10);
  fitSync(model, data, y, { optimizer: new Adam(0.01), batchSize: 16, verbose: 0 });
  const stale = keep.kept.at(-1)!;
  assert.ok(stale.shape.reduce((a, b) => a * b, 1) >= STEP_BUFFER_MIN_ELEMENTS);
  assert.throws(() => stale.data, /released at the end of a training step/);
  assert.throws(() => stale.toArray(), /released at the end of a training step/);
  assert.equal(stepBuffersOpen(), false);
  // Between steps the pool holds the last step's big arrays; when fit ends it holds none.
  const held: number[] = [];
  const onBatchEnd = () => void held.push(stepBuffersHeldBytes());
  fitSync(model, data, y, { optimizer: new Adam(0.01), batchSize: 8, verbose: 0, callbacks: [{ onBatchEnd }] });
  assert.ok(held.length === 2 && held.every((b) => b >= 4 * STEP_BUFFER_MIN_ELEMENTS), `held ${held}`);
  assert.equal(stepBuffersHeldBytes(), 0);
  // With the pool off, the same tensor stays readable.
  keep.kept.length = 0;
  fitSync(model, data, y, { optimizer: new Adam(0.01), batchSize: 16, verbose: 0, reuseBuffers: false });
  assert.equal(keep.kept.at(-1)!.data.length, 16 * 24 * 24 * 16);
});

/** Optimizers whose TypeScript path (the reference kernels) keeps op results as slots, on a weight of 76,800 values. */
const OPTIMIZERS: [string, () => Optimizer][] = [
  ["SGD with momentum", () => new SGD(0.05, 0.9)],
  ["RMSprop centered with momentum", () => new RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true })],
  ["Adam", () => new Adam(0.01)],
  ["CaseOptimizer(Bop, Adam)", () => new CaseOptimizer([[isBinaryWeight, new Bop(1e-6, 1e-3)]], new Adam(0.01))],
];

function bigDenseWords(optimizer: Optimizer, reuseBuffers: boolean): Uint32Array[] {
  setTrainingKernels("reference");
  try {
    const bin = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
    const x = input([600]);
    const h = link(new BatchNormalization(), link(new QuantDense(128, bin).seed(seededRandom(4)), x));
    const model = new Model(x, link(new Activation("softmax"), link(new QuantDense(10, {}).seed(seededRandom(5)), h)));
    const r = seededRandom(12);
    const data = new Tensor(Float32Array.from({ length: 24 * 600 }, () => r() * 2 - 1), [24, 600]);
    const y = Int32Array.from({ length: 24 }, (_, i) => i % 10);
    fitSync(model, data, y, { optimizer, batchSize: 8, epochs: 2, verbose: 0, reuseBuffers });
    return [...model.getWeights()].map(([, t]) => new Uint32Array(Float32Array.from(t.data).buffer));
  } finally {
    setTrainingKernels("auto");
  }
}

for (const [label, make] of OPTIMIZERS) {
  Deno.test(`reuseBuffers: ${label}'s slots of a big weight outlive the step, same bits as without the pool`, () => {
    const want = bigDenseWords(make(), false), got = bigDenseWords(make(), true);
    for (const [k, w] of want.entries()) {
      const i = got[k].findIndex((v, j) => v !== w[j]);
      assert.equal(i, -1, `${label}: weight ${k}, element ${i} differs with reuseBuffers`);
    }
  });
}
