/**
 * Hostile inputs to training and running (issue #21): NaN/Inf in inputs
 * (fit does what tf-keras does, from the same weights:
 * tests/fixtures/hostile/nan_fit.json by tools/py/hostile_fit_fixtures.py),
 * labels out of range, empty data, shapes that change between batches,
 * gigantic declared dimensions, checkpoints whose safetensors header lies,
 * NaN and wrong-typed interpreter inputs. Every failure is a RangeError or
 * TypeError naming the problem, raised before anything is allocated or
 * written.
 */
import assert from "node:assert/strict";
import { Tensor } from "../graph/tensor.ts";
import { Dense } from "../layers/dense.ts";
import { Sequential } from "../models/sequential.ts";
import { modelFromConfig } from "../models/serialize.ts";
import { saveCheckpoint } from "../models/checkpoint.ts";
import { loadCheckpoint } from "../models/load.ts";
import { Dataset } from "../train/data.ts";
import { TerminateOnNaN } from "../train/callbacks.ts";
import type { EpochLogs } from "../train/fit.ts";
import { SGD } from "../train/optimizers.ts";
import { decodeSafetensors, encodeSafetensors } from "../train/safetensors.ts";
import { Interpreter } from "../runtime/interpreter.ts";

/** A small classifier compiled as the fixtures' Keras model (SGD 0.1, sparse cross-entropy). */
function classifier(activation: string | null = "relu"): Sequential {
  const m = new Sequential([
    new Dense(4, { activation: activation as "relu" }),
    new Dense(3, { activation: "softmax" }),
  ], { inputShape: [2], seed: 1 });
  m.compile({ optimizer: new SGD(0.1), loss: "sparse_categorical_crossentropy" });
  return m;
}

const x4 = Tensor.from([[1, 2], [3, 4], [5, 6], [7, 8]]);
const y4 = [0, 1, 2, 0];

/** Asserts `f` throws `type` with a message matching `message`, and returns nothing else. */
async function rejects(f: () => unknown, type: typeof RangeError | typeof TypeError, message: RegExp): Promise<void> {
  let error: unknown = null;
  try {
    await f();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof type, `expected a ${type.name}, got ${(error as Error)?.stack ?? "no error"}`);
  assert.match((error as Error).message, message);
}

// --- NaN and Inf in training inputs: what tf-keras does ---

interface NanCase {
  name: string;
  activation: string | null;
  terminate: boolean;
  x: (number | string)[][];
  y: number[];
  init: number[][];
  batch_losses: (number | string)[];
  epoch_losses: (number | string)[];
  final: (number | string)[][];
}
const num = (v: number | string) => typeof v === "number" ? v : Number(v.replace("inf", "Infinity"));
const nanCases: NanCase[] = JSON.parse(
  Deno.readTextFileSync(new URL("./fixtures/hostile/nan_fit.json", import.meta.url)),
).cases;

function sameFloat(got: number, want: number, where: string): void {
  if (Number.isNaN(want)) return assert.ok(Number.isNaN(got), `${where}: ${got}, tf-keras NaN`);
  if (!Number.isFinite(want)) return assert.equal(got, want, where);
  assert.ok(Math.abs(got - want) <= 1e-5 * (1 + Math.abs(want)), `${where}: ${got}, tf-keras ${want}`);
}

for (const c of nanCases) {
  Deno.test(`NaN/Inf inputs: fit does what tf-keras does (${c.name})`, async () => {
    const model = classifier(c.activation);
    model.setWeights(c.init.map((w) => w.flat(2) as number[]));
    const batches: number[] = [];
    const log = { onBatchEnd: (_b: number, logs: EpochLogs) => void batches.push(logs.loss) };
    const history = await model.fit(new Tensor(Float32Array.from(c.x.flat().map(num)), [4, 2]), c.y, {
      epochs: 2,
      batchSize: 2,
      shuffle: false,
      verbose: 0,
      callbacks: c.terminate ? [log, new TerminateOnNaN()] : [log],
    });
    assert.equal(batches.length, c.batch_losses.length, `batches run: ${batches}`);
    batches.forEach((l, i) => sameFloat(l, num(c.batch_losses[i]), `batch ${i} loss`));
    assert.equal(history.history.loss.length, c.epoch_losses.length);
    history.history.loss.forEach((l, i) => sameFloat(l, num(c.epoch_losses[i]), `epoch ${i} loss`));
    model.weights.map((w) => w.variable).forEach((w, k) =>
      c.final[k].forEach((v, i) => sameFloat(w.data[i], num(v), `weight ${k}[${i}]`))
    );
  });
}

// --- labels, empty data, wrong types, shapes that change ---

