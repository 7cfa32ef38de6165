/**
 * Encoding of the extern structs of libonebit's C ABI, driven by the layout
 * generated from `kernels_zig/abi.zig` (`_abi_generated.ts`), so that the
 * Zig declarations are the only hand-written copy of the ABI.
 * @module
 */
import { parameters, STATUS, structs } from "./_abi_generated.ts";

export { ABI_HASH, ABI_VERSION, parameters, symbols } from "./_abi_generated.ts";

/**
 * Names of the extern structs of the ABI (`Bconv2dParams`, `Im2colParams`, …), as `kernels_zig/abi.zig` declares them.
 * @ignore generated from abi.zig: read that file for the fields.
 */
export type StructName = keyof typeof structs;

type Fields<S extends StructName> = (typeof structs)[S]["fields"];

/**
 * Field values of an extern struct, by their snake_case names in `kernels_zig/abi.zig`: a number, or numbers for an
 * array field (missing entries are 0).
 * @ignore generated from abi.zig: read that file for the fields.
 */
export type StructValues<S extends StructName> = {
  [F in keyof Fields<S>]: Fields<S>[F] extends { count: 1 } ? number : readonly number[];
};

/** A struct's fields in encoding order: name, byte offset, element type and count (text fields left out). */
type FieldList = readonly { field: string; offset: number; type: string; count: number }[];

const fieldLists = new Map<StructName, FieldList>();

/** The fields `encodeStruct` writes for struct `name`, listed once (a kernel call encodes one or two structs). */
function fieldsOf(name: StructName): FieldList {
  let list = fieldLists.get(name);
  if (list === undefined) {
    const fields = structs[name].fields as Record<string, { offset: number; type: string; count: number }>;
    list = Object.entries(fields)
      .filter(([, spec]) => spec.count === 1 || spec.type !== "u8") // text fields are written by the library
      .map(([field, spec]) => ({ field, offset: spec.offset, type: spec.type, count: spec.count }));
    fieldLists.set(name, list);
  }
  return list;
}

/** Encodes `values` as the bytes of extern struct `name` (little-endian). */
export function encodeStruct<S extends StructName>(
  name: S,
  values: StructValues<S>,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(structs[name].size);
  const view = new DataView(bytes.buffer);
  const given = values as Record<string, number | readonly number[]>;
  for (const { field, offset, type, count } of fieldsOf(name)) {
    const value = given[field];
    if (count === 1) {
      if (!encodeScalar(view, offset, type, value)) throw scalarError(`${name}.${field}`, type, value);
      continue;
    }
    if (!Array.isArray(value) || value.length > count) {
      throw new TypeError(`${name}.${field} must be an array of at most ${count} numbers`);
    }
    for (let i = 0; i < value.length; i++) {
      if (!encodeScalar(view, offset + 4 * i, type, value[i])) {
        throw scalarError(`${name}.${field}[${i}]`, type, value[i]);
      }
    }
  }
  return bytes;
}

/** Writes `value` as `type` at `offset`; false (nothing written) when it is not one (the caller names the field). */
function encodeScalar(view: DataView, offset: number, type: string, value: unknown): boolean {
  if (type === "f32") {
    if (typeof value !== "number" || Number.isNaN(value)) return false;
    view.setFloat32(offset, value, true);
    return true;
  }
  if (!Number.isInteger(value)) return false;
  if (type === "i32") view.setInt32(offset, value as number, true);
  else if (type === "u32") view.setUint32(offset, value as number, true);
  else return false;
  return true;
}

