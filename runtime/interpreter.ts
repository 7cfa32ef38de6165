/**
 * A TFLite interpreter for onebit and LCE files. Loading verifies the
 * whole file (flatbuffer bounds, indices, buffer sizes, types, shapes, op
 * options, execution order) and prepares every op once: packed weights,
 * one arena planned from tensor lifetimes, one scratch buffer. Residual
 * blocks (a float-output LceBconv2d, the ADD reading it, the LceQuantize of
 * the sum) run as one kernel call, the add and pack in its epilogue (option
 * `fuse`). `invoke` then only copies inputs in, runs the ops and copies
 * outputs out.
 * @module
 */
import { ModelFormatError, ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import { readFlexMap } from "../tflite/flexbuffer.ts";
import type { Operator, Tensor, TfliteModel } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import { Builtin, BUILTIN_OPTIONS, builtinName, TensorType, tensorTypeName } from "../tflite/schema.ts";
import { BinaryKernels, type KernelsOptions, MAX_THREADS } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { BUILTIN_KERNELS } from "./ops/builtin.ts";
import { lceBconv2d, lceBconv2dAdd, lceBmaxpool2d, lceDequantize, lceQuantize } from "./ops/lce.ts";
import type { OpContext, OpKernel, PreparedOp, TensorData, TensorInfo } from "./ops/_types.ts";
import { ARENA_ALIGNMENT, planArena } from "./planner.ts";
import { product } from "./ops/_util.ts";

/** Custom ops by `custom_code`. */
const CUSTOM_KERNELS: ReadonlyMap<string, OpKernel> = new Map([
  ["LceQuantize", lceQuantize],
  ["LceDequantize", lceDequantize],
  ["LceBconv2d", lceBconv2d],
  ["LceBMaxPool2d", lceBmaxpool2d],
]);

/** Largest tensor, and largest arena, the interpreter allocates (bytes). */
const MAX_TENSOR_BYTES = 2 ** 31 - 1;
const MAX_ARENA_BYTES = 2 ** 32;
/** Tensors per subgraph (the arena planner is quadratic in them). */
const MAX_TENSORS = 65536;

export interface InterpreterOptions extends KernelsOptions {
  /** `native` (fail if the library is missing), `reference` (pure TS) or `auto` (default: native if it loads). */
  backend?: "auto" | "native" | "reference";
  /** Threads for the binary kernels, 1..64 (default 1). */
  numThreads?: number;
  /** Binary kernels to run on (e.g. a forced micro-kernel from `BinaryKernels.with`); overrides `backend`. */
  kernels?: BinaryKernels;
  /** Float kernels to run on; overrides `backend` for the float ops. */
  floatKernels?: FloatKernels;
  /** Record the time of every op on each invoke (see {@link Interpreter.profile}). */
  profile?: boolean;
  /**
   * Fuse each float-output LceBconv2d with the ADD that is its output's only reader (and with the LceQuantize
   * of the sum, when there is one) into one kernel call (default true): the residual blocks of QuickNet-style
   * models. The results are the same bits either way.
   */
  fuse?: boolean;
}

/** A model input or output. */
export interface TensorSpec {
  name: string;
  shape: number[];
  /** e.g. `FLOAT32`. */
  type: string;
  /** Tensor index in the subgraph. */
  index: number;
}

/** Time spent in one op over the invokes since the last reset. */
export interface OpProfile {
  /** Index of the operator in the file (of the first, for fused ones). */
  index: number;
  /** `LceBconv2d`, `CONV_2D`, ... or a fusion such as `LceBconv2d+ADD+LceQuantize`. */
  op: string;
  /** Name of its first output tensor. */
  output: string;
  total_ms: number;
  invocations: number;
}

type DataCtor = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorData;
  BYTES_PER_ELEMENT: number;
};

