/**
 * The training run of tests/concurrency_test.ts's Workers: a small BNN fitted on seeded data.
 * @module
 */
import { setTrainingKernels } from "../graph/native.ts";
import { seededRandom } from "../graph/random.ts";
import { Tensor } from "../graph/tensor.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { Activation, BatchNormalization, Dense, QuantDense } from "../layers/all.ts";
import { Sequential } from "../models/sequential.ts";
import { Adam } from "../train/optimizers.ts";

/** A small BNN whose float products (32 × 32 × 64 per batch) are large enough to run on the compiled SGEMM. */
export function tinyModel(seed: number): Sequential {
  const binary = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" } as const;
  return new Sequential([
    new QuantDense(64, { kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip", inputShape: [32] }),
    new BatchNormalization(),
    new QuantDense(64, binary),
    new BatchNormalization(),
    new Dense(4),
    new Activation("softmax"),
  ], { seed });
}

/**
 * Fits {@link tinyModel} (seeded) for `epochs` epochs on seeded data, training's float kernels native on `threads`
 * threads; returns the weights in the model's order.
 */
export function trainTiny(seed: number, threads: number, epochs: number): Float32Array[] {
  setTrainingKernels(FloatKernels.native({ threads }));
  const next = seededRandom(seed + 1000);
  const n = 128;
  const y = Array.from({ length: n }, (_, i) => i % 4);
  const x = Float32Array.from({ length: n * 32 }, (_, i) => (i % 4 === y[i >> 5] ? 1 : 0) + next() - 0.5);
  const model = tinyModel(seed);
  model.compile({ optimizer: new Adam(0.01), loss: "sparse_categorical_crossentropy" });
  model.fitSync(new Tensor(x, [n, 32]), y, { epochs, batchSize: 32, seed, verbose: 0 });
  // In order, not by name: layer names count up within a realm.
  return [...model.getWeights().values()].map((w) => Float32Array.from(w.data));
}
