/**
 * Models: a graph of layer calls from inputs to outputs (Keras's
 * functional API: layers called on `input()` tensors), and the API a
 * Keras/larq user reaches for — `compile`, `fit` (async, yielding between
 * batches), `evaluate`, `predict`, `summary`, `getLayer`, `getWeights` /
 * `setWeights`, `save` / `Model.load`. `Sequential` is a Model.
 * @module
 */
import type { Tensor, Variable } from "../graph/tensor.ts";
import type { Layer, Weight } from "../layers/layer.ts";
import { type LayerNode, SymbolicTensor } from "../layers/symbolic.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { trainingBackend } from "../graph/native.ts";
import {
  evaluate,
  type EvaluateOptions,
  fit,
  type FitOptions,
  fitSync,
  type History,
  type Inputs,
  type Labels,
  type Network,
  predict,
  type TrainingSetup,
} from "../train/fit.ts";
import { type CompileOptions, compileOptions } from "../train/compile.ts";
import type { Optimizer } from "../train/optimizers.ts";
import { type LayerConfig, serializeLayer } from "../layers/registry.ts";
import { checkpointTensors, saveCheckpoint } from "./checkpoint.ts";
import { encodeSafetensors } from "../train/safetensors.ts";
import { modelOutline, summary, summaryHtml, summaryTables, summaryText } from "./summary.ts";
import { htmlBundle, JUPYTER_DISPLAY, type MediaBundle } from "../viz/html.ts";

/** A model as Keras's `to_json()` writes it. */
export interface ModelConfig {
  /** Keras's model class: "Sequential", "Functional" (functional models) or "Model". */
  class_name: "Sequential" | "Functional" | "Model";
  /**
   * The model's name and layer configs; functional models add their input and
   * output tensors as `[layer, node, tensor]` triples.
   */
  config: {
    name?: string;
    layers: LayerConfig[];
    input_layers?: unknown[];
    output_layers?: unknown[];
  };
}

/** Passed by subclasses whose graph is made later (Sequential). */
export const DEFERRED: unique symbol = Symbol("deferred graph");

/** A model's graph: inputs, outputs and the layer calls between them in execution order. */
export interface ModelGraph {
  /** The model inputs (symbolic tensors from `input()`). */
  inputs: SymbolicTensor[];
  /** The model outputs. */
  outputs: SymbolicTensor[];
  /** The layer calls from the inputs to the outputs, in execution order. */
  nodes: LayerNode[];
}

/** Options of `fit` on a compiled model: `FitOptions` without what `compile` set. */
export type ModelFitOptions = Omit<FitOptions, keyof TrainingSetup>;

/**
 * A model from inputs to outputs through layer calls.
 *
 * @example
 * ```ts
 * import { Model } from "./model.ts";
 * import { input } from "../layers/symbolic.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Add } from "../layers/merge.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const x = input([4]);
 * const h = new Dense(4).apply(x);
 * const y = new Add().apply([x, h]); // a residual connection
 * const m = new Model(x, y);
 * console.log(m.apply(Tensor.fill([2, 4], 1)).shape); // [2, 4]
 * ```
 */
export class Model implements Network {
  /** The model's name (Keras's `name`; default "model"). */
  readonly name: string;
  #graph: ModelGraph | null = null;
  #setup: TrainingSetup | null = null;

  /**
   * Where training this model runs its matmuls and convolutions: `native`, `wasm` or `reference` (see
   * setTrainingKernels).
   */
  get backend(): "native" | "wasm" | "reference" {
    return trainingBackend();
  }

  /** One input and output, or lists of them (Keras's multi-input / multi-output models). */
  constructor(
    inputs: SymbolicTensor | readonly SymbolicTensor[] | typeof DEFERRED,
    outputs?: SymbolicTensor | readonly SymbolicTensor[],
    options: { name?: string } = {},
  ) {
    this.name = options.name ?? "model";
    if (inputs === DEFERRED) return;
    if (outputs === undefined) throw new RangeError("a Model needs inputs and outputs: new Model(inputs, outputs)");
    this.setGraph(inputs, outputs);
  }

