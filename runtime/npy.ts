/**
 * NumPy `.npy` files (format versions 1–3): {@link readNpy} reads
 * little-endian float32, float64, uint8, int8, uint16 and int32 arrays in C order;
 * {@link encodeNpy} writes any typed array (version 1.0, the header padded
 * to 64 bytes as NumPy does).
 *
 * @example
 * ```ts
 * import { encodeNpy, readNpy } from "./npy.ts";
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const a = readNpy(bytes);
 * console.log(a.dtype, a.shape, a.data); // float32 [ 2, 3 ] Float32Array(6) [ 1, 2, 3, 4, 5, 6 ]
 * ```
 * @module
 */

/** The element types {@link readNpy} reads. */
export type NpyDType = "float32" | "float64" | "uint8" | "int8" | "uint16" | "int32";

/** An array read from a `.npy` file. */
export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: Float32Array | Float64Array | Uint8Array | Int8Array | Uint16Array | Int32Array;
}

/** A `.npy` file that is malformed or holds what {@link readNpy} does not read. */
export class NpyError extends Error {
  override name = "NpyError";
}

/** Typed arrays {@link encodeNpy} writes. */
export type NpyData =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | BigInt64Array;

type Ctor = { new (buffer: ArrayBuffer): NpyArray["data"]; BYTES_PER_ELEMENT: number };

const READ: Record<string, [NpyDType, Ctor]> = {
  "<f4": ["float32", Float32Array],
  "<f8": ["float64", Float64Array],
  "|u1": ["uint8", Uint8Array],
  "<u1": ["uint8", Uint8Array],
  "|i1": ["int8", Int8Array],
  "<i1": ["int8", Int8Array],
  "<u2": ["uint16", Uint16Array],
  "<i4": ["int32", Int32Array],
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The header dictionary of a `.npy` file and where its data starts. */
function parseHeader(bytes: Uint8Array): { descr: string; fortran: boolean; shape: number[]; dataStart: number } {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new NpyError("is not a .npy file (no \\x93NUMPY magic); save it with numpy.save");
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw new NpyError(`has .npy format version ${major}.${bytes[7]}; versions 1-3 are read`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = major >= 2;
  if (wide && bytes.length < 12) throw new NpyError("is truncated in its header");
  const length = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = wide ? 12 : 10;
  if (start + length > bytes.length) throw new NpyError("is truncated in its header");
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + length));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`has a malformed header: ${JSON.stringify(text.trim())}`);
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new NpyError(`has a malformed shape (${shapeText})`);
  return { descr, fortran: fortran === "True", shape, dataStart: start + length };
}

/**
 * Reads a `.npy` file: little-endian float32 (`<f4`), float64 (`<f8`),
 * uint8 (`|u1`), int8 (`|i1`), uint16 (`<u2`) or int32 (`<i4`), in C order. Throws
 * {@link NpyError} for another dtype, Fortran order, or a data length that
 * does not match the shape.
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  const { descr, fortran, shape, dataStart } = parseHeader(bytes);
  const entry = READ[descr];
  if (entry === undefined) {
    throw new NpyError(
      `has dtype ${descr}; .npy inputs must be little-endian float32, float64, uint8, int8, uint16 or int32 ` +
        `(convert with a.astype(np.float32))`,
    );
  }
  if (fortran) throw new NpyError("is in Fortran order; save a C-order array (np.ascontiguousarray(a))");
  const [dtype, ctor] = entry;
  const count = shape.reduce((a, b) => a * b, 1);
  const have = bytes.length - dataStart;
  if (have !== count * ctor.BYTES_PER_ELEMENT) {
    throw new NpyError(
      `has ${have} data bytes, but shape (${shape}) of ${dtype} needs ${count * ctor.BYTES_PER_ELEMENT} ` +
        `(truncated or corrupt)`,
    );
  }
  const copy = new ArrayBuffer(have); // aligned, and not a view of the caller's buffer
  new Uint8Array(copy).set(bytes.subarray(dataStart));
  return { dtype, shape, data: new ctor(copy) };
}

/** The NumPy descr of a typed array's elements. */
function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof Uint8Array) return "|u1";
  if (data instanceof Int8Array) return "|i1";
  if (data instanceof Int16Array) return "<i2";
  if (data instanceof Uint16Array) return "<u2";
  if (data instanceof Int32Array) return "<i4";
  if (data instanceof BigInt64Array) return "<i8";
  throw new TypeError("encodeNpy takes a Float32/Float64/Uint8/Int8/Int16/Uint16/Int32/BigInt64 array");
}

/**
 * A `.npy` file (version 1.0, C order) holding `data` with `shape`. `descr`
 * overrides the element type written, for one of the same size (e.g. `<f2`
 * for float16 bits in an Int16Array, `|b1` for booleans in a Uint8Array).
 */
export function encodeNpy(data: NpyData, shape: readonly number[], descr?: string): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== data.length) {
    throw new RangeError(`encodeNpy: shape [${shape}] does not hold ${data.length} elements`);
  }
  const own = descrOf(data);
  const d = descr ?? own;
  if (!/^[<|>][a-zA-Z]\d+$/.test(d) || Number(d.slice(2)) !== Number(own.slice(2))) {
    throw new RangeError(`encodeNpy: descr ${d} does not fit ${data.constructor.name} elements`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '${d}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n"; // NumPy pads header+preamble to 64 bytes
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
