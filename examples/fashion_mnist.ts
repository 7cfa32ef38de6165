/**
 * A binarized CNN on Fashion-MNIST, trained in TypeScript with the
 * Keras-shaped API (`compile`, `await fit`, `evaluate`), then converted to
 * `.tflite` and checked against the trained model on the test set.
 *
 * The model is larq's introductory BNN (`larqMnistCnn`: the first conv keeps
 * real inputs, then ste_sign binary conv blocks with weight_clip and batch
 * norm, binary dense layers, a final batch norm and softmax); the recipe is
 * larq's: inputs scaled to [-1, 1], Adam, batch 64, with the learning rate
 * falling from 0.001 to 0 along a cosine over the whole run (Keras's
 * `CosineDecay`; `--lr constant` keeps 0.001 as larq's tutorial does). With a
 * constant rate the last epoch's test accuracy swings by up to 16 points on
 * both sides as latent weights keep flipping sign against the batch norms'
 * moving statistics; the decay lets them settle. Even so, the first conv's
 * and the last dense kernel's latent weights hover around 0 and keep
 * flipping signs to the end (larq's too), so the moving statistics trail the
 * final weights; after training, `recalibrateBatchNorm` recomputes them from
 * one pass over the training data with the weights frozen (`--recalibrate
 * none` skips it), and the converted model has the recalibrated ones. The
 * data is the fixed class-balanced 60,000/10,000 split of
 * `fashion_mnist_data.ts`;
 * `tools/py/fashion_mnist_larq.py` trains the same model in larq on the same
 * file, and `deno task bench:fashion` runs both for several seeds.
 *
 *     deno run -A examples/fashion_mnist.ts [--seed 1] [--epochs 5] [--train 60000] [--test 10000]
 *       [--batch-size 64] [--lr cosine|constant] [--recalibrate pass|none] [--data PATH]
 *       [--out fashion_mnist.tflite] [--json]
 *
 * Each epoch prints its training time (test scoring excluded); then the test
 * accuracy after recalibration; `--json` adds one last line with the results
 * for the comparison script.
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import {
  Adam,
  convert,
  cosineDecay,
  formatReport,
  Interpreter,
  larqMnistCnn,
  recalibrateBatchNorm,
  type Sequential,
  Tensor,
  writeFileAtomic,
} from "../mod.ts";
import { CLASSES, defaultSplitPath, type FashionSet, loadFashionMnist, PIXELS } from "./fashion_mnist_data.ts";

/** What one run measured (the `--json` line). */
export interface FashionRun {
  /** Which side ran (the Python twin writes "larq"). */
  framework: "onebit";
  /** Seeds the initial weights and the shuffling. */
  seed: number;
  /** Epochs trained. */
  epochs: number;
  /** Test accuracy after each epoch (0..1), with the moving statistics training left. */
  testAccuracy: number[];
  /** Test accuracy after recalibrating the batch norms on one pass over the training data (null: not done). */
  recalibratedAccuracy: number | null;
  /** Seconds the recalibration took (0 when not done). */
  recalibrationSeconds: number;
  /** Mean training loss of each epoch. */
  trainLoss: number[];
  /** The learning-rate schedule: cosine decay from 0.001 to 0, or a constant 0.001. */
  lr: "cosine" | "constant";
  /** Seconds of training per epoch (test scoring excluded). */
  epochSeconds: number[];
  /** CPU seconds (user + system, all threads of the process) of training per epoch: less moved by a busy machine. */
  epochCpuSeconds: number[];
  /** SHA-256 of the split file trained on. */
  sha256: string;
  /** Test images on which the converted model predicts the same class as the TS model. */
  convertedAgree: number;
  /** Largest |difference| of the converted model's probabilities from the TS model's. */
  convertedMaxDiff: number;
}