  /** Records the graph from `inputs` to `outputs` (checked: every path starts at one of the inputs). */
  protected setGraph(
    inputs: SymbolicTensor | readonly SymbolicTensor[],
    outputs: SymbolicTensor | readonly SymbolicTensor[],
  ): void {
    const ins = Array.isArray(inputs) ? [...inputs] : [inputs as SymbolicTensor];
    const outs = Array.isArray(outputs) ? [...outputs] : [outputs as SymbolicTensor];
    if (ins.length === 0 || outs.length === 0) throw new RangeError("a Model needs inputs and outputs");
    for (const t of [...ins, ...outs]) {
      if (!(t instanceof SymbolicTensor)) {
        throw new TypeError("a Model is made from symbolic tensors: input() and layers applied to them");
      }
    }
    if (new Set(ins).size !== ins.length) throw new RangeError("a Model's inputs must be distinct");
    for (const t of ins) {
      if (t.node !== null) throw new RangeError(`model input "${t.name}" is a layer's output; pass input() tensors`);
    }
    const order: LayerNode[] = [];
    const seen = new Set<LayerNode>();
    const visit = (t: SymbolicTensor) => {
      if (t.node === null) {
        if (!ins.includes(t)) {
          throw new RangeError(`the graph reaches input "${t.name}", which is not one of the model's inputs`);
        }
        return;
      }
      if (seen.has(t.node)) return;
      for (const i of t.node.inputs) visit(i);
      seen.add(t.node);
      order.push(t.node);
    };
    for (const o of outs) visit(o);
    this.#graph = { inputs: ins, outputs: outs, nodes: order };
  }