function dataCtor(type: number): DataCtor | undefined {
  switch (type) {
    case TensorType.FLOAT32:
      return Float32Array;
    case TensorType.INT32:
      return Int32Array;
    case TensorType.INT8:
      return Int8Array;
    case TensorType.UINT8:
    case TensorType.BOOL:
      return Uint8Array;
    case TensorType.INT16:
    case TensorType.FLOAT16:
      return Int16Array;
    case TensorType.INT64:
      return BigInt64Array as unknown as DataCtor;
    case TensorType.FLOAT64:
      return Float64Array as unknown as DataCtor;
    default:
      return undefined;
  }
}

/** `LceBconv2d`, `CONV_2D`, ... (`opcode 7` for an opcode index past the table). */
function opName(model: TfliteModel, op: Operator): string {
  const code = model.operatorCodes[op.opcodeIndex];
  if (code === undefined) return `opcode ${op.opcodeIndex}`;
  return code.builtinCode === Builtin.CUSTOM ? code.customCode ?? "CUSTOM" : builtinName(code.builtinCode);
}

function opLabel(model: TfliteModel, op: Operator, i: number): string {
  return `operator ${i} (${opName(model, op)})`;
}

/** An operator as the interpreter runs it: one of the file's, or a fusion of several (`fused` names them). */
interface PlannedOp {
  op: Operator;
  /** Index of the (first) file operator. */
  index: number;
  fused: string | null;
}

/**
 * The run order, with each float-output LceBconv2d whose output only an ADD reads (same shapes, no broadcast,
 * the other operand computed before the convolution) merged with that ADD, and with an LceQuantize of the
 * sum when there is one: the convolution's epilogue then adds and packs while its rows are in cache.
 */
function fuseResiduals(model: TfliteModel): PlannedOp[] {
  const g = model.subgraphs[0];
  const producer = new Int32Array(g.tensors.length).fill(-1);
  const readers = new Map<number, number[]>();
  g.operators.forEach((op, k) => {
    op.outputs.forEach((t) => producer[t] = k);
    for (const t of op.inputs) if (t >= 0) readers.set(t, [...readers.get(t) ?? [], k]);
  });
  const outputs = new Set(g.outputs);
  const sameShape = (a: number, b: number) =>
    g.tensors[a].shape.length === g.tensors[b].shape.length &&
    g.tensors[a].shape.every((d, i) => d === g.tensors[b].shape[i]);
  const isFloat = (t: number) => g.tensors[t].type === TensorType.FLOAT32;
  const removed = new Set<number>();
  const planned: PlannedOp[] = [];
  g.operators.forEach((op, k) => {
    if (removed.has(k)) return;
    planned.push(fuseAt(op, k) ?? { op, index: k, fused: null });
  });
  return planned;

  function fuseAt(op: Operator, k: number): PlannedOp | null {
    if (opName(model, op) !== "LceBconv2d" || op.inputs.length !== 5 || op.inputs[4] >= 0) return null;
    const y = op.outputs[0];
    const r = readers.get(y) ?? [];
    if (op.outputs.length !== 1 || outputs.has(y) || !isFloat(y) || r.length !== 1) return null;
    const add = g.operators[r[0]];
    if (opName(model, add) !== "ADD" || add.inputs.length !== 2 || add.outputs.length !== 1) return null;
    const x = add.inputs[0] === y ? add.inputs[1] : add.inputs[0], z = add.outputs[0];
    if (x === y || x < 0 || !isFloat(x) || !isFloat(z) || !sameShape(x, y) || !sameShape(z, y)) return null;
    if (producer[x] >= k) return null; // the other operand must exist when the convolution runs
    const q = (readers.get(z) ?? []).find((j) => {
      const o = g.operators[j];
      return opName(model, o) === "LceQuantize" && o.inputs.length === 1 && o.outputs.length === 1;
    });
    removed.add(r[0]);
    if (q !== undefined) removed.add(q);
    return {
      op: {
        ...op,
        inputs: [...op.inputs, x],
        outputs: q === undefined ? [z] : [z, g.operators[q].outputs[0]],
        builtinOptions: add.builtinOptions,
      },
      index: k,
      fused: q === undefined ? "LceBconv2d+ADD" : "LceBconv2d+ADD+LceQuantize",
    };
  }
}

