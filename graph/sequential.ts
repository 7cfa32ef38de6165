/**
 * A Sequential model: layers applied in order, with the weights they own.
 * @module
 */
import type { Tensor, Variable } from "./tensor.ts";
import type { Layer, Weight } from "../layers/layer.ts";
import { seededRandom } from "../layers/initializers.ts";
import { trainingBackend } from "./native.ts";

/**
 * @example
 * ```ts
 * import { Sequential } from "./sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Tensor } from "./tensor.ts";
 * const m = new Sequential([new Dense(4, { activation: "relu" }), new Dense(2)], { seed: 1 });
 * console.log(m.apply(Tensor.fill([3, 5], 1)).shape); // [3, 2]
 * ```
 */
export class Sequential {
  readonly layers: readonly Layer[];

  /**
   * Where training this model runs its matmuls and convolutions: `native`, `wasm` or `reference` (see
   * setTrainingKernels).
   */
  get backend(): "native" | "wasm" | "reference" {
    return trainingBackend();
  }

  /** The input shape without the batch axis, when given (Keras's `input_shape`); convert() and summaries use it. */
  readonly inputShape: readonly number[] | null;

  /** A fixed batch size (Keras's `batch_size` on the input), for summaries; null: any. */
  readonly batchSize: number | null;

  constructor(
    layers: Layer[],
    options: { seed?: number; inputShape?: readonly number[]; batchSize?: number | null } = {},
  ) {
    if (layers.length === 0) throw new RangeError("a Sequential model needs at least one layer");
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) throw new RangeError(`two layers are named "${l.name}"; layer names must be unique`);
      names.add(l.name);
    }
    this.layers = layers;
    if (options.inputShape && !options.inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new RangeError(`inputShape must be positive integers (no batch axis), got [${options.inputShape}]`);
    }
    this.inputShape = options.inputShape ? [...options.inputShape] : null;
    this.batchSize = options.batchSize ?? null;
    if (options.seed !== undefined) {
      const random = seededRandom(options.seed);
      for (const l of layers) l.seed(random);
    }
  }

  apply(x: Tensor, { training = false } = {}): Tensor {
    let y = x;
    for (const l of this.layers) y = l.apply(y, { training });
    return y;
  }

  /** Every weight of every layer (built layers only: call the model once first). */
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
