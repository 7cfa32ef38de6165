/**
 * The worker that reads and writes HDF5 files for `_h5.ts`, in h5wasm's
 * in-memory file system. Reading: it receives a file's bytes and posts back
 * the whole tree (groups, attributes, numeric datasets as float32, their
 * buffers transferred). Writing: it receives a tree and posts back the
 * file's bytes. Failures post the deepest message of HDF5's error stack. A
 * corrupt file can make HDF5 trap or loop; in a worker that is ended after
 * each file, neither reaches the caller.
 * @module
 */
/// <reference lib="deno.worker" />
import { loadH5wasm } from "../_deps.ts";
import type { AttrValue, H5Node } from "./_h5.ts";

type H5wasm = Awaited<ReturnType<typeof loadH5wasm>>["default"];
type HasAttrs = { attrs: Record<string, { value: unknown }> };

/** Attribute values as plain JS (typed arrays become arrays); one HDF5 cannot read is left out. */
function attrsOf(o: HasAttrs): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const name of Object.keys(o.attrs)) {
    try {
      out[name] = plain(o.attrs[name].value);
    } catch { /* an attribute of a type h5wasm cannot read: Keras writes none */ }
  }
  return out;
}

function plain(v: unknown): AttrValue {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plain);
  return v as AttrValue;
}

/** A dataset's values as float32 (null when not numeric: strings, compounds). */
function float32(value: unknown): Float32Array | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Float32Array.from(value, Number);
  return Float32Array.from(value as unknown as ArrayLike<number>);
}

/** The tree under a group; dataset buffers are collected in `transfer`. */
function walk(h5: H5wasm, group: InstanceType<H5wasm["Group"]>, transfer: ArrayBuffer[]): H5Node {
  const children: Record<string, H5Node> = {};
  for (const key of group.keys()) {
    const o = group.get(key);
    if (o instanceof h5.Group) {
      children[key] = walk(h5, o, transfer);
    } else if (o instanceof h5.Dataset) {
      const data = float32(o.value);
      if (data) transfer.push(data.buffer as ArrayBuffer);
      children[key] = { kind: "dataset", attrs: attrsOf(o), shape: [...(o.shape ?? [])], data, dtype: String(o.dtype) };
    }
  }
  return { kind: "group", attrs: attrsOf(group), children };
}

/** The deepest message of HDF5's error stack (it lists the calls outermost first). */
function errorText(err: unknown): string {
  const text = String(err instanceof Error ? err.message : err);
  return [...text.matchAll(/#\d+: .*? in (.*)$/gm)].pop()?.[1] ?? text.split("\n")[0];
}

/** Writes a tree's attributes, groups and datasets into `group`. */
function build(group: InstanceType<H5wasm["Group"]>, node: H5Node & { kind: "group" }): void {
  for (const [name, value] of Object.entries(node.attrs)) group.create_attribute(name, value as string | string[]);
  for (const [name, child] of Object.entries(node.children)) {
    if (child.kind === "group") {
      build(group.create_group(name), child);
    } else {
      const d = group.create_dataset({ name, data: child.data!, shape: child.shape, dtype: "<f" });
      for (const [a, value] of Object.entries(child.attrs)) d.create_attribute(a, value as string | string[]);
    }
  }
}

/** h5wasm, with HDF5's errors thrown. */
async function h5wasm(): Promise<H5wasm> {
  const { default: h5 } = await loadH5wasm();
  (await h5.ready).activate_throwing_error_handler();
  return h5;
}

/** A request: the bytes of a file to read, or a tree to write as a file. */
type Request = { read: Uint8Array } | { write: H5Node & { kind: "group" } };

const loading = h5wasm();
// The caller's time limit starts with this: loading h5wasm is not the file's doing.
loading.then(() => self.postMessage({ ready: true }), (err) => self.postMessage({ error: errorText(err) }));

self.onmessage = async (e: MessageEvent<Request>) => {
  try {
    const h5 = await loading;
    const { FS } = await h5.ready;
    if ("read" in e.data) {
      FS.writeFile("/file.h5", e.data.read);
      const transfer: ArrayBuffer[] = [];
      const tree = walk(h5, new h5.File("/file.h5", "r"), transfer);
      self.postMessage({ tree }, transfer);
    } else {
      const file = new h5.File("/file.h5", "w");
      build(file, e.data.write);
      file.close();
      const bytes = FS.readFile("/file.h5");
      self.postMessage({ bytes }, [bytes.buffer as ArrayBuffer]);
    }
  } catch (err) {
    self.postMessage({ error: errorText(err) });
  }
};
