/**
 * A TFLite interpreter for onebit and LCE files. Loading verifies the
 * whole file (flatbuffer bounds, indices, buffer sizes, types, shapes, op
 * options, execution order) and prepares every op once: packed weights,
 * one arena planned from tensor lifetimes, one scratch buffer; ops that
 * read only constants run once there (runtime/fold.ts). Residual
 * blocks (a float-output LceBconv2d, the ADD reading it, the LceQuantize of
 * the sum) run as one kernel call, the add and pack in its epilogue (option
 * `fuse`); so does a float convolution of ±1 inputs by a sign-times-scale
 * filter (runtime/binarize.ts). `invoke` then only copies inputs in, runs the ops and copies
 * outputs out. Memory: the ops pack their weights from the file's bytes in
 * place; `fromBytes` keeps views of the caller's bytes for the constants
 * still read at run time, `fromFile` copies those into one buffer and frees
 * the file (bench/memory.ts measures the resident memory).
 * @module
 */
import { type Backend, checkBackend } from "../kernels/backend.ts";
import { BinaryKernels, type KernelsOptions, MAX_THREADS } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { ModelFormatError, ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import { readFlexMap } from "../tflite/flexbuffer.ts";
import type { TfliteModel } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import { Builtin, builtinName, tensorTypeName } from "../tflite/schema.ts";
import { isBinaryOp, modelGraph } from "../tflite/summary.ts";
import { binaryCell, type GraphDescription, graphRenderer } from "../viz/graph_description.ts";
import { escapeHtml, htmlBundle, htmlTable, JUPYTER_DISPLAY, type MediaBundle } from "../viz/html.ts";
import { binarizeFloatConvs } from "./binarize.ts";
import { foldConstants } from "./fold.ts";
import { fuseOperators, type PlannedOp } from "./fuse.ts";
import type { OpContext, PreparedOp, TensorData, TensorInfo } from "./ops/_types.ts";
import { product } from "./ops/_util.ts";
import { ARENA_ALIGNMENT, planArena } from "./planner.ts";
import { defaultRegistry, OpRegistry } from "./registry.ts";
import { BUILTIN_KERNELS } from "./ops/builtin.ts";
import { channelAffine } from "./ops/channel_affine.ts";
import { concatAffine } from "./ops/concat_affine.ts";
import { padAdd } from "./ops/pad_add.ts";
import { scalePreluAdd } from "./ops/scale_prelu_add.ts";
import { LCE_KERNELS, lceBconv2dAdd } from "./ops/lce.ts";
import type { OpKernel } from "./ops/_types.ts";
import { dataCtor, MAX_ARENA_BYTES, opLabel, opName, validateGraph } from "./validate.ts";

/**
 * Options of {@link Interpreter.fromFile} and {@link Interpreter.fromBytes}: which kernels run the model (backend,
 * library path, threads, micro-kernel), profiling, fusion and the op registry.
 */
export interface InterpreterOptions extends KernelsOptions {
  /**
   * `native` (fail if the library is missing), `wasm` (fail if the module did not load), `reference` (pure TS)
   * or `auto` (default: native if it loads, else wasm, else reference; see kernels/backend.ts).
   */
  backend?: Backend;
  /**
   * Threads for the kernels, 1..64 (default 1): the calling thread and up to `numThreads - 1` threads of the
   * backend's pool. It is a ceiling, not a reservation. Native: libonebit has one pool per process (per library
   * file), shared by every interpreter and every Deno Worker that loads that library; the pool runs one kernel
   * call at a time, and a call that finds it busy (another Worker's) runs on its own thread instead of waiting.
   * Outputs are the same bits on any thread count (tests/concurrency_test.ts). So, for throughput across
   * several Workers, give each `numThreads: 1` and one core; for one model's latency, up to the cores the pool
   * has to itself. Wasm: the default module is single-threaded; a threaded module (`instantiateWasmThreads`)
   * has a pool of its own per instance, with the same rule.
   */
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
   * models; and each BatchNorm left as MUL + ADD by per-channel constants (with the LceQuantize of the sum) into
   * one pass. The results are the same bits either way. Also, after constant folding, run a float CONV_2D of an
   * LceDequantize's ±1 output whose filter is one magnitude times signs per output channel (LCE's XNOR-Net file)
   * as a binary convolution (runtime/binarize.ts): the same outputs within float rounding.
   */
  fuse?: boolean;
  /** The ops this interpreter can run (default: {@link defaultRegistry}); extend a clone to add custom ops. */
  registry?: OpRegistry;
}

