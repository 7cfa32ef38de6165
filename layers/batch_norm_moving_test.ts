/**
 * BatchNormalization's moving statistics after a training call, updated in one float32 loop, equal bit for bit
 * the ops they replace (Keras's fused kernel for 4-D inputs, with the Bessel-corrected variance; its
 * assign_moving_average otherwise), over several steps and momenta.
 */
import assert from "node:assert/strict";
import { BatchNormalization } from "./batch_norm.ts";
import * as nn from "../graph/nn.ts";
import * as ops from "../graph/ops.ts";
import { seededRandom } from "../graph/random.ts";
import { Tensor } from "../graph/tensor.ts";

function randomTensor(shape: number[], r: () => number, scale: number): Tensor {
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() - 0.3) * scale), shape);
}

Deno.test("BatchNormalization: the moving statistics' float32 loop equals the ops it replaces, bit for bit", () => {
  const r = seededRandom(11);
  for (const shape of [[4, 5, 5, 8], [16, 8], [3, 7, 8]]) {
    for (const momentum of [0.99, 0.9, 0.5]) {
      const layer = new BatchNormalization({ momentum });
      let mean = new Tensor(new Float32Array(8), [8]), variance = new Tensor(new Float32Array(8).fill(1), [8]);
      for (let step = 0; step < 4; step++) {
        const x = randomTensor(shape, r, 3 + step);
        layer.apply(x, { training: true });
        // The ops, as the layer ran them before its float32 loop.
        const batch = nn.batchNormTraining(x, layer.gamma, layer.beta, layer.epsilon);
        const n = x.size / 8, f = 1 - momentum;
        const unbiased = x.rank === 4 && n > 1 ? ops.mul(batch.variance, n / (n - 1)) : batch.variance;
        if (x.rank === 4) {
          mean = ops.add(ops.mul(mean, 1 - f), ops.mul(batch.mean, f));
          variance = ops.add(ops.mul(variance, 1 - f), ops.mul(unbiased, f));
        } else {
          mean = ops.sub(mean, ops.mul(ops.sub(mean, batch.mean), f));
          variance = ops.sub(variance, ops.mul(ops.sub(variance, unbiased), f));
        }
        const at = `[${shape}] momentum ${momentum} step ${step}`;
        assert.deepEqual(layer.movingMean.data, mean.data, `${at} mean`);
        assert.deepEqual(layer.movingVariance.data, variance.data, `${at} variance`);
      }
    }
  }
});