Deno.test("hostile training data: labels out of range, no samples, wrong types: typed errors naming them", async () => {
  for (const bad of [3, -1, 1.5, NaN]) {
    const model = classifier();
    const before = model.weights.map((w) => [...w.variable.data]);
    await rejects(() => model.fit(x4, [0, 1, bad, 0], { verbose: 0 }), RangeError, /label .* not a class in \[0, 3\)/);
    assert.deepEqual(model.weights.map((w) => [...w.variable.data]), before, "the bad batch changed no weight");
  }
  const none = new Tensor(new Float32Array(0), [0, 2]);
  await rejects(() => classifier().fit(none, [], { verbose: 0 }), RangeError, /no samples/);
  await rejects(() => classifier().evaluate(none, []), RangeError, /no samples/);
  await rejects(() => classifier().fit(x4, y4, { batchSize: 0, verbose: 0 }), RangeError, /batchSize/);
  await rejects(
    () => classifier().fit("abc" as unknown as Tensor, y4, { verbose: 0 }),
    TypeError,
    /x must be a Tensor/,
  );
  await rejects(() => classifier().fit([x4, 7] as unknown as Tensor[], y4, { verbose: 0 }), TypeError, /x must be/);
  await rejects(() => classifier().fit(x4, "abcd" as unknown as number[], { verbose: 0 }), TypeError, /targets/);
  await rejects(
    () => classifier().fit(Tensor.from([[1, 2, 3]]), [0], { verbose: 0 }),
    RangeError,
    /takes \[batch, 2\]/,
  );
});

Deno.test("a Dataset whose batch shape changes mid-epoch: a RangeError naming the batch; weights untouched by it", async () => {
  const model = classifier();
  const batches = [
    { x: Tensor.from([[1, 2], [3, 4]]), y: Tensor.from([0, 1]) },
    { x: Tensor.from([[1, 2, 3]]), y: Tensor.from([2]) },
  ];
  const before: number[][] = [];
  const record = {
    onBatchEnd: () =>
      void before.splice(0, before.length, ...model.weights.map((w) => w.variable).map((w) => [...w.data])),
  };
  await rejects(
    () => model.fit(Dataset.fromAsyncIterable(batches), { epochs: 1, verbose: 0, callbacks: [record] }),
    RangeError,
    /takes \[batch, 2\], got \[1,3\]/,
  );
  // The bad batch changed nothing: the weights are those after the good one.
  assert.deepEqual(model.weights.map((w) => w.variable).map((w) => [...w.data]), before);
  // Batches of different sizes (the last one short) are fine, as in Keras.
  const ragged = Dataset.fromTensors(x4, Tensor.from(y4)).batch(3);
  const h = await model.fit(ragged, { epochs: 1, verbose: 0 });
  assert.ok(Number.isFinite(h.history.loss[0]));
});

// --- gigantic declared dimensions: fail before allocating ---

function sequentialConfig(inputDim: number, units: unknown) {
  return {
    class_name: "Sequential",
    config: {
      name: "s",
      layers: [
        { class_name: "InputLayer", config: { batch_input_shape: [null, inputDim], name: "in" } },
        { class_name: "Dense", config: { units, name: "d" } },
      ],
    },
  };
}

