import assert from "node:assert/strict";
import { Tensor } from "../graph/tensor.ts";
import { Dataset } from "./data.ts";

/** x: rows [i, 10 + i] (i = 0 … n - 1), y: i · 100. */
function numbered(n: number): { x: Tensor; y: Tensor } {
  return {
    x: Tensor.from(Array.from({ length: n }, (_, i) => [i, 10 + i])),
    y: Tensor.from(Array.from({ length: n }, (_, i) => i * 100)),
  };
}

/** The first x value of each element: which row it came from. */
async function order(ds: AsyncIterable<{ x: Tensor }>): Promise<number[]> {
  const out: number[] = [];
  for await (const e of ds) out.push(e.x.data[0]);
  return out;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("Dataset.fromTensors: rows along axis 0, in order, every epoch; several inputs; cardinality", async () => {
  const { x, y } = numbered(5);
  const ds = Dataset.fromTensors(x, y);
  assert.equal(ds.cardinality(), 5);
  for (let epoch = 0; epoch < 2; epoch++) {
    const items = await ds.toArray();
    assert.deepEqual(items.map((e) => [...e.x.data]), range(5).map((i) => [i, 10 + i]));
    assert.deepEqual(items.map((e) => e.y.shape), new Array(5).fill([]));
    assert.deepEqual(items.map((e) => e.y.item()), range(5).map((i) => i * 100));
  }
  const two = await Dataset.fromTensors([x, Tensor.zeros([5, 2, 3], "float64")]).toArray();
  assert.deepEqual(two[4].x.map((t) => t.shape), [[2], [2, 3]]);
  assert.equal(two[4].x[1].dtype, "float64");
  assert.equal("y" in two[0], false);
});

Deno.test("Dataset.fromArrays: nested arrays as float32 tensors", async () => {
  const items = await Dataset.fromArrays([[1, 2], [3, 4], [5, 6]], [0, 1, 1]).toArray();
  assert.deepEqual(items.map((e) => [[...e.x.data], e.y.item()]), [[[1, 2], 0], [[3, 4], 1], [[5, 6], 1]]);
  assert.equal(items[0].x.dtype, "float32");
});

Deno.test("batch: stacks rows back; the remainder is a smaller batch unless dropped", async () => {
  const { x, y } = numbered(10);
  const ds = Dataset.fromTensors(x, y);
  const batches = await ds.batch(4).toArray();
  assert.equal(ds.batch(4).cardinality(), 3);
  assert.deepEqual(batches.map((b) => [b.x.shape, b.y.shape]), [[[4, 2], [4]], [[4, 2], [4]], [[2, 2], [2]]]);
  // The batches put together are the source tensors.
  assert.deepEqual(batches.flatMap((b) => [...b.x.data]), [...x.data]);
  assert.deepEqual(batches.flatMap((b) => [...b.y.data]), [...y.data]);
  const dropped = ds.batch(4, { dropRemainder: true });
  assert.equal(dropped.cardinality(), 2);
  assert.deepEqual((await dropped.toArray()).map((b) => b.x.shape[0]), [4, 4]);
  assert.equal(ds.batch(5, { dropRemainder: true }).cardinality(), 2);
  assert.equal(ds.batch(11, { dropRemainder: true }).cardinality(), 0);
  assert.deepEqual(await ds.batch(11, { dropRemainder: true }).toArray(), []);
  // Several inputs stay a list; numbers become vectors; dtype float64 only if every row is.
  const nested = await Dataset.fromAsyncIterable([
    { x: [Tensor.from([1, 2], "float64"), Tensor.from(3)], w: 0.5 },
    { x: [Tensor.from([4, 5], "float64"), Tensor.from(6, "float64")], w: 1.5 },
  ]).batch(2).toArray();
  assert.deepEqual(nested[0].x.map((t) => [t.shape, t.dtype, [...t.data]]), [
    [[2, 2], "float64", [1, 2, 4, 5]],
    [[2], "float32", [3, 6]],
  ]);
  assert.deepEqual([...nested[0].w.data], [0.5, 1.5]);
});

Deno.test("batch: elements of different shapes or structure are named in the error", async () => {
  const rows = Dataset.fromAsyncIterable([
    { x: Tensor.zeros([3]) },
    { x: Tensor.zeros([3]) },
    { x: Tensor.zeros([3]) },
    { x: Tensor.zeros([4]) },
  ]);
  await rows.batch(2).take(1).toArray(); // the first batch is fine
  await assert.rejects(() => rows.batch(2).toArray(), {
    name: "RangeError",
    message: /batch: the element\.x of element 3 is a Tensor \[4\], of element 2 a Tensor \[3\]/,
  });
  const labelled = Dataset.fromAsyncIterable([{ x: Tensor.zeros([1]), y: Tensor.zeros([]) }, { x: Tensor.zeros([1]) }]);
  await assert.rejects(() => labelled.batch(2).toArray(), {
    name: "RangeError",
    message: /element 1 is an object with keys x, of element 0/,
  });
  await assert.rejects(() => Dataset.fromAsyncIterable(["a", "b"]).batch(2).toArray(), {
    name: "TypeError",
    message: /batch: the element of element 0 is string; batch stacks Tensors and numbers/,
  });
});

Deno.test("shuffle: a permutation, repeatable from the seed, a new one each epoch", async () => {
  const { x, y } = numbered(20);
  const ds = Dataset.fromTensors(x, y).shuffle(20, { seed: 42 });
  assert.equal(ds.cardinality(), 20);
  const epochs = [await order(ds), await order(ds), await order(ds)];
  for (const e of epochs) assert.deepEqual([...e].sort((a, b) => a - b), range(20));
  assert.notDeepEqual(epochs[0], range(20));
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.notDeepEqual(epochs[1], epochs[2]);
  // A new dataset with the same seed replays the same epochs; another seed does not.
  const again = Dataset.fromTensors(x, y).shuffle(20, { seed: 42 });
  assert.deepEqual([await order(again), await order(again), await order(again)], epochs);
  assert.notDeepEqual(await order(Dataset.fromTensors(x, y).shuffle(20, { seed: 43 })), epochs[0]);
  // reshuffleEachIteration false: one order for every epoch.
  const fixed = Dataset.fromTensors(x, y).shuffle(20, { seed: 42, reshuffleEachIteration: false });
  assert.deepEqual(await order(fixed), await order(fixed));
  // Through repeat, each repetition is an epoch.
  const twice = await order(Dataset.fromTensors(x, y).shuffle(20, { seed: 42 }).repeat(2));
  assert.deepEqual(twice, [...epochs[0], ...epochs[1]]);
});

Deno.test("shuffle: a buffer of b elements emits element i no earlier than position i - b + 1", async () => {
  const ds = Dataset.fromAsyncIterable(range(50).map((i) => ({ x: Tensor.from([i]) })));
  assert.deepEqual(await order(ds.shuffle(1, { seed: 1 })), range(50));
  const got = await order(ds.shuffle(3, { seed: 1 }));
  assert.deepEqual([...got].sort((a, b) => a - b), range(50));
  got.forEach((i, p) => assert(i <= p + 2, `element ${i} at position ${p}`));
  // Every buffer slot is drawn from: the newest element comes out next about 1/3 of the time, not always.
  const newest = got.slice(0, 45).filter((i, p) => i === p + 2).length;
  assert(newest > 5 && newest < 25, `the newest element came out next ${newest} times of 45`);
  assert.notDeepEqual(got, range(50));
});

Deno.test("map (sync and async), take, repeat: values and cardinality", async () => {
  const ds = Dataset.fromAsyncIterable(range(6));
  assert.equal(ds.cardinality(), 6);
  assert.deepEqual(await ds.map((v) => v * 2).toArray(), [0, 2, 4, 6, 8, 10]);
  const slow = ds.map(async (v) => {
    await sleep(1);
    return { v };
  });
  assert.deepEqual((await slow.toArray()).map((e) => e.v), range(6));
  assert.equal(slow.cardinality(), 6);
  assert.deepEqual(await ds.take(4).toArray(), [0, 1, 2, 3]);
  assert.equal(ds.take(4).cardinality(), 4);
  assert.equal(ds.take(10).cardinality(), 6);
  assert.deepEqual(await ds.take(0).toArray(), []);
  assert.deepEqual(await ds.take(2).repeat(3).toArray(), [0, 1, 0, 1, 0, 1]);
  assert.equal(ds.take(2).repeat(3).cardinality(), 6);
  assert.equal(ds.repeat().cardinality(), Infinity);
  assert.equal(ds.repeat().take(14).cardinality(), 14);
  assert.deepEqual(await ds.repeat().take(14).toArray(), [...range(6), ...range(6), 0, 1]);
  assert.equal(ds.repeat().batch(4).cardinality(), Infinity);
  assert.equal(ds.repeat(0).cardinality(), 0);
  // An empty dataset repeated forever ends.
  const empty = Dataset.fromAsyncIterable([]);
  assert.equal(empty.repeat().cardinality(), 0);
  assert.deepEqual(await empty.repeat().toArray(), []);
  await assert.rejects(() => ds.repeat().toArray(), { name: "RangeError", message: /infinite/ });
});

Deno.test("iterables and generators: unknown cardinality; one-shot iterators refuse a second epoch", async () => {
  async function* gen(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  const once = Dataset.fromAsyncIterable(gen(3));
  assert.equal(once.cardinality(), null);
  assert.equal(once.map((v) => v).batch(2).shuffle(4).take(5).cardinality(), null);
  assert.deepEqual(await once.toArray(), [0, 1, 2]);
  await assert.rejects(() => once.toArray(), { name: "TypeError", message: /one-shot iterator.*fromGenerator/ });
  const fresh = Dataset.fromGenerator(() => gen(3));
  assert.deepEqual(await fresh.repeat(2).toArray(), [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(await Dataset.fromGenerator(() => new Set([1, 2])).toArray(), [1, 2]);
  assert.deepEqual(await Dataset.fromAsyncIterable(new Set([3, 4])).repeat(2).toArray(), [3, 4, 3, 4]);
  // take stops reading its source (the generator's finally runs at once).
  let closed = false;
  const endless = Dataset.fromGenerator(async function* () {
    try {
      for (let i = 0;; i++) yield i;
    } finally {
      closed = true;
    }
  });
  assert.deepEqual(await endless.take(3).toArray(), [0, 1, 2]);
  assert(closed);
});

Deno.test("prefetch: the next elements are produced while the consumer works on this one", async () => {
  const log: string[] = [];
  const source = Dataset.fromAsyncIterable(range(4)).map(async (i) => {
    log.push(`make ${i}`);
    await sleep(15);
    log.push(`made ${i}`);
    return i;
  });
  const consume = async (ds: Dataset<number>) => {
    const got: number[] = [];
    for await (const i of ds) {
      log.push(`use ${i}`);
      await sleep(40);
      log.push(`used ${i}`);
      got.push(i);
    }
    return got;
  };
  assert.deepEqual(await consume(source), range(4));
  // Without prefetch, element 1 is made only after element 0 has been used.
  assert(log.indexOf("make 1") > log.indexOf("used 0"), log.join(", "));
  log.length = 0;
  assert.deepEqual(await consume(source.prefetch(2)), range(4));
  assert.equal(source.prefetch(2).cardinality(), 4);
  // With it, element 1 (and 2) are made while element 0 is in use.
  assert(log.indexOf("made 1") < log.indexOf("used 0"), log.join(", "));
  assert(log.indexOf("make 2") < log.indexOf("used 0"), log.join(", "));
  // …but no more than 2 ahead: element 3 is asked for when the consumer is done with element 0.
  assert(log.indexOf("make 3") > log.indexOf("used 0"), log.join(", "));
});

Deno.test("prefetch: an error reaches the consumer at its element; breaking out closes the source", async () => {
  const failing = Dataset.fromAsyncIterable(range(5)).map(async (i) => {
    await sleep(1);
    if (i === 3) throw new Error("bad element 3");
    return i;
  }).prefetch(3);
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const i of failing) {
      got.push(i);
      await sleep(10); // element 3 fails while the consumer is busy: not an unhandled rejection
    }
  }, /bad element 3/);
  assert.deepEqual(got, [0, 1, 2]);
  let closed = false;
  const endless = Dataset.fromGenerator(async function* () {
    try {
      for (let i = 0;; i++) yield i;
    } finally {
      closed = true;
    }
  }).prefetch(2);
  for await (const i of endless) if (i === 5) break;
  assert(closed);
});

Deno.test("Dataset: bad arguments are typed errors naming the value and what is accepted", async () => {
  const { x, y } = numbered(5);
  assert.throws(() => Dataset.fromTensors(x, Tensor.zeros([4])), {
    name: "RangeError",
    message: /Dataset\.fromTensors: y has 4 rows \(axis 0\) but x has 5; every tensor needs the same number of rows/,
  });
  assert.throws(() => Dataset.fromTensors([x, Tensor.zeros([6, 1])]), {
    name: "RangeError",
    message: /x\[1\] has 6 rows/,
  });
  assert.throws(() => Dataset.fromTensors(Tensor.from(3)), { name: "RangeError", message: /x is a scalar/ });
  assert.throws(() => Dataset.fromTensors([]), { name: "RangeError", message: /empty list/ });
  assert.throws(() => Dataset.fromTensors([1, 2] as unknown as Tensor), {
    name: "TypeError",
    message: /x\[0\] must be a Tensor, got 1/,
  });
  assert.throws(() => Dataset.fromArrays([[1, 2], [3]]), {
    name: "RangeError",
    message: /x is not a rectangular array/,
  });
  assert.throws(() => Dataset.fromAsyncIterable(5 as unknown as number[]), { name: "TypeError", message: /got 5/ });
  assert.throws(() => Dataset.fromGenerator("gen" as unknown as () => number[]), { name: "TypeError" });
  await assert.rejects(() => Dataset.fromGenerator(() => 3 as unknown as number[]).toArray(), {
    name: "TypeError",
    message: /returned 3, not an iterable/,
  });
  const ds = Dataset.fromTensors(x, y);
  const bad: [() => unknown, RegExp][] = [
    [() => ds.batch(0), /batch: size must be an integer ≥ 1, got 0/],
    [() => ds.batch(2.5), /batch: size must be an integer ≥ 1, got 2.5/],
    [() => ds.shuffle(0), /shuffle: bufferSize must be an integer ≥ 1, got 0/],
    [() => ds.shuffle(4, { seed: 0.5 }), /shuffle: seed must be an integer, got 0.5/],
    [() => ds.take(-1), /take: n must be an integer ≥ 0, got -1/],
    [() => ds.repeat(-2), /repeat: count must be an integer ≥ 0 or Infinity, got -2/],
    [() => ds.prefetch(NaN), /prefetch: n must be an integer ≥ 0, got NaN/],
  ];
  for (const [f, message] of bad) assert.throws(f, { name: "RangeError", message });
  assert.throws(() => ds.map(3 as unknown as (e: unknown) => unknown), { name: "TypeError" });
});

Deno.test("a training-style pipeline: typed { x, y } batches", async () => {
  const { x, y } = numbered(7);
  const ds = Dataset.fromTensors(x, y).shuffle(7, { seed: 3 }).batch(3).prefetch(1);
  assert.equal(ds.cardinality(), 3);
  const seen: number[] = [];
  for await (const batch of ds) {
    assert.equal(batch.x.shape[1], 2);
    assert.equal(batch.y.shape[0], batch.x.shape[0]);
    for (let i = 0; i < batch.y.size; i++) {
      assert.equal(batch.y.data[i], batch.x.data[2 * i] * 100, "x and y rows stay together");
      seen.push(batch.x.data[2 * i]);
    }
  }
  assert.deepEqual(seen.sort((a, b) => a - b), range(7));
});
