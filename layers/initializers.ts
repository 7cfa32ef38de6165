/**
 * Keras weight initializers (fan computed as Keras does: for a kernel
 * [..., in, out], fan_in = in·receptive field, fan_out = out·receptive field),
 * from a seeded generator so runs repeat.
 * @module
 */
import { sizeOf, Tensor } from "../graph/tensor.ts";

/** Keras's initializer names that onebit implements (fans computed as Keras does). */
export type InitializerName = "glorot_uniform" | "glorot_normal" | "he_uniform" | "he_normal" | "zeros" | "ones";

/**
 * An initializer as Keras accepts it: a name (`"glorot_uniform"`, or the
 * class name `"GlorotUniform"`), a Keras config
 * (`{ class_name: "GlorotUniform", config: { seed: null } }`,
 * `{ class_name: "Constant", config: { value: 0.5 } }`), or `{ constant }`.
 */
export type Initializer =
  | InitializerName
  | "GlorotUniform"
  | "GlorotNormal"
  | "HeUniform"
  | "HeNormal"
  | "Zeros"
  | "Ones"
  | { constant: number }
  | { class_name: string; config?: Record<string, unknown> };

const CLASS_NAMES: Record<string, InitializerName> = {
  GlorotUniform: "glorot_uniform",
  GlorotNormal: "glorot_normal",
  HeUniform: "he_uniform",
  HeNormal: "he_normal",
  Zeros: "zeros",
  Ones: "ones",
};

/** The initializer's name, or a constant, from any accepted form (a RangeError lists the forms). */
function resolve(init: Initializer): InitializerName | number {
  if (typeof init === "string") {
    const name = CLASS_NAMES[init] ?? init;
    if (Object.values(CLASS_NAMES).includes(name as InitializerName)) return name as InitializerName;
  } else if (init !== null && typeof init === "object") {
    if ("constant" in init && typeof init.constant === "number") return init.constant;
    if ("class_name" in init) {
      if (init.class_name === "Constant" && typeof init.config?.value === "number") return init.config.value;
      if (CLASS_NAMES[init.class_name]) return CLASS_NAMES[init.class_name];
    }
  }
  throw new RangeError(
    `unknown initializer ${JSON.stringify(init)}; use glorot_uniform, glorot_normal, he_uniform, he_normal, zeros, ` +
      "ones (or their Keras class names and configs), { constant } or a Constant config",
  );
}

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
  const kind = resolve(init);
  if (typeof kind === "number") {
    t.data.fill(kind);
    return t;
  }
  switch (kind) {
    case "zeros":
      return t;
    case "ones":
      t.data.fill(1);
      return t;
    case "glorot_uniform":
    case "he_uniform": {
      const limit = Math.sqrt(6 / (kind === "he_uniform" ? fanIn : fanIn + fanOut));
      for (let i = 0; i < t.size; i++) t.data[i] = (2 * random() - 1) * limit;
      return t;
    }
    case "glorot_normal":
    case "he_normal": {
      // Keras divides by .87962566103423978, the std of a unit normal truncated at 2σ.
      const std = Math.sqrt(kind === "he_normal" ? 2 / fanIn : 2 / (fanIn + fanOut)) / 0.87962566103423978;
      for (let i = 0; i < t.size; i++) t.data[i] = truncatedNormal(random, std);
      return t;
    }
  }
}