function tensorLabel(t: Tensor, i: number): string {
  return `tensor ${i} "${t.name}"`;
}

function decodeCustomOptions(where: string, bytes: Uint8Array | null): Record<string, unknown> | null {
  if (bytes === null || bytes.length === 0) return null;
  if (bytes.length > 65536) {
    throw new ModelFormatError(`${where}.custom_options`, `${bytes.length} bytes are too large`);
  }
  return readFlexMap(bytes, where);
}

/** Checks indices, types, buffer sizes and execution order of subgraph 0. */
function validateGraph(model: TfliteModel): void {
  if (model.version !== 3) {
    throw new UnsupportedModelError("model", `schema version ${model.version}; this runtime reads version 3 files`);
  }
  if (model.subgraphs.length === 0) throw new ModelValidationError("model", "has no subgraph");
  const g = model.subgraphs[0];
  const n = g.tensors.length;
  g.tensors.forEach((t, i) => {
    const where = tensorLabel(t, i);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ModelValidationError(
        where,
        `shape [${t.shape}] has a negative dimension; fix the batch size when converting`,
      );
    }
    const ctor = dataCtor(t.type);
    if (ctor === undefined) throw new UnsupportedModelError(where, `type ${tensorTypeName(t.type)} is not supported`);
    const size = ctor.BYTES_PER_ELEMENT;
    // !(<=) also catches NaN (e.g. a huge dimension times 0).
    if (!(product(t.shape) * size <= MAX_TENSOR_BYTES)) {
      throw new ModelValidationError(
        where,
        `shape [${t.shape}] is ${product(t.shape) * size} bytes, past the 2 GiB limit`,
      );
    }
    if (t.buffer >= model.buffers.length) {
      throw new ModelValidationError(where, `buffer ${t.buffer} does not exist (the file has ${model.buffers.length})`);
    }
    const data = model.buffers[t.buffer];
    if (data.length > 0 && data.length !== product(t.shape) * size) {
      throw new ModelValidationError(
        where,
        `constant data has ${data.length} bytes, shape [${t.shape}] of ${tensorTypeName(t.type)} needs ${
          product(t.shape) * size
        }`,
      );
    }
    if (t.isVariable) throw new UnsupportedModelError(where, "variable tensors are not supported");
    if (t.sparse) throw new UnsupportedModelError(where, "sparse tensors are not supported; convert without sparsity");
  });
  if (g.tensors.length > MAX_TENSORS) {
    throw new UnsupportedModelError(
      "subgraph 0",
      `${g.tensors.length} tensors are more than the ${MAX_TENSORS} supported`,
    );
  }
  const checkIndex = (where: string, what: string, idx: number, optional: boolean) => {
    if (!Number.isInteger(idx) || idx >= n || idx < (optional ? -1 : 0)) {
      throw new ModelValidationError(where, `${what} refers to tensor ${idx}; the subgraph has ${n} tensors`);
    }
  };
  g.inputs.forEach((i, k) => checkIndex("subgraph 0", `input ${k}`, i, false));
  g.outputs.forEach((i, k) => checkIndex("subgraph 0", `output ${k}`, i, false));
  const available = new Uint8Array(n);
  g.tensors.forEach((t, i) => {
    if (model.buffers[t.buffer].length > 0) available[i] = 1;
  });
  for (const i of g.inputs) {
    if (available[i]) {
      throw new ModelValidationError(
        tensorLabel(g.tensors[i], i),
        "is a model input but has constant data in the file",
      );
    }
    available[i] = 1;
  }
  g.operators.forEach((op, k) => {
    const where = opLabel(model, op, k);
    if (op.opcodeIndex >= model.operatorCodes.length) {
      throw new ModelValidationError(where, `opcode index ${op.opcodeIndex} does not exist`);
    }
    const code = model.operatorCodes[op.opcodeIndex].builtinCode;
    const expected = BUILTIN_OPTIONS.get(code) ?? 0;
    if (code !== Builtin.CUSTOM && op.builtinOptionsType !== 0 && op.builtinOptionsType !== expected) {
      throw new ModelValidationError(
        where,
        `carries builtin options of union type ${op.builtinOptionsType}, ${builtinName(code)} takes type ${expected}`,
      );
    }
    op.inputs.forEach((i, j) => {
      checkIndex(where, `input ${j}`, i, true);
      if (i >= 0 && !available[i]) {
        throw new ModelValidationError(
          where,
          `input ${j} reads ${
            tensorLabel(g.tensors[i], i)
          } before any earlier operator produces it (a cycle or an out-of-order graph)`,
        );
      }
    });
    op.outputs.forEach((i, j) => {
      checkIndex(where, `output ${j}`, i, false);
      if (available[i]) {
        throw new ModelValidationError(
          where,
          `output ${j} writes ${
            tensorLabel(g.tensors[i], i)
          }, which is a constant, a model input or another operator's output`,
        );
      }
      available[i] = 1;
    });
  });
  g.outputs.forEach((i, k) => {
    if (!available[i]) throw new ModelValidationError("subgraph 0", `output ${k} (tensor ${i}) is never computed`);
  });
}