Deno.test("gigantic declared dimensions in a layer, a model config and a checkpoint fail fast, before allocating", async () => {
  const fast = async (f: () => unknown, type: typeof RangeError | typeof TypeError, message: RegExp) => {
    const t0 = performance.now();
    await rejects(f, type, message);
    assert.ok(performance.now() - t0 < 15_000, `took ${performance.now() - t0} ms`); // generous: CI machines are loaded
  };
  const huge = /weight "d\/kernel" of shape \[[0-9e+,]+\] has [0-9e+.]+ values, more than/;
  await fast(
    () => new Sequential([new Dense(2 ** 40, { name: "d" })], { inputShape: [2] }).apply(Tensor.zeros([1, 2])),
    RangeError,
    huge,
  );
  await fast(() => modelFromConfig(sequentialConfig(100000, 100000) as never), RangeError, huge);
  await fast(() => modelFromConfig(sequentialConfig(1e12, 2) as never), RangeError, /more than/);
  await fast(() => modelFromConfig(sequentialConfig(4, -3) as never), RangeError, /units must be a positive integer/);
  await fast(() => modelFromConfig(sequentialConfig(4, "x") as never), TypeError, /units must be an integer/);
  await fast(() => modelFromConfig(sequentialConfig(4, 1e300) as never), RangeError, /units|more than/);
  // A padding no memory holds (found by tests/fuzz_parsers.ts): a RangeError naming the layer, not the engine's words.
  const padded = {
    class_name: "Sequential",
    config: {
      name: "p",
      layers: [
        { class_name: "InputLayer", config: { batch_input_shape: [null, 4, 4, 1], name: "in" } },
        { class_name: "ZeroPadding2D", config: { padding: [[1e12, 0], [0, 0]], name: "zp" } },
      ],
    },
  };
  await fast(() => modelFromConfig(padded as never), RangeError, /layer "zp": .*(do not fit in memory|more than)/);
  // A checkpoint whose model config declares a gigantic layer: the same error, from loadCheckpoint.
  const dir = await Deno.makeTempDir();
  try {
    const small = new Sequential([new Dense(2, { name: "d" })], { inputShape: [3], seed: 1 });
    small.apply(Tensor.zeros([1, 3]));
    await saveCheckpoint(`${dir}/c.safetensors`, small);
    const { tensors, metadata } = decodeSafetensors(await Deno.readFile(`${dir}/c.safetensors`));
    metadata.model = metadata.model.replace('"units":2', '"units":2000000000000');
    await Deno.writeFile(`${dir}/big.safetensors`, encodeSafetensors(Object.fromEntries(tensors), metadata));
    await fast(() => loadCheckpoint(`${dir}/big.safetensors`), RangeError, /more than/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- safetensors headers that lie ---

/** A safetensors file from a header object and a body. */
function safetensors(header: unknown, body = new Uint8Array(16)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

Deno.test("safetensors headers that lie: every lie is a RangeError naming the tensor, nothing read past the file", () => {
  const t = (dtype: unknown, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const lies: [string, unknown, RegExp][] = [
    ["past the end", { a: t("F32", [8], [0, 32]) }, /"a".*offsets \[0,32\]/],
    ["negative", { a: t("F32", [1], [-4, 0]) }, /"a".*offsets/],
    ["end before begin", { a: t("F32", [0], [8, 4]) }, /"a".*offsets/],
    ["not integers", { a: t("F32", [1], [0.5, 4.5]) }, /"a".*offsets/],
    ["missing", { a: { dtype: "F32", shape: [1] } }, /"a".*offsets/],
    ["overlapping", { a: t("F32", [2], [0, 8]), b: t("F32", [2], [4, 12]) }, /"b".*overlaps "a"/],
    ["dtype/shape mismatch", { a: t("F32", [3], [0, 8]) }, /"a".*shape \[3\]/],
    ["negative dims", { a: t("F32", [-1, -2], [0, 8]) }, /"a".*shape/],
    ["fractional dims", { a: t("F32", [0.5, 4], [0, 8]) }, /"a".*shape/],
    ["shape not a list", { a: t("F32", "4", [0, 16]) }, /"a".*shape/],
    ["gigantic dims", { a: t("F32", [2 ** 40, 2 ** 40], [0, 16]) }, /"a".*shape/],
    ["unknown dtype", { a: t("I4", [1], [0, 4]) }, /"a".*dtype/],
    ["entry not an object", { a: 7 }, /"a"/],
    ["header an array", [1, 2], /header/],
    ["metadata not strings", { __metadata__: { format: 7 } }, /metadata/],
  ];
  for (const [what, header, message] of lies) {
    assert.throws(() => decodeSafetensors(safetensors(header)), (e: Error) => {
      assert.ok(e instanceof RangeError, `${what}: ${e.stack}`);
      assert.match(e.message, message, what);
      return true;
    });
  }
  // The honest neighbour of the lies decodes.
  const ok = decodeSafetensors(safetensors({ a: t("F32", [2], [0, 8]), b: t("F32", [2], [8, 16]) }));
  assert.deepEqual([...ok.tensors.keys()], ["a", "b"]);
  // A header length that points past the file, or is gigantic.
  const bytes = safetensors({});
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
  assert.throws(() => decodeSafetensors(bytes), /header length/);
});

// --- the interpreter ---

const fixture = (name: string) => Deno.readFileSync(new URL(`./fixtures/lce/${name}.tflite`, import.meta.url));

Deno.test("interpreter inputs: NaN runs (IEEE propagation, binarized as +1), wrong types and sizes are typed errors", () => {
  const it = Interpreter.fromBytes(fixture("bconv_chain"), { backend: "reference" });
  const spec = it.inputs[0];
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const finite = it.invoke([new Float32Array(n).fill(0.5)])[0] as Float32Array;
  assert.ok(finite.every(Number.isFinite));
  // NaN packs as +1 (the bitpacking convention: x < 0 is -1), so binarized layers see +1.
  // bconv_chain binarizes its input first: all-NaN reads as all +1.
  const nan = it.invoke([new Float32Array(n).fill(NaN)])[0] as Float32Array;
  assert.deepEqual(nan, it.invoke([new Float32Array(n).fill(1)])[0]);
  // A float model propagates NaN as IEEE arithmetic does.
  const float = Interpreter.fromBytes(fixture("builtins"), { backend: "reference" });
  const nanIn = float.inputs.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(NaN));
  assert.ok(float.invoke(nanIn).some((y) => Array.from(y as ArrayLike<number>).some(Number.isNaN)));
  assert.throws(() => it.invoke([new Int32Array(n)]), TypeError);
  assert.throws(() => it.invoke([new Float32Array(n - 1)]), RangeError);
  assert.throws(() => it.invoke(new Float32Array(n) as never), TypeError);
  assert.throws(() => it.invoke([]), RangeError);
  assert.throws(() => it.invoke(["x"] as never), TypeError);
  assert.throws(() => it.invoke({ nope: new Float32Array(n) }), TypeError);
  // After every refusal the interpreter still gives the same answer.
  assert.deepEqual(it.invoke([new Float32Array(n).fill(0.5)])[0], finite);
});
