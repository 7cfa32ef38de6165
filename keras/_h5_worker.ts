/**
 * The worker that reads an HDF5 file for `_h5.ts`: it receives the file's
 * bytes, opens them with h5wasm in its in-memory file system, and posts
 * back the whole tree (groups, attributes, numeric datasets as float32,
 * their buffers transferred) or the deepest message of HDF5's error stack.
 * A corrupt file can make HDF5 trap or loop; in a worker that is ended
 * after each file, neither reaches the caller.
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

self.onmessage = async (e: MessageEvent<Uint8Array>) => {
  try {
    const { default: h5 } = await loadH5wasm();
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    module.FS.writeFile("/file.h5", e.data);
    const transfer: ArrayBuffer[] = [];
    const tree = walk(h5, new h5.File("/file.h5", "r"), transfer);
    self.postMessage({ tree }, transfer);
  } catch (err) {
    const text = String(err instanceof Error ? err.message : err);
    // HDF5's stack lists the calls outermost first; the last line says what was wrong.
    const deepest = [...text.matchAll(/#\d+: .*? in (.*)$/gm)].pop()?.[1] ?? text.split("\n")[0];
    self.postMessage({ error: deepest });
  }
};