/**
 * Runs a `.tflite` model (onebit's or LCE's converter output).
 *
 * @example
 * ```ts
 * import { Interpreter } from "./interpreter.ts";
 * import { writeModel } from "../tflite/writer.ts";
 * // A one-op model: y = relu(x)
 * const f32 = (name: string) => ({ name, shape: [1, 4], shapeSignature: null, type: 0, buffer: 0, quantization: null, isVariable: false });
 * const bytes = writeModel({
 *   version: 3, description: "", buffers: [new Uint8Array(0)], signatureDefs: [], metadata: [],
 *   operatorCodes: [{ builtinCode: 19, customCode: null, version: 1 }],
 *   subgraphs: [{ name: "main", tensors: [f32("x"), f32("y")], inputs: [0], outputs: [1],
 *     operators: [{ opcodeIndex: 0, inputs: [0], outputs: [1], builtinOptionsType: 0, builtinOptions: null, customOptions: null }] }],
 * });
 * const it = Interpreter.fromBytes(bytes, { backend: "reference" });
 * console.log(it.invoke([new Float32Array([-1, 2, -3, 4])])[0]); // Float32Array [0, 2, 0, 4]
 * ```
 */
export class Interpreter {
  /** Model inputs, in the subgraph's order. */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Bytes of the activation arena and of the shared scratch buffer. */
  readonly arenaBytes: number;
  readonly scratchBytes: number;
  /**
   * Bytes of constant data kept: packed weights and padded per-channel arrays
   * the ops own, plus the file's constants some op still reads at run time
   * (constants that every consumer packed are dropped after loading).
   */
  readonly constantBytes: number;
  readonly kernels: BinaryKernels;
  readonly floatKernels: FloatKernels;

  /**
   * Which kernels run this model: `native` (libonebit, see {@link Interpreter.library}) or `reference` (pure
   * TypeScript); `mixed` when binary and float kernels on different backends were passed in.
   */
  get backend(): "native" | "reference" | "mixed" {
    const b = this.kernels.backend;
    return b === this.floatKernels.backend ? b : "mixed";
  }

