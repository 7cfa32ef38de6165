/**
 * Keras weight initializers (fan computed as Keras does: for a kernel
 * [..., in, out], fan_in = in·receptive field, fan_out = out·receptive field),
 * from a seeded generator so runs repeat.
 * @module
 */
import { sizeOf, Tensor } from "../graph/tensor.ts";

export type Initializer =
  | "glorot_uniform"
  | "glorot_normal"
  | "he_uniform"
  | "he_normal"
  | "zeros"
  | "ones"
  | { constant: number };

function fans(shape: readonly number[]): [number, number] {
  if (shape.length < 1) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = sizeOf(shape.slice(0, -2));
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Normal samples truncated at two standard deviations (Keras's *_normal initializers). */
function truncatedNormal(random: () => number, std: number): number {
  for (;;) {
    const u = Math.max(random(), 1e-12), v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    if (Math.abs(z) <= 2) return z * std;
  }
}

/**
 * A tensor of `shape` filled as the initializer says.
 *
 * @example
 * ```ts
 * import { initialize } from "./initializers.ts";
 * import { seededRandom } from "../graph/random.ts";
 * const w = initialize("glorot_uniform", [3, 4], seededRandom(1));
 * console.log(w.shape, Math.max(...w.data) <= Math.sqrt(6 / 7)); // [3, 4] true
 * ```
 */
export function initialize(init: Initializer, shape: readonly number[], random: () => number): Tensor {
  const t = Tensor.zeros(shape);
  const [fanIn, fanOut] = fans(shape);
  if (typeof init === "object") {
    if (typeof init.constant !== "number") {
      throw new TypeError(`constant initializer needs a number, got ${JSON.stringify(init)}`);
    }
    t.data.fill(init.constant);
    return t;
  }
  switch (init) {
    case "zeros":
      return t;
    case "ones":
      t.data.fill(1);
      return t;
    case "glorot_uniform":
    case "he_uniform": {
      const limit = Math.sqrt((init === "he_uniform" ? 6 : 6) / (init === "he_uniform" ? fanIn : fanIn + fanOut));
      for (let i = 0; i < t.size; i++) t.data[i] = (2 * random() - 1) * limit;
      return t;
    }
    case "glorot_normal":
    case "he_normal": {
      // Keras divides by .87962566103423978, the std of a unit normal truncated at 2σ.
      const std = Math.sqrt(init === "he_normal" ? 2 / fanIn : 2 / (fanIn + fanOut)) / 0.87962566103423978;
      for (let i = 0; i < t.size; i++) t.data[i] = truncatedNormal(random, std);
      return t;
    }
    default:
      throw new RangeError(
        `unknown initializer ${
          JSON.stringify(init)
        }; use glorot_uniform, glorot_normal, he_uniform, he_normal, zeros, ones or { constant }`,
      );
  }
}
