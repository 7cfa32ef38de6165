/**
 * Input pipelines in the manner of `tf.data`: a {@link Dataset} is a
 * recipe for a stream of elements, read with `for await` as often as you
 * like (each iteration, an epoch, starts from the source again). Sources
 * are tensors sliced along their first axis, nested arrays, iterables and
 * generators; `shuffle`, `batch`, `map`, `prefetch`, `take` and `repeat`
 * chain. A training loop reads batches `{ x, y }`: `x` one tensor (or one
 * per model input), `y` the targets.
 *
 * @example
 * ```ts
 * import { Dataset } from "./data.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const x = Tensor.from([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
 * const y = Tensor.from([0, 1, 0, 1, 0]);
 * const ds = Dataset.fromTensors(x, y).shuffle(5, { seed: 1 }).batch(2).prefetch(1);
 * console.log(ds.cardinality()); // 3 (batches of 2, 2 and 1)
 * for await (const batch of ds) console.log(batch.x.shape, batch.y.shape); // [2, 2] [2], [2, 2] [2], [1, 2] [1]
 * ```
 * @module
 */
import { type NestedArray, Tensor } from "../graph/tensor.ts";
import { seededRandom } from "../graph/random.ts";

/** A supervised element: inputs `x` (one tensor, or one per model input) and targets `y`. */
export interface Example<X extends Tensor | Tensor[] = Tensor | Tensor[]> {
  /** The model's input (or inputs). */
  x: X;
  /** The targets; absent for inputs alone (prediction). */
  y?: Tensor;
}

/**
 * What `batch` makes of an element type: every Tensor (and number) becomes
 * a Tensor with a new first axis; arrays and objects keep their structure.
 */
export type Stacked<T> = T extends Tensor | number ? Tensor : { [K in keyof T]: Stacked<T[K]> };

/** Anything `for await` reads. */
export type AnyIterable<T> = AsyncIterable<T> | Iterable<T>;

/** Options of {@link Dataset.shuffle}. */
export interface ShuffleOptions {
  /** Makes the order (of every epoch) repeatable; default: a seed from Math.random. */
  seed?: number;
  /** A new order each iteration (epoch), as tf.data's `reshuffle_each_iteration` (default true). */
  reshuffleEachIteration?: boolean;
}

function checkCount(n: number, where: string, { min = 0, infinite = false } = {}): void {
  if (!(Number.isInteger(n) && n >= min) && !(infinite && n === Infinity)) {
    const accepted = `an integer ≥ ${min}${infinite ? " or Infinity" : ""}`;
    throw new RangeError(`${where} must be ${accepted}, got ${String(n)}`);
  }
}

/** Row `i` of `t` (its first axis removed), a copy. */
function row(t: Tensor, i: number): Tensor {
  const k = t.size / t.shape[0];
  return new Tensor(t.data.slice(i * k, (i + 1) * k), t.shape.slice(1));
}

/** The common row count of named tensors, or a RangeError naming the one that differs. */
function rowCount(named: [string, Tensor][], where: string): number {
  for (const [name, t] of named) {
    if (!(t instanceof Tensor)) throw new TypeError(`${where}: ${name} must be a Tensor, got ${String(t)}`);
    if (t.rank < 1) throw new RangeError(`${where}: ${name} is a scalar; rows are sliced along axis 0`);
  }
  const [firstName, first] = named[0];
  for (const [name, t] of named) {
    if (t.shape[0] !== first.shape[0]) {
      throw new RangeError(
        `${where}: ${name} has ${t.shape[0]} rows (axis 0) but ${firstName} has ${first.shape[0]}; ` +
          `every tensor needs the same number of rows`,
      );
    }
  }
  return first.shape[0];
}

/** `f(0) … f(n - 1)`, made on demand. */
async function* rows<T>(n: number, f: (i: number) => T): AsyncGenerator<T> {
  for (let i = 0; i < n; i++) yield f(i);
}

