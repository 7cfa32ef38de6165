/**
 * Reading HDF5 files from memory with h5wasm (HDF5 itself compiled to
 * WebAssembly: npm:h5wasm's ESM build, which inlines the wasm and runs in
 * Deno as it is). h5wasm opens files by name in Emscripten's in-memory file
 * system (`FS.writeFile`, then `new File(name, "r")`), with HDF5's error
 * stack switched to h5wasm's throwing handler so a bad file is an exception
 * rather than text on stderr.
 *
 * A corrupt file can still make HDF5 trap (leaving the wasm instance in an
 * unknown state) or loop for ever, so each file is read in a worker
 * (`_h5_worker.ts`) that is ended afterwards, under a time limit: the caller
 * gets the file's tree (groups, attributes, numeric datasets as float32) or
 * a RangeError naming the file and HDF5's complaint, never a hang.
 * @module
 */

/** An attribute's value as Keras writes them: strings, numbers, and lists of them. */
export type AttrValue = string | number | bigint | boolean | AttrValue[] | null;

/** A group or dataset of a file read by the worker. */
export type H5Node =
  | { kind: "group"; attrs: Record<string, AttrValue>; children: Record<string, H5Node> }
  | { kind: "dataset"; attrs: Record<string, AttrValue>; shape: number[]; data: Float32Array | null; dtype: string };

/** A numeric dataset read as float32. */
export interface H5Tensor {
  /** The dataset's shape ([] for a scalar). */
  shape: number[];
  /** Its values, row-major. */
  data: Float32Array;
}

/** Read access to a file's tree. Paths are relative to the root ("" is the root). */
export interface H5Reader {
  /** The file's name in messages. */
  readonly label: string;
  /** The members of the group at `path`, sorted; null when `path` is not a group. */
  keys(path: string): string[] | null;
  /** True when `path` is a dataset. */
  isDataset(path: string): boolean;
  /** An attribute of the object at `path` (undefined when it has none of that name). */
  attr(path: string, name: string): AttrValue | undefined;
  /** The numeric dataset at `path` as float32; a RangeError when it is absent or not numeric. */
  dataset(path: string): H5Tensor;
}

/** Options of {@link readH5}. */
export interface ReadH5Options {
  /** How long HDF5 may take before the file counts as corrupt (default: 20 s plus 1 s per 10 MB). */
  timeoutMs?: number;
}

/** The 8-byte signature of an HDF5 file. */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * True when `bytes` is an HDF5 file: the signature at offset 0, or after a
 * user block (512, 1024, 2048, … bytes), where HDF5 itself looks for it.
 */
export function isHdf5(bytes: Uint8Array): boolean {
  for (let at = 0; at + SIGNATURE.length <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

/** How long the worker may take to load h5wasm before the request is sent (a loaded machine is slow at it). */
const LOAD_LIMIT_MS = 120_000;

/**
 * Runs one request in a worker that is ended afterwards (or when time runs out). The request's `timeoutMs` starts
 * once the worker has loaded h5wasm, so that a slow start is not taken for a file that makes HDF5 loop.
 */
function inWorker<T>(
  request: unknown,
  fail: (why: string) => Error,
  timeoutMs: number,
  take: (reply: Record<string, unknown>) => T,
): Promise<T> {
  const worker = new Worker(new URL("./_h5_worker.ts", import.meta.url), { type: "module" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => reject(fail(`h5wasm did not load in ${LOAD_LIMIT_MS / 1000} s`)), LOAD_LIMIT_MS);
    worker.onmessage = (e: MessageEvent<Record<string, unknown>>) => {
      if (e.data.ready === true) {
        clearTimeout(timer);
        timer = setTimeout(() => reject(fail(`HDF5 did not finish in ${(timeoutMs / 1000).toFixed(1)} s`)), timeoutMs);
        worker.postMessage(request);
      } else if (typeof e.data.error === "string") reject(fail(e.data.error));
      else resolve(take(e.data));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(fail(e.message));
    };
  }).finally(() => {
    clearTimeout(timer);
    worker.terminate();
  });
}

/** The default time limit: 20 s plus 1 s per 10 MB. */
const limitFor = (bytes: number) => 20_000 + bytes / 10_000;

/** The tree of an HDF5 file, read in a worker. */
function readTree(bytes: Uint8Array, label: string, timeoutMs: number): Promise<H5Node> {
  const fail = (why: string) => new RangeError(`${label} is not a readable HDF5 file (truncated or corrupt?): ${why}`);
  return inWorker({ read: bytes }, fail, timeoutMs, (reply) => reply.tree as H5Node);
}

/**
 * An HDF5 file of a tree: groups with string (or string list) attributes,
 * float32 datasets. Written by HDF5 itself, in a worker.
 */
export function writeH5(tree: H5Node & { kind: "group" }): Promise<Uint8Array> {
  const size = (n: H5Node): number =>
    n.kind === "dataset" ? n.data?.byteLength ?? 0 : Object.values(n.children).reduce((t, c) => t + size(c), 0);
  const fail = (why: string) => new Error(`HDF5 could not write the file: ${why}`);
  return inWorker({ write: tree }, fail, limitFor(size(tree)), (reply) => reply.bytes as Uint8Array);
}

/** A reader over a file's tree. */
function treeReader(root: H5Node, label: string): H5Reader {
  const find = (path: string): H5Node | undefined => {
    let node: H5Node | undefined = root;
    for (const part of path.split("/").filter((p) => p !== "")) {
      node = node?.kind === "group" ? node.children[part] : undefined;
    }
    return node;
  };
  return {
    label,
    keys(path) {
      const node = find(path);
      return node?.kind === "group" ? Object.keys(node.children).sort() : null;
    },
    isDataset: (path) => find(path)?.kind === "dataset",
    attr: (path, name) => find(path)?.attrs[name],
    dataset(path) {
      const node = find(path);
      if (node?.kind !== "dataset") throw new RangeError(`${label} has no dataset ${path}`);
      if (!node.data) throw new RangeError(`${label}: dataset ${path} is not numeric (${node.dtype})`);
      return { shape: node.shape, data: node.data };
    },
  };
}

/**
 * Reads `bytes` as an HDF5 file and calls `read` on its tree. A file that
 * is not HDF5, or that HDF5 cannot read (truncated, corrupt, or taking
 * longer than `timeoutMs`), is a RangeError naming `label`.
 *
 * @example
 * ```ts
 * import { readH5 } from "./_h5.ts";
 * const bytes = await Deno.readFile(new URL("../tests/fixtures/keras_files/two_inputs_weights.h5", import.meta.url));
 * const names = await readH5(bytes, "two_inputs_weights.h5", (f) => f.attr("", "layer_names"));
 * console.log((names as string[])[0]); // image
 * ```
 */
export async function readH5<T>(
  bytes: Uint8Array,
  label: string,
  read: (file: H5Reader) => T,
  options: ReadH5Options = {},
): Promise<T> {
  if (!isHdf5(bytes)) throw new RangeError(`${label} is not an HDF5 file (no HDF5 signature)`);
  const timeoutMs = options.timeoutMs ?? limitFor(bytes.length);
  return read(treeReader(await readTree(bytes, label, timeoutMs), label));
}
