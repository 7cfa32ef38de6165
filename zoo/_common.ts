/**
 * What larq-zoo's model factories share (`larq_zoo.core`): the builder
 * options (input shape, classes, head, seed), seeded layers, and
 * `global_pool` (an AveragePooling2D over the whole map and a Flatten,
 * which LCE runs faster than GlobalAveragePooling2D).
 * @module
 */
import { seededRandom } from "../graph/random.ts";
import { Flatten } from "../layers/core.ts";
import type { Layer } from "../layers/layer.ts";
import { AveragePooling2D } from "../layers/pooling.ts";
import { input, type SymbolicTensor } from "../layers/symbolic.ts";

/** The options of every zoo builder (larq-zoo's `input_shape`, `num_classes`, `include_top`). */
export interface ZooOptions {
  /** Input shape without the batch axis (default [224, 224, 3]). */
  inputShape?: number[];
  /** Classes of the classifier head (default 1000). */
  numClasses?: number;
  /** With the classifier head (default true); without, the model ends at the last feature map. */
  includeTop?: boolean;
  /** Seed of the random initial weights (default 0). */
  seed?: number;
}

/** The checked options, the model input and `seeded`, which seeds a layer's initializers from one generator. */
export interface ZooStart {
  /** The model input (`input(inputShape)`). */
  image: SymbolicTensor;
  /** Classes of the head. */
  numClasses: number;
  /** Whether the model ends in its classifier head. */
  includeTop: boolean;
  /** Seeds a layer's initializers from the builder's generator; returns the layer. */
  seeded: <T extends Layer>(layer: T) => T;
}

/** Checks a builder's options (errors name the builder) and makes its input. */
export function zooStart(builder: string, options: ZooOptions): ZooStart {
  const { inputShape = [224, 224, 3], numClasses = 1000, includeTop = true, seed = 0 } = options;
  if (
    !Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d >= 1)
  ) {
    throw new RangeError(`${builder}: inputShape must be [height, width, channels], got ${JSON.stringify(inputShape)}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`${builder}: numClasses must be a positive integer, got ${JSON.stringify(numClasses)}`);
  }
  if (typeof includeTop !== "boolean") {
    throw new TypeError(`${builder}: includeTop must be true or false, got ${JSON.stringify(includeTop)}`);
  }
  if (!Number.isFinite(seed)) throw new RangeError(`${builder}: seed must be a number, got ${JSON.stringify(seed)}`);
  const random = seededRandom(seed);
  return { image: input(inputShape), numClasses, includeTop, seeded: (layer) => layer.seed(random) };
}

/** larq-zoo's `utils.global_pool`: average over the whole map, then flatten (layers `{name}_pool`, `{name}_flatten`). */
export function globalPool(x: SymbolicTensor, name?: string): SymbolicTensor {
  const pool = new AveragePooling2D([x.shape[0], x.shape[1]], name ? { name: `${name}_pool` } : {});
  return new Flatten(name ? { name: `${name}_flatten` } : {}).apply(pool.apply(x));
}
