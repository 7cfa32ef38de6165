/**
 * larq's introductory MNIST CNN trained with TensorFlow.js (cpu backend: the
 * wasm backend has no conv backward kernels), written with tfjs-core ops:
 * ste_sign as a custom gradient on inputs and kernels, batch norm with batch
 * statistics and no scale, Adam. For bench/train.ts's time per batch.
 * @module
 */
// The union package: tfjs-core alone registers no gradients.
import * as tf from "@tensorflow/tfjs";

/** Milliseconds of each training step on random data (batch `batchSize`). */
export async function tfjsTrainSteps(steps: number, batchSize = 64): Promise<number[]> {
  await tf.setBackend("cpu");
  const steSign = tf.customGrad(
    ((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return {
        value: tf.where(tf.greaterEqual(x, 0), tf.onesLike(x), tf.neg(tf.onesLike(x))),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(saved[0]), 1), "float32")),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  ) as unknown as (x: tf.Tensor) => tf.Tensor;
  const v = (shape: number[]) => tf.variable(tf.randomUniform(shape, -0.1, 0.1));
  const k1 = v([3, 3, 1, 32]), k2 = v([3, 3, 32, 64]), k3 = v([3, 3, 64, 64]), d1 = v([576, 64]), d2 = v([64, 10]);
  const betas = [32, 64, 64, 64, 10].map((c) => tf.variable(tf.zeros([c])));
  const bn = (x: tf.Tensor, beta: tf.Variable) => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    return tf.add(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3))), beta);
  };
  const forward = (x: tf.Tensor4D): tf.Tensor => {
    let h: tf.Tensor = tf.conv2d(x, steSign(k1) as tf.Tensor4D, 1, "valid");
    h = bn(tf.maxPool(h as tf.Tensor4D, 2, 2, "valid"), betas[0]);
    h = tf.conv2d(steSign(h) as tf.Tensor4D, steSign(k2) as tf.Tensor4D, 1, "valid");
    h = bn(tf.maxPool(h as tf.Tensor4D, 2, 2, "valid"), betas[1]);
    h = bn(tf.conv2d(steSign(h) as tf.Tensor4D, steSign(k3) as tf.Tensor4D, 1, "valid"), betas[2]);
    h = tf.reshape(h, [h.shape[0], -1]);
    h = bn(tf.matMul(steSign(h) as tf.Tensor2D, steSign(d1) as tf.Tensor2D), betas[3]);
    return bn(tf.matMul(steSign(h) as tf.Tensor2D, steSign(d2) as tf.Tensor2D), betas[4]);
  };
  const optimizer = tf.train.adam(0.001);
  const x = tf.randomUniform([batchSize, 28, 28, 1], -1, 1) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batchSize }, (_, i) => i % 10), "int32"), 10);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), true);
    await loss!.data();
    loss!.dispose();
    times.push(performance.now() - t0);
  }
  return times;
}