/** The first `n` samples of a set as model inputs scaled to [-1, 1] (as larq's tutorial) and labels. */
export function toTensors(set: FashionSet, n: number = set.labels.length): { x: Tensor; y: Int32Array } {
  if (!Number.isInteger(n) || n < 1 || n > set.labels.length) {
    throw new RangeError(`sample count must be an integer in 1..${set.labels.length}, got ${n}`);
  }
  const x = new Float32Array(n * PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = set.images[i] / 127.5 - 1;
  return { x: new Tensor(x, [n, 28, 28, 1]), y: Int32Array.from(set.labels.subarray(0, n)) };
}

/** Converts `model` and runs each test image through the interpreter: agreement with the TS model. */
function checkConverted(model: Sequential, test: { x: Tensor; y: Int32Array }) {
  const { bytes, report } = convert(model, { inputShape: [28, 28, 1] });
  const interpreter = Interpreter.fromBytes(bytes);
  const ts = model.predict(test.x).data;
  let correct = 0, agree = 0, maxDiff = 0;
  for (let i = 0; i < test.y.length; i++) {
    const image = test.x.data.subarray(i * PIXELS, (i + 1) * PIXELS) as Float32Array;
    const p = interpreter.invoke([image])[0] as Float32Array;
    for (let k = 0; k < CLASSES; k++) maxDiff = Math.max(maxDiff, Math.abs(p[k] - ts[i * CLASSES + k]));
    const label = argmax(p, 0);
    correct += label === test.y[i] ? 1 : 0;
    agree += label === argmax(ts, i * CLASSES) ? 1 : 0;
  }
  return { bytes, report, accuracy: correct / test.y.length, agree, maxDiff };
}

/** This process's CPU time so far, user + system, in seconds. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function argmax(a: ArrayLike<number>, offset: number): number {
  let best = 0;
  for (let k = 1; k < CLASSES; k++) if (a[offset + k] > a[offset + best]) best = k;
  return best;
}

/** Trains, scores and converts; prints one line per epoch. */
export async function run(options: {
  seed: number;
  epochs: number;
  train: number;
  test: number;
  batchSize: number;
  /** The learning-rate schedule (default "cosine"). */
  lr?: "cosine" | "constant";
  /** After training, recompute the batch norms' statistics from one pass over the training data (default "pass"). */
  recalibrate?: "pass" | "none";
  /** The split file (default: the cache, made when missing). */
  data?: string;
  /** Where to write the converted model (default: not written). */
  out?: string;
}): Promise<FashionRun> {
  const path = options.data ?? defaultSplitPath();
  const data = await loadFashionMnist(path);
  console.log(`split ${path}: sha256 ${data.sha256}`);
  const train = toTensors(data.train, options.train), test = toTensors(data.test, options.test);
  const model = larqMnistCnn({ seed: options.seed });
  const lr = options.lr ?? "cosine";
  const steps = options.epochs * Math.ceil(options.train / options.batchSize);
  const rate = lr === "cosine" ? cosineDecay({ initialLearningRate: 0.001, decaySteps: steps }) : 0.001;
  model.compile({ optimizer: new Adam(rate), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  const testAccuracy: number[] = [],
    trainLoss: number[] = [],
    epochSeconds: number[] = [],
    epochCpuSeconds: number[] = [];
  let t0 = 0, cpu0 = 0;
  await model.fit(train.x, train.y, {
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed: options.seed,
    verbose: 0,
    callbacks: [{
      onEpochBegin: () => {
        t0 = performance.now();
        cpu0 = cpuSeconds();
      },
      onEpochEnd: (e, logs) => {
        epochSeconds.push((performance.now() - t0) / 1000);
        epochCpuSeconds.push(cpuSeconds() - cpu0);
        testAccuracy.push(model.evaluate(test.x, test.y).accuracy);
        trainLoss.push(logs.loss);
        console.log(
          `epoch ${e + 1}: loss ${logs.loss.toFixed(4)}, train accuracy ${(100 * logs.accuracy).toFixed(2)}%, ` +
            `test accuracy ${(100 * testAccuracy[e]).toFixed(2)}%, ${epochSeconds[e].toFixed(1)} s ` +
            `(${epochCpuSeconds[e].toFixed(1)} s CPU)`,
        );
      },
    }],
  });
  let recalibratedAccuracy: number | null = null, recalibrationSeconds = 0;
  if ((options.recalibrate ?? "pass") === "pass") {
    const t = performance.now();
    await recalibrateBatchNorm(model, train.x, { batchSize: options.batchSize, seed: options.seed });
    recalibrationSeconds = (performance.now() - t) / 1000;
    recalibratedAccuracy = model.evaluate(test.x, test.y).accuracy;
    console.log(
      `batch norms recalibrated on the ${options.train} training images (${recalibrationSeconds.toFixed(1)} s): ` +
        `test accuracy ${(100 * recalibratedAccuracy).toFixed(2)}%`,
    );
  }
  const converted = checkConverted(model, test);
  if (options.out) await writeFileAtomic(options.out, converted.bytes);
  console.log(
    `${options.out ? `wrote ${options.out} (${converted.bytes.length} bytes)\n` : ""}${
      formatReport(converted.report)
    }\n` +
      `converted model: test accuracy ${(100 * converted.accuracy).toFixed(2)}%, same prediction as the TS model ` +
      `on ${converted.agree} of ${test.y.length} images, probabilities within ${converted.maxDiff.toExponential(1)}`,
  );
  return {
    framework: "onebit",
    seed: options.seed,
    epochs: options.epochs,
    lr,
    testAccuracy,
    recalibratedAccuracy,
    recalibrationSeconds,
    trainLoss,
    epochSeconds,
    epochCpuSeconds,
    sha256: data.sha256,
    convertedAgree: converted.agree,
    convertedMaxDiff: converted.maxDiff,
  };
}

/** An option's value as an integer of at least `min`; a RangeError naming the option otherwise. */
function integerOption(values: Record<string, unknown>, name: string, min: number): number {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`--${name} must be an integer >= ${min}, got ${values[name]}`);
  }
  return v;
}

/** The `--recalibrate` option: "pass" or "none"; a RangeError otherwise. */
function recalibrateOption(v: string | undefined): "pass" | "none" {
  if (v !== "pass" && v !== "none") throw new RangeError(`--recalibrate must be pass or none, got ${v}`);
  return v;
}

/** The `--lr` option: "cosine" or "constant"; a RangeError otherwise. */
function lrOption(v: string | undefined): "cosine" | "constant" {
  if (v !== "cosine" && v !== "constant") throw new RangeError(`--lr must be cosine or constant, got ${v}`);
  return v;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      epochs: { type: "string", default: "5" },
      train: { type: "string", default: "60000" },
      test: { type: "string", default: "10000" },
      "batch-size": { type: "string", default: "64" },
      lr: { type: "string", default: "cosine" },
      recalibrate: { type: "string", default: "pass" },
      data: { type: "string", default: defaultSplitPath() },
      out: { type: "string", default: "fashion_mnist.tflite" },
      json: { type: "boolean", default: false },
    },
  });
  try {
    const result = await run({
      seed: integerOption(values, "seed", 0),
      epochs: integerOption(values, "epochs", 1),
      train: integerOption(values, "train", 1),
      test: integerOption(values, "test", 1),
      batchSize: integerOption(values, "batch-size", 1),
      lr: lrOption(values.lr),
      recalibrate: recalibrateOption(values.recalibrate),
      data: values.data,
      out: values.out || undefined,
    });
    if (values.json) console.log(JSON.stringify(result));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    Deno.exit(1);
  }
}
