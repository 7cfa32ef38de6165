/**
 * A training step gives the same weights on 1, 2 and 3 native threads, bit for bit: every kernel a step runs
 * (SGEMMs cut by row groups or depth slices, convolutions, batch norm, pooling's gradient scatter, packing)
 * splits work without changing any sum's order. Two steps of larq's MNIST CNN and of QuickNet-small.
 */
import assert from "node:assert/strict";
import { Adam, fitSync, FloatKernels, larqMnistCnn, quickNet, setTrainingKernels, Tensor } from "../mod.ts";

let available = true;
try {
  FloatKernels.native();
} catch (e) {
  if (Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
  available = false;
}

/** Every weight of `which` after two Adam steps on `threads` threads, as words, in the model's order. */
function trainedWords(which: "mnist" | "quicknet_small", threads: number): [string, Uint32Array][] {
  setTrainingKernels(FloatKernels.native({ threads }));
  try {
    const mnist = which === "mnist";
    const model = mnist
      ? larqMnistCnn({ seed: 3 })
      : quickNet("quicknet_small", { inputShape: [32, 32, 3], numClasses: 10, seed: 3 });
    const shape = mnist ? [28, 28, 1] : [32, 32, 3], n = mnist ? 64 : 16, size = shape.reduce((a, b) => a * b, 1);
    const x = new Tensor(Float32Array.from({ length: n * size }, (_, i) => Math.sin(i * 0.37)), [n, ...shape]);
    const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % 10);
    fitSync(model, x, y, { optimizer: new Adam(0.01), epochs: 2, batchSize: n, seed: 1, verbose: 0 });
    // Each model instance numbers its layers anew: weights are compared in order.
    return [...model.getWeights()].map(([name, t]) => [name, new Uint32Array(Float32Array.from(t.data).buffer)]);
  } finally {
    setTrainingKernels("auto");
  }
}

for (const which of ["mnist", "quicknet_small"] as const) {
  Deno.test({
    name: `${which}: two training steps give the same weights on 1, 2 and 3 native threads`,
    ignore: !available,
    fn() {
      const want = trainedWords(which, 1);
      for (const threads of [2, 3]) {
        const got = trainedWords(which, threads);
        assert.equal(got.length, want.length);
        for (const [k, [name, w]] of want.entries()) {
          const g = got[k][1], i = g.findIndex((v, j) => v !== w[j]);
          assert.equal(g.length, w.length, name);
          assert.equal(i, -1, `${which} ${name}: element ${i} differs on ${threads} threads from 1 thread`);
        }
      }
    },
  });
}
