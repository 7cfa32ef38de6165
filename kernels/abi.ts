/**
 * Encoding of the extern structs of libonebit's C ABI, driven by the layout
 * generated from `kernels_zig/abi.zig` (`_abi_generated.ts`), so that the
 * Zig declarations are the only hand-written copy of the ABI.
 * @module
 */
import { structs } from "./_abi_generated.ts";

export { ABI_HASH, ABI_VERSION, parameters, symbols } from "./_abi_generated.ts";

/** Names of the extern structs of the ABI. */
export type StructName = keyof typeof structs;

type Fields<S extends StructName> = (typeof structs)[S]["fields"];

/** Field values of an extern struct, by name: a number, or numbers for an array field (missing entries are 0). */
export type StructValues<S extends StructName> = {
  [F in keyof Fields<S>]: Fields<S>[F] extends { count: 1 } ? number : readonly number[];
};

/** Encodes `values` as the bytes of extern struct `name` (little-endian). */
export function encodeStruct<S extends StructName>(
  name: S,
  values: StructValues<S>,
): Uint8Array<ArrayBuffer> {
  const layout = structs[name];
  const bytes = new Uint8Array(layout.size);
  const view = new DataView(bytes.buffer);
  for (const [field, spec] of Object.entries(layout.fields)) {
    const value = (values as Record<string, number | readonly number[]>)[field];
    if (spec.count === 1) {
      encodeScalar(view, spec.offset, spec.type, value, `${name}.${field}`);
      continue;
    }
    if (spec.type === "u8") continue; // text fields are written by the library, never encoded
    if (!Array.isArray(value) || value.length > spec.count) {
      throw new TypeError(`${name}.${field} must be an array of at most ${spec.count} numbers`);
    }
    for (let i = 0; i < value.length; i++) {
      encodeScalar(view, spec.offset + 4 * i, spec.type, value[i], `${name}.${field}[${i}]`);
    }
  }
  return bytes;
}

function encodeScalar(view: DataView, offset: number, type: string, value: unknown, what: string): void {
  if (type === "f32") {
    if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`${what} must be a number, got ${value}`);
    view.setFloat32(offset, value, true);
    return;
  }
  if (!Number.isInteger(value)) throw new TypeError(`${what} must be an integer, got ${value}`);
  if (type === "i32") view.setInt32(offset, value as number, true);
  else if (type === "u32") view.setUint32(offset, value as number, true);
  else throw new TypeError(`${what}: cannot encode ${type}`);
}

/** Allocates zeroed storage for extern struct `name` (an output parameter). */
export function allocStruct(name: StructName): Uint8Array<ArrayBuffer> {
  return new Uint8Array(structs[name].size);
}

/** Reads an i32 field of a struct previously filled by the library. */
export function readI32<S extends StructName>(
  name: S,
  bytes: Uint8Array,
  field: keyof (typeof structs)[S]["fields"] & string,
): number {
  const spec = (structs[name].fields as Record<string, { offset: number }>)[field];
  return new DataView(bytes.buffer, bytes.byteOffset).getInt32(spec.offset, true);
}

/** Reads a NUL-terminated u8-array field as text. */
export function readString<S extends StructName>(
  name: S,
  bytes: Uint8Array,
  field: keyof (typeof structs)[S]["fields"] & string,
): string {
  const spec = (structs[name].fields as Record<string, { offset: number; count: number }>)[field];
  const raw = bytes.subarray(spec.offset, spec.offset + spec.count);
  const end = raw.indexOf(0);
  return new TextDecoder().decode(raw.subarray(0, end < 0 ? raw.length : end));
}