/** A hash of (seed, epoch): each epoch's shuffle seed. */
function epochSeed(seed: number, epoch: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** tf.data's shuffle buffer: fill it, then emit a random element and put the next one in its place. */
async function* shuffled<T>(source: AsyncIterable<T>, size: number, random: () => number): AsyncGenerator<T> {
  const buffer: T[] = [];
  for await (const e of source) {
    if (buffer.length < size) {
      buffer.push(e);
      continue;
    }
    const i = Math.floor(random() * size);
    const out = buffer[i];
    buffer[i] = e;
    yield out;
  }
  while (buffer.length > 0) {
    const i = Math.floor(random() * buffer.length);
    const out = buffer[i];
    buffer[i] = buffer[buffer.length - 1];
    buffer.pop();
    yield out;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
}

function describe(v: unknown): string {
  return v instanceof Tensor ? `a Tensor [${v.shape}]` : Array.isArray(v) ? `an array of ${v.length}` : typeof v;
}

/**
 * Stacks the elements `rows` (the first has index `first` in the dataset)
 * along a new first axis, structure by structure; `path` names the part.
 */
function stack(rows: readonly unknown[], path: string, first: number): unknown {
  const head = rows[0];
  const mismatch = (i: number, what: string) =>
    new RangeError(
      `batch: ${path} of element ${first + i} is ${what}, of element ${first} ${describe(head)}; ` +
        `the elements of a batch need the same structure and shapes`,
    );
  if (head instanceof Tensor) {
    rows.forEach((r, i) => {
      if (
        !(r instanceof Tensor) || r.shape.length !== head.shape.length || r.shape.some((d, k) => d !== head.shape[k])
      ) {
        throw mismatch(i, describe(r));
      }
    });
    const tensors = rows as Tensor[];
    const f64 = tensors.every((t) => t.dtype === "float64");
    const data = f64 ? new Float64Array(head.size * rows.length) : new Float32Array(head.size * rows.length);
    tensors.forEach((t, i) => data.set(t.data, i * head.size));
    return new Tensor(data, [rows.length, ...head.shape]);
  }
  if (typeof head === "number") {
    rows.forEach((r, i) => {
      if (typeof r !== "number") throw mismatch(i, describe(r));
    });
    return new Tensor(Float32Array.from(rows as number[]), [rows.length]);
  }
  if (Array.isArray(head)) {
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== head.length) throw mismatch(i, describe(r));
    });
    return head.map((_, k) => stack(rows.map((r) => (r as unknown[])[k]), `${path}[${k}]`, first));
  }
  if (isPlainObject(head)) {
    const keys = Object.keys(head).filter((k) => head[k] !== undefined);
    rows.forEach((r, i) => {
      const rk = isPlainObject(r) ? Object.keys(r).filter((k) => r[k] !== undefined) : null;
      if (rk === null || rk.length !== keys.length || !keys.every((k) => rk.includes(k))) {
        throw mismatch(i, rk === null ? describe(r) : `an object with keys ${rk.join(", ")}`);
      }
    });
    return Object.fromEntries(
      keys.map((k) => [k, stack(rows.map((r) => (r as Record<string, unknown>)[k]), `${path}.${k}`, first)]),
    );
  }
  throw new TypeError(
    `batch: ${path} of element ${first} is ${
      describe(head)
    }; batch stacks Tensors and numbers, in arrays and plain objects`,
  );
}

async function* batched<T>(source: AsyncIterable<T>, size: number, dropRemainder: boolean): AsyncGenerator<Stacked<T>> {
  let pending: T[] = [];
  let first = 0;
  for await (const e of source) {
    pending.push(e);
    if (pending.length === size) {
      yield stack(pending, "the element", first) as Stacked<T>;
      first += size;
      pending = [];
    }
  }
  if (pending.length > 0 && !dropRemainder) yield stack(pending, "the element", first) as Stacked<T>;
}

/**
 * Keeps `n` elements of `source` requested ahead of the consumer: while it
 * works on one element, the next n are being produced.
 */