/** The error for a field `what` of type `type` given `value`. */
function scalarError(what: string, type: string, value: unknown): TypeError {
  if (type === "f32") return new TypeError(`${what} must be a number, got ${value}`);
  if (type === "i32" || type === "u32") return new TypeError(`${what} must be an integer, got ${value}`);
  return new TypeError(`${what}: cannot encode ${type}`);
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

/** Parameters of a kernel call with their encoding cached: a bound call encodes its struct once. */
export interface Encoded<S extends StructName> {
  readonly values: StructValues<S>;
  bytes?: Uint8Array<ArrayBuffer>;
}

type Specs = typeof parameters;

/** The peak loops (benchmark probes, not kernels): {@link LibrarySymbols} has them. */
type PeakLoopName = "onebit_peak_loop" | "onebit_fma_peak_loop";
const PEAK_LOOPS: readonly string[] = ["onebit_peak_loop", "onebit_fma_peak_loop"] satisfies PeakLoopName[];

/** The ABI's kernels: every function taking an input struct first, except the peak loops. */
export type KernelName = Exclude<
  {
    [F in keyof Specs]: Specs[F] extends readonly [{ kind: "struct"; dir: "in" }, ...unknown[]] ? F : never;
  }[keyof Specs],
  PeakLoopName
>;

/** The TS value of one ABI parameter: an encoded struct, an i32 scalar, or a typed array of the element type. */
type Arg<P> = P extends { kind: "struct"; struct: infer S extends StructName } ? Encoded<S>
  : P extends { kind: "i32"; dir: string } ? Int32Array
  : P extends { kind: "i32" } ? number
  : P extends { kind: "f32" } ? Float32Array
  : P extends { kind: "u32" } ? Uint32Array
  : P extends { kind: "u8" } ? Uint8Array | Int8Array | Uint16Array | Float32Array
  : never;

/** The arguments of kernel `F`, in the ABI's order. */
export type KernelArgs<F extends KernelName> = ArgList<Specs[F]>;

type ArgList<T extends readonly unknown[]> = { -readonly [K in keyof T]: Arg<T[K]> };

/**
 * One implementation of every kernel of the ABI, by its C name: the native
 * library through {@link nativeKernels}, the wasm module (wasm.ts), or the TypeScript reference. A
 * kernel added to `kernels_zig/abi.zig` appears here when the bindings are
 * regenerated, and the reference must then implement it to compile.
 */
export type KernelBackend = { [F in KernelName]: (...args: KernelArgs<F>) => void };

/** The names of {@link KernelBackend}'s functions. */
export const KERNEL_NAMES: readonly KernelName[] = (Object.keys(parameters) as (keyof Specs)[]).filter(
  (f): f is KernelName => {
    const first = (parameters[f] as readonly { kind: string; dir?: string }[])[0];
    return first?.kind === "struct" && first.dir === "in" && !PEAK_LOOPS.includes(f);
  },
);

/**
 * The library functions besides the kernels, with the native library's (FFI) signatures: the micro-kernel lists
 * and the peak loops. Struct and array arguments are byte buffers.
 */
export interface LibrarySymbols {
  onebit_ukernel_count(): number;
  onebit_ukernel_info(index: number, info: Uint8Array): number;
  onebit_sgemm_ukernel_count(): number;
  onebit_sgemm_ukernel_info(index: number, info: Uint8Array): number;
  onebit_peak_loop(params: Uint8Array, sink: Uint32Array): number;
  onebit_fma_peak_loop(params: Uint8Array, sink: Uint32Array): number;
}

/** A compiled build of the kernels the kernel sets run on: libonebit through FFI (native.ts) or its wasm build. */
export interface KernelLibrary {
  /** `"native"`: libonebit through Deno FFI; `"wasm"`: its WebAssembly build. */
  readonly backend: "native" | "wasm";
  /** The file (native) or URL (wasm) it was loaded from. */
  readonly path: string;
  /**
   * The micro-kernel lists and the peak loop, with FFI signatures.
   * @ignore plumbing for BinaryKernels/FloatKernels, which validate every call: use those.
   */
  readonly symbols: LibrarySymbols;
  /**
   * Every kernel of the ABI by its C name, unvalidated.
   * @ignore plumbing for BinaryKernels/FloatKernels, which validate every call: use those.
   */
  readonly kernels: KernelBackend;
  /**
   * A bound op's constant input as the kernels should be passed it from now on: the array itself (native), or a
   * view whose contents were copied into the module's memory once (wasm).
   */
  resident<T extends Float32Array | Int32Array | Uint32Array>(a: T): T;
}

/**
 * The native library as a {@link KernelBackend}: each call encodes its
 * struct arguments (once per {@link Encoded}) and checks the status, which
 * can only be non-zero if TypeScript validation let a bad call through.
 */
export function nativeKernels(lib: Record<string, unknown>): KernelBackend {
  const backend: Record<string, (...args: unknown[]) => void> = {};
  for (const name of KERNEL_NAMES) {
    const fn = lib[name] as (...args: unknown[]) => number;
    const structAt = (parameters[name] as readonly { kind: string; struct?: StructName }[])
      .flatMap((p, i) => p.kind === "struct" ? [[i, p.struct!] as const] : []);
    const check = (status: number) => {
      if (status !== 0) {
        throw new Error(`libonebit ${name} returned ${STATUS[status] ?? status} after validation passed`);
      }
    };
    backend[name] = structAt.length === 1 ? direct(fn, parameters[name].length, structAt[0][1], check) : (...args) => {
      for (const [i, s] of structAt) {
        const e = args[i] as Encoded<StructName>;
        args[i] = e.bytes ??= encodeStruct(s, e.values);
      }
      check(fn(...args));
    };
  }
  return backend as unknown as KernelBackend;
}

/**
 * A kernel whose only struct is its first argument, called with its arguments listed rather than spread (a
 * bound call then costs about what a hand-written wrapper does).
 */
function direct(
  fn: (...args: unknown[]) => number,
  arity: number,
  struct: StructName,
  check: (status: number) => void,
): (...args: unknown[]) => void {
  const enc = (e: unknown) => {
    const p = e as Encoded<StructName>;
    return p.bytes ??= encodeStruct(struct, p.values);
  };
  switch (arity) {
    case 3:
      return (a, b, c) => check(fn(enc(a), b, c));
    case 4:
      return (a, b, c, d) => check(fn(enc(a), b, c, d));
    case 5:
      return (a, b, c, d, e) => check(fn(enc(a), b, c, d, e));
    case 6:
      return (a, b, c, d, e, f) => check(fn(enc(a), b, c, d, e, f));
    case 7:
      return (a, b, c, d, e, f, g) => check(fn(enc(a), b, c, d, e, f, g));
    default:
      return (...args) => check(fn(enc(args[0]), ...args.slice(1)));
  }
}
