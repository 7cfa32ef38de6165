/**
 * The functional API (Keras `Input` / `Model`): layers called on symbolic
 * tensors record a graph; a Model runs it on real tensors. Shapes are
 * inferred by running each layer once on a zero sample when it is linked.
 * @module
 */
import { noGrad } from "./tape.ts";
import { Tensor, type Variable } from "./tensor.ts";
import type { Layer, Weight } from "../layers/layer.ts";
import { trainingBackend } from "./native.ts";

/** A placeholder for a tensor in a model being defined. */
export class SymbolicTensor {
  constructor(
    /** Shape without the batch axis. */
    readonly shape: readonly number[],
    readonly node: ModelNode | null,
    readonly name: string,
    /** A zero sample (batch 1) carried for shape inference. */
    readonly sample: Tensor,
    /** A fixed batch size declared on the input (Keras's `batch_size`), for summaries; null: any. */
    readonly batchSize: number | null = null,
  ) {}
}

export interface ModelNode {
  layer: Layer;
  inputs: SymbolicTensor[];
  output: SymbolicTensor;
}

let inputCount = 0;

/** Restarts default input names (input_1, ...), with Layer.resetNames() the analogue of Keras's clear_session. */
export function resetInputNames(): void {
  inputCount = 0;
}

/** A model input of `shape` (without the batch axis). */
export function input(
  shape: readonly number[],
  options: { name?: string; batchSize?: number | null } = {},
): SymbolicTensor {
  inputCount++;
  const name = options.name ?? `input_${inputCount}`;
  return new SymbolicTensor(shape, null, name, Tensor.zeros([1, ...shape]), options.batchSize ?? null);
}

/** Calls `layer` on symbolic inputs, recording the graph (`layer(x)` in Keras). */
export function link(layer: Layer, ...inputs: SymbolicTensor[]): SymbolicTensor {
  if (inputs.length === 0) throw new RangeError(`layer "${layer.name}" needs an input`);
  const sample = noGrad(() => applyLayer(layer, inputs.map((i) => i.sample), false));
  const node: ModelNode = { layer, inputs, output: undefined as unknown as SymbolicTensor };
  node.output = new SymbolicTensor(sample.shape.slice(1), node, layer.name, sample);
  return node.output;
}

function applyLayer(layer: Layer, xs: Tensor[], training: boolean): Tensor {
  const many = (layer as unknown as { applyMany?: (xs: Tensor[], o: { training: boolean }) => Tensor }).applyMany;
  if (xs.length > 1 || many) {
    if (!many) throw new RangeError(`layer "${layer.name}" takes one input, got ${xs.length}`);
    return many.call(layer, xs, { training });
  }
  return layer.apply(xs[0], { training });
}

/**
 * A model from inputs to outputs through linked layers.
 *
 * @example
 * ```ts
 * import { input, link, Model } from "./functional.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Add } from "../layers/merge.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = input([4]);
 * const h = link(new Dense(4), x);
 * const y = link(new Add(), x, h); // a residual connection
 * const m = new Model(x, y);
 * console.log(m.apply(Tensor.fill([2, 4], 1)).shape); // [2, 4]
 * ```
 */
export class Model {
  readonly name: string;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Nodes in execution order. */
  readonly nodes: readonly ModelNode[];

  /**
   * Where training this model runs its matmuls and convolutions: `native`, `wasm` or `reference` (see
   * setTrainingKernels).
   */
  get backend(): "native" | "wasm" | "reference" {
    return trainingBackend();
  }

  /** One input and output, or lists of them (Keras's multi-input / multi-output models). */
  constructor(
    inputs: SymbolicTensor | readonly SymbolicTensor[],
    outputs: SymbolicTensor | readonly SymbolicTensor[],
    options: { name?: string } = {},
  ) {
    this.name = options.name ?? "model";
    this.inputs = Array.isArray(inputs) ? [...inputs] : [inputs as SymbolicTensor];
    this.outputs = Array.isArray(outputs) ? [...outputs] : [outputs as SymbolicTensor];
    if (this.inputs.length === 0 || this.outputs.length === 0) throw new RangeError("a Model needs inputs and outputs");
    if (new Set(this.inputs).size !== this.inputs.length) throw new RangeError("a Model's inputs must be distinct");
    for (const t of this.inputs) {
      if (t.node !== null) throw new RangeError(`model input "${t.name}" is a layer's output; pass input() tensors`);
    }
    const order: ModelNode[] = [];
    const seen = new Set<ModelNode>();
    const visit = (t: SymbolicTensor) => {
      if (t.node === null) {
        if (!this.inputs.includes(t)) {
          throw new RangeError(`the graph reaches input "${t.name}", which is not one of the model's inputs`);
        }
        return;
      }
      if (seen.has(t.node)) return;
      for (const i of t.node.inputs) visit(i);
      seen.add(t.node);
      order.push(t.node);
    };
    for (const o of this.outputs) visit(o);
    this.nodes = order;
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
  get layers(): Layer[] {
    return this.ordered().filter((l): l is Layer => !(l instanceof SymbolicTensor));
  }

  /** Keras's layer order with the input layers in their place (for summaries of multi-input models). */
  ordered(): (Layer | SymbolicTensor)[] {
    type Item = Layer | SymbolicTensor;
    const index = new Map<Item, number>(), finished = new Set<ModelNode>(), postOrder: ModelNode[] = [];
    const visit = (node: ModelNode) => {
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
    const nodeDepth = new Map<ModelNode, number>(), depth = new Map<Item, number>();
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

  /** Runs a single-input, single-output model on `x`. */
  apply(x: Tensor, { training = false } = {}): Tensor {
    return this.run([x], training).get(this.output)!;
  }

  /** Runs the model on one tensor per input; returns one tensor per output. */
  applyAll(xs: readonly Tensor[], { training = false } = {}): Tensor[] {
    const values = this.run(xs, training);
    return this.outputs.map((o) => values.get(o)!);
  }

  /** Every node's value for inputs `xs` (one per model input, or a single tensor). */
  run(xs: Tensor | readonly Tensor[], training: boolean): Map<SymbolicTensor, Tensor> {
    const list = Array.isArray(xs) ? xs : [xs as Tensor];
    if (list.length !== this.inputs.length) {
      throw new RangeError(`model "${this.name}" takes ${this.inputs.length} inputs, got ${list.length}`);
    }
    const values = new Map<SymbolicTensor, Tensor>(this.inputs.map((t, i) => [t, list[i]]));
    for (const n of this.nodes) {
      values.set(
        n.output,
        applyLayer(n.layer, n.inputs.map((i) => values.get(i)!), training),
      );
    }
    return values;
  }

  get weights(): Weight[] {
    return this.layers.flatMap((l) => [...l.weights]);
  }

  /** Every weight by variable name: latent values, or with `quantized: true` what the forward pass uses. */
  getWeights(options: { quantized?: boolean } = {}): Map<string, Tensor> {
    return new Map(this.layers.flatMap((l) => [...l.getWeights(options)]));
  }

  get trainableVariables(): Variable[] {
    return this.layers.flatMap((l) => l.trainableVariables);
  }
}