async function* prefetched<T>(source: AsyncIterable<T>, n: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const ahead: Promise<IteratorResult<T>>[] = [];
  const request = () => {
    const p = it.next();
    p.catch(() => {}); // awaited in turn below; not an unhandled rejection meanwhile
    ahead.push(p);
  };
  let done = false;
  try {
    for (let i = 0; i < n; i++) request();
    for (;;) {
      const r = await ahead.shift()!;
      if (r.done) {
        done = true;
        return;
      }
      request();
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

async function* mapped<T, U>(source: AsyncIterable<T>, fn: (e: T) => U | Promise<U>): AsyncGenerator<Awaited<U>> {
  for await (const e of source) yield await fn(e);
}

async function* taken<T>(source: AsyncIterable<T>, n: number): AsyncGenerator<T> {
  if (n === 0) return;
  let i = 0;
  for await (const e of source) {
    yield e;
    if (++i >= n) return;
  }
}

async function* repeated<T>(source: AsyncIterable<T>, count: number): AsyncGenerator<T> {
  for (let k = 0; k < count; k++) {
    let empty = true;
    for await (const e of source) {
      empty = false;
      yield e;
    }
    if (empty) return; // an empty source repeated forever is still empty
  }
}

async function* iterate<T>(source: AnyIterable<T>): AsyncGenerator<T> {
  yield* source;
}

function isIterable(v: unknown): v is AnyIterable<unknown> {
  return v !== null && typeof v === "object" &&
    (typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function" ||
      typeof (v as Iterable<unknown>)[Symbol.iterator] === "function");
}

/**
 * A stream of elements of type `T`, read with `for await`; every iteration
 * (epoch) starts again from the source. Transformations return new
 * datasets. `cardinality()` knows the length of array and tensor sources
 * through shuffle, batch, map, prefetch, take and repeat.
 *
 * @example
 * ```ts
 * import { Dataset } from "./data.ts";
 * const ds = Dataset.fromAsyncIterable([1, 2, 3, 4, 5]).map(async (v) => v * 10).take(3).repeat(2);
 * console.log(ds.cardinality(), await ds.toArray()); // 6 [10, 20, 30, 10, 20, 30]
 * ```
 */
export class Dataset<T> implements AsyncIterable<T> {
  readonly #open: () => AsyncIterator<T>;
  readonly #cardinality: number | null;

  private constructor(open: () => AsyncIterator<T>, cardinality: number | null) {
    this.#open = open;
    this.#cardinality = cardinality;
  }

  /**
   * The rows of `x` (a tensor, or one tensor per model input) and `y`,
   * sliced along axis 0 (as `tf.data.Dataset.from_tensor_slices((x, y))`):
   * elements `{ x, y }` of one row each. Every tensor needs the same number
   * of rows (else a RangeError).
   */
  static fromTensors<X extends Tensor | Tensor[]>(x: X): Dataset<{ x: X }>;
  /** Rows `{ x, y }` of inputs and targets. */
  static fromTensors<X extends Tensor | Tensor[]>(x: X, y: Tensor): Dataset<{ x: X; y: Tensor }>;
  static fromTensors<X extends Tensor | Tensor[]>(x: X, y?: Tensor): Dataset<Example<X>> {
    const where = "Dataset.fromTensors";
    if (Array.isArray(x) && x.length === 0) throw new RangeError(`${where}: x is an empty list of tensors`);
    const named: [string, Tensor][] = Array.isArray(x) ? x.map((t, i) => [`x[${i}]`, t]) : [["x", x as Tensor]];
    if (y !== undefined) named.push(["y", y]);
    const n = rowCount(named, where);
    const xAt = (i: number) => (Array.isArray(x) ? x.map((t) => row(t, i)) : row(x as Tensor, i)) as X;
    const at = y === undefined ? (i: number) => ({ x: xAt(i) }) : (i: number) => ({ x: xAt(i), y: row(y, i) });
    return new Dataset(() => rows(n, at), n);
  }

  /**
   * {@link Dataset.fromTensors} from nested number arrays (float32): the
   * rows of `x` (one model input) and of `y`, e.g. labels `[0, 2, 1]`.
   */
  static fromArrays(x: NestedArray): Dataset<{ x: Tensor }>;
  /** Rows `{ x, y }` of inputs and targets. */
  static fromArrays(x: NestedArray, y: NestedArray): Dataset<{ x: Tensor; y: Tensor }>;
  static fromArrays(x: NestedArray, y?: NestedArray): Dataset<Example<Tensor>> {
    const toTensor = (name: string, v: NestedArray) => {
      if (!Array.isArray(v)) throw new TypeError(`Dataset.fromArrays: ${name} must be an array, got ${String(v)}`);
      try {
        return Tensor.from(v);
      } catch (e) {
        throw new RangeError(`Dataset.fromArrays: ${name} is not a rectangular array of numbers (${e})`, { cause: e });
      }
    };
    const tx = toTensor("x", x);
    return y === undefined ? Dataset.fromTensors(tx) : Dataset.fromTensors(tx, toTensor("y", y));
  }

  /**
   * The elements of an iterable or async iterable. An array is read afresh
   * every epoch and its length is the cardinality; other iterables have an
   * unknown one. A one-shot iterator (a generator object) can be read only
   * once: iterating again throws a TypeError — use
   * {@link Dataset.fromGenerator} to start it anew each epoch.
   */
  static fromAsyncIterable<T>(source: AnyIterable<T>): Dataset<Awaited<T>> {
    if (!isIterable(source)) {
      throw new TypeError(`Dataset.fromAsyncIterable takes an iterable or async iterable, got ${String(source)}`);
    }
    if (Array.isArray(source)) {
      const items = [...source];
      return new Dataset(() => iterate(items) as AsyncIterator<Awaited<T>>, items.length);
    }
    // An iterator (it has next(): a generator object, say) is used up by one reading.
    const oneShot = typeof (source as { next?: unknown }).next === "function";
    let used = false;
    return new Dataset(() => {
      if (oneShot && used) {
        throw new TypeError(
          "Dataset.fromAsyncIterable: the source is a one-shot iterator (e.g. a generator object) and was " +
            "already read; use Dataset.fromGenerator(() => makeIt()) to read it again each epoch",
        );
      }
      used = true;
      return iterate(source) as AsyncIterator<Awaited<T>>;
    }, null);
  }

  /**
   * The elements of the iterable `make()` returns (a generator function,
   * sync or async), called anew for every epoch. Cardinality unknown.
   */
  static fromGenerator<T>(make: () => AnyIterable<T>): Dataset<Awaited<T>> {
    if (typeof make !== "function") {
      throw new TypeError(`Dataset.fromGenerator takes a function returning an iterable, got ${String(make)}`);
    }
    return new Dataset(() => {
      const source = make();
      if (!isIterable(source)) {
        throw new TypeError(`Dataset.fromGenerator: the function returned ${String(source)}, not an iterable`);
      }
      return iterate(source) as AsyncIterator<Awaited<T>>;
    }, null);
  }

  /** A new iteration (epoch) from the start. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#open();
  }

  /**
   * How many elements an iteration yields: a count, Infinity (repeated
   * forever), or null when unknown (iterables other than arrays, and what
   * is made of them) — as `tf.data.experimental.cardinality`.
   */
  cardinality(): number | null {
    return this.#cardinality;
  }

  /** Applies `fn` (sync or async) to every element. */
  map<U>(fn: (element: T) => U | Promise<U>): Dataset<Awaited<U>> {
    if (typeof fn !== "function") throw new TypeError(`map takes a function, got ${String(fn)}`);
    return new Dataset(() => mapped(this, fn), this.#cardinality);
  }

  /**
   * Shuffles through a buffer of `bufferSize` elements (tf.data's
   * algorithm: a buffer at least as large as the dataset shuffles it
   * uniformly). With a `seed` the order of every epoch repeats run to run;
   * each epoch gets another order unless `reshuffleEachIteration` is false.
   */
  shuffle(bufferSize: number, options: ShuffleOptions = {}): Dataset<T> {
    checkCount(bufferSize, "shuffle: bufferSize", { min: 1 });
    const { seed = Math.floor(Math.random() * 2 ** 32), reshuffleEachIteration = true } = options;
    if (!Number.isInteger(seed)) throw new RangeError(`shuffle: seed must be an integer, got ${String(seed)}`);
    let epoch = 0;
    return new Dataset(() => {
      const random = seededRandom(epochSeed(seed, reshuffleEachIteration ? epoch++ : 0));
      return shuffled(this, bufferSize, random);
    }, this.#cardinality);
  }

  /**
   * Stacks `size` consecutive elements along a new first axis (each Tensor
   * and number of the element; arrays and objects keep their structure).
   * The last batch may be smaller unless `dropRemainder`. Elements of one
   * batch need the same structure and shapes (else a RangeError).
   */
  batch(size: number, options: { dropRemainder?: boolean } = {}): Dataset<Stacked<T>> {
    checkCount(size, "batch: size", { min: 1 });
    const dropRemainder = options.dropRemainder ?? false;
    const n = this.#cardinality;
    const count = n === null || n === Infinity ? n : dropRemainder ? Math.floor(n / size) : Math.ceil(n / size);
    return new Dataset(() => batched(this, size, dropRemainder), count);
  }

  /**
   * Produces up to `n` elements ahead of the consumer (overlapping, e.g., an
   * async `map` with training on the current batch); 0 changes nothing.
   */
  prefetch(n: number): Dataset<T> {
    checkCount(n, "prefetch: n");
    return n === 0 ? this : new Dataset(() => prefetched(this, n), this.#cardinality);
  }

  /** The first `n` elements (all of them if there are fewer). */
  take(n: number): Dataset<T> {
    checkCount(n, "take: n");
    const c = this.#cardinality;
    return new Dataset(() => taken(this, n), c === null ? null : Math.min(c, n));
  }

  /** The dataset `count` times over (default: forever); each repetition is a new epoch (and a new shuffle). */
  repeat(count = Infinity): Dataset<T> {
    checkCount(count, "repeat: count", { infinite: true });
    const c = this.#cardinality;
    const total = count === 0 || c === 0 ? 0 : c === null ? null : c * count;
    return new Dataset(() => repeated(this, count), total);
  }

  /** Every element of one iteration. A RangeError for an infinite dataset. */
  async toArray(): Promise<T[]> {
    if (this.#cardinality === Infinity) {
      throw new RangeError("toArray: the dataset is infinite (repeat() without a count); take(n) first");
    }
    const out: T[] = [];
    for await (const e of this) out.push(e);
    return out;
  }
}
