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

/** One tensor's entry in a safetensors header. */
interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Bytes per value of the dtypes onebit reads. */
const DTYPE_BYTES: Record<string, number> = { F32: 4, F64: 8 };

/**
 * Decodes a safetensors file. A malformed file is a RangeError naming the
 * problem: a header that is not a JSON object, an entry with an unknown
 * dtype, a shape that is not a list of non-negative integers, offsets
 * outside the data or not holding the shape, or two tensors that overlap.
 * Nothing is allocated beyond the file's own size.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) bad(`${bytes.length} bytes, fewer than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    bad(`header length ${n} exceeds the file (${bytes.length} bytes) or the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const header = parseHeader(bytes.subarray(8, 8 + Number(n)));
  const metadata = checkMetadata(header.__metadata__);
  const body = bytes.subarray(8 + Number(n));
  const entries = Object.entries(header).filter(([name]) => name !== "__metadata__")
    .map(([name, info]) => [name, checkEntry(name, info, body.length)] as const)
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  const tensors = new Map<string, Tensor>();
  let reach = { end: 0, name: "" }; // the furthest end so far, and whose
  for (const [name, info] of entries) {
    const [begin, end] = info.data_offsets;
    if (begin < reach.end && end > begin) {
      bad(`tensor "${name}" (bytes ${begin}-${end}) overlaps "${reach.name}" (which ends at ${reach.end})`);
    }
    if (end > reach.end) reach = { end, name };
    const copy = body.slice(begin, end); // aligned copy
    const data = info.dtype === "F32" ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
    tensors.set(name, new Tensor(data, info.shape));
  }
  return { tensors, metadata };
}

function bad(why: string): never {
  throw new RangeError(`not a valid safetensors file: ${why}`);
}

function parseHeader(json: Uint8Array): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    return bad(`header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    bad(`the header must be a JSON object, got ${JSON.stringify(header).slice(0, 40)}`);
  }
  return header as Record<string, unknown>;
}

function checkMetadata(metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {};
  if (
    metadata === null || typeof metadata !== "object" || Array.isArray(metadata) ||
    Object.values(metadata).some((v) => typeof v !== "string")
  ) {
    bad(`__metadata__ must map names to strings, got ${JSON.stringify(metadata).slice(0, 60)}`);
  }
  return metadata as Record<string, string>;
}

/** One header entry checked against the data's length (`size` bytes). */
function checkEntry(name: string, info: unknown, size: number): Entry {
  if (info === null || typeof info !== "object") bad(`tensor "${name}" is ${JSON.stringify(info)}, not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Partial<Entry>;
  const width = DTYPE_BYTES[dtype as string];
  if (!width) bad(`tensor "${name}" has dtype ${JSON.stringify(dtype)}; onebit reads F32 and F64`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    bad(`tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  }
  const [begin, end] = (Array.isArray(offsets) ? offsets : []) as number[];
  const values = shape.reduce((a, b) => a * b, 1);
  if (
    !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin || end > size ||
    end - begin !== values * width
  ) {
    bad(`tensor "${name}": offsets ${JSON.stringify(offsets)} do not hold shape [${shape}] in ${size} data bytes`);
  }
  return { dtype: dtype as string, shape, data_offsets: [begin, end] };
}
