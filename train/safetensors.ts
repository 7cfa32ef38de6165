/**
 * The safetensors format (huggingface/safetensors), for checkpoints: an
 * 8-byte little-endian header length N, N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__":
 * { key: string } }` padded with spaces to a multiple of 8, then the raw
 * little-endian tensor bytes. onebit writes F32 (and F64) tensors.
 * @module
 */
import { Tensor } from "../graph/tensor.ts";

/** Header length cap when reading (the format's own recommendation is 100 MB). */
const MAX_HEADER_BYTES = 100 * 2 ** 20;

/**
 * Encodes named tensors and string metadata.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const bytes = encodeSafetensors({ w: Tensor.from([[1, 2], [3, 4]]) }, { note: "hi" });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * console.log(tensors.get("w")!.toArray(), metadata.note); // [[1, 2], [3, 4]] hi
 * ```
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    const bytes = t.data.byteLength;
    header[name] = {
      dtype: t.dtype === "float64" ? "F64" : "F32",
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padded - json.length));
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

/** Decodes a safetensors file; malformed input is a RangeError naming the problem. */
export function decodeSafetensors(
  bytes: Uint8Array,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const bad = (why: string): never => {
    throw new RangeError(`not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) bad(`${bytes.length} bytes, fewer than the 8-byte header length`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES || 8 + n > bytes.length) bad(`header length ${n} exceeds the file (${bytes.length} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return bad(`header is not JSON (${(e as Error).message})`);
  }
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const tensors = new Map<string, Tensor>();
  const body = bytes.subarray(8 + n);
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const size = info.dtype === "F32" ? 4 : info.dtype === "F64" ? 8 : bad(`tensor "${name}" has dtype ${info.dtype}`);
    const [begin, end] = info.data_offsets ?? [];
    const count = (info.shape ?? []).reduce((a, b) => a * b, 1);
    if (
      !Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > body.length ||
      end - begin !== count * size
    ) {
      bad(`tensor "${name}": offsets ${JSON.stringify(info.data_offsets)} do not hold shape [${info.shape}]`);
    }
    const copy = body.slice(begin, end); // aligned copy
    const data = size === 4 ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
    tensors.set(name, new Tensor(data, info.shape));
  }
  return { tensors, metadata };
}