  /** The native library's file, when the binary kernels run natively. */
  get library(): string | undefined {
    return this.kernels.library;
  }
  readonly #ops: {
    index: number;
    label: string;
    output: string;
    prepared: PreparedOp;
    inputs: (TensorData | null)[];
    outputs: TensorData[];
  }[];
  readonly #views: (TensorData | null)[];
  readonly #scratch: ArrayBuffer;
  readonly #times: Float64Array | null;
  #invocations = 0;

  private constructor(model: TfliteModel, options: InterpreterOptions) {
    const threads = options.numThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new RangeError(`numThreads must be an integer in [1, ${MAX_THREADS}], got ${threads}`);
    }
    const backend = options.backend ?? "auto";
    if (backend !== "auto" && backend !== "native" && backend !== "reference") {
      throw new TypeError(`backend must be "auto", "native" or "reference", got ${JSON.stringify(backend)}`);
    }
    const pick = <K>(
      given: K | undefined,
      make: { reference(o: object): K; native(o: object): K; auto(o: object): K },
    ) =>
      given !== undefined
        ? given
        : backend === "reference"
        ? make.reference({ threads })
        : backend === "native"
        ? make.native({ path: options.path, threads })
        : make.auto({ path: options.path, threads });
    this.kernels = pick(options.kernels, BinaryKernels);
    this.floatKernels = pick(options.floatKernels, FloatKernels);

    validateGraph(model);
    const g = model.subgraphs[0];
    if (options.fuse !== undefined && typeof options.fuse !== "boolean") {
      throw new TypeError(`fuse must be a boolean, got ${String(options.fuse)}`);
    }
    const operators: PlannedOp[] = options.fuse === false
      ? g.operators.map((op, index) => ({ op, index, fused: null }))
      : fuseResiduals(model);
    const constantViews = new Map<number, TensorData>();
    const freed = new Set<number>();
    let constantBytes = 0;
    // One aligned copy per buffer (file offsets need not be aligned; tensors may share a buffer).
    const copies = new Map<number, ArrayBuffer>();
    const info: TensorInfo[] = g.tensors.map((t, i) => {
      const data = model.buffers[t.buffer];
      let constant: TensorData | null = null;
      if (data.length > 0) {
        const ctor = dataCtor(t.type)!;
        let copy = copies.get(t.buffer);
        if (copy === undefined) {
          copy = new ArrayBuffer(data.length);
          new Uint8Array(copy).set(data);
          copies.set(t.buffer, copy);
        }
        constant = new ctor(copy, 0, data.length / ctor.BYTES_PER_ELEMENT);
        constantViews.set(i, constant);
      }
      return {
        index: i,
        name: t.name,
        type: t.type,
        shape: [...t.shape],
        constant,
        scale: t.quantization?.scale ?? [],
        zeroPoint: t.quantization?.zeroPoint ?? [],
      };
    });

    // Prepare every op; collect lifetimes of the tensors that live in the arena.
    const prepared: PreparedOp[] = [];
    const first = new Int32Array(g.tensors.length).fill(-1);
    const last = new Int32Array(g.tensors.length).fill(-1);
    for (const i of g.inputs) first[i] = last[i] = 0;
    let scratchBytes = 0;
    operators.forEach(({ op, index, fused }, k) => {
      const where = fused ? `operator ${index} (${fused})` : opLabel(model, op, index);
      const code = model.operatorCodes[op.opcodeIndex];
      const kernel = fused
        ? lceBconv2dAdd
        : code.builtinCode === Builtin.CUSTOM
        ? CUSTOM_KERNELS.get(code.customCode ?? "")
        : BUILTIN_KERNELS.get(code.builtinCode);
      if (kernel === undefined) {
        throw new UnsupportedModelError(
          where,
          `this runtime has no kernel for ${
            code.builtinCode === Builtin.CUSTOM ? `custom op "${code.customCode}"` : builtinName(code.builtinCode)
          }`,
        );
      }
      const ctx: OpContext = {
        where,
        inputs: op.inputs.map((i) => i < 0 ? null : info[i]),
        outputs: op.outputs.map((i) => info[i]),
        options: op.builtinOptions,
        custom: code.builtinCode === Builtin.CUSTOM ? decodeCustomOptions(where, op.customOptions) : null,
        kernels: this.kernels,
        float: this.floatKernels,
        threads,
        invalid: (m) => {
          throw new ModelValidationError(where, m);
        },
        unsupported: (m) => {
          throw new UnsupportedModelError(where, m);
        },
      };
      let p: PreparedOp;
      try {
        p = kernel.prepare(ctx);
      } catch (e) {
        // A kernel API rejecting the op's geometry or weights; anything else is a bug and propagates.
        if (e instanceof RangeError || e instanceof TypeError) throw new ModelValidationError(where, e.message);
        throw e;
      }
      if (p.outputShapes.length !== op.outputs.length) {
        throw new ModelValidationError(
          where,
          `has ${op.outputs.length} outputs, the op computes ${p.outputShapes.length}`,
        );
      }
      op.outputs.forEach((t, j) => {
        const declared = g.tensors[t].shape;
        const computed = p.outputShapes[j];
        if (computed.length !== declared.length || computed.some((d, q) => d !== declared[q])) {
          throw new ModelValidationError(
            where,
            `output ${j} "${g.tensors[t].name}" is declared [${declared}] but the op computes [${computed}]`,
          );
        }
        first[t] = k;
        last[t] = k;
      });
      for (const t of op.inputs) if (t >= 0 && !constantViews.has(t)) last[t] = k;
      scratchBytes = Math.max(scratchBytes, p.scratchBytes ?? 0);
      prepared.push(p);
    });
    // Constants every consumer packed at prepare are not kept (the packed copies are).
    const stillNeeded = new Set<number>();
    let ownedBytes = 0;
    operators.forEach(({ op }, k) => {
      const packed = new Set(prepared[k].packedInputs ?? []);
      op.inputs.forEach((t, j) => {
        if (t >= 0 && constantViews.has(t) && !packed.has(j)) stillNeeded.add(t);
      });
      ownedBytes += prepared[k].ownedBytes ?? 0;
    });
    for (const t of g.outputs) stillNeeded.add(t);
    for (const t of [...constantViews.keys()]) {
      if (!stillNeeded.has(t)) {
        constantViews.delete(t);
        freed.add(t);
      }
    }
    for (const buffer of new Set([...constantViews.values()].map((v) => v.buffer))) constantBytes += buffer.byteLength;
    const end = operators.length;
    for (const t of g.outputs) last[t] = end;

    const arenaTensors = g.tensors.map((_, i) => i).filter((i) =>
      !constantViews.has(i) && !freed.has(i) && first[i] >= 0
    );
    const plan = planArena(arenaTensors.map((i) => ({
      bytes: product(g.tensors[i].shape) * dataCtor(g.tensors[i].type)!.BYTES_PER_ELEMENT,
      first: first[i],
      last: last[i],
    })));
    if (!(plan.size + scratchBytes <= MAX_ARENA_BYTES)) {
      throw new ModelValidationError(
        "model",
        `needs a ${plan.size}-byte arena and ${scratchBytes} bytes of scratch, past the 4 GiB limit`,
      );
    }
    let arena: ArrayBuffer;
    try {
      arena = new ArrayBuffer(Math.max(plan.size, ARENA_ALIGNMENT));
    } catch {
      throw new ModelValidationError("model", `cannot allocate its ${plan.size}-byte activation arena`);
    }
    const views: (TensorData | null)[] = g.tensors.map((_, i) => constantViews.get(i) ?? null);
    arenaTensors.forEach((i, k) => {
      const ctor = dataCtor(g.tensors[i].type)!;
      views[i] = new ctor(arena, plan.offsets[k], product(g.tensors[i].shape));
    });
    this.#views = views;
    try {
      this.#scratch = new ArrayBuffer(Math.max(scratchBytes, ARENA_ALIGNMENT));
    } catch {
      throw new ModelValidationError("model", `cannot allocate ${scratchBytes} bytes of scratch`);
    }
    this.#ops = operators.map(({ op, index, fused }, k) => ({
      index,
      label: fused ?? opName(model, op),
      output: g.tensors[op.outputs[0]]?.name ?? "",
      prepared: prepared[k],
      inputs: op.inputs.map((i) => i < 0 ? null : views[i]),
      outputs: op.outputs.map((i) => views[i]!),
    }));
    const spec = (i: number): TensorSpec => ({
      name: g.tensors[i].name,
      shape: [...g.tensors[i].shape],
      type: tensorTypeName(g.tensors[i].type),
      index: i,
    });
    this.inputs = g.inputs.map(spec);
    this.outputs = g.outputs.map(spec);
    this.arenaBytes = plan.size;
    this.scratchBytes = scratchBytes;
    this.constantBytes = constantBytes + ownedBytes;
    this.#times = options.profile ? new Float64Array(operators.length) : null;
  }

  /** Loads a model from the bytes of a `.tflite` file (verified; see the module doc). */
  static fromBytes(bytes: Uint8Array, options: InterpreterOptions = {}): Interpreter {
    return new Interpreter(readModel(bytes), options);
  }

  /** Loads a model from a path or URL. */
  static async fromFile(path: string | URL, options: InterpreterOptions = {}): Promise<Interpreter> {
    return Interpreter.fromBytes(await Deno.readFile(path), options);
  }

  /**
   * Runs the model. `inputs` in the order of {@link Interpreter.inputs}, or
   * by input name; each a typed array of the input's type and element count.
   * Returns copies of the outputs.
   */
  invoke(inputs: readonly TensorData[] | Record<string, TensorData>): TensorData[] {
    if (ArrayBuffer.isView(inputs)) {
      throw new TypeError("invoke takes an array of inputs (or a map of input names to arrays), not one typed array");
    }
    const list = Array.isArray(inputs) ? inputs : this.inputs.map((s) => {
      const v = Object.hasOwn(inputs, s.name) ? (inputs as Record<string, TensorData>)[s.name] : undefined;
      if (v === undefined) {
        throw new TypeError(`missing input "${s.name}"; inputs are ${this.inputs.map((i) => i.name)}`);
      }
      return v;
    });
    if (list.length !== this.inputs.length) {
      throw new RangeError(`the model takes ${this.inputs.length} inputs, got ${list.length}`);
    }
    this.inputs.forEach((s, k) => {
      const view = this.#views[s.index]!;
      const v: TensorData = list[k];
      if (!(v instanceof view.constructor)) {
        throw new TypeError(`input ${k} "${s.name}" must be a ${view.constructor.name} (${s.type})`);
      }
      if (v.length !== view.length) {
        throw new RangeError(
          `input ${k} "${s.name}" must have ${view.length} elements (shape [${s.shape}]), got ${v.length}`,
        );
      }
      (view as Float32Array).set(v as Float32Array);
    });
    const times = this.#times;
    for (let k = 0; k < this.#ops.length; k++) {
      const op = this.#ops[k];
      const t0 = times ? performance.now() : 0;
      op.prepared.run({ inputs: op.inputs, outputs: op.outputs, scratch: this.#scratch });
      if (times) times[k] += performance.now() - t0;
    }
    this.#invocations++;
    return this.outputs.map((s) => this.#views[s.index]!.slice());
  }

  /** Per-op times since creation or the last {@link resetProfile} (needs `profile: true`). */
  profile(): OpProfile[] {
    if (this.#times === null) throw new Error("create the interpreter with { profile: true } to profile it");
    return this.#ops.map((op, k) => ({
      index: op.index,
      op: op.label,
      output: op.output,
      total_ms: this.#times![k],
      invocations: this.#invocations,
    }));
  }

  resetProfile(): void {
    this.#times?.fill(0);
    this.#invocations = 0;
  }
}
