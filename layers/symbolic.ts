/**
 * Symbolic tensors (Keras's `Input` and KerasTensor): calling a layer on
 * them records a node instead of computing, and the model containers in
 * `models/` turn the recorded graph into a model. Shapes are inferred by
 * running each layer once on a zero sample of batch 1.
 * @module
 */
import { Tensor } from "../graph/tensor.ts";
import type { Layer } from "./layer.ts";

/** One call of a layer in a model being defined: the symbolic tensors it read and the one it produced. */
export interface LayerNode {
  /** The layer that was called. */
  layer: Layer;
  /** The symbolic tensors it read, in order. */
  inputs: SymbolicTensor[];
  /** The first output (for most layers the only one). */
  output: SymbolicTensor;
  /** Every output in order (several for a layer such as Split). */
  outputs: SymbolicTensor[];
}

/** A placeholder for a tensor in a model being defined (Keras's KerasTensor). */
export class SymbolicTensor {
  /** Made by `input()` and by calling a layer on symbolic tensors; not usually built directly. */
  constructor(
    /** Shape without the batch axis. */
    readonly shape: readonly number[],
    /** The layer call that produced it; null for a model input. */
    readonly node: LayerNode | null,
    readonly name: string,
    /** A zero sample (batch 1) carried for shape inference. */
    readonly sample: Tensor,
    /** A fixed batch size declared on the input (Keras's `batch_size`), for summaries; null: any. */
    readonly batchSize: number | null = null,
  ) {}
}

let inputCount = 0;

/** Restarts default input names (input_1, ...); with Layer.resetNames() the analogue of Keras's clear_session. */
export function resetInputNames(): void {
  inputCount = 0;
}

/**
 * A model input of `shape` (without the batch axis), Keras's `Input`.
 *
 * @example
 * ```ts
 * import { input } from "./symbolic.ts";
 * import { Dense } from "./dense.ts";
 * const x = input([4]);
 * const y = new Dense(3).apply(x); // a SymbolicTensor: nothing is computed yet
 * console.log(y.shape); // [3]
 * ```
 */
export function input(
  shape: readonly number[],
  options: { name?: string; batchSize?: number | null } = {},
): SymbolicTensor {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`input shape must be positive integers without the batch axis, got ${JSON.stringify(shape)}`);
  }
  inputCount++;
  const name = options.name ?? `input_${inputCount}`;
  return new SymbolicTensor(shape, null, name, Tensor.zeros([1, ...shape]), options.batchSize ?? null);
}

/** Records a call of `layer` on symbolic inputs, its outputs computed from the zero samples (one per output). */
export function recordCall(layer: Layer, inputs: SymbolicTensor[], samples: readonly Tensor[]): SymbolicTensor[] {
  const node: LayerNode = { layer, inputs, output: undefined as unknown as SymbolicTensor, outputs: [] };
  node.outputs = samples.map((s, i) =>
    new SymbolicTensor(s.shape.slice(1), node, i === 0 ? layer.name : `${layer.name}:${i}`, s)
  );
  node.output = node.outputs[0];
  return node.outputs;
}

/** Calls `layer` on symbolic inputs (`layer(x)` in Keras; the same as `layer.apply(x)`). */
export function link(layer: Layer, ...inputs: SymbolicTensor[]): SymbolicTensor {
  if (inputs.length === 0) throw new RangeError(`layer "${layer.name}" needs an input`);
  return layer.apply(inputs.length === 1 ? inputs[0] : inputs);
}