/** A model input or output. */
export interface TensorSpec {
  /** The tensor's name in the file (e.g. `serving_default_input_1:0`); `invoke` also takes inputs by this name. */
  name: string;
  /** Static shape, NHWC for images (e.g. `[1, 224, 224, 3]`). */
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
  /** Milliseconds spent in this op, summed over the invocations. */
  total_ms: number;
  /** Invokes recorded since the last {@link Interpreter.resetProfile}. */
  invocations: number;
}

function decodeCustomOptions(where: string, bytes: Uint8Array | null): Record<string, unknown> | null {
  if (bytes === null || bytes.length === 0) return null;
  if (bytes.length > 65536) {
    throw new ModelFormatError(`${where}.custom_options`, `${bytes.length} bytes are too large`);
  }
  return readFlexMap(bytes, where);
}

/**
 * Runs a `.tflite` model (onebit's or LCE's converter output). Loading is
 * a few steps: choose the kernels, validate the graph (validate.ts), fuse
 * (fuse.ts, with the registry's fusions), load the tensors, prepare every
 * op (its kernel from the registry, registry.ts), plan the memory; `invoke`
 * then runs the prepared ops.
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
  /** Model outputs, in the subgraph's order (the order `invoke` returns them in). */
  readonly outputs: readonly TensorSpec[];
  /** Bytes of the activation arena and of the shared scratch buffer. */
  readonly arenaBytes: number;
  /**
   * Bytes of the scratch buffer the ops share (im2col rows, padded copies); its contents do not persist between ops.
   */
  readonly scratchBytes: number;
  /**
   * Bytes of constant data kept: packed weights and padded per-channel arrays
   * the ops own, plus the file's constants some op still reads at run time
   * (constants that every consumer packed are dropped after loading).
   */
  readonly constantBytes: number;
  /** The binary kernels the LCE ops run on (their backend, threads and micro-kernel). */
  readonly kernels: BinaryKernels;
  /** The float kernels the builtin ops run on. */
  readonly floatKernels: FloatKernels;

  /**
   * Which kernels run this model: `native` (libonebit, see {@link Interpreter.library}), `wasm` (its
   * WebAssembly build) or `reference` (pure TypeScript); `mixed` when binary and float kernels on different
   * backends were passed in.
   */
  get backend(): "native" | "wasm" | "reference" | "mixed" {
    const b = this.kernels.backend;
    return b === this.floatKernels.backend ? b : "mixed";
  }

  /** The native library's file or the wasm module's URL, when the binary kernels run compiled. */
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
  readonly #threads: number;
  readonly #graph: GraphDescription;
  #invocations = 0;
  /** Whether nothing this interpreter keeps views the file's bytes (fromFile then frees them at once). */
  readonly #holdsNoFileView: boolean;

  private constructor(model: TfliteModel, options: InterpreterOptions, viewConstants = true) {
    const threads = options.numThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new RangeError(`numThreads must be an integer in [1, ${MAX_THREADS}], got ${threads}`);
    }
    if (options.fuse !== undefined && typeof options.fuse !== "boolean") {
      throw new TypeError(`fuse must be a boolean, got ${String(options.fuse)}`);
    }
    const registry = options.registry ?? DEFAULT_REGISTRY;
    if (!(registry instanceof OpRegistry)) {
      throw new TypeError("registry must be an OpRegistry (see defaultRegistry())");
    }
    ({ kernels: this.kernels, floatKernels: this.floatKernels } = chooseKernels(options, threads));
    validateGraph(model);
    const planned = options.fuse === false
      ? model.subgraphs[0].operators.map((op, index) => ({ op, index, fused: null, kernel: null }))
      : fuseOperators(model, registry.fusions);
    const tensors = loadTensors(model);
    const env = { registry, kernels: this.kernels, float: this.floatKernels, threads };
    const folded = foldConstants(planned, tensors, (op) => prepareOp(model, op, tensors, env));
    const operators = options.fuse === false ? folded : binarizeFloatConvs(model, folded, tensors);
    const prepared = prepareOps(model, operators, tensors, env);
    const memory = planMemory(model, operators, prepared, tensors);
    if (!viewConstants) compactConstants(memory.views, tensors);
    releaseConstants(tensors);
    this.#holdsNoFileView = !viewConstants && planned.every((p) => AUDITED_KERNELS.has(kernelOf(model, p, registry)));
    this.#views = memory.views;
    this.#scratch = memory.scratch;
    const g = model.subgraphs[0];
    this.#ops = operators.map(({ op, index, fused }, k) => ({
      index,
      label: fused ?? opName(model, op),
      output: g.tensors[op.outputs[0]]?.name ?? "",
      prepared: prepared.ops[k],
      inputs: op.inputs.map((i) => i < 0 ? null : memory.views[i]),
      outputs: op.outputs.map((i) => memory.views[i]!),
    }));
    const spec = (i: number): TensorSpec => ({
      name: g.tensors[i].name,
      shape: [...g.tensors[i].shape],
      type: tensorTypeName(g.tensors[i].type),
      index: i,
    });
    this.inputs = g.inputs.map(spec);
    this.outputs = g.outputs.map(spec);
    this.arenaBytes = memory.arenaBytes;
    this.scratchBytes = prepared.scratchBytes;
    this.constantBytes = memory.constantBytes + prepared.ownedBytes;
    this.#times = options.profile ? new Float64Array(operators.length) : null;
    this.#threads = threads;
    this.#graph = modelGraph(model);
  }

  /**
   * Loads a model from the bytes of a `.tflite` file (verified; see the module doc). The constants the ops read
   * at run time stay views of `bytes` (no copy; aligned ones), so `bytes` must not change while the interpreter
   * is in use; {@link Interpreter.fromFile} keeps copies of those constants only, and not the file.
   */
  static fromBytes(bytes: Uint8Array, options: InterpreterOptions = {}): Interpreter {
    return new Interpreter(readModel(bytes), options, true);
  }

  /**
   * Loads a model from a path or URL. The file's bytes are garbage once it is loaded: the interpreter keeps
   * copies of the constants some op still reads, next to the packed weights.
   */
  static async fromFile(path: string | URL, options: InterpreterOptions = {}): Promise<Interpreter> {
    const bytes = await Deno.readFile(path);
    const it = new Interpreter(readModel(bytes), options, false);
    // Frees the file's memory now rather than at some later collection (the allocator then returns it to the
    // system); only when every op's kernel is known to keep no view of a constant it was given at prepare.
    if (it.#holdsNoFileView) bytes.buffer.transfer(0);
    return it;
  }

  /**
   * Runs the model. `inputs` in the order of {@link Interpreter.inputs}, or
   * by input name; each a typed array of the input's type and element count.
   * Returns copies of the outputs. A wrong type, count or name is a
   * TypeError or RangeError before anything runs (the interpreter stays
   * usable). Values are not checked: NaN and Inf flow through float ops as
   * IEEE arithmetic, and binarizing ops pack NaN as +1 (only `x < 0` is -1),
   * as LCE does.
   */
  invoke(inputs: readonly TensorData[] | Record<string, TensorData>): TensorData[] {
    if (inputs === null || typeof inputs !== "object" || ArrayBuffer.isView(inputs)) {
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

  /**
   * Zeroes the per-op times and the invoke count that {@link Interpreter.profile} reports (with the `profile` option).
   */
  resetProfile(): void {
    this.#times?.fill(0);
    this.#invocations = 0;
  }

  /**
   * The Jupyter rich display: inputs and outputs (name, shape, type), the backend and thread count, the ops
   * this interpreter runs (after fusion and constant folding; binary ones marked) and the file's graph picture.
   * @example
   * ```ts
   * import { Interpreter } from "./interpreter.ts";
   * import { JUPYTER_DISPLAY } from "../viz/html.ts";
   * import { convert } from "../convert/convert.ts";
   * import { Sequential } from "../models/sequential.ts";
   * import { QuantConv2D } from "../layers/conv.ts";
   * const model = new Sequential([new QuantConv2D(32, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign" })], { seed: 1 });
   * const it = Interpreter.fromBytes(convert(model, { inputShape: [8, 8, 32] }).bytes, { backend: "reference" });
   * const bundle = await it[JUPYTER_DISPLAY]();
   * console.log(String(bundle["text/html"]).includes("<svg"), String(bundle["text/plain"]).split("\n")[0]);
   * // true Interpreter: reference backend, 1 thread, 2 ops (2 binary)
   * ```
   */
  async [JUPYTER_DISPLAY](): Promise<MediaBundle> {
    const ops = this.#ops.map((op) => op.label);
    const render = graphRenderer();
    const svg = render ? await render(this.#graph) : null;
    return interpreterBundle({
      backend: this.backend,
      library: this.library,
      threads: this.#threads,
      inputs: this.inputs,
      outputs: this.outputs,
      ops,
      svg,
    });
  }
}

/** What {@link Interpreter}'s display shows, gathered from the instance. */
interface InterpreterView {
  backend: string;
  library: string | undefined;
  threads: number;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  ops: string[];
  /** The graph picture, or null when no renderer is loaded (a program that imports only `runtime.ts`). */
  svg: string | null;
}

/** What the display says instead of the graph picture when `viz/graph.ts` (dagre, an npm package) is not loaded. */
const NO_PICTURE =
  "No graph picture: it is drawn once viz/graph.ts is imported (mod.ts imports it; runtime.ts does not).";

/** The interpreter as HTML (tables and the graph picture) with its plain-text twin. */
function interpreterBundle(v: InterpreterView): MediaBundle {
  const counts = new Map<string, number>();
  for (const op of v.ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  const opRows = [...counts].map(([op, n]) => [op, n, binaryCell(isBinaryOp(op))]);
  const binary = v.ops.filter(isBinaryOp).length;
  const head =
    `Interpreter: ${v.backend} backend, ${v.threads} thread${v.threads === 1 ? "" : "s"}, ${v.ops.length} ops ` +
    `(${binary} binary)`;
  const tensorRows = [
    ...v.inputs.map((t) => ["input", t.name, `[${t.shape}]`, t.type]),
    ...v.outputs.map((t) => ["output", t.name, `[${t.shape}]`, t.type]),
  ];
  const html = [
    `<div class="onebit-interpreter"><p><b>${escapeHtml(head)}</b>${
      v.library ? ` <small>(${escapeHtml(v.library)})</small>` : ""
    }</p>`,
    htmlTable(["", "name", "shape", "dtype"], tensorRows, { caption: "Inputs and outputs" }),
    htmlTable(["op", "count", "binary"], opRows, {
      caption: "Ops as they run (after fusion and constant folding)",
      rowClass: (i) => isBinaryOp(String(opRows[i][0])) ? "binary" : undefined,
    }),
    v.svg === null
      ? `<p><small>${NO_PICTURE}</small></p></div>`
      : `<details open><summary>Graph</summary>${v.svg}</details></div>`,
  ].join("");
  const text = [
    head,
    ...tensorRows.map((r) => `  ${r.join(" ")}`),
    ...[...counts].map(([op, n]) => `  ${op} ×${n}${isBinaryOp(op) ? " (binary)" : ""}`),
  ].join("\n");
  return htmlBundle(html, text);
}

const DEFAULT_REGISTRY = defaultRegistry();

/**
 * onebit's own kernels: after prepare they read the constants they keep through their run inputs only, never
 * through a view captured at prepare (tests/runtime_memory_test.ts runs every LCE fixture through fromFile,
 * which frees the file's bytes when every op is one of these). A custom kernel may keep views: with one, the
 * file's bytes are left to the garbage collector.
 */
const AUDITED_KERNELS: ReadonlySet<OpKernel | undefined> = new Set([
  ...BUILTIN_KERNELS.values(),
  ...LCE_KERNELS.values(),
  lceBconv2dAdd,
  channelAffine,
  concatAffine,
  padAdd,
  scalePreluAdd,
]);

/** The kernel that prepares `planned`: its fusion's, else the registry's (undefined when none is registered). */
function kernelOf(model: TfliteModel, planned: PlannedOp, registry: OpRegistry): OpKernel | undefined {
  return planned.kernel ?? registry.find(model.operatorCodes[planned.op.opcodeIndex]);
}

/** The binary and float kernels the options ask for (given objects, else `backend` at `threads`). */
function chooseKernels(
  options: InterpreterOptions,
  threads: number,
): { kernels: BinaryKernels; floatKernels: FloatKernels } {
  const backend = checkBackend(options.backend ?? "auto");
  const pick = <K>(given: K | undefined, make: Record<Backend, (o: KernelsOptions) => K>) =>
    given !== undefined ? given : make[backend]({ path: options.path, wasm: options.wasm, threads });
  return { kernels: pick(options.kernels, BinaryKernels), floatKernels: pick(options.floatKernels, FloatKernels) };
}

/**
 * Every tensor as the ops see it. Constants are views of the file's bytes where the data is aligned for its type
 * (no copy; the ops pack what they pack from there), else aligned copies of their buffers (one per shared buffer).
 */
function loadTensors(model: TfliteModel): TensorInfo[] {
  const copies = new Map<number, ArrayBuffer>();
  return model.subgraphs[0].tensors.map((t, i) => {
    const data = model.buffers[t.buffer];
    let constant: TensorData | null = null;
    if (data.length > 0) {
      const ctor = dataCtor(t.type)!;
      const count = data.length / ctor.BYTES_PER_ELEMENT;
      if (data.buffer instanceof ArrayBuffer && data.byteOffset % ctor.BYTES_PER_ELEMENT === 0) {
        constant = new ctor(data.buffer, data.byteOffset, count);
      } else {
        let copy = copies.get(t.buffer);
        if (copy === undefined) {
          copy = new ArrayBuffer(data.length);
          new Uint8Array(copy).set(data);
          copies.set(t.buffer, copy);
        }
        constant = new ctor(copy, 0, count);
      }
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
}

/**
 * Moves the constants still read at run time (entries of `views` that are `tensors`' constants) out of the file's
 * bytes into one buffer of their own, so that nothing the interpreter keeps views the file: the file's bytes
 * are then garbage (what `fromFile` wants; `fromBytes` keeps the caller's bytes anyway and skips this). Views
 * of one range share one copy.
 */
function compactConstants(views: (TensorData | null)[], tensors: TensorInfo[]): void {
  const kept = views.map((v, i) => v !== null && v === tensors[i].constant ? v : null);
  const offsets = new Map<string, number>();
  let size = 0;
  const keys = kept.map((v) => {
    if (v === null) return "";
    const key = rangeKey(v);
    if (!offsets.has(key)) {
      offsets.set(key, size);
      size += Math.ceil(v.byteLength / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;
    }
    return key;
  });
  const store = allocate(Math.max(size, ARENA_ALIGNMENT), `${size} bytes of constants`);
  const bytes = new Uint8Array(store);
  kept.forEach((v, i) => {
    if (v === null) return;
    const at = offsets.get(keys[i])!;
    bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
    const ctor = v.constructor as new (b: ArrayBuffer, o: number, n: number) => TensorData;
    views[i] = new ctor(store, at, v.length);
  });
}

/** Identifies the bytes a view covers: views of one buffer range share a key. */
const rangeIds = new WeakMap<ArrayBufferLike, number>();
let nextRangeId = 0;
function rangeKey(v: TensorData): string {
  let id = rangeIds.get(v.buffer);
  if (id === undefined) rangeIds.set(v.buffer, id = nextRangeId++);
  return `${id}:${v.byteOffset}:${v.byteLength}`;
}

/**
 * Forgets the tensors' constants once the ops are prepared and the kept ones are in the interpreter's views: an
 * op's run closure may hold its OpContext (and through it every TensorInfo of the model), which must not keep the
 * constants that every consumer packed.
 */
function releaseConstants(tensors: TensorInfo[]): void {
  for (const t of tensors) t.constant = null;
}

interface PrepareEnv {
  registry: OpRegistry;
  kernels: BinaryKernels;
  float: FloatKernels;
  threads: number;
}

/** The prepared ops, with the scratch they need and the bytes they own. */
interface PreparedOps {
  ops: PreparedOp[];
  scratchBytes: number;
  ownedBytes: number;
}

/** Prepares every op in run order (its kernel from the registry, or the fusion's), checking its output shapes. */
function prepareOps(model: TfliteModel, operators: PlannedOp[], tensors: TensorInfo[], env: PrepareEnv): PreparedOps {
  const ops: PreparedOp[] = [];
  let scratchBytes = 0, ownedBytes = 0;
  for (const planned of operators) {
    const p = prepareOp(model, planned, tensors, env);
    scratchBytes = Math.max(scratchBytes, p.scratchBytes ?? 0);
    ownedBytes += p.ownedBytes ?? 0;
    ops.push(p);
  }
  return { ops, scratchBytes, ownedBytes };
}

function prepareOp(
  model: TfliteModel,
  { op, index, fused, kernel }: PlannedOp,
  tensors: TensorInfo[],
  env: PrepareEnv,
) {
  const where = fused ? `operator ${index} (${fused})` : opLabel(model, op, index);
  const code = model.operatorCodes[op.opcodeIndex];
  const k = kernelOf(model, { op, index, fused, kernel }, env.registry);
  if (k === undefined) {
    throw new UnsupportedModelError(
      where,
      `this runtime has no kernel for ${
        code.builtinCode === Builtin.CUSTOM ? `custom op "${code.customCode}"` : builtinName(code.builtinCode)
      }`,
    );
  }
  const ctx: OpContext = {
    where,
    inputs: op.inputs.map((i) => i < 0 ? null : tensors[i]),
    outputs: op.outputs.map((i) => tensors[i]),
    options: op.builtinOptions,
    custom: code.builtinCode === Builtin.CUSTOM ? decodeCustomOptions(where, op.customOptions) : null,
    kernels: env.kernels,
    float: env.float,
    threads: env.threads,
    invalid: (m) => {
      throw new ModelValidationError(where, m);
    },
    unsupported: (m) => {
      throw new UnsupportedModelError(where, m);
    },
  };
  let p: PreparedOp;
  try {
    p = k.prepare(ctx);
  } catch (e) {
    // A kernel API rejecting the op's geometry or weights; anything else is a bug and propagates.
    if (e instanceof RangeError || e instanceof TypeError) throw new ModelValidationError(where, e.message);
    throw e;
  }
  if (p.outputShapes.length !== op.outputs.length) {
    throw new ModelValidationError(where, `has ${op.outputs.length} outputs, the op computes ${p.outputShapes.length}`);
  }
  op.outputs.forEach((t, j) => {
    const declared = tensors[t].shape;
    const computed = p.outputShapes[j];
    if (computed.length !== declared.length || computed.some((d, q) => d !== declared[q])) {
      throw new ModelValidationError(
        where,
        `output ${j} "${tensors[t].name}" is declared [${declared}] but the op computes [${computed}]`,
      );
    }
  });
  return p;
}

/** Where every tensor lives: constants still read at run time, and one arena for activations by lifetime. */
interface Memory {
  views: (TensorData | null)[];
  scratch: ArrayBuffer;
  arenaBytes: number;
  /** Bytes of the file's constants kept (those some op still reads). */
  constantBytes: number;
}

/**
 * Drops the constants every consumer packed at prepare, plans one arena from the activations' lifetimes
 * (first writer to last reader; model outputs live to the end) and allocates it and the shared scratch.
 */
function planMemory(model: TfliteModel, operators: PlannedOp[], prepared: PreparedOps, tensors: TensorInfo[]): Memory {
  const g = model.subgraphs[0];
  const first = new Int32Array(g.tensors.length).fill(-1);
  const last = new Int32Array(g.tensors.length).fill(-1);
  for (const i of g.inputs) first[i] = last[i] = 0;
  const stillNeeded = new Set<number>(g.outputs);
  operators.forEach(({ op }, k) => {
    const packed = new Set(prepared.ops[k].packedInputs ?? []);
    for (const t of op.outputs) first[t] = last[t] = k;
    op.inputs.forEach((t, j) => {
      if (t < 0) return;
      if (tensors[t].constant === null) last[t] = k;
      else if (!packed.has(j)) stillNeeded.add(t);
    });
  });
  for (const t of g.outputs) last[t] = operators.length;
  const views: (TensorData | null)[] = tensors.map((t, i) =>
    t.constant !== null && stillNeeded.has(i) ? t.constant : null
  );
  const constantBytes = keptBytes(views.filter((v) => v !== null));
  const arenaTensors = tensors.filter((t) => t.constant === null && first[t.index] >= 0).map((t) => t.index);
  const plan = planArena(arenaTensors.map((i) => ({
    bytes: product(g.tensors[i].shape) * dataCtor(g.tensors[i].type)!.BYTES_PER_ELEMENT,
    first: first[i],
    last: last[i],
  })));
  if (!(plan.size + prepared.scratchBytes <= MAX_ARENA_BYTES)) {
    throw new ModelValidationError(
      "model",
      `needs a ${plan.size}-byte arena and ${prepared.scratchBytes} bytes of scratch, past the 4 GiB limit`,
    );
  }
  const arena = allocate(Math.max(plan.size, ARENA_ALIGNMENT), `its ${plan.size}-byte activation arena`);
  arenaTensors.forEach((i, k) => {
    const ctor = dataCtor(g.tensors[i].type)!;
    views[i] = new ctor(arena, plan.offsets[k], product(g.tensors[i].shape));
  });
  const scratch = allocate(
    Math.max(prepared.scratchBytes, ARENA_ALIGNMENT),
    `${prepared.scratchBytes} bytes of scratch`,
  );
  return { views, scratch, arenaBytes: plan.size, constantBytes };
}

/** Bytes of the distinct data of `views` (tensors may share a buffer; views of one file share its bytes). */
function keptBytes(views: TensorData[]): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (const v of views) {
    const key = rangeKey(v);
    if (!seen.has(key)) bytes += v.byteLength;
    seen.add(key);
  }
  return bytes;
}

function allocate(bytes: number, what: string): ArrayBuffer {
  try {
    return new ArrayBuffer(bytes);
  } catch {
    throw new ModelValidationError("model", `cannot allocate ${what}`);
  }
}
