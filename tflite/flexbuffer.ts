/**
 * A bounded reader for the FlexBuffer maps of custom-op options: a flat map
 * of string keys to integer (or bool) scalars, which is all LCE's ops use.
 * Every read is bounds-checked and the work is linear in the map size
 * (the npm decoder rebuilds shared sub-vectors once per reference, which a
 * crafted file can make exponential).
 * @module
 */
import { ModelFormatError } from "./errors.ts";

// FlexBuffer value types (flatbuffers/flexbuffers spec).
const INT = 1, UINT = 2, BOOL = 26, MAP = 9;
const MAX_ENTRIES = 256;

/**
 * Decodes a FlexBuffer whose root is a map of scalar ints/bools; throws
 * ModelFormatError (naming `where`) for anything else or any bad offset.
 *
 * @example
 * ```ts
 * import { readFlexMap } from "./flexbuffer.ts";
 * import { flexbuffers } from "../_deps.ts";
 * console.log(readFlexMap(flexbuffers.encode({ padding: 1, stride_width: 2 }), "op")); // { padding: 1, stride_width: 2 }
 * ```
 */
export function readFlexMap(bytes: Uint8Array, where: string): Record<string, number> {
  const fail = (m: string): never => {
    throw new ModelFormatError(`${where}.custom_options`, m);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  const uint = (at: number, width: number): number => {
    if (at < 0 || at + width > n) fail(`reads bytes [${at}, ${at + width}) past the end of ${n}`);
    switch (width) {
      case 1:
        return view.getUint8(at);
      case 2:
        return view.getUint16(at, true);
      case 4:
        return view.getUint32(at, true);
      case 8: {
        const v = view.getBigUint64(at, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`offset ${v} is too large`);
        return Number(v);
      }
      default:
        return fail(`byte width ${width} is invalid`);
    }
  };
  const int = (at: number, width: number): number => {
    if (at < 0 || at + width > n) fail(`reads bytes [${at}, ${at + width}) past the end of ${n}`);
    switch (width) {
      case 1:
        return view.getInt8(at);
      case 2:
        return view.getInt16(at, true);
      case 4:
        return view.getInt32(at, true);
      default: {
        const v = view.getBigInt64(at, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
          fail(`value ${v} is too large`);
        }
        return Number(v);
      }
    }
  };
  if (n < 3) fail(`${n} bytes is too short for a FlexBuffer`);
  const rootWidth = uint(n - 1, 1);
  const rootType = uint(n - 2, 1);
  const rootAt = n - 2 - rootWidth;
  if ((rootType >> 2) !== MAP) fail(`the root is FlexBuffer type ${rootType >> 2}, expected a map`);
  const mapWidth = 1 << (rootType & 3);
  const mapAt = rootAt - uint(rootAt, rootWidth);
  const size = uint(mapAt - mapWidth, mapWidth);
  if (size > MAX_ENTRIES) fail(`a map of ${size} entries is too large for op options`);
  const keysField = mapAt - 3 * mapWidth;
  const keysAt = keysField - uint(keysField, mapWidth);
  const keysWidth = uint(mapAt - 2 * mapWidth, mapWidth);
  if (uint(keysAt - keysWidth, keysWidth) !== size) fail("the key vector and the map differ in size");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const out: Record<string, number> = {};
  for (let i = 0; i < size; i++) {
    const keyField = keysAt + i * keysWidth;
    const keyAt = keyField - uint(keyField, keysWidth);
    const end = bytes.indexOf(0, keyAt);
    if (keyAt < 0 || keyAt >= n || end < 0 || end - keyAt > 256) fail(`key ${i} is not a NUL-terminated string`);
    let key: string;
    try {
      key = decoder.decode(bytes.subarray(keyAt, end));
    } catch {
      return fail(`key ${i} is not UTF-8`);
    }
    const type = uint(mapAt + size * mapWidth + i, 1) >> 2;
    const valueAt = mapAt + i * mapWidth;
    if (type === INT) out[key] = int(valueAt, mapWidth);
    else if (type === UINT) out[key] = uint(valueAt, mapWidth);
    else if (type === BOOL) out[key] = uint(valueAt, mapWidth) === 0 ? 0 : 1;
    else fail(`option "${key}" has FlexBuffer type ${type}; op options must be integers`);
  }
  return out;
}