  /** The graph; a subclass that builds it later (Sequential) makes it here. */
  protected graph(): ModelGraph {
    if (!this.#graph) throw new RangeError(`model "${this.name}" has no graph yet`);
    return this.#graph;
  }

  /** Forgets the graph (Sequential.add). */
  protected resetGraph(): void {
    this.#graph = null;
  }

  /** The model inputs (Keras's `model.inputs`). */
  get inputs(): readonly SymbolicTensor[] {
    return this.graph().inputs;
  }

  /** The model outputs (Keras's `model.outputs`). */
  get outputs(): readonly SymbolicTensor[] {
    return this.graph().outputs;
  }

  /** Layer calls in execution order. */
  get nodes(): readonly LayerNode[] {
    return this.graph().nodes;
  }

  /** How many tensors the model takes. */
  get inputCount(): number {
    return this.inputs.length;
  }

  /** The model's only input (a RangeError for multi-input models: use `inputs`). */
  get input(): SymbolicTensor {
    if (this.inputs.length !== 1) {
      throw new RangeError(`model "${this.name}" has ${this.inputs.length} inputs; use inputs`);
    }
    return this.inputs[0];
  }

  /** The model's only output (a RangeError for multi-output models: use `outputs`). */
  get output(): SymbolicTensor {
    if (this.outputs.length !== 1) {
      throw new RangeError(`model "${this.name}" has ${this.outputs.length} outputs; use outputs and applyAll`);
    }
    return this.outputs[0];
  }

  /**
   * Layers in Keras's order: by depth from the outputs, deepest first (the
   * input side), ties in the order a depth-first walk from the outputs first
   * meets them (keras.Model.layers, as larq's summary lists them).
   */
  get layers(): readonly Layer[] {
    return this.ordered().filter((l): l is Layer => !(l instanceof SymbolicTensor));
  }

  /** Keras's layer order with the input layers in their place (for summaries of multi-input models). */
  ordered(): (Layer | SymbolicTensor)[] {
    type Item = Layer | SymbolicTensor;
    const index = new Map<Item, number>(), finished = new Set<LayerNode>(), postOrder: LayerNode[] = [];
    const visit = (node: LayerNode) => {
      if (finished.has(node)) return;
      if (!index.has(node.layer)) index.set(node.layer, index.size);
      for (const t of node.inputs) {
        if (t.node) visit(t.node);
        else if (!index.has(t)) index.set(t, index.size);
      }
      finished.add(node);
      postOrder.push(node);
    };
    for (const o of this.outputs) if (o.node) visit(o.node);
    const nodeDepth = new Map<LayerNode, number>(), depth = new Map<Item, number>();
    for (const node of [...postOrder].reverse()) {
      const d = Math.max(nodeDepth.get(node) ?? 0, depth.get(node.layer) ?? 0);
      depth.set(node.layer, d);
      nodeDepth.set(node, d);
      for (const t of node.inputs) {
        if (t.node) nodeDepth.set(t.node, Math.max(d + 1, nodeDepth.get(t.node) ?? 0));
        else depth.set(t, Math.max(d + 1, depth.get(t) ?? 0));
      }
    }
    return [...depth.keys()].sort((a, b) => depth.get(b)! - depth.get(a)! || index.get(a)! - index.get(b)!);
  }

  /** The layer of this name, or at this index of `layers` (Keras's get_layer); a RangeError lists the names. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    const layer = typeof nameOrIndex === "number" ? layers[nameOrIndex] : layers.find((l) => l.name === nameOrIndex);
    if (!layer) {
      throw new RangeError(
        `model "${this.name}" has no layer ${JSON.stringify(nameOrIndex)}; its layers are ${
          layers.map((l) => l.name).join(", ")
        }`,
      );
    }
    return layer;
  }

  /** Runs a single-input, single-output model on `x`. */
  apply(x: Tensor, { training = false } = {}): Tensor {
    return this.run([x], training, true).get(this.output)!;
  }

  /** Runs the model on one tensor per input; returns one tensor per output. */
  applyAll(xs: readonly Tensor[], { training = false } = {}): Tensor[] {
    return this.call(xs, { training });
  }

  /** One tensor per output for one tensor per input (the training loop's entry). */
  call(xs: readonly Tensor[], { training = false } = {}): Tensor[] {
    const values = this.run(xs, training, true);
    return this.outputs.map((o) => values.get(o)!);
  }

  /** Checks one tensor per input against the inputs' shapes (a RangeError names the input and both shapes). */
  checkInputs(xs: readonly Tensor[]): void {
    if (xs.length !== this.inputs.length) {
      throw new RangeError(`model "${this.name}" takes ${this.inputs.length} inputs, got ${xs.length}`);
    }
    this.inputs.forEach((t, i) => {
      const got = xs[i]?.shape?.slice(1);
      if (!got || got.join() !== t.shape.join()) {
        throw new RangeError(
          `model "${this.name}": input "${t.name}" takes [batch, ${t.shape.join(", ")}], got [${xs[i]?.shape}]`,
        );
      }
    });
  }

  /**
   * Every node's value for inputs `xs` (one per model input, or a single tensor). With `fuse`, a convolution whose
   * one reader is a max pooling runs with it as one op where it can (QuantConv2D.applyWithMaxPool: the same values
   * and gradients, as Sequential does), and the convolution's output is then not in the map.
   */
  run(xs: Tensor | readonly Tensor[], training: boolean, fuse = false): Map<SymbolicTensor, Tensor> {
    const list = Array.isArray(xs) ? xs : [xs as Tensor];
    this.checkInputs(list);
    const values = new Map<SymbolicTensor, Tensor>(this.inputs.map((t, i) => [t, list[i]]));
    const pairs = fuse ? this.#convPoolPairs() : null, fused = new Set<LayerNode>();
    for (const n of this.nodes) {
      if (fused.has(n)) continue;
      const pool = pairs?.get(n);
      if (pool) {
        const y = (n.layer as QuantConv2D).applyWithMaxPool(values.get(n.inputs[0])!, pool.layer as MaxPool2D);
        if (y) {
          values.set(pool.output, y);
          fused.add(pool);
          continue;
        }
      }
      const ys = n.layer.applyOutputs(n.inputs.map((i) => values.get(i)!), { training });
      n.outputs.forEach((o, i) => values.set(o, ys[i]));
    }
    return values;
  }

  /** {@link run}'s fusable pairs of the current graph: the convolution's node → the max pooling's. */
  #pairs: { graph: ModelGraph; pairs: Map<LayerNode, LayerNode> } | null = null;

  /**
   * Convolution → max pooling pairs that can run as one op: a QuantConv2D (or Conv2D) node whose output is not a
   * model output and is read once, by a MaxPool2D and by nothing else.
   */
  #convPoolPairs(): Map<LayerNode, LayerNode> {
    const graph = this.graph();
    if (this.#pairs?.graph === graph) return this.#pairs.pairs;
    const readers = new Map<SymbolicTensor, LayerNode[]>();
    for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
    const outputs = new Set(graph.outputs), pairs = new Map<LayerNode, LayerNode>();
    for (const n of graph.nodes) {
      if (!(n.layer instanceof QuantConv2D) || n.inputs.length !== 1 || n.outputs.length !== 1) continue;
      const r = readers.get(n.output) ?? [];
      if (!outputs.has(n.output) && r.length === 1 && r[0].layer instanceof MaxPool2D) pairs.set(n, r[0]);
    }
    this.#pairs = { graph, pairs };
    return pairs;
  }

  /** Every weight of every layer. */
  get weights(): Weight[] {
    return this.layers.flatMap((l) => [...l.weights]);
  }

  /** Every weight by variable name: latent values, or with `quantized: true` what the forward pass uses. */
  getWeights(options: { quantized?: boolean } = {}): Map<string, Tensor> {
    return new Map(this.layers.flatMap((l) => [...l.getWeights(options)]));
  }

  /**
   * Sets weights: a list in the order of `weights` (Keras's set_weights), or
   * a map by variable name. Shapes are checked before anything is assigned.
   */
  setWeights(values: readonly (Tensor | ArrayLike<number>)[] | ReadonlyMap<string, Tensor>): void {
    const weights = this.weights;
    const list = values instanceof Map
      ? weights.map((w) => {
        const t = values.get(w.variable.name);
        if (!t) throw new RangeError(`setWeights: no value for weight "${w.variable.name}"`);
        return t;
      })
      : values as readonly (Tensor | ArrayLike<number>)[];
    if (list.length !== weights.length) {
      throw new RangeError(`model "${this.name}" has ${weights.length} weights, got ${list.length} values`);
    }
    let at = 0;
    const perLayer = this.layers.map((l) => {
      const part = list.slice(at, at + l.weights.length);
      at += l.weights.length;
      return part;
    });
    const snapshot = weights.map((w) => Float32Array.from(w.variable.data));
    try {
      this.layers.forEach((l, i) => l.weights.length && l.setWeights(perLayer[i]));
    } catch (e) {
      weights.forEach((w, i) => w.variable.assign(snapshot[i]));
      throw e;
    }
  }

  /** The trainable variables of every trainable layer (latent values; Keras's `trainable_variables`). */
  get trainableVariables(): Variable[] {
    return this.layers.flatMap((l) => l.trainableVariables);
  }

  /**
   * Keras's compile: the optimizer (an object or a name such as "adam"), the
   * loss (a name such as "sparse_categorical_crossentropy", or an object),
   * and metrics by name ("accuracy", "top_k_categorical_accuracy", ...).
   *
   * @example
   * ```ts
   * import { Sequential } from "./sequential.ts";
   * import { Dense } from "../layers/dense.ts";
   * import { Tensor } from "../graph/tensor.ts";
   * const m = new Sequential([new Dense(3, { activation: "softmax" })], { inputShape: [2], seed: 1 });
   * m.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
   * const x = Tensor.from([[1, 0], [0, 1], [1, 1]]), y = [0, 1, 2];
   * const h = await m.fit(x, y, { epochs: 60, batchSize: 3, verbose: 0 });
   * console.log(h.history.loss[59] < h.history.loss[0], Object.keys(m.evaluate(x, y))); // true [ "loss", "accuracy" ]
   * ```
   */
  compile(options: CompileOptions): void {
    this.#setup = compileOptions(options);
  }

  /** What compile set (a RangeError before compile). */
  get setup(): TrainingSetup {
    if (!this.#setup) {
      throw new RangeError(`model "${this.name}" is not compiled: call model.compile({ optimizer, loss })`);
    }
    return this.#setup;
  }

  /** The optimizer compile set. */
  get optimizer(): Optimizer {
    return this.setup.optimizer;
  }

  /**
   * Trains the compiled model; yields to the event loop between batches, so
   * a notebook or a server stays responsive. `x` may be a Dataset of
   * `{ x, y }` batches (then `y` is omitted).
   */
  async fit(
    x: Inputs | AsyncIterable<unknown>,
    y?: Labels | ModelFitOptions,
    options: ModelFitOptions = {},
  ): Promise<History> {
    if (isDataset(x)) return await fit(this, x, undefined, { ...(y as ModelFitOptions ?? {}), ...this.setup });
    return await fit(this, x, y as Labels, { ...options, ...this.setup });
  }

  /** `fit` without yielding: returns when training ends. */
  fitSync(x: Inputs, y: Labels, options: ModelFitOptions = {}): History {
    return fitSync(this, x, y, { ...options, ...this.setup });
  }

  /** The loss and metrics at inference (Keras's evaluate with return_dict). */
  evaluate(x: Inputs, y: Labels, options: EvaluateOptions = {}): Record<string, number> {
    return evaluate(this, x, y, { ...options, loss: this.setup.loss, metrics: this.setup.metrics });
  }

  /** The model's output at inference, in batches. */
  predict(x: Inputs, options: { batchSize?: number } = {}): Tensor {
    return predict(this, x, options.batchSize);
  }

  /**
   * larq's summary tables (per layer: input precision, outputs, parameters
   * per bit width, memory, MACs per precision; then totals), printed with
   * `printFn` (default console.log) and returned.
   */
  summary(options: { printFn?: ((text: string) => void) | null } = {}): string {
    const text = summary(this);
    if (options.printFn !== null) (options.printFn ?? console.log)(text);
    return text;
  }

  /**
   * What a notebook shows for the model: larq's summary as HTML tables, with its text as the plain twin (a model
   * without its input shape yet shows its outline).
   */
  [JUPYTER_DISPLAY](): MediaBundle {
    let tables;
    try {
      tables = summaryTables(this);
    } catch (e) {
      if (e instanceof RangeError) return { "text/plain": modelOutline(this) };
      throw e;
    }
    return htmlBundle(summaryHtml(tables), summaryText(tables));
  }

  /** `Deno.inspect(model)` and `console.log(model)`: the outline (a line per layer), not the internals. */
  [Symbol.for("Deno.customInspect")](): string {
    return modelOutline(this);
  }

  /**
   * Writes a checkpoint: the model's config, its weights and, when compiled,
   * the optimizer with its state (see `loadModel`). Atomic: a failed write
   * leaves no file.
   */
  async save(path: string, options: { metadata?: Record<string, string> } = {}): Promise<void> {
    if (/\.(keras|h5|hdf5)$/i.test(path)) {
      throw new RangeError(
        `${path}: model.save writes onebit checkpoints (.safetensors); for a Keras file use saveKerasModel(model, path)`,
      );
    }
    await saveCheckpoint(path, this, { optimizer: this.#setup?.optimizer, metadata: options.metadata });
  }

  /** The bytes `save` writes (ModelCheckpoint writes them synchronously). */
  checkpointBytes(options: { optimizer?: Optimizer } = {}): Uint8Array {
    const { tensors, metadata } = checkpointTensors(this, { optimizer: options.optimizer ?? this.#setup?.optimizer });
    return encodeSafetensors(tensors, metadata);
  }

  /** Keras's `to_json()` form of this model: every call of a layer is a node. */
  toConfig(): ModelConfig {
    // Tensors are named by (layer, node index, tensor index).
    const calls = new Map<Layer, number>(), where = new Map<SymbolicTensor, [string, number, number]>();
    for (const t of this.inputs) where.set(t, [t.name, 0, 0]);
    const entries = new Map<Layer, LayerConfig>();
    for (const node of this.nodes) {
      const k = calls.get(node.layer) ?? 0;
      calls.set(node.layer, k + 1);
      let entry = entries.get(node.layer);
      if (!entry) {
        entry = { ...serializeLayer(node.layer), name: node.layer.name, inbound_nodes: [] };
        entries.set(node.layer, entry);
      }
      entry.inbound_nodes!.push(node.layer.inboundNode(node.inputs.map((t) => where.get(t)!)));
      node.outputs.forEach((o, i) => where.set(o, [node.layer.name, k, i]));
    }
    const inputLayers: LayerConfig[] = this.inputs.map((t) => ({
      class_name: "InputLayer",
      name: t.name,
      config: { batch_input_shape: [t.batchSize, ...t.shape], dtype: "float32", name: t.name },
      inbound_nodes: [],
    }));
    return {
      class_name: "Functional",
      config: {
        name: this.name,
        layers: [...inputLayers, ...entries.values()],
        input_layers: this.inputs.map((t) => [t.name, 0, 0]),
        output_layers: this.outputs.map((t) => where.get(t)!),
      },
    };
  }
}

function isDataset(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}
