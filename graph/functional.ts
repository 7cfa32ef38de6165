/**
 * The functional API (Keras `Input` / `Model`): layers called on symbolic
 * tensors record a graph; a Model runs it on real tensors. Shapes are
 * inferred by running each layer once on a zero sample when it is linked.
 * @module
 */
import { noGrad } from "./tape.ts";
import { Tensor, type Variable } from "./tensor.ts";
import type { Layer, Weight } from "../layers/layer.ts";

/** A placeholder for a tensor in a model being defined. */
export class SymbolicTensor {
  constructor(
    /** Shape without the batch axis. */
    readonly shape: readonly number[],
    readonly node: ModelNode | null,
    readonly name: string,
    /** A zero sample (batch 1) carried for shape inference. */
    readonly sample: Tensor,
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
export function input(shape: readonly number[], options: { name?: string } = {}): SymbolicTensor {
  inputCount++;
  return new SymbolicTensor(shape, null, options.name ?? `input_${inputCount}`, Tensor.zeros([1, ...shape]));
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
  readonly input: SymbolicTensor;
  readonly output: SymbolicTensor;
  /** Nodes in execution order. */
  readonly nodes: readonly ModelNode[];

  constructor(inputTensor: SymbolicTensor, output: SymbolicTensor, options: { name?: string } = {}) {
    this.name = options.name ?? "model";
    this.input = inputTensor;
    this.output = output;
    const order: ModelNode[] = [];
    const seen = new Set<ModelNode>();
    const visit = (t: SymbolicTensor) => {
      if (t.node === null) {
        if (t !== inputTensor) {
          throw new RangeError(`the graph reaches input "${t.name}", which is not the model's input`);
        }
        return;
      }
      if (seen.has(t.node)) return;
      for (const i of t.node.inputs) visit(i);
      seen.add(t.node);
      order.push(t.node);
    };
    visit(output);
    this.nodes = order;
  }

  /**
   * Layers in Keras's order: by depth from the output, deepest first (the
   * input side), ties in the order a depth-first walk from the output first
   * meets them (keras.Model.layers, as larq's summary lists them).
   */
  get layers(): Layer[] {
    const index = new Map<Layer, number>(), finished = new Set<ModelNode>(), postOrder: ModelNode[] = [];
    const visit = (node: ModelNode) => {
      if (finished.has(node)) return;
      if (!index.has(node.layer)) index.set(node.layer, index.size);
      for (const t of node.inputs) if (t.node) visit(t.node);
      finished.add(node);
      postOrder.push(node);
    };
    if (this.output.node) visit(this.output.node);
    const nodeDepth = new Map<ModelNode, number>(), layerDepth = new Map<Layer, number>();
    for (const node of [...postOrder].reverse()) {
      const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
      layerDepth.set(node.layer, depth);
      nodeDepth.set(node, depth);
      for (const t of node.inputs) if (t.node) nodeDepth.set(t.node, Math.max(depth + 1, nodeDepth.get(t.node) ?? 0));
    }
    return [...layerDepth.keys()].sort((a, b) =>
      layerDepth.get(b)! - layerDepth.get(a)! || index.get(a)! - index.get(b)!
    );
  }

  /** Runs the graph on `x` and returns the output. */
  apply(x: Tensor, { training = false } = {}): Tensor {
    return this.run(x, training).get(this.output)!;
  }

  /** Every node's value for input `x`. */
  run(x: Tensor, training: boolean): Map<SymbolicTensor, Tensor> {
    const values = new Map<SymbolicTensor, Tensor>([[this.input, x]]);
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
